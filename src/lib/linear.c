/*
 * Linear models: training (L-BFGS over the objectives of linear.h, in
 * double; ridge through ridge.c), the model file (kinds "softmax",
 * "logistic", "ridge": tensors "weight" [K,d] and "bias" [K], F32, and
 * with --standardize "standardize.mean" and "standardize.scale" [d]) and
 * batched float prediction.  tl-train, tl-predict and tl-stack are thin
 * front ends over this file.
 *
 * The optimiser sees F / (C S): values of order 1 whatever C and the row
 * count are, and a gradient whose max-norm is compared with tol directly.
 * L-BFGS steps and its relative stopping tests do not depend on that
 * scaling, so the minimiser is the one of F.
 *
 * It also sees whitened features.  First standardised: x'_j = (x_j -
 * mean_j) / sd_j, with weights w'_j = w_j sd_j and biases b' = b + w.mean,
 * so the penalty becomes sum_j w'_j^2 / sd_j^2 (word-vector means share a
 * large common component, which alone costs L-BFGS half its iterations).
 * Then decorrelated by a Cholesky factor of their correlation matrix (see
 * whiten()): word-vector features are strongly correlated, and on 51k
 * rows x 100 features x 53 classes this halves the iterations again (552
 * -> 270 at tol 1e-8).  Each step is the same problem in other
 * coordinates: the optimum maps back exactly.  The stopping test reads the
 * gradient with respect to the weights of the whitened features, which
 * makes tol independent of the scale of the features too.
 *
 * Each evaluation of the objective costs two products of the n x d rows
 * with the k x d weights; for softmax on 51k x 100 x 53 they took 60% of
 * 42 ms in double.  Training therefore evaluates in single precision
 * (objective_f32: sgemm, twice dgemm's flops per cycle on half the
 * memory; a vectorised float exp; no allocation), on fixed slices of the
 * rows in threads of its own, with OpenBLAS kept to one thread meanwhile
 * (on 2 cores its threads only spun on these small products).  Float
 * gradients are good to about 1e-6, so L-BFGS runs in float down to
 * F32_TOL and, only when asked for less, on in double.  The starting
 * biases are the log class priors.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "blas.h"
#include "clones.h"
#include "linear.h"
#include "names.h"
#include "par.h"
#include "ridge.h"
#include "slices.h"

/* ------------------------------------------------------------------ */
/* Classes                                                            */
/* ------------------------------------------------------------------ */

/* A class while the labels are read: its string (borrowed) and the
 * index of its first appearance. */
struct labelref {
	const char	*s;
	size_t		 id;
};

static int
labelref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct labelref *)a)->s,
	    ((const struct labelref *)b)->s);
}

static void
free_strings(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The distinct LABELS[0 .. n) into REF (*NK of them, in order of first
 * appearance), Y[i] the index of LABELS[i] among them: one hash and
 * probe per label in an open-addressing table of indices into REF,
 * doubled at half full (sorting the 51k labels of a data set with
 * strcmp took a fiftieth of training).  0, or -1 when out of memory. */
static int
distinct_labels(const char *const *labels, size_t n, struct labelref **ref,
    size_t *nk, size_t *y)
{
	size_t cap = 64, *slot = NULL, mask, j, k = 0;
	struct labelref *r = NULL, *nr;

	for (size_t i = 0; i < n; i++) {
		if (2 * (k + 1) > cap || slot == NULL) {
			size_t *ns;

			cap = slot == NULL ? cap : 2 * cap;
			if ((ns = malloc(cap * sizeof(*ns))) == NULL ||
			    (nr = realloc(r, cap / 2 * sizeof(*r))) == NULL) {
				free(ns);
				goto nomem;
			}
			r = nr;
			free(slot);
			slot = ns;
			mask = cap - 1;
			for (j = 0; j < cap; j++)
				slot[j] = SIZE_MAX;
			for (size_t c = 0; c < k; c++) {
				j = XXH3_64bits(r[c].s, strlen(r[c].s)) & mask;
				while (slot[j] != SIZE_MAX)
					j = (j + 1) & mask;
				slot[j] = c;
			}
		}
		j = XXH3_64bits(labels[i], strlen(labels[i])) & mask;
		while (slot[j] != SIZE_MAX && strcmp(r[slot[j]].s, labels[i]))
			j = (j + 1) & mask;
		if (slot[j] == SIZE_MAX) {
			r[k] = (struct labelref){ labels[i], k };
			slot[j] = k++;
		}
		y[i] = slot[j];
	}
	free(slot);
	*ref = r;
	*nk = k;
	return 0;
nomem:
	free(slot);
	free(r);
	return -1;
}

int
tl_linear_classes(const char *const *labels, size_t n, char ***classes,
    size_t *k, size_t *y, struct tl_err *e)
{
	struct labelref *ref = NULL;
	char **cl = NULL;
	size_t nk = 0, *rank = NULL, i;

	*classes = NULL;
	*k = 0;
	if (distinct_labels(labels, n, &ref, &nk, y) != 0)
		return tl_errf(e, "out of memory");
	/* the few distinct labels sorted, each row's index mapped */
	if (nk > 1)
		qsort(ref, nk, sizeof(*ref), labelref_cmp);
	if ((cl = calloc(nk ? nk : 1, sizeof(*cl))) == NULL ||
	    (rank = malloc((nk ? nk : 1) * sizeof(*rank))) == NULL)
		goto nomem;
	for (i = 0; i < nk; i++) {
		rank[ref[i].id] = i;
		if ((cl[i] = strdup(ref[i].s)) == NULL)
			goto nomem;
	}
	for (i = 0; i < n; i++)
		y[i] = rank[y[i]];
	free(rank);
	free(ref);
	*classes = cl;
	*k = nk;
	return 0;
nomem:
	free_strings(cl, nk);
	free(rank);
	free(ref);
	return tl_errf(e, "out of memory");
}

/* ------------------------------------------------------------------ */
/* The objective                                                      */
/* ------------------------------------------------------------------ */

/* The single-precision evaluation works on F32_CHUNKS fixed slices of the
 * rows, each in one thread: the slices' sums are added in slice order,
 * so the model's bits never depend on the number of threads. */
#define F32_CHUNKS 4

/* The first of the n rows in slice C (C = F32_CHUNKS: the end). */
static size_t
slice_at(size_t n, size_t c)
{
	return tl_slice_at(n, c, F32_CHUNKS);
}
#define F32_THREAD_WORK (1 << 20)

/* The data and scratch space of one optimisation. */
struct problem {
	const double	*x;	/* n x d rows, or NULL until the double
				   objectives need them (problem_rows_f64) */
	double		*xown;	/* x when made from xf */
	const size_t	*y;	/* n class indices (multinomial) */
	const unsigned char *t;	/* n 0/1 targets (binary) */
	const double	*sw;	/* n row weights, or NULL for all 1 */
	size_t		 n, d, k;
	double		 scale;	/* 1 / (C S): weight of 1/2 ||W||^2 */
	double		 inv_s;	/* 1 / S, S = sum of row weights */
	const double	*pen;	/* d penalty weights 1 / sd_j^2, or NULL
				   for all 1 */
	const double	*w0;	/* the penalty's centre (weights part of
				   theta), or NULL for zero */
	const double	*b0;	/* the biases' centre, or NULL: biases
				   not penalised */
	const double	*L;	/* d x d whitening factor (see whiten()),
				   or NULL */
	double		*ps;	/* rows x d scratch of the penalty, with L */
	double		*z;	/* n x k logits (n when binary) */
	/* The single-precision evaluation (see objective_f32), used
	 * when xf is not NULL: */
	const float	*xf;	/* n x (d + 1) rows, each ending in a 1 */
	float		*zf;	/* n x kp logits (n when binary) */
	size_t		 kp;	/* k rounded up to whole LANES */
	float		*wf;	/* k x (d + 1) weights, biases last */
	float		*gf;	/* F32_CHUNKS x k x (d + 1) data gradients */
	double		 closs[F32_CHUNKS];	/* their losses */
	int		 binary;	/* the binary objective */
	size_t		 threads;	/* 1 .. F32_CHUNKS */
	double		*h0;	/* L-BFGS's diagonal preconditioner, or
				   NULL (see class_preconditioner()) */
};

/* log(1 + exp(u)) without overflow. */
static double
softplus(double u)
{
	return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

static double
sigmoid(double u)
{
	double t;

	if (u >= 0)
		return 1 / (1 + exp(-u));
	t = exp(u);
	return t / (1 + t);
}

/* The penalty with whitened features (P->L): each row u = th - w0 of
 * whitened weights is v = L^-T u in the standardised coordinates, whose
 * penalty is scale/2 sum pen_j v_j^2; its gradient is scale L^-1 pen v.
 * In row-major row form: V = U L^-1, G = (pen V) L^-T, two dtrsm. */
static double
penalty_whitened(const struct problem *P, const double *th, double *g,
    size_t rows)
{
	size_t d = P->d;
	double ww = 0, pj, *v = P->ps;

	for (size_t j = 0; j < rows * d; j++)
		v[j] = th[j] - (P->w0 != NULL ? P->w0[j] : 0);
	cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans,
	    CblasNonUnit, rows, d, 1, P->L, d, v, d);
	for (size_t j = 0; j < rows * d; j++) {
		pj = P->pen != NULL ? P->pen[j % d] : 1;
		ww += pj * v[j] * v[j];
		v[j] *= pj;
	}
	cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans,
	    CblasNonUnit, rows, d, P->scale, P->L, d, v, d);
	memcpy(g, v, rows * d * sizeof(double));
	return 0.5 * P->scale * ww;
}

/* The penalty scale/2 sum pen_j (th_j - w0_j)^2 over ROWS weight rows,
 * and its gradient into G. */
