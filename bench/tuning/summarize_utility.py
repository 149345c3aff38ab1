#!/usr/bin/python3
"""Markdown report of bench/tuning/run_utility_bench.sh: per dataset and seed, BO's best feasible
objective over random search's, the trials BO needed to reach 99% of it, and the constraint values
of the returned weights (recomputed by verify_utility.py) against their bounds.
Usage: summarize_utility.py WORK_DIR "SEEDS"
"""
import json
import os
import sys


def trials(path):
    """Finished trials in id order (the last record of an id wins)."""
    last = {}
    with open(path) as f:
        next(f)  # header
        for line in f:
            r = json.loads(line)
            last[r["id"]] = r
    return [last[i] for i in sorted(last) if last[i]["status"] == "complete"]


def best_curve(ts):
    best, curve = None, []
    for t in ts:
        if all(s >= 0 for s in t["constraints"]) and (best is None or t["value"] > best):
            best = t["value"]
        curve.append(best)
    return curve


def needed(curve, target):
    for i, b in enumerate(curve):
        if b is not None and b >= target:
            return i + 1
    return None


def main():
    work, seeds = sys.argv[1], sys.argv[2].split()
    print("| data | seed | baseline | random-1000 best | feasible random trials | BO-30 best | ratio | "
          "BO trials to 99% | BO-30 w/o baseline trial | ratio | trials to 99% | constraints hold (sklearn) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    checks = []
    for name in ("sim", "taobao"):
        d = os.path.join(work, name)
        if not os.path.isdir(d):
            continue
        for s in seeds:
            rnd = trials(os.path.join(d, f"random{s}.jsonl"))
            rbest = best_curve(rnd)[-1]
            nfeas = sum(all(x >= 0 for x in t["constraints"]) for t in rnd)
            bo = json.load(open(os.path.join(d, f"bo{s}.json")))
            row = [name, s, f"{bo['baseline']['metrics'][bo['objective']]:.5f}", f"{rbest:.5f}", f"{nfeas}/{len(rnd)}"]
            for log in (f"bo{s}.jsonl", f"bo_nb{s}.jsonl"):
                curve = best_curve(trials(os.path.join(d, log)))
                b = curve[-1]
                if b is None:
                    row += ["none feasible", "-", "-"]
                else:
                    n = needed(curve, 0.99 * rbest)
                    row += [f"{b:.5f}", f"{b / rbest:.4f}", str(n) if n else "> 30"]
            v = json.load(open(os.path.join(d, f"bo{s}.verify.json")))
            row.append("yes" if v["all_hold"] else "**no**")
            print("| " + " | ".join(map(str, row)) + " |")
            checks.append((name, s, bo["objective"], v))
    print()
    print("Returned weights (BO-30), constraint values recomputed by scikit-learn from the written model's "
          "`reco rank` scores vs their bounds (0.98 × baseline):")
    print()
    print("| data | seed | objective (ours / sklearn) | constraint | value (ours / sklearn) | bound | holds |")
    print("|---|---|---|---|---|---|---|")
    for name, s, obj, v in checks:
        o = v["objective"]
        for c in v["constraints"]:
            print(f"| {name} | {s} | {o['ours']:.5f} / {o['sklearn']:.5f} | `{c['text']}` | "
                  f"{c['ours']:.5f} / {c['sklearn']:.5f} | {c['threshold']:.5f} | {'yes' if c['holds'] else 'NO'} |")


if __name__ == "__main__":
    main()
