#!/usr/bin/python3
"""Mutation fuzzing of the tools' inputs, for `make fuzz` (not part of make
test: a few minutes under the sanitizers).

Valid inputs of every kind the tools read -- vector streams, text and
binary, with and without a sparse part; model files (a head, a sparse head,
an embedding); JSON lines and TSV -- are mutated (bit flips, bytes set to
separators, cuts, truncation, spliced and random bytes) and given to the
tools (make fuzz: the AddressSanitizer and UBSan build).  A run fails when a tool
crashes or is killed, a sanitizer reports, it runs past the timeout, or it
exits non-zero without a message that starts with its own name.  Failing
inputs are kept in the work directory, named in the output.

    tests/fuzz.py [--bin DIR] [--model EMBEDDING] [--iters N] [--seed S]
                  [--keep DIR]
"""
import argparse
import os
import random
import shutil
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
]


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
	return {"vec": head("train.vec", 1 << 20), "bin": head("s3.bin", 1 << 20),
	    "lexvec": head("lex.vec", 20000), "lexbin": head("lex.bin", 30000),
	    "jsonl": head(f"{ex}/new-tweets.jsonl", 6000),
	    "tsv": head("tweets.tsv", 6000), "model": head("m3.tlm", 1 << 20),
	    "lexmodel": head("lex.tlm", 1 << 20),
	    "emb": head("small.tlm", 1 << 20)}


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
			f.write(mutate(rnd, inputs[kind]))
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
