/*
 * Unit tests of the L-BFGS minimiser (src/lib/lbfgs.c) on functions whose
 * minimum is known: Rosenbrock in 2 and 100 dimensions (the extended form:
 * independent pairs), a diagonal quadratic, badly scaled quadratics
 * (condition numbers 1e8 and 1e4), a coupled quadratic A x = b and a
 * function that overflows to infinity on long steps, plus the reporting of
 * the iteration limit and of a non-finite start.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbfgs.h"
#include "t.h"

/* Extended Rosenbrock: sum over pairs of 100 (x2 - x1^2)^2 + (1 - x1)^2,
 * minimum 0 at (1, ..., 1). */
static double
rosenbrock(void *ctx, const double *x, double *g, size_t n)
{
	double f = 0;

	(void)ctx;
	for (size_t i = 0; i + 1 < n; i += 2) {
		double t1 = 1 - x[i], t2 = 10 * (x[i + 1] - x[i] * x[i]);

		g[i + 1] = 20 * t2;
		g[i] = -2 * (x[i] * g[i + 1] + t1);
		f += t1 * t1 + t2 * t2;
	}
	return f;
}

/* Quadratic sum_i w_i (x_i - c_i)^2 / 2 with the weights and centre in
 * CTX: minimum 0 at c. */
struct quad {
	const double *w, *c;
	size_t calls;
};

static double
quadratic(void *ctx, const double *x, double *g, size_t n)
{
	struct quad *q = ctx;
	double f = 0;

	q->calls++;
	for (size_t i = 0; i < n; i++) {
		double r = x[i] - q->c[i];

		g[i] = q->w[i] * r;
		f += 0.5 * q->w[i] * r * r;
	}
	return f;
}

static void
check_point(const double *x, const double *want, size_t n, double tol)
{
	double worst = 0;

	for (size_t i = 0; i < n; i++)
		worst = fmax(worst, fabs(x[i] - want[i]));
	T_NEAR(worst, 0, tol);
}

