#!/usr/bin/python3
"""Independent check of `reco tune utility` results (issue 8, utility bar).

Reads the labels (and the sample-weight column, if any) straight from the dataset file
(docs/formats.md: container + columnar sections), joins them to the rows of
`reco rank --model <written model> --out ranked.csv` (whose utility column is the ranking score
with the weights that `--write-model` stored), and recomputes every constraint metric and the
objective with scikit-learn. Prints one JSON object: per metric our value (from the tune JSON),
sklearn's value, the threshold and whether it holds.
Usage: verify_utility.py DATASET RANKED_CSV TUNE_JSON
"""
import json
import struct
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


def read_sections(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"RECOBIN\x1a", f"{path}: not a reco file"
    (n_sections,) = struct.unpack_from("<I", data, 24)
    (table,) = struct.unpack_from("<Q", data, 32)
    sections = {}
    for i in range(n_sections):
        entry = table + 72 * i
        name = data[entry:entry + 48].split(b"\0", 1)[0].decode()
        off, size = struct.unpack_from("<QQ", data, entry + 48)
        sections[name] = data[off:off + size]
    return sections


def main():
    dataset, ranked_csv, tune_json = sys.argv[1:4]
    sec = read_sections(dataset)
    meta = json.loads(sec["meta"].decode())
    tune = json.load(open(tune_json))
    ranked = pd.read_csv(ranked_csv)
    rows = ranked["row"].to_numpy()
    score = ranked["utility"].to_numpy(dtype=np.float64)
    weight_cols = [c["name"] for c in meta["columns"] if c["role"] == "weight"]
    sw = None
    if weight_cols:
        sw = np.frombuffer(sec["col/" + weight_cols[0]], dtype="<f4")[rows].astype(np.float64)

    def metric(text):
        kind, head = text.split(":", 1)
        y = np.frombuffer(sec["col/" + head], dtype="<f4")[rows]
        keep = ~np.isnan(y)
        w = None if sw is None else sw[keep]
        if kind == "auc":
            return roc_auc_score(y[keep], score[keep], sample_weight=w)
        if kind == "pr_auc":
            return average_precision_score(y[keep], score[keep], sample_weight=w)
        raise SystemExit(f"verify_utility.py: metric '{kind}' not checked here")

    best = tune["best"]
    out = {"objective": {"metric": tune["objective"], "ours": best["metrics"][tune["objective"]],
                         "sklearn": metric(tune["objective"])}, "constraints": [], "all_hold": True}
    for c in tune["constraints"]:
        name = c["text"].split(">=")[0]
        v = metric(name)
        holds = bool(v >= c["threshold"] - 1e-12)
        out["all_hold"] &= holds
        out["constraints"].append({"text": c["text"], "threshold": c["threshold"], "ours": best["metrics"][name],
                                   "sklearn": v, "holds": holds})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
