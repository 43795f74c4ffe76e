/*
 * Weighted sums of float rows into double accumulators; see rowsum.h.
 *
 * Each variant adds the rows in order, in double, with a product and a
 * sum per term (no FMA: a fused product and sum would round once, not
 * twice), so every one gives the scalar loop's result to the last bit.
 * They differ in how many components they keep in registers across the
 * rows: 8 with SSE2, 16 with AVX2, up to 64 with AVX-512.
 */
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_ROWS
#endif

#include "rowsum.h"

void
tl_rowsum_one(double *acc, const float *x, double w, size_t d)
{
	for (size_t j = 0; j < d; j++)
		acc[j] += w * x[j];
}

/* The components from J on, 8 at a time, with SSE2.  Returns the
 * components done. */
static size_t
add_rows_sse2(double *acc, const float *const *x, const double *w,
    size_t n, size_t d, size_t j)
{
#ifdef __SSE2__
	for (; j + 8 <= d; j += 8) {
		__m128d a0 = _mm_loadu_pd(acc + j), a1 = _mm_loadu_pd(acc + j + 2);
		__m128d a2 = _mm_loadu_pd(acc + j + 4);
		__m128d a3 = _mm_loadu_pd(acc + j + 6);

		for (size_t i = 0; i < n; i++) {
			__m128 f = _mm_loadu_ps(x[i] + j);
			__m128 g = _mm_loadu_ps(x[i] + j + 4);
			__m128d x0 = _mm_cvtps_pd(f);
			__m128d x1 = _mm_cvtps_pd(_mm_movehl_ps(f, f));
			__m128d x2 = _mm_cvtps_pd(g);
			__m128d x3 = _mm_cvtps_pd(_mm_movehl_ps(g, g));

			if (w != NULL) {
				__m128d wi = _mm_set1_pd(w[i]);

				x0 = _mm_mul_pd(x0, wi);
				x1 = _mm_mul_pd(x1, wi);
				x2 = _mm_mul_pd(x2, wi);
				x3 = _mm_mul_pd(x3, wi);
			}
			a0 = _mm_add_pd(a0, x0);
			a1 = _mm_add_pd(a1, x1);
			a2 = _mm_add_pd(a2, x2);
			a3 = _mm_add_pd(a3, x3);
		}
		_mm_storeu_pd(acc + j, a0);
		_mm_storeu_pd(acc + j + 2, a1);
		_mm_storeu_pd(acc + j + 4, a2);
		_mm_storeu_pd(acc + j + 6, a3);
	}
#else
	(void)acc, (void)x, (void)w, (void)n, (void)d;
#endif
	return j;
}

#ifdef HAVE_X86_ROWS
/* The blocks of 16 components from the first, with AVX2, then the rest
 * 4 at a time.  Returns the components done. */
__attribute__((target("avx2"))) static size_t
add_rows_avx2(double *acc, const float *const *x, const double *w,
    size_t n, size_t d)
{
	size_t j = 0;

	for (; j + 16 <= d; j += 16) {
		__m256d a0 = _mm256_loadu_pd(acc + j);
		__m256d a1 = _mm256_loadu_pd(acc + j + 4);
		__m256d a2 = _mm256_loadu_pd(acc + j + 8);
		__m256d a3 = _mm256_loadu_pd(acc + j + 12);

		for (size_t i = 0; i < n; i++) {
			__m256 f = _mm256_loadu_ps(x[i] + j);
			__m256 g = _mm256_loadu_ps(x[i] + j + 8);
			__m256d x0 = _mm256_cvtps_pd(_mm256_castps256_ps128(f));
			__m256d x1 = _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));
			__m256d x2 = _mm256_cvtps_pd(_mm256_castps256_ps128(g));
			__m256d x3 = _mm256_cvtps_pd(_mm256_extractf128_ps(g, 1));

			if (w != NULL) {
				__m256d wi = _mm256_set1_pd(w[i]);

				x0 = _mm256_mul_pd(x0, wi);
				x1 = _mm256_mul_pd(x1, wi);
				x2 = _mm256_mul_pd(x2, wi);
				x3 = _mm256_mul_pd(x3, wi);
			}
			a0 = _mm256_add_pd(a0, x0);
			a1 = _mm256_add_pd(a1, x1);
			a2 = _mm256_add_pd(a2, x2);
			a3 = _mm256_add_pd(a3, x3);
		}
		_mm256_storeu_pd(acc + j, a0);
		_mm256_storeu_pd(acc + j + 4, a1);
		_mm256_storeu_pd(acc + j + 8, a2);
		_mm256_storeu_pd(acc + j + 12, a3);
	}
	/* the rest 4 at a time (d = 100, 300: a scalar tail of 4 took a
	 * fifth of the time of the blocks above) */
	for (; j + 4 <= d; j += 4) {
		__m256d a0 = _mm256_loadu_pd(acc + j);

		for (size_t i = 0; i < n; i++) {
			__m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x[i] + j));

			if (w != NULL)
				x0 = _mm256_mul_pd(x0, _mm256_set1_pd(w[i]));
			a0 = _mm256_add_pd(a0, x0);
		}
		_mm256_storeu_pd(acc + j, a0);
	}
	return j;
}

