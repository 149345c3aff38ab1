"""PyTorch peer for reco's DLRM benchmarks (issue 4). Run with Debian's /usr/bin/python3.

  torch_dlrm.py speed [--batch 2048 --threads 2 --steps 200 --sparse-grad|--dense-grad ...]
      DLRM on in-memory random data (the DLRM paper's random-data configuration by default):
      training and inference samples/s, peak RSS, the sgemm GFLOP/s this torch reaches.
  torch_dlrm.py train --data FILE.dataset [--epochs 3 --batch 128 --lr 0.01 ...]
      The same model trained on a reco dataset file (bench/reco_dataset.py reads it); ROC-AUC and
      log loss on the validation (or test) split after each epoch.

One JSON object on stdout; progress goes to stderr only when stderr is a terminal.

The model is DLRM (Naumov et al. 2019) written the idiomatic PyTorch way:
  bottom MLP  dense [B, n_dense] -> Linear+ReLU per layer (the last one too) -> x [B, dim]
  embeddings  one nn.EmbeddingBag(rows, dim, mode="sum") per sparse feature -> e_t [B, dim]
  interaction T = [x, e_1 .. e_n] as [B, n+1, dim]; Z = T T^T (bmm); the strict upper triangle
              (i < j) of Z: (n+1)n/2 dot products, concatenated after x
  top MLP     Linear+ReLU between layers, no activation after the last (one logit)
  loss        BCEWithLogitsLoss (mean over the batch); optimizer torch.optim.SGD, no momentum
  init        Linear weights Xavier-uniform, biases 0; tables uniform(-s, s), s = 1/sqrt(rows)
Embedding gradients are sparse by default (EmbeddingBag(sparse=True) + SGD: torch's fast mode);
--dense-grad gives every table a dense gradient instead. The JSON names the mode.

Fairness settings (../shared/docs/measuring.md), applied before torch is imported unless the
caller set them: OMP_WAIT_POLICY=PASSIVE, OMP_NUM_THREADS and OPENBLAS_NUM_THREADS = --threads
(Debian's OpenBLAS-pthread keeps its own thread pool, which torch.set_num_threads does not
control), and torch.set_num_threads(--threads). torch calls the libblas.so.3 alternative; see
bench/torch_env.sh and the "blas" field of the output.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

np = None  # numpy is imported in main() after configure_threads: it loads OpenBLAS, which reads
           # OPENBLAS_NUM_THREADS once, when the library is loaded


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split("-") if part]
    if not sizes or min(sizes) <= 0:
        raise SystemExit(f"error: layer sizes must be positive integers joined by '-', got '{text}'")
    return sizes


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dim", type=int, default=16, help="embedding dimension (= last bottom layer)")
    p.add_argument("--bottom", default="512-256-64-16", help="bottom MLP sizes, e.g. 512-256-64-16")
    p.add_argument("--top", default="512-256-1", help="top MLP sizes; the last must be 1")
    p.add_argument("--batch", type=int, default=2048)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--emb-init-scale", type=float, default=None,
                   help="embedding init uniform(-s, s); default s = 1/sqrt(rows) per table")
    grads = p.add_mutually_exclusive_group()
    grads.add_argument("--sparse-grad", dest="sparse", action="store_true", default=True,
                       help="EmbeddingBag(sparse=True): SGD touches only the looked-up rows (default)")
    grads.add_argument("--dense-grad", dest="sparse", action="store_false",
                       help="dense embedding gradients: every table row is updated each step")
    p.add_argument("--no-blas-check", action="store_true", help="skip the timed 4096x4096 matmul")
    p.add_argument("--autocast-bf16", action="store_true",
                   help="speed: run forward and loss under torch.autocast('cpu', bfloat16) (the peer of "
                        "reco's precision = \"bf16\"; fp32 weights, bf16 matmuls via torch's oneDNN)")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    speed = sub.add_parser("speed", help="samples/s on in-memory random data")
    speed.add_argument("--dense", type=int, default=13, help="dense features")
    speed.add_argument("--sparse", dest="n_sparse", type=int, default=26, help="sparse features (tables)")
    speed.add_argument("--rows", type=int, default=100000, help="rows per embedding table")
    speed.add_argument("--steps", type=int, default=200, help="timed training steps")
    speed.add_argument("--warmup", type=int, default=20, help="untimed training steps first")
    speed.add_argument("--infer-steps", type=int, default=None, help="timed inference batches (default: --steps)")
    speed.add_argument("--pool", type=int, default=64, help="pre-generated random batches, cycled")
    speed.add_argument("--chunks", type=int, default=10, help="timed chunks for the median rate")
    add_model_args(speed)
    train = sub.add_parser("train", help="train and evaluate on a reco dataset file")
    train.add_argument("--data", required=True, help="reco dataset file (reco ingest / reco gen)")
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--eval-split", choices=["validation", "test"], default="validation")
    train.add_argument("--eval-batch", type=int, default=8192)
    train.add_argument("--holdout", type=float, default=0.0,
                       help="only for files without a split section (reco gen random): the last "
                            "fraction F of the rows, [(1-F)*rows, rows), is the eval split, the rest train")
    add_model_args(train)
    args = parser.parse_args(argv)
    args.bottom = parse_sizes(args.bottom)
    args.top = parse_sizes(args.top)
    if args.bottom[-1] != args.dim:
        parser.error(f"--bottom ends in {args.bottom[-1]} but --dim is {args.dim}: the DLRM dot interaction "
                     "needs the bottom MLP output and the embeddings to have the same size")
    if args.top[-1] != 1:
        parser.error(f"--top must end in 1 (one logit), got {args.top[-1]}")
    if args.threads < 1 or args.batch < 1:
        parser.error("--threads and --batch must be >= 1")
    return args


def configure_threads(threads: int) -> dict:
    """Environment for a fair peer; must run before torch (and OpenBLAS) is loaded."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    keys = ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE")
    return {k: os.environ[k] for k in keys if k in os.environ}


