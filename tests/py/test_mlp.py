#!/usr/bin/python3
"""Reference test of tl-train -t mlp against numpy.

An mlp (two hidden layers, standardised inputs) and a one-layer regression
network are trained on random data; their model files are read here as
plain safetensors, the forward pass is recomputed in numpy (float64:
standardise, relu(W1 x + b1), relu(W2 h + b2), Wo h + bo, softmax) and
must match tl-predict's outputs within 1e-5.  A classifier on data that
a linear boundary cannot separate (a ring) must reach a training accuracy
well above the majority class, and a regression on targets around 5000
a training R^2 above 0.8.  --init: a network fine-tuned with a tiny step
predicts as before, names the received model in its lineage, and adds a
new class to the received ones.  Run by tests/run.sh with the tools on
PATH; prints "ok NAME" / "not ok NAME".
"""
import json
import os
import sys
import tempfile

import numpy as np
from tlpy import check, failures, run
from tlpy import read_safetensors, write_stream




def read_stream(text):
    rows = [l.split("\t") for l in text.decode().split("\n")[1:] if l]
    return np.array([[float(v) for v in r[2:]] for r in rows])


def forward(t, x):
    x = x.astype(np.float64)
    if "standardize.mean" in t:
        x = (x - t["standardize.mean"]) / t["standardize.scale"]
    h = np.maximum(x @ t["mlp.w1"].T.astype(np.float64) + t["mlp.b1"], 0)
    if "mlp.w2" in t:
        h = np.maximum(h @ t["mlp.w2"].T.astype(np.float64) + t["mlp.b2"], 0)
    return h @ t["mlp.wo"].T.astype(np.float64) + t["mlp.bo"]


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main():
    rng = np.random.default_rng(7)
    d = (rng.normal(size=(300, 6)) * [1, 2, 3, 1, 10, 0.1] + [0, 5, 0, 0,
                                                            -3, 0])
    r = np.hypot(d[:, 0], d[:, 2] / 3)
    labels = np.where(r < 0.8, "inner", np.where(r < 1.6, "middle", "outer"))
    with tempfile.TemporaryDirectory() as tmp:
        vec = os.path.join(tmp, "train.vec")
        write_stream(vec, d, labels)
        model = os.path.join(tmp, "m.tlm")
        run(["tl-train", "-q", "-t", "mlp", "--hidden", "12,7",
             "--standardize", "--lr", "0.01", "--epochs", "150",
             "--val-fraction", "0", "-C", "100", "-o", model, vec])
        t, meta = read_safetensors(model)
        check("mlp_description", meta["kind"] == "mlp" and
              meta["hidden"] == [12, 7] and meta["output"] == "softmax" and
              meta["classes"] == ["inner", "middle", "outer"],
              json.dumps(meta)[:300])
        got = read_stream(run(["tl-predict", "-m", model, vec]))
        want = softmax(forward(t, d))
        err = np.abs(got - want).max()
        check("mlp_forward_numpy", err < 1e-5, "max |diff| %g" % err)
        acc = np.mean(np.array(meta["classes"])[want.argmax(1)] == labels)
        majority = max(np.mean(labels == c) for c in set(labels))
        check("mlp_fits_ring", acc > 0.9 and acc > majority + 0.2,
              "accuracy %g, majority %g" % (acc, majority))

        y = np.sin(d[:, 0]) + 0.1 * d[:, 1]
        write_stream(vec, d, ["%r" % v for v in y])
        run(["tl-train", "-q", "-t", "mlp", "--regression", "--hidden", "9",
             "-o", model, vec])
        t, meta = read_safetensors(model)
        got = read_stream(run(["tl-predict", "-m", model, vec]))
        want = forward(t, d)
        err = np.abs(got - want).max()
        check("mlp_regression_forward_numpy", meta["output"] == "linear" and
              meta["targets"] == ["value"] and err < 1e-4 * (1 +
                                                             np.abs(want).max()),
              "max |diff| %g" % err)

        # targets far from 0 and 1 (regression trains on them
        # standardised): Adam's steps of about --lr would need millions
        # of them to move the output bias to 5000
        y = 5000 + 2000 * (np.sin(d[:, 0]) + 0.1 * d[:, 1])
        write_stream(vec, d, ["%r" % v for v in y])
        run(["tl-train", "-q", "-t", "mlp", "--regression", "--hidden", "16",
             "--standardize", "-o", model, vec])
        got = read_stream(run(["tl-predict", "-m", model, vec]))[:, 0]
        r2 = 1 - ((got - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()
        check("mlp_regression_target_scale", r2 > 0.8, "R2 %g" % r2)

        # --init: a received network, fine-tuned with a tiny step, still
        # predicts what it did; a new class joins the received ones; the
        # received model is in the lineage
        write_stream(vec, d, labels)
        base = os.path.join(tmp, "base.tlm")
        run(["tl-train", "-q", "-t", "mlp", "--hidden", "12,7",
             "--standardize", "--lr", "0.01", "--epochs", "30", "-o", base,
             vec])
        before = read_stream(run(["tl-predict", "-m", base, vec]))
        run(["tl-train", "-q", "-t", "mlp", "--init", base, "--lr", "1e-7",
             "--epochs", "1", "-o", model, vec])
        after = read_stream(run(["tl-predict", "-m", model, vec]))
        t, meta = read_safetensors(model)
        _, bmeta = read_safetensors(base)
        digest = run(["tl-info", "--digest", base]).decode().split()[0]
        err = np.abs(after - before).max()
        check("mlp_init_keeps", err < 1e-4 and meta["hidden"] == [12, 7]
              and "standardize.mean" in t, "max |diff| %g" % err)
        check("mlp_init_lineage", any(p["role"] == "init" and
                                      p["sha256"] == digest
                                      for p in meta.get("lineage", [])),
              json.dumps(meta.get("lineage")))
        new = np.where(labels == "middle", "edge", labels)
        write_stream(vec, d, new)
        run(["tl-train", "-q", "-t", "mlp", "--init", base, "--epochs", "5",
             "-o", model, vec])
        _, meta = read_safetensors(model)
        check("mlp_init_new_class", meta["classes"] == [
            "edge", "inner", "middle", "outer"], json.dumps(meta["classes"]))
    return failures()


if __name__ == "__main__":
    sys.exit(main())
