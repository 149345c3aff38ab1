"""Reference values for reco_calibrate_sklearn_test, computed with scikit-learn.

Usage: /usr/bin/python3 sklearn_check.py ROWS.csv GRID.csv
ROWS.csv columns: score,prob,label,weight (a "nan" label is masked and dropped here, as the
C++ side drops it). GRID.csv: one column "x" of points to predict the isotonic map at.
Prints one JSON object:
  iso_grid   IsotonicRegression(out_of_bounds="clip") fitted on (score, label, weight),
             predicted at the grid
  platt_a/b  LogisticRegression with C = 1e12 (no effective penalty) on score, weighted
  curve_true/curve_pred/curve_count  calibration_curve(label, prob, n_bins=10), unweighted,
             non-empty bins only
"""
import json
import sys

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression


def main():
    data = np.genfromtxt(sys.argv[1], delimiter=",", names=True, dtype=float)
    grid = np.genfromtxt(sys.argv[2], delimiter=",", names=True, dtype=float)["x"]
    keep = ~np.isnan(data["label"])
    score, prob = data["score"][keep], data["prob"][keep]
    label, weight = data["label"][keep], data["weight"][keep]

    iso = IsotonicRegression(out_of_bounds="clip").fit(score, label, sample_weight=weight)
    lr = LogisticRegression(C=1e12, solver="newton-cg", tol=1e-12, max_iter=1000)
    lr.fit(score.reshape(-1, 1), label.astype(int), sample_weight=weight)
    prob_true, prob_pred = calibration_curve(label.astype(int), prob, n_bins=10)
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], prob), minlength=10)
    out = {
        "rows": int(keep.sum()),
        "iso_grid": iso.predict(grid).tolist(),
        "platt_a": float(lr.coef_[0][0]),
        "platt_b": float(lr.intercept_[0]),
        "curve_true": prob_true.tolist(),
        "curve_pred": prob_pred.tolist(),
        "curve_count": [int(c) for c in counts if c > 0],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
