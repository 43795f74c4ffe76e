/*
 * A generic L-BFGS minimiser over double vectors (Nocedal & Wright,
 * "Numerical Optimization", 2nd ed., Algorithm 7.4 with the two-loop
 * recursion 7.5), with a line search that finds a step satisfying the
 * strong Wolfe conditions by bracketing and zooming with cubic
 * interpolation (Algorithms 3.5 and 3.6).  It knows nothing about the
 * function it minimises: the caller passes a callback that returns f(x) and
 * writes the gradient.  tl-train uses it for logistic regression (linear.c),
 * the unit tests for Rosenbrock and quadratics.
 */
#ifndef TL_LBFGS_H
#define TL_LBFGS_H

#include <stddef.h>

/* The function to minimise: return f(X) and write its gradient at X to
 * GRAD (N entries).  CTX is passed through untouched.  A non-finite return
 * value tells the line search the step went too far. */
typedef double tl_lbfgs_fn(void *ctx, const double *x, double *grad,
    size_t n);

struct tl_lbfgs_param {
	size_t	m;		/* correction pairs kept (default 10) */
	size_t	max_iter;	/* iterations (default 1000) */
	size_t	max_linesearch;	/* evaluations per line search (40) */
	double	gtol;		/* stop when ||g||_inf <= gtol (1e-5);
				   absolute: the caller scales it */
	double	ftol;		/* stop when the relative decrease
				   (f_old - f) / max(|f_old|, |f|, 1) stays
				   <= ftol (default 64 * DBL_EPSILON) and
				   ||g||_inf sets no new low ... */
	size_t	ftol_iters;	/* ... for this many iterations (5) */
	double	c1, c2;		/* Wolfe constants (1e-4, 0.9) */
	double	fnoise;		/* relative rounding noise of f (1e-10):
				   closer values are ties, the slope
				   decides */
	const double *h0;	/* N positive values or NULL: the shape of
				   the initial inverse Hessian, a diagonal
				   preconditioner (scaled each iteration
				   as gamma is); NULL for the identity */
};

enum tl_lbfgs_status {
	TL_LBFGS_CONVERGED,	/* ||g||_inf <= gtol */
	TL_LBFGS_STALLED,	/* no progress in f or g for ftol_iters
				   iterations: as good as floating point
				   allows */
	TL_LBFGS_MAX_ITER,	/* max_iter iterations done */
	TL_LBFGS_LINESEARCH,	/* no acceptable step along the direction */
	TL_LBFGS_ERROR		/* nothing usable: out of memory, or f(x0)
				   not finite */
};

struct tl_lbfgs_result {
	enum tl_lbfgs_status status;
	size_t	iterations;	/* accepted steps */
	size_t	evaluations;	/* calls of the callback */
	double	f;		/* f at the returned x */
	double	gnorm;		/* ||g||_inf at the returned x */
	char	msg[160];	/* what happened, in words */
};

/* The defaults above. */
void	tl_lbfgs_param_init(struct tl_lbfgs_param *p);

/* Minimise FN starting from X (N entries), leaving the best point found in
 * X and a summary in R.  P may be NULL for the defaults.  Returns 0 when X
 * holds a usable result (any status but TL_LBFGS_ERROR: a caller decides
 * whether MAX_ITER or LINESEARCH deserve a warning), -1 with r->msg when
 * not (X is then unchanged). */
int	tl_lbfgs_minimize(tl_lbfgs_fn *fn, void *ctx, double *x, size_t n,
	    const struct tl_lbfgs_param *p, struct tl_lbfgs_result *r);

/* A short name for STATUS ("converged", "max-iter", ...). */
const char *tl_lbfgs_status_name(enum tl_lbfgs_status status);

#endif