def progress(text: str) -> None:
    if sys.stderr.isatty():
        print("\r" + text, end="", file=sys.stderr, flush=True)


def progress_done() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Model (imports torch lazily so configure_threads runs first)


def build_model(torch, n_dense: int, table_sizes: list[int], args):
    nn = torch.nn

    def mlp(sizes: list[int], relu_last: bool) -> nn.Sequential:
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes) or relu_last:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    class DLRM(nn.Module):
        def __init__(self):
            super().__init__()
            self.bottom = mlp([n_dense] + args.bottom, relu_last=True)
            self.tables = nn.ModuleList(
                nn.EmbeddingBag(rows, args.dim, mode="sum", sparse=args.sparse) for rows in table_sizes)
            vectors = len(table_sizes) + 1
            upper = torch.triu_indices(vectors, vectors, offset=1)
            self.register_buffer("rows_i", upper[0], persistent=False)
            self.register_buffer("cols_j", upper[1], persistent=False)
            self.top = mlp([args.dim + vectors * (vectors - 1) // 2] + args.top, relu_last=False)

        def forward(self, dense, indices, offsets):
            # indices: one 1-D tensor per table, bag b = indices[offsets[b]:offsets[b+1]]
            x = self.bottom(dense)
            vectors = [x] + [table(idx, off) for table, idx, off in zip(self.tables, indices, offsets)]
            t = torch.stack(vectors, dim=1)                      # [B, n+1, dim]
            z = torch.bmm(t, t.transpose(1, 2))                  # [B, n+1, n+1]
            pairs = z[:, self.rows_i, self.cols_j]               # [B, (n+1)n/2], i < j
            return self.top(torch.cat([x, pairs], dim=1)).squeeze(1)

    model = DLRM()
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    for table, rows in zip(model.tables, table_sizes):
        scale = args.emb_init_scale if args.emb_init_scale is not None else 1.0 / math.sqrt(rows)
        nn.init.uniform_(table.weight, -scale, scale)
    return model


def flops_per_sample(n_dense: int, n_tables: int, args) -> float:
    """Multiply-adds x 2 of one forward pass (MLPs and the bmm); training is counted as 3x."""
    bottom = [n_dense] + args.bottom
    vectors = n_tables + 1
    top = [args.dim + vectors * (vectors - 1) // 2] + args.top
    mlp = sum(a * b for a, b in zip(bottom, bottom[1:])) + sum(a * b for a, b in zip(top, top[1:]))
    return 2.0 * (mlp + vectors * vectors * args.dim)


def blas_check(torch, threads: int) -> dict:
    """Timed 4096x4096 sgemm through torch (the machine's roofline as torch sees it)."""
    n = 4096
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen)
    b = torch.randn(n, n, generator=gen)
    torch.mm(a, b)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    blas = "unknown"
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line}
        blas = ",".join(sorted(os.path.realpath(lib) for lib in libs)) or "none mapped"
    except OSError:
        pass
    return {"sgemm_n": n, "threads": threads, "gflops": round(2 * n ** 3 / min(times) / 1e9, 2), "libraries": blas}


def common_info(torch, args, env: dict) -> dict:
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mode": "sparse_grad" if args.sparse else "dense_grad",
        "env": env,
        "blas": None if args.no_blas_check else blas_check(torch, args.threads),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------------------------
# speed: random in-memory data


def make_pool(torch, args):
    gen = torch.Generator().manual_seed(args.seed)
    offsets = torch.arange(args.batch, dtype=torch.int64)  # one index per bag
    pool = []
    for _ in range(args.pool):
        dense = torch.rand(args.batch, args.dense, generator=gen)
        indices = [torch.randint(args.rows, (args.batch,), generator=gen) for _ in range(args.n_sparse)]
        labels = torch.randint(2, (args.batch,), generator=gen).float()
        pool.append((dense, indices, [offsets] * args.n_sparse, labels))
    return pool


def timed_chunks(step, steps: int, chunks: int) -> list[tuple[int, float]]:
    """Runs step(i) for i in [0, steps) in `chunks` timed pieces: [(steps in chunk, seconds)]."""
    chunks = max(1, min(chunks, steps))
    bounds = [steps * c // chunks for c in range(chunks + 1)]
    out = []
    for c in range(chunks):
        start = time.perf_counter()
        for i in range(bounds[c], bounds[c + 1]):
            step(i)
        out.append((bounds[c + 1] - bounds[c], time.perf_counter() - start))
    return out


def rates(chunks: list[tuple[int, float]], batch: int) -> tuple[float, float]:
    total_steps = sum(n for n, _ in chunks)
    total_seconds = sum(s for _, s in chunks)
    return batch * total_steps / total_seconds, statistics.median(batch * n / s for n, s in chunks)


def run_speed(args, env: dict) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info = common_info(torch, args, env)
    model = build_model(torch, args.dense, [args.rows] * args.n_sparse, args)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    pool = make_pool(torch, args)
    losses = []

    import contextlib
    cast = (lambda: torch.autocast(device_type="cpu", dtype=torch.bfloat16)) if args.autocast_bf16 \
        else contextlib.nullcontext

    def train_step(i: int) -> None:
        dense, indices, offsets, labels = pool[i % len(pool)]
        with cast():
            loss = loss_fn(model(dense, indices, offsets).float(), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i % 50 == 0:
            losses.append(loss.item())
            progress(f"train step {i}/{args.steps} loss {losses[-1]:.4f}")

    model.train()
    for i in range(args.warmup):
        train_step(i)
    losses.clear()
    train = timed_chunks(train_step, args.steps, args.chunks)
    progress_done()
    train_rate, train_median = rates(train, args.batch)

    infer_steps = args.infer_steps if args.infer_steps is not None else args.steps
    model.eval()
    sink = []

    def infer_step(i: int) -> None:
        dense, indices, offsets, _ = pool[i % len(pool)]
        with cast():
            sink.append(torch.sigmoid(model(dense, indices, offsets).float())[0].item())

    with torch.no_grad():
        for i in range(min(args.warmup, infer_steps)):
            infer_step(i)
        infer = timed_chunks(infer_step, infer_steps, args.chunks)
    infer_rate, infer_median = rates(infer, args.batch)

    flops = flops_per_sample(args.dense, args.n_sparse, args)
    train_gflops = 3 * flops * train_rate / 1e9
    result = {
        "peer": "pytorch",
        "command": "speed",
        "config": {"dense": args.dense, "sparse": args.n_sparse, "rows": args.rows, "dim": args.dim,
                   "bottom": args.bottom, "top": args.top, "batch": args.batch, "lr": args.lr,
                   "steps": args.steps, "warmup": args.warmup, "infer_steps": infer_steps, "seed": args.seed},
        **info,
        "train_samples_per_s": round(train_rate, 1),
        "train_samples_per_s_median": round(train_median, 1),
        "train_chunk_samples_per_s": [round(args.batch * n / s, 1) for n, s in train],
        "train_seconds": round(sum(s for _, s in train), 4),
        "infer_samples_per_s": round(infer_rate, 1),
        "infer_samples_per_s_median": round(infer_median, 1),
        "last_losses": [round(x, 5) for x in losses[-3:]],
        "forward_mflop_per_sample": round(flops / 1e6, 4),
        "train_gflop_per_s_est": round(train_gflops, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if info["blas"]:
        result["train_fraction_of_sgemm"] = round(train_gflops / info["blas"]["gflops"], 4)
    return result


# --------------------------------------------------------------------------------------------
# train: a reco dataset file


class Features:
    """The rows of one split, gathered from the dataset into contiguous arrays."""

    def __init__(self, dense: np.ndarray, sparse: list, labels: np.ndarray):
        self.dense = dense      # f32 [n, n_dense]
        self.sparse = sparse    # per table: u32 [n] (one-hot) or (offsets u64 [n+1], values u32)
        self.labels = labels    # f32 [n]

    def __len__(self) -> int:
        return self.labels.shape[0]

    def batch(self, torch, rows: np.ndarray):
        indices, offsets = [], []
        for column in self.sparse:
            if isinstance(column, tuple):  # multi-hot: concatenate the rows' id lists
                col_offsets, values = column
                starts, ends = col_offsets[rows], col_offsets[rows + 1]
                lengths = (ends - starts).astype(np.int64)
                bag_offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
                within = np.arange(lengths.sum()) - np.repeat(bag_offsets, lengths)
                ids = values[np.repeat(starts.astype(np.int64), lengths) + within]
                indices.append(torch.from_numpy(ids.astype(np.int64)))
                offsets.append(torch.from_numpy(bag_offsets.astype(np.int64)))
            else:
                indices.append(torch.from_numpy(column[rows].astype(np.int64)))
                offsets.append(torch.arange(len(rows), dtype=torch.int64))
        return (torch.from_numpy(self.dense[rows]), indices, offsets, torch.from_numpy(self.labels[rows]))


def load_split(ds, dense_cols, sparse_cols, label, mask) -> Features:
    rows = np.flatnonzero(mask)
    dense = np.empty((rows.size, len(dense_cols)), dtype=np.float32)
    for j, name in enumerate(dense_cols):
        dense[:, j] = ds.f32(name)[rows]
    sparse = []
    for name in sparse_cols:
        if ds.column(name)["storage"] == "multi_hot_u32":
            offsets, values, weights = ds.multi_hot(name)
            if weights is not None:
                raise SystemExit(f"error: {ds.path}: column '{name}' has per-value weights; this peer does not")
            # rebase the split's rows onto their own offsets
            lengths = (offsets[rows + 1] - offsets[rows]).astype(np.int64)
            own = np.concatenate([[0], np.cumsum(lengths)]).astype(np.uint64)
            starts = offsets[rows].astype(np.int64)
            within = np.arange(lengths.sum()) - np.repeat(own[:-1].astype(np.int64), lengths)
            sparse.append((own, np.asarray(values)[np.repeat(starts, lengths) + within]))
        else:
            sparse.append(np.asarray(ds.u32(name)[rows]))
    return Features(dense, sparse, np.asarray(ds.f32(label)[rows], dtype=np.float32))


def evaluate(torch, model, features: Features, batch: int) -> tuple[float, float, int]:
    from sklearn.metrics import roc_auc_score

    model.eval()
    logits = []
    with torch.no_grad():
        for start in range(0, len(features), batch):
            rows = np.arange(start, min(start + batch, len(features)))
            dense, indices, offsets, _ = features.batch(torch, rows)
            logits.append(model(dense, indices, offsets).double())
    logits = torch.cat(logits)
    labels = torch.from_numpy(features.labels).double()
    logloss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels).item()
    positives = int(labels.sum().item())
    auc = float("nan")
    if 0 < positives < len(labels):
        auc = float(roc_auc_score(features.labels, torch.sigmoid(logits).numpy()))
    return auc, logloss, positives


def run_train(args, env: dict) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reco_dataset import open_dataset
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ds = open_dataset(args.data)
    dense_cols = ds.by_role("dense")
    sparse_cols = [c["name"] for c in ds.columns if c["role"] in ("categorical", "multi_hot")]
    labels = ds.labels()
    if not labels:
        raise SystemExit(f"error: {args.data}: no label column")
    if not sparse_cols or not dense_cols:
        raise SystemExit(f"error: {args.data}: DLRM needs dense and categorical columns "
                         f"(found {len(dense_cols)} dense, {len(sparse_cols)} categorical)")
    split = ds.split()
    if split is None:
        if not 0.0 < args.holdout < 1.0:
            raise SystemExit(f"error: {args.data}: no split section; ingest with --split random:0.8,0.1,0.1 "
                             "or pass --holdout F (the last F of the rows are the eval split)")
        split = np.zeros(ds.rows, dtype=np.uint8)
        split[int(ds.rows * (1.0 - args.holdout)):] = {"validation": 1, "test": 2}[args.eval_split]
    label_values = ds.f32(labels[0])
    known = ~np.isnan(label_values)  # NaN labels are masked (unknown), as in reco
    eval_code = {"validation": 1, "test": 2}[args.eval_split]
    train_set = load_split(ds, dense_cols, sparse_cols, labels[0], (split == 0) & known)
    eval_set = load_split(ds, dense_cols, sparse_cols, labels[0], (split == eval_code) & known)
    if len(train_set) == 0 or len(eval_set) == 0:
        raise SystemExit(f"error: {args.data}: {len(train_set)} train rows, {len(eval_set)} {args.eval_split} rows")

    table_sizes = [int(ds.column(name)["cardinality"]) for name in sparse_cols]
    info = common_info(torch, args, env)
    model = build_model(torch, len(dense_cols), table_sizes, args)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(args.seed)
    epochs = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = rng.permutation(len(train_set))
        loss_sum = 0.0
        for b, first in enumerate(range(0, len(order), args.batch)):
            rows = order[first:first + args.batch]  # the last batch may be short
            dense, indices, offsets, target = train_set.batch(torch, rows)
            loss = loss_fn(model(dense, indices, offsets), target)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.item() * len(rows)
            if b % 100 == 0:
                progress(f"epoch {epoch} batch {b} loss {loss.item():.4f}")
        train_seconds = time.perf_counter() - start
        auc, logloss, positives = evaluate(torch, model, eval_set, args.eval_batch)
        progress_done()
        epochs.append({"epoch": epoch, "train_loss": round(loss_sum / len(order), 6), "val_auc": None if math.isnan(auc) else round(auc, 6),
                       "val_logloss": round(logloss, 6), "seconds": round(time.perf_counter() - start, 3),
                       "train_samples_per_s": round(len(order) / train_seconds, 1)})
    return {
        "peer": "pytorch",
        "command": "train",
        "data": args.data,
        "config": {"dim": args.dim, "bottom": args.bottom, "top": args.top, "batch": args.batch, "lr": args.lr,
                   "epochs": args.epochs, "seed": args.seed, "eval_split": args.eval_split,
                   "holdout": args.holdout if ds.split() is None else None,
                   "dense_columns": dense_cols, "sparse_columns": sparse_cols, "table_sizes": table_sizes,
                   "label": labels[0]},
        **info,
        "train_rows": len(train_set),
        "eval_rows": len(eval_set),
        "eval_positives": positives,
        "epochs": epochs,
        "val_auc": epochs[-1]["val_auc"] if epochs else None,
        "val_logloss": epochs[-1]["val_logloss"] if epochs else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    env = configure_threads(args.threads)
    global np
    import numpy as np
    result = run_speed(args, env) if args.command == "speed" else run_train(args, env)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
