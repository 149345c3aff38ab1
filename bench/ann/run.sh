#!/bin/bash
# ANN bar (issue 7): recall@10 of HnswIndex vs the ExactIndex oracle and queries/s of both,
# 1 thread, median of 3 runs, on (a) synthetic clustered 100k x 64, (b) SVD item vectors of the
# Tmall train split, (c) any embeddings files given (e.g. two-tower item vectors of Tmall).
#   bench/ann/run.sh <build dir> <out dir> [E.embed ...]
# Needs /work/data-cand/tmall/train.csv (bench/candidates/run_eval.sh makes it) for (b).
set -euo pipefail
BUILD=$1; OUT=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH="$BUILD/bench/ann/reco_bench_ann"
mkdir -p "$OUT"
echo "uptime before: $(uptime)" >&2
"$BENCH" --n 100000 --dim 64 --clusters 1000 --sigma 0.5 --queries 1000 --ef-construction 100 \
  --ef 16,32,64,128 --threads 1 --runs 3 > "$OUT/synthetic_100k.json"
/usr/bin/python3 "$HERE/svd_item_vectors.py" /work/data-cand/tmall/train.csv "$OUT/tmall_svd64.txt" 64
"$BENCH" --vectors "$OUT/tmall_svd64.txt" --queries 2000 --ef 10,16,32,64,128 --threads 1 --runs 3 \
  > "$OUT/tmall_svd64.json"
# dot-metric (two-tower) vectors need a denser graph for recall@10 >= 0.95 with hnswlib's
# inner-product space: M 16 / efC 200 tops out near 0.95 at ef 1024, M 32 / efC 400 passes at ef 96.
for e in "$@"; do
  b=$(basename "$e" .embed)
  "$BENCH" --embeddings "$e" --queries 2000 --ef 10,32,128,512,1024 --threads 1 --runs 3 \
    --M 16 --ef-construction 200 > "$OUT/${b}_M16.json"
  "$BENCH" --embeddings "$e" --queries 2000 --ef 32,64,96,128,256 --threads 1 --runs 3 \
    --M 32 --ef-construction 400 > "$OUT/${b}_M32.json"
done
echo "uptime after: $(uptime)" >&2
/usr/bin/python3 - "$OUT"/*.json <<'PY'
import json, sys
print('| data | n x dim | metric | build s (M, efC) | exact q/s | ef_search: recall@10 / HNSW q/s |')
print('|---|---|---|---|---|---|')
for p in sys.argv[1:]:
    j = json.load(open(p)); d = j['data']; h = j['hnsw'][0]
    cells = '; '.join(f"{r['ef_search']}: {r['recall_at_10']:.4f} / {r['queries_per_s']:,.0f}" for r in h['search'])
    print(f"| {p.split('/')[-1][:-5]} | {d['n']} x {d['dim']} | {d['metric']} | {h['build_s']:.1f} ({h['M']}, "
          f"{h['ef_construction']}) | {j['exact'][0]['queries_per_s']:,.0f} | {cells} |")
PY
