#!/usr/bin/python3
"""Reference tests of tl-embed's poolings, fit, nn and F16 storage
against numpy.

A random GloVe file (40 words x 6 dimensions) is imported; `tl-embed fit`
learns SIF's common components (and, with --counts, word counts) from a
random text; the sentence vectors of `tl-embed --pool sif|max|meanmax`
must equal what numpy computes from the model's own tensors within 1e-5,
fit's components must be the top eigenvectors of X'X of the SIF-weighted
vectors (numpy.linalg.eigh; sign-insensitive, 1e-4), and `import --dtype
f16` must store exactly numpy's float16 rounding.  Run by tests/run.sh
with tl-embed on PATH; prints "ok NAME" / "not ok NAME".
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import tlpy
from tlpy import check, failures

TL_EMBED = os.environ.get("TL_EMBED", "tl-embed")


def run(args, stdin=b""):
    return tlpy.run([TL_EMBED] + args, stdin)


def vectors_of(text):
    """The vectors of a text vector stream, one row per record."""
    lines = text.decode().split("\n")
    assert lines[0].startswith("#{"), lines[0][:80]
    return np.array([[float(v) for v in ln.split("\t")[2:]]
                     for ln in lines[1:] if ln])


def load(path):
    """A safetensors file: (description, {name: array})."""
    with open(path, "rb") as f:
        blob = f.read()
    hlen = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + hlen])
    base = 8 + hlen
    kinds = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "U8": "u1"}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b0, b1 = t["data_offsets"]
        out[name] = np.frombuffer(blob[base + b0:base + b1],
                                  kinds[t["dtype"]]).reshape(t["shape"])
    return json.loads(header["__metadata__"]["tl"]), out


def sif_reference(t, docs, index, a, use_components=True):
    """SIF vectors as Arora et al. define them, from the model's tensors:
    probabilities from "counts" or, without, Zipf-Mandelbrot by rank."""
    vecs = t["vectors"].astype(np.float64)
    n = len(vecs)
    if "counts" in t:
        p = t["counts"].astype(np.float64) / t["counts"].sum()
    else:
        r = np.arange(1, n + 1, dtype=np.float64)
        p = 1 / (r + 2.7)
        p /= p.sum()
    w = a / (a + p)
    out = []
    for doc in docs:
        rows = [index[x] for x in doc.split() if x in index]
        # the weighted mean (see pool.c for why not the paper's sum / count)
        v = (w[rows, None] * vecs[rows]).sum(axis=0) / w[rows].sum() \
            if rows else np.zeros(vecs.shape[1])
        if rows and use_components and "sif.components" in t:
            u = t["sif.components"].astype(np.float64)
            v = v - u.T @ (u @ v)
        out.append(v)
    return np.array(out)


def close(got, want, tol):
    return got.shape == want.shape and \
        np.max(np.abs(got - want) / np.maximum(1, np.abs(want))) <= tol


def main():
    rng = np.random.default_rng(31337)
    n, d = 40, 6
    words = ["w%02d" % i for i in range(n)]
    index = {x: i for i, x in enumerate(words)}
    vecs = rng.normal(0, 1, (n, d)).astype(np.float32)
    vecs += np.float32(2) * rng.normal(0, 1, d).astype(np.float32)  # a common direction
    tmp = tempfile.mkdtemp(prefix="tl-pool-py.")
    glove = os.path.join(tmp, "small.txt")
    with open(glove, "w") as f:
        for x, v in zip(words, vecs):
            f.write(x + " " + " ".join(repr(float(y)) for y in v) + "\n")
    model = os.path.join(tmp, "small.tlm")
    run(["import", "--format", "glove", "-o", model, glove])

    # a Zipf-ish text: low rows are frequent
    zipf = 1 / (np.arange(n) + 2.7)
    zipf /= zipf.sum()
    docs = [" ".join(words[i] for i in rng.choice(n, rng.integers(1, 12),
                                                   p=zipf))
            for _ in range(300)] + ["nothing known here"]
    text = os.path.join(tmp, "text.txt")
    with open(text, "w") as f:
        f.write("\n".join(docs) + "\n")
    stdin = ("\n".join(docs) + "\n").encode()

    # mean, max, meanmax
    got = vectors_of(run(["-m", model, "--pool", "max"], stdin))
    want = np.array([vecs[[index[x] for x in doc.split() if x in index]]
                     .max(axis=0) if any(x in index for x in doc.split())
                     else np.zeros(d) for doc in docs])
    # text holds the shortest form of each float32: compare as float32
    check("max_matches_numpy", np.array_equal(got.astype(np.float32), want))
    mean = vectors_of(run(["-m", model, "--pool", "mean"], stdin))
    got = vectors_of(run(["-m", model, "--pool", "meanmax"], stdin))
    check("meanmax_is_mean_then_max",
          np.array_equal(got.astype(np.float32),
                         np.hstack([mean.astype(np.float32), want])))
    got = vectors_of(run(["-m", model, "--pool", "max", "--normalize"],
                         stdin))
    want = want.astype(np.float64)
    norms = np.linalg.norm(want, axis=1, keepdims=True)
    check("max_normalize", close(got, want / np.maximum(norms, 1e-30),
                                 1e-6))

    # SIF with probabilities by rank, without components: weights only
    _, t = load(model)
    got = vectors_of(run(["-m", model, "--pool", "sif"], stdin))
    check("sif_rank_weights_match_numpy",
          close(got, sif_reference(t, docs, index, 1e-3), 1e-5))
    got = vectors_of(run(["-m", model, "--pool", "sif", "--sif-a", "0.01"],
                         stdin))
    check("sif_a_option", close(got, sif_reference(t, docs, index, 0.01),
                                1e-5))

    # fit: one component, probabilities by rank
    fit1 = os.path.join(tmp, "fit1.tlm")
    run(["fit", "-m", model, "-o", fit1, text])
    meta, t1 = load(fit1)
    x = sif_reference(t, docs, index, 1e-3, use_components=False)
    evals, evecs = np.linalg.eigh(x.T @ x)
    u = t1["sif.components"].astype(np.float64)
    check("fit_component_is_top_eigenvector",
          u.shape == (1, d) and
          min(np.max(np.abs(u[0] - evecs[:, -1])),
              np.max(np.abs(u[0] + evecs[:, -1]))) <= 1e-4,
          "fit %s, numpy %s" % (u[0], evecs[:, -1]))
    check("fit_lineage_and_tensors",
          meta["lineage"][0]["role"] == "base" and
          meta["lineage"][0]["kind"] == "embedding" and
          meta["sif"]["components"] == 1 and
          np.array_equal(t1["vectors"], t["vectors"]) and
          "counts" not in t1)
    got = vectors_of(run(["-m", fit1, "--pool", "sif"], stdin))
    check("sif_components_match_numpy",
          close(got, sif_reference(t1, docs, index, 1e-3), 1e-5))

    # fit --counts --components 2 --sif-a: counts are 1 + occurrences
    fit2 = os.path.join(tmp, "fit2.tlm")
    run(["fit", "-m", model, "--counts", "--components", "2",
         "--sif-a", "0.02", "-o", fit2, text])
    meta, t2 = load(fit2)
    occ = np.ones(n, dtype=np.int64)
    for doc in docs:
        for x in doc.split():
            if x in index:
                occ[index[x]] += 1
    check("fit_counts_add_one", np.array_equal(t2["counts"], occ))
    x = sif_reference(t2, docs, index, 0.02, use_components=False)
    evals, evecs = np.linalg.eigh(x.T @ x)
    u = t2["sif.components"].astype(np.float64)
    ok = u.shape == (2, d)
    for k in range(2):
        e = evecs[:, -1 - k]
        ok = ok and min(np.max(np.abs(u[k] - e)),
                        np.max(np.abs(u[k] + e))) <= 1e-4
    check("fit_two_components_match_eigh", ok)
    # the model remembers its a: no --sif-a needed when pooling
    got = vectors_of(run(["-m", fit2, "--pool", "sif"], stdin))
    check("sif_counts_two_components_match_numpy",
          close(got, sif_reference(t2, docs, index, 0.02), 1e-5))

    # F16: exactly numpy's rounding, pooled within half precision
    m16 = os.path.join(tmp, "small16.tlm")
    run(["import", "--format", "glove", "--dtype", "f16", "-o", m16, glove])
    _, t16 = load(m16)
    check("f16_storage_is_numpy_float16",
          t16["vectors"].dtype == np.float16 and
          np.array_equal(t16["vectors"].view(np.uint16),
                         vecs.astype(np.float16).view(np.uint16)))
    check("f16_vectors_half_the_bytes",
          t16["vectors"].nbytes * 2 == t["vectors"].nbytes)
    got = vectors_of(run(["-m", m16, "--pool", "mean"], stdin))
    h = vecs.astype(np.float16).astype(np.float64)
    want = np.array([h[[index[x] for x in doc.split() if x in index]]
                     .mean(axis=0) if any(x in index for x in doc.split())
                     else np.zeros(d) for doc in docs])
    check("f16_mean_matches_numpy", close(got, want, 1e-6))
    check("f16_mean_near_f32", close(got, mean, 2e-3))
    # all 63488 finite halves survive half -> text -> half
    allh = np.arange(65536, dtype=np.uint16).view(np.float16)
    allh = allh[np.isfinite(allh)]
    g = os.path.join(tmp, "allh.txt")
    with open(g, "w") as f:
        for i in range(0, len(allh), 8):
            f.write("h%d " % i + " ".join(repr(float(v))
                                          for v in allh[i:i + 8]) + "\n")
    mh = os.path.join(tmp, "allh.tlm")
    run(["import", "--format", "glove", "--dtype", "f16", "-o", mh, g])
    _, th = load(mh)
    check("f16_every_half_round_trips",
          np.array_equal(th["vectors"].reshape(-1).view(np.uint16),
                         allh.view(np.uint16)))
    # ties and ranges: numpy's float32 -> float16 is the reference
    r32 = np.concatenate([
        rng.normal(0, 1, 4000), rng.normal(0, 1e-5, 4000),
        (np.arange(1, 2049) + 0.5) * 2.0 ** -24,   # subnormal ties
        (2048 + np.arange(0, 64) * 2 + 1.0),        # ties between evens
        [65504, 65519.99, -65504, 6.1e-5, 5.96e-8, 2.98e-8, 0, -0.0]
    ]).astype(np.float32)
    r32 = r32[: len(r32) // 8 * 8]
    g = os.path.join(tmp, "r.txt")
    with open(g, "w") as f:
        for i in range(0, len(r32), 8):
            f.write("r%d " % i + " ".join(repr(float(v))
                                          for v in r32[i:i + 8]) + "\n")
    mr = os.path.join(tmp, "r.tlm")
    run(["import", "--format", "glove", "--dtype", "f16", "-o", mr, g])
    _, tr = load(mr)
    check("f16_rounding_is_nearest_even",
          np.array_equal(tr["vectors"].reshape(-1).view(np.uint16),
                         r32.astype(np.float16).view(np.uint16)))

    shutil.rmtree(tmp)
    return failures()


if __name__ == "__main__":
    sys.exit(main())
