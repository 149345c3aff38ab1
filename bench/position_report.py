#!/usr/bin/python3
"""Markdown report of bench/run_position_bench.sh: `position_report.py WORK_DIR`.

Reads WORK_DIR/seed<S>/{<model>.rank.json, none.eval.json, none.pred.csv, none/mb/mbcold.ranked.csv,
s.dataset, sim/sim.json} and WORK_DIR/coec/{priors_random.json, sim/examination.csv}."""
import csv
import glob
import json
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reco_dataset  # noqa: E402

HEADS = ["closeup", "click", "long_click", "save"]
METRIC = "ndcg_linear@10"


def load(path):
    with open(path) as f:
        return json.load(f)


def rel_ndcg(rank_json, logged=False):
    """NDCG@10 against true relevance from `reco rank --json`; logged = the position_logged block."""
    block = rank_json
    if logged:
        block = rank_json.get("position_logged")
        if not isinstance(block, dict):
            return None
    rel = block.get("relevance", {})
    return rel.get("metrics", {}).get(METRIC)


def seeds(work):
    out = []
    for d in sorted(glob.glob(os.path.join(work, "seed*"))):
        out.append((int(os.path.basename(d)[4:]), d))
    return sorted(out)


def fmt(x, nd=4):
    return "n/a" if x is None else f"{x:.{nd}f}"


def debiasing(work):
    methods = ["none", "feature", "feature_slice", "tower", "ipw"]
    rows = {m: {} for m in methods}
    for s, d in seeds(work):
        for m in methods:
            p = os.path.join(d, f"{m}.rank.json")
            if os.path.exists(p):
                rows[m][s] = rel_ndcg(load(p))
    ss = sorted(rows["none"])
    print("## 1. Debiasing: NDCG@10 vs true relevance (test split, position zeroed)\n")
    print("| method | " + " | ".join(f"seed {s}" for s in ss) + " | median | median Δ vs none | per-seed Δ |")
    print("|---" * (len(ss) + 4) + "|")
    for m in methods:
        vals = [rows[m].get(s) for s in ss]
        deltas = [v - rows["none"][s] for v, s in zip(vals, ss) if v is not None]
        med = statistics.median([v for v in vals if v is not None]) if any(v is not None for v in vals) else None
        md = statistics.median(deltas) if deltas else None
        print(f"| {m} | " + " | ".join(fmt(v) for v in vals) + f" | {fmt(med)} | {fmt(md, 4) if m != 'none' else '—'} | "
              + (", ".join(f"{x:+.4f}" for x in deltas) if m != "none" else "—") + " |")
    print()
    # dropout sweep
    sweep = []
    for s, d in seeds(work):
        for dp in ["0", "0.05", "0.15", "0.3", "0.5"]:
            name = "feature" if dp == "0.15" else f"feature_d{dp}"
            p = os.path.join(d, f"{name}.rank.json")
            if os.path.exists(p) and (dp != "0.15" or os.path.exists(os.path.join(d, "feature_d0.rank.json"))):
                j = load(p)
                sweep.append((s, dp, rel_ndcg(j), rel_ndcg(j, True), rows["none"].get(s)))
    if sweep:
        print("### Feature-method dropout sweep (Airbnb): NDCG@10 vs true relevance\n")
        print("| seed | dropout | position zeroed | position logged | zeroed − logged | zeroed − none |")
        print("|---|---|---|---|---|---|")
        for s, dp, z, l, n in sweep:
            dz = None if (z is None or l is None) else z - l
            print(f"| {s} | {dp} | {fmt(z)} | {fmt(l)} | {fmt(dz)} | {fmt(None if n is None else z - n)} |")
        print()