static double
penalty(const struct problem *P, const double *th, double *g, size_t rows)
{
	size_t d = P->d;
	double ww = 0, u, pj;

	if (P->L != NULL)
		return penalty_whitened(P, th, g, rows);
	for (size_t j = 0; j < rows * d; j++) {
		pj = P->pen != NULL ? P->pen[j % d] : 1;
		u = th[j] - (P->w0 != NULL ? P->w0[j] : 0);
		g[j] = P->scale * pj * u;
		ww += pj * u * u;
	}
	return 0.5 * P->scale * ww;
}

/* Binary: theta = (w [d], b).  f = penalty + sum sw softplus(-t z) / S. */
static double
objective_binary(void *ctx, const double *th, double *g, size_t len)
{
	struct problem *P = ctx;
	size_t n = P->n, d = P->d;
	double loss = 0, gb = 0, s, *z = P->z;

	(void)len;
	for (size_t i = 0; i < n; i++)
		z[i] = th[d];
	cblas_dgemv(CblasRowMajor, CblasNoTrans, n, d, 1, P->x, d, th, 1, 1,
	    z, 1);
	for (size_t i = 0; i < n; i++) {
		int pos = P->t != NULL ? P->t[i] : P->y[i] == 1;

		s = P->sw != NULL ? P->sw[i] : 1;
		loss += s * softplus(pos ? -z[i] : z[i]);
		z[i] = s * (sigmoid(z[i]) - pos);	/* d loss / d z */
		gb += z[i];
	}
	s = penalty(P, th, g, 1);
	cblas_dgemv(CblasRowMajor, CblasTrans, n, d, P->inv_s, P->x, d, z, 1,
	    1, g, 1);
	g[d] = gb * P->inv_s;
	if (P->b0 != NULL) {
		double u = th[d] - P->b0[0];

		g[d] += P->scale * u;
		s += 0.5 * P->scale * u * u;
	}
	return s + loss * P->inv_s;
}

/* Cross-entropy of one row of logits Z (K), turned in place into
 * softmax(z) - onehot(y), the gradient with respect to z. */
static double
row_xent(double *z, size_t k, size_t y)
{
	double m = z[0], zy = z[y], s = 0;

	for (size_t j = 1; j < k; j++)	/* not fmax: a call */
		m = z[j] > m ? z[j] : m;
	for (size_t j = 0; j < k; j++)
		s += (z[j] = exp(z[j] - m));
	for (size_t j = 0; j < k; j++)
		z[j] /= s;
	z[y] -= 1;
	return m + log(s) - zy;
}

/* The first pass of the single-precision evaluation does most of its
 * work on logits; these pieces are branch-free loops of fixed length so
 * that compilers vectorise them at -O2 (and x86-64's baseline SSE2 runs
 * four at a time; TL_VECTOR_CLONES makes an AVX2 copy of the hottest,
 * xent_block and the inline pieces below).  LANES values at a time. */
#define LANES 8

/* e^v for the LANES values at V, meant to be <= 0: v is taken as -|v|,
 * and below -87 (or NaN) as -87, whose e^v (1.6e-38) is about the
 * smallest normal float.  The clamp works on the bits, as integers,
 * because GCC does not vectorise a float comparison without
 * -fno-trapping-math.  Cody-Waite reduction v = n ln2 + r, |r| <= ln2 / 2,
 * and a degree-6 Taylor polynomial for e^r: relative error below 3e-7,
 * ample for logits in float. */
static inline void
exp_lanes(float *v)
{
	const int32_t lim = 0x42ae0000;		/* the bits of 87.0f */

	for (int l = 0; l < LANES; l++) {
		union { int32_t i; float f; } a, two_n;
		float x, nf, r, p;

		a.f = v[l];
		a.i &= INT32_MAX;
		a.i = a.i < lim ? a.i : lim;
		x = -a.f;
		/* round to nearest by the 1.5 * 2^23 trick */
		nf = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
		r = (x - nf * 0.693359375f) - nf * -2.12194440e-4f;
		two_n.i = ((int32_t)nf + 127) << 23;
		p = 1.0f / 720;
		p = p * r + 1.0f / 120;
		p = p * r + 1.0f / 24;
		p = p * r + 1.0f / 6;
		p = p * r + 0.5f;
		p = p * r + 1.0f;
		p = p * r + 1.0f;
		v[l] = p * two_n.f;
	}
}

/* e^v in place for the N values at V, all <= 0 (see exp_lanes). */
static inline void
exp_block(float *v, size_t n)
{
	float tail[LANES];
	size_t i, rest;

	for (i = 0; i + LANES <= n; i += LANES)
		exp_lanes(v + i);
	if ((rest = n - i) == 0)
		return;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, v + i, rest * sizeof(float));
	exp_lanes(tail);
	memcpy(v + i, tail, rest * sizeof(float));
}

/* Rows of logits are padded to KP values, a multiple of LANES, so that
 * every loop over a row runs in whole lanes; the pad holds PAD_LOGIT,
 * whose e^(z - max) is 0 to float precision. */
#define PAD_LOGIT -1e30f

/* The largest of the KP values at Z. */
static inline float
max_lanes(const float *z, size_t kp)
{
	float m[LANES], best;

	for (int l = 0; l < LANES; l++)
		m[l] = z[l];
	for (size_t j = LANES; j < kp; j += LANES)
		for (int l = 0; l < LANES; l++)
			m[l] = z[j + l] > m[l] ? z[j + l] : m[l];
	best = m[0];
	for (int l = 1; l < LANES; l++)
		best = m[l] > best ? m[l] : best;
	return best;
}

/* The sum of the KP values at Z, in a fixed order. */
static inline float
sum_lanes(const float *z, size_t kp)
{
	float s[LANES], sum = 0;

	for (int l = 0; l < LANES; l++)
		s[l] = 0;
	for (size_t j = 0; j < kp; j += LANES)
		for (int l = 0; l < LANES; l++)
			s[l] += z[j + l];
	for (int l = 0; l < LANES; l++)
		sum += s[l];
	return sum;
}

/* Z = (Z + A) * F for the KP values at Z. */
static inline void
affine_lanes(float *z, size_t kp, float a, float f)
{
	for (size_t j = 0; j < kp; j += LANES)
		for (int l = 0; l < LANES; l++)
			z[j + l] = (z[j + l] + a) * f;
}

/* Rows per block of the softmax pass: their logits stay in L1/L2 cache
 * between the pass's three loops. */
#define XENT_ROWS 64

/* Rows I0 .. I1 of P->zf (P->kp apart), logits in, sw (softmax - onehot)
 * out; returns their summed weighted cross-entropy.  In float but for the
 * log of each row's sum and the sum of the rows' losses, in double. */
TL_VECTOR_CLONES static double
xent_block(const struct problem *P, size_t i0, size_t i1)
{
	size_t k = P->k, kp = P->kp;
	float *z = P->zf + i0 * kp, zy[XENT_ROWS];
	double loss = 0;

	for (size_t i = i0; i < i1; i++, z += kp) {
		float m;

		for (size_t j = k; j < kp; j++)
			z[j] = PAD_LOGIT;
		m = max_lanes(z, kp);
		affine_lanes(z, kp, -m, 1);
		zy[i - i0] = z[P->y[i]];
	}
	exp_block(P->zf + i0 * kp, (i1 - i0) * kp);
	z = P->zf + i0 * kp;
	for (size_t i = i0; i < i1; i++, z += kp) {
		double sw = P->sw != NULL ? P->sw[i] : 1;
		float s = sum_lanes(z, kp);

		/* the row's loss is log sum e^(z_j - m) - (z_y - m) */
		loss += sw * (log(s) - zy[i - i0]);
		affine_lanes(z, kp, 0, (float)(sw / s));
		z[P->y[i]] -= (float)sw;
	}
	return loss;
}

/* Binary rows I0 .. I1 of P->zf, logits in, sw (sigmoid - t) out;
 * returns their summed weighted loss, computed in double. */
static double
logistic_block(const struct problem *P, size_t i0, size_t i1)
{
	double loss = 0, s;
	float *z = P->zf;

	for (size_t i = i0; i < i1; i++) {
		int pos = P->t != NULL ? P->t[i] : P->y[i] == 1;

		s = P->sw != NULL ? P->sw[i] : 1;
		loss += s * softplus(pos ? -z[i] : z[i]);
		z[i] = (float)(s * (sigmoid(z[i]) - pos));
	}
	return loss;
}

/* Rows per pass of a slice: the forward product, the softmax and the
 * backward product of SUB_ROWS rows run while their floats (400 KB of
 * rows and 200 KB of logits for 100 features and 53 classes) are still
 * in the core's cache, where whole slices went to memory twice: a
 * softmax fit on 51k such rows took 449 ms, 424 now; 256 or 512 rows
 * gained less, 2048 as much. */
#define SUB_ROWS 1024

/* Slice C of the rows: logits, losses, and the slice's data gradient
 * (k x (d + 1), one row when binary) into P->gf + c * k (d + 1). */
static void
chunk_eval(void *ctx, size_t c)
{
	struct problem *P = ctx;
	size_t n = P->n, dx = P->d + 1, kk = P->binary ? 1 : P->k;
	size_t kp = P->binary ? 1 : P->kp;
	size_t i0 = slice_at(n, c), i1 = slice_at(n, c + 1);
	float *g = P->gf + c * P->k * dx;
	double loss = 0;

	memset(g, 0, kk * dx * sizeof(float));
	for (size_t s0 = i0; s0 < i1; s0 += SUB_ROWS) {
		size_t s1 = s0 + SUB_ROWS < i1 ? s0 + SUB_ROWS : i1;
		size_t m = s1 - s0;
		const float *x = P->xf + s0 * dx;
		float *z = P->zf + s0 * kp;

		if (P->binary)
			cblas_sgemv(CblasRowMajor, CblasNoTrans, m, dx, 1, x,
			    dx, P->wf, 1, 0, z, 1);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m,
			    kk, dx, 1, x, dx, P->wf, dx, 0, z, kp);
		for (size_t i = s0; i < s1; i += XENT_ROWS) {
			size_t e = i + XENT_ROWS < s1 ? i + XENT_ROWS : s1;

			loss += P->binary ? logistic_block(P, i, e) :
			    xent_block(P, i, e);
		}
		if (P->binary)
			cblas_sgemv(CblasRowMajor, CblasTrans, m, dx, 1, x, dx,
			    z, 1, 1, g, 1);
		else
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
			    kk, dx, m, 1, z, kp, x, dx, 1, g, dx);
	}
	P->closs[c] = loss;
}

