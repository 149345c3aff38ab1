"""PyTorch peer for reco's multi-task benchmarks (issue 5): MMoE and shared-bottom on a reco
dataset file. Run with Debian's /usr/bin/python3 (torch 1.13, numpy, sklearn).

  torch_mmoe.py --data census.dataset --model mmoe --tasks income_50k,never_married \\
      [--embedding-dim 4 --experts 8 --expert 16 --tower 8-1 --lr 1e-3 --batch-size 256 --epochs 10]

Reads the SAME file reco trains on (bench/reco_dataset.py): its dense and categorical columns,
its label columns and its split section (0 train, 1 validation, 2 test). One JSON object on
stdout; progress goes to stderr only when stderr is a terminal.

Model (mirrors reco's `[model] kind = "mlp"` with `head = "mmoe" | "shared_bottom"`):
  input          x = concat(dense columns (stored normalized by reco ingest),
                            one embedding_dim vector per categorical column)       [B, D]
  mmoe           experts: `experts` MLPs over x with hidden sizes `expert`, ReLU after every layer;
                 gate_t = softmax(Linear(D -> experts)) per task;
                 h_t = sum_e gate_t[e] * expert_e(x); logit_t = tower_t(h_t)
  shared_bottom  h = MLP(x) with sizes `shared`, ReLU after every layer; logit_t = tower_t(h)
  towers         per task, Linear+ReLU between layers, the last layer linear to one logit
  loss           sum_t loss_weight_t * mean over the batch's rows with a known label (not NaN)
                 of BCEWithLogits(logit_t, label_t)
  optimizer      torch.optim.Adam(lr, betas (0.9, 0.999), eps 1e-8, no weight decay) over every
                 parameter, the embeddings with dense gradients (default, `--embedding-optimizer
                 adam`). reco runs "lazy_adam" (it rejects plain Adam on embedding tables): Adam on
                 the dense parameters and, on a table, m, v and weights of the looked-up rows only.
                 `--embedding-optimizer sparse_adam` is that exact rule in torch (sparse embedding
                 gradients + torch.optim.SparseAdam); on census/adult (tables of < 600 rows in all)
                 it reached the same AUC and was ~1.3x slower, so dense Adam is the peer's default.
  init           Linear weights Xavier-uniform (per expert, per gate), biases 0;
                 embedding rows of column c uniform(-s, s), s = 1/sqrt(cardinality_c)

Implementation choices for speed (each is the same function and the same parameters as the
textbook form, so torch is not handicapped):
  - the categorical columns share one nn.Embedding whose rows are the columns' tables stacked
    (ids offset per column): one lookup per batch instead of one per column. The gradients and
    Adam updates are exactly those of one table per column. `--tables per-column` uses one
    nn.Embedding per column instead (for checking).
  - the experts' first layers are one Linear(D -> experts*h1) (each expert's block initialized as
    its own Linear); later expert layers are batched matmuls over [experts, ...] weights;
    the gates are one Linear(D -> tasks*experts) with a softmax per task's block.
Training runs one epoch after another with a fresh shuffle each (numpy Generator(seed)), the
last batch may be short; validation and test AUC (sklearn roc_auc_score) are computed once after
the last epoch (no early stopping). train_seconds covers the training loop only.

Fairness settings (../shared/docs/measuring.md), applied before torch is imported unless the
caller set them: OMP_WAIT_POLICY=PASSIVE, OMP_NUM_THREADS and OPENBLAS_NUM_THREADS = --threads,
and torch.set_num_threads(--threads). Source bench/torch_env.sh first for OpenBLAS.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time

np = None  # imported in main() after configure_threads (OpenBLAS reads its thread count at load)


def parse_sizes(text: str, what: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.replace(",", "-").split("-") if part]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) <= 0:
        raise SystemExit(f"error: {what}: layer sizes must be positive integers joined by '-', got '{text}'")
    return sizes


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="reco dataset file with a split section")
    p.add_argument("--model", choices=["mmoe", "shared_bottom"], default="mmoe")
    p.add_argument("--tasks", required=True,
                   help="label columns, comma separated, one task (head) each, in order")
    p.add_argument("--loss-weights", default="",
                   help="comma-separated loss weight per task (default 1 each)")
    p.add_argument("--dense", default="*", help="dense columns, comma separated, or * (all)")
    p.add_argument("--sparse", default="*", help="categorical columns, comma separated, or * (all)")
    p.add_argument("--embedding-dim", type=int, default=4)
    p.add_argument("--experts", type=int, default=8)
    p.add_argument("--expert", default="16", help="expert MLP hidden sizes, e.g. 16 or 32-16")
    p.add_argument("--shared", default="32", help="shared-bottom MLP sizes, e.g. 32")
    p.add_argument("--tower", default="8-1", help="tower sizes, the last must be 1")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--eval-batch", type=int, default=8192)
    p.add_argument("--tables", choices=["fused", "per-column"], default="fused",
                   help="one stacked nn.Embedding (default) or one nn.Embedding per column")
    p.add_argument("--embedding-optimizer", choices=["adam", "sparse_adam"], default="adam",
                   help="adam: dense gradients + Adam (default, faster here); "
                        "sparse_adam: sparse gradients + SparseAdam (= reco lazy_adam)")
    p.add_argument("--eval-every-epoch", action="store_true",
                   help="also report validation/test AUC after every epoch (outside train_seconds)")
    args = p.parse_args(argv)
    args.tasks = [t for t in args.tasks.split(",") if t]
    args.expert = parse_sizes(args.expert, "--expert")
    args.shared = parse_sizes(args.shared, "--shared")
    args.tower = parse_sizes(args.tower, "--tower")
    if args.tower[-1] != 1:
        p.error(f"--tower must end in 1 (one logit per task), got {args.tower[-1]}")
    if not args.tasks:
        p.error("--tasks needs at least one label column")
    if args.loss_weights:
        args.loss_weights = [float(w) for w in args.loss_weights.split(",")]
        if len(args.loss_weights) != len(args.tasks):
            p.error(f"--loss-weights has {len(args.loss_weights)} values for {len(args.tasks)} tasks")
    else:
        args.loss_weights = [1.0] * len(args.tasks)
    if min(args.threads, args.batch_size, args.epochs, args.embedding_dim, args.experts) < 1:
        p.error("--threads, --batch-size, --epochs, --embedding-dim and --experts must be >= 1")
    return args


def configure_threads(threads: int) -> dict:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    return {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def progress(text: str) -> None:
    if sys.stderr.isatty():
        print("\r" + text, end="", file=sys.stderr, flush=True)


def progress_done() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr, flush=True)


def blas_libraries() -> str:
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line}
        return ",".join(sorted(os.path.realpath(lib) for lib in libs)) or "none mapped"
    except OSError:
        return "unknown"


def select(requested: str, available: list[str], what: str, path: str) -> list[str]:
    """'*' -> every column of the role, in dataset order; else the named ones (checked)."""
    if requested.strip() == "*":
        return list(available)
    names = [n for n in requested.split(",") if n]
    for n in names:
        if n not in available:
            raise SystemExit(f"error: {path}: '{n}' is not a {what} column (have: {', '.join(available)})")
    return names


# --------------------------------------------------------------------------------------------
# Model (torch imported lazily so configure_threads runs first)


def xavier_(torch, weight, fan_in: int, fan_out: int) -> None:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        weight.uniform_(-bound, bound)


def build_model(torch, n_dense: int, cardinalities: list[int], args):
    nn = torch.nn
    dim = args.embedding_dim
    n_tasks = len(args.tasks)
    input_dim = n_dense + dim * len(cardinalities)
    sparse = args.embedding_optimizer == "sparse_adam"

    def mlp(sizes: list[int], relu_last: bool) -> nn.Sequential:
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes) or relu_last:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    class Embeddings(nn.Module):
        """concat of one dim-vector per categorical column; ids [B, C] are per-column ids."""

        def __init__(self):
            super().__init__()
            self.fused = args.tables == "fused"
            if self.fused:
                offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]]).astype(np.int64)
                self.register_buffer("offsets", torch.from_numpy(offsets), persistent=False)
                self.table = nn.Embedding(int(sum(cardinalities)), dim, sparse=sparse)
                with torch.no_grad():
                    for start, rows in zip(offsets.tolist(), cardinalities):
                        s = 1.0 / math.sqrt(rows)
                        self.table.weight[start:start + rows].uniform_(-s, s)
            else:
                self.tables = nn.ModuleList(nn.Embedding(rows, dim, sparse=sparse) for rows in cardinalities)
                with torch.no_grad():
                    for t, rows in zip(self.tables, cardinalities):
                        s = 1.0 / math.sqrt(rows)
                        t.weight.uniform_(-s, s)

        def forward(self, ids):
            if self.fused:
                return self.table(ids + self.offsets).flatten(1)         # [B, C*dim]
            return torch.cat([t(ids[:, c]) for c, t in enumerate(self.tables)], dim=1)

    class Experts(nn.Module):
        """`experts` MLPs over the same input, ReLU after every layer -> [B, E, h_last]."""

        def __init__(self):
            super().__init__()
            e, sizes = args.experts, args.expert
            self.e, self.sizes = e, sizes
            self.first = nn.Linear(input_dim, e * sizes[0])
            for k in range(e):  # each expert's block is initialized as its own Linear
                xavier_(torch, self.first.weight[k * sizes[0]:(k + 1) * sizes[0]], input_dim, sizes[0])
            nn.init.zeros_(self.first.bias)
            self.weights = nn.ParameterList()
            self.biases = nn.ParameterList()
            for a, b in zip(sizes, sizes[1:]):
                w = nn.Parameter(torch.empty(e, a, b))
                for k in range(e):
                    xavier_(torch, w[k], a, b)
                self.weights.append(w)
                self.biases.append(nn.Parameter(torch.zeros(e, 1, b)))

        def forward(self, x):
            h = torch.relu(self.first(x))                               # [B, E*h1]
            if not len(self.weights):
                return h.view(x.shape[0], self.e, self.sizes[0])
            h = h.view(x.shape[0], self.e, self.sizes[0]).transpose(0, 1)  # [E, B, h1]
            for w, b in zip(self.weights, self.biases):
                h = torch.relu(torch.baddbmm(b, h, w))                  # [E, B, h_next]
            return h.transpose(0, 1)                                    # [B, E, h_last]

    class MultiTask(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = Embeddings()
            if args.model == "mmoe":
                self.experts = Experts()
                self.gates = nn.Linear(input_dim, n_tasks * args.experts)
                for t in range(n_tasks):  # one gate Linear(D -> experts) per task
                    xavier_(torch, self.gates.weight[t * args.experts:(t + 1) * args.experts], input_dim,
                            args.experts)
                nn.init.zeros_(self.gates.bias)
                head_in = args.expert[-1]
            else:
                self.shared = mlp([input_dim] + args.shared, relu_last=True)
                head_in = args.shared[-1]
            self.towers = nn.ModuleList(mlp([head_in] + args.tower, relu_last=False) for _ in range(n_tasks))
            for module in list(self.towers.modules()) + (list(self.shared.modules()) if args.model != "mmoe" else []):
                if isinstance(module, nn.Linear):
                    nn.init.xavier_uniform_(module.weight)
                    nn.init.zeros_(module.bias)
            self.last_gates = None

        def forward(self, dense, ids, keep_gates: bool = False):
            x = torch.cat([dense, self.embeddings(ids)], dim=1)
            if args.model == "mmoe":
                experts = self.experts(x)                                            # [B, E, h]
                gates = torch.softmax(self.gates(x).view(x.shape[0], n_tasks, args.experts), dim=2)
                if keep_gates:
                    self.last_gates = gates.detach()
                mixed = torch.bmm(gates, experts)                                    # [B, T, h]
                heads = [mixed[:, t] for t in range(n_tasks)]
            else:
                h = self.shared(x)
                heads = [h] * n_tasks
            return torch.cat([tower(h) for tower, h in zip(self.towers, heads)], dim=1)  # [B, T]

    return MultiTask(), input_dim


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------------------------
# Data


def load_part(torch, ds, dense_cols, sparse_cols, tasks, rows):
    dense = np.empty((rows.size, len(dense_cols)), dtype=np.float32)
    for j, name in enumerate(dense_cols):
        dense[:, j] = ds.f32(name)[rows]
    ids = np.empty((rows.size, len(sparse_cols)), dtype=np.int64)
    for j, name in enumerate(sparse_cols):
        ids[:, j] = ds.u32(name)[rows]
    labels = np.empty((rows.size, len(tasks)), dtype=np.float32)
    for j, name in enumerate(tasks):
        labels[:, j] = ds.f32(name)[rows]
    return torch.from_numpy(dense), torch.from_numpy(ids), torch.from_numpy(labels)


def task_losses(torch, logits, labels, known_all: bool):
    """[T] mean BCE-with-logits per task over rows whose label is known (not NaN)."""
    fn = torch.nn.functional.binary_cross_entropy_with_logits
    if known_all:
        return fn(logits, labels, reduction="none").mean(dim=0)
    known = ~torch.isnan(labels)
    per = fn(logits, torch.nan_to_num(labels), reduction="none") * known
    return per.sum(dim=0) / known.sum(dim=0).clamp(min=1)


def evaluate(torch, model, part, tasks, batch: int, want_gates: bool):
    from sklearn.metrics import roc_auc_score

    dense, ids, labels = part
    model.eval()
    logits, gate_sums = [], None
    with torch.no_grad():
        for start in range(0, labels.shape[0], batch):
            sl = slice(start, start + batch)
            logits.append(model(dense[sl], ids[sl], keep_gates=want_gates))
            if want_gates:
                g = model.last_gates.sum(dim=0).double()
                gate_sums = g if gate_sums is None else gate_sums + g
    logits = torch.cat(logits).double()
    probs = torch.sigmoid(logits).numpy()
    y = labels.numpy()
    out = {}
    for t, name in enumerate(tasks):
        known = ~np.isnan(y[:, t])
        yt, pt = y[known, t], probs[known, t]
        positives = int(yt.sum())
        auc = float(roc_auc_score(yt, pt)) if 0 < positives < yt.size else None
        logloss = float(torch.nn.functional.binary_cross_entropy_with_logits(
            logits[torch.from_numpy(known), t], torch.from_numpy(yt).double()).item()) if yt.size else None
        out[name] = {"auc": None if auc is None else round(auc, 6),
                     "logloss": None if logloss is None else round(logloss, 6),
                     "rows": int(yt.size), "positives": positives}
    gates = None
    if want_gates and gate_sums is not None:
        means = (gate_sums / labels.shape[0]).numpy()
        gates = {name: [round(float(v), 4) for v in means[t]] for t, name in enumerate(tasks)}
    return out, gates


# --------------------------------------------------------------------------------------------


def run(args, env: dict) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from reco_dataset import open_dataset
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ds = open_dataset(args.data)
    labels = ds.labels()
    for t in args.tasks:
        if t not in labels:
            raise SystemExit(f"error: {args.data}: '{t}' is not a label column (labels: {', '.join(labels)})")
    dense_cols = select(args.dense, ds.by_role("dense"), "dense", args.data)
    sparse_cols = select(args.sparse, ds.by_role("categorical"), "categorical", args.data)
    if not dense_cols and not sparse_cols:
        raise SystemExit(f"error: {args.data}: no dense or categorical columns selected")
    split = ds.split()
    if split is None:
        raise SystemExit(f"error: {args.data}: no split section; ingest with --split index-mod:10:8,1")
    split = np.asarray(split)
    parts = {name: np.flatnonzero(split == code) for name, code in (("train", 0), ("validation", 1), ("test", 2))}
    for name, rows in parts.items():
        if rows.size == 0:
            raise SystemExit(f"error: {args.data}: the {name} split has no rows")
    train = load_part(torch, ds, dense_cols, sparse_cols, args.tasks, parts["train"])
    val = load_part(torch, ds, dense_cols, sparse_cols, args.tasks, parts["validation"])
    test = load_part(torch, ds, dense_cols, sparse_cols, args.tasks, parts["test"])
    cardinalities = [int(ds.column(n)["cardinality"]) for n in sparse_cols]

    model, input_dim = build_model(torch, len(dense_cols), cardinalities, args)
    adam = dict(lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    if args.embedding_optimizer == "sparse_adam":
        tables = list(model.embeddings.parameters())
        table_ids = {id(p) for p in tables}
        dense_params = [p for p in model.parameters() if id(p) not in table_ids]
        optimizers = [torch.optim.Adam(dense_params, weight_decay=0.0, **adam), torch.optim.SparseAdam(tables, **adam)]
    else:
        optimizers = [torch.optim.Adam(model.parameters(), weight_decay=0.0, **adam)]
    loss_weights = torch.tensor(args.loss_weights, dtype=torch.float32)
    train_dense, train_ids, train_labels = train
    known_all = not bool(torch.isnan(train_labels).any())
    n = train_labels.shape[0]
    rng = np.random.default_rng(args.seed)
    epochs = []
    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.from_numpy(rng.permutation(n))
        loss_sum = torch.zeros(len(args.tasks), dtype=torch.float64)
        for b, first in enumerate(range(0, n, args.batch_size)):
            rows = order[first:first + args.batch_size]  # the last batch may be short
            logits = model(train_dense[rows], train_ids[rows])
            per_task = task_losses(torch, logits, train_labels[rows], known_all)
            loss = (per_task * loss_weights).sum()
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            loss_sum += per_task.detach().double() * rows.shape[0]
            if b % 200 == 0:
                progress(f"epoch {epoch} batch {b} loss {loss.item():.4f}")
        seconds = time.perf_counter() - start
        train_seconds += seconds
        record = {"epoch": epoch, "seconds": round(seconds, 3),
                  "train_loss": {t: round(float(v) / n, 6) for t, v in zip(args.tasks, loss_sum)}}
        if args.eval_every_epoch and epoch < args.epochs:
            record["validation"] = evaluate(torch, model, val, args.tasks, args.eval_batch, False)[0]
            record["test"] = evaluate(torch, model, test, args.tasks, args.eval_batch, False)[0]
        epochs.append(record)
    progress_done()
    want_gates = args.model == "mmoe"
    val_metrics, _ = evaluate(torch, model, val, args.tasks, args.eval_batch, False)
    test_metrics, gates = evaluate(torch, model, test, args.tasks, args.eval_batch, want_gates)
    if args.eval_every_epoch:
        epochs[-1]["validation"], epochs[-1]["test"] = val_metrics, test_metrics
    return {
        "peer": "pytorch",
        "model": args.model,
        "data": args.data,
        "config": {"tasks": args.tasks, "loss_weights": args.loss_weights, "embedding_dim": args.embedding_dim,
                   "experts": args.experts if args.model == "mmoe" else None,
                   "expert": args.expert if args.model == "mmoe" else None,
                   "shared": args.shared if args.model == "shared_bottom" else None,
                   "tower": args.tower, "optimizer": {"kind": "adam", "embeddings": args.embedding_optimizer, "lr": args.lr, "betas": [0.9, 0.999],
                                                      "eps": 1e-8, "weight_decay": 0.0},
                   "batch_size": args.batch_size, "epochs": args.epochs, "seed": args.seed,
                   "tables": args.tables, "dense_columns": dense_cols, "sparse_columns": sparse_cols,
                   "cardinalities": cardinalities, "input_dim": input_dim},
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "env": env,
        "blas": blas_libraries(),
        "parameters": parameter_count(model),
        "rows": {"train": int(n), "validation": int(val[2].shape[0]), "test": int(test[2].shape[0])},
        "epochs": epochs,
        "train_seconds": round(train_seconds, 3),
        "samples_per_s": round(n * args.epochs / train_seconds, 1),
        "validation": val_metrics,
        "test": test_metrics,
        "test_auc": {t: test_metrics[t]["auc"] for t in args.tasks},
        "val_auc": {t: val_metrics[t]["auc"] for t in args.tasks},
        "gate_means_test": gates,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    env = configure_threads(args.threads)
    global np
    import numpy as np
    print(json.dumps(run(args, env)))


if __name__ == "__main__":
    main()
