#!/usr/bin/python3
"""Reference test of the pipeline model layout (tl-stack --freeze) in numpy.

A small embedding (random vectors for plain lowercase words, so that
tokenising is splitting on spaces), a softmax sentiment model on its mean
vectors and an mlp campaign model on [vector || sentiment probabilities]
are frozen into one pipeline.  The pipeline file is read here as plain
safetensors: every stage's tensors must be its own file's, byte for byte,
under "stageI.", and the wiring in the description must say the campaign
model takes the embedding (base 0) and the sentiment model (stacked [1]).
The pipeline is then recomputed in numpy (float64: mean of the word
vectors, softmax(W x + b), the mlp on the concatenation) and must match
tl-predict -m PIPELINE on the raw text within 1e-5.  Run by tests/run.sh
with the tools on PATH; prints "ok NAME" / "not ok NAME".
"""
import os
import tempfile

import numpy as np
from tlpy import check, failures, run, read_safetensors

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
         "hotel", "india", "juliet", "kilo", "lima"]


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def mlp(t, x):
    if "standardize.mean" in t:
        x = (x - t["standardize.mean"]) / t["standardize.scale"]
    h = np.maximum(x @ t["mlp.w1"].T.astype(np.float64) + t["mlp.b1"], 0)
    if "mlp.w2" in t:
        h = np.maximum(h @ t["mlp.w2"].T.astype(np.float64) + t["mlp.b2"], 0)
    return softmax(h @ t["mlp.wo"].T.astype(np.float64) + t["mlp.bo"])


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main():
    rng = np.random.default_rng(3)
    vec = {w: rng.normal(size=5) for w in WORDS}
    docs = [" ".join(rng.choice(WORDS, size=rng.integers(2, 7)))
            for _ in range(120)]
    # labels that the words decide, so that both models learn something
    pos = [sum(WORDS.index(w) < 6 for w in d.split()) * 2 > len(d.split())
           for d in docs]
    big = [len(d.split()) > 4 for d in docs]
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)
        write(p("w.glove"), "".join("%s %s\n" % (w, " ".join(
            repr(float(v)) for v in vec[w])) for w in WORDS))
        write(p("s.tsv"), "".join("d%d\t%s\t%s\n" % (i, "pos" if y else
              "neg", d) for i, (d, y) in enumerate(zip(docs, pos))))
        write(p("c.tsv"), "".join("d%d\t%s\t%s\n" % (i, "big" if y else
              "small", d) for i, (d, y) in enumerate(zip(docs, big))))
        run(["tl-embed", "import", "--format", "glove", "-o", p("w.tlm"),
             p("w.glove")])
        sv = run(["tl-embed", "-m", p("w.tlm"), "--tsv", p("s.tsv")])
        run(["tl-train", "-q", "-o", p("s.tlm")], sv)
        cv = run(["tl-embed", "-m", p("w.tlm"), "--tsv", p("c.tsv")])
        stacked = run(["tl-stack", "-m", p("s.tlm")], cv)
        run(["tl-train", "-q", "-t", "mlp", "--hidden", "6", "--epochs",
             "30", "--val-fraction", "0", "-o", p("c.tlm")], stacked)
        run(["tl-stack", "--freeze", "-o", p("pipe.tlm"), p("w.tlm"),
             p("s.tlm"), p("c.tlm")])
        pipe, meta = read_safetensors(p("pipe.tlm"))
        same = True
        for i, name in enumerate(["w.tlm", "s.tlm", "c.tlm"]):
            t, _ = read_safetensors(p(name))
            same &= set("stage%d.%s" % (i, k) for k in t) == \
                set(k for k in pipe if k.startswith("stage%d." % i))
            same &= all(np.array_equal(t[k], pipe["stage%d.%s" % (i, k)])
                        for k in t)
        check("freeze_tensors_byte_for_byte", same)
        st = meta["stages"]
        check("freeze_wiring", meta["kind"] == "pipeline" and
              [s["kind"] for s in st] == ["embedding", "softmax", "mlp"] and
              st[1]["input"] == {"base": 0, "stacked": []} and
              st[2]["input"] == {"base": 0, "stacked": [1]} and
              st[0]["pool"] == {"kind": "mean", "normalize": False} and
              meta["names"] == ["big", "small"], str(st[2].get("input")))

        # numpy: mean vectors, sentiment, concatenation, campaign
        words = [bytes(pipe["stage0.vocab.bytes"][a:b]).decode() for a, b in
                 zip(pipe["stage0.vocab.offsets"][:-1],
                     pipe["stage0.vocab.offsets"][1:])]
        emb = pipe["stage0.vectors"].astype(np.float64)
        x = np.array([np.mean([emb[words.index(w)] for w in d.split()],
                              axis=0) for d in docs])
        s = softmax(x @ pipe["stage1.weight"].T.astype(np.float64) +
                    pipe["stage1.bias"])
        c = {k[len("stage2."):]: v.astype(np.float64) for k, v in
             pipe.items() if k.startswith("stage2.")}
        want = mlp(c, np.hstack([x, s]))
        out = run(["tl-predict", "-m", p("pipe.tlm"), "--tsv", p("c.tsv")])
        got = np.array([[float(v) for v in l.split("\t")[2:]] for l in
                        out.decode().split("\n")[1:] if l])
        err = np.abs(got - want).max()
        check("freeze_matches_numpy", err < 1e-5, "max error %g" % err)
    return failures()


if __name__ == "__main__":
    raise SystemExit(main())
