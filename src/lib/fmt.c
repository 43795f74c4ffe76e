/*
 * Fast, exact text form of float32 values (see fmt.h): the inner loop of
 * every text vector stream, so neither direction calls printf or strtod
 * in the common case.
 *
 * Parsing asks one question: which float32 does the decimal M * 10^Q
 * round to?  round_fast() answers it with a single double
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
 * tl_fmt_float finds the shortest decimal that reads back as X, the
 * nearest to X when there are several, with integer arithmetic only
 * (Schubfach, below), and writes it in %g's layout.  tl_fmt_float_digits
 * rounds to a given number of digits with one exact double product.
 * tl_fmt_floats does a row, with AVX-512 when the processor has it.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

/* AVX-512 for tl_fmt_floats (below), chosen at run time. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X8	1
#else
#define HAVE_X8	0
#endif

/* The formatting helpers are inlined into each caller's loop: a call
 * per value and its register saves cost more than a fifth of the time. */
#if defined(__GNUC__)
#define INLINE	static inline __attribute__((always_inline))
#else
#define INLINE	static inline
#endif

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

/* "00" "01" ... "99", for exponents and integers. */
static const char dig2[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Two digits per division: ids and sparse indices are formatted once per
 * record, and a digit at a time cost 100 instructions for a 5-digit id. */
char *
tl_fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	for (; v >= 100; v /= 100) {
		n -= 2;
		memcpy(tmp + n, dig2 + 2 * (v % 100), 2);
	}
	if (v >= 10) {
		n -= 2;
		memcpy(tmp + n, dig2 + 2 * v, 2);
	} else
		tmp[--n] = (char)('0' + v);
	memcpy(p, tmp + n, sizeof(tmp) - n);
	return p + sizeof(tmp) - n;
}

/*
 * The nine decimal digits of M (< 10^9), zero-padded, as values 0 to 9:
 * the first in *D0, the other eight in the bytes of the result, the
 * second digit in the low byte.  SWAR: M % 10^8 goes into two 32-bit
 * lanes of four digits each, every lane into two 16-bit lanes of a pair,
 * every pair into two bytes, one multiplication splitting all lanes at
 * once: (x * 10486) >> 20 is x / 100 for x < 10^4, (x * 103) >> 10 is
 * x / 10 for x < 100, and no lane's product reaches into the next.
 */
INLINE uint64_t
nine_digits(uint32_t m, uint32_t *d0)
{
	uint32_t lo = m % 100000000;
	uint64_t v = lo / 10000 | (uint64_t)(lo % 10000) << 32, t;

	*d0 = m / 100000000;
	t = (v * 10486 >> 20) & 0x0000007f0000007fULL;
	v = t | (v - t * 100) << 16;
	t = (v * 103 >> 10) & 0x000f000f000f000fULL;
	return t | (v - t * 10) << 8;
}

#define ZEROS8	0x3030303030303030ULL	/* "00000000" as a word */

/* The exponent "e-07", "e+38" (|LEAD| < 100) at P; returns past it. */
INLINE char *
put_exponent(char *p, int lead)
{
	int a = lead < 0 ? -lead : lead;

	p[0] = 'e';
	p[1] = lead < 0 ? '-' : '+';
	memcpy(p + 2, dig2 + 2 * a, 2);
	return p + 4;
}

/*
 * Lay out the decimal whose N significant digits are H and the bytes of
 * V, the first digit's decimal exponent LEAD, as printf's %.PRECg would
 * (PREC <= 9).  The digits stay in registers, padded with '0' in V:
 * every layout stores them whole and ends the text after the N
 * significant ones; no digit is stored and reloaded (a stall of store
 * forwarding).  Writes up to P + 15.
 */
