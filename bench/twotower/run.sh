#!/bin/bash
# Alternating reco / PyTorch two-tower runs (A B A B ...) on one dataset, per thread count;
# prints one JSON line per run (speed) and per evaluation (Recall@50 / NDCG@50).
#   bench/twotower/run.sh <reco binary> <data dir with train.csv,test.csv> <out dir> [repeats] [extra args]
set -euo pipefail
RECO=$1; DATA=$2; OUT=$3; REPEATS=${4:-3}; shift 4 || true
EXTRA=("$@")
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
export OMP_WAIT_POLICY=PASSIVE
for threads in 1 2; do
  for rep in $(seq 1 "$REPEATS"); do
    "$RECO" --threads "$threads" --seed "$rep" --quiet --json candidates build twotower --train "$DATA/train.csv" \
      --out "$OUT/m.twotower" --embeddings "$OUT/reco_t${threads}_r${rep}.embed" "${EXTRA[@]}" \
      | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); r=j['report']; print(json.dumps({'impl':'reco','threads':$threads,'rep':$rep,'samples_per_second':r['samples_per_second'],'seconds':r['seconds'],'loss':r['epoch_loss'][-1]}))"
    /usr/bin/python3 "$HERE/two_tower_torch.py" --threads "$threads" --seed "$rep" --train "$DATA/train.csv" \
      --out "$OUT/torch_t${threads}_r${rep}.npz" "${EXTRA[@]}" \
      | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print(json.dumps({'impl':'torch','threads':$threads,'rep':$rep,'samples_per_second':j['samples_per_second'],'seconds':j['seconds'],'loss':j['epoch_loss'][-1]}))"
  done
done
for f in "$OUT"/reco_t*.embed "$OUT"/torch_t*.npz; do
  echo "$(basename "$f") $(/usr/bin/python3 "$HERE/eval_recall.py" --train "$DATA/train.csv" --test "$DATA/test.csv" --vectors "$f")"
done
