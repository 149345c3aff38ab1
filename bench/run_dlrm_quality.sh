#!/usr/bin/env bash
# DLRM learning parity (issue 4): reco's DLRM and the PyTorch DLRM (bench/torch_dlrm.py train),
# same architecture, optimizer (plain SGD), batch, epochs and data file, over several seeds;
# prints validation AUC per seed, the means and the planted teacher's AUC.
#   bench/run_dlrm_quality.sh [SEEDS="1 2 3"]     env: BUILD_DIR, THREADS (2), ROWS, PRECISION (fp32 | bf16)
# Datasets: (1) synthetic — `reco gen random` with the logistic teacher (its validation AUC is the
# ceiling); (2) the two Criteo samples from ../shared/data, vocabulary-encoded (bench/criteo_vocab.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1 2 3}"
BUILD_DIR="${BUILD_DIR:-build}"
reco="$BUILD_DIR/apps/reco/reco"
out="${OUT:-bench/results}/quality"; mkdir -p "$out"
py=/usr/bin/python3
[ -f bench/torch_env.sh ] && source bench/torch_env.sh
THREADS="${THREADS:-2}"
PRECISION="${PRECISION:-fp32}"  # reco's [model] precision (fp32 | bf16); the PyTorch side stays fp32
ROWS="${ROWS:-500000}"

"$reco" -q gen random -o "$out/syn.dataset" --rows "$ROWS" --dense 13 --table-sizes 1000x8 \
  --split random:0.8,0.1,0.1 --seed 7
datasets="syn"
criteo=../shared/data/criteo-sample
if [ -f "$criteo/criteo_sample_deepctr_200.csv" ]; then
  "$reco" -q ingest --schema bench/criteo_vocab.toml "$criteo/criteo_sample_deepctr_200.csv" \
    "$criteo/criteo_sampled_data_324.csv" -o "$out/criteo.dataset" --split random:0.7,0.3,0 --seed 7
  datasets="syn criteo"
fi

# name -> "dim bottom top batch lr epochs"
arch() {
  case "$1" in
    syn)    echo "16 64-16 64-1 128 0.5 6" ;;
    criteo) echo "4 16-4 16-1 32 0.05 5" ;;
  esac
}

results="$out/quality.jsonl"; : > "$results"
for ds in $datasets; do
  read -r dim bottom top batch lr epochs <<< "$(arch "$ds")"
  for seed in $seeds; do
    cat > "$out/$ds.toml" <<TOML
[data]
path = "$ds.dataset"
eval = "validation"
[model]
kind = "dlrm"
precision = "$PRECISION"
embedding_dim = $dim
bottom = [${bottom//-/, }]
top = [${top//-/, }]
[optimizer]
kind = "sgd"
lr = $lr
[train]
batch_size = $batch
epochs = $epochs
threads = $THREADS
seed = $seed
keep_best = false
[output]
model = "$ds.model"
TOML
    ours=$("$reco" -q train --config "$out/$ds.toml" --json | $py -c \
      'import json,sys; r=json.load(sys.stdin); e=r["epochs"][-1]; print(e["metrics"]["auc"], r["seconds"])')
    theirs=$($py bench/torch_dlrm.py train --data "$out/$ds.dataset" --dim "$dim" --bottom "$bottom" --top "$top" \
      --batch "$batch" --lr "$lr" --epochs "$epochs" --threads "$THREADS" --seed "$seed" --no-blas-check | $py -c \
      'import json,sys; r=json.load(sys.stdin); print(r["val_auc"], sum(e["seconds"] for e in r["epochs"]))')
    echo "{\"dataset\":\"$ds\",\"seed\":$seed,\"reco_auc\":${ours%% *},\"reco_seconds\":${ours##* },\"torch_auc\":${theirs%% *},\"torch_seconds\":${theirs##* }}" | tee -a "$results"
  done
done

$py - "$results" "$out/syn.dataset" <<'PY'
import json, sys
sys.path.insert(0, "bench")
from reco_dataset import open_dataset
rows = [json.loads(l) for l in open(sys.argv[1])]
teacher = open_dataset(sys.argv[2]).meta["extra"]["teacher"]["validation"]["auc"]
print(f"{'dataset':8} {'reco AUC':>9} {'torch AUC':>9} {'diff':>8} {'reco s':>7} {'torch s':>7}")
for ds in dict.fromkeys(r["dataset"] for r in rows):
    rs = [r for r in rows if r["dataset"] == ds]
    m = lambda k: sum(r[k] for r in rs) / len(rs)
    print(f"{ds:8} {m('reco_auc'):9.4f} {m('torch_auc'):9.4f} {m('reco_auc') - m('torch_auc'):+8.4f} "
          f"{m('reco_seconds'):7.1f} {m('torch_seconds'):7.1f}")
print(f"synthetic teacher validation AUC: {teacher:.4f}")
PY
