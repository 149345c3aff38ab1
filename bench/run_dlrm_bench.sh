#!/usr/bin/env bash
# DLRM speed benchmark (issue 4): `reco bench train` vs PyTorch (bench/torch_dlrm.py speed) on the
# DLRM paper's random-data configuration, alternated A B A B ... in the same run.
#   bench/run_dlrm_bench.sh [REPS=3]
# Environment knobs:
#   CONFIGS        "b128 b2048" (default); add "big" for dim 64 with 1M-row tables (~6.7 GB per side)
#   OURS_THREADS   2 (the issue's bar)       TORCH_THREADS  "1 2" (each rep runs all; the best counts)
#   TORCH_MODE     sparse | dense | both (torch's embedding gradients; sparse is its fast mode)
#   STEPS_128 / STEPS_2048 / STEPS_BIG, WARMUP   timed and untimed training steps per run
#   POOL           64: pre-generated random batches each side cycles (the same on both sides)
#   BUILD_DIR      build (reco binary at $BUILD_DIR/apps/reco/reco)   OUT  bench/results
#   PRECISION      fp32 (default) | bf16: reco's dense-layer GEMMs (bf16 inputs, fp32 accumulation,
#                  via oneDNN)
#   TORCH_PRECISIONS  "fp32" (default; idiomatic PyTorch) | "bf16" (forward and loss under
#                  torch.autocast bf16: the peer of PRECISION=bf16) | "fp32 bf16" (both, alternated
#                  in each rep; the table gets one block per peer precision)
#   RECO_SGEMM     openblas | onednn (reco's fp32 GEMM library, blas.h; default onednn when built in)
# Per rep: ours once, then torch once per (threads, mode); per-rep ratio = ours / torch's best in
# that rep. The table shows medians over reps. Raw JSON lines: $OUT/dlrm_pairs.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-3}"
BUILD_DIR="${BUILD_DIR:-build}"
reco="$BUILD_DIR/apps/reco/reco"
out="${OUT:-bench/results}"; mkdir -p "$out"
configs="${CONFIGS:-b128 b2048}"
ours_threads="${OURS_THREADS:-2}"
precision="${PRECISION:-fp32}"
torch_threads="${TORCH_THREADS:-1 2}"
torch_precisions="${TORCH_PRECISIONS:-fp32}"
for tp in $torch_precisions; do
  case "$tp" in fp32|bf16) ;; *) echo "TORCH_PRECISIONS: fp32 and/or bf16, not '$tp'" >&2; exit 2 ;; esac
done
case "${TORCH_MODE:-sparse}" in
  sparse) modes="--sparse-grad" ;; dense) modes="--dense-grad" ;; both) modes="--sparse-grad --dense-grad" ;;
  *) echo "TORCH_MODE must be sparse, dense or both" >&2; exit 2 ;;
esac
warmup="${WARMUP:-20}"
[ -f bench/torch_env.sh ] && source bench/torch_env.sh
py=/usr/bin/python3

# name -> flags shared by both sides (the same model, data shape, optimizer and seed)
config_flags() {
  # --pool: both sides cycle the same number of pre-generated batches (until stop 19 reco used its
  # default 16 against the peer's 64: fewer distinct embedding rows, warmer caches for reco)
  local common="--dense 13 --sparse 26 --top 512-256-1 --lr 0.01 --seed 42 --warmup $warmup --pool ${POOL:-64}"
  case "$1" in
    b128)  echo "$common --rows 100000 --dim 16 --bottom 512-256-64-16 --batch 128 --steps ${STEPS_128:-600}" ;;
    b2048) echo "$common --rows 100000 --dim 16 --bottom 512-256-64-16 --batch 2048 --steps ${STEPS_2048:-60}" ;;
    big)   echo "$common --rows 1000000 --dim 64 --bottom 512-256-64 --batch 2048 --steps ${STEPS_BIG:-30}" ;;
    *) echo "unknown config $1 (b128, b2048, big)" >&2; exit 2 ;;
  esac
}

# Our side: the same flags (reco's global --threads/--seed/--json are accepted after the
# subcommand too). Prints one JSON line, or nothing when the command fails.
run_ours() {
  local flags="$1" json
  if json=$("$reco" --quiet bench train $flags --precision "$precision" --threads "$ours_threads" --json 2> "$out/ours.err") \
      && echo "$json" | $py -c 'import json,sys; json.loads(sys.stdin.read())["train_samples_per_s"]' 2>/dev/null; then
    echo "$json" | $py -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())))'
  fi
}