/* The objective in single precision, the training path: the same
 * function as objective_softmax (objective_binary when P->binary), but
 * the rows (each with a trailing 1, so that the products add the biases
 * and sum their gradient) and the logits are floats.  sgemm does twice
 * the flops per cycle of dgemm on half the memory, and the exponentials
 * vectorise.  Each product sums in float over one slice of rows whose
 * rounding errors mostly cancel: loss and gradient are good to about
 * 1e-7 relative, which lets L-BFGS reach a gradient near 1e-6 (see
 * F32_TOL). */
static double
objective_f32(void *ctx, const double *th, double *g, size_t len)
{
	struct problem *P = ctx;
	size_t d = P->d, dx = d + 1, k = P->k, kk = P->binary ? 1 : k;
	size_t kd = kk * d;
	double loss = 0, pen, u;

	for (size_t c = 0; c < kk; c++) {
		for (size_t j = 0; j < d; j++)
			P->wf[c * dx + j] = (float)th[c * d + j];
		P->wf[c * dx + d] = (float)th[kd + c];
	}
	/* weights beyond float's range: the clamped exp would hide them */
	for (size_t j = 0; j < kk * dx; j++)
		if (!isfinite(P->wf[j])) {
			memset(g, 0, len * sizeof(double));
			return INFINITY;
		}
	tl_slices_run(F32_CHUNKS, P->threads, chunk_eval, P);
	pen = penalty(P, th, g, kk);
	for (size_t c = 0; c < kk; c++) {
		g[kd + c] = 0;
		if (P->b0 != NULL) {
			u = th[kd + c] - P->b0[c];
			g[kd + c] = P->scale * u;
			pen += 0.5 * P->scale * u * u;
		}
	}
	for (size_t s = 0; s < F32_CHUNKS; s++) {
		const float *gs = P->gf + s * k * dx;

		loss += P->closs[s];
		for (size_t c = 0; c < kk; c++) {
			for (size_t j = 0; j < d; j++)
				g[c * d + j] += P->inv_s * gs[c * dx + j];
			g[kd + c] += P->inv_s * gs[c * dx + d];
		}
	}
	return pen + loss * P->inv_s;
}

/* Multinomial: theta = (W [k x d], b [k]).  f = penalty + sum sw CE / S;
 * dW = scale pen (W - W0) + (P - Y)^T diag(sw) X / S, db = column sums of
 * diag(sw) (P - Y) / S. */
static double
objective_softmax(void *ctx, const double *th, double *g, size_t len)
{
	struct problem *P = ctx;
	size_t n = P->n, d = P->d, k = P->k, kd = k * d;
	const double *b = th + kd;
	double loss = 0, pen, s, *z = P->z;

	(void)len;
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1,
	    P->x, d, th, d, 0, z, k);
	for (size_t j = 0; j < k; j++)
		g[kd + j] = 0;
	for (size_t i = 0; i < n; i++) {
		double *zi = z + i * k;

		s = P->sw != NULL ? P->sw[i] : 1;
		for (size_t j = 0; j < k; j++)
			zi[j] += b[j];
		loss += s * row_xent(zi, k, P->y[i]);
		for (size_t j = 0; j < k; j++)
			g[kd + j] += (zi[j] *= s);
	}
	for (size_t j = 0; j < k; j++)
		g[kd + j] *= P->inv_s;
	pen = penalty(P, th, g, k);
	for (size_t j = 0; P->b0 != NULL && j < k; j++) {
		double u = b[j] - P->b0[j];

		g[kd + j] += P->scale * u;
		pen += 0.5 * P->scale * u * u;
	}
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, n,
	    P->inv_s, z, k, P->x, d, 1, g, d);
	return pen + loss * P->inv_s;
}

/* Fill the weights part of P from SW (NULL: 1) and C. */
static int
problem_weights(struct problem *P, const double *sw, double C)
{
	double S = 0;

	P->sw = sw;
	for (size_t i = 0; i < P->n; i++)
		S += sw != NULL ? sw[i] : 1;
	if (!(S > 0))
		return -1;
	P->inv_s = 1 / S;
	P->scale = 1 / (C * S);
	return 0;
}

static void
problem_free(struct problem *P)
{
	free(P->xown);
	free(P->z);
	free(P->ps);
	free(P->zf);
	free(P->wf);
	free(P->gf);
	free(P->h0);
}

/* The objective of the tl_linear_objective_* functions, in double or
 * (F32) through the training path's single-precision evaluation. */
static double
objective_eval(const double *x, size_t n, size_t d, const size_t *y,
    const unsigned char *t, const double *sw, const double *w0,
    const double *b0, size_t k, double C, const double *theta, double *grad,
    int f32)
{
	struct problem P;
	int binary = t != NULL || k == 2;
	size_t len = binary ? d + 1 : k * d + k, kk = binary ? 1 : k;
	double *g = grad, f = NAN;
	float *xf = NULL;

	memset(&P, 0, sizeof(P));
	P.x = x;
	P.y = y;
	P.t = t;
	P.n = n;
	P.d = d;
	P.k = kk;
	P.w0 = w0;
	P.b0 = b0;
	P.binary = binary;
	P.threads = 1;
	P.kp = (kk + LANES - 1) / LANES * LANES;
	if (problem_weights(&P, sw, C) != 0)
		return NAN;
	P.z = malloc(n * kk * sizeof(double));
	if (f32) {
		P.xf = xf = malloc(n * (d + 1) * sizeof(float));
		P.zf = malloc(n * P.kp * sizeof(float));
		P.wf = malloc(kk * (d + 1) * sizeof(float));
		P.gf = malloc(F32_CHUNKS * kk * (d + 1) * sizeof(float));
	}
	if (g == NULL)
		g = malloc(len * sizeof(double));
	if (P.z == NULL || g == NULL || (f32 && (xf == NULL ||
	    P.zf == NULL || P.wf == NULL || P.gf == NULL)))
		goto out;
	for (size_t i = 0; f32 && i < n; i++) {
		for (size_t j = 0; j < d; j++)
			xf[i * (d + 1) + j] = (float)x[i * d + j];
		xf[i * (d + 1) + d] = 1;
	}
	if (f32)
		f = objective_f32(&P, theta, g, len);
	else if (binary)
		f = objective_binary(&P, theta, g, len);
	else
		f = objective_softmax(&P, theta, g, len);
out:
	if (g != grad)
		free(g);
	free(xf);
	problem_free(&P);
	return f;
}

double
tl_linear_objective_ex(const double *x, size_t n, size_t d,
    const size_t *y, const unsigned char *t, const double *sw,
    const double *w0, const double *b0, size_t k, double C,
    const double *theta, double *grad)
{
	return objective_eval(x, n, d, y, t, sw, w0, b0, k, C, theta, grad,
	    0);
}

double
tl_linear_objective_f32(const double *x, size_t n, size_t d,
    const size_t *y, const unsigned char *t, const double *sw,
    const double *w0, const double *b0, size_t k, double C,
    const double *theta, double *grad)
{
	return objective_eval(x, n, d, y, t, sw, w0, b0, k, C, theta, grad,
	    1);
}

double
tl_linear_objective(const double *x, size_t n, size_t d, const size_t *y,
    size_t k, double C, const double *theta, double *grad)
{
	return tl_linear_objective_ex(x, n, d, y, NULL, NULL, NULL, NULL, k,
	    C, theta, grad);
}

/* ------------------------------------------------------------------ */
/* Training                                                           */
/* ------------------------------------------------------------------ */

void
tl_linear_opts_init(struct tl_linear_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = TL_LINEAR_SOFTMAX;
	o->C = 1;
	o->tol = 1e-4;
	o->max_iter = 1000;
}

static const char *const kind_names[] = { "softmax", "logistic", "ridge" };

const char *
tl_linear_kind_name(enum tl_linear_kind kind)
{
	return (size_t)kind < 3 ? kind_names[kind] : "?";
}

