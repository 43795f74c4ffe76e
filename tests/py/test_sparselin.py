#!/usr/bin/python3
"""tl-train on streams with a sparse part (tl-embed --lexical) against
scikit-learn: the same hashed counts and dense values, turned into
features the way tl-train documents (min_df 2 columns, smooth IDF, L2
row norm; dense part standardised, / sqrt(d), times the dense weight) and
given to LogisticRegression(C, tol=1e-10) as one scipy sparse matrix.

  proba-*       tl-predict's probabilities within 1e-3 of predict_proba, on
                the training rows and on held-out rows (3 classes,
                multinomial; 2 classes, binary)
  columns-*     the model's sparse.columns and sparse.idf tensors equal the
                buckets and IDF computed here
  sparse-sha256 the description's training.sparse_sha256 is the SHA-256
                of the sparse parts as tl-formats(5) defines it
  dense-weight  --dense-weight 0.5 matches the same features with the
                dense part times 0.5
  cv            --cv 3 -C 0.1,1 --dense-weight 0.5,1 --oof picks a C, a
                weight, a min_df (2 or 1) and an IDF weighting (smooth or
                none) and writes one out-of-fold row per record
  cv-idf        the model's columns and sparse.idf are those of the chosen
                min_df and IDF weighting (the smooth IDF or all 1)
  refuse-*      a sparse model on a stream without the part is refused
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from tlpy import check, failures, read_safetensors

TOP = os.environ.get("TL_TOP") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(TOP, os.environ.get("OUTBIN", "bin"))
BUCKETS = 60
TOL = 1e-3


def tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name)


def data(seed, n, d, k):
    """Dense rows, sparse rows (dicts bucket -> value) and labels; some
    buckets tell the class, some are noise, many appear once."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    centers = rng.normal(size=(k, d))
    x = (centers[y] + 2.0 * rng.normal(size=(n, d))).astype(np.float32)
    rows = []
    for i in range(n):
        r = {}
        for _ in range(rng.integers(0, 6)):
            b = int(y[i] * 7 + rng.integers(0, 10)) % BUCKETS
            r[b] = r.get(b, 0) + 1
        for _ in range(rng.integers(0, 3)):
            r[int(rng.integers(0, BUCKETS))] = 1
        rows.append({b: np.float32(1 + np.log(c)) for b, c in r.items()})
    return x, rows, np.array(["c%d" % v for v in y])


def write(path, x, rows, labels):
    with open(path, "w") as f:
        f.write('#{"tl":"vectors","version":1,"dim":%d,"sparse":%d}\n' %
                (x.shape[1], BUCKETS))
        for i in range(len(x)):
            f.write("r%d\t%s\t%s" % (i, labels[i], "\t".join(
                repr(float(v)) for v in x[i])))
            for b in sorted(rows[i]):
                f.write("\t%d:%r" % (b, float(rows[i][b])))
            f.write("\n")


def features(x, rows, cols, idf, mean, scale):
    """The documented features of (x, rows): [dense part, TF-IDF part]."""
    pos = {b: j for j, b in enumerate(cols)}
    r, c, v = [], [], []
    for i, row in enumerate(rows):
        vals = [(pos[b], float(val) * idf[pos[b]])
                for b, val in row.items() if b in pos]
        norm = np.sqrt(sum(t * t for _, t in vals))
        for j, t in vals:
            r.append(i)
            c.append(j)
            v.append(t / norm)
    s = sp.csr_matrix((v, (r, c)), shape=(len(rows), len(cols)))
    dense = (x.astype(np.float64) - mean) / scale
    return sp.hstack([sp.csr_matrix(dense), s]).tocsr()


def learn(x, rows, weight, min_df=2):
    n, d = x.shape
    df = {}
    for row in rows:
        for b in row:
            df[b] = df.get(b, 0) + 1
    cols = sorted(b for b, c in df.items() if c >= min_df)
    idf = np.array([np.log((1 + n) / (1 + df[b])) + 1 for b in cols])
    xd = x.astype(np.float64)
    sd = xd.std(axis=0)
    sd[sd == 0] = 1
    return cols, idf, xd.mean(axis=0), sd * np.sqrt(d) / weight


def predictions(model, vec):
    out = subprocess.run([tool("tl-predict"), "-m", model, vec],
                         check=True, capture_output=True, text=True).stdout
    return np.array([[float(v) for v in line.split("\t")[2:]]
                     for line in out.splitlines() if line[0] != "#"])


