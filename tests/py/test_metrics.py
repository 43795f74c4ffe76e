#!/usr/bin/python3
"""tl-predict --eval --json against sklearn.metrics, to 1e-6.

Softmax models made by tl-train on seeded numpy data (3 classes, 2 classes,
and 3 classes evaluated on rows that include labels the model does not
know); tl-predict writes the probabilities (the predictions sklearn is
given) and, with --eval --json, the report compared here with:

  accuracy_score, precision_recall_fscore_support (per class, macro,
  weighted; labels = the model's classes, so unknown true labels are false
  positives of the predicted class), log_loss and roc_auc_score (binary on
  p[:, 1]; multi_class='ovr', average='macro' for more; over the rows whose
  label the model knows), confusion_matrix.  --threshold moves the binary
  decision: checked against p[:, 1] >= T.  --labels and --top agree with the
  probability stream.

Regression (tl-train -t ridge): mean_squared_error(squared=False),
mean_absolute_error, r2_score.  Multi-label (tl-train -t logistic on
','-separated labels): accuracy_score (subset accuracy), hamming_loss,
precision_recall_fscore_support per label and micro / macro, on
MultiLabelBinarizer matrices of the true labels and of scores >= 0.5 (and
--threshold 0.3).  When tl-train does not know those kinds yet, these are
skipped (the C unit tests, tests/unit/test_eval.c, cover the metrics).
Prints "ok NAME" / "not ok NAME"; exits 1 on any failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from tlpy import dataset, write_stream
from sklearn.metrics import (accuracy_score, confusion_matrix, hamming_loss,
                             log_loss, mean_absolute_error,
                             mean_squared_error,
                             precision_recall_fscore_support, r2_score,
                             roc_auc_score)
from sklearn.preprocessing import MultiLabelBinarizer

TOP = os.environ.get("TL_TOP") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(TOP, os.environ.get("OUTBIN", "bin"))
TOL = 1e-6
failures = 0


def report(name, ok, detail=""):
    global failures
    print(("ok " if ok else "not ok ") + name + (" # " + detail if detail else ""))
    if not ok:
        failures += 1


def tool(name):
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else shutil.which(name)


def run(args):
    return subprocess.run(args, check=True, capture_output=True,
                          text=True).stdout


def read_stream(text):
    ids, pred, proba, names = [], [], [], None
    for line in text.splitlines():
        if line.startswith("#"):
            names = json.loads(line[1:])["names"]
            continue
        cols = line.split("\t")
        ids.append(cols[0])
        pred.append(cols[1])
        proba.append([float(v) for v in cols[2:]])
    return ids, np.array(pred), np.array(proba, dtype=np.float64), names


def near(name, got, want):
    ok = got is not None and abs(got - want) <= TOL
    report(name, ok, "tl %r, sklearn %r" % (got, want))


def check(tag, model, vec, labels, extra=()):
    ids, pred, proba, classes = read_stream(run(
        [tool("tl-predict"), "-m", model, vec] + list(extra)))
    rep = json.loads(run([tool("tl-predict"), "--eval", "--json", "-m",
                          model, vec] + list(extra)))
    labels = np.asarray(labels)
    k = len(classes)
    report("json-task-" + tag, rep["task"] == "classification" and
           rep["rows"] == len(labels) and list(rep["classes"]) == classes,
           "task %s rows %s" % (rep["task"], rep["rows"]))
    near("accuracy-" + tag, rep["accuracy"], accuracy_score(labels, pred))
    p, r, f, s = precision_recall_fscore_support(
        labels, pred, labels=classes, zero_division=0)
    for i, c in enumerate(classes):
        got = rep["classes"][c]
        ok = (abs(got["precision"] - p[i]) <= TOL and
              abs(got["recall"] - r[i]) <= TOL and
              abs(got["f1"] - f[i]) <= TOL and got["support"] == s[i])
        report("prf-%s-%s" % (tag, c), ok, "tl %s, sklearn %s" % (
            got, (p[i], r[i], f[i], s[i])))
    for avg in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            labels, pred, labels=classes, average=avg, zero_division=0)
        got = rep[avg]
        ok = max(abs(got["precision"] - p), abs(got["recall"] - r),
                 abs(got["f1"] - f)) <= TOL
        report("%s-%s" % (avg, tag), ok, "tl %s, sklearn %s" % (
            got, (p, r, f)))
    known = np.isin(labels, classes)
    yk, pk = labels[known], proba[known]
    near("log-loss-" + tag, rep["log_loss"], log_loss(yk, pk, labels=classes))
    if k == 2:
        want = roc_auc_score(yk == classes[1], pk[:, 1])
    else:
        want = roc_auc_score(yk, pk, multi_class="ovr", average="macro",
                             labels=classes)
        for i, c in enumerate(classes):
            near("auc-%s-%s" % (tag, c), rep["classes"][c]["roc_auc"],
                 roc_auc_score(yk == c, pk[:, i]))
    near("roc-auc-" + tag, rep["roc_auc"], want)
    rows = rep["confusion"]["true"]
    cm = confusion_matrix(labels, pred, labels=rows)
    report("confusion-" + tag, rep["confusion"]["predicted"] == classes and
           np.array_equal(np.array(rep["confusion"]["counts"]),
                          cm[:, :k]) and (cm[:, k:] == 0).all(),
           "rows %s" % rows)
    unknown = sorted(set(labels[~known]))
    report("unknown-" + tag, rep["unknown"]["rows"] == (~known).sum() and
           rep["unknown"]["labels"] == len(unknown) and
           rows == classes + unknown, "%s" % rep["unknown"])
    return ids, pred, proba, classes


def check_outputs(tag, model, vec, ids, pred, proba, classes):
    got = [line.split("\t") for line in
           run([tool("tl-predict"), "--labels", "-m", model, vec]).splitlines()]
    report("labels-" + tag, [g[0] for g in got] == ids and
           [g[1] for g in got] == list(pred) and
           all(len(g) == 2 for g in got))
    top = [line.split("\t") for line in run(
        [tool("tl-predict"), "--top", "2", "-m", model, vec]).splitlines()]
    ok = len(top) == len(ids)
    for t, row in zip(top, proba):
        order = sorted(range(len(classes)), key=lambda j: (-row[j], j))[:2]
        ok = ok and t[1::2] == [classes[j] for j in order] and \
            [float(v) for v in t[2::2]] == [row[j] for j in order]
    report("top-" + tag, ok)


def main():
    if tool("tl-train") is None or tool("tl-predict") is None:
        print("not ok metrics # tl-train / tl-predict not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="tl-metrics.")
    try:
        # Three classes, overlapping: every metric has room to be wrong.
        x, labels = dataset(3, 300, 4, 3, 2.0, prefix="c-")
        vec, model = os.path.join(tmp, "m3.vec"), os.path.join(tmp, "m3.tlm")
        write_stream(vec, x, labels)
        run([tool("tl-train"), "-q", "-o", model, vec])
        got = check("3class", model, vec, labels)
        check_outputs("3class", model, vec, *got)

        # The same model on new rows, some with labels it does not know.
        x2, l2 = dataset(4, 120, 4, 5, 2.0, prefix="c-")
        l2 = np.where(l2 == "c-d", "zz-unknown", np.where(
            l2 == "c-e", "a-unknown", l2))
        vec2 = os.path.join(tmp, "m3u.vec")
        write_stream(vec2, x2, l2)
        check("3class-unknown", model, vec2, l2)

        # Two classes, and --threshold moving the decision.
        x, labels = dataset(5, 200, 3, 2, 2.5, prefix="c-")
        vec, model = os.path.join(tmp, "m2.vec"), os.path.join(tmp, "m2.tlm")
        write_stream(vec, x, labels)
        run([tool("tl-train"), "-q", "-o", model, vec])
        got = check("2class", model, vec, labels)
        check_outputs("2class", model, vec, *got)
        ids, pred, proba, classes = check("2class-t0.3", model, vec, labels,
                                          ["--threshold", "0.3"])
        want = np.where(proba[:, 1] >= 0.3, classes[1], classes[0])
        report("threshold-2class", (pred == want).all() and
               (pred != got[1]).any(), "%d decisions moved" %
               (pred != got[1]).sum())
        check_regression(tmp)
        check_multilabel(tmp)
    finally:
        shutil.rmtree(tmp)
    return 1 if failures else 0


def train(kind, vec, model):
    """tl-train -t KIND; False when tl-train does not know KIND yet."""
    r = subprocess.run([tool("tl-train"), "-q", "-t", kind, "-o", model, vec],
                       capture_output=True, text=True)
    if r.returncode == 2:
        print("ok %s # skipped: tl-train -t %s: %s" % (
            kind, kind, r.stderr.strip()))
        return False
    r.check_returncode()
    return True


def check_regression(tmp):
    """A ridge model: RMSE, MAE and R^2 vs sklearn."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(150, 4)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.7 * rng.normal(size=150)
    ys = np.array([float(repr(v)) for v in y])
    vec, model = os.path.join(tmp, "r.vec"), os.path.join(tmp, "r.tlm")
    write_stream(vec, x, [repr(v) for v in y])
    if not train("ridge", vec, model):
        return
    _, label, values, _ = read_stream(run(
        [tool("tl-predict"), "-m", model, vec]))
    rep = json.loads(run([tool("tl-predict"), "--eval", "--json", "-m", model,
                          vec]))
    values = values[:, 0]
    report("regression-task", rep["task"] == "regression" and
           rep["rows"] == len(y) and list(rep["targets"]) == ["value"] and
           [float(v) for v in label] == list(values), "%s" % rep["task"])
    near("rmse", rep["rmse"], mean_squared_error(ys, values, squared=False))
    near("mae", rep["mae"], mean_absolute_error(ys, values))
    near("r2", rep["r2"], r2_score(ys, values))


