"""The Python side of make bench: the scikit-learn peers and small data chores.

bench/run.sh calls this with /usr/bin/python3 (Debian's numpy and
scikit-learn).  Each subcommand prints one result line of KEY=VALUE pairs
that run.sh reads back; nothing here touches a test split except to score
a model that was fitted on training data only.

  shuffle SEED IN OUT           shuffle the lines of IN with random.Random(SEED)
  lr TRAIN.vec TEST.vec [MAXIT] LogisticRegression(C=1) on tl vector streams
  predict TRAIN.vec N           predict_proba rows/s on N rows (one thread)
  tfidf TRAIN.tsv TEST.tsv PRED N..
                                TF-IDF + LogisticRegression learning curve
"""
import random
import sys
import time
import warnings

import numpy as np


def read_vec(path):
	"""Read a tl text vector stream: '#' header, then id TAB label TAB v..."""
	labels, rows = [], []
	with open(path, encoding="utf-8") as f:
		for line in f:
			if line.startswith("#"):
				continue
			parts = line.rstrip("\n").split("\t")
			labels.append(parts[1])
			rows.append(parts[2:])
	x = np.array(rows, dtype=np.float64)
	return x, np.array(labels)


def cmd_shuffle(seed, src, dst):
	with open(src, encoding="utf-8") as f:
		lines = f.readlines()
	random.Random(int(seed)).shuffle(lines)
	with open(dst, "w", encoding="utf-8") as f:
		f.writelines(lines)


def cmd_lr(train, test, max_iter="100", reps="1"):
	"""Fit REPS times (lbfgs is deterministic: the same model each
	time) and report the median fit time, as tl-train's is the median
	of its runs."""
	from sklearn.linear_model import LogisticRegression
	xtr, ytr = read_vec(train)
	xte, yte = read_vec(test)
	times = []
	for _ in range(int(reps)):
		clf = LogisticRegression(C=1.0, max_iter=int(max_iter))
		with warnings.catch_warnings(record=True) as w:
			warnings.simplefilter("always")
			t0 = time.perf_counter()
			clf.fit(xtr, ytr)
			times.append(time.perf_counter() - t0)
		conv = sum(1 for x in w if "converge" in str(x.message).lower())
	fit = sorted(times)[len(times) // 2]
	acc = float(np.mean(clf.predict(xte) == yte))
	print(f"fit_s={fit:.3f} acc={acc:.4f} n_iter={int(np.max(clf.n_iter_))} "
	    f"convergence_warnings={conv} fit_runs={len(times)}")


def cmd_predict(train, n):
	from sklearn.linear_model import LogisticRegression
	xtr, ytr = read_vec(train)
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")  # a quick fit: only speed counts
		clf = LogisticRegression(C=1.0, max_iter=20).fit(xtr, ytr)
	n = int(n)
	x = np.tile(xtr, (n // len(xtr) + 1, 1))[:n].astype(np.float32)
	t0 = time.perf_counter()
	clf.predict_proba(x)
	s = time.perf_counter() - t0
	print(f"rows={n} seconds={s:.3f} rows_per_s={n / s:.0f}")


def read_tsv(path, text_col=2):
	ys, xs = [], []
	import gzip
	op = gzip.open if path.endswith(".gz") else open
	with op(path, "rt", encoding="utf-8") as f:
		for line in f:
			p = line.rstrip("\n").split("\t")
			ys.append(p[1])
			xs.append(p[text_col])
	return xs, np.array(ys)


def cmd_tfidf(train, test, pred, *ns):
	"""TRAIN is the already shuffled training split; N takes its first N rows.
	The test rows' predicted labels go to PRED.N, one per line.
	C is chosen per N by 3-fold cross-validation on those N rows only; above
	3000 rows the grid search costs minutes, so C is the one chosen on the
	largest N <= 3000 (still training rows only)."""
	from sklearn.feature_extraction.text import TfidfVectorizer
	from sklearn.linear_model import LogisticRegression
	from sklearn.model_selection import GridSearchCV, KFold
	xtr, ytr = read_tsv(train)
	xte, yte = read_tsv(test)
	best_c = None
	for n in ns:
		k = len(xtr) if n == "all" else min(int(n), len(xtr))
		t0 = time.perf_counter()
		vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
		xa = vec.fit_transform(xtr[:k])
		grid = [1, 10, 100, 1000, 10000] if k <= 3000 or best_c is None else [best_c]
		with warnings.catch_warnings():
			warnings.simplefilter("ignore")
			if len(grid) > 1:
				gs = GridSearchCV(LogisticRegression(max_iter=1000),
				    {"C": grid}, cv=KFold(3, shuffle=True,
				    random_state=1), n_jobs=1)
				gs.fit(xa, ytr[:k])
				c, clf = gs.best_params_["C"], gs
				best_c = c
			else:
				c = grid[0]
				clf = LogisticRegression(C=c, max_iter=1000)
				clf.fit(xa, ytr[:k])
		yp = clf.predict(vec.transform(xte))
		with open(f"{pred}.{n}", "w", encoding="utf-8") as f:
			f.writelines(y + "\n" for y in yp)
		acc = float(np.mean(yp == yte))
		s = time.perf_counter() - t0
		print(f"n={n} acc={acc:.4f} C={c} seconds={s:.1f}", flush=True)


def cmd_tfidf_fit(train, test, max_iter="100"):
	"""One LogisticRegression(C=1) fit on TF-IDF 1-2-grams (section 4's
	vectoriser) of the whole of TRAIN, timed apart from vectorising."""
	from sklearn.feature_extraction.text import TfidfVectorizer
	from sklearn.linear_model import LogisticRegression
	xtr, ytr = read_tsv(train)
	xte, yte = read_tsv(test)
	t0 = time.perf_counter()
	vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
	xa = vec.fit_transform(xtr)
	vs = time.perf_counter() - t0
	clf = LogisticRegression(C=1.0, max_iter=int(max_iter))
	with warnings.catch_warnings(record=True) as w:
		warnings.simplefilter("always")
		t0 = time.perf_counter()
		clf.fit(xa, ytr)
		fit = time.perf_counter() - t0
	conv = sum(1 for x in w if "converge" in str(x.message).lower())
	acc = float(np.mean(clf.predict(vec.transform(xte)) == yte))
	print(f"fit_s={fit:.3f} vec_s={vs:.3f} acc={acc:.4f} "
	    f"n_iter={int(np.max(clf.n_iter_))} features={xa.shape[1]} "
	    f"convergence_warnings={conv}")


def main():
	cmds = {"shuffle": cmd_shuffle, "lr": cmd_lr, "predict": cmd_predict,
	    "tfidf": cmd_tfidf, "tfidf_fit": cmd_tfidf_fit}
	if len(sys.argv) < 2 or sys.argv[1] not in cmds:
		sys.exit("usage: peers.py shuffle|lr|predict|tfidf|tfidf_fit ARGS")
	cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
	main()
