/*
 * tl-train --cv on rows with a sparse part: every combination of the -C
 * list, the dense weights and the sparse weightings tried is fitted and
 * scored on the K folds, each fold learning its own columns and IDF from
 * its training rows only, so that the scores are honest.
 *
 * The combinations are independent fits, each on one thread (sparselin's
 * objective is serial), so they run side by side, as many at a time as
 * OPENBLAS_NUM_THREADS allows, OpenBLAS itself kept to one thread
 * meanwhile.  The choice, the out-of-fold outputs and the lines on stderr
 * are those of fitting the combinations one after another: each worker
 * keeps the best of the combinations it fitted (in increasing order, so
 * the first on ties), the best of those wins, ties to the first, and the
 * lines are printed in order as the combinations before them are done.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "cli.h"
#include "cv.h"
#include "slices.h"
#include "sparselin.h"
#include "train.h"

#define MAX_WORKERS 8	/* <= TL_SLICES_MAX */
#define NONE SIZE_MAX

/* The weightings of the sparse part cross-validation tries, {min_df,
 * smooth IDF}; the first, the weighting without --cv, wins ties. */
static const int tried[][2] = { { 2, 1 }, { 2, 0 }, { 1, 1 }, { 1, 0 } };
#define NTRIED (sizeof(tried) / sizeof(tried[0]))

struct tl_sparse_opts
sparse_default(double dense_weight)
{
	return (struct tl_sparse_opts){ dense_weight, tried[0][0],
	    tried[0][1] };
}

static const char *
idf_name(int smooth)
{
	return smooth ? "smooth" : "none";
}

/* The grid and the data, shared by the workers; NEXT and SHOWN under MU. */
struct cvrun {
	const struct sparse_job *j;
	const double		*w;	/* the dense weights */
	size_t			 nw, ncombo;
	struct tl_sparse_data	 D;
	const struct targets	*t;
	const size_t		*fold;
	struct tl_linear_score	*sc;	/* ncombo x folds */
	double			*crit;	/* ncombo: mean log-loss */
	char			*done;	/* ncombo */
	pthread_mutex_t		 mu;
	size_t			 next, shown;
};

struct worker {
	struct cvrun	*run;
	size_t		*rows;		/* n: a fold's training rows */
	float		*out, *best;	/* n x k: this combination's, best's */
	size_t		 best_x;	/* NONE before the first */
	double		 best_key;
};

/* Combination X (the nested loops sparse weighting, C, dense weight, in
 * that order) into *LO and *SO. */
static void
combo(const struct cvrun *run, size_t x, struct tl_linear_opts *lo,
    struct tl_sparse_opts *so)
{
	size_t i = x % run->nw, c = x / run->nw % run->j->nC,
	    h = x / run->nw / run->j->nC;

	*lo = run->j->lo;
	lo->C = run->j->C[c];
	*so = (struct tl_sparse_opts){ run->w[i], tried[h][0], tried[h][1] };
}

/* Accuracy and log-loss of S on the rows of D in fold F; their
 * probabilities go to OUT (n x k, by row). */
static struct tl_linear_score
score_fold(const struct tl_sparselin *s, const struct tl_sparse_data *D,
    const size_t *fold, size_t f, float *out)
{
	struct tl_linear_score sc = { 0, 0, 0 };
	size_t m = 0, k = s->k;
	double q;

	for (size_t i = 0; i < D->n; i++) {
		if (fold[i] != f)
			continue;
		tl_sparselin_proba(s, D->x + i * D->d, D->off[i + 1] -
		    D->off[i], D->idx + D->off[i], D->val + D->off[i],
		    out + i * k);
		sc.accuracy += tl_linear_argmax(out + i * k, k) == D->y[i];
		q = out[i * k + D->y[i]];
		q = q < 1e-15 ? 1e-15 : q > 1 - 1e-15 ? 1 - 1e-15 : q;
		sc.logloss -= log(q);
		m++;
	}
	sc.accuracy /= m ? m : 1;
	sc.logloss /= m ? m : 1;
	return sc;
}

/* Fit and score combination X on every fold, its out-of-fold outputs
 * into W->out; its scores and mean log-loss into the run. */
