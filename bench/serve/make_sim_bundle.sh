#!/usr/bin/env bash
# Builds a serving bundle from a simulated engagement log, end to end through the CLI:
#   simulate -> Memboost priors, point-in-time features and store -> ranking samples -> 4-head
#   ranker (position tower) -> interactions (engaged impressions) -> Pixie graph + co-occurrence
#   -> reco bundle build.
# Usage: bench/serve/make_sim_bundle.sh WORK [IMPRESSIONS] [RECO]
# Leaves WORK/bundle (the bundle) and WORK/sim (the log). Deterministic for a fixed seed.
set -euo pipefail
WORK=${1:?usage: make_sim_bundle.sh WORK [IMPRESSIONS] [RECO]}
IMPRESSIONS=${2:-300000}
RECO=${3:-build/apps/reco/reco}
mkdir -p "$WORK"
R="$RECO -q --seed 7 --threads 2"
$R simulate -o "$WORK/sim" --impressions "$IMPRESSIONS" --items 5000 --users 3000 --downsample 0.5
$R memboost priors --events "$WORK/sim/events.csv" -o "$WORK/priors.json"
$R memboost features --events "$WORK/sim/events.csv" --priors "$WORK/priors.json" -o "$WORK/mb.csv"
rm -rf "$WORK/memboost"
$R memboost update --store "$WORK/memboost" --events "$WORK/sim/events.csv" --priors "$WORK/priors.json"
$R samples events --events "$WORK/sim/events.csv" --truth "$WORK/sim/truth.csv" --items "$WORK/sim/items.csv" \
  --users "$WORK/sim/users.csv" --features "$WORK/mb.csv" -o "$WORK/samples.dataset"
cat > "$WORK/ranker.toml" <<'TOML'
[data]
path = "samples.dataset"
eval = "validation"
dense = ["item_quality", "item_log_popularity", "user_activity", "match_query_category", "match_user_category",
         "match_query_locale", "match_user_locale", "mb_impressions", "mb_click", "mb_expected_click", "mb_coec_click",
         "mb_score"]
sparse = ["platform", "locale", "item_category", "item_locale", "user_top_category", "query_category"]
[[task]]
name = "closeup"
label = "closeup"
[[task]]
name = "click"
label = "click"
[[task]]
name = "long_click"
label = "long_click"
[[task]]
name = "save"
label = "save"
[model]
kind = "mlp"
head = "shared_bottom"
embedding_dim = 8
shared = [64, 32]
tower = [16, 1]
[position]
method = "tower"
cross = "platform"
[optimizer]
kind = "lazy_adam"
lr = 0.002
[train]
batch_size = 512
epochs = 2
metrics = ["auc"]
[calibration]
method = "platt"
[utility]
weights = { closeup = 1, click = 2, long_click = 4, save = 4 }
TOML
$R train --config "$WORK/ranker.toml" --out "$WORK/ranker.model"
# Interactions: every impression with at least one engagement (user, item, 1, timestamp).
awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) { col[$i] = i; if ($i == "dwell") last = i - 1 } ; print "user,item,weight,timestamp"; next }
         { e = 0; for (i = col["policy"] + 1; i <= last; ++i) e += $i; if (e > 0) print $col["user_id"] "," $col["item_id"] ",1," $col["timestamp"] }' \
  "$WORK/sim/events.csv" > "$WORK/interactions.csv"
$R candidates build graph --edges "$WORK/interactions.csv" -o "$WORK/sim.graph"
$R candidates build cooc --graph "$WORK/sim.graph" -o "$WORK/sim.cooc"
$R bundle build --model "$WORK/ranker.model" --dataset "$WORK/samples.dataset" --interactions "$WORK/interactions.csv" \
  --source "pixie:$WORK/sim.graph,steps=20000,quota=400" --source "cooc:$WORK/sim.cooc,quota=400" --source popular,quota=200 \
  --priors "$WORK/priors.json" --memboost-store "$WORK/memboost" --name sim --force -o "$WORK/bundle"
