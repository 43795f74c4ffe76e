/*
 * Sums of word vectors for pooling: ACC[j] += W[i] * X[i][j] over N float
 * rows in order, in double, for j < D (W NULL: every weight 1).  Every
 * instruction set gives the same result to the last bit as the plain
 * loop, so outputs do not depend on the CPU.
 */
#ifndef TL_ROWSUM_H
#define TL_ROWSUM_H

#include <stddef.h>

enum tl_isa {
	TL_ISA_BEST,		/* the widest this CPU has */
	TL_ISA_SCALAR,
	TL_ISA_SSE2,
	TL_ISA_AVX2,
	TL_ISA_AVX512		/* AVX-512 F and VL */
};

/* ACC[j] += W * X[j] for j < D. */
void	tl_rowsum_one(double *acc, const float *x, double w, size_t d);

/* The sums above with the widest instruction set the CPU has. */
void	tl_rowsum(double *acc, const float *const *x, const double *w,
	    size_t n, size_t d);

/* The same with ISA (for tests): 0, or -1 when this build or CPU lacks
 * it, and nothing is done. */
int	tl_rowsum_isa(enum tl_isa isa, double *acc,
	    const float *const *x, const double *w, size_t n, size_t d);

#endif
