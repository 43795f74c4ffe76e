/*
 * Dense + sparse linear classifiers; see sparselin.h.  Training prepares
 * the rows once (standardised dense part in double, the kept columns'
 * TF-IDF values in CSR and again by column), then L-BFGS runs on the
 * objective, on fixed slices of the rows (the dense logits through
 * cblas_dgemm, the sparse ones through a copy of the sparse weights with
 * the classes minor, the loss) and of the columns (the sparse gradient,
 * each column's sum in row order), in buffers allocated once per fit.
 * The biases start at the centred log class priors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "clones.h"
#include "lbfgs.h"
#include "par.h"
#include "slices.h"
#include "sparselin.h"

/* Classes whose dense scores are summed side by side (dense_scores()),
 * and S->k rounded up to a multiple of them: the row length of S->wt. */
#define LANES		8
#define KPAD(s)		(((s)->k + LANES - 1) / LANES * LANES)
/* Records whose dense scores are summed side by side; S->su holds the
 * standardised values of as many. */
#define ROWS		4

/* Four doubles (two SSE2 registers, one AVX2) and four floats, for the
 * compiler's vector extension. */
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

/* Z[c] += T[c] * V for c < K, four at a time (compilers vectorise the
 * plain loop only with its length known or alias checks). */
static inline void
add_scaled(double *z, const double *t, double v, size_t k)
{
	size_t c = 0;

	for (v4d a, b; c + 4 <= k; c += 4) {
		memcpy(&a, z + c, sizeof(a));
		memcpy(&b, t + c, sizeof(b));
		a += b * v;
		memcpy(z + c, &a, sizeof(a));
	}
	for (; c < k; c++)
		z[c] += t[c] * v;
}

/* The objective is evaluated on SLICES fixed slices, of the rows for the
 * logits, the loss and the dense gradient, of the columns for the sparse
 * gradient and the penalty; each slice sums in a fixed order and the
 * slices' sums are added in slice order, so that the model's bits do not
 * depend on the number of threads.  Threads only when an evaluation
 * touches at least THREAD_WORK values: starting them costs about 0.1 ms. */
#define SLICES		4
#define THREAD_WORK	(1 << 20)

/* The training rows, prepared. */
struct prob {
	size_t	  n, d, m, k;	/* rows, dense dim, columns, classes */
	double	 *u;		/* n x d standardised dense values */
	size_t	 *off;		/* n + 1 */
	uint32_t *col;		/* column of each pair */
	double	 *v;		/* TF-IDF value of each pair */
	size_t	 *y;
	double	  C;
	double	 *z;		/* n x kk logits, then n x kk their gradient */
	double	 *ts;		/* m x kk sparse weights, class-minor */
	/* the pairs again by column (CSC), each column's rows increasing:
	 * a column's gradient is then one slice's sum, in row order */
	size_t	 *coff;		/* m + 1 */
	uint32_t *crow;
	double	 *cv;
	size_t	  threads;	/* for the evaluation, 1 .. SLICES */
	/* the evaluation in progress, and its slices' partial sums */
	const double *theta;
	double	 *grad;		/* NULL: the value only */
	double	 *gd;		/* SLICES x kk x (d + 1): dense and bias */
	double	  loss[SLICES], pen[SLICES];
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Row I of DATA's training rows. */
static size_t
row_of(const struct tl_sparse_data *D, size_t i)
{
	return D->rows != NULL ? D->rows[i] : i;
}

static size_t
nrows_of(const struct tl_sparse_data *D)
{
	return D->rows != NULL ? D->nrows : D->n;
}

/* The columns: buckets in >= min_df training rows, and their IDF (1
 * each without s->smooth_idf). */
static int
learn_columns(struct tl_sparselin *s, const struct tl_sparse_data *D,
    struct tl_err *e)
{
	size_t n = nrows_of(D), tot = 0, run, m = 0;
	uint32_t *all;