INLINE char *
layout(char *p, uint32_t h, uint64_t v, int n, int lead, int prec)
{
	if (lead < 0 && lead >= -4) {	/* "0.00123" */
		char *d = p + 1 - lead;

		memcpy(p, "0.000000", 8);
		*d = (char)h;
		memcpy(d + 1, &v, 8);
		return d + n;
	}
	*p = (char)h;
	if (lead >= 0 && lead < prec) {	/* "1200", "12.5" */
		memcpy(p + 1, &v, 8);
		if (n <= lead + 1)	/* an integer: V holds its zeros */
			return p + lead + 1;
		p[lead + 1] = '.';
		v >>= 8 * lead;	/* the fraction's digits */
		if (lead <= 5)
			memcpy(p + lead + 2, &v, 8);
		else		/* at most two */
			memcpy(p + lead + 2, &v, 2);
		return p + n + 1;
	}
	p[1] = '.';		/* "1.5e-07", "1e+20" */
	memcpy(p + 2, &v, 8);
	return put_exponent(p + n + (n > 1), lead);
}

/*
 * Write the decimal M * 10^Q (0 < M < 10^9, trailing zeros allowed) laid
 * out as %.PRECg would.  The trailing zeros are counted, not divided
 * away, and nothing branches on the digits.
 */
INLINE char *
put_decimal(char *p, uint32_t m, int q, int prec)
{
	uint32_t d0, h;
	uint64_t w = nine_digits(m, &d0), s, v, all;
	int nd, n;

	/* digits: floor(bits * log10(2)), or one more (1233 / 2^12) */
	nd = ((32 - __builtin_clz(m)) * 1233) >> 12;
	nd += m >= u10[nd];
	/* trailing zeros: the zero bytes at the top of W */
	n = nd - ((__builtin_clzll(w | 1) + (w == 0)) >> 3);
	/* the nine digits past their 9 - ND leading zeros: when ND < 9 the
	 * first is byte 8 - ND of W */
	s = w >> (8 * (8 - nd) & 63);
	if (prec < 9)	/* --digits: ND <= DIGITS < 9 (a steady branch) */
		return layout(p, ((uint32_t)s & 0xff) | '0', (s >> 8) | ZEROS8,
		    n, q + nd - 1, prec);
	/* else chosen by a mask, not a branch on ND, which would
	 * mispredict (and computed beside ND, not after it) */
	all = 0 - (uint64_t)(nd == 9);
	h = (d0 & (uint32_t)all) | ((uint32_t)s & 0xff & ~(uint32_t)all);
	v = (w & all) | (s >> 8 & ~all);
	return layout(p, h | '0', v | ZEROS8, n, q + nd - 1, prec);
}

/* The decimal exponent of the first digit of AD (positive, normal as a
 * double): floor(e2 * log10(2)) or one more (78913 / 2^18 is log10(2) to
 * 6 digits, exact for |e2| < 1000). */
INLINE int
lead_of(double ad)
{
	uint64_t bits;
	int lead;

	memcpy(&bits, &ad, sizeof(bits));
	lead = (((int)(bits >> 52) - 1023) * 78913) >> 18;
	return ad >= P10(lead + 1) ? lead + 1 : lead;
}

/*
 * The shortest decimal: Giulietti's Schubfach ("The Schubfach way to
 * render doubles", 2020) for float32.  A positive float is v = c * 2^q;
 * the decimals that read back as v are those strictly inside (or, for an
 * even c, on the edge of) the interval between the midpoints to its
 * neighbours, c - 1/2 and c + 1/2 in units of 2^q (c - 1/4 below a power
 * of two, where the float below is nearer).  With k the largest integer
 * such that 10^k <= 2^q (10^k <= 3/4 * 2^q below a power of two), the
 * interval scaled by 10^-k is at least 1 wide, so it holds at most one
 * multiple of 10 (a decimal of one digit fewer) and at least one integer:
 * the shortest is the multiple of 10 if there is one, else the integer
 * nearest to v * 10^-k.  The scaled bounds come from 64-bit
 * approximations g of 10^-k, rounded up, multiplied by the 4x scaled
 * bounds and rounded to odd: exact enough to decide every comparison
 * (the paper's proof).  It was checked against tl's former search (try
 * 1, 2, ... 9 digits, each correctly rounded, until one reads back) on
 * every float, and tests/unit/test_fmt.c checks 2^24 of them against the
 * C library.
 */