int
tl_linear_kind_parse(const char *name)
{
	return tl_name_index(kind_names, TL_NELEM(kind_names), name);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Allocate LIN for K classes of D inputs, copying CLASSES. */
static int
linear_alloc(struct tl_linear *lin, size_t k, size_t d,
    char *const *classes, struct tl_err *e)
{
	memset(lin, 0, sizeof(*lin));
	if (k == 0 || d == 0 || k > SIZE_MAX / sizeof(float) / d)
		return tl_errf(e, "model too large: %zu classes x %zu inputs",
		    k, d);
	lin->w = calloc(k * d, sizeof(float));
	lin->b = calloc(k, sizeof(float));
	lin->classes = calloc(k, sizeof(char *));
	if (lin->w == NULL || lin->b == NULL || lin->classes == NULL)
		goto nomem;
	lin->k = k;
	lin->d = d;
	for (size_t j = 0; j < k; j++)
		if ((lin->classes[j] = strdup(classes[j])) == NULL)
			goto nomem;
	return 0;
nomem:
	tl_linear_free(lin);
	return tl_errf(e, "out of memory");
}

/* Compute LIN's folded weights when it standardises its inputs:
 * W s(x) + b = (W / scale) x + (b - (W / scale) mean). */
static int
linear_fold(struct tl_linear *lin)
{
	size_t k = lin->k, d = lin->d;

	if (lin->mean == NULL)
		return 0;
	free(lin->wf);
	free(lin->bf);
	lin->wf = malloc(k * d * sizeof(float));
	lin->bf = malloc(k * sizeof(float));
	if (lin->wf == NULL || lin->bf == NULL)
		return -1;
	for (size_t c = 0; c < k; c++) {
		double bb = lin->b[c];

		for (size_t j = 0; j < d; j++) {
			double v = (double)lin->w[c * d + j] / lin->scale[j];

			lin->wf[c * d + j] = (float)v;
			bb -= v * lin->mean[j];
		}
		lin->bf[c] = (float)bb;
	}
	return 0;
}

/* One training run's shared state: the standardised rows and how to map
 * weights between the stored and the optimiser's coordinates. */
struct fit {
	const struct tl_linear_data *data;
	const struct tl_linear_opts *o;
	size_t		 k, d, n;
	double		*xd;	/* n x d standardised rows (ridge) */
	double		*mean, *sd, *pen;	/* d each; pen NULL: all 1 */
	double		*part;	/* F32_CHUNKS x d: the slices' column sums */
	float		*lpart;	/* F32_CHUNKS x d x d: their Gram matrices */
	float		*lf;	/* d x d whitening factor in float */
	double		*L;	/* d x d whitening factor, or NULL */
	float		*xf;	/* n x (d + 1) standardised (whitened) rows,
				   each then a 1 (not ridge) */
	size_t		 threads;	/* for the objective, 1 .. F32_CHUNKS */
	double		*sw;	/* n row weights */
	double		*w0;	/* k x d init rows (optimiser coordinates),
				   or NULL */
	double		*b0;	/* k init biases */
	unsigned char	*has0;	/* k: class present in the init model */
	struct tl_linear_report *r;
	double		 t0;
};

static void
col_sums(void *ctx, size_t c)
{
	struct fit *F = ctx;
	size_t n = F->n, d = F->d;
	const float *x = F->data->x + slice_at(n, c) * d,
	    *end = F->data->x + slice_at(n, c + 1) * d;
	double *s = F->part + c * d;

	memset(s, 0, d * sizeof(*s));
	for (; x < end; x += d)
		for (size_t j = 0; j < d; j++)
			s[j] += x[j];
}

static void
col_squares(void *ctx, size_t c)
{
	struct fit *F = ctx;
	size_t n = F->n, d = F->d;
	const float *x = F->data->x + slice_at(n, c) * d,
	    *end = F->data->x + slice_at(n, c + 1) * d;
	double *s = F->part + c * d, u;

	memset(s, 0, d * sizeof(*s));
	for (; x < end; x += d)
		for (size_t j = 0; j < d; j++) {
			u = x[j] - F->mean[j];
			s[j] += u * u;
		}
}

static void
scale_rows(void *ctx, size_t c)
{
	struct fit *F = ctx;
	size_t n = F->n, d = F->d, dx = d + 1, i, j;
	size_t i0 = slice_at(n, c), i1 = slice_at(n, c + 1);
	const float *x = F->data->x;

	for (i = i0; F->xd != NULL && i < i1; i++)
		for (j = 0; j < d; j++)
			F->xd[i * d + j] = (x[i * d + j] - F->mean[j]) /
			    F->sd[j];
	for (i = i0; F->xf != NULL && i < i1; i++) {
		for (j = 0; j < d; j++)
			F->xf[i * dx + j] = (float)((x[i * d + j] -
			    F->mean[j]) / F->sd[j]);
		F->xf[i * dx + d] = 1;
	}
}

/* OUT[j] = the sum over the slices of F->part[c d + j], in slice order. */
static void
add_parts(const struct fit *F, double *out)
{
	for (size_t j = 0; j < F->d; j++) {
		out[j] = 0;
		for (size_t c = 0; c < F32_CHUNKS; c++)
			out[j] += F->part[c * F->d + j];
	}
}

/* Standardise the rows into F->xd (ridge) or F->xf: column j centred on
 * mean[j] and divided by sd[j] (1 for a constant column, which needs no
 * scaling); pen[j] = 1 / sd[j]^2 carries the penalty on the raw weights
 * into the new coordinates.  With --standardize the penalty is meant for
 * the new coordinates (pen NULL), and mean and sd are rounded to the
 * floats the model will store, so that training and prediction agree
 * exactly. */
static void
standardise(struct fit *F)
{
	size_t n = F->n, d = F->d, j;
	double *mean = F->mean, *sd = F->sd;

	/* each pass on the slices of the rows, on the fit's threads (a
	 * sixth of a softmax fit's time when on one) */
	tl_slices_run(F32_CHUNKS, F->threads, col_sums, F);
	add_parts(F, mean);
	for (j = 0; j < d; j++) {
		mean[j] /= n;
		if (F->o->standardize)
			mean[j] = (float)mean[j];
	}
	tl_slices_run(F32_CHUNKS, F->threads, col_squares, F);
	add_parts(F, sd);
	for (j = 0; j < d; j++) {
		sd[j] = sqrt(sd[j] / n);
		if (!(sd[j] > 1e-10))
			sd[j] = 1;
		if (F->o->standardize)
			sd[j] = (float)sd[j];
		F->pen[j] = 1 / (sd[j] * sd[j]);
	}
	if (F->o->standardize)
		F->pen = NULL;
	tl_slices_run(F32_CHUNKS, F->threads, scale_rows, F);
}

/* Row weights: the data's (or 1), times n / (K n_c) for --class-weight
 * balanced on one-label classifiers. */
static int
row_weights(struct fit *F, struct tl_err *e)
{
	const struct tl_linear_data *D = F->data;
	size_t *count, n = F->n, k = F->k, present = 0;

	for (size_t i = 0; i < n; i++) {
		F->sw[i] = D->sw != NULL ? D->sw[i] : 1;
		if (!(F->sw[i] >= 0) || !isfinite(F->sw[i]))
			return tl_errf(e, "row %zu: weight %g: weights must "
			    "be finite and >= 0", i + 1, F->sw[i]);
	}
	if (!F->o->balanced || D->y == NULL ||
	    F->o->kind == TL_LINEAR_LOGISTIC)
		return 0;
	if ((count = calloc(k, sizeof(*count))) == NULL)
		return tl_errf(e, "out of memory");
	for (size_t i = 0; i < n; i++)
		count[D->y[i]]++;
	for (size_t c = 0; c < k; c++)
		present += count[c] > 0;
	for (size_t i = 0; i < n; i++)
		F->sw[i] *= (double)n / ((double)present * count[D->y[i]]);
	free(count);
	return 0;
}

/* The data Hessian of the mean loss is about c R for the correlation
 * matrix R of the standardised features (c: the curvature of the loss,
 * taken as below), and the penalty's is scale diag(pen).  Word-vector
 * features are strongly correlated, so R is ill-conditioned and L-BFGS
 * crawls; whitening the features by the Cholesky factor L of
 * A = R + (scale / c) diag(pen) = L L^T (x' = L^-1 x, w' = L^T w) makes
 * the whole Hessian about c I.  Same problem, other coordinates: the
 * penalty follows (penalty_whitened) and the solution maps back exactly.
 * Without a usable factor the features stay merely standardised.  With
 * few features L-BFGS's ten correction pairs already capture the
 * curvature (4 features: 17 iterations standardised, 19 whitened), so
 * only WHITEN_MIN_DIM or more are whitened (100: 552 -> 270). */
#define WHITEN_CURVATURE 0.1
#define WHITEN_MIN_DIM 16

/* The Gram matrix X'X / n of slice C's rows (lower triangle), into
 * F->lpart + c d d. */
static void
gram_slice(void *ctx, size_t c)
{
	struct fit *F = ctx;
	size_t n = F->n, d = F->d, i0 = slice_at(n, c);

	cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, d,
	    slice_at(n, c + 1) - i0, 1.0f / (float)n,
	    F->xf + i0 * (d + 1), d + 1, 0, F->lpart + c * d * d, d);
}

/* Slice C's rows times L^-T (F->lf), in place. */
static void
whiten_slice(void *ctx, size_t c)
{
	struct fit *F = ctx;
	size_t n = F->n, d = F->d, i0 = slice_at(n, c);

	cblas_strsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans,
	    CblasNonUnit, slice_at(n, c + 1) - i0, d, 1, F->lf, d,
	    F->xf + i0 * (d + 1), d + 1);
}

static int
whiten(struct fit *F, struct tl_err *e)
{
	size_t n = F->n, d = F->d;
	double S = 0, mu;

	if (F->o->kind == TL_LINEAR_RIDGE || d < WHITEN_MIN_DIM)
		return 0;
	if (d > SIZE_MAX / sizeof(double) / d / F32_CHUNKS ||
	    (F->L = calloc(d * d, sizeof(double))) == NULL ||
	    (F->lpart = calloc(F32_CHUNKS * d * d, sizeof(float))) == NULL) {
		free(F->L);
		F->L = NULL;
		return tl_errf(e, "out of memory");
	}
	F->lf = F->lpart;	/* the first slice's, once summed */
	for (size_t i = 0; i < n; i++)
		S += F->sw[i];
	mu = fmax(1 / (F->o->C * S * WHITEN_CURVATURE), 1e-6);
	/* in float, on the rows the optimiser uses: any factor of about
	 * the right matrix conditions the problem, and the solution maps
	 * back through the very factor (rounded to float) that whitened
	 * the rows; slice by slice, on the fit's threads */
	tl_slices_run(F32_CHUNKS, F->threads, gram_slice, F);
	for (size_t j = 0; j < d * d; j++) {
		for (size_t c = 1; c < F32_CHUNKS; c++)
			F->lf[j] += F->lpart[c * d * d + j];
		F->L[j] = F->lf[j];
	}
	for (size_t j = 0; j < d; j++)
		F->L[j * d + j] += mu * (F->pen != NULL ? F->pen[j] : 1);
	if (tl_cholesky_factor(F->L, d) != 0) {
		free(F->L);
		F->L = NULL;
		return 0;
	}
	for (size_t j = 0; j < d * d; j++)
		F->L[j] = F->lf[j] = (float)F->L[j];
	tl_slices_run(F32_CHUNKS, F->threads, whiten_slice, F);
	return 0;
}

/* The rows in double for the double-precision objectives, made from
 * P->xf the first time they are needed: the single-precision run stopped
 * short of the tolerance.  0, or -1 (out of memory). */
