#!/usr/bin/python3
"""Recall@K / NDCG@K of user->item dot-product retrieval, excluding each user's training
items, for a reco embeddings file (.embed, container kind 'embed') or the peer's .npz.
Definitions (as `reco candidates eval` in issue 7): over test users that have a user vector,
Recall@K = |top-K ∩ test items| / |test items|, NDCG@K = DCG@K / IDCG@K with binary gains,
IDCG over min(K, |test items|) positions; top-K over all items minus the user's training items.
  /usr/bin/python3 eval_recall.py --train train.csv --test test.csv --vectors E.embed [--k 50]"""
import argparse, json, struct

import numpy as np
import pandas as pd


def read_embed(path):
    buf = open(path, 'rb').read()
    assert buf[:8] == b'RECOBIN\x1a', path + ': not a reco container'
    n_sections, = struct.unpack_from('<I', buf, 24)
    table, = struct.unpack_from('<Q', buf, 32)
    sec = {}
    for s in range(n_sections):
        e = table + 72 * s
        name = buf[e:e + 48].split(b'\0')[0].decode()
        off, size = struct.unpack_from('<QQ', buf, e + 48)
        sec[name] = buf[off:off + size]
    meta = json.loads(sec['meta'])
    d = meta['dim']
    f = lambda k, t: np.frombuffer(sec[k], t)
    return (f('item_ids', np.uint64), f('item_vectors', np.float32).reshape(-1, d), f('user_ids', np.uint64),
            f('user_vectors', np.float32).reshape(-1, d))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--test', required=True)
    p.add_argument('--vectors', required=True)
    p.add_argument('--k', type=int, default=50)
    a = p.parse_args()
    if a.vectors.endswith('.npz'):
        z = np.load(a.vectors)
        item_ids, iv, user_ids, uv = z['item_ids'], z['item_vectors'], z['user_ids'], z['user_vectors']
    else:
        item_ids, iv, user_ids, uv = read_embed(a.vectors)
    item_row = {int(i): r for r, i in enumerate(item_ids)}
    user_row = {int(u): r for r, u in enumerate(user_ids)}
    train, test = pd.read_csv(a.train), pd.read_csv(a.test)
    seen = train.groupby('user')['item'].apply(lambda s: [item_row[int(i)] for i in s if int(i) in item_row])
    truth = test.groupby('user')['item'].apply(lambda s: set(int(i) for i in s))
    users = [u for u in truth.index if int(u) in user_row]
    K = a.k
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    rec, ndcg = [], []
    for c in range(0, len(users), 1024):
        chunk = users[c:c + 1024]
        scores = uv[[user_row[int(u)] for u in chunk]] @ iv.T
        for k, u in enumerate(chunk):
            if u in seen.index:
                scores[k, seen[u]] = -np.inf
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        for k, u in enumerate(chunk):
            t = top[k][np.argsort(-scores[k, top[k]])]
            rel = np.array([1.0 if int(item_ids[i]) in truth[u] else 0.0 for i in t])
            n_true = len(truth[u])
            rec.append(rel.sum() / n_true)
            ndcg.append((rel * disc).sum() / disc[:min(K, n_true)].sum())
    print(json.dumps({'users': len(users), f'recall@{K}': float(np.mean(rec)), f'ndcg@{K}': float(np.mean(ndcg))}))


if __name__ == '__main__':
    main()