/* g(k) = ceil(10^k / 2^r), r = floor(log2 10^k) - 63, for k in
 * [G_KMIN, G_KMIN + 76]: 2^63 <= g(k) < 2^64. */
#define G_KMIN	(-31)
static const uint64_t g10[77] = {
	0x81CEB32C4B43FCF5ULL, 0xA2425FF75E14FC32ULL, 0xCAD2F7F5359A3B3FULL,
	0xFD87B5F28300CA0EULL, 0x9E74D1B791E07E49ULL, 0xC612062576589DDBULL,
	0xF79687AED3EEC552ULL, 0x9ABE14CD44753B53ULL, 0xC16D9A0095928A28ULL,
	0xF1C90080BAF72CB2ULL, 0x971DA05074DA7BEFULL, 0xBCE5086492111AEBULL,
	0xEC1E4A7DB69561A6ULL, 0x9392EE8E921D5D08ULL, 0xB877AA3236A4B44AULL,
	0xE69594BEC44DE15CULL, 0x901D7CF73AB0ACDAULL, 0xB424DC35095CD810ULL,
	0xE12E13424BB40E14ULL, 0x8CBCCC096F5088CCULL, 0xAFEBFF0BCB24AAFFULL,
	0xDBE6FECEBDEDD5BFULL, 0x89705F4136B4A598ULL, 0xABCC77118461CEFDULL,
	0xD6BF94D5E57A42BDULL, 0x8637BD05AF6C69B6ULL, 0xA7C5AC471B478424ULL,
	0xD1B71758E219652CULL, 0x83126E978D4FDF3CULL, 0xA3D70A3D70A3D70BULL,
	0xCCCCCCCCCCCCCCCDULL, 0x8000000000000000ULL, 0xA000000000000000ULL,
	0xC800000000000000ULL, 0xFA00000000000000ULL, 0x9C40000000000000ULL,
	0xC350000000000000ULL, 0xF424000000000000ULL, 0x9896800000000000ULL,
	0xBEBC200000000000ULL, 0xEE6B280000000000ULL, 0x9502F90000000000ULL,
	0xBA43B74000000000ULL, 0xE8D4A51000000000ULL, 0x9184E72A00000000ULL,
	0xB5E620F480000000ULL, 0xE35FA931A0000000ULL, 0x8E1BC9BF04000000ULL,
	0xB1A2BC2EC5000000ULL, 0xDE0B6B3A76400000ULL, 0x8AC7230489E80000ULL,
	0xAD78EBC5AC620000ULL, 0xD8D726B7177A8000ULL, 0x878678326EAC9000ULL,
	0xA968163F0A57B400ULL, 0xD3C21BCECCEDA100ULL, 0x84595161401484A0ULL,
	0xA56FA5B99019A5C8ULL, 0xCECB8F27F4200F3AULL, 0x813F3978F8940985ULL,
	0xA18F07D736B90BE6ULL, 0xC9F2C9CD04674EDFULL, 0xFC6F7C4045812297ULL,
	0x9DC5ADA82B70B59EULL, 0xC5371912364CE306ULL, 0xF684DF56C3E01BC7ULL,
	0x9A130B963A6C115DULL, 0xC097CE7BC90715B4ULL, 0xF0BDC21ABB48DB21ULL,
	0x96769950B50D88F5ULL, 0xBC143FA4E250EB32ULL, 0xEB194F8E1AE525FEULL,
	0x92EFD1B8D0CF37BFULL, 0xB7ABC627050305AEULL, 0xE596B7B0C643C71AULL,
	0x8F7E32CE7BEA5C70ULL, 0xB35DBF821AE4F38CULL,
};

/* floor(e * log2(10)) for |e| < 1000 (1741647 / 2^19 is log2(10) to 7
 * digits) */
INLINE int
floor_log2_pow10(int e)
{
	return (e * 1741647) >> 19;
}

/* The 32 bits of G * CP / 2^64, rounded to odd: a sticky last bit for
 * what was dropped beyond the slack of G's rounding.  One 64 x 64-bit
 * multiplication (CP < 2^32, so the product has 96 bits). */
