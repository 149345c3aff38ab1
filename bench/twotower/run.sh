#!/bin/bash
# Two-tower bar (issue 7): reco vs the PyTorch peer (two_tower_torch.py, same model, loss,
# optimizer, epochs, batch), alternating runs A B A B ... per thread count (1 and 2).
# Both sides are scored by the same code: the peer's vectors are imported with
# `reco candidates build import` and every run is evaluated with `reco candidates eval`.
#   bench/twotower/run.sh <reco binary> <data dir with train.csv,test.csv> <out dir> [repeats] [model args]
# THREADS="1" limits the thread counts (default "1 2"); FIRST_SEED=N numbers the repeats' seeds N, N+1, ... (default 1). Model args go to both sides (e.g. --epochs 5 --temperature 0.1). Output: $OUT/runs.jsonl (one
# line per run: speed + Recall@20/@50, NDCG@50) and a median summary per (impl, threads) on stdout.
# Peer setup (see /work/shared/docs/measuring.md): OpenBLAS as libblas.so.3, OMP_WAIT_POLICY=PASSIVE.
set -euo pipefail
RECO=$(realpath "$1"); DATA=$2; OUT=$3; REPEATS=${4:-3}; shift 4 || shift $#
EXTRA=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE
RUNS="$OUT/runs.jsonl"
: > "$RUNS"
echo "uptime before: $(uptime)" >&2

evaluate() {  # embed file -> "r20 r50 ndcg50"
  "$RECO" --threads 2 --json candidates eval --train "$DATA/train.csv" --test "$DATA/test.csv" \
    --source "embed:$1" --k 20,50 |
    $PY -c "import json,sys; m=json.load(sys.stdin)['results'][0]['metrics']; print(m['recall@20'], m['recall@50'], m['ndcg@50'])"
}

record() {  # impl threads rep speed-json embed
  read -r r20 r50 n50 < <(evaluate "$5")
  echo "$4" | $PY -c "import json,sys; j=json.load(sys.stdin); print(json.dumps({'impl':'$1','threads':$2,'rep':$3,
    'samples_per_second':j['samples_per_second'],'seconds':j['seconds'],'loss':j['epoch_loss'][-1],
    'recall@20':$r20,'recall@50':$r50,'ndcg@50':$n50}))" | tee -a "$RUNS"
}

for threads in ${THREADS:-1 2}; do
  for rep in $(seq "${FIRST_SEED:-1}" $(( ${FIRST_SEED:-1} + REPEATS - 1 ))); do
    j=$("$RECO" --threads "$threads" --seed "$rep" --quiet --json candidates build twotower --train "$DATA/train.csv" \
      --out "$OUT/m.twotower" --embeddings "$OUT/reco_t${threads}_r${rep}.embed" "${EXTRA[@]}" |
      $PY -c "import json,sys; print(json.dumps(json.load(sys.stdin)['report']))")
    record reco "$threads" "$rep" "$j" "$OUT/reco_t${threads}_r${rep}.embed"
    # torch.set_num_threads does not reach OpenBLAS's own pool (2 threads on this box): pin it too.
    j=$(OPENBLAS_NUM_THREADS=$threads $PY "$HERE/two_tower_torch.py" --threads "$threads" --seed "$rep" --train "$DATA/train.csv" \
      --out "$OUT/torch_t${threads}_r${rep}.npz" --out-text "$OUT/torch_t${threads}_r${rep}" "${EXTRA[@]}")
    "$RECO" --quiet candidates build import --text "$OUT/torch_t${threads}_r${rep}.items.txt" \
      --users-text "$OUT/torch_t${threads}_r${rep}.users.txt" --metric dot --method torch-twotower \
      -o "$OUT/torch_t${threads}_r${rep}.embed"
    rm -f "$OUT/torch_t${threads}_r${rep}".{items,users}.txt
    record torch "$threads" "$rep" "$j" "$OUT/torch_t${threads}_r${rep}.embed"
  done
done
echo "uptime after: $(uptime)" >&2

$PY - "$RUNS" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = lambda xs: statistics.median(xs)
print('| impl | threads | samples/s (median) | Recall@20 | Recall@50 | NDCG@50 | runs |')
print('|---|---|---|---|---|---|---|')
for t in sorted({r['threads'] for r in runs}):
    for impl in ['reco', 'torch']:
        rs = [r for r in runs if r['impl'] == impl and r['threads'] == t]
        print(f"| {impl} | {t} | {med([r['samples_per_second'] for r in rs]):,.0f} | "
              f"{med([r['recall@20'] for r in rs]):.4f} | {med([r['recall@50'] for r in rs]):.4f} | "
              f"{med([r['ndcg@50'] for r in rs]):.4f} | {len(rs)} |")
    pairs = [a['samples_per_second'] / b['samples_per_second'] for a in runs for b in runs
             if a['impl'] == 'reco' and b['impl'] == 'torch' and a['threads'] == t == b['threads'] and a['rep'] == b['rep']]
    print(f"| ratio reco/torch | {t} | per pair {', '.join(f'{x:.2f}' for x in pairs)}; median {med(pairs):.2f}x | | | | |")
EOF