static int
problem_rows_f64(struct problem *P)
{
	size_t n = P->n, d = P->d;

	if (P->x != NULL)
		return 0;
	if (n > SIZE_MAX / sizeof(double) / d ||	/* d >= 1: fit_check */
	    (P->xown = malloc(n * d * sizeof(double))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			P->xown[i * d + j] = P->xf[i * (d + 1) + j];
	P->x = P->xown;
	return 0;
}

/* The init model's rows for our classes, in the optimiser's coordinates:
 * raw weights w (its folded ones) become w sd, biases b + w.mean. */
static int
init_rows(struct fit *F, char *const *classes, struct tl_err *e)
{
	const struct tl_linear *M0 = F->o->init;
	const float *iw, *ib;
	size_t k = F->k, d = F->d, c, m;

	if (M0 == NULL)
		return 0;
	if (M0->kind != F->o->kind)
		return tl_errf(e, "--init: the model is of kind \"%s\", not "
		    "\"%s\"", tl_linear_kind_name(M0->kind),
		    tl_linear_kind_name(F->o->kind));
	if (M0->d != d)
		return tl_errf(e, "--init: the model takes %zu inputs, the "
		    "data have %zu", M0->d, d);
	F->w0 = calloc(k * d, sizeof(double));
	F->b0 = calloc(k, sizeof(double));
	F->has0 = calloc(k, 1);
	if (F->w0 == NULL || F->b0 == NULL || F->has0 == NULL)
		return tl_errf(e, "out of memory");
	iw = M0->wf != NULL ? M0->wf : M0->w;
	ib = M0->bf != NULL ? M0->bf : M0->b;
	for (c = 0; c < k; c++) {
		for (m = 0; m < M0->k; m++)
			if (F->o->kind == TL_LINEAR_RIDGE ||
			    strcmp(M0->classes[m], classes[c]) == 0)
				break;
		if (m == M0->k)
			continue;
		F->has0[c] = 1;
		F->b0[c] = ib[m];
		for (size_t j = 0; j < d; j++) {
			F->w0[c * d + j] = iw[m * d + j] * F->sd[j];
			F->b0[c] += (double)iw[m * d + j] * F->mean[j];
		}
	}
	if (F->L != NULL)	/* w' = L^T w, rows: W' = W L */
		cblas_dtrmm(CblasRowMajor, CblasRight, CblasLower,
		    CblasNoTrans, CblasNonUnit, k, d, 1, F->L, d, F->w0, d);
	return 0;
}

/* The binary model (w, b) of the init rows for classes NEG and POS: the
 * difference of the rows (softmax: softmax(z0, z1) depends on z1 - z0);
 * SYM halves it, for one-vs-rest pairs stored as [-w; w]. */
static void
init_binary(const struct fit *F, size_t neg, size_t pos, int sym,
    double *th)
{
	size_t d = F->d;
	double f = sym && F->has0[neg] && F->has0[pos] ? 0.5 : 1;

	for (size_t j = 0; j <= d; j++) {
		double wp = j < d ? F->w0[pos * d + j] : F->b0[pos];
		double wn = j < d ? F->w0[neg * d + j] : F->b0[neg];

		th[j] = f * (wp - wn);
	}
}

/* The gradient below which single precision stops being trusted: past
 * it (a tighter --tol), L-BFGS goes on in double from where it stopped. */
#define F32_TOL 1e-5

/* Minimise P from TH (LEN values): in single precision while that can
 * meet the tolerance, then in double; add the outcome to R. */
static void
run_lbfgs(struct problem *P, double *th, size_t len, int binary,
    const struct tl_linear_opts *o, struct tl_linear_report *r)
{
	struct tl_lbfgs_param lp;
	struct tl_lbfgs_result lr, l1;

	tl_lbfgs_param_init(&lp);
	lp.gtol = o->tol;
	lp.max_iter = o->max_iter;
	lp.h0 = P->h0;
	memset(&l1, 0, sizeof(l1));
	if (P->xf != NULL) {
		lp.gtol = fmax(o->tol, F32_TOL);
		P->binary = binary;
		tl_lbfgs_minimize(objective_f32, P, th, len, &lp, &l1);
		lp.gtol = o->tol;
		lp.max_iter -= l1.iterations;
	}
	if (P->xf != NULL && ((l1.status == TL_LBFGS_CONVERGED &&
	    l1.gnorm <= o->tol) || l1.status == TL_LBFGS_MAX_ITER))
		lr = l1;
	else if (problem_rows_f64(P) != 0) {
		lr = l1;
		lr.status = TL_LBFGS_ERROR;
		snprintf(lr.msg, sizeof(lr.msg), "out of memory for the "
		    "rows in double");
	} else {
		tl_lbfgs_minimize(binary ? objective_binary :
		    objective_softmax, P, th, len, &lp, &lr);
		lr.iterations += l1.iterations;
		lr.evaluations += l1.evaluations;
	}
	r->iterations += lr.iterations;
	r->evaluations += lr.evaluations;
	r->loss += lr.f / P->scale;
	r->gnorm = fmax(r->gnorm, lr.gnorm);
	/* the worst status of the runs, in enum order */
	if (lr.status > r->status || r->msg[0] == '\0') {
		r->status = lr.status > r->status ? lr.status : r->status;
		snprintf(r->msg, sizeof(r->msg), "%s", lr.msg);
	}
}

/* A problem over F's rows with the row weights and penalty in place. */
static int
fit_problem(struct fit *F, struct problem *P, size_t zrows,
    struct tl_err *e)
{
	memset(P, 0, sizeof(*P));
	P->x = F->xd;
	P->y = F->data->y;
	P->n = F->n;
	P->d = F->d;
	P->k = F->k;
	P->pen = F->pen;
	if (problem_weights(P, F->sw, F->o->C) != 0)
		return tl_errf(e, "row weights sum to 0: nothing to fit");
	P->L = F->L;
	P->xf = F->xf;
	/* a thread costs tens of microseconds to start: worth it from about
	 * a million multiply-adds per evaluation */
	P->threads = F->n * (F->d + 1) * zrows >= F32_THREAD_WORK ?
	    F->threads : 1;
	P->kp = (zrows + LANES - 1) / LANES * LANES;
	if ((P->z = malloc(F->n * zrows * sizeof(double))) == NULL ||
	    (F->L != NULL && (P->ps = malloc(F->k * F->d *
	    sizeof(double))) == NULL) ||
	    (P->zf = malloc(F->n * P->kp * sizeof(float))) == NULL ||
	    (P->wf = malloc(F->k * (F->d + 1) * sizeof(float))) == NULL ||
	    (P->gf = malloc(F32_CHUNKS * F->k * (F->d + 1) *
	    sizeof(float))) == NULL) {
		problem_free(P);
		return tl_errf(e, "out of memory for %zu rows", F->n);
	}
	return 0;
}

/* The best biases when all weights are 0, the starting point: the log of
 * each class's share of the row weights (the features are centred, so
 * that is where the optimum's biases are too, about).  Smoothed by half a
 * row of mean weight, for a class without rows; centred, as the
 * optimum's weights are (softmax ignores a shift common to all classes,
 * and the gradient, hence L-BFGS, keeps the biases' sum). */
static void
prior_biases(const struct fit *F, double *b)
{
	double S = 0, mean = 0;

	for (size_t c = 0; c < F->k; c++)
		b[c] = 0;
	for (size_t i = 0; i < F->n; i++) {
		b[F->data->y[i]] += F->sw[i];
		S += F->sw[i];
	}
	for (size_t c = 0; c < F->k; c++) {
		b[c] = log((b[c] + 0.5 * S / F->n) / S);
		mean += b[c] / F->k;
	}
	for (size_t c = 0; c < F->k; c++)
		b[c] -= mean;
}

/* The softmax loss's curvature along class c's weights is about
 * pi_c (1 - pi_c) (the whitened features' is about 1), for pi_c the
 * class's share of the row weights: with 53 classes from 11% down to 0.1%
 * of the rows, the rare classes' directions are ~90 times flatter than
 * the common ones', which L-BFGS's scalar initial Hessian cannot cover.
 * A diagonal initial inverse Hessian evens them out.  Measured on
 * debian-desc short (51k x 100 mean GloVe, 53 classes, C = 1, tol 1e-4)
 * with (pi_c (1 - pi_c) + p)^-x, p the penalty's curvature: x = 0, 0.25,
 * 0.5, 0.75, 1 took 56, 43, 36, 43, 60 iterations.  The full inverse
 * overshoots: a rare class's rows share their flatness with the classes
 * they are confused with.  With the square root, on 8 (6.8k rows) and 53
 * classes (200 features; 3k rows), C = 0.1, 1, 10: 11 of 12 fits took
 * 4-30% fewer iterations, one 14% more.  Only the path changes, not the
 * optimum nor the stopping test. */
static int
class_preconditioner(const struct fit *F, struct problem *P)
{
	size_t k = F->k, d = F->d;
	double S = 0, *pi;

	if ((P->h0 = malloc((k * d + k) * sizeof(double))) == NULL)
		return -1;
	pi = P->h0 + k * d;	/* the biases' slots, filled last */
	for (size_t c = 0; c < k; c++)
		pi[c] = 0;
	for (size_t i = 0; i < F->n; i++) {
		pi[F->data->y[i]] += F->sw[i];
		S += F->sw[i];
	}
	for (size_t c = 0; c < k; c++) {
		double p = pi[c] / S;

		pi[c] = 1 / sqrt(p * (1 - p) + P->scale);
		for (size_t j = 0; j < d; j++)
			P->h0[c * d + j] = pi[c];
	}
	return 0;
}

/* Softmax over F into TH (k x d weights, k biases: stored layout). */
static int
fit_softmax(struct fit *F, double *th, struct tl_err *e)
{
	struct problem P;
	size_t k = F->k, d = F->d;
	double *w0b = NULL;

	if (fit_problem(F, &P, k == 2 ? 1 : k, e) != 0)
		return -1;
	if (k == 2) {		/* one vector: stored as [0; w], [0; b] */
		if (F->w0 != NULL) {
			if ((w0b = calloc(d + 1, sizeof(double))) == NULL) {
				problem_free(&P);
				return tl_errf(e, "out of memory");
			}
			init_binary(F, 0, 1, 0, w0b);
			memcpy(th + d, w0b, (d + 1) * sizeof(double));
		}
		P.w0 = F->o->l2_to_init ? w0b : NULL;
		P.b0 = P.w0 != NULL ? w0b + d : NULL;
		run_lbfgs(&P, th + d, d + 1, 1, F->o, F->r);
		/* th = [0..0 | w | b]: b goes after both rows' biases */
		th[2 * d + 1] = th[2 * d];
		th[2 * d] = 0;
		free(w0b);
		problem_free(&P);
		return 0;
	}
	if (F->w0 != NULL) {
		memcpy(th, F->w0, k * d * sizeof(double));
		memcpy(th + k * d, F->b0, k * sizeof(double));
	} else
		prior_biases(F, th + k * d);
	P.w0 = F->o->l2_to_init ? F->w0 : NULL;
	P.b0 = F->o->l2_to_init ? F->b0 : NULL;
	if (class_preconditioner(F, &P) != 0) {
		problem_free(&P);
		return tl_errf(e, "out of memory");
	}
	run_lbfgs(&P, th, k * d + k, 0, F->o, F->r);
	problem_free(&P);
	return 0;
}

/* One-vs-rest over F into TH (stored layout).  With one label per row and
 * K = 2 there is one model, stored as [-w; w], [-b; b]. */
static int
fit_ovr(struct fit *F, double *th, struct tl_err *e)
{
	const struct tl_linear_data *D = F->data;
	struct problem P;
	size_t k = F->k, d = F->d, n = F->n, models, npos;
	unsigned char *t = NULL;
	double *sw = NULL, *one = NULL;
	int rc = -1;

	if (fit_problem(F, &P, 1, e) != 0)
		return -1;
	models = D->t == NULL && k == 2 ? 1 : k;
	t = malloc(n);
	sw = malloc(n * sizeof(double));
	one = calloc(2 * (d + 1), sizeof(double));
	if (t == NULL || sw == NULL || one == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < models; c++) {
		size_t cls = models == 1 ? 1 : c;

		npos = 0;
		for (size_t i = 0; i < n; i++) {
			t[i] = D->t != NULL ? D->t[i * k + cls] :
			    D->y[i] == cls;
			npos += t[i];
		}
		memcpy(sw, F->sw, n * sizeof(double));
		for (size_t i = 0; F->o->balanced && i < n; i++)
			if (npos > 0 && npos < n)
				sw[i] *= (double)n / (2.0 * (t[i] ? npos :
				    n - npos));
		P.t = t;
		problem_weights(&P, sw, F->o->C);
		memset(one, 0, 2 * (d + 1) * sizeof(double));
		if (F->w0 != NULL && models == 1)
			init_binary(F, 0, 1, 1, one);
		else if (F->w0 != NULL) {
			memcpy(one, F->w0 + cls * d, d * sizeof(double));
			one[d] = F->b0[cls];
		}
		/* the centre is a copy: the run moves theta */
		memcpy(one + d + 1, one, (d + 1) * sizeof(double));
		P.w0 = F->w0 != NULL && F->o->l2_to_init ? one + d + 1 : NULL;
		P.b0 = P.w0 != NULL ? one + 2 * d + 1 : NULL;
		run_lbfgs(&P, one, d + 1, 1, F->o, F->r);
		memcpy(th + cls * d, one, d * sizeof(double));
		th[k * d + cls] = one[d];
		if (models == 1) {
			for (size_t j = 0; j < d; j++)
				th[j] = -one[j];
			th[k * d] = -one[d];
		}
	}
	rc = 0;
out:
	free(one);
	free(sw);
	free(t);
	problem_free(&P);
	return rc;
}

/* Ridge over F into TH (d weights, 1 bias). */
static int
fit_ridge(struct fit *F, double *th, struct tl_err *e)
{
	double *w0 = F->o->l2_to_init ? F->w0 : NULL;
	double *x, loss = 0, pen = 0;
	size_t n = F->n, d = F->d;
	int rc;

	if ((x = malloc(n * d * sizeof(double))) == NULL)
		return tl_errf(e, "out of memory for %zu rows", n);
	memcpy(x, F->xd, n * d * sizeof(double));
	rc = tl_ridge_solve(x, n, d, F->data->value, F->sw, F->o->C, F->pen,
	    w0, w0 != NULL ? F->b0 : NULL, th, th + d, e);
	free(x);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		double r = F->data->value[i] - th[d] - cblas_ddot(d, F->xd +
		    i * d, 1, th, 1);

		loss += F->sw[i] * r * r;
	}
	for (size_t j = 0; j < d; j++) {
		double u = th[j] - (w0 != NULL ? w0[j] : 0);

		pen += (F->pen != NULL ? F->pen[j] : 1) * u * u;
	}
	if (w0 != NULL)
		pen += (th[d] - F->b0[0]) * (th[d] - F->b0[0]);
	F->r->loss = 0.5 * pen + F->o->C * loss;
	F->r->status = TL_LBFGS_CONVERGED;
	snprintf(F->r->msg, sizeof(F->r->msg), "exact solution");
	return 0;
}

/* Map the solution TH in the optimiser's coordinates back to the
 * original ones: w = w' / sd, b = b' - w.mean, for each of K rows. */
static void
unstandardise(double *th, size_t k, size_t d, const double *mean,
    const double *sd)
{
	double *b = th + k * d;

	for (size_t c = 0; c < k; c++)
		for (size_t j = 0; j < d; j++) {
			th[c * d + j] /= sd[j];
			b[c] -= th[c * d + j] * mean[j];
		}
}

/* Check the options and data of a fit. */
static int
fit_check(const struct tl_linear_data *D, size_t k,
    const struct tl_linear_opts *o, struct tl_err *e)
{
	if (o->kind == TL_LINEAR_RIDGE && k != 1)
		return tl_errf(e, "ridge fits 1 target, not %zu", k);
	if (o->kind != TL_LINEAR_RIDGE && k < 2)
		return tl_errf(e, "training needs at least 2 classes and 1 "
		    "row, found %zu and %zu", k, D->n);
	if (D->n == 0 || D->d == 0)
		return tl_errf(e, "training needs at least 1 row, found 0");
	if (!(o->C > 0) || !(o->tol >= 0))
		return tl_errf(e, "C must be > 0 and tol >= 0");
	if ((o->kind == TL_LINEAR_RIDGE && D->value == NULL) ||
	    (o->kind != TL_LINEAR_RIDGE && D->y == NULL && (D->t == NULL ||
	    o->kind != TL_LINEAR_LOGISTIC)))
		return tl_errf(e, "labels of the wrong type for a %s model",
		    tl_linear_kind_name(o->kind));
	if (D->n > SIZE_MAX / sizeof(double) / D->d ||
	    D->n > SIZE_MAX / 8 / k)
		return tl_errf(e, "out of memory for %zu rows x %zu values",
		    D->n, D->d);
	return 0;
}

struct score_run {
	const struct fit	*F;
	const struct tl_linear	*lin;
	double			 hits[F32_CHUNKS];	/* -1: out of memory */
};

static void
score_slice(void *ctx, size_t c)
{
	struct score_run *sr = ctx;
	const struct tl_linear_data *D = sr->F->data;
	size_t i0 = slice_at(D->n, c), i1 = slice_at(D->n, c + 1);
	struct tl_linear_data S = { D->x + i0 * D->d, i1 - i0, D->d,
	    D->y != NULL ? D->y + i0 : NULL,
	    D->t != NULL ? D->t + i0 * sr->lin->k : NULL, NULL,
	    D->sw != NULL ? D->sw + i0 : NULL };
	struct tl_linear_score sc;
	struct tl_err e;

	sr->hits[c] = tl_linear_score(sr->lin, &S, NULL, &sc, &e) != 0 ? -1 :
	    round(sc.accuracy * (double)S.n);
}

/* The accuracy of LIN on F's rows into F->r, slice by slice on the fit's
 * threads (on one, 10 ms of a 400 ms softmax fit). */
static int
training_accuracy(struct fit *F, const struct tl_linear *lin,
    struct tl_err *e)
{
	struct score_run sr = { F, lin, { 0 } };
	double hits = 0;

	tl_slices_run(F32_CHUNKS, F->threads, score_slice, &sr);
	for (size_t c = 0; c < F32_CHUNKS; c++) {
		if (sr.hits[c] < 0)
			return tl_errf(e, "out of memory for the training "
			    "accuracy");
		hits += sr.hits[c];
	}
	F->r->accuracy = hits / (double)F->n;
	return 0;
}

/* Store TH (stored layout, float-rounded) and the standardisation into
 * LIN, then score the training rows. */
static int
fit_store(struct fit *F, struct tl_linear *lin, const double *th,
    struct tl_err *e)
{
	struct tl_linear_score sc;
	size_t k = F->k, d = F->d;

	for (size_t j = 0; j < k * d + k; j++)
		if (!isfinite((float)th[j]))
			return tl_errf(e, "training diverged: the weights are "
			    "not finite (input values too large?)");
	for (size_t j = 0; j < k * d; j++)
		lin->w[j] = (float)th[j];
	for (size_t j = 0; j < k; j++)
		lin->b[j] = (float)th[k * d + j];
	if (F->o->standardize) {
		lin->mean = malloc(d * sizeof(float));
		lin->scale = malloc(d * sizeof(float));
		if (lin->mean == NULL || lin->scale == NULL)
			return tl_errf(e, "out of memory");
		for (size_t j = 0; j < d; j++) {
			lin->mean[j] = (float)F->mean[j];
			lin->scale[j] = (float)F->sd[j];
		}
		if (linear_fold(lin) != 0)
			return tl_errf(e, "out of memory");
	}
	if (F->o->kind == TL_LINEAR_RIDGE) {
		if (tl_linear_score(lin, F->data, NULL, &sc, e) != 0)
			return -1;
		F->r->accuracy = sc.r2;
		return 0;
	}
	return training_accuracy(F, lin, e);
}

int
tl_linear_fit(struct tl_linear *lin, const struct tl_linear_data *data,
    char *const *classes, size_t k, const struct tl_linear_opts *o,
    struct tl_linear_report *r, struct tl_err *e)
{
	struct tl_linear_opts defaults;
	struct fit F;
	double *th = NULL;
	size_t n = data->n, d = data->d, len;
	int rc = -1, blas_threads;

	memset(r, 0, sizeof(*r));
	memset(lin, 0, sizeof(*lin));
	memset(&F, 0, sizeof(F));
	if (o == NULL) {
		tl_linear_opts_init(&defaults);
		o = &defaults;
	}
	if (fit_check(data, k, o, e) != 0)
		return -1;
	if (linear_alloc(lin, k, d, classes, e) != 0)
		return -1;
	lin->kind = o->kind;
	lin->multilabel = o->kind == TL_LINEAR_LOGISTIC && data->t != NULL;
	/* OpenBLAS's threads would fight the objective's own, and none of
	 * the products here is large enough to pay for them: once they have
	 * run, they spin (sched_yield) on the cores the objective needs */
	blas_threads = openblas_get_num_threads();
	F.threads = blas_threads < 1 ? 1 : blas_threads > F32_CHUNKS ?
	    F32_CHUNKS : (size_t)blas_threads;
	tl_blas_threads(1);
	F.data = data;
	F.o = o;
	F.k = k;
	F.d = d;
	F.n = n;
	F.r = r;
	F.t0 = now();
	len = k * d + k;		/* the stored layout */
	if ((o->kind == TL_LINEAR_RIDGE ?
	    (F.xd = malloc(n * d * sizeof(double))) == NULL :
	    (n > SIZE_MAX / sizeof(float) / (d + 1) ||
	    (F.xf = malloc(n * (d + 1) * sizeof(float))) == NULL)) ||
	    (F.mean = malloc((3 + F32_CHUNKS) * d * sizeof(double))) ==
	    NULL ||
	    (F.sw = malloc(n * sizeof(double))) == NULL ||
	    (th = calloc(len, sizeof(double))) == NULL) {
		tl_errf(e, "out of memory for %zu rows x %zu values", n, d);
		goto out;
	}
	F.sd = F.mean + d;
	F.pen = F.mean + 2 * d;
	F.part = F.mean + 3 * d;
	standardise(&F);
	if (row_weights(&F, e) != 0 || whiten(&F, e) != 0 ||
	    init_rows(&F, classes, e) != 0)
		goto out;
	if (o->kind == TL_LINEAR_SOFTMAX)
		rc = fit_softmax(&F, th, e);
	else if (o->kind == TL_LINEAR_LOGISTIC)
		rc = fit_ovr(&F, th, e);
	else
		rc = fit_ridge(&F, th, e);
	if (rc == 0 && r->status == TL_LBFGS_ERROR)
		rc = tl_errf(e, "training failed: %s", r->msg);
	if (rc != 0)
		goto out;
	r->seconds = now() - F.t0;
	r->rows = n;
	if (F.L != NULL)	/* back from whitened weights: W = W' L^-1 */
		cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower,
		    CblasNoTrans, CblasNonUnit, k, d, 1, F.L, d, th, d);
	if (!o->standardize)
		unstandardise(th, k, d, F.mean, F.sd);
	rc = fit_store(&F, lin, th, e);
out:
	tl_blas_threads(blas_threads);
	if (rc != 0)
		tl_linear_free(lin);
	free(F.L);
	free(F.lpart);
	free(F.xf);
	free(F.w0);
	free(F.b0);
	free(F.has0);
	free(F.sw);
	free(F.mean);
	free(F.xd);
	free(th);
	return rc;
}