	for (size_t i = 0; i < n; i++)
		tot += D->off[row_of(D, i) + 1] - D->off[row_of(D, i)];
	if ((all = malloc((tot ? tot : 1) * sizeof(*all))) == NULL)
		return tl_errf(e, "out of memory");
	tot = 0;
	for (size_t i = 0, r; i < n; i++) {
		r = row_of(D, i);
		memcpy(all + tot, D->idx + D->off[r], (D->off[r + 1] -
		    D->off[r]) * sizeof(*all));
		tot += D->off[r + 1] - D->off[r];
	}
	/* indices are distinct within a row: a run's length is the df */
	qsort(all, tot, sizeof(*all), cmp_u32);
	s->col = malloc((tot ? tot : 1) * sizeof(*s->col));
	s->idf = malloc((tot ? tot : 1) * sizeof(*s->idf));
	if (s->col == NULL || s->idf == NULL) {
		free(all);
		return tl_errf(e, "out of memory");
	}
	for (size_t j = 0; j < tot; j += run) {
		for (run = 1; j + run < tot && all[j + run] == all[j]; run++)
			;
		if (run < (size_t)s->min_df)
			continue;
		s->col[m] = all[j];
		s->idf[m++] = s->smooth_idf ? (float)(log((1.0 + n) /
		    (1.0 + run)) + 1) : 1;
	}
	s->m = m;
	free(all);
	return 0;
}

/* The slot where S's table has bucket B, or the empty one where it
 * would go. */
static size_t
slot_of(const struct tl_sparselin *s, uint32_t b)
{
	size_t h = (size_t)(((uint64_t)b * 0x9e3779b97f4a7c15u) >>
	    (64 - s->slot_bits)), mask = ((size_t)1 << s->slot_bits) - 1;

	while (s->slots[h] != 0 && s->slots[h] >> 32 != b)
		h = (h + 1) & mask;
	return h;
}

/*
 * S->slots: S's columns by bucket, in an open-addressing table of at
 * least twice as many slots as columns, each bucket << 32 | column + 1
 * (0: empty).  A lookup takes a probe or two, where a binary search over
 * the columns mispredicted a branch at most of its 17 steps (a sixth of
 * tl-predict's time on raw text with hashed n-grams).
 */
static int
index_columns(struct tl_sparselin *s, struct tl_err *e)
{
	s->slot_bits = 1;
	while (((size_t)1 << s->slot_bits) < 2 * s->m)
		s->slot_bits++;
	s->slots = calloc((size_t)1 << s->slot_bits, sizeof(*s->slots));
	if (s->slots == NULL)
		return tl_errf(e, "out of memory");
	for (size_t c = 0; c < s->m; c++)
		s->slots[slot_of(s, s->col[c])] = (uint64_t)s->col[c] << 32 |
		    (c + 1);
	return 0;
}

/* The column of bucket B among S's, or -1. */
static long
column_of(const struct tl_sparselin *s, uint32_t b)
{
	uint64_t v = s->slots[slot_of(s, b)];

	return v != 0 ? (long)(v & UINT32_MAX) - 1 : -1;
}

/* The TF-IDF pairs of one record into COL and V (room for NNZ); returns
 * how many of its buckets are columns. */
static size_t
tfidf(const struct tl_sparselin *s, size_t nnz, const uint32_t *idx,
    const float *val, uint32_t *col, double *v)
{
	size_t q = 0;
	double ss = 0, norm;
	long c;

	for (size_t j = 0; j < nnz; j++) {
		if ((c = column_of(s, idx[j])) < 0)
			continue;
		col[q] = (uint32_t)c;
		v[q] = (double)val[j] * s->idf[c];
		ss += v[q] * v[q];
		q++;
	}
	norm = sqrt(ss);
	for (size_t j = 0; j < q && ss > 0; j++)
		v[j] /= norm;
	return q;
}

/* Mean and scale sd sqrt(d) of the dense part over the training rows. */
static void
learn_scale(struct tl_sparselin *s, const struct tl_sparse_data *D)
{
	size_t n = nrows_of(D), d = D->d;
	double *sum = calloc(2 * d, sizeof(double)), *sq = sum + d, z;

	for (size_t i = 0; sum != NULL && i < n; i++)
		for (size_t j = 0; j < d; j++)
			sum[j] += D->x[row_of(D, i) * d + j];
	for (size_t j = 0; sum != NULL && j < d; j++)
		s->mean[j] = (float)(sum[j] / n);
	for (size_t i = 0; sum != NULL && i < n; i++)
		for (size_t j = 0; j < d; j++) {
			z = D->x[row_of(D, i) * d + j] - (double)s->mean[j];
			sq[j] += z * z;
		}
	for (size_t j = 0; sum != NULL && j < d; j++) {
		z = sqrt(sq[j] / n);
		s->scale[j] = (float)((z > 0 ? z : 1) * sqrt((double)d) /
		    s->dense_weight);
	}
	free(sum);
}

/* P's pairs by column into P->coff, P->crow and P->cv (allocated). */
static void
by_column(struct prob *P)
{
	size_t tot = P->off[P->n], *c = P->coff, at;

	memset(c, 0, (P->m + 1) * sizeof(size_t));
	for (size_t j = 0; j < tot; j++)
		c[P->col[j] + 1]++;
	for (size_t j = 0; j < P->m; j++)
		c[j + 1] += c[j];
	/* c[j] walks through column j's pairs, ending at column j + 1 */
	for (size_t i = 0; i < P->n; i++)
		for (size_t j = P->off[i]; j < P->off[i + 1]; j++) {
			at = c[P->col[j]]++;
			P->crow[at] = (uint32_t)i;
			P->cv[at] = P->v[j];
		}
	memmove(c + 1, c, P->m * sizeof(size_t));
	c[0] = 0;
}

/* The evaluation's scratch arrays, allocated once per fit, and the
 * threads it runs on (at most THREADS).  0 or -1. */
static int
prob_scratch(struct prob *P, size_t threads)
{
	size_t kk = P->k == 2 ? 1 : P->k, tot = P->off[P->n];

	P->z = malloc((P->n ? P->n : 1) * kk * 2 * sizeof(double));
	P->ts = malloc((P->m ? P->m : 1) * kk * sizeof(double));
	P->coff = malloc((P->m + 1) * sizeof(size_t));
	P->crow = malloc((tot ? tot : 1) * sizeof(uint32_t));
	P->cv = malloc((tot ? tot : 1) * sizeof(double));
	P->gd = malloc(SLICES * kk * (P->d + 1) * sizeof(double));
	if (P->z == NULL || P->ts == NULL || P->coff == NULL ||
	    P->crow == NULL || P->cv == NULL || P->gd == NULL)
		return -1;
	by_column(P);
	P->threads = (P->n * P->d + tot + P->m) * kk >= THREAD_WORK ?
	    threads : 1;
	return 0;
}

static void
scratch_free(struct prob *P)
{
	free(P->z);
	free(P->ts);
	free(P->coff);
	free(P->crow);
	free(P->cv);
	free(P->gd);
}

static void
prob_free(struct prob *P)
{
	scratch_free(P);
	free(P->u);
	free(P->off);
	free(P->col);
	free(P->v);
	free(P->y);
}

/* Prepare DATA's training rows for S's columns and scale into P. */
static int
prepare(struct prob *P, const struct tl_sparselin *s,
    const struct tl_sparse_data *D, struct tl_err *e)
{
	size_t n = nrows_of(D), d = D->d, tot = 0, r;

	memset(P, 0, sizeof(*P));
	for (size_t i = 0; i < n; i++)
		tot += D->off[row_of(D, i) + 1] - D->off[row_of(D, i)];
	P->u = malloc(n * d * sizeof(double));
	P->off = malloc((n + 1) * sizeof(size_t));
	P->col = malloc((tot ? tot : 1) * sizeof(uint32_t));
	P->v = malloc((tot ? tot : 1) * sizeof(double));
	P->y = malloc(n * sizeof(size_t));
	if (P->u == NULL || P->off == NULL || P->col == NULL || P->v == NULL ||
	    P->y == NULL) {
		prob_free(P);
		return tl_errf(e, "out of memory");
	}
	P->n = n;
	P->d = d;
	P->m = s->m;
	P->k = s->k;
	P->off[0] = 0;
	for (size_t i = 0; i < n; i++) {
		r = row_of(D, i);
		for (size_t j = 0; j < d; j++)
			P->u[i * d + j] = ((double)D->x[r * d + j] -
			    s->mean[j]) / s->scale[j];
		P->off[i + 1] = P->off[i] + tfidf(s, D->off[r + 1] -
		    D->off[r], D->idx + D->off[r], D->val + D->off[r],
		    P->col + P->off[i], P->v + P->off[i]);
		P->y[i] = D->y[r];
	}
	return 0;
}

/* log(1 + exp(z)), without overflow. */
static double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* The summed loss of rows R0 .. R1 - 1 of P from their logits (KK per
 * row: 1 for binary) in P->z, and their gradient (scaled by 1 / n) into
 * the rows of G. */
static double
loss_grad(const struct prob *P, size_t kk, size_t r0, size_t r1, double *G)
{
	double f = 0, mx, se, t;

	for (size_t i = r0; i < r1; i++) {
		const double *z = P->z + i * kk;
		double *g = G + i * kk;

		if (kk == 1) {
			t = P->y[i] == 1 ? 1 : -1;
			f += softplus(-t * z[0]);
			g[0] = -t / (1 + exp(t * z[0])) / P->n;
			continue;
		}
		mx = z[0];
		for (size_t c = 1; c < kk; c++)
			mx = z[c] > mx ? z[c] : mx;
		se = 0;
		for (size_t c = 0; c < kk; c++)	/* each exp once */
			se += g[c] = exp(z[c] - mx);
		f += mx + log(se) - z[P->y[i]];
		for (size_t c = 0; c < kk; c++)
			g[c] = g[c] / se / P->n;
		g[P->y[i]] -= 1.0 / P->n;
	}
	return f;
}

/* Slice S of the columns: their sparse weights into P->ts, a copy with
 * the classes minor, through which a pair reads kk neighbouring weights
 * instead of kk far apart (one cache miss per class and pair was most of
 * an evaluation). */
static void
weights_by_column(void *ctx, size_t s)
{
	struct prob *P = ctx;
	size_t kk = P->k == 2 ? 1 : P->k, D = P->d + P->m,
	    j0 = tl_slice_at(P->m, s, SLICES), j1 = tl_slice_at(P->m, s + 1,
	    SLICES);

	for (size_t c = 0; c < kk; c++)
		for (size_t j = j0; j < j1; j++)
			P->ts[j * kk + c] = P->theta[c * D + P->d + j];
}

/* Slice S of the rows: logits, loss (into P->loss[s]) and the rows'
 * gradient, then, with a gradient wanted, the slice's part of the dense
 * weights' and the biases' gradient into its P->gd. */
TL_VECTOR_CLONES static void
eval_rows(void *ctx, size_t s)
{
	struct prob *P = ctx;
	size_t kk = P->k == 2 ? 1 : P->k, D = P->d + P->m, n = P->n,
	    r0 = tl_slice_at(n, s, SLICES), r1 = tl_slice_at(n, s + 1, SLICES),
	    nr = r1 - r0;
	double *Z = P->z, *G = Z + n * kk, *gd = P->gd + s * kk * (P->d + 1),
	    *gb = gd + kk * P->d;

	for (size_t i = r0; i < r1; i++)
		memcpy(Z + i * kk, P->theta + kk * D, kk * sizeof(double));
	if (P->d > 0 && nr > 0)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr,
		    (int)kk, (int)P->d, 1, P->u + r0 * P->d, (int)P->d,
		    P->theta, (int)D, 1, Z + r0 * kk, (int)kk);
	for (size_t i = r0; i < r1; i++)
		for (size_t j = P->off[i]; j < P->off[i + 1]; j++)
			add_scaled(Z + i * kk, P->ts + (size_t)P->col[j] * kk,
			    P->v[j], kk);
	P->loss[s] = loss_grad(P, kk, r0, r1, G);
	if (P->grad == NULL)
		return;
	memset(gd, 0, kk * (P->d + 1) * sizeof(double));
	if (P->d > 0 && nr > 0)
		cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kk,
		    (int)P->d, (int)nr, 1, G + r0 * kk, (int)kk,
		    P->u + r0 * P->d, (int)P->d, 0, gd, (int)P->d);
	for (size_t i = r0; i < r1; i++)
		for (size_t c = 0; c < kk; c++)
			gb[c] += G[i * kk + c];
}