def check_multilabel(tmp):
    """A one-vs-rest logistic model on ','-separated labels."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(200, 3)).astype(np.float32)
    noisy = x + 0.8 * rng.normal(size=x.shape)
    sets = [[c for c, on in zip(("l-a", "l-b", "l-c"), row > 0.2) if on] or
            ["l-c"] for row in noisy]
    vec, model = os.path.join(tmp, "ml.vec"), os.path.join(tmp, "ml.tlm")
    write_stream(vec, x, [",".join(s) for s in sets])
    if not train("logistic", vec, model):
        return
    for t in ("0.5", "0.3"):
        opt = ["--threshold", t]
        _, label, scores, names = read_stream(run(
            [tool("tl-predict"), "-m", model, vec] + opt))
        rep = json.loads(run([tool("tl-predict"), "--eval", "--json", "-m",
                              model, vec] + opt))
        mlb = MultiLabelBinarizer(classes=names)
        Y = mlb.fit_transform(sets)
        P = (scores >= float(t)).astype(int)
        tag = "multilabel-t" + t
        report(tag + "-labels", [lab.split(",") if lab else [] for lab in
                                 label] == [list(mlb.classes_[r == 1])
                                            for r in P])
        near(tag + "-subset-accuracy", rep["subset_accuracy"],
             accuracy_score(Y, P))
        near(tag + "-hamming", rep["hamming_loss"], hamming_loss(Y, P))
        for avg in ("micro", "macro"):
            p, r, f, _ = precision_recall_fscore_support(
                Y, P, average=avg, zero_division=0)
            got = rep[avg]
            near("%s-%s-f1" % (tag, avg), got["f1"], f)
            near("%s-%s-precision" % (tag, avg), got["precision"], p)
            near("%s-%s-recall" % (tag, avg), got["recall"], r)
        p, r, f, s = precision_recall_fscore_support(Y, P, zero_division=0)
        ok = all(abs(rep["labels"][c]["f1"] - f[i]) <= TOL and
                 abs(rep["labels"][c]["precision"] - p[i]) <= TOL and
                 abs(rep["labels"][c]["recall"] - r[i]) <= TOL and
                 rep["labels"][c]["support"] == s[i]
                 for i, c in enumerate(names))
        report(tag + "-per-label", ok)


if __name__ == "__main__":
    sys.exit(main())