static void
fit_combo(struct worker *w, size_t x)
{
	struct cvrun *run = w->run;
	struct tl_sparse_data D = run->D;
	struct tl_linear_report rep;
	struct tl_linear_opts lo;
	struct tl_sparse_opts so;
	struct tl_sparselin s;
	struct tl_err e;
	size_t nf = run->j->folds;
	double sum = 0;

	combo(run, x, &lo, &so);
	for (size_t f = 0; f < nf; f++) {
		D.nrows = 0;
		for (size_t i = 0; i < D.n; i++)
			if (run->fold[i] != f)
				w->rows[D.nrows++] = i;
		D.rows = w->rows;
		if (tl_sparselin_fit(&s, &D, run->t->classes, run->t->k, &so,
		    &lo, &rep, &e))
			tl_die_err(NULL, &e);
		run->sc[x * nf + f] = score_fold(&s, &D, run->fold, f, w->out);
		tl_sparselin_free(&s);
		sum += run->sc[x * nf + f].logloss;
	}
	run->crit[x] = sum / nf;
}

/* The lines of combination X on stderr: its folds, their mean and
 * standard deviation. */
static void
report_combo(const struct cvrun *run, size_t x)
{
	struct tl_linear_opts lo;
	struct tl_sparse_opts so;
	size_t nf = run->j->folds;
	double sum[2] = { 0, 0 }, sq[2] = { 0, 0 }, v[2];

	combo(run, x, &lo, &so);
	for (size_t f = 0; f < nf; f++) {
		v[0] = run->sc[x * nf + f].accuracy;
		v[1] = run->sc[x * nf + f].logloss;
		for (int i = 0; i < 2; i++) {
			sum[i] += v[i];
			sq[i] += v[i] * v[i];
		}
		if (train_verbose)
			fprintf(stderr, "%s: cv C=%g dense-weight=%g "
			    "min-df=%d idf=%s fold %zu/%zu: accuracy %.4f, "
			    "log-loss %.6f\n", tl_progname, lo.C,
			    so.dense_weight, so.min_df, idf_name(so.smooth_idf),
			    f + 1, nf, v[0], v[1]);
	}
	for (int i = 0; i < 2; i++) {
		v[i] = sum[i] / nf;
		sq[i] = sqrt(fmax(sq[i] / nf - v[i] * v[i], 0));
	}
	fprintf(stderr, "%s: cv C=%g dense-weight=%g min-df=%d idf=%s: "
	    "accuracy %.4f \xc2\xb1 %.4f, log-loss %.6f \xc2\xb1 %.6f\n",
	    tl_progname, lo.C, so.dense_weight, so.min_df,
	    idf_name(so.smooth_idf), v[0], sq[0], v[1], sq[1]);
}

/* A criterion as compared: a NaN log-loss (a fit gone wrong) is worst. */
static double
key_of(double crit)
{
	return isnan(crit) ? INFINITY : crit;
}

/* Worker I of the array CTX: take combinations in order until none is
 * left. */
static void
work(void *ctx, size_t i)
{
	struct worker *w = (struct worker *)ctx + i;
	struct cvrun *run = w->run;
	size_t x;
	float *t;

	for (;;) {
		pthread_mutex_lock(&run->mu);
		x = run->next++;
		pthread_mutex_unlock(&run->mu);
		if (x >= run->ncombo)
			return;
		fit_combo(w, x);
		if (w->best_x == NONE || key_of(run->crit[x]) < w->best_key) {
			t = w->best, w->best = w->out, w->out = t;
			w->best_x = x;
			w->best_key = key_of(run->crit[x]);
		}
		pthread_mutex_lock(&run->mu);
		run->done[x] = 1;
		while (run->shown < run->ncombo && run->done[run->shown])
			if (!run->j->quiet)
				report_combo(run, run->shown++);
			else
				run->shown++;
		pthread_mutex_unlock(&run->mu);
	}
}

/* Run the grid on NT workers, a thread each (the calling thread one of
 * them); the winner's index, its outputs copied to OOF (NULL: not
 * wanted). */
