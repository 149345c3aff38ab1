#!/bin/bash
# Paired two-tower runs (issue 7): for each seed, reco and the PyTorch peer start from the SAME initial
# weights (reco's, `--epochs 0`) and visit the SAME batches in the same order (two_tower_torch.py
# --init-from --reco-order), so a difference in Recall@50 between the pair is an implementation
# difference, not seed noise. Both sides are scored by `reco candidates eval`.
#   bench/twotower/paired.sh <reco binary> <data dir with train.csv,test.csv> <out dir> "<seeds>" [model args]
# THREADS (default 2) goes to both sides. Output: $OUT/paired.jsonl, one line per run (impl, seed,
# epoch_loss, Recall@20/@50, NDCG@50, samples/s), and a per-seed table on stdout.
set -euo pipefail
RECO=$(realpath "$1"); DATA=$2; OUT=$3; SEEDS=$4; shift 4
EXTRA=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
T=${THREADS:-2}
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE
RUNS="$OUT/paired.jsonl"
: > "$RUNS"
echo "uptime before: $(uptime)" >&2

record() {  # impl seed speed-json embed
  read -r r20 r50 n50 < <("$RECO" --threads "$T" --json candidates eval --train "$DATA/train.csv" --test "$DATA/test.csv" \
    --source "embed:$4" --k 20,50 |
    $PY -c "import json,sys; m=json.load(sys.stdin)['results'][0]['metrics']; print(m['recall@20'], m['recall@50'], m['ndcg@50'])")
  echo "$3" | $PY -c "import json,sys; j=json.load(sys.stdin); print(json.dumps({'impl':'$1','seed':$2,
    'samples_per_second':j['samples_per_second'],'epoch_loss':j['epoch_loss'],
    'recall@20':$r20,'recall@50':$r50,'ndcg@50':$n50}))" | tee -a "$RUNS"
}

INIT_ARGS=()  # the model args without --epochs N: the initial model is trained for 0 epochs
skip=0
for a in "${EXTRA[@]}"; do
  if [ $skip = 1 ]; then skip=0; continue; fi
  case "$a" in --epochs) skip=1 ;; --epochs=*) ;; *) INIT_ARGS+=("$a") ;; esac
done
for s in $SEEDS; do
  "$RECO" --threads "$T" --seed "$s" --quiet candidates build twotower --train "$DATA/train.csv" \
    --out "$OUT/init_s$s.twotower" "${INIT_ARGS[@]}" --epochs 0
  j=$("$RECO" --threads "$T" --seed "$s" --quiet --json candidates build twotower --train "$DATA/train.csv" \
    --out "$OUT/m.twotower" --embeddings "$OUT/reco_s$s.embed" "${EXTRA[@]}" |
    $PY -c "import json,sys; print(json.dumps(json.load(sys.stdin)['report']))")
  record reco "$s" "$j" "$OUT/reco_s$s.embed"
  j=$(OPENBLAS_NUM_THREADS=$T $PY "$HERE/two_tower_torch.py" --threads "$T" --seed "$s" --train "$DATA/train.csv" \
    --init-from "$OUT/init_s$s.twotower" --reco-order --out "$OUT/torch_s$s.npz" --out-text "$OUT/torch_s$s" "${EXTRA[@]}")
  "$RECO" --quiet candidates build import --text "$OUT/torch_s$s.items.txt" --users-text "$OUT/torch_s$s.users.txt" \
    --metric dot --method torch-twotower-paired -o "$OUT/torch_s$s.embed"
  rm -f "$OUT/torch_s$s".{items,users}.txt
  record torch "$s" "$j" "$OUT/torch_s$s.embed"
done
echo "uptime after: $(uptime)" >&2

$PY - "$RUNS" <<'PYEOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print('| seed | reco R@50 | torch R@50 | reco - torch | reco NDCG@50 | torch NDCG@50 | last-epoch loss reco / torch |')
print('|---|---|---|---|---|---|---|')
diffs = []
for s in sorted({r['seed'] for r in runs}):
    a = next(r for r in runs if r['impl'] == 'reco' and r['seed'] == s)
    b = next((r for r in runs if r['impl'] == 'torch' and r['seed'] == s), None)
    if b is None:
        continue
    diffs.append(a['recall@50'] - b['recall@50'])
    print(f"| {s} | {a['recall@50']:.4f} | {b['recall@50']:.4f} | {diffs[-1]:+.4f} | {a['ndcg@50']:.4f} | "
          f"{b['ndcg@50']:.4f} | {a['epoch_loss'][-1]:.4f} / {b['epoch_loss'][-1]:.4f} |")
if diffs:
    print(f"median paired difference {statistics.median(diffs):+.4f} over {len(diffs)} seeds")
PYEOF
