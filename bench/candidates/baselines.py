#!/usr/bin/python3
"""Candidate-generation baselines on the interactions CSVs of `reco candidates split`.

Methods: most popular, item-kNN cosine, BPR-MF (PyTorch). Evaluated exactly like
`reco candidates eval` (src/reco/retrieval/candidate_eval.h):
  - users with >= 1 training row and >= 1 test item not in their training items;
  - every training item of the user is excluded from the ranking;
  - Recall@K = hits/|T|, NDCG@K with ideal min(|T|, K), HR@K, coverage@K = distinct
    top-K items over users / distinct training items;
  - the catalog = distinct training items; ties in a score: smaller raw item id first.
Prints one JSON object. Run with /usr/bin/python3 (numpy, scipy, torch) and
OMP_WAIT_POLICY=PASSIVE (bench/candidates/run_eval.sh sets it).
"""
import argparse
import json
import time

import numpy as np


def read_csv(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2].astype(np.float32)


class Split:
    def __init__(self, train_path, test_path, max_users=0):
        tu, ti, tw = read_csv(train_path)
        su, si, _ = read_csv(test_path)
        self.items = np.unique(ti)  # ascending raw ids: index order = id order (tie rule)
        self.users = np.unique(tu)
        self.n_items, self.n_users = len(self.items), len(self.users)
        self.tu = np.searchsorted(self.users, tu)
        self.ti = np.searchsorted(self.items, ti)
        self.tw = tw
        hist = {}
        for u, i in zip(self.tu, self.ti):
            hist.setdefault(int(u), set()).add(int(i))
        self.history = hist
        test = {}
        for u, i in zip(su, si):
            test.setdefault(int(u), set()).add(int(i))
        self.test_users = len(test)
        self.cold = 0
        self.no_relevant = 0
        self.eval_users = []  # (user index, relevant raw ids)
        for u in sorted(test):
            k = np.searchsorted(self.users, u)
            if k >= self.n_users or self.users[k] != u:
                self.cold += 1
                continue
            seen_raw = set(int(self.items[j]) for j in hist[int(k)])
            rel = set(i for i in test[u] if i not in seen_raw)
            if not rel:
                self.no_relevant += 1
                continue
            self.eval_users.append((int(k), rel))
        if max_users:
            self.eval_users = self.eval_users[:max_users]

    def matrix(self, binary=True):
        import scipy.sparse as sp
        vals = np.ones(len(self.tu), dtype=np.float32) if binary else self.tw
        m = sp.csr_matrix((vals, (self.tu, self.ti)), shape=(self.n_users, self.n_items), dtype=np.float32)
        if binary:
            m.data[:] = 1.0  # duplicates summed by csr: back to 0/1
        return m


