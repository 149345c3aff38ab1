"""Peer for the ingestion benchmark: time pandas.read_csv on the same Criteo-format TSV.
Run with Debian's python3 (python3-pandas). Prints JSON {"seconds": ..., "rows": ...}.
Only parsing is timed (no hashing, statistics or writing): a conservative peer."""
import json
import sys
import time

import pandas as pd

path = sys.argv[1]
names = ["label"] + [f"I{i}" for i in range(1, 14)] + [f"C{i}" for i in range(1, 27)]
start = time.perf_counter()
frame = pd.read_csv(path, sep="\t", header=None, names=names)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": len(frame), "pandas": pd.__version__}))
