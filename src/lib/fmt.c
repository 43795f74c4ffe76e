/*
 * Fast, exact text form of float32 values (see fmt.h): the inner loop of
 * every text vector stream, so neither direction calls printf or strtod
 * in the common case.
 *
 * Both directions meet in one question: does the decimal M * 10^Q round
 * to a given float32?  round_fast() answers it with a single double
 * product, M * 10^Q.  That product carries at most three double roundings
 * (M to double, the table's 10^Q, the product itself), so it is within 4
 * units in the last place (ulps) of the exact value; a float32 has 29 bits
 * fewer than a double, so the exact value and the product round to the
 * same float unless the product lies within those 4 ulps of a float
 * midpoint.  When M * 10^Q is itself a double the product is exact and
 * the conversion to float rounds it correctly, midpoint or not.
 * Otherwise, near a midpoint (a few inputs in 10^7, and decimals like
 * 8388608.5 that are exactly one) round_slow() hands a canonical copy of
 * the digits to strtof(), which is exact.
 *
 * tl_fmt_float tries 1, 2, ... 9 significant digits, each correctly
 * rounded from X, and writes the first that reads back as X (9 always
 * does): the shortest correctly rounded decimal, in %g's layout.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

/* 10^k for k in [P10_MIN, P10_MAX], each the correctly rounded double
 * (the compiler converts the literals exactly). */
#define P10_MIN	(-64)
#define P10_MAX	64
static const double p10_tab[P10_MAX - P10_MIN + 1] = {
	1e-64, 1e-63, 1e-62, 1e-61, 1e-60, 1e-59, 1e-58, 1e-57,
	1e-56, 1e-55, 1e-54, 1e-53, 1e-52, 1e-51, 1e-50, 1e-49,
	1e-48, 1e-47, 1e-46, 1e-45, 1e-44, 1e-43, 1e-42, 1e-41,
	1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35, 1e-34, 1e-33,
	1e-32, 1e-31, 1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25,
	1e-24, 1e-23, 1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17,
	1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9,
	1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1,
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
	1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31,
	1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39,
	1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47,
	1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55,
	1e56, 1e57, 1e58, 1e59, 1e60, 1e61, 1e62, 1e63,
	1e64,
};
#define P10(k)	(p10_tab[(k) - P10_MIN])

static const uint64_t u10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL
};

/* The largest M for which M * 5^Q fits in 53 bits, for Q in [0, 22]:
 * then M * 10^Q is a double and the product below is exact. */
static const uint64_t exact5_max[23] = {
	9007199254740991ULL, 1801439850948198ULL, 360287970189639ULL,
	72057594037927ULL, 14411518807585ULL, 2882303761517ULL,
	576460752303ULL, 115292150460ULL, 23058430092ULL, 4611686018ULL,
	922337203ULL, 184467440ULL, 36893488ULL, 7378697ULL, 1475739ULL,
	295147ULL, 59029ULL, 11805ULL, 2361ULL, 472ULL, 94ULL, 18ULL, 3ULL,
};

/*
 * Decimal exponents of the leading digit beyond which a value certainly
 * overflows float32 (>= 1e39) or certainly rounds to zero (< 1e-46, below
 * half the smallest denormal, 2^-150 ~ 7.0e-46).
 */
#define LEAD_MAX	38
#define LEAD_MIN	(-46)

/* Significant digits kept for strtof: a float midpoint has at most 112,
 * so 200 digits and a sticky '1' for the rest decide the rounding exactly. */
#define SLOW_DIGITS	200

/* Half a float ulp in the 29 low bits of a double, and the distance from
 * it, in double ulps, under which the product cannot decide. */
#define MID29		0x10000000u
#define WINDOW		8u

/*
 * Round M * 10^Q (M a positive integer below 2^64, rounded to double; Q in
 * [P10_MIN, P10_MAX]; the exact value possibly a little above it when
 * digits were dropped after M's 19) to float32.
 * Returns 1 with *OUT set (inf on overflow), or 0 when the double product
 * is too close to a float midpoint to tell which way the exact value goes.
 */
static int
round_fast(double m, int q, float *out)
{
	double d = m * P10(q);

	if (q >= 0 && q <= 22 && m <= (double)exact5_max[q]) {
		/* exact: the one rounding is to float, ties to even
		 * (integers such as 614100000 are often float midpoints) */
		*out = (float)d;
		return 1;
	}
	if (d >= 0x1p-126) {
		/* normal float: its midpoints have the 29 low bits of a
		 * double's significand equal to MID29 */
		uint64_t bits, low;

		memcpy(&bits, &d, sizeof(bits));
		low = bits & 0x1fffffff;
		if (low - (MID29 - WINDOW) <= 2 * WINDOW)
			return 0;
	} else {
		/* denormal: midpoints are the odd multiples of 2^-150; t is
		 * exact (scaling by a power of two), and 8 ulps of d are at
		 * most t * 2^-49 after scaling */
		double t = d * 0x1p150;
		double r = t - 2.0 * floor(t * 0.5);

		if (fabs(r - 1.0) <= t * 0x1p-49)
			return 0;
	}
	*out = (float)d;
	return 1;
}

