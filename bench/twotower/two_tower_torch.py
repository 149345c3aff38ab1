#!/usr/bin/python3
"""PyTorch peer of `reco candidates build twotower` (same towers, loss, optimizer, data order
semantics), for the issue-7 speed/quality bar. Written idiomatically: nn.Embedding /
nn.EmbeddingBag(mode='mean') with sparse gradients + SparseAdam (row-sparse, = LazyAdam),
Adam on the MLPs, in-batch softmax with logQ correction, optional uniform random negatives,
accidental-hit masking, F.cross_entropy.

Run with OpenBLAS, OMP_WAIT_POLICY=PASSIVE (see /work/shared/docs/measuring.md):
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 two_tower_torch.py --train train.csv --out vec.npz --threads 1
Writes item / user vectors (npz: item_ids, item_vectors, user_ids, user_vectors) and prints
one JSON line with samples/s (training loop only, like reco's report).

Paired runs (to tell an implementation difference from seed noise): --init-from M.twotower starts
from the weights of a reco model (e.g. `reco --seed S candidates build twotower --epochs 0 -o M`)
and uses its id order; --reco-order visits the rows (and draws the random negatives) in the order
`reco --seed S candidates build twotower` does; SparseAdam's eps is then rescaled each step so its
update equals reco's LazyAdam form (eps added to the bias-corrected sqrt(v)) exactly."""
import argparse, json, math, os, sys, time

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import reco_dataset  # noqa: E402  (the container reader shared by the bench scripts)


M64 = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


class RecoRng:
    """reco::Rng (xoshiro256**, Lemire's below) and reco::derive_seed, for --reco-order."""
    def __init__(self, root, stream):
        seed = mix64((root + 0x9e3779b97f4a7c15 * (stream + 1)) & M64)
        self.s = []
        for _ in range(4):
            seed = (seed + 0x9e3779b97f4a7c15) & M64
            self.s.append(mix64(seed))

    def below(self, n):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & M64
        result = ((((x << 7) | (x >> 57)) & M64) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M64
        self.s = [s0, s1, s2, s3]
        return (result * n) >> 64


def load(path, id_order=None):
    df = pd.read_csv(path)
    if id_order is None:
        users_raw, user = np.unique(df['user'].to_numpy(np.uint64), return_inverse=True)
        items_raw, item = np.unique(df['item'].to_numpy(np.uint64), return_inverse=True)
    else:  # reco's dense order (first seen), so rows and ids line up with its model
        users_raw, items_raw = id_order
        umap = {int(x): i for i, x in enumerate(users_raw)}
        imap = {int(x): i for i, x in enumerate(items_raw)}
        user = np.array([umap[int(x)] for x in df['user']], np.int64)
        item = np.array([imap[int(x)] for x in df['item']], np.int64)
    order = np.argsort(user, kind='stable')  # rows grouped by user, file (time) order kept
    user, item = user[order].astype(np.int64), item[order].astype(np.int64)
    begin = np.zeros(len(users_raw) + 1, np.int64)
    np.add.at(begin, user + 1, 1)
    begin = np.cumsum(begin)
    return users_raw, items_raw, user, item, begin


def mlp(inp, hidden, dim):
    layers = [nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, dim)] if hidden > 0 else [nn.Linear(inp, dim)]
    seq = nn.Sequential(*layers)
    for m in seq:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return seq


class TwoTower(nn.Module):
    def __init__(self, n_users, n_items, a):
        super().__init__()
        e = a.embed_dim
        self.history = a.history
        self.normalize = a.normalize
        self.user_emb = nn.Embedding(n_users, e, sparse=True)
        self.hist_emb = nn.EmbeddingBag(n_items, e, mode='mean', sparse=True) if a.history > 0 else None
        self.item_emb = nn.Embedding(n_items, e, sparse=True)
        for t in [self.user_emb, self.hist_emb, self.item_emb]:
            if t is not None:
                nn.init.uniform_(t.weight, -a.init_scale, a.init_scale)
        self.user_mlp = mlp(2 * e if a.history > 0 else e, a.hidden, a.dim)
        self.item_mlp = mlp(e, a.hidden, a.dim)

    def user(self, users, hist_ids, hist_offsets):
        x = self.user_emb(users)
        if self.hist_emb is not None:
            x = torch.cat([x, self.hist_emb(hist_ids, hist_offsets)], dim=1)
        y = self.user_mlp(x)
        return F.normalize(y, dim=1) if self.normalize else y

    def item(self, items):
        y = self.item_mlp(self.item_emb(items))
        return F.normalize(y, dim=1) if self.normalize else y