/* Slice S of the columns: their weights' penalty (into P->pen[s]) and,
 * with a gradient wanted, their gradient, each column's pairs times G's
 * rows summed in row order (in P->ts, classes minor) and added to the
 * penalty's. */
TL_VECTOR_CLONES static void
eval_columns(void *ctx, size_t s)
{
	struct prob *P = ctx;
	size_t kk = P->k == 2 ? 1 : P->k, D = P->d + P->m,
	    j0 = tl_slice_at(P->m, s, SLICES), j1 = tl_slice_at(P->m, s + 1,
	    SLICES);
	const double *G = P->z + P->n * kk, *th = P->theta + P->d;
	double pen = 0, *t;

	for (size_t c = 0; c < kk; c++)
		for (size_t j = j0; j < j1; j++)
			pen += th[c * D + j] * th[c * D + j];
	P->pen[s] = pen;
	if (P->grad == NULL)
		return;
	for (size_t j = j0; j < j1; j++) {
		t = P->ts + j * kk;
		memset(t, 0, kk * sizeof(double));
		for (size_t q = P->coff[j]; q < P->coff[j + 1]; q++)
			add_scaled(t, G + (size_t)P->crow[q] * kk, P->cv[q], kk);
	}
	for (size_t c = 0; c < kk; c++)
		for (size_t j = j0; j < j1; j++)
			P->grad[c * D + P->d + j] = th[c * D + j] /
			    (P->C * P->n) + P->ts[j * kk + c];
}

