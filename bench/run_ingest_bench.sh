#!/usr/bin/env bash
# Ingestion benchmark (issue 3): reco ingest vs pandas.read_csv on the same 1M-row Criteo TSV,
# one thread each, alternated A B A B ... (docs/benchmarks.md records the results), then a full
# scan of the binary dataset vs parsing the text.
#   bench/run_ingest_bench.sh [ROWS=1000000] [PAIRS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"; pairs="${2:-5}"
BUILD_DIR="${BUILD_DIR:-build}"
reco="$BUILD_DIR/apps/reco/reco"; scan="$BUILD_DIR/bench/reco_bench_dataset_scan"
work="${WORK:-bench/results}"; mkdir -p "$work"
tsv="$work/criteo_${rows}.tsv"; ds="$work/criteo_${rows}.dataset"
[ -f "$tsv" ] || bash bench/make_criteo_tsv.sh "$tsv" "$rows"
cores=$(nproc)
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$tsv" > /dev/null  # warm the page cache for both
results="$work/ingest_pairs.jsonl"; : > "$results"
for ((i = 1; i <= pairs; i++)); do
  a=$( { /usr/bin/time -f '%e %M' "$reco" --threads 1 --quiet --json ingest --format criteo-tsv "$tsv" -o "$ds" > "$work/ingest.json"; } 2>&1 | tail -1)
  b=$(/usr/bin/python3 bench/pandas_read_csv.py "$tsv")
  echo "{\"pair\": $i, \"reco_wall\": ${a% *}, \"reco_maxrss_kb\": ${a#* }, \"pandas\": $b, \"reco\": $(/usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$work/ingest.json")}" >> "$results"
  echo "pair $i: reco ${a% *} s, pandas $(echo "$b" | /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["seconds"],3))') s"
done
scan_json=$("$scan" "$ds" --runs 5)
scan_noverify=$("$scan" "$ds" --runs 5 --no-verify)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$results" "$scan_json" "$scan_noverify" <<'PY'
import json, statistics, sys
pairs = [json.loads(l) for l in open(sys.argv[1])]
scan = json.loads(sys.argv[2]); scan_nv = json.loads(sys.argv[3])
reco = [p["reco_wall"] for p in pairs]; pandas = [p["pandas"]["seconds"] for p in pairs]
parse = [p["reco"]["report"]["parse_seconds"] for p in pairs]
ratios = [b / a for a, b in zip(reco, pandas)]
text_bytes = pairs[0]["reco"]["report"]["text_bytes"]
print(f"reco ingest (whole command, 1 thread): median {statistics.median(reco):.3f} s  runs {reco}")
print(f"  of which parsing: median {statistics.median(parse):.3f} s = {text_bytes/statistics.median(parse)/1e6:.0f} MB/s")
print(f"pandas.read_csv {pairs[0]['pandas']['pandas']}: median {statistics.median(pandas):.3f} s  runs {[round(x,3) for x in pandas]}")
print(f"speedup pandas/reco per pair: {[round(r,2) for r in ratios]}  median {statistics.median(ratios):.2f}x")
print(f"binary full scan (checksums verified): median {scan['seconds']:.4f} s; without verification {scan_nv['seconds']:.4f} s")
print(f"scan speedup vs reco parse: {statistics.median(parse)/scan['seconds']:.1f}x (verified), "
      f"{statistics.median(parse)/scan_nv['seconds']:.1f}x (unverified); vs whole ingest {statistics.median(reco)/scan['seconds']:.1f}x")
PY
