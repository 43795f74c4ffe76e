/*
 * L-BFGS with a strong-Wolfe line search; see lbfgs.h.
 *
 * The direction comes from the two-loop recursion over the last m
 * correction pairs (s = x_new - x, y = g_new - g), scaled by
 * gamma = s.y / y.y (N&W 7.20), or with a caller's diagonal shape D of the
 * initial inverse Hessian gamma D, gamma = s.y / y.D y: the scaling that
 * makes gamma D satisfy the secant equation best in D's metric.  The line search (N&W Algorithms 3.5/3.6)
 * first tries the step 1 (1/||d||_2 on a steepest-descent step, so that the
 * first move has length 1), expands it while the function keeps
 * decreasing, and once an interval is known to contain an acceptable step
 * it zooms in by safeguarded cubic interpolation.
 *
 * Near the optimum, f differences drown in rounding while the gradient is
 * still informative.  So values within fnoise * |f| of each other count as
 * ties and the slope decides (in the spirit of Hager & Zhang's approximate
 * Wolfe conditions); this is what lets a tight gradient tolerance be
 * reached at all.  When no step satisfies the conditions, the best step
 * with sufficient decrease is taken, and failing that the memory is dropped
 * and steepest descent tried once before giving up.  The stall test counts
 * iterations in which neither f decreased by more than ftol (relative) nor
 * the gradient reached a new low.
 * Pairs with s.y <= eps * y.y are skipped so that the implicit Hessian
 * stays positive definite.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbfgs.h"

struct lbfgs {
	tl_lbfgs_fn	*fn;
	void		*ctx;
	const struct tl_lbfgs_param *p;
	size_t		 n;
	double		*x, *g;		/* current point and gradient */
	double		*xt, *gt;	/* trial point of the line search */
	double		*d;		/* search direction */
	double		*s, *y;		/* m x n correction pairs, a ring */
	double		*rho, *alpha;	/* m */
	size_t		 npairs, head;	/* pairs held; next slot to fill */
	size_t		 nevals;	/* callback calls so far */
	size_t		 ls_evals;	/* calls in the current line search */
	double		 last_a;	/* step of the point in xt, gt */
	double		 fnoise;	/* f differences below this are ties */
};

/* One end of a line-search interval: step, value, slope along d. */
struct lspoint {
	double	a, f, g;
};

void
tl_lbfgs_param_init(struct tl_lbfgs_param *p)
{
	p->m = 10;
	p->max_iter = 1000;
	p->max_linesearch = 40;
	p->gtol = 1e-5;
	p->ftol = 64 * DBL_EPSILON;
	p->ftol_iters = 5;
	p->c1 = 1e-4;
	p->c2 = 0.9;
	p->fnoise = 1e-10;
	p->h0 = NULL;
}

const char *
tl_lbfgs_status_name(enum tl_lbfgs_status status)
{
	switch (status) {
	case TL_LBFGS_CONVERGED:
		return "converged";
	case TL_LBFGS_STALLED:
		return "stalled";
	case TL_LBFGS_MAX_ITER:
		return "max-iter";
	case TL_LBFGS_LINESEARCH:
		return "line-search-failed";
	case TL_LBFGS_ERROR:
		break;
	}
	return "error";
}

/* Partial sums of dot(): one sum waited four cycles on each addition,
 * and the two-loop recursion's dot products were a third of a sparse
 * model's fit.  Their order is fixed, so the result does not depend on
 * the machine. */
#define DOT_LANES 8

/* The partial sums S, pairwise, then the tail's T. */
static double
lanes_sum(double *s, double t)
{
	for (size_t w = DOT_LANES / 2; w > 0; w /= 2)
		for (size_t k = 0; k < w; k++)
			s[k] += s[k + w];
	return s[0] + t;
}

static double
dot(const double *a, const double *b, size_t n)
{
	double s[DOT_LANES] = { 0 }, t = 0;
	size_t i = 0;

	for (; i + DOT_LANES <= n; i += DOT_LANES)
#pragma GCC unroll 8
		for (size_t k = 0; k < DOT_LANES; k++)
			s[k] += a[i + k] * b[i + k];
	for (; i < n; i++)
		t += a[i] * b[i];
	return lanes_sum(s, t);
}

/* D += A X, then dot(B, D) as dot() sums it; B NULL: no dot (0).  One
 * pass over D for the two-loop recursion's update and the next pair's
 * product, which on its own reads D again: the recursion is bound by
 * memory. */