/* F / (C n) and its gradient; THETA as tl_sparselin_objective says.  The
 * sparse weights are copied column-slice by column-slice, the rows'
 * slices then read them, and the columns' slices use the rows' gradient:
 * three runs of the slices. */
static double
objective(struct prob *P, const double *theta, double *grad)
{
	size_t kk = P->k == 2 ? 1 : P->k, D = P->d + P->m, d = P->d;
	double f = 0, pen = 0, cn = P->C * P->n, *gb;

	P->theta = theta;
	P->grad = grad;
	tl_slices_run(SLICES, P->threads, weights_by_column, P);
	tl_slices_run(SLICES, P->threads, eval_rows, P);
	tl_slices_run(SLICES, P->threads, eval_columns, P);
	for (size_t s = 0; s < SLICES; s++) {
		f += P->loss[s];
		pen += P->pen[s];
	}
	for (size_t c = 0; c < kk; c++)
		for (size_t j = 0; j < d; j++)
			pen += theta[c * D + j] * theta[c * D + j];
	f = f / P->n + pen / (2 * cn);
	if (grad == NULL)
		return f;
	gb = grad + kk * D;
	for (size_t c = 0; c < kk; c++) {
		for (size_t j = 0; j < d; j++)
			grad[c * D + j] = theta[c * D + j] / cn;
		gb[c] = 0;
	}
	for (size_t s = 0; s < SLICES; s++) {
		const double *gd = P->gd + s * kk * (d + 1);

		for (size_t c = 0; c < kk; c++) {
			for (size_t j = 0; j < d; j++)
				grad[c * D + j] += gd[c * d + j];
			gb[c] += gd[kk * d + c];
		}
	}
	return f;
}

double
tl_sparselin_objective(const double *u, size_t n, size_t d,
    const size_t *off, const uint32_t *col, const double *v, size_t m,
    const size_t *y, size_t k, double C, const double *theta, double *grad,
    size_t threads)
{
	struct prob P = { .n = n, .d = d, .m = m, .k = k, .u = (double *)u,
	    .off = (size_t *)off, .col = (uint32_t *)col, .v = (double *)v,
	    .y = (size_t *)y, .C = C };
	double f = prob_scratch(&P, threads) == 0 ? objective(&P, theta,
	    grad) : NAN;

	scratch_free(&P);
	return f;
}

static double
lbfgs_fn(void *ctx, const double *x, double *grad, size_t n)
{
	(void)n;
	return objective(ctx, x, grad);
}

/* S's scoring buffers (NULL when out of memory), for its K, D and M. */
static void
alloc_scoring(struct tl_sparselin *s)
{
	s->su = calloc(ROWS * s->d + (s->m > s->k ? s->m : s->k),
	    sizeof(double));
	s->scol = malloc((s->m ? s->m : 1) * sizeof(uint32_t));
}

/* Allocate S's arrays for K classes, D dense and S->M sparse columns. */
static int
alloc_model(struct tl_sparselin *s, size_t k, size_t d, struct tl_err *e)
{
	s->k = k;
	s->d = d;
	s->w = calloc(k * (d ? d : 1), sizeof(float));
	s->b = calloc(k, sizeof(float));
	s->ws = calloc(KPAD(s) * (s->m ? s->m : 1), sizeof(float));
	s->wt = calloc(KPAD(s) * (d ? d : 1), sizeof(double));
	alloc_scoring(s);
	s->mean = calloc(d ? d : 1, sizeof(float));
	s->scale = calloc(d ? d : 1, sizeof(float));
	s->classes = calloc(k, sizeof(char *));
	if (s->w == NULL || s->b == NULL || s->ws == NULL || s->wt == NULL ||
	    s->su == NULL || s->scol == NULL || s->mean == NULL ||
	    s->scale == NULL || s->classes == NULL)
		return tl_errf(e, "out of memory");
	return 0;
}

/* S->wt from S->w. */
static void
fill_wt(struct tl_sparselin *s)
{
	for (size_t j = 0; j < s->d; j++)
		for (size_t c = 0; c < s->k; c++)
			s->wt[j * KPAD(s) + c] = s->w[c * s->d + j];
}

/* The R x C matrix A (rows LDA apart) transposed into B (rows LDB
 * apart): 64 columns of A at a time, whose rows of B stay in the cache
 * while every row of A adds to them (a column at a time took 30 ms of
 * tl-predict's start-up for 53 x 124,075 weights). */
static void
transpose(const float *a, size_t r, size_t c, size_t lda, float *b,
    size_t ldb)
{
	for (size_t j0 = 0; j0 < c; j0 += 64) {
		size_t j1 = c - j0 < 64 ? c : j0 + 64;

		for (size_t i = 0; i < r; i++)
			for (size_t j = j0; j < j1; j++)
				b[j * ldb + i] = a[i * lda + j];
	}
}

/* Copy the solution THETA into S's weights (binary: rows [0; w]). */
static void
store(struct tl_sparselin *s, const double *theta)
{
	size_t kk = s->k == 2 ? 1 : s->k, D = s->d + s->m, r;

	for (size_t c = 0; c < kk; c++) {
		r = s->k == 2 ? 1 : c;
		for (size_t j = 0; j < s->d; j++)
			s->w[r * s->d + j] = (float)theta[c * D + j];
		for (size_t j = 0; j < s->m; j++)
			s->ws[j * KPAD(s) + r] = (float)theta[c * D + s->d + j];
		s->b[r] = (float)theta[kk * D + c];
	}
	fill_wt(s);
}

