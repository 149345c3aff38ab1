#!/usr/bin/env bash
# Load tests of `reco serve` (issue 9 "Bars"), loopback only, bounded in time (~7 minutes):
#   1. latency   POST /v1/recommend (1000 candidates ranked by the 4-head model), --workers 1 and 2,
#                closed-loop wrk at concurrency = workers, WARM s warm-up + DUR s, REPS alternating
#                repetitions (w1 w2 w1 w2 ...), medians; the server's own per-stage p50/p99 from the
#                difference of two GET /v1/stats snapshots (warm-up excluded)
#   2. ranking   POST /v1/score with 1000 known items, --workers 1: rows/s = 1000 / (features + rank)
#   3. throughput wrk TPUT_CONF for TPUT_DUR s against --workers 2: zero non-200, zero socket errors
#   4. reload    wrk (one connection per thread) for RELOAD_DUR s against --workers 2 while 20 admin
#                reloads alternate bundle B / bundle A: zero failed requests, only the two versions,
#                both served, no connection sees more version changes than there were reloads
# Usage: bench/serve/run_load.sh WORK [RECO_BINARY]
#   Builds WORK/bundle (make_sim_bundle.sh, 300000 impressions) and WORK/bundleB (same inputs,
#   --name simB) when missing. Raw outputs go to WORK/load/, the summary to WORK/load.json.
#   Env: DUR (30) WARM (5) REPS (3) TPUT_DUR (60) TPUT_CONF ("-t2 -c8") RELOAD_DUR (60)
#        RELOAD_CONNS (4) RELOADS (20) STEPS (what to run: "latency score throughput reload").
# Exit status 0 only when every check passed.
set -euo pipefail
WORK=${1:?usage: run_load.sh WORK [RECO_BINARY]}
RECO=${2:-build/apps/reco/reco}
HERE=$(cd "$(dirname "$0")" && pwd)
DUR=${DUR:-30}
WARM=${WARM:-5}
REPS=${REPS:-3}
TPUT_DUR=${TPUT_DUR:-60}
TPUT_CONF=${TPUT_CONF:--t2 -c8}
RELOAD_DUR=${RELOAD_DUR:-60}
RELOAD_CONNS=${RELOAD_CONNS:-4}
RELOADS=${RELOADS:-20}
STEPS=${STEPS:-latency score throughput reload}
PY=/usr/bin/python3
command -v wrk > /dev/null || { echo "run_load.sh: wrk not found (Debian package wrk)" >&2; exit 2; }
[ -x "$RECO" ] || { echo "run_load.sh: $RECO is not an executable reco binary" >&2; exit 2; }
RECO=$(cd "$(dirname "$RECO")" && pwd)/$(basename "$RECO")
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
L=$WORK/load
rm -rf "$L"
mkdir -p "$L"

# --- bundles -------------------------------------------------------------------------------------
if [ ! -f "$WORK/bundle/bundle.json" ]; then
  echo "== building bundle A (make_sim_bundle.sh, 300000 impressions)"
  bash "$HERE/make_sim_bundle.sh" "$WORK" 300000 "$RECO"
fi
if [ ! -f "$WORK/bundleB/bundle.json" ]; then
  echo "== building bundle B (same inputs, --name simB)"
  # The same command as make_sim_bundle.sh's last step; only the name (hence the version) differs.
  "$RECO" -q --seed 7 --threads 2 bundle build --model "$WORK/ranker.model" --dataset "$WORK/samples.dataset" \
    --interactions "$WORK/interactions.csv" \
    --source "pixie:$WORK/sim.graph,steps=20000,quota=400" --source "cooc:$WORK/sim.cooc,quota=400" \
    --source popular,quota=200 --priors "$WORK/priors.json" --memboost-store "$WORK/memboost" \
    --name simB --force -o "$WORK/bundleB" > /dev/null