static double
axpy_dot(double *d, double a, const double *x, const double *b, size_t n)
{
	double s[DOT_LANES] = { 0 }, t = 0;
	size_t i = 0;

	if (b == NULL) {
		for (; i < n; i++)
			d[i] += a * x[i];
		return 0;
	}
	for (; i + DOT_LANES <= n; i += DOT_LANES)
#pragma GCC unroll 8
		for (size_t k = 0; k < DOT_LANES; k++) {
			d[i + k] += a * x[i + k];
			s[k] += b[i + k] * d[i + k];
		}
	for (; i < n; i++) {
		d[i] += a * x[i];
		t += b[i] * d[i];
	}
	return lanes_sum(s, t);
}

static double
norm_inf(const double *a, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++) {	/* not fmax: a call */
		if (isnan(a[i]))
			return NAN;
		m = fabs(a[i]) > m ? fabs(a[i]) : m;
	}
	return m;
}

/* Evaluate at x + A d into xt, gt; the slope along d goes to pt->g. */
static void
eval_at(struct lbfgs *L, double a, struct lspoint *pt)
{
	for (size_t i = 0; i < L->n; i++)
		L->xt[i] = L->x[i] + a * L->d[i];
	pt->a = L->last_a = a;
	pt->f = L->fn(L->ctx, L->xt, L->gt, L->n);
	pt->g = dot(L->gt, L->d, L->n);
	if (!isfinite(pt->g))
		pt->f = INFINITY;
	L->nevals++;
	L->ls_evals++;
}

/* The minimiser of the cubic through LO and HI with their slopes (N&W
 * 3.59), or NAN when the cubic has none. */
static double
cubic_min(const struct lspoint *lo, const struct lspoint *hi)
{
	double d1, d2sq, d2, den;

	if (!isfinite(hi->f) || lo->a == hi->a)
		return NAN;
	d1 = lo->g + hi->g - 3 * (lo->f - hi->f) / (lo->a - hi->a);
	d2sq = d1 * d1 - lo->g * hi->g;
	if (!(d2sq >= 0))
		return NAN;
	d2 = copysign(sqrt(d2sq), hi->a - lo->a);
	den = hi->g - lo->g + 2 * d2;
	if (den == 0)
		return NAN;
	return hi->a - (hi->a - lo->a) * (hi->g + d2 - d1) / den;
}

/* N&W Algorithm 3.6: LO satisfies sufficient decrease and is the best such
 * point so far; an acceptable step lies between LO and HI.  Returns 0 with
 * the accepted point in xt/gt and *OUT, 1 when LO (> 0) is the best that
 * could be found, -1 when nothing better than step 0 was found. */
static int
zoom(struct lbfgs *L, const struct lspoint *p0, struct lspoint lo,
    struct lspoint hi, struct lspoint *out)
{
	const struct tl_lbfgs_param *p = L->p;
	struct lspoint t;
	double a, w;

	while (L->ls_evals < p->max_linesearch) {
		w = hi.a - lo.a;
		if (fabs(w) <= DBL_EPSILON * fmax(fabs(lo.a), fabs(hi.a)))
			break;
		a = cubic_min(&lo, &hi);
		/* stay clear of the ends, or the interval shrinks slowly */
		if (!isfinite(a) || (a - lo.a) / w < 0.1 ||
		    (hi.a - a) / w < 0.1)
			a = lo.a + 0.5 * w;
		eval_at(L, a, &t);
		if (t.f > p0->f + p->c1 * t.a * p0->g + L->fnoise ||
		    t.f > lo.f + L->fnoise) {
			hi = t;
			continue;
		}
		if (fabs(t.g) <= -p->c2 * p0->g) {
			*out = t;
			return 0;
		}
		if (t.g * (hi.a - lo.a) >= 0)
			hi = lo;
		lo = t;
	}
	*out = lo;
	return lo.a > 0 ? 1 : -1;
}

/* N&W Algorithm 3.5 along L->d from the current point (P0: step 0) with
 * first trial step A.  Returns 0 with the accepted point in xt/gt and its
 * value in *F, or -1 when no step decreases f enough. */
