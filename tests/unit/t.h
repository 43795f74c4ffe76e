/*
 * A minimal unit-test harness: each test is a function; T_CHECK records a
 * failure with its file and line and goes on; T_RUN prints one TAP line
 * ("ok NAME" / "not ok NAME") that tests/run.sh counts.  t_done() returns
 * the exit status for main.
 */
#ifndef TL_TEST_H
#define TL_TEST_H

#include <math.h>
#include <stdio.h>

static int t_failed_here, t_failures;

#define T_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		t_failed_here = 1;					\
	}								\
} while (0)

#define T_NEAR(a, b, tol) do {						\
	double t_a_ = (a), t_b_ = (b);					\
	if (!(fabs(t_a_ - t_b_) <= (tol))) {				\
		fprintf(stderr, "%s:%d: %s = %.9g, %s = %.9g, "		\
		    "differ by more than %g\n", __FILE__, __LINE__,	\
		    #a, t_a_, #b, t_b_, (double)(tol));			\
		t_failed_here = 1;					\
	}								\
} while (0)

#define T_RUN(fn) do {							\
	t_failed_here = 0;						\
	fn();								\
	printf("%s %s\n", t_failed_here ? "not ok" : "ok", #fn);	\
	t_failures += t_failed_here;					\
} while (0)

static inline int
t_done(void)
{
	return t_failures ? 1 : 0;
}

#endif
