"""Reference test of the model container against an independent reader and
writer of the safetensors layout, written here with numpy and json only (the
safetensors package is not available): tl's files must read as plain
safetensors, and a safetensors file from elsewhere must load in tl-info.
Prints "ok NAME" / "not ok NAME" lines; exits 1 on any failure."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import traceback

import numpy as np

TOP = os.environ.get("TL_TOP", os.path.join(os.path.dirname(__file__), "../.."))
BUILD = os.environ.get("TL_BUILD", os.path.join(TOP, "build"))
DTYPES = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1"}

failures = 0


def read_safetensors(path):
    """A minimal safetensors reader: (tensors, metadata, header length)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], DTYPES[t["dtype"]]).reshape(
            t["shape"])
    return tensors, meta, n, header


def write_safetensors(path, tensors, metadata=None):
    """A minimal safetensors writer: tensors in the order given."""
    header, off, blobs = {}, 0, []
    for name, a in tensors.items():
        dt = [k for k, v in DTYPES.items() if np.dtype(v) == a.dtype][0]
        blob = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape),
                        "data_offsets": [off, off + len(blob)]}
        off += len(blob)
        blobs.append(blob)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def tl_info(*args):
    return subprocess.run(["tl-info", *args], capture_output=True, text=True)


def check(name, fn, tmp):
    global failures
    try:
        fn(tmp)
        print("ok", name)
    except Exception:
        failures += 1
        print("not ok", name)
        traceback.print_exc(file=sys.stderr)


def t_tl_written_reads_as_safetensors(tmp):
    path = os.path.join(tmp, "small.tlm")
    subprocess.run([os.path.join(BUILD, "tests", "test_model"), "--write",
                    path], check=True)
    tensors, meta, n, header = read_safetensors(path)
    assert (8 + n) % 8 == 0, n
    np.testing.assert_array_equal(tensors["weight"], np.array(
        [[0.5, -1.25, 3.0], [1e-7, -0.0, 42.0]], np.float32))
    np.testing.assert_array_equal(tensors["bias"], np.float32([-0.5, 0.25]))
    np.testing.assert_array_equal(tensors["counts"],
                                  np.int64([1, -2, 2**63 - 1]))
    assert tensors["vocab.bytes"].tobytes() == b"hello"
    # contiguous, no gaps, each tensor aligned to its element size
    spans = sorted(t["data_offsets"] for t in header.values())
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in
                                     zip(spans, spans[1:])), spans
    for t in header.values():
        assert (8 + n + t["data_offsets"][0]) % np.dtype(
            DTYPES[t["dtype"]]).itemsize == 0, t
    assert set(meta) == {"tl"}
    desc = json.loads(meta["tl"])
    assert desc["kind"] == "softmax" and desc["format"] == "tl", desc
    assert desc["classes"] == ["neg", "pos"], desc
    assert desc["input_dim"] == 3 and desc["output_dim"] == 2, desc
    assert desc["lineage"] == [], desc


def t_foreign_file_in_tl_info(tmp):
    path = os.path.join(tmp, "foreign.safetensors")
    desc = {"format": "tl", "format_version": 1, "kind": "softmax",
            "classes": ["a", "b", "c"], "input_dim": 4, "output_dim": 3,
            "lineage": []}
    rng = np.random.default_rng(1)
    # a U8 tensor first puts the F32 ones at odd offsets: tl must copy them
    write_safetensors(path, {
        "odd": np.frombuffer(b"xyz", np.uint8),
        "weight": rng.standard_normal((3, 4)).astype(np.float32),
        "bias": np.zeros(3, np.float32),
        "ids": np.arange(5, dtype=np.int64),
        "h": np.ones((2, 2), np.float16),
        "none": np.zeros((0, 7), np.int32),
    }, {"tl": json.dumps(desc), "other": "kept"})
    r = tl_info(path)
    assert r.returncode == 0 and r.stderr == "", r
    out = json.loads(r.stdout)
    with open(path, "rb") as f:
        raw = f.read()
    assert out["sha256"] == hashlib.sha256(raw).hexdigest(), out
    assert out["size"] == len(raw)
    assert out["kind"] == "softmax" and out["classes"] == ["a", "b", "c"]
    assert out["tensors"]["weight"] == {"dtype": "F32", "shape": [3, 4]}
    assert out["tensors"]["ids"] == {"dtype": "I64", "shape": [5]}
    assert out["tensors"]["h"] == {"dtype": "F16", "shape": [2, 2]}
    assert out["tensors"]["none"] == {"dtype": "I32", "shape": [0, 7]}
    r = tl_info("--digest", path)
    assert r.stdout == "%s  %s\n" % (hashlib.sha256(raw).hexdigest(), path)


def t_plain_safetensors(tmp):
    path = os.path.join(tmp, "plain.safetensors")
    write_safetensors(path, {"emb": np.ones((2, 3), np.float32),
                             "scalar": np.array(2.5, np.float32)})
    r = tl_info(path)
    assert r.returncode == 0, r
    out = json.loads(r.stdout)
    assert out["kind"] is None, out
    assert out["tensors"] == {"emb": {"dtype": "F32", "shape": [2, 3]},
                              "scalar": {"dtype": "F32", "shape": []}}, out


def t_bad_tl_metadata(tmp):
    path = os.path.join(tmp, "bad.safetensors")
    write_safetensors(path, {"x": np.ones(2, np.float32)},
                      {"tl": "{not json"})
    r = tl_info(path)
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr.startswith("tl-info: %s: byte 8: __metadata__[\"tl\"]: "
                               "not valid JSON" % path), r.stderr


def t_f64_refused(tmp):
    path = os.path.join(tmp, "f64.safetensors")
    write_safetensors(path, {"x": np.ones(2, np.float64).view(np.int64)})
    with open(path, "rb") as f:
        raw = f.read().replace(b'"I64"', b'"F64"')
    with open(path, "wb") as f:
        f.write(raw)
    r = tl_info(path)
    assert r.returncode == 1 and "unsupported dtype 'F64'" in r.stderr, r


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in sorted(globals().items()):
            if name.startswith("t_") and callable(fn):
                check(name, fn, tmp)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
