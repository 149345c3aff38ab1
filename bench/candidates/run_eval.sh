#!/usr/bin/env bash
# Candidate-generation quality on MovieLens-100k (u1, rating >= 4) and Tmall (buy + collect
# -> test purchases), Taobao on request: split, build graph / co-occurrence / item2vec /
# HOP-Rec from the training CSV, `reco candidates eval` of every source alone and of the
# merge of the best ones, then the Python baselines (popular, item-kNN, BPR) on the same files.
#   bench/candidates/run_eval.sh [BUILD_DIR] [OUT_DIR] [DATASETS]
# BUILD_DIR defaults to build (holding apps/reco/reco), OUT_DIR to /work/data-cand,
# DATASETS to "ml100k tmall". Results: OUT_DIR/<dataset>/{reco_eval,reco_merge,baselines}.json
# and {item2vec,hoprec}.build.json (training reports with seconds).
#
# Hyperparameters: chosen by a small grid on ml100k (the same few trials for every learner,
# BPR included; docs/candidates.md "Evaluation" lists the grid), then kept for every dataset.
#   HOP-Rec: dim 64, order 3 (= SMORe -walk_steps 3), 50 epochs (walks = 50 x edges), lr 0.025, 5 negatives.
#   item2vec: dim 64, one sequence per user, window 50, 20 epochs, lr 0.05; queried with
#             the mean of the user's 50 newest history items (embed source default).
#   BPR (baselines.py): dim 64, 60 epochs, lr 0.002.
# On tmall / taobao (~10x the rows of ml100k) item2vec runs 5 epochs and BPR 20, which still
# gives each more updates than on ml100k, and keeps the run within minutes on 2 cores.
# Overrides through the environment: THREADS, PIXIE_STEPS, HOPREC_ARGS, ITEM2VEC_ARGS,
# ITEM2VEC_QUERY, BPR_ARGS, MERGE (the --source list of the merged run).
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
hoprec_args=${HOPREC_ARGS:-"--dim 64 --order 3 --epochs 50 --lr 0.025 --negatives 5"}
item2vec_query=${ITEM2VEC_QUERY:-""}
export OMP_WAIT_POLICY=PASSIVE

for ds in $datasets; do
  d=$out/$ds
  mkdir -p "$d"
  if [ "$ds" = ml100k ]; then i2v_epochs=20; bpr_epochs=60; else i2v_epochs=5; bpr_epochs=20; fi
  item2vec_args=${ITEM2VEC_ARGS:-"--dim 64 --window 50 --epochs $i2v_epochs --lr 0.05"}
  bpr_args=${BPR_ARGS:-"--dim 64 --epochs $bpr_epochs --lr 0.002"}
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
  # Co-occurrence with the default inverse-user-frequency group weight (--group-weight log) and
  # 1000 neighbours per item (the default 100 is sized for serving; a user's score sums over
  # all their history items, so deeper lists matter here), plus the plain cosine for reference.
  "$reco" candidates build cooc --edges "$d/train.csv" --topk 1000 -o "$d/train.cooc" --quiet
  "$reco" candidates build cooc --edges "$d/train.csv" --topk 1000 --group-weight none -o "$d/train_plain.cooc" --quiet
  # shellcheck disable=SC2086
  "$reco" --threads "$threads" --json candidates build item2vec --train "$d/train.csv" $item2vec_args \
    -o "$d/item2vec.embed" > "$d/item2vec.build.json"
  # shellcheck disable=SC2086
  "$reco" --threads "$threads" --json candidates build hoprec --train "$d/train.csv" $hoprec_args \
    -o "$d/hoprec.embed" > "$d/hoprec.build.json"
  sources=(--source popular --source "cooc:$d/train.cooc" --source "cooc:$d/train_plain.cooc,name=cooc-plain" --source "pixie:$d/train.graph,steps=$steps"
           --source "embed:$d/item2vec.embed$item2vec_query,name=item2vec" --source "embed:$d/hoprec.embed,name=hoprec")
  "$reco" --threads "$threads" candidates eval --train "$d/train.csv" --test "$d/test.csv" "${sources[@]}" \
    --json > "$d/reco_eval.json"
  # Merge: HOP-Rec and co-occurrence interleaved by rank, quotas of the 100 slots (80+20 beat
  # 60 hoprec + 20 cooc + 20 pixie on ml100k; neither beats HOP-Rec alone there).
  read -r -a merge <<< "${MERGE:-"--source embed:$d/hoprec.embed,name=hoprec,quota=80 --source cooc:$d/train.cooc,quota=20"}"
  "$reco" --threads "$threads" candidates eval --train "$d/train.csv" --test "$d/test.csv" "${merge[@]}" --merge \
    --json > "$d/reco_merge.json"
  # shellcheck disable=SC2086
  /usr/bin/python3 "$here/baselines.py" --train "$d/train.csv" --test "$d/test.csv" --threads "$threads" $bpr_args \
    > "$d/baselines.json"
  echo "== $ds"
  /usr/bin/python3 - "$d" <<'PY'
import json, os, sys
d = sys.argv[1]
secs = {}
for name in ("item2vec", "hoprec"):
    secs[name] = json.load(open(os.path.join(d, name + ".build.json")))["report"]["seconds"]
rows = []
for f, tag in (("reco_eval.json", "reco"), ("reco_merge.json", "reco"), ("baselines.json", "python")):
    for r in json.load(open(os.path.join(d, f)))["results"]:
        if f == "reco_merge.json" and not r["source"].startswith("merge("):
            continue
        t = secs.get(r["source"], r.get("train_seconds", r.get("build_seconds")))
        rows.append((tag, r["source"], r["metrics"], r["users_evaluated"], t))
for tag, src, m, users, t in rows:
    ts = f"{t:8.2f}" if isinstance(t, (int, float)) else "       -"
    print(f"{tag:6s} {src:40s} R@20 {m['recall@20']:.4f}  R@50 {m['recall@50']:.4f}  N@50 {m['ndcg@50']:.4f}  "
          f"HR@50 {m['hr@50']:.4f}  cov@50 {m['coverage@50']:.3f}  users {users}  train_s {ts}")
PY
done
