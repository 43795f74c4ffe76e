/*
 * The --eval report of tl-predict, for people (aligned text, a confusion
 * matrix laid out for a terminal) or for scripts (--json: one JSON object
 * whose keys come in a fixed order, numbers in full precision, null for a
 * metric that is undefined).  The metrics themselves come from eval.h.
 *
 * Text, exclusive classes: "accuracy A (correct/total)" first (scripts
 * grep it), then log-loss, ROC AUC and unknown labels, a table of
 * precision / recall / F1 / support per class with macro and weighted
 * averages, and the confusion matrix (rows = true label, columns =
 * predicted class).  Multi-label: subset accuracy, Hamming loss, micro and
 * macro averages and the per-label table.  Regression: rows, RMSE, MAE, R^2
 * (means over the targets) and, for several targets, a table.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <utf8proc.h>

#include "cli.h"
#include "predict.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- text layout ---- */

/* Columns a string takes on a terminal (bytes, if not valid UTF-8). */
static size_t
text_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t w = 0;

	while (*p != '\0') {
		if ((n = utf8proc_iterate(p, -1, &cp)) < 1)
			return strlen(s);
		if (utf8proc_charwidth(cp) > 0)
			w += (size_t)utf8proc_charwidth(cp);
		p += n;
	}
	return w;
}

/* S, padded with spaces to WIDTH columns on the left (RIGHT) or right. */
static void
put_cell(FILE *f, const char *s, size_t width, int right)
{
	size_t w = text_width(s);

	if (right)
		fprintf(f, "%*s%s", (int)(width > w ? width - w : 0), "", s);
	else
		fprintf(f, "%s%*s", s, (int)(width > w ? width - w : 0), "");
}

static const char *
row_name(const struct tl_eval *ev, size_t i, char *buf, size_t len)
{
	int known;
	const char *s = tl_eval_row_label(ev, i, &known);

	if (s == NULL)
		return "(more unknown labels)";
	if (known)
		return s;
	snprintf(buf, len, "%s (unknown)", s);
	return buf;
}

/* Columns a count takes. */
static size_t
count_width(uint64_t v)
{
	size_t w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

/* The confusion matrix: rows = true label, columns = predicted class,
 * right-aligned counts, each column as wide as its name or largest
 * count. */
static void
print_matrix(FILE *f, const struct predict *pr)
{
	static const char corner[] = "true \\ predicted";
	const struct tl_eval *ev = pr->ev;
	size_t k = pr->k, rows = tl_eval_nrows(ev), w0, *cw, i, j;
	char buf[1024], num[32];

	if ((cw = calloc(k, sizeof(*cw))) == NULL)
		tl_die("out of memory");
	w0 = text_width(corner);
	for (i = 0; i < rows; i++)
		w0 = MAX(w0, text_width(row_name(ev, i, buf, sizeof(buf))));
	for (j = 0; j < k; j++) {
		cw[j] = text_width(pr->names[j]);
		for (i = 0; i < rows; i++)
			cw[j] = MAX(cw[j], count_width(tl_eval_row(ev, i)[j]));
	}
	put_cell(f, corner, w0, 0);
	for (j = 0; j < k; j++) {
		fputs("  ", f);
		put_cell(f, pr->names[j], cw[j], 1);
	}
	fputc('\n', f);
	for (i = 0; i < rows; i++) {
		put_cell(f, row_name(ev, i, buf, sizeof(buf)), w0, 0);
		for (j = 0; j < k; j++) {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)tl_eval_row(ev, i)[j]);
			fputs("  ", f);
			put_cell(f, num, cw[j], 1);
		}
		fputc('\n', f);
	}
	free(cw);
}

/* One line of the precision / recall / F1 table. */
static void
print_prf_row(FILE *f, const char *name, size_t w0, const struct tl_prf *r)
{
	put_cell(f, name, w0, 0);
	fprintf(f, "  %9.4f  %6.4f  %6.4f  %7llu\n", r->precision, r->recall,
	    r->f1, (unsigned long long)r->support);
}

static size_t
names_width(const struct predict *pr, const char *first)
{
	size_t w = MAX(text_width(first), text_width("weighted"));

	for (size_t i = 0; i < pr->k; i++)
		w = MAX(w, text_width(pr->names[i]));
	return w;
}

static void
print_prf_head(FILE *f, const char *first, size_t w0)
{
	put_cell(f, first, w0, 0);
	fprintf(f, "  precision  recall      f1  support\n");
}

static void
print_metric(FILE *f, const char *name, double v)
{
	if (isnan(v))
		fprintf(f, "%s -\n", name);
	else
		fprintf(f, "%s %.4f\n", name, v);
}

/* ---- exclusive classes ---- */

/* Rows with a label the model does not know, and distinct such labels
 * (the overflow row counts as one more). */
static uint64_t
unknown_rows(const struct tl_eval *ev, size_t k, size_t *labels)
{
	*labels = tl_eval_nrows(ev) - k;
	return tl_eval_total(ev) - tl_eval_known(ev);
}

static void
text_classes(FILE *f, const struct predict *pr, double auc)
{
	const struct tl_eval *ev = pr->ev;
	uint64_t total = tl_eval_total(ev), ok = tl_eval_correct(ev), unk;
	struct tl_prf r;
	size_t nlab, w0 = names_width(pr, "class"), i;

	fprintf(f, "accuracy %.4f (%llu/%llu)\n", (double)ok / total,
	    (unsigned long long)ok, (unsigned long long)total);
	print_metric(f, "log-loss", tl_eval_log_loss(ev));
	if (pr->k == 2)
		fprintf(f, "roc-auc ");
	else
		fprintf(f, "roc-auc (one-vs-rest, macro) ");
	if (isnan(auc))
		fprintf(f, "-\n");
	else
		fprintf(f, "%.4f\n", auc);
	if ((unk = unknown_rows(ev, pr->k, &nlab)) > 0)
		fprintf(f, "unknown labels %zu, in %llu rows: counted as "
		    "errors, left out of log-loss and roc-auc\n", nlab,
		    (unsigned long long)unk);
	fputc('\n', f);
	print_prf_head(f, "class", w0);
	for (i = 0; i < pr->k; i++) {
		tl_eval_prf(ev, i, &r);
		print_prf_row(f, pr->names[i], w0, &r);
	}
	tl_eval_prf_avg(ev, 0, &r);
	print_prf_row(f, "macro", w0, &r);
	tl_eval_prf_avg(ev, 1, &r);
	print_prf_row(f, "weighted", w0, &r);
	fputc('\n', f);
	print_matrix(f, pr);
}

/* A number, or null when it is not defined. */
static json_t *
jnum(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* O[NAME] = V (stolen).  JSON strings are UTF-8: a class name that is
 * not cannot be a key, and leaving it out silently would mislead. */
static void
set_named(json_t *o, const char *name, json_t *v)
{
	if (json_object_set_new(o, name, v) == -1)
		tl_die("--json: the name '%.40s' is not valid UTF-8 (or out of "
		    "memory)", name);
}

/* A new JSON string of S, which must be UTF-8. */
static json_t *
jstr(const char *s)
{
	json_t *j;

	if ((j = json_string(s)) == NULL)
		tl_die("--json: the name '%.40s' is not valid UTF-8 (or out of "
		    "memory)", s);
	return j;
}

static json_t *
jprf(const struct tl_prf *r)
{
	return json_pack("{s:o, s:o, s:o, s:I}", "precision",
	    jnum(r->precision), "recall", jnum(r->recall), "f1", jnum(r->f1),
	    "support", (json_int_t)r->support);
}

static json_t *
json_confusion(const struct predict *pr)
{
	const struct tl_eval *ev = pr->ev;
	json_t *o = json_object(), *pred = json_array(), *truth = json_array(),
	    *counts = json_array(), *row;
	const char *s;
	size_t i, j;

	for (j = 0; j < pr->k; j++)
		json_array_append_new(pred, jstr(pr->names[j]));
	for (i = 0; i < tl_eval_nrows(ev); i++) {
		s = tl_eval_row_label(ev, i, NULL);
		json_array_append_new(truth, s != NULL ? jstr(s) :
		    json_null());
		row = json_array();
		for (j = 0; j < pr->k; j++)
			json_array_append_new(row,
			    json_integer((json_int_t)tl_eval_row(ev, i)[j]));
		json_array_append_new(counts, row);
	}
	json_object_set_new(o, "true", truth);
	json_object_set_new(o, "predicted", pred);
	json_object_set_new(o, "counts", counts);
	return o;
}

static json_t *
json_classes(const struct predict *pr, double auc, const double *per_class)
{
	const struct tl_eval *ev = pr->ev;
	json_t *o = json_object(), *cl = json_object(), *c;
	struct tl_prf r;
	uint64_t total = tl_eval_total(ev), unk;
	size_t nlab;

	json_object_set_new(o, "task", json_string("classification"));
	json_object_set_new(o, "rows", json_integer((json_int_t)total));
	json_object_set_new(o, "accuracy",
	    json_real((double)tl_eval_correct(ev) / total));
	json_object_set_new(o, "correct",
	    json_integer((json_int_t)tl_eval_correct(ev)));
	json_object_set_new(o, "log_loss", jnum(tl_eval_log_loss(ev)));
	json_object_set_new(o, "roc_auc", jnum(auc));
	unk = unknown_rows(ev, pr->k, &nlab);
	json_object_set_new(o, "unknown", json_pack("{s:I, s:I}", "rows",
	    (json_int_t)unk, "labels", (json_int_t)nlab));
	tl_eval_prf_avg(ev, 0, &r);
	json_object_set_new(o, "macro", jprf(&r));
	tl_eval_prf_avg(ev, 1, &r);
	json_object_set_new(o, "weighted", jprf(&r));
	for (size_t i = 0; i < pr->k; i++) {
		tl_eval_prf(ev, i, &r);
		c = jprf(&r);
		if (pr->k > 2)
			json_object_set_new(c, "roc_auc", jnum(per_class[i]));
		set_named(cl, pr->names[i], c);
	}
	json_object_set_new(o, "classes", cl);
	json_object_set_new(o, "confusion", json_confusion(pr));
	return o;
}

/* ---- multi-label ---- */

static void
text_multilabel(FILE *f, const struct predict *pr)
{
	const struct tl_mleval *ml = pr->ml;
	uint64_t total = tl_mleval_total(ml), ok = tl_mleval_exact(ml), urows;
	uint64_t unk = tl_mleval_unknown(ml, &urows);
	size_t w0 = names_width(pr, "label");
	struct tl_prf r;

	fprintf(f, "subset-accuracy %.4f (%llu/%llu)\n", (double)ok / total,
	    (unsigned long long)ok, (unsigned long long)total);
	print_metric(f, "hamming-loss", tl_mleval_hamming(ml));
	tl_mleval_prf_avg(ml, 1, &r);
	print_metric(f, "micro-f1", r.f1);
	tl_mleval_prf_avg(ml, 0, &r);
	print_metric(f, "macro-f1", r.f1);
	fprintf(f, "threshold %g\n", pr->threshold);
	if (unk > 0)
		fprintf(f, "unknown labels %llu, in %llu rows: those rows "
		    "count as wrong in subset-accuracy\n",
		    (unsigned long long)unk, (unsigned long long)urows);
	fputc('\n', f);
	print_prf_head(f, "label", w0);
	for (size_t i = 0; i < pr->k; i++) {
		tl_mleval_prf(ml, i, &r);
		print_prf_row(f, pr->names[i], w0, &r);
	}
	tl_mleval_prf_avg(ml, 1, &r);
	print_prf_row(f, "micro", w0, &r);
	tl_mleval_prf_avg(ml, 0, &r);
	print_prf_row(f, "macro", w0, &r);
}

static json_t *
json_multilabel(const struct predict *pr)
{
	const struct tl_mleval *ml = pr->ml;
	json_t *o = json_object(), *lab = json_object();
	uint64_t total = tl_mleval_total(ml), urows;
	uint64_t unk = tl_mleval_unknown(ml, &urows);
	struct tl_prf r;

	json_object_set_new(o, "task", json_string("multilabel"));
	json_object_set_new(o, "rows", json_integer((json_int_t)total));
	json_object_set_new(o, "threshold", json_real(pr->threshold));
	json_object_set_new(o, "subset_accuracy",
	    json_real((double)tl_mleval_exact(ml) / total));
	json_object_set_new(o, "exact",
	    json_integer((json_int_t)tl_mleval_exact(ml)));
	json_object_set_new(o, "hamming_loss", jnum(tl_mleval_hamming(ml)));
	json_object_set_new(o, "unknown", json_pack("{s:I, s:I}", "labels",
	    (json_int_t)unk, "rows", (json_int_t)urows));
	tl_mleval_prf_avg(ml, 1, &r);
	json_object_set_new(o, "micro", jprf(&r));
	tl_mleval_prf_avg(ml, 0, &r);
	json_object_set_new(o, "macro", jprf(&r));
	for (size_t i = 0; i < pr->k; i++) {
		tl_mleval_prf(ml, i, &r);
		set_named(lab, pr->names[i], jprf(&r));
	}
	json_object_set_new(o, "labels", lab);
	return o;
}

/* ---- regression ---- */

/* The means over the targets of RMSE, MAE and R^2 (sklearn's
 * multioutput='uniform_average'). */
static void
reg_means(const struct predict *pr, double m[3])
{
	const struct tl_regacc *a;

	m[0] = m[1] = m[2] = 0;
	for (size_t i = 0; i < pr->k; i++) {
		a = tl_regeval_target(pr->reg, i);
		m[0] += tl_regacc_rmse(a) / (double)pr->k;
		m[1] += tl_regacc_mae(a) / (double)pr->k;
		m[2] += tl_regacc_r2(a) / (double)pr->k;
	}
}

static void
text_regression(FILE *f, const struct predict *pr)
{
	const struct tl_regacc *a;
	size_t w0 = names_width(pr, "target");
	double m[3];

	reg_means(pr, m);
	fprintf(f, "rows %llu\n", (unsigned long long)
	    tl_regeval_target(pr->reg, 0)->n);
	print_metric(f, "rmse", m[0]);
	print_metric(f, "mae", m[1]);
	print_metric(f, "r2", m[2]);
	if (pr->k < 2)
		return;
	fputc('\n', f);
	put_cell(f, "target", w0, 0);
	fprintf(f, "  %10s  %10s  %10s\n", "rmse", "mae", "r2");
	for (size_t i = 0; i < pr->k; i++) {
		a = tl_regeval_target(pr->reg, i);
		put_cell(f, pr->names[i], w0, 0);
		fprintf(f, "  %10.4f  %10.4f  %10.4f\n", tl_regacc_rmse(a),
		    tl_regacc_mae(a), tl_regacc_r2(a));
	}
}

static json_t *
json_regression(const struct predict *pr)
{
	json_t *o = json_object(), *t = json_object();
	const struct tl_regacc *a;
	double m[3];

	reg_means(pr, m);
	json_object_set_new(o, "task", json_string("regression"));
	json_object_set_new(o, "rows", json_integer((json_int_t)
	    tl_regeval_target(pr->reg, 0)->n));
	json_object_set_new(o, "rmse", jnum(m[0]));
	json_object_set_new(o, "mae", jnum(m[1]));
	json_object_set_new(o, "r2", jnum(m[2]));
	for (size_t i = 0; i < pr->k; i++) {
		a = tl_regeval_target(pr->reg, i);
		set_named(t, pr->names[i], json_pack(
		    "{s:o, s:o, s:o}", "rmse", jnum(tl_regacc_rmse(a)),
		    "mae", jnum(tl_regacc_mae(a)), "r2",
		    jnum(tl_regacc_r2(a))));
	}
	json_object_set_new(o, "targets", t);
	return o;
}

/* ---- the report ---- */

static uint64_t
rows_evaluated(const struct predict *pr)
{
	switch (pr->out) {
	case TL_HEAD_PROBA:
		return tl_eval_total(pr->ev);
	case TL_HEAD_SCORES:
		return tl_mleval_total(pr->ml);
	case TL_HEAD_VALUES:
		break;
	}
	return tl_regeval_target(pr->reg, 0)->n;
}

void
predict_report(const struct predict *pr)
{
	double auc = NAN, *per_class = NULL;
	struct tl_err e;
	json_t *o = NULL;

	if (rows_evaluated(pr) == 0)
		tl_die("%s%sno records to evaluate", pr->iname,
		    pr->iname[0] != '\0' ? ": " : "");
	if (pr->out == TL_HEAD_PROBA) {
		if ((per_class = calloc(pr->k, sizeof(double))) == NULL)
			tl_die("out of memory");
		if (tl_eval_auc(pr->ev, &auc, per_class, &e) == -1)
			tl_die_err(NULL, &e);
	}
	if (!pr->json) {
		if (pr->out == TL_HEAD_PROBA)
			text_classes(pr->f, pr, auc);
		else if (pr->out == TL_HEAD_SCORES)
			text_multilabel(pr->f, pr);
		else
			text_regression(pr->f, pr);
		free(per_class);
		return;
	}
	if (pr->out == TL_HEAD_PROBA)
		o = json_classes(pr, auc, per_class);
	else if (pr->out == TL_HEAD_SCORES)
		o = json_multilabel(pr);
	else
		o = json_regression(pr);
	if (o == NULL || json_object_set_new(o, "model",
	    json_string(pr->model_path)) == -1 ||
	    json_dumpf(o, pr->f, JSON_INDENT(2)) == -1)
		tl_die("out of memory");
	fputc('\n', pr->f);
	json_decref(o);
	free(per_class);
}