def calibration(work):
    print("## 2. Calibration on the test day (holdout, not downsampled)\n")
    print("none = α correction only; platt = α correction, then Platt scaling fitted on the validation day.\n")
    print("| seed | model | head | eval calib. ratio | eval Brier (labels) | Σp/Σtrue_p | Brier vs true p | Brier of true p (labels) |")
    print("|---|---|---|---|---|---|---|---|")
    for s, d in seeds(work):
        ds = reco_dataset.open_dataset(os.path.join(d, "s.dataset"))
        test = np.nonzero(ds.split() == 2)[0]
        for model in ["none", "platt"]:
            if not os.path.exists(os.path.join(d, f"{model}.pred.csv")):
                continue
            ev = load(os.path.join(d, f"{model}.eval.json"))
            by = {h["head"]: h for h in ev["heads"]}
            pred = {h: [] for h in HEADS}
            rows = []
            with open(os.path.join(d, f"{model}.pred.csv")) as f:
                for r in csv.DictReader(f):
                    rows.append(int(r["row"]))
                    for h in HEADS:
                        pred[h].append(float(r[h]))
            rows = np.asarray(rows)
            assert np.array_equal(np.sort(rows), test), "predict rows are not the test split"
            for h in HEADS:
                p = np.asarray(pred[h], dtype=np.float64)
                tp = ds.f32(f"true_p_{h}")[rows].astype(np.float64)
                y = ds.f32(h)[rows].astype(np.float64)
                e = by.get(h, {})
                print(f"| {s} | {model} | {h} | {fmt(e.get('calibration_ratio'))} | {fmt(e.get('brier'), 5)} | "
                      f"{p.sum() / tp.sum():.4f} | {np.mean((p - tp) ** 2):.6f} | {np.mean((tp - y) ** 2):.5f} |")
    print()


def coec(work):
    d = os.path.join(work, "coec")
    pj = os.path.join(d, "priors_random.json")
    if not os.path.exists(pj):
        print("## 3. COEC: not run\n")
        return
    pri = load(pj)
    sim = load(os.path.join(d, "sim", "sim.json"))
    exam = {}
    with open(os.path.join(d, "sim", "examination.csv")) as f:
        for r in csv.DictReader(f):
            exam.setdefault(r["platform"], {})[int(r["position"])] = float(r["p_examine"])
    plats = pri["platforms"]
    npos = len(pri["pooled_prior"][HEADS[0]])
    imps = np.array([sum(p["impressions"][i] for p in plats) for i in range(npos)])
    # truth for the pooled curve: platform examination weighted by the slice's impressions per position
    # (relevance of random-policy rows does not depend on platform or position)
    truth = np.zeros(npos)
    for i in range(npos):
        truth[i] = sum(p["impressions"][i] * exam[p["name"]][i + 1] for p in plats) / imps[i]
    truth_n = truth / truth[0]
    ok = imps >= 10000
    print(f"## 3. COEC: random-policy priors vs true examination ({sim['config'].get('impressions')} impressions, "
          f"random_fraction {sim['config'].get('policy.random_fraction', '?')})\n")
    print("Bar: per platform and engagement type, prior(p)/prior(1) within 5% of examination(p)/examination(1) at "
          "every position with ≥ 10k weighted impressions.\n")
    print("| platform | impressions/pos (min) | positions ≥10k | " + " | ".join(f"{h} max rel. err (pos)" for h in HEADS)
          + " |")
    print("|---|---|---|" + "---|" * len(HEADS))
    for p in plats:
        im = np.asarray(p["impressions"], dtype=float)
        okp = im >= 10000
        t = np.array([exam[p["name"]][i + 1] for i in range(npos)])
        cells = []
        for h in HEADS:
            en = np.asarray(p["engaged"][h], dtype=float)
            rate = en / np.maximum(im, 1)
            err = np.abs((rate / rate[0]) / (t / t[0]) - 1)
            if okp.any():
                e = np.where(okp, err, -1)
                i = int(np.argmax(e))
                cells.append(f"{err[i]:.3f} ({i + 1}){' ✓' if err[i] <= 0.05 else ''}")
            else:
                cells.append("n/a")
        print(f"| {p['name']} | {im.min():.0f} | {int(okp.sum())}/{npos} | " + " | ".join(cells) + " |")
    print("\nPooled over platforms (truth = examination weighted by each platform's impressions per position):\n")
    print("| head | max rel. error (positions ≥10k) | at position | mean abs rel. error |")
    print("|---|---|---|---|")
    for h in HEADS:
        pr = np.asarray(pri["pooled_prior"][h])
        err = np.abs((pr / pr[0]) / truth_n - 1.0)
        e = np.where(ok, err, -1)
        i = int(np.argmax(e))
        print(f"| {h} | {err[i]:.3f} | {i + 1} | {err[ok].mean() if ok.any() else float('nan'):.3f} |")
    print()


