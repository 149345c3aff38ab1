#!/usr/bin/env bash
# Multi-task benchmark (issue 5): reco's MMoE and shared-bottom vs PyTorch (bench/torch_mmoe.py)
# on UCI census-income (KDD) and UCI adult, the same dataset files, split, architecture,
# optimizer, epochs and seeds.
#   bench/run_mmoe_bench.sh [SEEDS="1 2 3"]
#
# Data (DATA_DIR, default ../shared/data), ingested into bench/results/ (git-ignored) each run:
#   census  census-kdd preset on census-income-kdd/census-income.test.gz (the complete official test
#           file, 99,762 rows; the train file is not available), split index-mod:10:8,1: row index
#           % 10 < 8 train, == 8 validation, == 9 test (the issue's split).
#   adult   adult preset on uci-adult/adult.data then uci-adult/adult.test in ONE ingest call
#           (32,561 + 16,281 rows in that order), the same index-mod:10:8,1 split over the combined
#           rows: the official train/test boundary is not used, so both datasets get the same
#           80/10/10 protocol by row index.
# Tasks: income (> 50k) and never-married; marital status is not a feature.
#
# Per dataset, model and seed S (sides alternate order from seed to seed):
#   ours   reco --threads $OURS_THREADS --seed S train --config bench/<ds>_<model>.toml --json
#          then reco eval --split test and --split validation (metrics "<task>/auc");
#          train seconds = sum of the epochs' seconds (training only, not the per-epoch eval)
#   torch  bench/torch_mmoe.py with flags read from the same TOML config, --seed S, once per
#          thread count in TORCH_THREADS and embedding optimizer in TORCH_EMB_OPT; per seed the
#          fastest run counts (its AUC is reported). TORCH_EMB_OPT: adam (default: dense embedding
#          gradients + torch.optim.Adam, torch's faster mode on these small tables) and/or
#          sparse_adam (SparseAdam on sparse gradients: reco's lazy_adam rule exactly).
# Table: per task mean test AUC over seeds (ours, torch, diff; bar: diff >= -0.002) and median
# train seconds (ours, torch best) with the median of the per-seed ratios torch/ours (bar: >= 3).
# Raw JSON lines: $OUT/mmoe_runs.jsonl.
# Environment knobs:
#   BUILD_DIR (build; reco at $BUILD_DIR/apps/reco/reco)  OUT (bench/results)  DATA_DIR
#   DATASETS "census adult"  MODELS "mmoe shared_bottom"  OURS_THREADS 2  TORCH_THREADS "1 2"
#   TORCH_EMB_OPT "adam" (or "adam sparse_adam")
#   TORCH_ONLY=1 skips our training (ingest still uses reco)   EPOCHS overrides both sides' epochs
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1 2 3}"
BUILD_DIR="${BUILD_DIR:-build}"
reco="$BUILD_DIR/apps/reco/reco"
out="${OUT:-bench/results}"; mkdir -p "$out"
data_dir="${DATA_DIR:-../shared/data}"
datasets="${DATASETS:-census adult}"
models="${MODELS:-mmoe shared_bottom}"
ours_threads="${OURS_THREADS:-2}"
torch_threads="${TORCH_THREADS:-1 2}"
torch_emb_opt="${TORCH_EMB_OPT:-adam}"
split="index-mod:10:8,1"
[ -f bench/torch_env.sh ] && source bench/torch_env.sh
py=/usr/bin/python3

if [ ! -x "$reco" ]; then
  echo "error: $reco is not built (cmake --build $BUILD_DIR --target reco); it ingests the data" >&2
  exit 1
fi

ingest() {  # name -> writes $out/<name>.dataset
  case "$1" in
    census) "$reco" --quiet ingest --format census-kdd --split "$split" -o "$out/census.dataset" \
              "$data_dir/census-income-kdd/census-income.test.gz" ;;
    adult)  "$reco" --quiet ingest --format adult --split "$split" -o "$out/adult.dataset" \
              "$data_dir/uci-adult/adult.data" "$data_dir/uci-adult/adult.test" ;;
    *) echo "unknown dataset $1 (census, adult)" >&2; exit 2 ;;
  esac
}

