#!/usr/bin/env bash
# Position-bias / calibration / COEC / Memboost-feature bars of issue 6 on `reco simulate` data.
# Usage: bench/run_position_bench.sh [WORK_DIR]   (default bench/results/position)
# Env: RECO (binary, default build/apps/reco/reco), SEEDS ("1 2 3"), IMPRESSIONS (2000000),
#      COEC_IMPRESSIONS (10000000), SWEEP_SEEDS ("1"), THREADS (2),
#      MB_COLD (0.15: Memboost-input dropout of model "mbcold", `memboost features --cold-fraction`; 0 = skip it),
#      SIM_CONFIG (simulator TOML for the per-seed logs, e.g. bench/sim/strong_popularity_bias.toml; default none),
#      DEBIAS_ONLY (1: only the position-bias models none/feature/feature_slice/tower/ipw — no Memboost,
#      calibration or COEC part).
# Writes per-seed JSON/CSV under WORK_DIR/seed<S>/ and the markdown report to WORK_DIR/report.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WORK="${1:-$ROOT/bench/results/position}"
R="${RECO:-$ROOT/build/apps/reco/reco}"
R="$(cd "$(dirname "$R")" && pwd)/$(basename "$R")"
SEEDS="${SEEDS:-1 2 3}"
SWEEP_SEEDS="${SWEEP_SEEDS:-1}"
IMPRESSIONS="${IMPRESSIONS:-2000000}"
COEC_IMPRESSIONS="${COEC_IMPRESSIONS:-10000000}"
THREADS="${THREADS:-2}"
MB_COLD="${MB_COLD:-0.15}"
SIM_CONFIG="${SIM_CONFIG:-}"
DEBIAS_ONLY="${DEBIAS_ONLY:-0}"
[ "$DEBIAS_ONLY" = 1 ] && MB_COLD=0
SIM_ARGS=()
[ -n "$SIM_CONFIG" ] && SIM_ARGS=(--config "$(cd "$(dirname "$SIM_CONFIG")" && pwd)/$(basename "$SIM_CONFIG")")
BASE="$ROOT/bench/sim/ranker_base.toml"
MB_DENSE='"mb_impressions", "mb_expected_click", "mb_click", "mb_coec_click", "mb_score", '
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
start=$(date +%s)
log() { echo "[$(( $(date +%s) - start ))s] $*" >&2; }

# config NAME [position table lines...]: base config on $DATA (default s.dataset), optional [position] table;
# models named mb* get the Memboost features.
config() {
  local name="$1"; shift
  sed "s/^path = .*/path = \"${DATA:-s.dataset}\"/" "$BASE" > "$name.toml"
  case "$name" in mb*) sed -i "s/^dense = \[/dense = [$MB_DENSE/" "$name.toml" ;; esac
  if [ $# -gt 0 ]; then printf '\n[position]\n' >> "$name.toml"; printf '%s\n' "$@" >> "$name.toml"; fi
}
# model NAME SEED: train NAME.toml, rank on $DATA's test day (--json, position both), keep the ranked lists.
model() {
  local name="$1" seed="$2"
  "$R" -q --threads "$THREADS" --seed "$seed" train --config "$name.toml" --out "$name.model" > "$name.train.log" 2>&1
  "$R" -q --threads "$THREADS" rank --model "$name.model" --data "${DATA:-s.dataset}" --relevance true_relevance --k 10 \
    --json --out "$name.ranked.csv" > "$name.rank.json"
}

for S in $SEEDS; do
  D="$WORK/seed$S"; mkdir -p "$D"; cd "$D"
  log "seed $S: simulate $IMPRESSIONS"
  "$R" -q --seed "$S" simulate "${SIM_ARGS[@]}" -o sim --impressions "$IMPRESSIONS" --downsample 0.25 > simulate.log 2>&1
  "$R" -q memboost priors --events sim/events.csv -o priors.json > priors.log 2>&1
  "$R" -q memboost features --events sim/events.csv --priors priors.json -o mb.csv > features.log 2>&1
  "$R" -q samples events --events sim/events.csv --truth sim/truth.csv --items sim/items.csv \
    --users sim/users.csv --features mb.csv -o s.dataset > samples.log 2>&1
  if [ "$MB_COLD" != 0 ]; then
    # Memboost-input dropout: the training rows of a seeded share of pairs carry an unseen pair's values
    # (validation/test rows are the same as in s.dataset, so the ranked test lists compare row for row).
    "$R" --json --seed "$S" memboost features --events sim/events.csv --priors priors.json \
      --cold-fraction "$MB_COLD" -o mbcold.csv > features_cold.json
    "$R" -q samples events --events sim/events.csv --truth sim/truth.csv --items sim/items.csv \
      --users sim/users.csv --features mbcold.csv -o scold.dataset > samples_cold.log 2>&1
  fi
  rm -f mb.csv mbcold.csv sim/events.csv
  config none;                                              model none "$S"
  config feature 'method = "feature"' 'dropout = 0.15';     model feature "$S"
  config tower 'method = "tower"' 'cross = "platform"' 'dropout = 0.1'; model tower "$S"
  # Dropout on the random slice only: id 0 then learns a rate whose position does not depend on the item.
  config feature_slice 'method = "feature"' 'dropout = 1.0' 'slice = "random_slice"'; model feature_slice "$S"
  config ipw 'method = "ipw"' 'slice = "random_slice"';     model ipw "$S"
  [ "$DEBIAS_ONLY" = 1 ] || { config mb;                   model mb "$S"; }
  if [ "$MB_COLD" != 0 ]; then DATA=scold.dataset config mbcold; DATA=scold.dataset model mbcold "$S"; fi
  log "seed $S: trained none/feature/tower/feature_slice/ipw/mb/mbcold"
  if [ "$DEBIAS_ONLY" != 1 ]; then
    config platt; printf '\n[calibration]\nmethod = "platt"\n' >> platt.toml
    "$R" -q --threads "$THREADS" --seed "$S" train --config platt.toml --out platt.model > platt.train.log 2>&1
    for m in none platt; do
      "$R" -q --threads "$THREADS" eval --model $m.model --data s.dataset --json > $m.eval.json
      "$R" -q --threads "$THREADS" predict --model $m.model --data s.dataset --split test --out $m.pred.csv
    done
  fi
  for S2 in $SWEEP_SEEDS; do
    [ "$S2" = "$S" ] || continue
    for dp in 0 0.05 0.3 0.5; do
      config "feature_d$dp" 'method = "feature"' "dropout = $dp"; model "feature_d$dp" "$S"
    done
    log "seed $S: dropout sweep done"
  done
  for f in feature feature_slice tower ipw feature_d*; do rm -f "$f.ranked.csv"; done
done

if [ "$DEBIAS_ONLY" != 1 ]; then
# COEC bar: priors of an all-random log (bench/sim/all_random.toml: no model effect) vs the true examination curve.
D="$WORK/coec"; mkdir -p "$D"; cd "$D"
S1="${SEEDS%% *}"
log "coec: simulate $COEC_IMPRESSIONS"
"$R" -q --seed "$S1" simulate --config "$ROOT/bench/sim/all_random.toml" -o sim --impressions "$COEC_IMPRESSIONS" \
  --downsample 0.25 > simulate.log 2>&1
"$R" -q memboost priors --events sim/events.csv --policy random -o priors_random.json > priors.log 2>&1
rm -f sim/events.csv sim/truth.csv
log "coec done"
fi

/usr/bin/python3 "$ROOT/bench/position_report.py" "$WORK" | tee "$WORK/report.md"
log "total"
