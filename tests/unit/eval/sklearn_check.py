"""Reference values for reco_eval_sklearn_test, computed with scikit-learn.

Usage: /usr/bin/python3 sklearn_check.py ROWS.csv K1,K2,...
ROWS.csv columns: group,score,label,relevance,weight. A row whose label is "nan" is masked
and dropped here (the C++ side must drop it too). Prints one JSON object.
"""
import json
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, brier_score_loss, log_loss,
                             ndcg_score, roc_auc_score)


def grouped_ndcg(groups, score, relevance, k):
    values = []
    for g in np.unique(groups):
        m = groups == g
        rel, s = relevance[m], score[m]
        if rel.sum() <= 0:  # IDCG == 0: skipped by reco, 0 by sklearn
            continue
        if len(rel) == 1:  # sklearn refuses one-document queries; NDCG is 1 there
            values.append(1.0)
            continue
        values.append(ndcg_score(rel[None, :], s[None, :], k=k))
    return float(np.mean(values)), len(values)


def grouped_auc(groups, score, label, weight):
    num, den, used = 0.0, 0.0, 0
    for g in np.unique(groups):
        m = groups == g
        y, s, w = label[m], score[m], weight[m]
        if w[y == 1].sum() <= 0 or w[y == 0].sum() <= 0:
            continue
        num += w.sum() * roc_auc_score(y, s, sample_weight=w)
        den += w.sum()
        used += 1
    return num / den, used


def main():
    data = np.genfromtxt(sys.argv[1], delimiter=",", names=True, dtype=None, encoding="ascii")
    cutoffs = [int(k) for k in sys.argv[2].split(",")]
    keep = ~np.isnan(data["label"].astype(float))
    groups = data["group"][keep].astype(np.uint64)
    score = data["score"][keep].astype(float)
    label = data["label"][keep].astype(int)
    relevance = data["relevance"][keep].astype(float)
    weight = data["weight"][keep].astype(float)
    clipped = np.clip(score, 1e-7, 1 - 1e-7)  # reco's eps; sklearn's own clip is tighter
    out = {
        "rows": int(keep.sum()),
        "auc": roc_auc_score(label, score, sample_weight=weight),
        "pr_auc": average_precision_score(label, score, sample_weight=weight),
        "logloss": log_loss(label, clipped, sample_weight=weight, labels=[0, 1]),
        "brier": brier_score_loss(label, score, sample_weight=weight),
        "accuracy": accuracy_score(label, (score >= 0.5).astype(int), sample_weight=weight),
        "calibration": float((weight * score).sum() / (weight * label).sum()),
        "mse": float((weight * (score - label) ** 2).sum() / weight.sum()),
    }
    for k in cutoffs:
        out[f"ndcg_linear@{k}"], out[f"ndcg_groups@{k}"] = grouped_ndcg(groups, score, relevance, k)
    out["ndcg_linear"], out["ndcg_groups"] = grouped_ndcg(groups, score, relevance, None)
    out["gauc"], out["gauc_groups"] = grouped_auc(groups, score, label, weight)
    print(json.dumps({key: float(v) for key, v in out.items()}))


if __name__ == "__main__":
    main()