static int
line_search(struct lbfgs *L, const struct lspoint *p0, double a, double *f)
{
	const struct tl_lbfgs_param *p = L->p;
	struct lspoint prev = *p0, t, out;
	int rc;

	L->ls_evals = 0;
	for (;;) {
		eval_at(L, a, &t);
		if (t.f > p0->f + p->c1 * a * p0->g + L->fnoise ||
		    (prev.a > 0 && t.f > prev.f + L->fnoise)) {
			rc = zoom(L, p0, prev, t, &out);
			break;
		}
		if (fabs(t.g) <= -p->c2 * p0->g) {
			*f = t.f;
			return 0;
		}
		if (t.g >= 0) {
			rc = zoom(L, p0, t, prev, &out);
			break;
		}
		if (L->ls_evals >= p->max_linesearch) {
			out = t;
			rc = 1;
			break;
		}
		prev = t;
		a *= 4;
	}
	if (rc < 0)
		return -1;
	if (rc > 0 && out.a != L->last_a) {
		/* take the best point with sufficient decrease */
		eval_at(L, out.a, &t);
		if (!(t.f < p0->f))
			return -1;
		out = t;
	}
	*f = out.f;
	return 0;
}

/* y.D y for the caller's diagonal D (the identity without one). */
static double
ydy(const struct lbfgs *L, const double *y)
{
	const double *h0 = L->p->h0;
	double s = 0;

	if (h0 == NULL)
		return dot(y, y, L->n);
	for (size_t i = 0; i < L->n; i++)
		s += y[i] * h0[i] * y[i];
	return s;
}

/* The index of the K-th newest stored pair. */
static size_t
newest(const struct lbfgs *L, size_t k)
{
	return (L->head + L->p->m - 1 - k) % L->p->m;
}

/* d = -H g by the two-loop recursion over the stored pairs, each pair's
 * update fused with the next pair's dot product. */
static void
direction(struct lbfgs *L)
{
	size_t n = L->n, np = L->npairs, k, i, j;
	double gamma, beta, next = 0;

	for (i = 0; i < n; i++)
		L->d[i] = -L->g[i];
	if (np > 0)
		next = dot(L->s + newest(L, 0) * n, L->d, n);
	for (k = 0; k < np; k++) {
		j = newest(L, k);
		L->alpha[j] = L->rho[j] * next;
		next = axpy_dot(L->d, -L->alpha[j], L->y + j * n, k + 1 < np ?
		    L->s + newest(L, k + 1) * n : NULL, n);
	}
	if (np > 0) {
		j = newest(L, 0);
		gamma = dot(L->s + j * n, L->y + j * n, n) /
		    ydy(L, L->y + j * n);
		for (i = 0; i < n; i++)
			L->d[i] *= gamma;
	}
	if (L->p->h0 != NULL)
		for (i = 0; i < n; i++)
			L->d[i] *= L->p->h0[i];
	if (np > 0)
		next = dot(L->y + newest(L, np - 1) * n, L->d, n);
	for (k = np; k-- > 0;) {
		j = newest(L, k);			/* oldest first */
		beta = L->rho[j] * next;
		next = axpy_dot(L->d, L->alpha[j] - beta, L->s + j * n, k > 0 ?
		    L->y + newest(L, k - 1) * n : NULL, n);
	}
}

/* Move to the accepted trial point and remember the pair (s, y). */
static void
accept_step(struct lbfgs *L)
{
	size_t n = L->n, j = L->head;
	double *s = L->s + j * n, *y = L->y + j * n, sy, yy;

	for (size_t i = 0; i < n; i++) {
		s[i] = L->xt[i] - L->x[i];
		y[i] = L->gt[i] - L->g[i];
	}
	memcpy(L->x, L->xt, n * sizeof(double));
	memcpy(L->g, L->gt, n * sizeof(double));
	sy = dot(s, y, n);
	yy = dot(y, y, n);
	if (!(sy > DBL_EPSILON * yy))
		return;
	L->rho[j] = 1 / sy;
	L->head = (j + 1) % L->p->m;
	if (L->npairs < L->p->m)
		L->npairs++;
}

static int
setup(struct lbfgs *L, size_t n)
{
	size_t m = L->p->m;

	L->n = n;
	if (m == 0 || n > SIZE_MAX / sizeof(double) / (2 * m + 4))
		return -1;
	L->g = calloc(n, sizeof(double));
	L->xt = calloc(n, sizeof(double));
	L->gt = calloc(n, sizeof(double));
	L->d = calloc(n, sizeof(double));
	L->s = calloc(m * n, sizeof(double));
	L->y = calloc(m * n, sizeof(double));
	L->rho = calloc(m, sizeof(double));
	L->alpha = calloc(m, sizeof(double));
	if (!L->g || !L->xt || !L->gt || !L->d || !L->s || !L->y ||
	    !L->rho || !L->alpha)
		return -1;
	return 0;
}

