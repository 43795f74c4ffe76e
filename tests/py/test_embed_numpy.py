#!/usr/bin/python3
"""Reference tests of tl-embed against numpy.

A random GloVe text file (50 words x 8 dimensions, values printed with
repr) is imported; documents made of those words, unknown words and
punctuation are embedded, and each vector must be the mean of the known
words' vectors (numpy, float64) within 1e-6.  A word2vec binary file
written by numpy must import to the same vectors as the text file, and
word2vec/vec text with a header as well.  Run by tests/run.sh with
tl-embed on PATH; prints "ok NAME" / "not ok NAME".
"""
import os
import sys
import tempfile

import numpy as np
import tlpy
from tlpy import check, failures

TL_EMBED = os.environ.get("TL_EMBED", "tl-embed")


def run(args, stdin=b""):
    return tlpy.run([TL_EMBED] + args, stdin)


def read_stream(text):
    """The records of a text vector stream: [(id, label, np.array)]."""
    lines = text.decode().split("\n")
    assert lines[0].startswith("#{"), lines[0][:80]
    out = []
    for line in lines[1:]:
        if not line:
            continue
        f = line.split("\t")
        out.append((f[0], f[1], np.array([float(v) for v in f[2:]])))
    return out


def main():
    rng = np.random.default_rng(20240611)
    n, d = 50, 8
    words = ["w%02d" % i for i in range(n - 5)] + [
        "cross-country", "u.s.", "3.5", "café", "n't"]
    vecs = rng.normal(0, 1, (n, d)).astype(np.float32)
    vecs[3] *= 1e-30       # tiny values must survive the text round trip
    vecs[4] *= 1e20
    tmp = tempfile.mkdtemp(prefix="tl-embed-py.")
    glove = os.path.join(tmp, "small.txt")
    with open(glove, "w", encoding="utf-8") as f:
        for w, v in zip(words, vecs):
            f.write(w + " " + " ".join(repr(float(x)) for x in v) + "\n")
    model = os.path.join(tmp, "small.tlm")
    run(["import", "--format", "glove", "-o", model, glove])

    index = {w: i for i, w in enumerate(words)}
    docs = [
        "w00 w01 w02",
        "w03 w03 , w04 .",
        "unknown words only",
        "",
        "W05 ( w06 ) ... w07 !",
        "a cross-country race in the U.S. at 3.5 percent",
        "Café w10 don't",
        "w44 " * 200,
    ]
    # how tl splits these (see man/tl-embed.1), lower-cased
    tokens = [
        ["w00", "w01", "w02"],
        ["w03", "w03", ",", "w04", "."],
        ["unknown", "words", "only"],
        [],
        ["w05", "(", "w06", ")", "...", "w07", "!"],
        ["a", "cross-country", "race", "in", "the", "u.s.", "at", "3.5",
         "percent"],
        ["café", "w10", "do", "n't"],
        ["w44"] * 200,
    ]
    out = read_stream(run(["-m", model], "\n".join(docs).encode() + b"\n"))
    ok = len(out) == len(docs)
    why = "%d records for %d documents" % (len(out), len(docs))
    for k, (toks, rec) in enumerate(zip(tokens, out)):
        rows = [index[t] for t in toks if t in index]
        want = (vecs[rows].astype(np.float64).mean(axis=0) if rows
                else np.zeros(d))
        got = rec[2]
        scale = np.maximum(1.0, np.abs(want))
        if rec[0] != str(k + 1) or rec[1] != "" or got.shape != (d,) or \
                np.max(np.abs(got - want) / scale) > 1e-6:
            ok = False
            why = "document %d: got %s, want %s" % (k + 1, got, want)
            break
    check("embed_mean_matches_numpy", ok, why)

    # --tsv: ids and labels pass through, text after the second TAB
    tsv = b"a1\tpos\tw00 w01\nb2\tneg\tw02\tw03\n"
    out = read_stream(run(["-m", model, "--tsv"], tsv))
    want = [vecs[[0, 1]].mean(axis=0), vecs[[2, 3]].mean(axis=0)]
    check("embed_tsv", [(r[0], r[1]) for r in out] ==
          [("a1", "pos"), ("b2", "neg")] and
          all(np.allclose(r[2], w, atol=1e-6) for r, w in zip(out, want)))

    # word2vec binary written by numpy == glove text import
    w2v = os.path.join(tmp, "small.bin")
    with open(w2v, "wb") as f:
        f.write(b"%d %d\n" % (n, d))
        for w, v in zip(words, vecs):
            f.write(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n")
    model_bin = os.path.join(tmp, "small-bin.tlm")
    run(["import", "--format", "word2vec-bin", "-o", model_bin, w2v])
    a = read_stream(run(["-m", model], "\n".join(docs).encode() + b"\n"))
    b = read_stream(run(["-m", model_bin], "\n".join(docs).encode() + b"\n"))
    check("word2vec_bin_equals_glove",
          len(a) == len(b) and all(np.array_equal(x[2], y[2])
                                   for x, y in zip(a, b)))

    # the model itself: safetensors that numpy can read
    with open(model_bin, "rb") as f:
        blob = f.read()
    hlen = int.from_bytes(blob[:8], "little")
    import json
    header = json.loads(blob[8:8 + hlen])
    base = 8 + hlen
    b0, b1 = header["vectors"]["data_offsets"]
    stored = np.frombuffer(blob[base + b0:base + b1], "<f4").reshape(n, d)
    o0, o1 = header["vocab.offsets"]["data_offsets"]
    offs = np.frombuffer(blob[base + o0:base + o1], "<i8")
    y0, y1 = header["vocab.bytes"]["data_offsets"]
    vb = blob[base + y0:base + y1]
    names = [vb[offs[i]:offs[i + 1]].decode() for i in range(n)]
    meta = json.loads(header["__metadata__"]["tl"])
    check("model_tensors_exact", np.array_equal(stored, vecs) and
          names == words and meta["kind"] == "embedding" and
          meta["dim"] == d and meta["vocab_size"] == n and
          meta["source"]["format"] == "word2vec-bin" and
          meta["tokenizer"]["mode"] == "general")

    # word2vec text and fastText .vec: a header line, then glove lines
    for fmt in ("word2vec", "vec"):
        p = os.path.join(tmp, "small." + fmt)
        with open(glove, encoding="utf-8") as src, \
                open(p, "w", encoding="utf-8") as f:
            f.write("%d %d\n" % (n, d) + src.read())
        m = os.path.join(tmp, fmt + ".tlm")
        run(["import", "--format", fmt, "-o", m, p])
        c = read_stream(run(["-m", m], "\n".join(docs).encode() + b"\n"))
        check("import_" + fmt + "_equals_glove",
              all(np.array_equal(x[2], y[2]) for x, y in zip(a, c)))

    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    return failures()


if __name__ == "__main__":
    sys.exit(main())