INLINE uint32_t
round_to_odd(uint64_t g, uint32_t cp)
{
	unsigned __int128 r = (unsigned __int128)g * cp;

	return (uint32_t)(r >> 64) | ((uint32_t)(r >> 32) > 1);
}

/* The shortest decimal S * 10^*K that reads back as the positive finite
 * float of bits U, the one nearest to it among several. */
INLINE uint32_t
shortest(uint32_t u, int *k10)
{
	uint32_t frac = u & 0x7fffff, bexp = u >> 23, c, vbl, vb, vbr, lo, hi;
	uint32_t s, sp, r, fewer;
	int q, k, h, odd, closer;
	uint64_t g;

	c = bexp != 0 ? frac | 0x800000 : frac;
	q = bexp != 0 ? (int)bexp - 150 : -149;
	if (bexp != 0 && q <= 0 && q > -24 && (c & ((1u << -q) - 1)) == 0) {
		*k10 = 0;	/* an integer below 2^24: itself */
		return c >> -q;
	}
	odd = c & 1;
	closer = frac == 0 && bexp > 1;
	/* 1233 / 2^12 is log10(2), 512 / 2^12 -log10(3/4), to 3 digits */
	k = (q * 1233 - (closer ? 512 : 0)) >> 12;
	h = q + floor_log2_pow10(-k) + 1;	/* 1 to 4 */
	g = g10[-k - G_KMIN];
	vbl = round_to_odd(g, (4 * c - 2 + (uint32_t)closer) << h);
	vb = round_to_odd(g, (4 * c) << h);
	vbr = round_to_odd(g, (4 * c + 2) << h);
	lo = vbl + (uint32_t)odd;	/* the edges count when c is even */
	hi = vbr - (uint32_t)odd;
	/* every candidate is computed, and chosen by masks, not branches:
	 * which one wins depends on the digits, so branches mispredict */
	s = vb / 4;
	sp = s / 10;		/* one digit fewer: a multiple of 10 */
	/* the interval is under 40 wide: never both 40 sp and 40 sp + 40 */
	fewer = 0u - (uint32_t)((s >= 10) &
	    ((lo <= 40 * sp) | (40 * sp + 40 <= hi)));
	r = sp + (40 * sp + 40 <= hi);
	/* else at least one of 4 s and 4 s + 4 is in: the one that is, or
	 * of both the nearer, ties to even (vb & 3 is the fraction) */
	s += (uint32_t)((lo > 4 * s) |
	    ((4 * s + 4 <= hi) & ((vb & 3) + (s & 1) > 2)));
	*k10 = k + (int)(fewer & 1);
	return (r & fewer) | (s & ~fewer);
}

/* tl_fmt_float for the bits U of X, its digits M * 10^K from shortest()
 * (anything for a zero). */
INLINE char *
put_shortest(char *p, uint32_t u, uint32_t m, int k)
{
	*p = '-';		/* kept for a negative X, without a branch */
	p += u >> 31;
	if ((u & 0x7fffffff) == 0) {
		*p = '0';
		return p + 1;
	}
	return put_decimal(p, m, k, 9);
}

char *
tl_fmt_float(char *p, float x)
{
	uint32_t u, m;
	int k;

	memcpy(&u, &x, sizeof(u));
	m = shortest(u & 0x7fffffff, &k);
	return put_shortest(p, u, m, k);
}

/*
 * %.DIGITSg through one exact product: X = M2 * 2^E2 with M2 < 2^24, so
 * X * 10^K = M2 * 5^K * 2^(E2 + K) is a double, exactly, for K in
 * [0, 12] (5^12 < 2^29), and rounding it to an integer ties to even, as
 * glibc's printf does on exact ties.  Other K (|X| >= 10^DIGITS, tiny
 * values) go to snprintf.
 */
static char *
printf_digits(char *p, float x, int digits)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%.*g", digits, (double)x);

	memcpy(p, buf, (size_t)n);
	return p + n;
}