int
tl_linear_train(struct tl_linear *lin, const float *x, size_t n, size_t d,
    const size_t *y, char *const *classes, size_t k,
    const struct tl_linear_opts *o, struct tl_linear_report *r,
    struct tl_err *e)
{
	struct tl_linear_data D = { x, n, d, y, NULL, NULL, NULL };

	return tl_linear_fit(lin, &D, classes, k, o, r, e);
}

/* ------------------------------------------------------------------ */
/* Scores                                                             */
/* ------------------------------------------------------------------ */

static double
clip(double p)
{
	return fmin(fmax(p, 1e-15), 1 - 1e-15);
}

int
tl_linear_score(const struct tl_linear *lin,
    const struct tl_linear_data *D, float *out, struct tl_linear_score *s,
    struct tl_err *e)
{
	size_t n = D->n, k = lin->k, hits = 0;
	double ll = 0, ss = 0, st = 0, mean = 0;
	float *p = out;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return 0;
	if (p == NULL && (n > SIZE_MAX / sizeof(float) / k ||
	    (p = malloc(n * k * sizeof(float))) == NULL))
		return tl_errf(e, "out of memory for %zu x %zu outputs", n, k);
	tl_linear_proba(lin, D->x, n, p);
	for (size_t i = 0; i < n; i++) {
		const float *pi = p + i * k;

		if (lin->kind == TL_LINEAR_RIDGE) {
			double r = D->value[i] - pi[0];

			ss += r * r;
			mean += D->value[i];
		} else if (D->t != NULL) {
			int all = 1;

			for (size_t c = 0; c < k; c++) {
				int t = D->t[i * k + c];

				all &= (pi[c] > 0.5f) == t;
				ll -= log(clip(t ? pi[c] : 1 - pi[c]));
			}
			hits += all;
		} else {
			hits += tl_linear_argmax(pi, k) == D->y[i];
			ll -= log(clip(pi[D->y[i]]));
		}
	}
	if (lin->kind == TL_LINEAR_RIDGE) {
		mean /= n;
		for (size_t i = 0; i < n; i++)
			st += (D->value[i] - mean) * (D->value[i] - mean);
		s->r2 = st > 0 ? 1 - ss / st : 0;
	} else {
		s->accuracy = (double)hits / n;
		s->logloss = ll / n / (D->t != NULL ? k : 1);
	}
	if (p != out)
		free(p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Model files                                                        */
/* ------------------------------------------------------------------ */

/* The hyperparameters object of O. */
static json_t *
meta_hyper(const struct tl_linear_opts *o)
{
	json_t *h = json_pack("{s:f,s:f,s:I}", "C", o->C, "tol", o->tol,
	    "max_iter", (json_int_t)o->max_iter);

	if (h == NULL)
		return NULL;
	if ((o->balanced && json_object_set_new(h, "class_weight",
	    json_string("balanced")) != 0) ||
	    (o->standardize && json_object_set_new(h, "standardize",
	    json_true()) != 0) ||
	    (o->init != NULL && json_object_set_new(h, "l2_to_init",
	    json_boolean(o->l2_to_init)) != 0)) {
		json_decref(h);
		return NULL;
	}
	return h;
}

json_t *
tl_linear_meta(const struct tl_linear *lin, const struct tl_linear_opts *o,
    const struct tl_linear_report *r, const char *input_model,
    char *const *stacked, size_t nstacked)
{
	json_t *meta, *classes, *st;
	const char *im = input_model ? input_model : "";
	int ridge = lin->kind == TL_LINEAR_RIDGE;

	if ((meta = tl_meta_new(tl_linear_kind_name(lin->kind),
	    "tl-train")) == NULL)
		return NULL;
	classes = json_array();
	st = json_array();
	for (size_t j = 0; j < lin->k && classes; j++)
		if (json_array_append_new(classes,
		    json_string(lin->classes[j])) != 0)
			goto fail;
	for (size_t j = 0; j < nstacked && st; j++)
		if (json_array_append_new(st, json_string(stacked[j])) != 0)
			goto fail;
	if (classes == NULL || st == NULL ||
	    json_object_set_new(meta, "input_dim",
	    json_integer((json_int_t)lin->d)) != 0 ||
	    json_object_set_new(meta, "output_dim",
	    json_integer((json_int_t)lin->k)) != 0 ||
	    json_object_set(meta, ridge ? "targets" : "classes",
	    classes) != 0 ||
	    (lin->kind == TL_LINEAR_LOGISTIC && json_object_set_new(meta,
	    "multilabel", json_boolean(lin->multilabel)) != 0) ||
	    json_object_set_new(meta, "hyperparameters", meta_hyper(o)) != 0 ||
	    json_object_set_new(meta, "training",
	    json_pack("{s:I,s:I,s:f,s:f}", "rows", (json_int_t)r->rows,
	    "iterations", (json_int_t)r->iterations, "loss", r->loss,
	    ridge ? "r2" : "accuracy", r->accuracy)) != 0 ||
	    json_object_set_new(meta, "input", json_pack("{s:s,s:O}", "model",
	    im, "stacked", st)) != 0)
		goto fail;
	if (*im != '\0' &&
	    tl_meta_add_parent(meta, im, "embedding", "input-embedding") != 0)
		goto fail;
	/* a stream names the models stacked into it by digest alone: their
	 * kind (any head) is the file's, which tl-info reads when found */
	for (size_t j = 0; j < nstacked; j++)
		if (tl_meta_add_parent(meta, stacked[j], "model",
		    "stacked") != 0)
			goto fail;
	if (o->init != NULL && o->init_digest != NULL &&
	    tl_meta_add_parent(meta, o->init_digest, o->init_kind != NULL ?
	    o->init_kind : tl_linear_kind_name(o->init->kind), "init") != 0)
		goto fail;
	json_decref(classes);
	json_decref(st);
	return meta;
fail:
	json_decref(classes);
	json_decref(st);
	json_decref(meta);
	return NULL;
}

int
tl_linear_save(const struct tl_linear *lin, json_t *meta, FILE *f,
    char digest[65], struct tl_err *e)
{
	struct tl_model_writer *w;
	uint64_t wshape[2] = { lin->k, lin->d }, bshape[1] = { lin->k };
	uint64_t sshape[1] = { lin->d };
	int rc = -1;

	if ((w = tl_model_writer_new()) == NULL)
		return tl_errf(e, "out of memory");
	if (tl_model_writer_add(w, "weight", TL_DTYPE_F32, 2, wshape, lin->w,
	    e) == 0 &&
	    tl_model_writer_add(w, "bias", TL_DTYPE_F32, 1, bshape, lin->b,
	    e) == 0 &&
	    (lin->mean == NULL || (tl_model_writer_add(w, "standardize.mean",
	    TL_DTYPE_F32, 1, sshape, lin->mean, e) == 0 &&
	    tl_model_writer_add(w, "standardize.scale", TL_DTYPE_F32, 1,
	    sshape, lin->scale, e) == 0)))
		rc = tl_model_writer_write(w, meta, f, digest, e);
	tl_model_writer_free(w);
	return rc;
}

/* Check that CL is an array of K usable, strictly increasing class names
 * and copy them into LIN. */
static int
load_classes(struct tl_linear *lin, json_t *cl, size_t k, struct tl_err *e)
{
	const char *s, *prev = NULL;

	if (!json_is_array(cl) || json_array_size(cl) != k)
		return tl_errf(e, "model description: \"%s\" must be an "
		    "array of output_dim (%zu) strings", lin->kind ==
		    TL_LINEAR_RIDGE ? "targets" : "classes", k);
	for (size_t j = 0; j < k; j++) {
		if ((s = json_string_value(json_array_get(cl, j))) == NULL ||
		    *s == '\0' || strpbrk(s, "\t\n\r") != NULL)
			return tl_errf(e, "model description: class %zu: "
			    "expected a non-empty string without TAB or "
			    "newline", j + 1);
		if (prev != NULL && strcmp(prev, s) >= 0)
			return tl_errf(e, "model description: classes not "
			    "distinct and sorted: \"%s\" after \"%s\"", s,
			    prev);
		if ((lin->classes[j] = strdup(s)) == NULL)
			return tl_errf(e, "out of memory");
		prev = s;
	}
	return 0;
}

/* The unsigned integer field NAME of META, or -1 with E. */
static int
meta_size(json_t *meta, const char *name, size_t *out, struct tl_err *e)
{
	json_t *v = json_object_get(meta, name);

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (uint64_t)json_integer_value(v) > SIZE_MAX / 16)
		return tl_errf(e, "model description: \"%s\" must be a "
		    "positive integer", name);
	*out = (size_t)json_integer_value(v);
	return 0;
}

/* The optional standardisation tensors of M into LIN (d inputs). */
static int
load_standardize(struct tl_model *m, struct tl_linear *lin,
    struct tl_err *e)
{
	const float *mean, *scale;
	uint64_t ms[1], ss[1];
	size_t d = lin->d;