fi
version_of() { sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$1/bundle.json" | head -1; }
VA=$(version_of "$WORK/bundle")
VB=$(version_of "$WORK/bundleB")
[ -n "$VA" ] && [ -n "$VB" ] && [ "$VA" != "$VB" ] || { echo "run_load.sh: bundle versions '$VA' '$VB'" >&2; exit 1; }
printf '{"a": "%s", "b": "%s"}\n' "$VA" "$VB" > "$L/versions.json"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$L/token"
chmod 600 "$L/token"
printf '{"started": "%s", "host": "%s", "nproc": %s, "uptime_before": "%s", "reco": "%s", "dur": %s, "warm": %s, "reps": %s}\n' \
  "$(date -u +%FT%TZ)" "$(hostname)" "$(nproc)" "$(uptime | sed 's/.*load average: //')" "$RECO" "$DUR" "$WARM" \
  "$REPS" > "$L/meta.json"

# --- server lifecycle ----------------------------------------------------------------------------
SERVER_PID=""
PORT=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2> /dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2> /dev/null; then
    echo "run_load.sh: server $SERVER_PID did not stop on SIGTERM within 10 s; SIGKILL" >&2
    kill -KILL "$SERVER_PID" 2> /dev/null || true
  fi
  wait "$SERVER_PID" 2> /dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT
# start_server NAME WORKERS [extra serve args]: ephemeral port, waits (bounded) for the --json
# readiness line and GET /readyz 200.
start_server() {
  local name=$1 workers=$2
  shift 2
  "$RECO" --json serve --bundle "$WORK/bundle" --state "$L/state-$name" --port 0 --workers "$workers" --no-page "$@" \
    > "$L/server-$name.out" 2> "$L/server-$name.err" &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 600); do
    PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$L/server-$name.out")
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2> /dev/null || break
    sleep 0.1
  done
  if [ -z "$PORT" ] || [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" != 200 ]; then
    echo "run_load.sh: server $name did not become ready:" >&2
    cat "$L/server-$name.err" >&2
    exit 1
  fi
}
URL() { echo "http://127.0.0.1:$PORT"; }
stats() { curl -sf "$(URL)/v1/stats" > "$1"; }

echo "== uptime before: $(uptime)"
ps -eo pcpu,comm --sort=-pcpu | head -6 > "$L/top_before.txt"

# --- 1. latency ----------------------------------------------------------------------------------
if [[ " $STEPS " == *" latency "* ]]; then
  for r in $(seq "$REPS"); do
    for w in 1 2; do
      echo "== latency rep $r, --workers $w (wrk -t1 -c$w, ${WARM}s warm-up + ${DUR}s)"
      start_server "lat$w" "$w"
      wrk -t1 -c"$w" -d"${WARM}s" --timeout 5s -s "$HERE/recommend.lua" "$(URL)" > "$L/lat_w${w}_r${r}.warm"
      stats "$L/lat_w${w}_r${r}.before.json"
      wrk -t1 -c"$w" -d"${DUR}s" --timeout 5s -s "$HERE/recommend.lua" "$(URL)" > "$L/lat_w${w}_r${r}.wrk"
      stats "$L/lat_w${w}_r${r}.after.json"
      stop_server
      grep '^RESULT' "$L/lat_w${w}_r${r}.wrk"
    done
  done
fi

# --- 2. ranking stage alone ----------------------------------------------------------------------
if [[ " $STEPS " == *" score "* ]]; then
  echo "== ranking stage: POST /v1/score, 1000 items, --workers 1"
  start_server score 1
  $PY "$HERE/loadtool.py" score-bench "$(URL)" "$WORK/sim/items.csv" "$L/score.json"
  stop_server
fi

# --- 3. throughput -------------------------------------------------------------------------------
if [[ " $STEPS " == *" throughput "* ]]; then
  echo "== throughput: wrk $TPUT_CONF ${TPUT_DUR}s, --workers 2"
  start_server tput 2
  # shellcheck disable=SC2086
  wrk $TPUT_CONF -d"${WARM}s" --timeout 5s -s "$HERE/recommend.lua" "$(URL)" > "$L/throughput.warm"
  # shellcheck disable=SC2086
  wrk $TPUT_CONF -d"${TPUT_DUR}s" --timeout 5s -s "$HERE/recommend.lua" "$(URL)" > "$L/throughput.wrk"
  echo "CONF conf=${TPUT_CONF// /_}_${TPUT_DUR}s" >> "$L/throughput.wrk"
  stats "$L/throughput.stats.json"
  stop_server
  grep '^RESULT' "$L/throughput.wrk"
fi

# --- 4. live reload ------------------------------------------------------------------------------
if [[ " $STEPS " == *" reload "* ]]; then
  echo "== live reload: wrk -t$RELOAD_CONNS -c$RELOAD_CONNS ${RELOAD_DUR}s, $RELOADS reloads B/A, --workers 2"
  start_server reload 2 --admin-token-file "$L/token"
  wrk -t"$RELOAD_CONNS" -c"$RELOAD_CONNS" -d"${RELOAD_DUR}s" --timeout 5s -s "$HERE/reload.lua" "$(URL)" \
    > "$L/reload.wrk" &
  WRK_PID=$!
  # Reloads on a fixed schedule inside the run: the first after 3 s, the last >= 3 s before the end.
  PERIOD=$(awk -v d="$RELOAD_DUR" -v n="$RELOADS" 'BEGIN { printf "%.3f", (d - 6) / (n > 1 ? n - 1 : 1) }')
  RELOAD_RC=0
  $PY "$HERE/loadtool.py" reload-loop "$(URL)" "$L/token" "$WORK/bundle" "$WORK/bundleB" "$RELOADS" "$PERIOD" 3 \
    "$L/reloads.json" > "$L/reloads.log" || RELOAD_RC=$?
  wait "$WRK_PID"
  echo "CONF conf=-t${RELOAD_CONNS}_-c${RELOAD_CONNS}_${RELOAD_DUR}s" >> "$L/reload.wrk"
  curl -s "$(URL)/readyz" > "$L/reload.final_readyz.json"
  stop_server
  grep -E '^(RESULT|SWITCHES|VERSION)' "$L/reload.wrk"
  [ "$RELOAD_RC" = 0 ] || echo "run_load.sh: a reload failed (see $L/reloads.json)" >&2
fi

echo "== uptime after: $(uptime)"
ps -eo pcpu,comm --sort=-pcpu | head -6 > "$L/top_after.txt"
$PY - "$L/meta.json" "$(uptime | sed 's/.*load average: //')" << 'EOF'
import json, sys
m = json.load(open(sys.argv[1])); m["uptime_after"] = sys.argv[2]
json.dump(m, open(sys.argv[1], "w"))
EOF
echo
$PY "$HERE/loadtool.py" summary "$WORK"
