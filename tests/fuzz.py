#!/usr/bin/python3
"""Mutation fuzzing of the tools' inputs, for `make fuzz` (not part of make
test: a few minutes under the sanitizers).

Valid inputs of every kind the tools read -- vector streams, text and
binary, with and without a sparse part; model files (a head, a sparse head,
an embedding, an MLP, frozen pipelines, an embedding with subwords and
one stored as f16); word vectors to import (GloVe, word2vec text and
binary); JSON lines and TSV -- are mutated (bit flips, bytes set
to separators, cuts, truncation, spliced and random bytes) and given to the
tools (make fuzz: the AddressSanitizer and UBSan build).  Half the runs
instead change values of the input's JSON and keep it valid (a value of a
model's description or tensor entry, of a stream's header or of a JSON
line replaced, removed or copied from elsewhere), to reach the checks
behind the JSON parser.  A run fails when a tool
crashes or is killed, a sanitizer reports, it runs past the timeout, or it
exits non-zero without a message that starts with its own name.  Failing
inputs are kept in the work directory, named in the output.

    tests/fuzz.py [--bin DIR] [--model EMBEDDING] [--iters N] [--seed S]
                  [--keep DIR]
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (input kind, tool and arguments): IN stands for the mutated file, which
# otherwise comes on standard input
TARGETS = [
	("vec", ["tl-train", "-q", "-o", "o.tlm"]),
	("vec", ["tl-predict", "-m", "m3.tlm"]),
	("bin", ["tl-predict", "-m", "m3.tlm"]),
	("bin", ["tl-stack", "-m", "m3.tlm"]),
	("lexvec", ["tl-train", "-q", "-o", "o.tlm"]),
	("lexvec", ["tl-predict", "-m", "lex.tlm"]),
	("lexbin", ["tl-predict", "-m", "lex.tlm"]),
	("lexbin", ["tl-stack", "-m", "lex.tlm"]),
	("jsonl", ["tl-embed", "-m", "small.tlm", "--jsonl"]),
	("tsv", ["tl-embed", "-m", "small.tlm", "--tsv", "--lexical"]),
	("model", ["tl-predict", "-m", "IN", "train.vec"]),
	("model", ["tl-info", "IN"]),
	("lexmodel", ["tl-predict", "-m", "IN", "lex.vec"]),
	("emb", ["tl-embed", "-m", "IN", "--tsv", "tweets.tsv"]),
	("emb", ["tl-info", "IN"]),
	("emb", ["tl-embed", "nn", "-m", "IN", "-k", "3", "cat", "mat"]),
	("emb", ["tl-embed", "fit", "-m", "IN", "-o", "o.tlm", "tweets.tsv"]),
	("glove", ["tl-embed", "import", "--format", "glove", "-o", "o.tlm"]),
	("w2v", ["tl-embed", "import", "--format", "vec", "-o", "o.tlm"]),
	("w2vbin", ["tl-embed", "import", "--format", "word2vec-bin", "-o",
	    "o.tlm"]),
	("sub", ["tl-embed", "-m", "IN", "--tsv", "tweets.tsv"]),
	("sub", ["tl-embed", "learn", "--init", "IN", "--dim", "8", "--epochs",
	    "1", "--threads", "1", "-o", "o.tlm", "text.txt"]),
	("f16", ["tl-embed", "-m", "IN", "--tsv", "--lexical", "tweets.tsv"]),
	("mlp", ["tl-predict", "-m", "IN", "train.vec"]),
	("mlp", ["tl-stack", "-m", "IN", "train.vec"]),
	("model", ["tl-train", "-q", "--init", "IN", "-o", "o.tlm",
	    "train.vec"]),
	("pipe", ["tl-predict", "-m", "IN", "--tsv", "tweets.tsv"]),
	("pipe", ["tl-stack", "--tsv", "-m", "IN", "tweets.tsv"]),
	("pipe", ["tl-info", "IN"]),
	("dag", ["tl-predict", "-m", "IN", "--tsv", "--top", "2",
	    "tweets.tsv"]),
	("dag", ["tl-stack", "--only", "-m", "IN", "small.vec"]),
	("dag", ["tl-info", "--verify", "IN", "small.tlm"]),
]

# Kinds of input that are model files (safetensors): they also get
# mutations of their JSON header that keep it valid JSON, as the streams'
# headers and JSON lines do.
MODELS = {"model", "lexmodel", "emb", "sub", "f16", "mlp", "pipe", "dag"}


def run(argv, **kw):
	return subprocess.run(argv, check=True, **kw)


def prepare(bindir, model):
	"""The valid inputs, by kind, made by the tools themselves."""
	t = lambda name: os.path.join(bindir, name)
	shutil.copy(f"{TOP}/tests/data/train-3class.vec", "train.vec")
	head = lambda f, n: open(f, "rb").read()[:n]
	ex = f"{TOP}/examples"
	shutil.copy(f"{ex}/tweets.tsv", "tweets.tsv")
	run([t("tl-embed"), "import", "--format", "glove", "-o", "small.tlm",
	    f"{TOP}/tests/data/embed-small.glove"])
	run([t("tl-train"), "-q", "-o", "m3.tlm", "train.vec"])
	with open("s3.bin", "wb") as f:
		run([t("tl-stack"), "--binary", "-m", "m3.tlm", "train.vec"],
		    stdout=f)
	with open("lex.vec", "wb") as f:
		out = run([t("tl-embed"), "-m", model, "--lexical", "--tsv",
		    "tweets.tsv"], capture_output=True).stdout
		f.write(b"".join(out.splitlines(True)[:61]))
	run([t("tl-train"), "-q", "-o", "lex.tlm", "lex.vec"])
	with open("lex.bin", "wb") as f:
		run([t("tl-embed"), "-m", model, "--lexical", "--binary",
		    "--tsv", f"{ex}/campaign.tsv"], stdout=f)
	prepare_more(t)
	models = {k: open(f, "rb").read() for k, f in (("sub", "sub.tlm"),
	    ("f16", "f16.tlm"), ("mlp", "mlp.tlm"), ("pipe", "lexpipe.tlm"),
	    ("dag", "dag.tlm"))}
	return models | vector_files() | {"vec": head("train.vec", 1 << 20),
	    "bin": head("s3.bin", 1 << 20),
	    "lexvec": head("lex.vec", 20000), "lexbin": head("lex.bin", 30000),
	    "jsonl": head(f"{ex}/new-tweets.jsonl", 6000),
	    "tsv": head("tweets.tsv", 6000), "model": head("m3.tlm", 1 << 20),
	    "lexmodel": head("lex.tlm", 1 << 20),
	    "emb": head("small.tlm", 1 << 20)}


def vector_files():
	"""The small GloVe file, and the same words as text word2vec (.vec)
	and binary word2vec, for tl-embed import."""
	glove = open(f"{TOP}/tests/data/embed-small.glove", "rb").read()
	rows = [r.split(b" ") for r in glove.splitlines()]
	head = f"{len(rows)} {len(rows[0]) - 1}\n".encode()
	vec = head + b"".join(b" ".join(r) + b"\n" for r in rows)
	bin_ = head + b"".join(r[0] + b" " + struct.pack(f"<{len(r) - 1}f",
	    *map(float, r[1:])) + b"\n" for r in rows)
	return {"glove": glove, "w2v": vec, "w2vbin": bin_}


def prepare_more(t):
	"""The models made from the small embedding: quick to load, whole."""
	sh = lambda cmd: run(["sh", "-c", cmd], env=os.environ | {"PATH":
	    os.path.dirname(t("tl-embed")) + ":" + os.environ["PATH"]})
	sh("tl-train -q -t mlp --hidden 8 --epochs 5 -o mlp.tlm train.vec")
	sh("cut -f 3 tweets.tsv >text.txt")
	sh("tl-embed learn --dim 8 --epochs 1 --threads 1 --min-count 2 "
	    "--minn 3 --maxn 4 --bucket 1000 -o sub.tlm text.txt")
	sh(f"tl-embed import --format glove --dtype f16 -o f16.tlm "
	    f"{TOP}/tests/data/embed-small.glove")
	sh("tl-embed -m small.tlm --tsv --lexical tweets.tsv |"
	    " tl-train -q -o lexh.tlm")
	sh("tl-stack --freeze -o lexpipe.tlm small.tlm lexh.tlm")
	sh("tl-embed -m small.tlm --tsv tweets.tsv >small.vec")
	sh("tl-train -q -o sent.tlm small.vec")
	sh("tl-stack -m sent.tlm small.vec | tl-train -q -o top.tlm")
	sh("tl-stack --freeze -o dag.tlm small.tlm sent.tlm top.tlm")


# Sizes at the tools' limits and at the edges of integer types.
LIMITS = [2**16, 2**20, 2**24 - 1, 2**24, 2**24 + 1, 2**28, 2**31 - 1,
    2**31, 2**32, 2**32 + 1, 2**53 + 1, 2**63 - 1]

# Values that a model's description or tensor entry might be given.
ODD = [0, -1, 1, 2, 3, 7, 255, 256, 65536, 2**24, 2**31 - 1, 2**31, 2**32 + 1,
    2**53 + 1, 2**63 - 1, -2**63, 1e308, -1e308, 1e-320, 0.5, -0.0, "", "x",
    "F16", "F32", "I64", "U8", "mean", "sif", "meanmax", "tweet",
    "embedding", "softmax", "sparse-softmax", "mlp", "pipeline", "logistic",
    "ridge", "proba", "\u00ff", [], [0], [1, 2], [2**40, 1], {}, None,
    True, False]


def nodes(v, out):
	"""Every (container, key) of the JSON value V, depth first."""
	items = v.items() if isinstance(v, dict) else enumerate(v) \
	    if isinstance(v, list) else ()
	for k, x in items:
		out.append((v, k))
		nodes(x, out)
	return out


def mutate_json(rnd, v):
	spots = nodes(v, [])
	if not spots:
		return
	c, k = rnd.choice(spots)
	op = rnd.randrange(5)
	if isinstance(c[k], int) and not isinstance(c[k], bool) and \
	    rnd.random() < 0.5:
		# counts and sizes: off by one, or large enough that an
		# allocation they size would fail
		c[k] = rnd.choice([c[k] - 1, c[k] + 1, 0, -c[k], 2 * c[k],
		    c[k] << rnd.randint(8, 24), rnd.choice(LIMITS)])
	elif op == 0:
		del c[k]
	elif op == 1:
		d, j = rnd.choice(spots)
		if d is not c or j != k:
			c[k] = json.loads(json.dumps(d[j]))
	elif op == 2 and isinstance(c[k], list) and c[k]:
		c[k].append(c[k][rnd.randrange(len(c[k]))])
	else:
		c[k] = rnd.choice(ODD)


def mutate_model(rnd, b):
	"""B, a model file, with one to three values of its header changed;
	the header stays valid JSON, its length is rewritten."""
	n = int.from_bytes(b[:8], "little")
	hdr = json.loads(b[8:8 + n])
	meta = hdr.get("__metadata__", {})
	tl = json.loads(meta["tl"]) if "tl" in meta else None
	for _ in range(rnd.randint(1, 3)):
		if tl is not None and rnd.random() < 0.6:
			mutate_json(rnd, tl)
		elif rnd.random() < 0.5:	# the tensors' entries alone
			md = {k: v for k, v in hdr.items() if k == "__metadata__"}
			hdr = {k: v for k, v in hdr.items() if k != "__metadata__"}
			mutate_json(rnd, hdr)
			hdr |= md
		else:
			mutate_json(rnd, hdr)
	if tl is not None and isinstance(hdr.get("__metadata__"), dict):
		hdr["__metadata__"]["tl"] = json.dumps(tl)
	h = json.dumps(hdr).encode()
	h += b" " * (-len(h) % 8)
	return len(h).to_bytes(8, "little") + h + b[8 + n:]


def mutate_stream(rnd, b):
	"""B, a vector stream or JSON lines, with values of its JSON changed:
	the text form's "#" header, the binary form's header (its length
	rewritten), or one JSON line.  B mutated as bytes when it has none."""
	def changed(text):
		v = json.loads(text)
		for _ in range(rnd.randint(1, 3)):
			mutate_json(rnd, [v])
		return json.dumps(v).encode()
	if b[:4] == b"TLVB":
		n = int.from_bytes(b[8:12], "little")
		h = changed(b[12:12 + n])
		return b[:8] + len(h).to_bytes(4, "little") + h + b[12 + n:]
	lines = b.split(b"\n")
	if b[:1] == b"#":
		return b"#" + changed(lines[0][1:]) + b"\n" + b"\n".join(lines[1:])
	if b[:1] == b"{":
		i = rnd.randrange(max(len(lines) - 1, 1))
		lines[i] = changed(lines[i])
		return b"\n".join(lines)
	return mutate(rnd, b)


def mutate(rnd, b):
	b = bytearray(b)
	for _ in range(rnd.randint(1, 4)):
		if not b:
			b = bytearray(b"x")
		i, op = rnd.randrange(len(b)), rnd.randrange(6)
		if op == 0:
			b[i] ^= 1 << rnd.randrange(8)
		elif op == 1:
			b[i] = rnd.choice(b"\0\xff\x7f\x80\t\n:-e{")
		elif op == 2:
			del b[i:i + rnd.randint(1, 64)]
		elif op == 3:
			del b[i:]
		elif op == 4:
			j = rnd.randrange(len(b))
			b[i:i] = b[j:j + rnd.randint(1, 200)]
		else:
			b[i:i] = bytes(rnd.randrange(256)
			    for _ in range(rnd.randint(1, 16)))
	return bytes(b)


def problem(argv, p):
	err = p.stderr.decode("utf-8", "replace")
	if p.returncode not in (0, 1, 2):
		return f"exit {p.returncode}"
	if "Sanitizer" in err or "runtime error" in err:
		return "sanitizer"
	if p.returncode != 0 and not err.startswith(argv[0] + ":"):
		return "message"
	return None


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	ap.add_argument("--bin", default=f"{TOP}/build/san/bin")
	ap.add_argument("--model", default=f"{TOP}/models/default.tlm")
	ap.add_argument("--iters", type=int, default=500)
	ap.add_argument("--seed", type=int, default=1)
	ap.add_argument("--keep", help="work directory (default: a temporary "
	    "one, removed when nothing failed)")
	a = ap.parse_args()
	bindir, model = os.path.abspath(a.bin), os.path.abspath(a.model)
	work = a.keep or tempfile.mkdtemp(prefix="tl-fuzz.")
	os.makedirs(work, exist_ok=True)
	os.chdir(work)
	inputs = prepare(bindir, model)
	rnd, bad = random.Random(a.seed), 0
	for it in range(a.iters):
		kind, argv = rnd.choice(TARGETS)
		name = f"in.{kind}"
		with open(name, "wb") as f:
			f.write(mutate(rnd, inputs[kind]) if rnd.random() < 0.5
			    else mutate_model(rnd, inputs[kind]) if kind in MODELS
			    else mutate_stream(rnd, inputs[kind]))
		args = [os.path.join(bindir, argv[0])] + [name if x == "IN"
		    else x for x in argv[1:]]
		with open(name, "rb") as stdin:
			try:
				p = subprocess.run(args, stdin=None if "IN" in argv
				    else stdin, capture_output=True, timeout=60)
				why = problem(argv, p)
			except subprocess.TimeoutExpired:
				why, p = "timeout", None
		if why:
			bad += 1
			os.rename(name, f"bad{bad}.{kind}")
			msg = p.stderr.decode("utf-8", "replace")[:300] if p else ""
			print(f"{why}: {' '.join(args)} <- {work}/bad{bad}.{kind}: "
			    f"{msg}", flush=True)
	print(f"fuzz: {a.iters} runs, seed {a.seed}, {bad} failed")
	if bad == 0 and not a.keep:
		os.chdir("/")
		shutil.rmtree(work)
	sys.exit(1 if bad else 0)


if __name__ == "__main__":
	main()