/* tl_fmt_float_digits for DIGITS in [1, 9]. */
INLINE char *
fmt_digits(char *p, float x, int digits)
{
	double ad = fabsf(x), md;
	int lead, k;

	if (ad == 0 || !isfinite(ad) ||
	    (k = digits - 1 - (lead = lead_of(ad))) < 0 || k > 12)
		return printf_digits(p, x, digits);
	*p = '-';
	p += signbit(x) != 0;
	md = (ad * P10(k) + 0x1p52) - 0x1p52;
	if (md >= (double)u10[digits]) {	/* 9.9999996 -> 10.0000 */
		md /= 10;
		k--;
	}
	return put_decimal(p, (uint32_t)md, -k, digits);
}

char *
tl_fmt_float_digits(char *p, float x, int digits)
{
	if (digits <= 0 || digits > 9)
		return tl_fmt_float(p, x);
	return fmt_digits(p, x, digits);
}

#if HAVE_X8
/*
 * shortest() for 8 values at once with AVX-512 (F, DQ and CD), where the
 * processor has it (GCC and Clang compile these functions for it alone;
 * have_x8() asks at run time): the same integer steps in the 64-bit
 * lanes of a vector, each choice a mask.  round_to_odd() multiplies in
 * 32-bit halves (G's low and high words by CP), as vectors have no
 * 64 x 64-bit product.  Zero gives any M (the caller writes "0").
 */
#define X8	__attribute__((target("avx512f,avx512dq,avx512cd")))
#define X8_INLINE	X8 static inline __attribute__((always_inline))

X8_INLINE __m512i
round_to_odd8(__m512i g, __m512i cp)
{
	const __m512i one = _mm512_set1_epi64(1);
	__m512i lo = _mm512_mul_epu32(g, cp);
	__m512i hi = _mm512_add_epi64(_mm512_mul_epu32(
	    _mm512_srli_epi64(g, 32), cp), _mm512_srli_epi64(lo, 32));
	__mmask8 sticky = _mm512_cmpgt_epu64_mask(_mm512_and_si512(hi,
	    _mm512_set1_epi64(0xffffffff)), one);

	hi = _mm512_srli_epi64(hi, 32);
	return _mm512_mask_or_epi64(hi, sticky, hi, one);
}

/* The shortest digits *M * 10^*K of the 8 floats at X (their sign
 * ignored). */