def top_k(scores, exclude, k):
    """Indices of the k best scores (ties: smaller index = smaller raw id), excluding `exclude`."""
    s = scores.astype(np.float64).copy()
    s[list(exclude)] = -np.inf
    k = min(k, int(np.isfinite(s).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-s, k - 1)[:k]
    # Items tied with the k-th score may lie outside `part`: re-rank all of them.
    kth = s[part].min()
    cand = np.nonzero(s >= kth)[0]
    order = np.lexsort((cand, -s[cand]))
    return cand[order][:k]


def evaluate(split, name, score_batch, ks, batch=512):
    kmax = max(ks)
    sums = {f"{m}@{k}": 0.0 for m in ("recall", "ndcg", "hr") for k in ks}
    covered = {k: set() for k in ks}
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    t0 = time.time()
    users = split.eval_users
    for b in range(0, len(users), batch):
        chunk = users[b:b + batch]
        scores = score_batch(np.array([u for u, _ in chunk]))
        for row, (u, rel) in zip(scores, chunk):
            ranked = split.items[top_k(row, split.history[u], kmax)]
            hit = np.array([int(i) in rel for i in ranked], dtype=np.float64)
            for k in ks:
                h = hit[:k]
                sums[f"recall@{k}"] += h.sum() / len(rel)
                sums[f"hr@{k}"] += float(h.sum() > 0)
                ideal = disc[:min(len(rel), k)].sum()
                sums[f"ndcg@{k}"] += (h * disc[:len(h)]).sum() / ideal
                covered[k].update(int(i) for i in ranked[:k])
    secs = time.time() - t0
    n = max(1, len(users))
    metrics = {m: v / n for m, v in sums.items()}
    for k in ks:
        metrics[f"coverage@{k}"] = len(covered[k]) / split.n_items
    return {"source": name, "metrics": metrics, "users_evaluated": len(users), "users_cold": split.cold,
            "users_no_relevant": split.no_relevant, "test_users": split.test_users, "catalog": split.n_items,
            "eval_seconds": secs}


def popular(split):
    pop = np.bincount(split.ti, weights=split.tw, minlength=split.n_items)
    return lambda users: np.tile(pop, (len(users), 1))


def item_knn(split):
    x = split.matrix(binary=True)
    co = (x.T @ x).tocsr().astype(np.float32)
    n = np.asarray(x.sum(axis=0)).ravel()
    inv = 1.0 / np.sqrt(np.maximum(n, 1.0))
    import scipy.sparse as sp
    d = sp.diags(inv.astype(np.float32))
    sim = (d @ co @ d).tocsr()
    sim.setdiag(0.0)
    sim.eliminate_zeros()
    # score(u, j) = sum over the user's training items h of cos(h, j)
    return lambda users: np.asarray((x[users] @ sim).todense())


def bpr(split, dim, epochs, lr, batch, reg, seed, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    pairs = np.unique(np.stack([split.tu, split.ti], axis=1), axis=0)
    users_t = torch.from_numpy(pairs[:, 0])
    items_t = torch.from_numpy(pairs[:, 1])
    ue = torch.nn.Embedding(split.n_users, dim)
    ie = torch.nn.Embedding(split.n_items, dim)
    torch.nn.init.normal_(ue.weight, std=0.1)
    torch.nn.init.normal_(ie.weight, std=0.1)
    opt = torch.optim.Adam(list(ue.parameters()) + list(ie.parameters()), lr=lr)
    t0 = time.time()
    losses = []
    for _ in range(epochs):
        perm = torch.from_numpy(rng.permutation(len(pairs)))
        total = 0.0
        for b in range(0, len(pairs), batch):
            idx = perm[b:b + batch]
            u, i = users_t[idx], items_t[idx]
            j = torch.from_numpy(rng.integers(0, split.n_items, len(idx)))  # uniform negatives
            pu, qi, qj = ue(u), ie(i), ie(j)
            x = (pu * (qi - qj)).sum(1)
            loss = -torch.nn.functional.logsigmoid(x).mean() + reg * (
                pu.pow(2).sum(1) + qi.pow(2).sum(1) + qj.pow(2).sum(1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        losses.append(total / len(pairs))
    train_s = time.time() - t0
    with torch.no_grad():
        U, V = ue.weight.numpy().copy(), ie.weight.numpy().copy()
    info = {"train_seconds": train_s, "epochs": epochs, "dim": dim, "lr": lr, "batch": batch, "reg": reg,
            "pairs": int(len(pairs)), "samples_per_second": epochs * len(pairs) / train_s,
            "loss_first": losses[0], "loss_last": losses[-1], "threads": threads}
    return (lambda users: U[users] @ V.T), info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--k", default="10,20,50,100")
    ap.add_argument("--methods", default="popular,itemknn,bpr")
    ap.add_argument("--max-users", type=int, default=0)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--reg", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    ks = sorted(set(int(k) for k in a.k.split(",")))
    t0 = time.time()
    split = Split(a.train, a.test, a.max_users)
    out = {"train": a.train, "test": a.test, "read_seconds": time.time() - t0, "results": []}
    for m in a.methods.split(","):
        t1 = time.time()
        if m == "popular":
            fn, info = popular(split), {}
        elif m == "itemknn":
            fn, info = item_knn(split), {}
        elif m == "bpr":
            fn, info = bpr(split, a.dim, a.epochs, a.lr, a.batch, a.reg, a.seed, a.threads)
        else:
            raise SystemExit(f"unknown method {m}")
        r = evaluate(split, m, fn, ks)
        r["build_seconds"] = time.time() - t1 - r["eval_seconds"]
        r.update(info)
        out["results"].append(r)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
