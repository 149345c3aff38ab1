#!/usr/bin/python3
"""Item vectors with real structure for the ANN bench, while no learner's embeddings file
exists: truncated SVD of the (user x item) interaction matrix of an interactions CSV
(header user,item,weight,timestamp), each item's row of V * sqrt(S).

Usage: /usr/bin/python3 bench/ann/svd_item_vectors.py TRAIN.csv OUT.txt [DIM] [SEED]
Writes one line per item: "id v1 .. vd" (the layout `reco_bench_ann --vectors` reads).
"""
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD


def main():
    train, out = sys.argv[1], sys.argv[2]
    dim = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 42
    df = pd.read_csv(train)
    users, u = np.unique(df["user"].to_numpy(), return_inverse=True)
    items, i = np.unique(df["item"].to_numpy(), return_inverse=True)
    m = sp.csr_matrix((df["weight"].to_numpy(np.float32), (u, i)), shape=(len(users), len(items)))
    m.data = np.log1p(m.data)  # damp repeated interactions
    svd = TruncatedSVD(n_components=dim, random_state=seed, algorithm="randomized", n_iter=5)
    svd.fit(m)
    vec = (svd.components_.T * np.sqrt(svd.singular_values_)).astype(np.float32)
    with open(out, "w") as f:
        for item, v in zip(items, vec):
            f.write(str(int(item)) + " " + " ".join(f"{x:.6g}" for x in v) + "\n")
    print(f"{len(items)} items x {dim} -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