X8_INLINE void
shortest8(const float *x, __m512i *mo, __m512i *ko)
{
	const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
	__m512i u, frac, bexp, c, q, cl, k, nk, h, g, c4, vbl, vb, vbr, lo;
	__m512i hi, s, sp, t40, r, m, e;
	__mmask8 nz, closer, fewer, inc, in_int;

	u = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const void *)x));
	u = _mm512_and_si512(u, _mm512_set1_epi64(0x7fffffff));
	frac = _mm512_and_si512(u, _mm512_set1_epi64(0x7fffff));
	bexp = _mm512_srli_epi64(u, 23);
	nz = _mm512_test_epi64_mask(bexp, bexp);
	c = _mm512_mask_or_epi64(frac, nz, frac, _mm512_set1_epi64(0x800000));
	q = _mm512_mask_sub_epi64(_mm512_set1_epi64(-149), nz, bexp,
	    _mm512_set1_epi64(150));
	closer = _mm512_testn_epi64_mask(frac, frac) &
	    _mm512_cmpgt_epu64_mask(bexp, one);
	cl = _mm512_maskz_mov_epi64(closer, one);
	k = _mm512_srai_epi64(_mm512_sub_epi64(_mm512_mul_epi32(q,
	    _mm512_set1_epi64(1233)), _mm512_slli_epi64(cl, 9)), 12);
	nk = _mm512_sub_epi64(zero, k);
	h = _mm512_add_epi64(_mm512_add_epi64(q, _mm512_srai_epi64(
	    _mm512_mul_epi32(nk, _mm512_set1_epi64(1741647)), 19)), one);
	g = _mm512_i64gather_epi64(_mm512_sub_epi64(nk,
	    _mm512_set1_epi64(G_KMIN)), (const void *)g10, 8);
	c4 = _mm512_slli_epi64(c, 2);
	vbl = round_to_odd8(g, _mm512_sllv_epi64(_mm512_add_epi64(c4,
	    _mm512_sub_epi64(cl, _mm512_set1_epi64(2))), h));
	vb = round_to_odd8(g, _mm512_sllv_epi64(c4, h));
	vbr = round_to_odd8(g, _mm512_sllv_epi64(_mm512_add_epi64(c4,
	    _mm512_set1_epi64(2)), h));
	lo = _mm512_add_epi64(vbl, _mm512_and_si512(c, one));
	hi = _mm512_sub_epi64(vbr, _mm512_and_si512(c, one));
	s = _mm512_srli_epi64(vb, 2);
	sp = _mm512_srli_epi64(_mm512_mul_epu32(s,
	    _mm512_set1_epi64(0xcccccccd)), 35);
	t40 = _mm512_add_epi64(_mm512_slli_epi64(sp, 5),
	    _mm512_slli_epi64(sp, 3));
	/* one digit fewer: a multiple of 10 in the interval */
	inc = _mm512_cmple_epu64_mask(_mm512_add_epi64(t40,
	    _mm512_set1_epi64(40)), hi);
	fewer = _mm512_cmpge_epu64_mask(s, _mm512_set1_epi64(10)) &
	    (_mm512_cmple_epu64_mask(lo, t40) | inc);
	r = _mm512_mask_add_epi64(sp, inc, sp, one);
	/* else s or s + 1 */
	t40 = _mm512_slli_epi64(s, 2);
	inc = _mm512_cmpgt_epu64_mask(lo, t40) |
	    (_mm512_cmple_epu64_mask(_mm512_add_epi64(t40,
	    _mm512_set1_epi64(4)), hi) &
	    _mm512_cmpgt_epu64_mask(_mm512_add_epi64(_mm512_and_si512(vb,
	    _mm512_set1_epi64(3)), _mm512_and_si512(s, one)),
	    _mm512_set1_epi64(2)));
	m = _mm512_mask_add_epi64(s, inc, s, one);
	m = _mm512_mask_mov_epi64(m, fewer, r);
	k = _mm512_mask_add_epi64(k, fewer, k, one);
	/* an integer below 2^24: itself */
	e = _mm512_sub_epi64(zero, q);
	in_int = nz & _mm512_cmple_epi64_mask(q, zero) &
	    _mm512_cmpgt_epi64_mask(q, _mm512_set1_epi64(-24));
	in_int &= _mm512_testn_epi64_mask(c, _mm512_sub_epi64(
	    _mm512_sllv_epi64(one, e), one));
	m = _mm512_mask_mov_epi64(m, in_int, _mm512_srlv_epi64(c, e));
	k = _mm512_mask_mov_epi64(k, in_int, zero);
	*mo = m;
	*ko = k;
}

/*
 * put_decimal()'s digits for the 8 values M * 10^K in vectors, as
 * layout() takes them: H, V, N and the exponent LEAD.  The same SWAR
 * steps as nine_digits(), a lane per value; the digit count by
 * comparison with the powers of 10, the trailing zeros by vplzcntq.
 */
