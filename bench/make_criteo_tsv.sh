#!/usr/bin/env bash
# Builds a Criteo-format TSV (label, I1..I13, C1..C26; Kaggle train.txt layout) of N rows by
# repeating the two real Criteo samples in ../shared/data/criteo-sample (header dropped, commas
# to tabs). Usage: bench/make_criteo_tsv.sh OUT.tsv [ROWS=1000000]
set -euo pipefail
out="$1"; rows="${2:-1000000}"
src="${RECO_SHARED_DATA:-$(dirname "$0")/../../shared/data}/criteo-sample"
[ -d "$src" ] || { echo "missing $src" >&2; exit 3; }
tmp="$(mktemp)"
tail -n +2 "$src/criteo_sample_deepctr_200.csv" | sed -e '$a\' | tr ',' '\t' > "$tmp"
tail -n +2 "$src/criteo_sampled_data_324.csv" | sed -e '$a\' | tr ',' '\t' >> "$tmp"
n=$(wc -l < "$tmp")
reps=$(( (rows + n - 1) / n ))
for ((i = 0; i < reps; i++)); do cat "$tmp"; done | head -n "$rows" > "$out"
rm -f "$tmp"
echo "$out: $(wc -l < "$out") rows, $(du -h "$out" | cut -f1)"
