#!/usr/bin/python3
"""Helpers of bench/serve/run_load.sh (stdlib only; loopback HTTP).

  loadtool.py stats-diff BEFORE.json AFTER.json     per-stage p50/p99/mean between two GET /v1/stats
  loadtool.py score-bench URL ITEMS_CSV OUT.json    ranking stage alone: POST /v1/score, 1000 known items
  loadtool.py reload-loop URL TOKEN_FILE A B N PERIOD DELAY OUT.json
                                                    N admin reloads alternating B, A, B, ... on a fixed schedule
  loadtool.py summary WORK                          reads WORK/load/*, prints the table, writes WORK/load.json

/v1/stats holds cumulative histograms since the server started; the difference of two snapshots
is the histogram of the requests in between (so the warm-up is excluded). Quantiles are
interpolated linearly inside the bucket (as Prometheus histogram_quantile): accurate to a
bucket's width (0.1/0.25/0.5/1/2.5/5/10/25 ms bounds).
"""
import glob
import http.client
import json
import os
import re
import statistics
import sys
import time
import urllib.parse

STAGES = ["candidates", "features", "memboost", "rank", "total"]


def hist_quantile(bounds, counts, q):
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    cum = 0
    for i, c in enumerate(counts):
        if c > 0 and cum + c >= rank:
            if i >= len(bounds):  # the +Inf bucket: report its lower bound
                return bounds[-1]
            lo = bounds[i - 1] if i > 0 else 0.0
            return lo + (bounds[i] - lo) * (rank - cum) / c
        cum += c
    return bounds[-1]


def diff_hist(before, after):
    """{count, p50_ms, p99_ms, mean_ms} of the requests between two snapshots of one histogram."""
    b_counts = before["counts"] if before else [0] * len(after["counts"])
    counts = [a - b for a, b in zip(after["counts"], b_counts)]
    n = after["count"] - (before["count"] if before else 0)
    sum_ms = after["mean_ms"] * after["count"] - ((before["mean_ms"] * before["count"]) if before else 0.0)
    return {"count": n,
            "p50_ms": hist_quantile(after["buckets_ms"], counts, 0.50),
            "p99_ms": hist_quantile(after["buckets_ms"], counts, 0.99),
            "mean_ms": (sum_ms / n) if n > 0 else None}


def stats_diff(before_path, after_path):
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    out = {"stages": {}, "endpoints": {}}
    for s in STAGES:
        if s in after.get("stages", {}):
            out["stages"][s] = diff_hist(before.get("stages", {}).get(s), after["stages"][s])
    for e in ("recommend", "score"):
        if e in after.get("endpoints", {}):
            out["endpoints"][e] = diff_hist(before.get("endpoints", {}).get(e), after["endpoints"][e])
    out["rejected"] = after.get("rejected", 0) - before.get("rejected", 0)
    return out