def group_ndcg(ranked_csv, relevance, hot, k=10):
    """Per-group linear-gain NDCG@k of `reco rank --out` lists; returns [(ndcg, hot fraction)]."""
    groups = {}
    with open(ranked_csv) as f:
        for r in csv.DictReader(f):
            groups.setdefault(r["group"], []).append((int(r["rank"]), int(r["row"])))
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = {}
    for g, lst in groups.items():
        lst.sort()
        rows = np.array([x[1] for x in lst])
        rel = relevance[rows].astype(np.float64)
        ideal = np.sort(rel)[::-1][:k]
        idcg = float((ideal * disc[: ideal.size]).sum())
        if idcg <= 0:
            continue
        dcg = float((rel[:k] * disc[: min(k, rel.size)]).sum())
        out[g] = (dcg / idcg, float(hot[rows].mean()))
    return out


def memboost(work):
    print("## 4. Memboost as features: NDCG@10 vs true relevance (test), by Memboost history of the list\n")
    print("hot = row had mb_impressions > 0 (point-in-time); list buckets by the share of hot rows.\n")
    print("Δ ± paired standard error over the lists of the bucket (sd of per-list differences / √lists).")
    print("mb = none + Memboost features; mbcold = the same with Memboost-input dropout in training")
    print("(`memboost features --cold-fraction`, the share is in seed<S>/features_cold.json).\n")
    print("| seed | bucket | lists | none | mb | Δ mb ± se | mbcold | Δ mbcold ± se |")
    print("|---|---|---|---|---|---|---|---|")
    for s, d in seeds(work):
        if not os.path.exists(os.path.join(d, "mb.ranked.csv")):
            continue
        ds = reco_dataset.open_dataset(os.path.join(d, "s.dataset"))
        mbi = np.asarray(ds.f32("mb_impressions"))
        hot = mbi > mbi.min() + 1e-6  # normalized log1p: the minimum is the raw 0
        rel = np.asarray(ds.f32("true_relevance"))
        a = group_ndcg(os.path.join(d, "none.ranked.csv"), rel, hot)
        variants = [m for m in ["mb", "mbcold"] if os.path.exists(os.path.join(d, f"{m}.ranked.csv"))]
        lists = {m: group_ndcg(os.path.join(d, f"{m}.ranked.csv"), rel, hot) for m in variants}
        rj = {m: rel_ndcg(load(os.path.join(d, f"{m}.rank.json"))) for m in ["none"] + variants}
        buckets = [("all (reco rank)", None), ("all (python)", lambda f: True), ("cold (0 hot rows)", lambda f: f == 0),
                   ("mixed", lambda f: 0 < f < 0.5), ("hot (≥50% hot rows)", lambda f: f >= 0.5)]
        for name, pred in buckets:
            if pred is None:
                cells = [f"{fmt(rj[m])} | {rj[m] - rj['none']:+.4f}" for m in variants]
                print(f"| {s} | {name} | | {fmt(rj['none'])} | " + " | ".join(cells) + " |")
                continue
            gs = [g for g in a if pred(a[g][1]) and all(g in lists[m] for m in variants)]
            if not gs:
                print(f"| {s} | {name} | 0 | | | | | |")
                continue
            va = np.array([a[g][0] for g in gs])
            cells = []
            for m in variants:
                vb = np.array([lists[m][g][0] for g in gs])
                se = float(np.std(vb - va, ddof=1) / np.sqrt(len(gs))) if len(gs) > 1 else float("nan")
                cells.append(f"{vb.mean():.4f} | {vb.mean() - va.mean():+.4f} ± {se:.4f}")
            print(f"| {s} | {name} | {len(gs)} | {va.mean():.4f} | " + " | ".join(cells) + " |")
    print()


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else "bench/results/position"
    debiasing(work)
    calibration(work)
    coec(work)
    memboost(work)


if __name__ == "__main__":
    main()
