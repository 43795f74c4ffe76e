"""Helpers the reference tests share: vector streams and safetensors model
files written and read with plain Python and numpy, independently of tl's
own code, so that agreement with numpy or scikit-learn means something."""

import json
import struct
import subprocess
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1"}


def dataset(seed, n, d, k, spread, prefix="class-"):
    """N rows of K Gaussian clusters in D dimensions (float32) and their
    class names PREFIX + a letter."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d))
    y = rng.integers(0, k, size=n)
    x = (centers[y] + spread * rng.normal(size=(n, d))).astype(np.float32)
    names = np.array(["%s%s" % (prefix, c) for c in "abcdefgh"[:k]])
    return x, names[y]


def write_stream(path, x, labels):
    """A header-less text vector stream: ids r0, r1, ..., exact floats."""
    with open(path, "w") as f:
        for i, (row, lab) in enumerate(zip(x, labels)):
            f.write("r%d\t%s\t%s\n" % (i, lab, "\t".join(
                repr(float(v)) for v in row)))


def read_safetensors(path):
    """The tensors of a safetensors file ({name: array}) and its tl
    description (a dict, or None without one)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(blob[base + b:base + e],
                                      DTYPES[t["dtype"]]).reshape(t["shape"])
    return tensors, json.loads(meta["tl"]) if "tl" in meta else None


_failures = 0


def check(name, cond, why=""):
    """Print "ok NAME" or "not ok NAME" (and WHY on stderr), counting
    failures for failures()."""
    global _failures
    print(("ok " if cond else "not ok ") + name)
    if not cond:
        _failures += 1
        if why:
            print("    " + why.replace("\n", "\n    "), file=sys.stderr)


def failures():
    """The exit status for main: 1 when a check failed."""
    return 1 if _failures else 0


def run(args, stdin=b""):
    """Run ARGS; its stdout, or RuntimeError with its stderr on failure."""
    p = subprocess.run(args, input=stdin, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (
            " ".join(args), p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout
