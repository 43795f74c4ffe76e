/*
 * tl-train -t mlp: fit a multi-layer perceptron (mlp.h) on the rows and
 * targets that main.c gathered, write it with its description, and
 * summarise the run on stderr like the linear models do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cv.h"
#include "mlp.h"
#include "train.h"

void
train_mlp(const struct tl_mlp_opts *o, const struct rows *r,
    const struct targets *t, const double *sw, json_t *cv, int quiet,
    struct tl_outfile *out, const char *oname)
{
	struct tl_linear_data D = { r->x, r->n, r->dim, t->y, t->t, t->value,
	    sw };
	struct tl_mlp_report rep;
	struct tl_mlp m;
	struct tl_err e;
	char digest[65], data[65];
	json_t *meta;

	if (tl_mlp_fit(&m, &D, t->classes, t->k, o, &rep, &e) != 0)
		tl_die_err(NULL, &e);
	if ((meta = tl_mlp_meta(&m, o, &rep, r->hdr.model, r->hdr.stacked,
	    r->hdr.nstacked)) == NULL || (cv != NULL &&
	    json_object_set_new(meta, "cross_validation", cv) != 0))
		tl_die("out of memory");
	/* what the model was trained on, as the linear models record it */
	rows_digest(r, data);
	rows_record_pool(r, meta);
	if (json_object_set_new(json_object_get(meta, "training"),
	    "data_sha256", json_string(data)) != 0)
		tl_die("out of memory");
	if (tl_mlp_save(&m, meta, out->f, digest, &e) != 0) {
		json_decref(meta);
		tl_die_err(oname != NULL ? oname : "stdout", &e);
	}
	json_decref(meta);
	if (tl_outfile_sync(out, &e) != 0)	/* committed after --oof */
		tl_die_err(NULL, &e);
	if (!quiet) {
		fprintf(stderr, "%s: %zu rows (%zu held out), %zu features, ",
		    tl_progname, r->n, rep.val_rows, r->dim);
		if (o->regression)
			fprintf(stderr, "mlp regression: ");
		else
			fprintf(stderr, "%zu classes: ", t->k);
		fprintf(stderr, "%zu epochs (best %zu", rep.epochs,
		    rep.best_epoch);
		if (rep.val_rows > 0)
			fprintf(stderr, ", validation loss %.6f",
			    rep.val_loss);
		fprintf(stderr, "), objective %.9g, training %s %.4f, "
		    "%.2f s\n", rep.loss, o->regression ? "R2" : "accuracy",
		    rep.accuracy, rep.seconds);
	}
	tl_mlp_free(&m);
}

/* --hidden N[,M]: one or two widths. */
static void
parse_hidden(struct tl_mlp_opts *o, const char *s)
{
	char buf[32];
	const char *comma = strchr(s, ',');
	size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);

	if (len >= sizeof(buf) || (comma != NULL && strchr(comma + 1, ',')))
		tl_usage_error("--hidden: expected N or N,M (one or two "
		    "layers), found \"%.20s\"", s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	o->h1 = (size_t)tl_arg_int("--hidden", buf, 1, 100000);
	o->h2 = comma != NULL ? (size_t)tl_arg_int("--hidden", comma + 1, 1,
	    100000) : 0;
}

void
mlp_option(struct tl_mlp_opts *o, enum mlp_opt which, const char *arg)
{
	switch (which) {
	case MLP_OPT_BATCH:
		o->batch = (size_t)tl_arg_int("--batch", arg, 1, 1000000);
		break;
	case MLP_OPT_DROPOUT:
		o->dropout = tl_arg_double("--dropout", arg, 0, 0.95);
		break;
	case MLP_OPT_EPOCHS:
		o->epochs = (size_t)tl_arg_int("--epochs", arg, 1, 1000000);
		break;
	case MLP_OPT_HIDDEN:
		parse_hidden(o, arg);
		break;
	case MLP_OPT_LR:
		o->lr = tl_arg_double("--lr", arg, 1e-9, 10);
		if (!(o->lr > 0))
			tl_usage_error("--lr: expected a value > 0");
		break;
	case MLP_OPT_PATIENCE:
		o->patience = (size_t)tl_arg_int("--patience", arg, 1,
		    1000000);
		break;
	case MLP_OPT_REGRESSION:
		o->regression = 1;
		break;
	case MLP_OPT_VAL_FRACTION:
		o->val_fraction = tl_arg_double("--val-fraction", arg, 0,
		    0.9);
		break;
	}
}

/* The rows of D whose fold is (IN ? == F : != F), copied into X, Y, V,
 * SW (those of D that are non-NULL) and ROW (their indices in D): a
 * contiguous data set in OUT. */
static void
fold_rows(const struct tl_linear_data *D, const size_t *fold, size_t f,
    int in, float *x, size_t *y, double *v, double *sw, size_t *row,
    struct tl_linear_data *out)
{
	size_t m = 0, d = D->d;

	for (size_t i = 0; i < D->n; i++) {
		if ((fold[i] == f) != in)
			continue;
		memcpy(x + m * d, D->x + i * d, d * sizeof(float));
		if (D->y != NULL)
			y[m] = D->y[i];
		if (D->value != NULL)
			v[m] = D->value[i];
		if (D->sw != NULL)
			sw[m] = D->sw[i];
		row[m++] = i;
	}
	*out = (struct tl_linear_data){ x, m, d, D->y ? y : NULL, NULL,
	    D->value ? v : NULL, D->sw ? sw : NULL };
}

/* Accuracy, log-loss and R^2 of the outputs P (n x k) on H, as
 * tl_linear_score defines them. */
static struct tl_linear_score
fold_score(const float *p, const struct tl_linear_data *H, size_t k)
{
	struct tl_linear_score s = { 0, 0, 0 };
	double mu = 0, sse = 0, sst = 0, q;

	for (size_t i = 0; i < H->n; i++) {
		if (H->value != NULL) {
			mu += H->value[i] / H->n;
			continue;
		}
		s.accuracy += tl_linear_argmax(p + i * k, k) == H->y[i];
		q = p[i * k + H->y[i]];
		q = q < 1e-15 ? 1e-15 : q > 1 - 1e-15 ? 1 - 1e-15 : q;
		s.logloss -= log(q);
	}
	s.accuracy /= H->n;
	s.logloss /= H->n;
	for (size_t i = 0; H->value != NULL && i < H->n; i++) {
		sse += (p[i] - H->value[i]) * (p[i] - H->value[i]);
		sst += (H->value[i] - mu) * (H->value[i] - mu);
	}
	s.r2 = sst > 0 ? 1 - sse / sst : 0;
	return s;
}

/* Fit and score one network per fold; OUT (n x k) gets the out-of-fold
 * outputs.  The folds' criterion (lower is better) is returned. */
static double
cv_one_C(const struct tl_mlp_opts *o, const struct tl_linear_data *D,
    const struct targets *t, const size_t *fold, size_t nfolds, float *out,
    int quiet)
{
	size_t n = D->n, d = D->d, k = t->k, *row, *y;
	double *v, *sw, sum[2] = { 0, 0 }, sq[2] = { 0, 0 }, a[2], m, sd;
	float *x, *p;
	struct tl_linear_data T, H;
	struct tl_mlp_report rep;
	struct tl_linear_score s;
	struct tl_mlp net;
	struct tl_err e;

	x = malloc(n * d * sizeof(float));
	p = malloc(n * k * sizeof(float));
	row = malloc(n * sizeof(size_t));
	y = malloc(n * sizeof(size_t));
	v = malloc(n * sizeof(double));
	sw = malloc(n * sizeof(double));
	if (x == NULL || p == NULL || row == NULL || y == NULL || v == NULL ||
	    sw == NULL)
		tl_die("out of memory");
	for (size_t f = 0; f < nfolds; f++) {
		fold_rows(D, fold, f, 0, x, y, v, sw, row, &T);
		if (tl_mlp_fit(&net, &T, t->classes, k, o, &rep, &e) != 0)
			tl_die_err(NULL, &e);
		fold_rows(D, fold, f, 1, x, y, v, sw, row, &H);
		tl_mlp_apply(&net, H.x, H.n, p);
		tl_mlp_free(&net);
		for (size_t i = 0; i < H.n; i++)
			memcpy(out + row[i] * k, p + i * k, k * sizeof(float));
		s = fold_score(p, &H, k);
		a[0] = o->regression ? s.r2 : s.accuracy;
		a[1] = s.logloss;
		for (int j = 0; j < 2; j++) {
			sum[j] += a[j];
			sq[j] += a[j] * a[j];
		}
		if (quiet || !train_verbose)
			continue;
		if (o->regression)
			fprintf(stderr, "%s: cv C=%g fold %zu/%zu: R2 %.6f\n",
			    tl_progname, o->C, f + 1, nfolds, s.r2);
		else
			fprintf(stderr, "%s: cv C=%g fold %zu/%zu: accuracy "
			    "%.4f, log-loss %.6f\n", tl_progname, o->C, f + 1,
			    nfolds, s.accuracy, s.logloss);
	}
	for (int j = 0; j < 2; j++) {
		m = sum[j] / nfolds;
		sd = sqrt(fmax(sq[j] / nfolds - m * m, 0));
		a[j] = m;
		sq[j] = sd;
	}
	if (!quiet && o->regression)
		fprintf(stderr, "%s: cv C=%g: R2 %.6f \xc2\xb1 %.6f\n",
		    tl_progname, o->C, a[0], sq[0]);
	else if (!quiet)
		fprintf(stderr, "%s: cv C=%g: accuracy %.4f \xc2\xb1 %.4f, "
		    "log-loss %.6f \xc2\xb1 %.6f\n", tl_progname, o->C, a[0],
		    sq[0], a[1], sq[1]);
	free(x);
	free(p);
	free(row);
	free(y);
	free(v);
	free(sw);
	return o->regression ? -a[0] : a[1];
}

json_t *
mlp_cross_validate(struct tl_mlp_opts *o, const double *Cs, size_t nC,
    size_t nfolds, const struct tl_linear_data *D, const struct targets *t,
    float *oof, int quiet)
{
	size_t *fold, best = 0, k = t->k;
	double crit, best_crit = INFINITY;
	float *tmp;
	json_t *grid;
	struct tl_err e;

	fold = malloc(D->n * sizeof(*fold));
	tmp = malloc(D->n * k * sizeof(float));
	if (fold == NULL || tmp == NULL)
		tl_die("out of memory");
	if (tl_cv_folds(D->y, D->n, nfolds, o->seed, fold, &e) != 0)
		tl_die_err(NULL, &e);
	for (size_t c = 0; c < nC; c++) {
		o->C = Cs[c];
		crit = cv_one_C(o, D, t, fold, nfolds, tmp, quiet);
		if (crit < best_crit) {		/* the first on ties */
			best_crit = crit;
			best = c;
			if (oof != NULL)
				memcpy(oof, tmp, D->n * k * sizeof(float));
		}
	}
	o->C = Cs[best];
	if (!quiet && nC > 1)
		fprintf(stderr, "%s: cv: best C=%g (%s %.6f); refitting on all "
		    "%zu rows\n", tl_progname, o->C, o->regression ? "R2" :
		    "log-loss", o->regression ? -best_crit : best_crit, D->n);
	grid = json_array();
	for (size_t c = 0; grid != NULL && c < nC; c++)
		json_array_append_new(grid, json_real(Cs[c]));
	free(tmp);
	free(fold);
	return json_pack("{s:I,s:I,s:o,s:f,s:s,s:f}", "folds",
	    (json_int_t)nfolds, "seed", (json_int_t)o->seed, "C", grid,
	    "chosen_C", o->C, "criterion", o->regression ? "r2" : "log-loss",
	    "score", o->regression ? -best_crit : best_crit);
}