def histories(rows, user, item, begin, h):
    """CSR bags of each row's previous <= h items of the same user."""
    start = np.maximum(begin[user[rows]], rows - h)
    lens = rows - start
    offsets = np.zeros(len(rows), np.int64)
    offsets[1:] = np.cumsum(lens)[:-1]
    idx = np.repeat(start - offsets, lens) + np.arange(lens.sum())
    return torch.from_numpy(item[idx]), torch.from_numpy(offsets)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--out-text', default='', help='also write PREFIX.items.txt / PREFIX.users.txt '
                   '(word2vec text layout) for `reco candidates build import`, so reco scores both sides')
    p.add_argument('--dim', type=int, default=64)
    p.add_argument('--embed-dim', type=int, default=64)
    p.add_argument('--hidden', type=int, default=128)
    p.add_argument('--history', type=int, default=20)
    p.add_argument('--batch', type=int, default=1024)
    p.add_argument('--temperature', type=float, default=0.05)
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--lr', type=float, default=0.001)
    p.add_argument('--random-negatives', type=int, default=0)
    p.add_argument('--init-scale', type=float, default=0.05)
    p.add_argument('--no-logq', action='store_true')
    p.add_argument('--normalize', action='store_true')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--init-from', default='', help='reco .twotower model: start from its weights, use its id order')
    p.add_argument('--reco-order', action='store_true', help="reco's row order and random negatives for --seed")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    init = reco_dataset.Container(a.init_from) if a.init_from else None
    if init and init.kind != 'twotower':
        raise SystemExit(f'{a.init_from}: a {init.kind} file, not a two-tower model')
    id_order = (init.array('user_ids', np.uint64), init.array('item_ids', np.uint64)) if init else None
    users_raw, items_raw, user, item, begin = load(a.train, id_order)
    n, n_items = len(user), len(items_raw)
    model = TwoTower(len(users_raw), n_items, a)
    if init:
        with torch.no_grad():
            for name, prm in model.named_parameters():
                tower, rest = name.split('.', 1)
                if tower.endswith('_mlp'):  # torch Sequential index (Linear, ReLU, Linear) -> reco layer index
                    idx, kind = rest.split('.')
                    key = f'p.{tower}.{int(idx) // 2}.{kind}'
                else:
                    key = f'p.{tower}'
                vals = init.array(key, np.float32)
                if vals.size != prm.numel():
                    raise SystemExit(f'{a.init_from}: {key} has {vals.size} floats, expected {prm.numel()}')
                prm.copy_(torch.from_numpy(vals.copy()).reshape(prm.shape))
    sparse = [pr for nm, pr in model.named_parameters() if nm.endswith('_emb.weight')]
    dense = [pr for nm, pr in model.named_parameters() if not nm.endswith('_emb.weight')]
    opt_sparse = torch.optim.SparseAdam(sparse, lr=a.lr)
    opt_dense = torch.optim.Adam(dense, lr=a.lr)
    freq = np.bincount(item, minlength=n_items).astype(np.float64)
    M = a.random_negatives
    inv_t = 1.0 / a.temperature
    item_t = torch.from_numpy(item)
    user_t = torch.from_numpy(user)

    epoch_loss = []
    start = time.perf_counter()
    cpu_start = time.process_time()
    reco_perm = list(range(n))
    step = 0
    for epoch in range(a.epochs):
        if a.reco_order:
            r = RecoRng(a.seed, 1000 + epoch)
            for i in range(n, 1, -1):
                j = r.below(i)
                reco_perm[i - 1], reco_perm[j] = reco_perm[j], reco_perm[i - 1]
            perm = np.array(reco_perm, np.int64)
        else:
            perm = rng.permutation(n)
        total, count = 0.0, 0
        for pos in range(0, n, a.batch):
            rows = perm[pos:pos + a.batch]
            B = len(rows)
            pos_items = item_t[rows]
            cols = pos_items
            log_q = torch.from_numpy(np.log(B * freq[item[rows]] / n).astype(np.float32))
            if M > 0:
                rnd = (torch.tensor([r.below(n_items) for _ in range(M)], dtype=torch.int64) if a.reco_order
                       else torch.randint(0, n_items, (M,)))
                cols = torch.cat([pos_items, rnd])
                log_q = torch.cat([log_q, torch.full((M,), math.log(M / n_items))])
            if a.no_logq:
                log_q = torch.zeros_like(log_q)
            hid, hoff = histories(rows, user, item, begin, a.history) if a.history > 0 else (None, None)
            u = model.user(user_t[rows], hid, hoff)
            v = model.item(cols)
            logits = u @ v.t() * inv_t - log_q
            hit = cols.unsqueeze(0) == pos_items.unsqueeze(1)
            hit[torch.arange(B), torch.arange(B)] = False
            logits = logits.masked_fill(hit, float('-inf'))
            loss = F.cross_entropy(logits, torch.arange(B))
            step += 1
            if init:  # SparseAdam adds eps to the uncorrected sqrt(v); reco to sqrt(v / (1 - b2^t))
                opt_sparse.param_groups[0]['eps'] = 1e-8 * math.sqrt(1.0 - 0.999 ** step)
            opt_sparse.zero_grad()
            opt_dense.zero_grad()
            loss.backward()
            opt_sparse.step()
            opt_dense.step()
            total += loss.item() * B
            count += B
        epoch_loss.append(total / count)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start

    with torch.no_grad():
        iv = model.item(torch.arange(n_items)).numpy()
        last = np.minimum(begin[1:] - begin[:-1], a.history) if a.history > 0 else None
        urows = torch.arange(len(users_raw))
        if a.history > 0:
            ends = begin[1:]
            offsets = np.zeros(len(users_raw), np.int64)
            offsets[1:] = np.cumsum(last)[:-1]
            idx = np.repeat(ends - last - offsets, last) + np.arange(last.sum())
            uv = model.user(urows, torch.from_numpy(item[idx]), torch.from_numpy(offsets)).numpy()
        else:
            uv = model.user(urows, None, None).numpy()
    np.savez(a.out, item_ids=items_raw, item_vectors=iv, user_ids=users_raw, user_vectors=uv)
    if a.out_text:
        for suffix, ids, vecs in [('items', items_raw, iv), ('users', users_raw, uv)]:
            with open(f'{a.out_text}.{suffix}.txt', 'w') as f:
                f.write(f'{len(ids)} {vecs.shape[1]}\n')
                for i, v in zip(ids, vecs):
                    f.write(str(int(i)) + ' ' + ' '.join(repr(float(x)) for x in v) + '\n')
    print(json.dumps({'samples': n * a.epochs, 'seconds': seconds, 'samples_per_second': n * a.epochs / seconds,
                      'cpu_seconds': cpu_seconds, 'samples_per_cpu_second': n * a.epochs / cpu_seconds,
                      'epoch_loss': epoch_loss, 'threads': a.threads, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