# The PyTorch flags for one config, read from the TOML (Python 3.11 tomllib) so both sides
# always train the same architecture; prints the flags, or exits non-zero naming the problem.
torch_flags() {
  $py - "$1" "${EPOCHS:-}" <<'PY'
import os, sys, tomllib
path, epochs = sys.argv[1], sys.argv[2]
cfg = tomllib.load(open(path, "rb"))
base = os.path.dirname(path)
d, m, o, t = cfg["data"], cfg["model"], cfg.get("optimizer", {}), cfg.get("train", {})
tasks = cfg["task"]
if m.get("kind", "mlp") != "mlp":
    sys.exit(f"{path}: model.kind must be mlp for the torch peer")
if o.get("kind") not in ("adam", "lazy_adam"):
    sys.exit(f"{path}: optimizer.kind must be adam or lazy_adam for the torch peer")
for key, want in (("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8), ("weight_decay", 0.0)):
    if float(o.get(key, want)) != want:
        sys.exit(f"{path}: optimizer.{key} = {o[key]}; the torch peer uses {want}")
sizes = lambda xs: "-".join(str(int(x)) for x in xs)
cols = lambda xs: "*" if list(xs) == ["*"] else ",".join(xs)
flags = [
    "--data", os.path.normpath(os.path.join(base, d["path"])),
    "--model", m["head"],
    "--tasks", ",".join(x["label"] for x in tasks),
    "--loss-weights", ",".join(str(float(x.get("loss_weight", 1.0))) for x in tasks),
    "--dense", cols(d.get("dense", ["*"])), "--sparse", cols(d.get("sparse", ["*"])),
    "--embedding-dim", str(m["embedding_dim"]),
    "--tower", sizes(m["tower"]),
    "--lr", str(o["lr"]),
    "--batch-size", str(t.get("batch_size", 128)),
    "--epochs", epochs or str(t.get("epochs", 1)),
]
if m["head"] == "mmoe":
    flags += ["--experts", str(m["experts"]), "--expert", sizes(m["expert"])]
else:
    flags += ["--shared", sizes(m["shared"])]
print(" ".join(f"'{f}'" for f in flags))
PY
}

task_names() {  # config -> "name=label ..." in task order
  $py - "$1" <<'PY'
import sys, tomllib
print(" ".join(t["name"] + "=" + t["label"] for t in tomllib.load(open(sys.argv[1], "rb"))["task"]))
PY
}

# Our side: one JSON line {"train_seconds", "test_auc": {task: auc}, "val_auc": {...}, ...},
# or nothing when a step fails (the error goes to $out/ours.err).
run_ours() {
  local ds="$1" model="$2" seed="$3" cfg="bench/$1_$2.toml"
  local model_file="$out/${ds}_${model}_s${seed}.model" epochs_flag=() train test val
  [ -n "${EPOCHS:-}" ] && epochs_flag=(--epochs "$EPOCHS")
  train=$("$reco" --quiet --threads "$ours_threads" --seed "$seed" train --config "$cfg" \
            --out "$model_file" "${epochs_flag[@]}" --json 2> "$out/ours.err") || return 0
  test=$("$reco" --quiet --threads "$ours_threads" eval --model "$model_file" --data "$out/$ds.dataset" \
           --split test --metrics auc --json 2>> "$out/ours.err") || return 0
  val=$("$reco" --quiet --threads "$ours_threads" eval --model "$model_file" --data "$out/$ds.dataset" \
          --split validation --metrics auc --json 2>> "$out/ours.err") || return 0
  $py - "$(task_names "$cfg")" "$train" "$test" "$val" <<'PY' 2>> "$out/ours.err" || true
import json, sys
names = [pair.split("=", 1)[0] for pair in sys.argv[1].split()]
train, test, val = (json.loads(x) for x in sys.argv[2:5])

def auc(report, task):
    # reco eval --json: metrics at the top level (or under "metrics"), "<task>/auc" per head
    for scope in (report, report.get("metrics", {})):
        if f"{task}/auc" in scope:
            return scope[f"{task}/auc"]
    raise KeyError(f"no '{task}/auc' in reco eval output (keys: {', '.join(report)})")

epochs = train["epochs"]
seconds = sum(e["seconds"] for e in epochs)
samples = sum(e["samples"] for e in epochs)
print(json.dumps({"train_seconds": round(seconds, 3), "samples_per_s": round(samples / seconds, 1),
                  "epochs": len(epochs), "parameters": train.get("parameters"),
                  "test_auc": {t: auc(test, t) for t in names}, "val_auc": {t: auc(val, t) for t in names}}))
PY
}

# The peer: one JSON line re-keyed by task name, or exits the script on failure.
run_torch() {
  local ds="$1" model="$2" seed="$3" threads="$4" emb_opt="$5" cfg="bench/$1_$2.toml" flags json
  flags=$(torch_flags "$cfg")
  json=$(eval "$py bench/torch_mmoe.py $flags --seed $seed --threads $threads --embedding-optimizer $emb_opt")
  $py - "$(task_names "$cfg")" "$json" <<'PY'
import json, sys
pairs = [p.split("=", 1) for p in sys.argv[1].split()]
r = json.loads(sys.argv[2])
r["test_auc"] = {name: r["test_auc"][label] for name, label in pairs}
r["val_auc"] = {name: r["val_auc"][label] for name, label in pairs}
r["embedding_optimizer"] = r["config"]["optimizer"]["embeddings"]
for key in ("validation", "test", "epochs", "config"):
    r.pop(key, None)
print(json.dumps(r))
PY
}

load() { uptime | sed 's/.*load average: //'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(load)"
for ds in $datasets; do
  ingest "$ds"
  $py bench/reco_dataset.py "$out/$ds.dataset" | $py -c '
import json, sys
d = json.load(sys.stdin)
print(sys.argv[1] + ":", d["rows"], "rows, split train/validation/test", d["split_counts"], "labels", d["labels"])' "$ds"
done

ours_ok=1
[ "${TORCH_ONLY:-0}" = 1 ] && ours_ok=0
results="$out/mmoe_runs.jsonl"; : > "$results"
record() {  # dataset model seed side threads json
  echo "{\"dataset\": \"$1\", \"model\": \"$2\", \"seed\": $3, \"side\": \"$4\", \"threads\": $5, \"result\": $6}" >> "$results"
}
summary() {  # run JSON -> "task auc ... | seconds"
  $py - "$1" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(" ".join(f"{k} {v:.4f}" for k, v in r["test_auc"].items()), "| %.2f s" % r["train_seconds"])
PY
}

i=0
for ds in $datasets; do
  for model in $models; do
    for seed in $seeds; do
      i=$((i + 1))
      sides="ours torch"; [ $((i % 2)) = 0 ] && sides="torch ours"   # A B, B A, ...
      for side in $sides; do
        if [ "$side" = ours ]; then
          [ "$ours_ok" = 1 ] || continue
          json=$(run_ours "$ds" "$model" "$seed")
          if [ -z "$json" ]; then
            echo "note: reco train/eval failed ($(tail -c 400 "$out/ours.err" | tr '\n' ' ')): torch only from here"
            ours_ok=0; continue
          fi
          record "$ds" "$model" "$seed" ours "$ours_threads" "$json"
          echo "$ds $model seed $seed: ours ($ours_threads threads): $(summary "$json")"
        else
          for t in $torch_threads; do
            for opt in $torch_emb_opt; do
              json=$(run_torch "$ds" "$model" "$seed" "$t" "$opt")
              record "$ds" "$model" "$seed" torch "$t" "$json"
              echo "$ds $model seed $seed: torch ($t thread(s), $opt): $(summary "$json")"
            done
          done
        fi
      done
    done
    echo "load after $ds $model: $(load)"
  done
done
echo "load after: $(load)"

$py - "$results" <<'PY'
import collections, json, statistics, sys

runs = [json.loads(line) for line in open(sys.argv[1])]
mean, med = statistics.mean, statistics.median
groups = collections.OrderedDict()
for r in runs:
    groups.setdefault((r["dataset"], r["model"]), collections.defaultdict(dict)).setdefault(r["seed"], {}) \
        .setdefault(r["side"], []).append(r)

def fmt(x, spec):
    width = int("".join(c for c in spec.split(".")[0] if c.isdigit()) or 0)
    return "-".rjust(width) if x is None else format(x, spec)

print()
print("test AUC: mean over seeds (bar: ours - torch >= -0.002); train seconds: median over seeds, "
      "torch = its faster thread count per seed (bar: torch/ours >= 3)")
print(f"{'dataset':7} {'model':13} {'task':14} {'ours':>7} {'torch':>7} {'diff':>8} {'sd torch':>8}  "
      f"{'ours s':>7} {'torch s':>7} {'ratio':>6}  torch threads (seeds)")
for (ds, model), by_seed in groups.items():
    ours_s, torch_s, ratios, winners = [], [], [], collections.Counter()
    auc = collections.defaultdict(lambda: {"ours": [], "torch": []})
    for seed, sides in sorted(by_seed.items()):
        best = min(sides.get("torch", []), key=lambda r: r["result"]["train_seconds"], default=None)
        ours = sides.get("ours", [None])[0]
        if best:
            torch_s.append(best["result"]["train_seconds"])
            winners[f'{best["threads"]}t {best["result"]["embedding_optimizer"]}'] += 1
            for task, v in best["result"]["test_auc"].items():
                auc[task]["torch"].append(v)
        if ours:
            ours_s.append(ours["result"]["train_seconds"])
            for task, v in ours["result"]["test_auc"].items():
                auc[task]["ours"].append(v)
            if best:
                ratios.append(best["result"]["train_seconds"] / ours["result"]["train_seconds"])
    params = {side: sorted({r["result"].get("parameters") for runs in by_seed.values() for r in runs.get(side, [])},
                           key=str) for side in ("ours", "torch")}
    for k, (task, v) in enumerate(auc.items()):
        o = mean(v["ours"]) if v["ours"] else None
        t = mean(v["torch"]) if v["torch"] else None
        sd = statistics.stdev(v["torch"]) if len(v["torch"]) > 1 else None
        diff = o - t if o is not None and t is not None else None
        speed = ""
        if k == 0:
            speed = (f"{fmt(med(ours_s) if ours_s else None, '7.2f')} {fmt(med(torch_s) if torch_s else None, '7.2f')} "
                     + (f"{med(ratios):5.2f}x " if ratios else "    -  ")
                     + ", ".join(f"{n} ({c})" for n, c in winners.most_common()))
        print(f"{ds:7} {model:13} {task:14} {fmt(o, '7.4f')} {fmt(t, '7.4f')} {fmt(diff, '+8.4f')} "
              f"{fmt(sd, '8.4f')}  {speed}")
    print(f"{'':7} {'':13} parameters: ours {params['ours'] or '-'}, torch {params['torch'] or '-'}")
PY