#define AVX512 __attribute__((target("avx512f,avx512vl")))

/* The M <= 8 * NACC components from OFF on, with NACC
 * AVX-512 accumulators of 8 doubles held across the rows (NACC is a
 * constant where this is inlined, so they stay in registers); the lanes
 * past M are masked, neither read nor written. */
static inline __attribute__((always_inline)) AVX512 void
rows_avx512(double *acc, const float *const *x, size_t off, const double *w,
    size_t n, size_t m, const int nacc)
{
	__m512d a[8];
	__mmask8 k[8];

#pragma GCC unroll 8
	for (int q = 0; q < nacc; q++) {
		size_t lo = 8 * (size_t)q;

		k[q] = m >= lo + 8 ? 0xff : (__mmask8)((1u << (m - lo)) - 1);
		a[q] = _mm512_maskz_loadu_pd(k[q], acc + off + lo);
	}
	for (size_t i = 0; i < n; i++)
#pragma GCC unroll 8
		for (int q = 0; q < nacc; q++) {
			__m512d v = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k[q],
			    x[i] + off + 8 * q));

			if (w != NULL)
				v = _mm512_mul_pd(v, _mm512_set1_pd(w[i]));
			a[q] = _mm512_add_pd(a[q], v);
		}
#pragma GCC unroll 8
	for (int q = 0; q < nacc; q++)
		_mm512_mask_storeu_pd(acc + off + 8 * q, k[q], a[q]);
}

/* Every component with AVX-512: 64 a pass, then 32, 16 and 8 at a
 * time (d = 100 in three passes over the rows, where AVX2 needs seven and
 * twice the instructions per row). */
AVX512 static void
add_rows_avx512(double *acc, const float *const *x, const double *w,
    size_t n, size_t d)
{
	size_t j = 0;

	for (; j + 64 <= d; j += 64)
		rows_avx512(acc, x, j, w, n, 64, 8);
	if (j + 32 <= d) {
		rows_avx512(acc, x, j, w, n, 32, 4);
		j += 32;
	}
	if (j + 16 <= d) {
		rows_avx512(acc, x, j, w, n, 16, 2);
		j += 16;
	}
	for (; j < d; j += 8)
		rows_avx512(acc, x, j, w, n, d - j < 8 ? d - j : 8, 1);
}
#endif

/* The rest of the components from J on, one row at a time. */
static void
add_rows_scalar(double *acc, const float *const *x, const double *w,
    size_t n, size_t d, size_t j)
{
	for (size_t i = 0; i < n && j < d; i++)
		tl_rowsum_one(acc + j, x[i] + j, w != NULL ? w[i] : 1, d - j);
}

/* Whether this build and this CPU can run ISA (not TL_ISA_BEST). */
static int
has(enum tl_isa isa)
{
	switch (isa) {
	case TL_ISA_SCALAR:
		return 1;
#ifdef __SSE2__
	case TL_ISA_SSE2:
		return 1;
#endif
#ifdef HAVE_X86_ROWS
	case TL_ISA_AVX2:
		return __builtin_cpu_supports("avx2");
	case TL_ISA_AVX512:
		return __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512vl");
#endif
	default:
		return 0;
	}
}

static enum tl_isa
best(void)
{
	return has(TL_ISA_AVX512) ? TL_ISA_AVX512 : has(TL_ISA_AVX2) ?
	    TL_ISA_AVX2 : has(TL_ISA_SSE2) ? TL_ISA_SSE2 : TL_ISA_SCALAR;
}

/* The sums with ISA, which has() allows: each path takes the components
 * it can, the narrower ones the rest. */
static void
add_rows(enum tl_isa isa, double *acc, const float *const *x,
    const double *w, size_t n, size_t d)
{
	size_t j = 0;

#ifdef HAVE_X86_ROWS
	if (isa == TL_ISA_AVX512) {
		add_rows_avx512(acc, x, w, n, d);
		return;
	}
	if (isa == TL_ISA_AVX2)
		j = add_rows_avx2(acc, x, w, n, d);
#endif
	if (isa != TL_ISA_SCALAR)
		j = add_rows_sse2(acc, x, w, n, d, j);
	add_rows_scalar(acc, x, w, n, d, j);
}

int
tl_rowsum_isa(enum tl_isa isa, double *acc, const float *const *x,
    const double *w, size_t n, size_t d)
{
	if (isa == TL_ISA_BEST)
		isa = best();
	if (!has(isa))
		return -1;
	add_rows(isa, acc, x, w, n, d);
	return 0;
}

void
tl_rowsum(double *acc, const float *const *x, const double *w, size_t n,
    size_t d)
{
	add_rows(best(), acc, x, w, n, d);
}