/* Training accuracy of the prepared rows at THETA. */
static double
accuracy(const struct tl_sparselin *s, const struct prob *P)
{
	size_t hits = 0, best;
	double zc, zb;

	for (size_t i = 0; i < P->n; i++) {
		best = 0;
		zb = -INFINITY;
		for (size_t c = 0; c < s->k; c++) {
			zc = s->b[c];
			for (size_t j = 0; j < s->d; j++)
				zc += s->w[c * s->d + j] * P->u[i * s->d + j];
			for (size_t j = P->off[i]; j < P->off[i + 1]; j++)
				zc += s->ws[P->col[j] * KPAD(s) + c] * P->v[j];
			if (zc > zb) {
				zb = zc;
				best = c;
			}
		}
		hits += best == P->y[i];
	}
	return P->n ? (double)hits / P->n : 0;
}

/* The starting biases: the best ones when all weights are 0 (the dense
 * part is centred, the sparse part nearly so at the optimum's scale),
 * the log class priors smoothed by half a row for a class without rows;
 * centred for softmax, whose gradient keeps the biases' sum.  Starting
 * there instead of at 0 saves L-BFGS the iterations that only learn the
 * class frequencies, and moves not the optimum it converges to. */
static void
prior_biases(const struct prob *P, double *b)
{
	size_t kk = P->k == 2 ? 1 : P->k;
	double cnt[2] = { 0, 0 }, mean = 0;

	if (kk == 1) {
		for (size_t i = 0; i < P->n; i++)
			cnt[P->y[i] == 1]++;
		b[0] = log((cnt[1] + 0.25) / (cnt[0] + 0.25));
		return;
	}
	for (size_t c = 0; c < kk; c++)
		b[c] = 0;
	for (size_t i = 0; i < P->n; i++)
		b[P->y[i]]++;
	for (size_t c = 0; c < kk; c++) {
		b[c] = log((b[c] + 0.5) / P->n);
		mean += b[c] / kk;
	}
	for (size_t c = 0; c < kk; c++)
		b[c] -= mean;
}

/* Refuse the options this trainer does not have. */
static int
check_opts(const struct tl_linear_opts *o, struct tl_err *e)
{
	if (o->kind != TL_LINEAR_SOFTMAX)
		return tl_errf(e, "a sparse part needs -t softmax (the "
		    "default)");
	if (o->balanced || o->standardize || o->init != NULL)
		return tl_errf(e, "--class-weight, --standardize and --init "
		    "are not supported with a sparse part (the dense part is "
		    "always standardised)");
	return 0;
}