/* Round 0.DIG * 10^EXP to float32 with strtof (N <= SLOW_DIGITS + 1
 * digits at DIG; EXP is small, the caller checked the range). */
static float
round_slow(const char *dig, size_t n, int exp)
{
	char buf[SLOW_DIGITS + 32], *p = buf;

	*p++ = '0';
	*p++ = '.';
	memcpy(p, dig, n);
	p += n;
	*p++ = 'e';
	if (exp < 0) {
		*p++ = '-';
		exp = -exp;
	}
	p = tl_fmt_u64(p, (uint64_t)exp);
	*p = '\0';
	return strtof(buf, NULL);
}

char *
tl_fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* ---------------------------------------------------------------- parse */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Collect the significant digits of the mantissa [S, END) (sign already
 * skipped) for strtof: at most SLOW_DIGITS, then a sticky '1' when any
 * digit after them is nonzero.  Returns the number of digits in DIG. */
static size_t
slow_digits(const char *s, const char *end, char *dig)
{
	size_t n = 0;
	int sticky = 0;

	for (; s < end; s++) {
		if (!is_digit(*s) || (n == 0 && *s == '0'))
			continue;
		if (n < SLOW_DIGITS)
			dig[n++] = *s;
		else if (*s != '0')
			sticky = 1;
	}
	if (sticky)
		dig[n++] = '1';
	return n;
}

const char *
tl_parse_float(const char *s, const char *end, float *out)
{
	const char *p = s, *mant, *mant_end;
	uint64_t m = 0;
	int64_t exp10 = 0, lead;
	int neg = 0, any = 0, kept = 0;
	float f;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	mant = p;
	/* value = m * 10^exp10, m holding the first 19 significant digits;
	 * the strtof path rereads any dropped ones */
	for (; p < end && is_digit(*p); p++) {
		any = 1;
		if (kept < 19) {
			m = m * 10 + (uint64_t)(*p - '0');
			kept += m != 0;
		} else
			exp10++;
	}
	if (p < end && *p == '.')
		for (p++; p < end && is_digit(*p); p++) {
			any = 1;
			if (kept < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				kept += m != 0;
				exp10--;
			}
		}
	if (!any)
		return NULL;
	mant_end = p;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int64_t ev = 0;
		int eneg = 0;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || !is_digit(*p))
			return NULL;	/* "1e", "1e+": not a number */
		for (; p < end && is_digit(*p); p++)
			if (ev < 1000000000)	/* far beyond any float */
				ev = ev * 10 + (*p - '0');
		exp10 += eneg ? -ev : ev;
	}
	lead = exp10 + kept - 1;	/* decimal exponent of the first digit */
	if (m == 0 || lead < LEAD_MIN) {
		*out = neg ? -0.0f : 0.0f;
		return p;
	}
	if (lead > LEAD_MAX)
		return NULL;
	if (!round_fast((double)m, (int)exp10, &f)) {
		char dig[SLOW_DIGITS + 1];

		f = round_slow(dig, slow_digits(mant, mant_end, dig),
		    (int)lead + 1);
	}
	if (isinf(f))
		return NULL;
	*out = neg ? -f : f;
	return p;
}

/* --------------------------------------------------------------- format */

/* Does the decimal M * 10^Q (M an integer below 2^52) read back as A? */
static int
reads_back(double m, int q, float a)
{
	char dig[20];
	float f;

	if (!round_fast(m, q, &f)) {
		size_t n = (size_t)(tl_fmt_u64(dig, (uint64_t)m) - dig);

		f = round_slow(dig, n, q + (int)n);
	}
	return f == a;
}

/* Write the N digits of M, whose first digit has the decimal exponent
 * LEAD, laid out as printf's %.PRECg would (M has no trailing zero). */
