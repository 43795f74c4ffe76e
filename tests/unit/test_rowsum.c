/*
 * Unit tests of the row sums behind pooling (rowsum.c): every instruction
 * set the CPU has gives the scalar loop's sums to the last bit, for every
 * width up to 300 (each block size and tail of each path), with weights
 * and without, from 0 to 9 rows.
 */
#include <stdlib.h>
#include <string.h>

#include "rowsum.h"
#include "t.h"

#define MAXD	300
#define MAXN	9

static void
test_same_bits(void)
{
	static const enum tl_isa isas[] = { TL_ISA_BEST, TL_ISA_SSE2,
	    TL_ISA_AVX2, TL_ISA_AVX512 };
	float *data = malloc(MAXN * MAXD * sizeof(float));
	const float *x[MAXN];
	double w[MAXN], want[MAXD], got[MAXD];
	unsigned long r = 7;
	size_t bad = 0, runs = 0;

	T_CHECK(data != NULL);
	if (data == NULL)
		return;
	for (size_t i = 0; i < MAXN * MAXD; i++) {
		r = r * 6364136223846793005UL + 1442695040888963407UL;
		data[i] = (float)((double)(r >> 11) / 9007199254740992.0 -
		    0.5) * 1000;
	}
	for (size_t i = 0; i < MAXN; i++) {
		x[i] = data + i * MAXD;
		w[i] = 1e-3 / (1e-3 + 1.0 / (double)(i + 3));
	}
	for (size_t d = 1; d <= MAXD; d++)
		for (size_t n = 0; n <= MAXN; n++)
			for (int weighted = 0; weighted < 2; weighted++) {
				const double *wp = weighted ? w : NULL;

				for (size_t j = 0; j < d; j++)
					want[j] = got[j] = 0.25 * (double)j;
				tl_rowsum_isa(TL_ISA_SCALAR, want, x, wp, n, d);
				for (size_t k = 0; k < sizeof(isas) /
				    sizeof(isas[0]); k++) {
					for (size_t j = 0; j < d; j++)
						got[j] = 0.25 * (double)j;
					if (tl_rowsum_isa(isas[k], got, x, wp, n,
					    d) == -1)
						continue;
					runs++;
					bad += memcmp(got, want, d *
					    sizeof(double)) != 0;
				}
			}
	T_CHECK(bad == 0);
	T_CHECK(runs >= 2 * MAXD * (MAXN + 1));	/* BEST at least */
	free(data);
}

int
main(void)
{
	T_RUN(test_same_bits);
	return t_done();
}