def case(tag, seed, k, C, tmp, weight=None):
    x, rows, labels = data(seed, 160, 5, k)
    xt, rowst, labelst = data(seed + 100, 60, 5, k)
    vec, test, model = (os.path.join(tmp, tag + s) for s in
                        (".vec", ".test.vec", ".tlm"))
    write(vec, x, rows, labels)
    write(test, xt, rowst, labelst)
    # a tight --tol: the agreement is the point, not tl-train's default
    args = [tool("tl-train"), "-q", "--tol", "1e-9", "-C", repr(C), "-o",
            model, vec]
    if weight is not None:
        args[2:2] = ["--dense-weight", repr(weight)]
    subprocess.run(args, check=True, capture_output=True)
    cols, idf, mean, scale = learn(x, rows, weight or 1)
    sk = LogisticRegression(C=C, tol=1e-10, max_iter=100000)
    sk.fit(features(x, rows, cols, idf, mean, scale), labels)
    for what, xx, rr, path in (("train", x, rows, vec),
                               ("test", xt, rowst, test)):
        want = sk.predict_proba(features(xx, rr, cols, idf, mean, scale))
        got = predictions(model, path)
        diff = np.abs(got - want).max() if got.shape == want.shape else 1
        check("proba-%s-%s # max |p_tl - p_sklearn| = %.2g" % (
            tag, what, diff), diff < TOL)
    t, meta = read_safetensors(model)
    check("columns-" + tag, list(t["sparse.columns"]) == cols and
          np.abs(t["sparse.idf"] - idf).max() < 1e-6 and
          meta["kind"] == "sparse-softmax",
          "columns %s vs %s" % (list(t["sparse.columns"]), cols))
    h = hashlib.sha256()
    for row in rows:
        h.update(struct.pack("<I", len(row)))
        for b in sorted(row):
            h.update(struct.pack("<If", b, row[b]))
    check("sparse-sha256-" + tag,
          meta["training"].get("sparse_sha256") == h.hexdigest())


def cv(tmp):
    x, rows, labels = data(7, 120, 5, 3)
    vec, model, oof = (os.path.join(tmp, "cv" + s) for s in
                       (".vec", ".tlm", ".oof"))
    write(vec, x, rows, labels)
    subprocess.run([tool("tl-train"), "-q", "--cv", "3", "-C", "0.1,1",
                    "--dense-weight", "0.5,1", "--oof", oof, "-o", model,
                    vec], check=True, capture_output=True)
    _, meta = read_safetensors(model)
    c = meta["cross_validation"]
    with open(oof) as f:
        lines = [ln for ln in f if ln[0] != "#"]
    check("cv", c["chosen_C"] in (0.1, 1) and
          c["chosen_dense_weight"] in (0.5, 1) and
          c["idf"] == ["smooth", "none"] and c["min_df"] == [2, 1] and
          c["chosen_min_df"] in (2, 1) and
          c["chosen_idf"] in ("smooth", "none") and len(lines) == 120 and
          all(len(ln.split("\t")) == 5 for ln in lines), json.dumps(c))
    t, _ = read_safetensors(model)
    cols, idf, _, _ = learn(x, rows, 1, c["chosen_min_df"])
    if c["chosen_idf"] == "none":
        idf = np.ones(len(cols))
    check("cv-idf", meta["sparse"]["idf"] == c["chosen_idf"] and
          meta["sparse"]["min_df"] == c["chosen_min_df"] and
          list(t["sparse.columns"]) == cols and
          np.abs(t["sparse.idf"] - idf).max() < 1e-6, meta["sparse"]["idf"])
    # a stream without the sparse part is refused by the sparse model
    dense = os.path.join(tmp, "dense.vec")
    with open(dense, "w") as f:
        f.write("a\tc0\t1\t2\t3\t4\t5\n")
    p = subprocess.run([tool("tl-predict"), "-m", model, dense],
                       capture_output=True, text=True)
    check("refuse-dense-stream", p.returncode != 0 and
          "needs a sparse part of 60 buckets" in p.stderr, p.stderr)


def main():
    if tool("tl-train") is None or tool("tl-predict") is None:
        print("not ok sparselin # tl-train / tl-predict not built")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        case("multinomial", 1, 3, 1.0, tmp)
        case("multinomial-C10", 2, 4, 10.0, tmp)
        case("binary", 3, 2, 1.0, tmp)
        case("dense-weight", 4, 3, 1.0, tmp, weight=0.5)
        cv(tmp)
    return failures()


if __name__ == "__main__":
    sys.exit(main())
