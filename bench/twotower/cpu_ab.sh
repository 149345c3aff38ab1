#!/usr/bin/env bash
# Two-tower training speed by CPU time, reco vs the PyTorch peer, one thread, alternating runs.
# CPU time is robust to time-slicing on a shared box. reco counts the whole process (user + sys,
# including reading the CSV and exporting vectors); the peer reports its training loop only
# (process_time), so the ratio is conservative for reco.
#   bench/twotower/cpu_ab.sh RECO DATA_DIR OUT_DIR [REPS] [extra reco/peer training flags...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reco=$1 data=$2 out=$3 reps=${4:-3}
shift $(( $# >= 4 ? 4 : 3 ))
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for rep in $(seq 1 "$reps"); do
  /usr/bin/time -f "%U %S" -o "$out/cpu.txt" "$reco" --threads 1 --seed "$rep" --quiet --json candidates build twotower \
    --train "$data/train.csv" --out "$out/cpu.twotower" --epochs 5 --temperature 0.1 "$@" > "$out/reco.json"
  read -r user sys < "$out/cpu.txt"
  /usr/bin/python3 - "$out/reco.json" "$user" "$sys" "$rep" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))["report"]["samples"]
cpu = float(sys.argv[2]) + float(sys.argv[3])
print(f"reco  rep {sys.argv[4]} samples {n} cpu_s {cpu:.2f} samples_per_cpu_s {n / cpu:.0f}")
PY
  /usr/bin/python3 "$here/two_tower_torch.py" --threads 1 --seed "$rep" --train "$data/train.csv" --out "$out/cpu.npz" \
    --epochs 5 --temperature 0.1 "$@" | /usr/bin/python3 -c "
import json, sys
j = json.load(sys.stdin)
print(f\"torch rep $rep samples {j['samples']} cpu_s {j['cpu_seconds']:.2f} samples_per_cpu_s {j['samples_per_cpu_second']:.0f}\")"
done
