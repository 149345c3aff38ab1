#!/usr/bin/env bash
# Candidate-generation quality on MovieLens-100k (u1, rating >= 4) and Tmall (buy + collect
# -> test purchases): split, build graph + co-occurrence from the training CSV, our eval of
# popular / cooc / pixie / their merge, then the Python baselines on the same files.
#   bench/candidates/run_eval.sh [BUILD_DIR] [OUT_DIR] [DATASETS]
# BUILD_DIR defaults to build (holding apps/reco/reco), OUT_DIR to /work/data-cand,
# DATASETS to "ml100k tmall". Results: OUT_DIR/<dataset>/{reco_eval,baselines}.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
out=${2:-/work/data-cand}
datasets=${3:-"ml100k tmall"}
reco=$build/apps/reco/reco
data=${RECO_SHARED_DATA:-$repo/../shared/data}
threads=${THREADS:-2}
steps=${PIXIE_STEPS:-20000}
export OMP_WAIT_POLICY=PASSIVE

for ds in $datasets; do
  d=$out/$ds
  mkdir -p "$d"
  case $ds in
    ml100k)
      "$reco" candidates split --format movielens --min-rating 4 \
        --train "$data/movielens-100k/u1.base" --test "$data/movielens-100k/u1.test" --out-dir "$d" ;;
    tmall)
      t=$data/tmall-multibehavior-mbgcn
      "$reco" candidates split --format tmall --train "$t/buy.txt,$t/collect.txt" --test "$t/test.txt" --out-dir "$d" ;;
    taobao)
      "$reco" candidates split --format taobao --input "$data/taobao-userbehavior-head/UserBehavior_head_84475.csv" \
        --holdout-last 1 --out-dir "$d" ;;
    *) echo "unknown dataset $ds" >&2; exit 2 ;;
  esac
  "$reco" candidates build graph --edges "$d/train.csv" -o "$d/train.graph" --quiet
  "$reco" candidates build cooc --edges "$d/train.csv" -o "$d/train.cooc" --quiet
  "$reco" --threads "$threads" candidates eval --train "$d/train.csv" --test "$d/test.csv" \
    --source popular,quota=20 --source "cooc:$d/train.cooc,quota=40" \
    --source "pixie:$d/train.graph,steps=$steps,quota=40" --merge --json > "$d/reco_eval.json"
  "$reco" --threads "$threads" candidates eval --train "$d/train.csv" --test "$d/test.csv" \
    --source popular,quota=20 --source "cooc:$d/train.cooc,quota=40" \
    --source "pixie:$d/train.graph,steps=$steps,quota=40" --merge
  /usr/bin/python3 "$here/baselines.py" --train "$d/train.csv" --test "$d/test.csv" --threads "$threads" \
    > "$d/baselines.json"
  /usr/bin/python3 - "$d/reco_eval.json" "$d/baselines.json" <<'PY'
import json, sys
for path, tag in ((sys.argv[1], "reco"), (sys.argv[2], "python")):
    for r in json.load(open(path))["results"]:
        m = r["metrics"]
        print(f"{tag:6s} {r['source']:32s} R@20 {m['recall@20']:.4f}  R@50 {m['recall@50']:.4f}  "
              f"N@50 {m['ndcg@50']:.4f}  HR@50 {m['hr@50']:.4f}  cov@50 {m['coverage@50']:.3f}  users {r['users_evaluated']}")
PY
done
