/*
 * Ridge regression by the normal equations; see ridge.h.  With S = sum
 * SW, weighted means m = sum SW_i x_i / S and ybar, and centred rows
 * xc_i = x_i - m, the optimum satisfies b = ybar - w.m and
 *
 *	(diag(PEN) + 2C sum_i SW_i xc_i xc_i^T) w
 *	    = PEN * W0 + 2C sum_i SW_i (y_i - ybar) xc_i,
 *
 * a symmetric positive definite system (PEN > 0): one dsyrk over the rows
 * scaled by sqrt(SW_i), then Cholesky.  When the intercept is pulled
 * towards B0 as well (1/2 (b - B0)^2), minimising over b first leaves
 * the same system plus the rank-one term kappa (ybar - B0 - w.m)^2 / 2,
 * kappa = 2CS / (1 + 2CS), and b = ybar - w.m - delta with
 * delta = (ybar - w.m - B0) / (1 + 2CS).  d is the feature count (hundreds),
 * so the O(d^3) factorisation is cheap next to the O(n d^2) product.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "blas.h"
#include "ridge.h"

int
tl_cholesky_factor(double *a, size_t d)
{
	size_t i, j, p;
	double s;

	for (j = 0; j < d; j++) {
		s = a[j * d + j];
		for (p = 0; p < j; p++)
			s -= a[j * d + p] * a[j * d + p];
		if (!(s > 0))
			return -1;
		a[j * d + j] = sqrt(s);
		for (i = j + 1; i < d; i++) {
			s = a[i * d + j];
			for (p = 0; p < j; p++)
				s -= a[i * d + p] * a[j * d + p];
			a[i * d + j] = s / a[j * d + j];
		}
	}
	for (i = 0; i < d; i++)		/* a clean lower triangle */
		for (j = i + 1; j < d; j++)
			a[i * d + j] = 0;
	return 0;
}

int
tl_cholesky_solve(double *a, size_t d, double *rhs)
{
	size_t i, p;
	double s;

	if (tl_cholesky_factor(a, d) != 0)
		return -1;
	for (i = 0; i < d; i++) {		/* L z = rhs */
		s = rhs[i];
		for (p = 0; p < i; p++)
			s -= a[i * d + p] * rhs[p];
		rhs[i] = s / a[i * d + i];
	}
	for (i = d; i-- > 0;) {			/* L^T x = z */
		s = rhs[i];
		for (p = i + 1; p < d; p++)
			s -= a[p * d + i] * rhs[p];
		rhs[i] = s / a[i * d + i];
	}
	return 0;
}

int
tl_ridge_solve(double *x, size_t n, size_t d, const double *y,
    const double *sw, double C, const double *pen, const double *w0,
    const double *b0, double *w, double *b, struct tl_err *e)
{
	double *a, *m, S = 0, ybar = 0, r, kappa = 0, delta;
	size_t i, j;
	int rc = -1;

	if (d > SIZE_MAX / sizeof(double) / d ||
	    (a = calloc(d * d, sizeof(double))) == NULL)
		return tl_errf(e, "out of memory for %zu x %zu normal "
		    "equations", d, d);
	if ((m = calloc(d, sizeof(double))) == NULL) {
		free(a);
		return tl_errf(e, "out of memory");
	}
	for (i = 0; i < n; i++) {
		double s = sw != NULL ? sw[i] : 1;

		S += s;
		ybar += s * y[i];
		for (j = 0; j < d; j++)
			m[j] += s * x[i * d + j];
	}
	if (!(S > 0)) {
		tl_errf(e, "row weights sum to %g: nothing to fit", S);
		goto out;
	}
	ybar /= S;
	for (j = 0; j < d; j++) {
		m[j] /= S;
		w[j] = pen != NULL ? pen[j] : 1;
		w[j] *= w0 != NULL ? w0[j] : 0;
	}
	/* rows become sqrt(2C SW_i) xc_i; w collects the right-hand side */
	for (i = 0; i < n; i++) {
		double s = sqrt(2 * C * (sw != NULL ? sw[i] : 1));

		r = (y[i] - ybar) * s;
		for (j = 0; j < d; j++) {
			x[i * d + j] = (x[i * d + j] - m[j]) * s;
			w[j] += r * x[i * d + j];
		}
	}
	cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, n, 1, x, d, 0,
	    a, d);
	for (j = 0; j < d; j++)
		a[j * d + j] += pen != NULL ? pen[j] : 1;
	if (b0 != NULL) {	/* the rank-one term of the pulled intercept */
		kappa = 2 * C * S / (1 + 2 * C * S);
		for (i = 0; i < d; i++) {
			for (j = 0; j <= i; j++)
				a[i * d + j] += kappa * m[i] * m[j];
			w[i] += kappa * (ybar - *b0) * m[i];
		}
	}
	if (tl_cholesky_solve(a, d, w) != 0) {
		tl_errf(e, "ridge: normal equations not positive definite "
		    "(C %g too large for the data's scale?)", C);
		goto out;
	}
	*b = ybar;
	for (j = 0; j < d; j++)
		*b -= w[j] * m[j];
	if (b0 != NULL) {
		delta = (*b - *b0) / (1 + 2 * C * S);
		*b -= delta;
	}
	rc = 0;
out:
	free(m);
	free(a);
	return rc;
}