int
tl_sparselin_fit(struct tl_sparselin *s, const struct tl_sparse_data *data,
    char *const *classes, size_t k, const struct tl_sparse_opts *so,
    const struct tl_linear_opts *o, struct tl_linear_report *r,
    struct tl_err *e)
{
	struct tl_lbfgs_param lp;
	struct tl_lbfgs_result lr;
	struct timespec t0, t1;
	struct prob P;
	size_t kk = k == 2 ? 1 : k, nth;
	double *theta;
	int blas, rc;

	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	if (check_opts(o, e) < 0)
		return -1;
	if (k < 2 || nrows_of(data) == 0)
		return tl_errf(e, "need at least 2 classes and 1 row");
	s->buckets = data->buckets;
	s->dense_weight = so->dense_weight > 0 ? so->dense_weight : 1;
	s->min_df = so->min_df >= 1 ? so->min_df : TL_SPARSELIN_MIN_DF;
	s->smooth_idf = so->smooth_idf != 0;
	if (learn_columns(s, data, e) < 0 || index_columns(s, e) < 0 ||
	    alloc_model(s, k, data->d, e) < 0)
		goto fail;
	for (size_t c = 0; c < k; c++)
		if ((s->classes[c] = strdup(classes[c])) == NULL) {
			tl_errf(e, "out of memory");
			goto fail;
		}
	learn_scale(s, data);
	if (prepare(&P, s, data, e) < 0)
		goto fail;
	P.C = o->C;
	nth = kk * (data->d + s->m) + kk;
	/* the objective's slices run on the threads OpenBLAS would use, and
	 * OpenBLAS on one meanwhile: its threads only spun on these thin
	 * products (a quarter of the time, profiled on 51k rows) */
	blas = openblas_get_num_threads();
	if (prob_scratch(&P, blas < 1 ? 1 : (size_t)blas) < 0 ||
	    (theta = calloc(nth, sizeof(double))) == NULL) {
		prob_free(&P);
		tl_errf(e, "out of memory");
		goto fail;
	}
	prior_biases(&P, theta + kk * (data->d + s->m));
	tl_lbfgs_param_init(&lp);
	lp.gtol = o->tol;
	lp.max_iter = o->max_iter;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (blas != 1)	/* fits side by side (tl-train --cv) set it once */
		tl_blas_threads(1);
	rc = tl_lbfgs_minimize(lbfgs_fn, &P, theta, nth, &lp, &lr);
	if (blas != 1)
		tl_blas_threads(blas);
	if (rc < 0) {
		free(theta);
		prob_free(&P);
		tl_errf(e, "optimisation failed: %s", lr.msg);
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	store(s, theta);
	*r = (struct tl_linear_report){ P.n, lr.iterations, lr.evaluations,
	    lr.f * o->C * P.n, lr.gnorm, accuracy(s, &P),
	    (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec -
	    t0.tv_nsec), lr.status, "" };
	snprintf(r->msg, sizeof(r->msg), "%s", lr.msg);
	free(theta);
	prob_free(&P);
	return 0;
fail:
	tl_sparselin_free(s);
	return -1;
}

/* Add to P the scores of Q pairs, columns COL and TF-IDF values V: each
 * pair's weights (a run of KPAD(s)) added to LANES classes at a time in
 * registers, every class's sum in the order of the pairs. */
static void
add_pairs(const struct tl_sparselin *s, const uint32_t *col, const double *v,
    size_t q, float *p)
{
	size_t kp = KPAD(s);
	float acc[LANES];

	for (size_t k0 = 0; k0 < kp && q > 0; k0 += LANES) {
		for (size_t k = 0; k < LANES; k++)
			acc[k] = k0 + k < s->k ? p[k0 + k] : 0;
		for (size_t t = 0; t < q; t++) {
			const float *wc = s->ws + col[t] * kp + k0;

#pragma GCC unroll 8
			for (size_t k = 0; k < LANES; k++)
				acc[k] += (float)(wc[k] * v[t]);
		}
		for (size_t k = 0; k < LANES && k0 + k < s->k; k++)
			p[k0 + k] = acc[k];
	}
}

/* The K scores P made probabilities, through room for K doubles EX.
 * The divisions four at a time: each is still exactly rounded, so the
 * bits are those of one at a time, at a quarter of the latency. */
TL_VECTOR_CLONES static void
softmax(float *p, size_t k, double *ex)
{
	double mx = -INFINITY, se = 0;
	size_t i;

	for (i = 0; i < k; i++)
		mx = p[i] > mx ? p[i] : mx;
	for (i = 0; i < k; i++)
		se += ex[i] = exp(p[i] - mx);
	for (i = 0; i + 4 <= k; i += 4) {
		v4d e;
		v4f q;

		memcpy(&e, ex + i, sizeof(e));
		q = __builtin_convertvector(e / se, v4f);
		memcpy(p + i, &q, sizeof(q));
	}
	for (; i < k; i++)
		p[i] = (float)(ex[i] / se);
}

/*
 * The dense part's scores b_k + w_k.u of NR <= ROWS records into P (rows
 * of S->k), U their standardised values s(x) (rows of S->d).  Each
 * class's sum goes in the order of j, LANES classes of NR records at a
 * time, written in vectors so that the sums stay in registers and each
 * weight loaded serves NR records: one class at a time, each addition
 * waited on the one before (three quarters of tl-predict's time on raw
 * text with 53 classes and a 200-d dense part), and GCC does not keep an
 * array of sums this size in registers.  Inlined with NR a constant.
 */
static inline __attribute__((always_inline)) void
dense_rows(const struct tl_sparselin *s, const double *u, size_t nr,
    float *p)
{
	size_t kp = KPAD(s), d = s->d;
	double b[LANES];
	v4d z[ROWS][2], w0, w1;

	for (size_t k0 = 0; k0 < kp; k0 += LANES) {
		for (size_t k = 0; k < LANES; k++)
			b[k] = k0 + k < s->k ? s->b[k0 + k] : 0;
		memcpy(&w0, b, sizeof(w0));
		memcpy(&w1, b + 4, sizeof(w1));
		for (size_t i = 0; i < nr; i++) {
			z[i][0] = w0;
			z[i][1] = w1;
		}
		for (size_t j = 0; j < d; j++) {
			memcpy(&w0, s->wt + j * kp + k0, sizeof(w0));
			memcpy(&w1, s->wt + j * kp + k0 + 4, sizeof(w1));
#pragma GCC unroll 4
			for (size_t i = 0; i < nr; i++) {
				z[i][0] += w0 * u[i * d + j];
				z[i][1] += w1 * u[i * d + j];
			}
		}
		for (size_t i = 0; i < nr; i++)
			for (size_t k = 0; k < LANES && k0 + k < s->k; k++)
				p[i * s->k + k0 + k] = (float)z[i][k / 4][k % 4];
	}
}

/* The dense scores of R <= ROWS records: ROWS at once, or one by one. */
TL_VECTOR_CLONES static void
dense_scores(const struct tl_sparselin *s, const double *u, size_t r,
    float *p)
{
	if (r == ROWS)
		dense_rows(s, u, ROWS, p);
	else
		for (size_t i = 0; i < r; i++)
			dense_rows(s, u + i * s->d, 1, p + i * s->k);
}

void
tl_sparselin_proba(const struct tl_sparselin *s, const float *x,
    size_t nnz, const uint32_t *idx, const float *val, float *p)
{
	size_t off[2] = { 0, nnz };

	tl_sparselin_proba_rows(s, x, 1, off, idx, val, p);
}

/* Add to P the scores of record I's TF-IDF pairs (CSR: OFF, IDX, VAL;
 * OFF NULL: none). */
static void
sparse_scores(const struct tl_sparselin *s, const size_t *off,
    const uint32_t *idx, const float *val, size_t i, float *p)
{
	double *v = s->su + ROWS * s->d;

	if (off != NULL && off[i + 1] > off[i])	/* else IDX may be NULL */
		add_pairs(s, s->scol, v, tfidf(s, off[i + 1] - off[i], idx +
		    off[i], val + off[i], s->scol, v), p);
}

/* S(x) of the R records X into U (rows of S->d), four values at a time
 * (a division per value was a fifth of scoring raw text; vector divisions
 * round each value as a scalar one does). */
TL_VECTOR_CLONES static void
standardize(const struct tl_sparselin *s, const float *x, size_t r,
    double *u)
{
	size_t d = s->d, j;

	for (size_t i = 0; i < r; i++, x += d, u += d) {
		for (j = 0; j + 4 <= d; j += 4) {
			v4f xv, m, sc;
			v4d q;

			memcpy(&xv, x + j, sizeof(xv));
			memcpy(&m, s->mean + j, sizeof(m));
			memcpy(&sc, s->scale + j, sizeof(sc));
			q = (__builtin_convertvector(xv, v4d) -
			    __builtin_convertvector(m, v4d)) /
			    __builtin_convertvector(sc, v4d);
			memcpy(u + j, &q, sizeof(q));
		}
		for (; j < d; j++)
			u[j] = ((double)x[j] - s->mean[j]) / s->scale[j];
	}
}

void
tl_sparselin_proba_rows(const struct tl_sparselin *s, const float *x,
    size_t n, const size_t *off, const uint32_t *idx, const float *val,
    float *p)
{
	for (size_t i0 = 0; i0 < n; i0 += ROWS) {
		size_t r = n - i0 < ROWS ? n - i0 : ROWS;

		standardize(s, x + i0 * s->d, r, s->su);
		dense_scores(s, s->su, r, p + i0 * s->k);
		for (size_t i = i0; i < i0 + r; i++) {
			sparse_scores(s, off, idx, val, i, p + i * s->k);
			softmax(p + i * s->k, s->k, s->su + ROWS * s->d);
		}
	}
}

/* A tl_linear view of S's dense part, for linear.h's description. */
static struct tl_linear
dense_view(const struct tl_sparselin *s)
{
	return (struct tl_linear){ s->k, s->d, s->w, s->b, s->classes,
	    TL_LINEAR_SOFTMAX, 0, s->mean, s->scale, NULL, NULL };
}

json_t *
tl_sparselin_meta(const struct tl_sparselin *s,
    const struct tl_linear_opts *o, const struct tl_linear_report *r,
    const char *input_model, char *const *stacked, size_t nstacked)
{
	struct tl_linear lin = dense_view(s);
	json_t *meta = tl_linear_meta(&lin, o, r, input_model, stacked,
	    nstacked);

	if (meta == NULL || json_object_set_new(meta, "kind",
	    json_string("sparse-softmax")) != 0 ||
	    json_object_set_new(meta, "sparse", json_pack("{s:I,s:I,s:i,"
	    "s:s,s:s,s:f}", "buckets", (json_int_t)s->buckets, "columns",
	    (json_int_t)s->m, "min_df", s->min_df, "idf",
	    s->smooth_idf ? "smooth" : "none", "norm", "l2", "dense_weight",
	    s->dense_weight)) != 0) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

int
tl_sparselin_save(const struct tl_sparselin *s, json_t *meta, FILE *f,
    char digest[65], struct tl_err *e)
{
	struct tl_model_writer *w = tl_model_writer_new();
	uint64_t kd[2] = { s->k, s->d }, km[2] = { s->k, s->m };
	int64_t *col = malloc((s->m ? s->m : 1) * sizeof(*col));
	float *ws = malloc((s->m ? s->m : 1) * s->k * sizeof(*ws));
	int rc = -1;

	if (w == NULL || col == NULL || ws == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < s->m; j++)
		col[j] = s->col[j];
	/* back to the file's k x m */
	transpose(s->ws, s->m, s->k, KPAD(s), ws, s->m);
	if (tl_model_writer_add(w, "weight", TL_DTYPE_F32, 2, kd, s->w, e) ||
	    tl_model_writer_add(w, "bias", TL_DTYPE_F32, 1, kd, s->b, e) ||
	    tl_model_writer_add(w, "standardize.mean", TL_DTYPE_F32, 1,
	    kd + 1, s->mean, e) ||
	    tl_model_writer_add(w, "standardize.scale", TL_DTYPE_F32, 1,
	    kd + 1, s->scale, e) ||
	    tl_model_writer_add(w, "sparse.columns", TL_DTYPE_I64, 1, km + 1,
	    col, e) ||
	    tl_model_writer_add(w, "sparse.idf", TL_DTYPE_F32, 1, km + 1,
	    s->idf, e) ||
	    tl_model_writer_add(w, "sparse.weight", TL_DTYPE_F32, 2, km,
	    ws, e))
		goto out;
	rc = tl_model_writer_write(w, meta, f, digest, e);
out:
	free(col);
	free(ws);
	tl_model_writer_free(w);
	return rc;
}

/* The F32 tensor NAME of shape [S0] (NDIM 1) or [S0, S1] (NDIM 2) at *P,
 * valid while M is. */
static int
f32_of(struct tl_model *m, const char *name, int ndim, uint64_t s0,
    uint64_t s1, const float **p, struct tl_err *e)
{
	uint64_t shape[2];

	if ((*p = tl_model_f32(m, name, ndim, shape, e)) == NULL)
		return -1;
	if (ndim == 1 && shape[0] != s0)
		return tl_errf(e, "tensor %s: shape [%llu], expected [%llu]",
		    name, (unsigned long long)shape[0],
		    (unsigned long long)s0);
	if (ndim == 2 && (shape[0] != s0 || shape[1] != s1))
		return tl_errf(e, "tensor %s: shape [%llu,%llu], expected "
		    "[%llu,%llu]", name, (unsigned long long)shape[0],
		    (unsigned long long)shape[1], (unsigned long long)s0,
		    (unsigned long long)s1);
	return 0;
}

/* Copy the F32 tensor NAME of shape [S0] (NDIM 1) or [S0, S1] (NDIM 2)
 * to a new array at *OUT. */
static int
load_f32(struct tl_model *m, const char *name, int ndim, uint64_t s0,
    uint64_t s1, float **out, struct tl_err *e)
{
	const float *p;
	size_t n = (size_t)(s0 * (ndim == 2 ? s1 : 1));

	if (f32_of(m, name, ndim, s0, s1, &p, e) == -1)
		return -1;
	if ((*out = malloc((n ? n : 1) * sizeof(float))) == NULL)
		return tl_errf(e, "out of memory");
	if (n > 0)	/* an empty tensor may have no data pointer */
		memcpy(*out, p, n * sizeof(float));
	return 0;
}

/* The description's dimensions, sparse object and classes into S. */
static int
load_meta(struct tl_model *m, struct tl_sparselin *s, struct tl_err *e)
{
	json_t *meta = tl_model_meta(m), *sp = json_object_get(meta,
	    "sparse"), *cl = json_object_get(meta, "classes");
	json_int_t k = json_integer_value(json_object_get(meta,
	    "output_dim")), d = json_integer_value(json_object_get(meta,
	    "input_dim")), b = json_integer_value(json_object_get(sp,
	    "buckets")), mm = json_integer_value(json_object_get(sp,
	    "columns"));
	const char *idf;
	const float *p;

	if (k < 2 || d < 1 || b < 1 || b > (json_int_t)UINT32_MAX + 1 ||
	    mm < 0 || mm > b || !json_is_array(cl) ||
	    json_array_size(cl) != (size_t)k)
		return tl_errf(e, "bad sparse-softmax description: "
		    "output_dim, input_dim, sparse.buckets, sparse.columns "
		    "or classes");
	/* The weights, whose bytes are in the file, bound the sizes before
	 * anything is allocated for them: a description alone could ask
	 * for any amount, or overflow the products. */
	if (f32_of(m, "weight", 2, (uint64_t)k, (uint64_t)d, &p, e) == -1 ||
	    f32_of(m, "sparse.weight", 2, (uint64_t)k, (uint64_t)mm, &p,
	    e) == -1)
		return -1;
	s->buckets = (uint64_t)b;
	s->dense_weight = json_number_value(json_object_get(sp,
	    "dense_weight"));
	/* the weights themselves are in sparse.idf; this only describes */
	idf = json_string_value(json_object_get(sp, "idf"));
	s->smooth_idf = idf == NULL || strcmp(idf, "none") != 0;
	s->min_df = (int)json_integer_value(json_object_get(sp, "min_df"));
	s->m = (size_t)mm;
	if (alloc_model(s, (size_t)k, (size_t)d, e) < 0)
		return -1;
	for (size_t c = 0; c < s->k; c++) {
		const char *name = json_string_value(json_array_get(cl, c));

		if (name == NULL || name[0] == '\0' || (c > 0 &&
		    strcmp(s->classes[c - 1], name) >= 0))
			return tl_errf(e, "classes must be distinct non-empty "
			    "strings in strcmp order");
		if ((s->classes[c] = strdup(name)) == NULL)
			return tl_errf(e, "out of memory");
	}
	return 0;
}

/* The I64 tensor sparse.columns: S->M increasing buckets < S->BUCKETS. */
static int
load_columns(struct tl_model *m, struct tl_sparselin *s, struct tl_err *e)
{
	const struct tl_tensor *t = tl_model_tensor(m, "sparse.columns");
	int64_t v;

	if (t == NULL || t->dtype != TL_DTYPE_I64 || t->ndim != 1 ||
	    t->shape[0] != s->m)
		return tl_errf(e, "tensor sparse.columns: missing, or not I64 "
		    "of shape [%zu]", s->m);
	if ((s->col = malloc((s->m ? s->m : 1) * sizeof(*s->col))) == NULL)
		return tl_errf(e, "out of memory");
	for (size_t j = 0; j < s->m; j++) {
		memcpy(&v, (const char *)t->data + 8 * j, 8);
		if (v < 0 || (uint64_t)v >= s->buckets || (j > 0 &&
		    (uint64_t)v <= s->col[j - 1]))
			return tl_errf(e, "tensor sparse.columns: entry %zu "
			    "out of range or order", j);
		s->col[j] = (uint32_t)v;
	}
	return 0;
}

int
tl_sparselin_load(struct tl_model *m, struct tl_sparselin *s,
    struct tl_err *e)
{
	float *w = NULL, *b = NULL, *mean = NULL, *scale = NULL;
	const float *ws;

	memset(s, 0, sizeof(*s));
	if (tl_model_kind(m) == NULL || strcmp(tl_model_kind(m),
	    "sparse-softmax") != 0) {
		tl_errf(e, "not a sparse-softmax model");
		return -1;
	}
	if (load_meta(m, s, e) < 0 || load_columns(m, s, e) < 0 ||
	    index_columns(s, e) < 0 ||
	    load_f32(m, "weight", 2, s->k, s->d, &w, e) < 0 ||
	    load_f32(m, "bias", 1, s->k, 0, &b, e) < 0 ||
	    load_f32(m, "standardize.mean", 1, s->d, 0, &mean, e) < 0 ||
	    load_f32(m, "standardize.scale", 1, s->d, 0, &scale, e) < 0 ||
	    load_f32(m, "sparse.idf", 1, s->m, 0, &s->idf, e) < 0 ||
	    f32_of(m, "sparse.weight", 2, s->k, s->m, &ws, e) < 0)
		goto fail;
	for (size_t j = 0; j < s->d; j++)
		if (!(scale[j] > 0))
			goto fail_scale;
	free(s->w);
	free(s->b);
	free(s->mean);
	free(s->scale);
	s->w = w;
	s->b = b;
	s->mean = mean;
	s->scale = scale;
	if (s->m > 0)	/* an empty tensor may have no data pointer */
		transpose(ws, s->k, s->m, s->m, s->ws, KPAD(s));
	fill_wt(s);
	return 0;
fail_scale:
	tl_errf(e, "tensor standardize.scale: a scale is not > 0");
fail:
	free(w);
	free(b);
	free(mean);
	free(scale);
	tl_sparselin_free(s);
	return -1;
}

void
tl_sparselin_free(struct tl_sparselin *s)
{
	for (size_t c = 0; s->classes != NULL && c < s->k; c++)
		free(s->classes[c]);
	free(s->classes);
	free(s->w);
	free(s->b);
	free(s->mean);
	free(s->scale);
	free(s->col);
	free(s->slots);
	free(s->idf);
	free(s->ws);
	free(s->wt);
	free(s->su);
	free(s->scol);
	memset(s, 0, sizeof(*s));
}

int
tl_sparselin_share(const struct tl_sparselin *s, struct tl_sparselin *t)
{
	*t = *s;
	alloc_scoring(t);
	if (t->su == NULL || t->scol == NULL) {
		tl_sparselin_unshare(t);
		return -1;
	}
	return 0;
}

void
tl_sparselin_unshare(struct tl_sparselin *t)
{
	free(t->su);
	free(t->scol);
	memset(t, 0, sizeof(*t));
}