	if (tl_model_tensor(m, "standardize.mean") == NULL &&
	    tl_model_tensor(m, "standardize.scale") == NULL)
		return 0;
	if ((mean = tl_model_f32(m, "standardize.mean", 1, ms, e)) == NULL ||
	    (scale = tl_model_f32(m, "standardize.scale", 1, ss, e)) == NULL)
		return -1;
	if (ms[0] != d || ss[0] != d)
		return tl_errf(e, "tensor shapes standardize.mean [%llu], "
		    "standardize.scale [%llu] do not match input_dim %zu",
		    (unsigned long long)ms[0], (unsigned long long)ss[0], d);
	for (size_t j = 0; j < d; j++)
		if (!isfinite(mean[j]) || !(scale[j] > 0) ||
		    !isfinite(scale[j]))
			return tl_errf(e, "standardize: input %zu: mean %g, "
			    "scale %g: need finite values and a scale > 0",
			    j + 1, mean[j], scale[j]);
	if ((lin->mean = malloc(d * sizeof(float))) == NULL ||
	    (lin->scale = malloc(d * sizeof(float))) == NULL)
		return tl_errf(e, "out of memory");
	memcpy(lin->mean, mean, d * sizeof(float));
	memcpy(lin->scale, scale, d * sizeof(float));
	if (linear_fold(lin) != 0)
		return tl_errf(e, "out of memory");
	for (size_t j = 0; j < lin->k * d; j++)
		if (!isfinite(lin->wf[j]) || (j < lin->k &&
		    !isfinite(lin->bf[j])))
			return tl_errf(e, "standardize: weights overflow when "
			    "folded over the scales");
	return 0;
}

/* Check M's kind and what it implies; set lin->kind, multilabel. */
static int
load_kind(struct tl_model *m, struct tl_linear *lin, struct tl_err *e)
{
	const char *kind = tl_model_kind(m);
	json_t *ml;
	int k;

	if (tl_model_meta(m) == NULL)
		return tl_errf(e, "not a softmax model (a plain safetensors "
		    "file without a tl description)");
	if (kind == NULL)
		return tl_errf(e, "not a softmax model (no \"kind\" in its "
		    "description)");
	if ((k = tl_linear_kind_parse(kind)) < 0)
		return tl_errf(e, "not a softmax model (kind \"%s\")", kind);
	lin->kind = k;
	ml = json_object_get(tl_model_meta(m), "multilabel");
	if (k == TL_LINEAR_LOGISTIC && ml != NULL && !json_is_boolean(ml))
		return tl_errf(e, "model description: \"multilabel\" must be "
		    "true or false");
	lin->multilabel = json_is_true(ml) && k == TL_LINEAR_LOGISTIC;
	return 0;
}

int
tl_linear_load(struct tl_model *m, struct tl_linear *lin, struct tl_err *e)
{
	json_t *meta = tl_model_meta(m);
	const float *w, *b;
	uint64_t ws[2], bs[1];
	size_t k, d;
	int ridge;

	memset(lin, 0, sizeof(*lin));
	if (load_kind(m, lin, e) != 0)
		return -1;
	ridge = lin->kind == TL_LINEAR_RIDGE;
	if (meta_size(meta, "input_dim", &d, e) != 0 ||
	    meta_size(meta, "output_dim", &k, e) != 0)
		return -1;
	if (ridge ? k != 1 : k < 2)
		return tl_errf(e, "model description: output_dim %zu: a %s "
		    "model needs %s", k, tl_linear_kind_name(lin->kind),
		    ridge ? "exactly 1 target" : "at least 2 classes");
	if ((w = tl_model_f32(m, "weight", 2, ws, e)) == NULL ||
	    (b = tl_model_f32(m, "bias", 1, bs, e)) == NULL)
		return -1;
	if (ws[0] != k || ws[1] != d || bs[0] != k)
		return tl_errf(e, "tensor shapes weight [%llu,%llu], bias "
		    "[%llu] do not match output_dim %zu, input_dim %zu",
		    (unsigned long long)ws[0], (unsigned long long)ws[1],
		    (unsigned long long)bs[0], k, d);
	if ((lin->w = malloc(k * d * sizeof(float))) == NULL ||
	    (lin->b = malloc(k * sizeof(float))) == NULL ||
	    (lin->classes = calloc(k, sizeof(char *))) == NULL) {
		tl_linear_free(lin);
		return tl_errf(e, "out of memory");
	}
	lin->k = k;
	lin->d = d;
	if (load_classes(lin, json_object_get(meta, ridge ? "targets" :
	    "classes"), k, e) != 0) {
		tl_linear_free(lin);
		return -1;
	}
	memcpy(lin->w, w, k * d * sizeof(float));
	memcpy(lin->b, b, k * sizeof(float));
	for (size_t j = 0; j < k * d; j++)
		if (!isfinite(lin->w[j]) || (j < k && !isfinite(lin->b[j]))) {
			tl_linear_free(lin);
			return tl_errf(e, "model has non-finite weights");
		}
	if (load_standardize(m, lin, e) != 0) {
		tl_linear_free(lin);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Prediction                                                         */
/* ------------------------------------------------------------------ */

/* Softmax of the K logits at P, in place. */
static void
softmax_row(float *p, size_t k)
{
	float m = p[0], s = 0;

	for (size_t j = 1; j < k; j++)	/* not fmaxf: a call */
		m = p[j] > m ? p[j] : m;
	for (size_t j = 0; j < k; j++)
		s += (p[j] = expf(p[j] - m));
	for (size_t j = 0; j < k; j++)
		p[j] /= s;
}

/* Sigmoids of the K logits at P, in place; NORM: divided by their sum. */
static void
sigmoid_row(float *p, size_t k, int norm)
{
	float s = 0;

	for (size_t j = 0; j < k; j++)
		s += (p[j] = (float)sigmoid(p[j]));
	for (size_t j = 0; norm && s > 0 && j < k; j++)
		p[j] /= s;
}

void
tl_linear_proba(const struct tl_linear *lin, const float *x, size_t n,
    float *p)
{
	const float *w = lin->wf != NULL ? lin->wf : lin->w;
	const float *b = lin->bf != NULL ? lin->bf : lin->b;
	size_t k = lin->k;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * k, b, k * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, lin->d, 1,
	    x, lin->d, w, lin->d, 1, p, k);
	if (lin->kind == TL_LINEAR_RIDGE)
		return;
	for (size_t i = 0; i < n; i++)
		if (lin->kind == TL_LINEAR_LOGISTIC)
			sigmoid_row(p + i * k, k, !lin->multilabel);
		else
			softmax_row(p + i * k, k);
}

size_t
tl_linear_argmax(const float *p, size_t k)
{
	size_t best = 0;

	for (size_t j = 1; j < k; j++)
		if (p[j] > p[best])
			best = j;
	return best;
}

void
tl_linear_free(struct tl_linear *lin)
{
	free_strings(lin->classes, lin->k);
	free(lin->w);
	free(lin->b);
	free(lin->mean);
	free(lin->scale);
	free(lin->wf);
	free(lin->bf);
	memset(lin, 0, sizeof(*lin));
}
