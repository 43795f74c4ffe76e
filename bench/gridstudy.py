#!/usr/bin/python3
"""The seed study behind section 4's grids (bench/README.md), on TRAINING
splits only: for each seed, shuffle the training split (peers.py shuffle),
train tl+lex on the first N rows with grid A or B, score the rest
(debian-desc: the 10,000 rows after the first N).  Not part of make bench
(about 25 minutes on 2 cores); run from the top of the tree after make:

    bench/gridstudy.py DATA GRID N SEED...   DATA spam | debian, GRID A | B | C | K | T

GRID K is grid C over word and character n-grams (--lexical-chars 2-5).
GRID T is the bench's TF-IDF peer (peers.py tfidf) on the same rows, for
comparing the peer with tl+lex away from the test split.

Appends "data grid N seed accuracy choices seconds" (TAB) to
build/gridstudy/results.tsv.  OPENBLAS_NUM_THREADS=1 lets two run side by
side."""
import os
import subprocess
import sys
import time

W = "build/gridstudy"
MODEL = "models/default.tlm"
SRC = {"spam": "../shared/data/spam/train.tsv.gz",
    "debian": "../shared/data/debian-desc/short.train.tsv"}
EVAL_MAX = {"spam": None, "debian": 10000}
GRID = {"A": "-C 0.1,1,10,100 --dense-weight 0.3,1",
    "B": "-C 0.1,1,10,100,1000 --dense-weight 0.1,0.3,1",
    "C": "-C 0.1,1,10,100,1000,10000 --dense-weight 0.03,0.1,0.3,1"}
# K: grid C over word and character 2-5-gram features (--lexical-chars)
GRID["K"] = GRID["C"]
CHARS = {"K": " --lexical-chars 2-5"}


def lines_of(data, seed):
	shuf = f"{W}/shuf.{data}.{seed}.tsv"
	if not os.path.exists(shuf):
		src = f"{W}/{data}.train.tsv"
		cat = "zcat" if SRC[data].endswith(".gz") else "cat"
		subprocess.run(["sh", "-c", f"{cat} {SRC[data]} | cut -f1-3 >{src}"],
		    check=True)
		subprocess.run(["/usr/bin/python3", "bench/peers.py", "shuffle",
		    str(seed), src, shuf], check=True)
	with open(shuf, encoding="utf-8") as f:
		return f.readlines()


def split(data, seed, n):
	lines = lines_of(data, seed)
	rest = lines[n:n + EVAL_MAX[data]] if EVAL_MAX[data] else lines[n:]
	sub = f"{W}/{data}.s{seed}.n{n}.sub.tsv"
	ev = f"{W}/{data}.s{seed}.n{n}.eval.tsv"
	for path, part in ((sub, lines[:n]), (ev, rest)):
		with open(path, "w", encoding="utf-8") as f:
			f.writelines(part)
	return sub, ev


def accuracy(pred, gold):	# as bench/run.sh acc()
	p = [l.split("\t")[1].rstrip("\n") for l in open(pred, encoding="utf-8")
	    if not l.startswith("#")]
	g = [l.split("\t")[1] for l in open(gold, encoding="utf-8")]
	assert len(p) == len(g), (len(p), len(g))
	return sum(a == b for a, b in zip(p, g)) / len(g)


def choices(model):
	info = subprocess.run(["bin/tl-info", model], capture_output=True,
	    text=True, check=True).stdout
	out = []
	for line in info.splitlines():
		for k in ("C", "dense_weight", "idf", "min_df"):
			if f'"chosen_{k}"' in line:
				out.append(k + "=" +
				    line.split(":", 1)[1].strip().rstrip(","))
	return " ".join(out)


def run_tfidf(sub, ev, n):
	out = subprocess.run(["/usr/bin/python3", "bench/peers.py", "tfidf",
	    sub, ev, sub + ".tfidf", str(n)], capture_output=True, text=True,
	    check=True).stdout
	f = dict(kv.split("=") for kv in out.split())
	return float(f["acc"]), "C=" + f["C"]


def run(data, seed, n, grid):
	sub, ev = split(data, seed, n)
	if grid == "T":
		return run_tfidf(sub, ev, n)
	pre = f"{W}/{data}.s{seed}.n{n}.{grid}"
	chars = CHARS.get(grid, "")
	lex = f"{W}/{data}.s{seed}.n{n}.eval{'.chars' if chars else ''}.lex"
	emb = (f"bin/tl-embed -m {MODEL} --threads 1 --pool meanmax --lexical"
	    f"{chars} --binary --tsv")
	sh = (f"{emb} <{sub} | bin/tl-train --cv 3 {GRID[grid]} -q -o {pre}.tlm"
	    f" && {{ [ -s {lex} ] || {emb} <{ev} >{lex}; }}"
	    f" && bin/tl-predict -m {pre}.tlm {lex} >{pre}.pred")
	subprocess.run(["bash", "-o", "pipefail", "-c", sh], check=True)
	picked = choices(f"{pre}.tlm")
	os.remove(f"{pre}.tlm")
	return accuracy(f"{pre}.pred", ev), picked


def main():
	if len(sys.argv) < 5 or sys.argv[1] not in SRC or sys.argv[2] not in (*GRID, "T"):
		sys.exit(__doc__)
	data, grid, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	os.makedirs(W, exist_ok=True)
	for s in sys.argv[4:]:
		t0 = time.perf_counter()
		a, picked = run(data, s, n, grid)
		line = (f"{data}\t{grid}\t{n}\t{s}\t{a:.6f}\t{picked}\t"
		    f"{time.perf_counter() - t0:.1f}")
		print(line, flush=True)
		with open(f"{W}/results.tsv", "a") as f:
			f.write(line + "\n")


if __name__ == "__main__":
	main()