X8_INLINE void
digits8(__m512i m, __m512i k, uint64_t *vo, int32_t *ho, int32_t *no,
    int32_t *leado)
{
	const __m512i one = _mm512_set1_epi64(1);
	__m512i d0, lo, v, t, s, nd = one, n;
	__mmask8 all;

	d0 = _mm512_srli_epi64(_mm512_mul_epu32(m,
	    _mm512_set1_epi64(0x55e63b89)), 57);	/* m / 10^8 */
	lo = _mm512_sub_epi64(m, _mm512_mul_epu32(d0,
	    _mm512_set1_epi64(100000000)));
	t = _mm512_srli_epi64(_mm512_mul_epu32(lo,
	    _mm512_set1_epi64(0xd1b71759)), 45);	/* lo / 10^4 */
	v = _mm512_or_si512(t, _mm512_slli_epi64(_mm512_sub_epi64(lo,
	    _mm512_mul_epu32(t, _mm512_set1_epi64(10000))), 32));
	t = _mm512_and_si512(_mm512_srli_epi64(_mm512_mullo_epi64(v,
	    _mm512_set1_epi64(10486)), 20),
	    _mm512_set1_epi64(0x0000007f0000007fLL));
	v = _mm512_or_si512(t, _mm512_slli_epi64(_mm512_sub_epi64(v,
	    _mm512_mullo_epi64(t, _mm512_set1_epi64(100))), 16));
	t = _mm512_and_si512(_mm512_srli_epi64(_mm512_mullo_epi64(v,
	    _mm512_set1_epi64(103)), 10),
	    _mm512_set1_epi64(0x000f000f000f000fLL));
	v = _mm512_or_si512(t, _mm512_slli_epi64(_mm512_sub_epi64(v,
	    _mm512_mullo_epi64(t, _mm512_set1_epi64(10))), 8));
	for (int j = 1; j <= 8; j++)
		nd = _mm512_mask_add_epi64(nd, _mm512_cmpge_epu64_mask(m,
		    _mm512_set1_epi64((long long)u10[j])), nd, one);
	n = _mm512_sub_epi64(nd, _mm512_srli_epi64(_mm512_lzcnt_epi64(v), 3));
	s = _mm512_srlv_epi64(v, _mm512_slli_epi64(_mm512_sub_epi64(
	    _mm512_set1_epi64(8), nd), 3));
	all = _mm512_cmpeq_epi64_mask(nd, _mm512_set1_epi64(9));
	d0 = _mm512_mask_mov_epi64(_mm512_and_si512(s,
	    _mm512_set1_epi64(0xff)), all, d0);
	v = _mm512_mask_mov_epi64(_mm512_srli_epi64(s, 8), all, v);
	_mm512_storeu_si512((void *)vo, _mm512_or_si512(v,
	    _mm512_set1_epi64((long long)ZEROS8)));
	_mm256_storeu_si256((void *)ho, _mm512_cvtepi64_epi32(
	    _mm512_or_si512(d0, _mm512_set1_epi64('0'))));
	_mm256_storeu_si256((void *)no, _mm512_cvtepi64_epi32(n));
	_mm256_storeu_si256((void *)leado, _mm512_cvtepi64_epi32(
	    _mm512_sub_epi64(_mm512_add_epi64(k, nd), one)));
}

/* tl_fmt_floats for the N values at X (N a multiple of 8), 8 at a time
 * in vectors but for the layout. */
X8 static char *
floats_x8(char *p, const float *x, size_t n)
{
	uint64_t v[8];
	int32_t h[8], nn[8], lead[8];
	uint32_t u[8];
	__m512i m, k;

	for (size_t i = 0; i < n; i += 8) {
		shortest8(x + i, &m, &k);
		digits8(m, k, v, h, nn, lead);
		memcpy(u, x + i, sizeof(u));
		for (int j = 0; j < 8; j++) {
			*p++ = '\t';
			*p = '-';
			p += u[j] >> 31;
			if ((u[j] & 0x7fffffff) == 0)
				*p++ = '0';
			else
				p = layout(p, (uint32_t)h[j], v[j], nn[j],
				    lead[j], 9);
		}
	}
	return p;
}

/*
 * tl_fmt_floats with DIGITS (1 to 9) for the N values at X (N a multiple
 * of 8): fmt_digits() in vectors, the same double operations lane by
 * lane (no fused multiply-add, so the same roundings); the values it
 * hands to snprintf (zero, |X| >= 10^DIGITS, tiny ones) go one by one.
 */
