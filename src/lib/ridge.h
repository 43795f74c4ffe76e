/*
 * Ridge regression solved exactly: the normal equations of a penalised
 * weighted least-squares problem, formed with one cblas_dsyrk and solved by
 * a Cholesky factorisation.  linear.c calls it for models of kind "ridge"
 * (in its standardised coordinates); it knows nothing about model files.
 */
#ifndef TL_RIDGE_H
#define TL_RIDGE_H

#include <stddef.h>

#include "err.h"

/* Minimise over w (D) and b
 *
 *	1/2 sum_j PEN_j (w_j - W0_j)^2 [+ 1/2 (b - B0)^2]
 *	    + C sum_i SW_i (Y_i - w.x_i - b)^2
 *
 * for N rows X (n x d doubles, row-major; OVERWRITTEN with scratch
 * values), targets Y, row weights SW (NULL: all 1; >= 0 with a positive
 * sum), penalty weights PEN (NULL: all 1; each > 0) and centre W0 (NULL:
 * zero).  The intercept b is not penalised unless B0 is given (the
 * bracketed term; --l2-to-init).  Writes the solution to W and
 * *B and returns 0, or -1 with E filled in (out of memory, or a system
 * that is not positive definite in floating point). */
int	tl_ridge_solve(double *x, size_t n, size_t d, const double *y,
	    const double *sw, double C, const double *pen, const double *w0,
	    const double *b0, double *w, double *b, struct tl_err *e);

/* Factor the symmetric positive definite D x D matrix A (row-major, lower
 * triangle used) in place into L with A = L L^T: L in the lower triangle,
 * zeros above.  0, or -1 when a pivot is not positive. */
int	tl_cholesky_factor(double *a, size_t d);

/* Factor the symmetric positive definite D x D matrix A (row-major, lower
 * triangle used) in place into L with A = L L^T (lower triangle), then
 * solve L L^T x = RHS in place.  0, or -1 when a pivot is not positive. */
int	tl_cholesky_solve(double *a, size_t d, double *rhs);

#endif