static void
teardown(struct lbfgs *L)
{
	free(L->g);
	free(L->xt);
	free(L->gt);
	free(L->d);
	free(L->s);
	free(L->y);
	free(L->rho);
	free(L->alpha);
}

/* One iteration: a direction, a line search, the step.  Returns 0 on a
 * step taken, -1 when no step could be found even by steepest descent. */
static int
iterate(struct lbfgs *L, double *f)
{
	struct lspoint p0;
	double a;

	for (;;) {
		direction(L);
		p0.a = 0;
		p0.f = *f;
		p0.g = dot(L->g, L->d, L->n);
		L->fnoise = L->p->fnoise * fabs(*f);
		a = 1;
		if (L->npairs == 0)
			a = 1 / sqrt(dot(L->d, L->d, L->n));
		if (p0.g < 0 && line_search(L, &p0, a, f) == 0) {
			accept_step(L);
			return 0;
		}
		if (L->npairs == 0)
			return -1;
		L->npairs = 0;	/* bad memory: retry as steepest descent */
	}
}

static void
finish(struct tl_lbfgs_result *r, enum tl_lbfgs_status status,
    const char *fmt, double a, double b)
{
	r->status = status;
	snprintf(r->msg, sizeof(r->msg), fmt, a, b);
}

static void
run(struct lbfgs *L, double f, struct tl_lbfgs_result *r)
{
	const struct tl_lbfgs_param *p = L->p;
	size_t stall = 0;
	double f_old, rel, gbest = INFINITY;

	for (;;) {
		r->f = f;
		r->gnorm = norm_inf(L->g, L->n);
		if (r->gnorm < gbest) {
			gbest = r->gnorm;
			stall = 0;
		}
		if (r->gnorm <= p->gtol) {
			finish(r, TL_LBFGS_CONVERGED, "gradient %.3g <= %.3g",
			    r->gnorm, p->gtol);
			return;
		}
		if (stall >= p->ftol_iters) {
			finish(r, TL_LBFGS_STALLED, "objective stopped "
			    "decreasing (gradient %.3g > %.3g)", r->gnorm,
			    p->gtol);
			return;
		}
		if (r->iterations >= p->max_iter) {
			finish(r, TL_LBFGS_MAX_ITER, "iteration limit reached "
			    "(gradient %.3g > %.3g)", r->gnorm, p->gtol);
			return;
		}
		f_old = f;
		if (iterate(L, &f) != 0) {
			finish(r, TL_LBFGS_LINESEARCH, "line search found no "
			    "decrease (gradient %.3g > %.3g)", r->gnorm,
			    p->gtol);
			return;
		}
		r->iterations++;
		rel = (f_old - f) / fmax(fmax(fabs(f_old), fabs(f)), 1);
		stall = rel <= p->ftol ? stall + 1 : 0;	/* reset above too */
	}
}

int
tl_lbfgs_minimize(tl_lbfgs_fn *fn, void *ctx, double *x, size_t n,
    const struct tl_lbfgs_param *p, struct tl_lbfgs_result *r)
{
	struct tl_lbfgs_param defaults;
	struct lbfgs L;
	double f;

	memset(r, 0, sizeof(*r));
	if (p == NULL) {
		tl_lbfgs_param_init(&defaults);
		p = &defaults;
	}
	memset(&L, 0, sizeof(L));
	L.fn = fn;
	L.ctx = ctx;
	L.p = p;
	L.x = x;
	if (setup(&L, n) != 0) {
		teardown(&L);
		finish(r, TL_LBFGS_ERROR, "out of memory", 0, 0);
		return -1;
	}
	f = fn(ctx, x, L.g, n);
	L.nevals = 1;
	if (!isfinite(f) || !isfinite(norm_inf(L.g, n))) {
		teardown(&L);
		finish(r, TL_LBFGS_ERROR, "objective or gradient not finite "
		    "at the starting point", 0, 0);
		return -1;
	}
	run(&L, f, r);
	r->evaluations = L.nevals;
	teardown(&L);
	return 0;
}