X8 static char *
floats_digits_x8(char *p, const float *x, size_t n, int digits)
{
	const __m512i one = _mm512_set1_epi64(1);
	const __m512d two52 = _mm512_set1_pd(0x1p52);
	uint64_t v[8];
	int32_t h[8], nn[8], lead[8];
	uint32_t u[8];
	__m512d ad, pw, md;
	__m512i ld, k;
	__mmask8 ok, big;

	for (size_t i = 0; i < n; i += 8) {
		ad = _mm512_abs_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)));
		ok = _mm512_cmp_pd_mask(ad, _mm512_setzero_pd(), _CMP_NEQ_OQ) &
		    _mm512_cmp_pd_mask(ad, _mm512_set1_pd(HUGE_VAL),
		    _CMP_LT_OQ);
		/* lead_of() */
		ld = _mm512_srai_epi64(_mm512_mul_epi32(_mm512_sub_epi64(
		    _mm512_srli_epi64(_mm512_castpd_si512(ad), 52),
		    _mm512_set1_epi64(1023)), _mm512_set1_epi64(78913)), 18);
		pw = _mm512_mask_i64gather_pd(ad, ok, _mm512_add_epi64(ld,
		    _mm512_set1_epi64(1 - P10_MIN)), p10_tab, 8);
		ld = _mm512_mask_add_epi64(ld, _mm512_cmp_pd_mask(ad, pw,
		    _CMP_GE_OQ), ld, one);
		k = _mm512_sub_epi64(_mm512_set1_epi64(digits - 1), ld);
		ok &= _mm512_cmpge_epi64_mask(k, _mm512_setzero_si512()) &
		    _mm512_cmple_epi64_mask(k, _mm512_set1_epi64(12));
		pw = _mm512_mask_i64gather_pd(ad, ok, _mm512_sub_epi64(k,
		    _mm512_set1_epi64(P10_MIN)), p10_tab, 8);
		md = _mm512_sub_pd(_mm512_add_pd(_mm512_mul_pd(ad, pw), two52),
		    two52);
		big = _mm512_cmp_pd_mask(md, _mm512_set1_pd((double)
		    u10[digits]), _CMP_GE_OQ);
		md = _mm512_mask_div_pd(md, big, md, _mm512_set1_pd(10));
		k = _mm512_mask_sub_epi64(k, big, k, one);
		digits8(_mm512_cvttpd_epu64(md), _mm512_sub_epi64(
		    _mm512_setzero_si512(), k), v, h, nn, lead);
		memcpy(u, x + i, sizeof(u));
		for (int j = 0; j < 8; j++) {
			*p++ = '\t';
			if (!(ok >> j & 1)) {
				p = printf_digits(p, x[i + j], digits);
				continue;
			}
			*p = '-';
			p += u[j] >> 31;
			p = layout(p, (uint32_t)h[j], v[j], nn[j], lead[j],
			    digits);
		}
	}
	return p;
}

/* 1 when the processor (and the system) has AVX-512 F, DQ and CD. */
static int
have_x8(void)
{
	static int have = -1;

	if (have < 0)
		have = __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512dq") &&
		    __builtin_cpu_supports("avx512cd");
	return have;
}
#endif

/*
 * Eight values a turn in vectors where the processor can, the rest two
 * a turn, both converted before either is written: the second one's
 * digits do not wait for the first one's length, and the processor
 * overlaps them better than it does across loop turns.
 */
char *
tl_fmt_floats(char *p, const float *x, size_t n, int digits)
{
	uint32_t u[2], m0, m1;
	size_t i = 0;
	int k0, k1;

	if (digits > 0 && digits <= 9) {
#if HAVE_X8
		if (n >= 8 && have_x8()) {
			i = n / 8 * 8;
			p = floats_digits_x8(p, x, i, digits);
		}
#endif
		for (; i < n; i++) {
			*p++ = '\t';
			p = fmt_digits(p, x[i], digits);
		}
		return p;
	}
#if HAVE_X8
	if (n >= 8 && have_x8()) {
		i = n / 8 * 8;
		p = floats_x8(p, x, i);
	}
#endif
	for (; i + 2 <= n; i += 2) {
		memcpy(u, x + i, sizeof(u));
		m0 = shortest(u[0] & 0x7fffffff, &k0);
		m1 = shortest(u[1] & 0x7fffffff, &k1);
		*p++ = '\t';
		p = put_shortest(p, u[0], m0, k0);
		*p++ = '\t';
		p = put_shortest(p, u[1], m1, k1);
	}
	if (i < n) {
		*p++ = '\t';
		p = tl_fmt_float(p, x[i]);
	}
	return p;
}
