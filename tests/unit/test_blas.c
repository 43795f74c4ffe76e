/*
 * The lazy OpenBLAS of blas.c: nothing is loaded until the first BLAS
 * call, a thread count set before it is applied by it, and the loaded
 * functions compute what BLAS does.  (tests/sh/blas-lazy.sh checks which
 * runs of the tools load it, and the message when it cannot be loaded.)
 */
#include <stdio.h>
#include <stdlib.h>

#include "blas.h"
#include "t.h"

static void
test_not_loaded_before_use(void)
{
	T_CHECK(!tl_blas_loaded());
	tl_blas_threads(1);	/* kept for the load, not a reason to load */
	tl_blas_quiet();
	T_CHECK(!tl_blas_loaded());
}

static void
test_first_call_loads(void)
{
	double x[3] = { 1, 2, 3 }, y[3] = { 4, -5, 6 };
	float a[4] = { 1, 2, 3, 4 }, b[2] = { 1, 1 }, c[2] = { 0, 0 };

	T_NEAR(cblas_ddot(3, x, 1, y, 1), 12, 0);
	T_CHECK(tl_blas_loaded());
	T_CHECK(openblas_get_num_threads() == 1);	/* the pending count */
	cblas_sgemv(CblasRowMajor, CblasNoTrans, 2, 2, 1, a, 2, b, 1, 0, c, 1);
	T_NEAR(c[0], 3, 0);
	T_NEAR(c[1], 7, 0);
	tl_blas_threads(2);
	T_CHECK(openblas_get_num_threads() == 2);
}

/* The filters' one thread yields to the user's OPENBLAS_NUM_THREADS. */
static void
test_filter_threads(void)
{
	tl_blas_threads(2);
	setenv("OPENBLAS_NUM_THREADS", "2", 1);
	tl_blas_filter_threads();
	T_CHECK(openblas_get_num_threads() == 2);
	unsetenv("OPENBLAS_NUM_THREADS");
	tl_blas_filter_threads();
	T_CHECK(openblas_get_num_threads() == 1);
}

int
main(void)
{
	T_RUN(test_not_loaded_before_use);
	T_RUN(test_first_call_loads);
	T_RUN(test_filter_threads);
	return t_done();
}