# (`reco bench train --help` exits 0 even without the subcommand, so the first real run decides)
ours_ok=1
if [ ! -x "$reco" ]; then
  echo "note: $reco is not built: running PyTorch only" >&2
  ours_ok=0
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "reco precision: $precision (fp32 GEMM library: ${RECO_SGEMM:-default}); torch precisions: $torch_precisions"
echo "load before: $(uptime | sed 's/.*load average: //')"
results="$out/dlrm_pairs.jsonl"; : > "$results"
for cfg in $configs; do
  flags=$(config_flags "$cfg")
  for ((rep = 1; rep <= reps; rep++)); do
    ours="null"
    if [ "$ours_ok" = 1 ]; then
      ours=$(run_ours "$flags")
      if [ -z "$ours" ]; then
        echo "note: '$reco bench train' failed ($(tail -c 300 "$out/ours.err" | tr '\n' ' ')): skipping our side"
        ours_ok=0; ours="null"
      fi
    fi
    if [ "$ours" != null ]; then
      echo "$cfg rep $rep: ours: $(echo "$ours" | $py -c 'import json,sys; d=json.load(sys.stdin); print(d["train_samples_per_s"], "train/s,", d["infer_samples_per_s"], "infer/s")')"
    fi
    for tp in $torch_precisions; do
      cast=""; [ "$tp" = bf16 ] && cast="--autocast-bf16"
      for t in $torch_threads; do
        for mode in $modes; do
          # the blas check (a timed 4096^2 sgemm) runs once per config and thread count, not every rep
          check="--no-blas-check"
          if [ "$rep" = 1 ] && [ "$mode" = "${modes%% *}" ] && [ "$tp" = "${torch_precisions%% *}" ]; then check=""; fi
          peer=$($py bench/torch_dlrm.py speed $flags --threads "$t" $mode $cast $check)
          echo "{\"config\": \"$cfg\", \"torch_precision\": \"$tp\", \"rep\": $rep, \"ours\": $ours, \"torch\": $peer}" >> "$results"
          echo "$cfg rep $rep: torch $tp threads $t $mode: $(echo "$peer" | $py -c 'import json,sys; d=json.load(sys.stdin); print(d["train_samples_per_s"], "train/s,", d["infer_samples_per_s"], "infer/s")')"
        done
      done
    done
  done
  echo "load after $cfg: $(uptime | sed 's/.*load average: //')"
done
echo "load after: $(uptime | sed 's/.*load average: //')"

$py - "$results" <<'PY'
import collections, json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
med = statistics.median
by_cfg = collections.OrderedDict()
for r in rows:
    # one block per (config, peer precision): the per-rep best is taken within a precision
    name = r["config"] + ("" if r.get("torch_precision", "fp32") == "fp32" else "/t-bf16")
    by_cfg.setdefault(name, collections.defaultdict(list))[r["rep"]].append(r)

def fmt(x):
    return "-" if x is None else f"{x:,.0f}"

print()
print("samples/s, medians over reps; torch = best of its thread counts and modes in each rep")
print("(a config marked /t-bf16 compares against PyTorch under torch.autocast bf16)")
print(f"{'config':12} {'what':6} {'ours':>10} {'torch':>10} {'ratio':>7}  per-rep ratios; torch's best variant (reps)")
for cfg, reps in by_cfg.items():
    for what in ("train", "infer"):
        key = f"{what}_samples_per_s"
        ours, best, ratios, winners = [], [], [], collections.Counter()
        for rep, runs in sorted(reps.items()):
            top = max(runs, key=lambda r: r["torch"][key])
            best.append(top["torch"][key])
            winners[f"{top['torch']['threads']}t {top['torch']['mode'].replace('_grad', '')}"] += 1
            if runs[0]["ours"] is not None:
                ours.append(runs[0]["ours"][key])
                ratios.append(ours[-1] / best[-1])
        ratio = f"{med(ratios):.2f}x" if ratios else "-"
        print(f"{cfg:12} {what:6} {fmt(med(ours) if ours else None):>10} {fmt(med(best)):>10} {ratio:>7}  "
              f"{[round(x, 2) for x in ratios]}; {', '.join(f'{k} ({n})' for k, n in winners.most_common())}")
    # every torch variant separately, so the choice of its best is visible
    variants = collections.defaultdict(list)
    for runs in reps.values():
        for r in runs:
            variants[(r["torch"]["threads"], r["torch"]["mode"])].append(r["torch"])
    sgemm = {r["torch"]["threads"]: r["torch"]["blas"]["gflops"]
             for runs in reps.values() for r in runs if r["torch"].get("blas")}
    for (t, mode), runs in sorted(variants.items()):
        blas = sgemm.get(t)
        print(f"  torch {t} thread(s) {mode}: train {fmt(med(r['train_samples_per_s'] for r in runs))}, "
              f"infer {fmt(med(r['infer_samples_per_s'] for r in runs))}, "
              f"~{med(r['train_gflop_per_s_est'] for r in runs):.1f} GFLOP/s in training, "
              f"sgemm {blas} GFLOP/s, peak RSS {max(r['peak_rss_mb'] for r in runs):.0f} MB")
PY