static char *
layout(char *p, uint64_t m, int n, int lead, int prec)
{
	char dig[20];
	int i;

	tl_fmt_u64(dig, m);
	if (lead >= -4 && lead < prec) {
		if (lead < 0) {
			*p++ = '0';
			*p++ = '.';
			for (i = -1; i > lead; i--)
				*p++ = '0';
			memcpy(p, dig, (size_t)n);
			return p + n;
		}
		for (i = 0; i < n || i <= lead; i++) {
			if (i == lead + 1)
				*p++ = '.';
			*p++ = i < n ? dig[i] : '0';
		}
		return p;
	}
	*p++ = dig[0];
	if (n > 1) {
		*p++ = '.';
		memcpy(p, dig + 1, (size_t)n - 1);
		p += n - 1;
	}
	*p++ = 'e';
	*p++ = lead < 0 ? '-' : '+';
	if (lead < 0)
		lead = -lead;
	if (lead < 10)
		*p++ = '0';
	return tl_fmt_u64(p, (uint64_t)lead);
}

/* The N-digit decimal nearest to A, whose first digit has the decimal
 * exponent LEAD, as M * 10^Q, M an integer kept in a double (rounded ties
 * to even without a libm call: adding 2^52 leaves no fraction bits).  A
 * rounding that carries into one more digit (9.96 -> 10 for N = 2) needs
 * no care: callers use the value. */
static double
nearest(double a, int lead, int n, int *q)
{
	*q = lead - n + 1;
	return (a * P10(-*q) + 0x1p52) - 0x1p52;
}

/* The decimal exponent of the first digit of AD (positive, normal as a
 * double): floor(e2 * log10(2)) or one more (78913 / 2^18 is log10(2) to
 * 6 digits, exact for |e2| < 1000). */
static int
lead_of(double ad)
{
	uint64_t bits;
	int lead;

	memcpy(&bits, &ad, sizeof(bits));
	lead = (((int)(bits >> 52) - 1023) * 78913) >> 18;
	return ad >= P10(lead + 1) ? lead + 1 : lead;
}

/* Write the decimal M * 10^Q (M > 0) without M's trailing zeros, laid
 * out as %.PRECg would. */
static char *
put_decimal(char *p, uint64_t m, int q, int prec)
{
	int n;

	while (m % 10 == 0) {
		m /= 10;
		q++;
	}
	for (n = 1; n < 20 && m >= u10[n]; n++)
		;
	return layout(p, m, n, q + n - 1, prec);
}

char *
tl_fmt_float(char *p, float x)
{
	float a = fabsf(x);
	double ad = a;
	uint64_t bits, m;
	double md;
	int lead, n, lo, hi, q;

	if (signbit(x))
		*p++ = '-';
	if (a == 0.0f) {
		*p++ = '0';
		return p;
	}
	memcpy(&bits, &ad, sizeof(bits));
	lead = lead_of(ad);
	/*
	 * Find the fewest digits that read back; 9 always do.  If N digits
	 * read back, so do N + 1 (the nearest (N+1)-digit decimal is at least
	 * as near to A), so bisect.  Just above a power of two the floats
	 * are twice as far apart as below it, the reading-back interval is
	 * lopsided and that argument fails: search those in order.
	 */
	lo = 1;
	hi = 9;
	if ((bits & 0x000fffffffffffffULL) == 0) {
		while (lo < hi && (md = nearest(ad, lead, lo, &q),
		    !reads_back(md, q, a)))
			lo++;
		hi = lo;
	}
	while (lo < hi) {
		n = (lo + hi) / 2;
		md = nearest(ad, lead, n, &q);
		if (reads_back(md, q, a))
			hi = n;
		else
			lo = n + 1;
	}
	m = (uint64_t)nearest(ad, lead, hi, &q);
	return put_decimal(p, m, q, 9);
}

/*
 * %.DIGITSg through one exact product: X = M2 * 2^E2 with M2 < 2^24, so
 * X * 10^K = M2 * 5^K * 2^(E2 + K) is a double, exactly, for K in
 * [0, 12] (5^12 < 2^29), and rounding it to an integer ties to even, as
 * glibc's printf does on exact ties.  Other K (|X| >= 10^DIGITS, tiny
 * values) go to snprintf.
 */
char *
tl_fmt_float_digits(char *p, float x, int digits)
{
	double ad = fabsf(x), md;
	int lead, k;

	if (digits <= 0 || digits > 9)
		return tl_fmt_float(p, x);
	if (ad == 0 || !isfinite(ad) ||
	    (k = digits - 1 - (lead = lead_of(ad))) < 0 || k > 12) {
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "%.*g", digits, (double)x);

		memcpy(p, buf, (size_t)n);
		return p + n;
	}
	if (signbit(x))
		*p++ = '-';
	md = (ad * P10(k) + 0x1p52) - 0x1p52;
	if (md >= (double)u10[digits]) {	/* 9.9999996 -> 10.0000 */
		md /= 10;
		k--;
	}
	return put_decimal(p, (uint64_t)md, -k, digits);
}