class Client:
    """One keep-alive connection; reopens when the server closes it (keep_alive_max_requests)."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, dict(r.getheaders()), data
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                # The server closed an idle keep-alive connection: a fresh one, once.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def score_bench(url, items_csv, out_path, warmup=50, requests=400):
    c = Client(url)
    ids = []
    with open(items_csv) as f:
        next(f)
        for line in f:
            ids.append(int(line.split(",", 1)[0]))
    # Known items only (an unknown one is scored on defaults): ask once, keep the known ones.
    status, _, data = c.request("POST", "/v1/score", json.dumps({"user": 1, "items": ids[:2000]}))
    assert status == 200, data[:300]
    known = sorted(it["item"] for it in json.loads(data)["items"] if it["known"])
    assert len(known) >= 1000, f"only {len(known)} known items among the first 2000 of {items_csv}"
    items = known[:1000]
    users = list(range(0, 3000, 7))
    per = []
    bad = 0
    for i in range(warmup + requests):
        body = json.dumps({"user": users[i % len(users)], "items": items,
                           "context": {"platform": "ios", "locale": "en"}})
        status, _, data = c.request("POST", "/v1/score", body)
        if status != 200:
            bad += 1
            continue
        j = json.loads(data)
        assert len(j["items"]) == 1000, len(j["items"])
        if i >= warmup:
            per.append(j["stage_ms"])
    fr = sorted(s["features"] + s["rank"] for s in per)
    q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
    res = {"items": 1000, "requests": len(per), "non200": bad,
           "features_ms_p50": statistics.median(s["features"] for s in per),
           "rank_ms_p50": statistics.median(s["rank"] for s in per),
           "features_rank_ms_p50": q(fr, 0.5), "features_rank_ms_p99": q(fr, 0.99),
           "features_rank_ms_mean": statistics.fmean(fr),
           "total_ms_p50": statistics.median(s["total"] for s in per)}
    res["rows_per_s_p50"] = 1000 / (res["features_rank_ms_p50"] / 1000)
    res["rows_per_s_mean"] = 1000 / (res["features_rank_ms_mean"] / 1000)
    with open(out_path, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res))
    return 0 if bad == 0 else 1


def reload_loop(url, token_file, bundle_a, bundle_b, n, period, delay, out_path):
    with open(token_file) as f:
        token = f.read().strip()
    c = Client(url)
    t0 = time.monotonic()
    rows = []
    for i in range(n):
        target = bundle_b if i % 2 == 0 else bundle_a
        wait = t0 + delay + i * period - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # pacing of the schedule, not synchronization
        start = time.monotonic()
        status, _, data = c.request("POST", "/v1/admin/reload", json.dumps({"bundle": target}),
                                    {"Authorization": "Bearer " + token})
        wall = time.monotonic() - start
        row = {"i": i, "at_s": round(start - t0, 3), "bundle": target, "status": status, "wall_s": round(wall, 4)}
        try:
            j = json.loads(data)
            row.update({"previous_version": j.get("previous_version"), "version": j.get("version"),
                        "seconds": j.get("seconds"), "error": j.get("error")})
        except ValueError:
            row["body"] = data[:200].decode("utf-8", "replace")
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(out_path, "w") as f:
        json.dump(rows, f, indent=1)
    return 0 if all(r["status"] == 200 for r in rows) else 1


def parse_wrk(path):
    """RESULT / VERSION / SWITCHES lines of recommend.lua / reload.lua, plus wrk's own error line."""
    res = {"versions": {}}
    with open(path) as f:
        for line in f:
            if line.startswith(("RESULT ", "SWITCHES ", "CONF ")):
                for kv in line.split()[1:]:
                    k, v = kv.split("=", 1)
                    try:
                        res[k] = float(v) if "." in v else int(v)
                    except ValueError:
                        res[k] = v
            elif line.startswith("VERSION "):
                _, v, n = line.split()
                res["versions"][v] = int(n)
            elif "Socket errors" in line:
                res["wrk_socket_errors_line"] = line.strip()
    return res


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def summary(work):
    d = os.path.join(work, "load")
    out = {"work": work, "latency": {}, "checks": {}}
    if os.path.exists(os.path.join(d, "meta.json")):
        with open(os.path.join(d, "meta.json")) as f:
            out["meta"] = json.load(f)
    lines = []
    ok = True
    # 1. Latency per worker count: medians over repetitions.
    for wfile in sorted(glob.glob(os.path.join(d, "lat_w*_r*.wrk"))):
        m = re.search(r"lat_w(\d+)_r(\d+)\.wrk$", wfile)
        w, r = m.group(1), int(m.group(2))
        rep = {"wrk": parse_wrk(wfile)}
        before, after = wfile[:-4] + ".before.json", wfile[:-4] + ".after.json"
        if os.path.exists(before) and os.path.exists(after):
            rep["server"] = stats_diff(before, after)
        out["latency"].setdefault(f"workers_{w}", {"reps": []})["reps"].append(rep)
    lines.append("Latency, POST /v1/recommend, 1000 candidates ranked (wrk closed loop, concurrency = workers; "
                 "median of reps)")
    cols = STAGES + ["endpoint_recommend"]
    lines.append(f"{'workers':>7} {'reps':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non200':>6} | server p50/p99 ms: "
                 + " ".join(f"{s.replace('endpoint_', 'http '):>15}" for s in cols))
    for key in sorted(out["latency"]):
        L = out["latency"][key]
        reps = L["reps"]
        L["median"] = {
            "rps": med(r["wrk"].get("rps") for r in reps),
            "p50_ms": med(r["wrk"].get("p50_ms") for r in reps),
            "p99_ms": med(r["wrk"].get("p99_ms") for r in reps),
            "non200": sum(r["wrk"].get("non200", 0) + r["wrk"].get("socket_errors", 0) for r in reps),
            "server": {s: {"p50_ms": med(r.get("server", {}).get("stages", {}).get(s, {}).get("p50_ms") for r in reps),
                           "p99_ms": med(r.get("server", {}).get("stages", {}).get(s, {}).get("p99_ms") for r in reps),
                           "mean_ms": med(r.get("server", {}).get("stages", {}).get(s, {}).get("mean_ms") for r in reps)}
                       for s in STAGES}}
        L["median"]["server"]["endpoint_recommend"] = {
            k: med(r.get("server", {}).get("endpoints", {}).get("recommend", {}).get(k) for r in reps)
            for k in ("p50_ms", "p99_ms", "mean_ms")}
        M = L["median"]
        ok &= M["non200"] == 0
        lines.append(f"{key.split('_')[1]:>7} {len(reps):>4} {fmt(M['rps'], 1):>8} {fmt(M['p50_ms']):>8} "
                     f"{fmt(M['p99_ms']):>8} {M['non200']:>6} | {'':18}"
                     + " ".join(f"{fmt(M['server'][s]['p50_ms']) + '/' + fmt(M['server'][s]['p99_ms']):>15}"
                                for s in cols))
    # 2. Ranking stage alone.
    p = os.path.join(d, "score.json")
    if os.path.exists(p):
        with open(p) as f:
            out["rank_stage"] = json.load(f)
        S = out["rank_stage"]
        lines.append("")
        lines.append(f"Ranking stage alone (POST /v1/score, 1000 known items, --workers 1, {S['requests']} requests): "
                     f"features+rank p50 {S['features_rank_ms_p50']:.3f} ms (features {S['features_ms_p50']:.3f}, "
                     f"rank {S['rank_ms_p50']:.3f}), p99 {S['features_rank_ms_p99']:.3f} ms -> "
                     f"{S['rows_per_s_p50'] / 1e3:.0f}k rows/s per core at p50 "
                     f"({S['rows_per_s_mean'] / 1e3:.0f}k at the mean); goal >= 500k: "
                     f"{'met' if S['rows_per_s_p50'] >= 5e5 else 'NOT met'}")
        ok &= S["non200"] == 0
    # 3. Throughput.
    p = os.path.join(d, "throughput.wrk")
    if os.path.exists(p):
        T = parse_wrk(p)
        out["throughput"] = T
        lines.append("")
        lines.append(f"Throughput (--workers 2, {T.get('conf', '')}): {fmt(T.get('rps'), 1)} req/s, "
                     f"p50 {fmt(T.get('p50_ms'))} ms, p99 {fmt(T.get('p99_ms'))} ms, {T.get('requests')} requests, "
                     f"non200 {T.get('non200')}, socket errors {T.get('socket_errors')}")
        good = T.get("non200") == 0 and T.get("socket_errors") == 0 and T.get("requests", 0) > 0
        out["checks"]["throughput_zero_errors"] = good
        ok &= good
    # 4. Live reload.
    p = os.path.join(d, "reload.wrk")
    if os.path.exists(p):
        R = parse_wrk(p)
        with open(os.path.join(d, "reloads.json")) as f:
            rl = json.load(f)
        with open(os.path.join(d, "versions.json")) as f:
            vv = json.load(f)
        secs = sorted(r["seconds"] for r in rl if r.get("seconds") is not None)
        walls = sorted(r["wall_s"] for r in rl)
        allowed = {vv["a"], vv["b"]}
        seen = set(R["versions"])
        checks = {
            "reloads_ok": sum(r["status"] == 200 for r in rl) == len(rl) and len(rl) > 0,
            "zero_failed_requests": R.get("non200") == 0 and R.get("socket_errors") == 0,
            "only_live_versions": seen <= allowed and R.get("untagged", 0) == 0,
            "both_versions_served": seen == allowed,
            # One connection per wrk thread sends requests one after another: its version may change
            # at most once per reload (a flip-flop would mean an answer from a retired snapshot).
            "switches_le_reloads": R.get("max_switches", 0) <= len(rl),
        }
        out["reload"] = {"wrk": R, "reloads": rl, "versions": vv, "checks": checks,
                         "reload_s": {"min": secs[0] if secs else None, "median": med(secs),
                                      "max": secs[-1] if secs else None},
                         "reload_wall_s": {"median": med(walls), "max": walls[-1] if walls else None}}
        out["checks"].update({"reload_" + k: v for k, v in checks.items()})
        ok &= all(checks.values())
        lines.append("")
        lines.append(f"Live reload (--workers 2, {R.get('conf', '')}, {len(rl)} reloads A/B): {R.get('requests')} requests, "
                     f"{fmt(R.get('rps'), 1)} req/s, p50 {fmt(R.get('p50_ms'))} ms, p99 {fmt(R.get('p99_ms'))} ms, "
                     f"non200 {R.get('non200')}, socket errors {R.get('socket_errors')}")
        lines.append("  versions served: " + ", ".join(f"{v} x{n}" for v, n in sorted(R["versions"].items()))
                     + f"; max version switches on one connection {R.get('max_switches')} (<= {len(rl)})")
        lines.append(f"  reload seconds (server): min {fmt(secs[0] if secs else None, 3)} median "
                     f"{fmt(med(secs), 3)} max {fmt(secs[-1] if secs else None, 3)}; client wall median "
                     f"{fmt(med(walls), 3)} max {fmt(walls[-1] if walls else None, 3)}")
        lines.append("  checks: " + ", ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in checks.items()))
    out["ok"] = bool(ok)
    lines.append("")
    lines.append("ALL CHECKS " + ("PASSED" if ok else "FAILED"))
    with open(os.path.join(work, "load.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("\n".join(lines))
    return 0 if ok else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "stats-diff":
        print(json.dumps(stats_diff(argv[2], argv[3]), indent=1))
        return 0
    if cmd == "score-bench":
        return score_bench(argv[2], argv[3], argv[4])
    if cmd == "reload-loop":
        return reload_loop(argv[2], argv[3], argv[4], argv[5], int(argv[6]), float(argv[7]), float(argv[8]), argv[9])
    if cmd == "summary":
        return summary(argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