static size_t
run_grid(struct cvrun *run, size_t nt, float *oof)
{
	struct worker wk[MAX_WORKERS];
	size_t n = run->D.n * run->t->k, win = 0;

	for (size_t i = 0; i < nt; i++) {
		wk[i] = (struct worker){ run, malloc(run->D.n *
		    sizeof(size_t)), malloc(n * sizeof(float)), malloc(n *
		    sizeof(float)), NONE, INFINITY };
		if (wk[i].rows == NULL || wk[i].out == NULL ||
		    wk[i].best == NULL)
			tl_die("out of memory");
	}
	tl_slices_run(nt, nt, work, wk);
	for (size_t i = 1; i < nt; i++)
		if (wk[i].best_x != NONE && (wk[i].best_key <
		    wk[win].best_key || (wk[i].best_key == wk[win].best_key &&
		    wk[i].best_x < wk[win].best_x)))
			win = i;
	if (oof != NULL)
		memcpy(oof, wk[win].best, n * sizeof(float));
	for (size_t i = 0; i < nt; i++) {
		free(wk[i].rows);
		free(wk[i].out);
		free(wk[i].best);
	}
	return wk[win].best_x;
}

/* The "cross_validation" description of RUN's choice X. */
static json_t *
describe(const struct cvrun *run, size_t x)
{
	const struct sparse_job *j = run->j;
	struct tl_linear_opts lo;
	struct tl_sparse_opts so;
	json_t *grid = json_array(), *wgrid = json_array();

	combo(run, x, &lo, &so);
	for (size_t c = 0; grid != NULL && c < j->nC; c++)
		json_array_append_new(grid, json_real(j->C[c]));
	for (size_t i = 0; wgrid != NULL && i < run->nw; i++)
		json_array_append_new(wgrid, json_real(run->w[i]));
	return json_pack("{s:I,s:I,s:o,s:f,s:o,s:f,s:o,s:i,s:o,s:s,s:s,"
	    "s:f}", "folds", (json_int_t)j->folds, "seed", (json_int_t)j->seed,
	    "C", grid, "chosen_C", lo.C, "dense_weight", wgrid,
	    "chosen_dense_weight", so.dense_weight, "min_df", json_pack(
	    "[i,i]", 2, 1), "chosen_min_df", so.min_df, "idf", json_pack(
	    "[s,s]", "smooth", "none"), "chosen_idf", idf_name(so.smooth_idf),
	    "criterion", "log-loss", "score", run->crit[x]);
}

json_t *
sparse_cross_validate(const struct sparse_job *j, struct tl_linear_opts *lo,
    const double *w, size_t nw, struct tl_sparse_opts *so,
    const struct tl_sparse_data *D, const struct targets *t, float *oof)
{
	struct cvrun run = { j, w, nw, NTRIED * j->nC * nw, *D, t, NULL,
	    NULL, NULL, NULL, PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	size_t *fold = malloc(D->n * sizeof(size_t)), x, nt;
	int blas = openblas_get_num_threads();
	struct tl_err e;
	json_t *desc;

	run.sc = malloc(run.ncombo * j->folds * sizeof(*run.sc));
	run.crit = malloc(run.ncombo * sizeof(double));
	run.done = calloc(run.ncombo, 1);
	if (fold == NULL || run.sc == NULL || run.crit == NULL ||
	    run.done == NULL)
		tl_die("out of memory");
	if (tl_cv_folds(D->y, D->n, j->folds, j->seed, fold, &e) != 0)
		tl_die_err(NULL, &e);
	run.fold = fold;
	nt = blas < 1 ? 1 : (size_t)blas;
	nt = nt > MAX_WORKERS ? MAX_WORKERS : nt > run.ncombo ? run.ncombo :
	    nt;
	if (blas != 1)
		tl_blas_threads(1);
	x = run_grid(&run, nt, oof);
	if (blas != 1)
		tl_blas_threads(blas);
	combo(&run, x, lo, so);
	if (!j->quiet)
		fprintf(stderr, "%s: cv: best C=%g dense-weight=%g min-df=%d "
		    "idf=%s (log-loss %.6f); refitting on all %zu rows\n",
		    tl_progname, lo->C, so->dense_weight, so->min_df,
		    idf_name(so->smooth_idf), run.crit[x], D->n);
	desc = describe(&run, x);
	free(fold);
	free(run.sc);
	free(run.crit);
	free(run.done);
	return desc;
}