static void
rosenbrock_2(void)
{
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;
	double x[2] = { -1.2, 1 }, one[2] = { 1, 1 };

	tl_lbfgs_param_init(&p);
	p.gtol = 1e-10;
	T_CHECK(tl_lbfgs_minimize(rosenbrock, NULL, x, 2, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED);
	check_point(x, one, 2, 1e-6);
	T_NEAR(r.f, 0, 1e-12);
	T_CHECK(r.iterations > 10 && r.iterations < 200);
}

static void
rosenbrock_100(void)
{
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;
	double x[100], one[100];

	for (size_t i = 0; i < 100; i++) {
		x[i] = i % 2 ? 1 : -1.2;
		one[i] = 1;
	}
	tl_lbfgs_param_init(&p);
	p.gtol = 1e-10;
	T_CHECK(tl_lbfgs_minimize(rosenbrock, NULL, x, 100, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED);
	check_point(x, one, 100, 1e-6);
	T_CHECK(r.iterations < 500);
}

static void
quadratic_known(void)
{
	double w[5] = { 1, 2, 3, 4, 5 }, c[5] = { 1, -2, 3, -4, 5 };
	double x[5] = { 0 };
	struct quad q = { w, c, 0 };
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;

	tl_lbfgs_param_init(&p);
	p.gtol = 1e-12;
	p.ftol = 0;	/* f reaches 1e-23: only the gradient test may stop */
	T_CHECK(tl_lbfgs_minimize(quadratic, &q, x, 5, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED);
	check_point(x, c, 5, 1e-11);
	T_CHECK(r.gnorm <= 1e-12);
	T_CHECK(r.evaluations == q.calls);
	/* L-BFGS on a 5-dimensional quadratic: a handful of steps */
	T_CHECK(r.iterations <= 20);
}

/* Diagonal quadratics with weights spread over many orders of magnitude:
 * steepest descent would crawl, L-BFGS must learn the scaling.  (The
 * iteration bounds are about what scipy's L-BFGS-B needs, m = 10.) */
static void
badly_scaled(size_t n, double lo, double hi, size_t max_iter)
{
	double w[100], c[100], x[100];
	struct quad q = { w, c, 0 };
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;

	for (size_t i = 0; i < n; i++) {
		w[i] = pow(10, lo + (hi - lo) * i / (n - 1));
		c[i] = (i % 3) - 1.0 + 0.25 * i;
		x[i] = 0;
	}
	tl_lbfgs_param_init(&p);
	p.gtol = 1e-10;
	p.ftol = 0;
	p.max_iter = max_iter;
	T_CHECK(tl_lbfgs_minimize(quadratic, &q, x, n, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED);
	/* the gradient bound pins x_i to gtol / w_i */
	for (size_t i = 0; i < n; i++)
		T_NEAR(x[i], c[i], 1e-10 / w[i] * 1.0001 + 1e-14);
}

static void
quadratic_badly_scaled(void)
{
	badly_scaled(2, -4, 4, 10);	/* condition number 1e8 */
	badly_scaled(100, 0, 4, 3000);	/* 1e4, 100 distinct scales */
}

/* A diagonal preconditioner h0 that matches the curvature up to a factor
 * makes the 1e4-conditioned quadratic easy; one that is off by a common
 * scale changes nothing (gamma absorbs it). */
static void
quadratic_preconditioned(void)
{
	double w[100], c[100], x[100], h0[100];
	struct quad q = { w, c, 0 };
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result plain, pre, off;
	size_t n = 100;

	for (size_t i = 0; i < n; i++) {
		w[i] = pow(10, 4.0 * i / (n - 1));
		c[i] = (i % 3) - 1.0 + 0.25 * i;
		/* within a factor 2 of 1 / w: not exact */
		h0[i] = (1 + (i % 2)) / w[i];
	}
	tl_lbfgs_param_init(&p);
	p.gtol = 1e-8;
	p.ftol = 0;
	p.max_iter = 3000;
	memset(x, 0, sizeof(x));
	T_CHECK(tl_lbfgs_minimize(quadratic, &q, x, n, &p, &plain) == 0);
	p.h0 = h0;
	memset(x, 0, sizeof(x));
	T_CHECK(tl_lbfgs_minimize(quadratic, &q, x, n, &p, &pre) == 0);
	T_CHECK(pre.status == TL_LBFGS_CONVERGED);
	for (size_t i = 0; i < n; i++)
		T_NEAR(x[i], c[i], 1e-8 / w[i] * 1.0001 + 1e-14);
	T_CHECK(pre.iterations * 4 < plain.iterations);
	/* a constant h0 is the identity to L-BFGS: the same path but for
	 * rounding (1161 and 1140 iterations; 8 with the good h0) */
	for (size_t i = 0; i < n; i++)
		h0[i] = 1e-3;
	memset(x, 0, sizeof(x));
	T_CHECK(tl_lbfgs_minimize(quadratic, &q, x, n, &p, &off) == 0);
	T_CHECK(off.status == TL_LBFGS_CONVERGED);
	T_CHECK(10 * off.iterations >= 9 * plain.iterations &&
	    10 * off.iterations <= 11 * plain.iterations);
}

/* 0.5 x'Ax - b'x with A tridiagonal (2, -1): the 1-D Laplacian, condition
 * number ~ 4 n^2 / pi^2. */
static double
laplacian(void *ctx, const double *x, double *g, size_t n)
{
	const double *b = ctx;
	double f = 0;

	for (size_t i = 0; i < n; i++) {
		double ax = 2 * x[i] - (i > 0 ? x[i - 1] : 0) -
		    (i + 1 < n ? x[i + 1] : 0);

		g[i] = ax - b[i];
		f += 0.5 * x[i] * ax - b[i] * x[i];
	}
	return f;
}

static void
quadratic_coupled(void)
{
	enum { N = 100 };
	double b[N], x[N], want[N], ax;
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;

	/* choose the solution, derive b = A want */
	for (size_t i = 0; i < N; i++)
		want[i] = sin(0.1 * i) + 0.01 * i;
	for (size_t i = 0; i < N; i++) {
		ax = 2 * want[i] - (i > 0 ? want[i - 1] : 0) -
		    (i + 1 < N ? want[i + 1] : 0);
		b[i] = ax;
		x[i] = 0;
	}
	tl_lbfgs_param_init(&p);
	p.gtol = 1e-10;
	p.ftol = 0;
	p.max_iter = 10000;
	T_CHECK(tl_lbfgs_minimize(laplacian, b, x, N, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED);
	/* smallest eigenvalue of A ~ 1e-3: error <= 1e-7 */
	check_point(x, want, N, 1e-7);
}

static void
max_iter_reported(void)
{
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;
	double x[2] = { -1.2, 1 }, x0[2] = { -1.2, 1 };

	tl_lbfgs_param_init(&p);
	p.max_iter = 3;
	p.gtol = 1e-10;
	T_CHECK(tl_lbfgs_minimize(rosenbrock, NULL, x, 2, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_MAX_ITER);
	T_CHECK(r.iterations == 3);
	T_CHECK(strstr(r.msg, "iteration limit") != NULL);
	/* it moved, and downhill */
	T_CHECK(x[0] != x0[0]);
	T_CHECK(r.f < 24.2);
}

static double
nan_at_start(void *ctx, const double *x, double *g, size_t n)
{
	(void)ctx;
	(void)x;
	for (size_t i = 0; i < n; i++)
		g[i] = 0;
	return NAN;
}

static void
nonfinite_start(void)
{
	struct tl_lbfgs_result r;
	double x[3] = { 1, 2, 3 };

	T_CHECK(tl_lbfgs_minimize(nan_at_start, NULL, x, 3, NULL, &r) == -1);
	T_CHECK(r.status == TL_LBFGS_ERROR);
	T_CHECK(strstr(r.msg, "not finite") != NULL);
	T_CHECK(x[0] == 1 && x[1] == 2 && x[2] == 3);
}

/* sum exp(x_i) - 2 x_i, minimum at log 2: from far left the first steps
 * are huge and exp overflows to inf, so the line search must back off. */
static double
exp_wall(void *ctx, const double *x, double *g, size_t n)
{
	double f = 0;

	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		double e = exp(x[i]);

		f += e - 2 * x[i];
		g[i] = e - 2;
	}
	return f;
}

static void
overflowing_steps(void)
{
	struct tl_lbfgs_param p;
	struct tl_lbfgs_result r;
	double x[4] = { -800, -700, -30, 0 }, want = log(2);

	tl_lbfgs_param_init(&p);
	p.gtol = 1e-9;
	T_CHECK(tl_lbfgs_minimize(exp_wall, NULL, x, 4, &p, &r) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED ||
	    r.status == TL_LBFGS_STALLED);
	for (size_t i = 0; i < 4; i++)
		T_NEAR(x[i], want, 1e-8);
}

int
main(void)
{
	T_RUN(rosenbrock_2);
	T_RUN(rosenbrock_100);
	T_RUN(quadratic_known);
	T_RUN(quadratic_badly_scaled);
	T_RUN(quadratic_preconditioned);
	T_RUN(quadratic_coupled);
	T_RUN(max_iter_reported);
	T_RUN(nonfinite_start);
	T_RUN(overflowing_steps);
	return t_done();
}
