/*
 * Properties of the float text in fmt.c, checked against the C library:
 * format -> parse gives back the same bits over 2^24 bit patterns spread
 * across all of float32 (denormals included), the text is the shortest
 * correctly rounded decimal (the nearest of the shortest) and never longer
 * than "%.9g", --digits' rounding is printf's "%.Ng", and parsing
 * agrees bit for bit with strtof on tricky and random decimals.  Set
 * TL_TEST_QUICK (or build with a sanitizer) for a sixteenth of the sweep.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "t.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define T_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define T_SANITIZED 1
#endif
#endif
#ifndef T_SANITIZED
#define T_SANITIZED 0
#endif

static int quick;

static float
from_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static uint32_t
to_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Format X into BUF (NUL-terminated); returns the length. */
static size_t
fmt(char *buf, float x)
{
	char *end = tl_fmt_float(buf, x);

	*end = '\0';
	return (size_t)(end - buf);
}

/* Significant digits in the text S ("0.00125" -> 3, "1.5e-07" -> 2). */
static int
sig_digits(const char *s)
{
	int n = 0, seen = 0, zeros = 0;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s == '0' && !seen)
			continue;
		seen = 1;
		if (*s == '0')
			zeros++;
		else {
			n += zeros + 1;
			zeros = 0;
		}
	}
	return n;
}

/* All the checks for one float X; SHORTEST adds the snprintf checks. */
static int
check_one(float x, int shortest)
{
	char buf[64], ref[320];
	size_t len = fmt(buf, x);
	const char *end;
	float y = 0, z;
	int p, ok = 1;

	if (len == 0 || len > TL_FMT_FLOAT_MAX)
		ok = 0;
	end = tl_parse_float(buf, buf + len, &y);
	if (end != buf + len || to_bits(y) != to_bits(x))
		ok = 0;
	z = strtof(buf, NULL);
	if (to_bits(z) != to_bits(x))
		ok = 0;
	if (shortest) {
		if (strlen(buf) > (size_t)snprintf(ref, sizeof(ref), "%.9g",
		    (double)x))
			ok = 0;
		p = sig_digits(buf);
		if (p > 1) {
			snprintf(ref, sizeof(ref), "%.*g", p - 1, (double)x);
			if (strtof(ref, NULL) == x)
				ok = 0;
		}
		/* of the shortest that read back, the nearest */
		snprintf(ref, sizeof(ref), "%.*g", p, (double)x);
		if (strtof(ref, NULL) == x &&
		    strtod(ref, NULL) != strtod(buf, NULL))
			ok = 0;
	}
	if (!ok)
		fprintf(stderr, "float 0x%08x (%.9g): \"%s\", parsed 0x%08x, "
		    "strtof 0x%08x\n", to_bits(x), (double)x, buf, to_bits(y),
		    to_bits(z));
	return ok;
}

static void
test_roundtrip_sweep(void)
{
	/* a prime stride over all 2^32 patterns, so every low bit varies */
	uint64_t stride = quick ? 4093 : 251, n = 0, bad = 0;

	for (uint64_t u = 0; u < (1ULL << 32); u += stride) {
		uint32_t b = (uint32_t)u;

		if ((b & 0x7f800000) == 0x7f800000)
			continue;	/* NaN, Inf */
		n++;
		if (!check_one(from_bits(b), n % 16 == 0) && ++bad > 10)
			break;
	}
	T_CHECK(bad == 0);
	T_CHECK(n >= (quick ? 1000000 : (1u << 24)));
}

static void
test_roundtrip_edges(void)
{
	static const uint32_t special[] = {
		0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x007fffff,
		0x00800000, 0x00800001, 0x7f7fffff, 0x7f7ffffe, 0x3f800000,
		0x3f800001, 0x3f7fffff, 0x4b800000, 0x4b800001, 0x4cbebc20,
		0x3dcccccd, 0x00400000, 0x33d6bf95, 0x2edbe6ff,
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		for (uint32_t sign = 0; sign < 2; sign++)
			bad += !check_one(from_bits(special[i] | sign << 31),
			    1);
	/* every power of two, its neighbours, and every power of ten */
	for (uint32_t e = 1; e < 255; e++)
		for (int d = -2; d <= 2; d++)
			bad += !check_one(from_bits((e << 23) + (uint32_t)d),
			    1);
	for (int k = -45; k <= 38; k++) {
		float t = strtof("1e0", NULL);
		char s[16];

		snprintf(s, sizeof(s), "1e%d", k);
		t = strtof(s, NULL);
		bad += !check_one(t, 1);
		bad += !check_one(nextafterf(t, 0), 1);
		if (k < 38)
			bad += !check_one(nextafterf(t, INFINITY), 1);
	}
	/* all denormals with few mantissa bits */
	for (uint32_t u = 1; u < 0x800000; u = u * 3 + 1)
		bad += !check_one(from_bits(u), 1);
	T_CHECK(bad == 0);
}

static void
expect_fmt(float x, const char *want)
{
	char buf[64];

	fmt(buf, x);
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "format %.9g: got \"%s\", want \"%s\"\n",
		    (double)x, buf, want);
		T_CHECK(strcmp(buf, want) == 0);
	}
}

static void
test_format_forms(void)
{
	expect_fmt(0.0f, "0");
	expect_fmt(-0.0f, "-0");
	expect_fmt(0.25f, "0.25");
	expect_fmt(-12.5f, "-12.5");
	expect_fmt(-0.5f, "-0.5");
	expect_fmt(1e20f, "1e+20");
	expect_fmt(1.5e-7f, "1.5e-07");
	expect_fmt(0.00012f, "0.00012");
	expect_fmt(0.0001f, "0.0001");
	expect_fmt(1e-5f, "1e-05");
	expect_fmt(123456.7f, "123456.7");
	expect_fmt(0.1f, "0.1");
	expect_fmt(3.0f, "3");
	expect_fmt(100.0f, "100");
	expect_fmt(16777216.0f, "16777216");
	expect_fmt(100000000.0f, "100000000");
	expect_fmt(123456789.0f, "123456790");
	expect_fmt(1e9f, "1e+09");
	expect_fmt(1.25e10f, "1.25e+10");
	expect_fmt(FLT_MAX, "3.4028235e+38");
	expect_fmt(-FLT_MAX, "-3.4028235e+38");
	expect_fmt(FLT_MIN, "1.1754944e-38");
	expect_fmt(from_bits(1), "1e-45");
	expect_fmt(from_bits(0x80000001), "-1e-45");
	expect_fmt(from_bits(0x007fffff), "1.1754942e-38");
	expect_fmt(0.3f, "0.3");
	expect_fmt(1.0f / 3.0f, "0.33333334");
	expect_fmt(9.96e-5f, "9.96e-05");
	expect_fmt(999999.94f, "999999.94");
	/* nine digits, and each layout with few and many digits */
	expect_fmt(0.0151570225f, "0.0151570225");
	expect_fmt(-0.0069083576f, "-0.0069083576");
	expect_fmt(0.00012345678f, "0.00012345678");
	expect_fmt(0.09999999f, "0.09999999");
	expect_fmt(9.8765432e-5f, "9.8765435e-05");
	expect_fmt(-3.0517578e-05f, "-3.0517578e-05");
	expect_fmt(1.23456789e-10f, "1.2345679e-10");
	expect_fmt(7.038531e-26f, "7.038531e-26");
	expect_fmt(4294967296.0f, "4.2949673e+09");
	expect_fmt(1.00000012f, "1.0000001");
	expect_fmt(123456.79f, "123456.79");
	expect_fmt(1234567.9f, "1234567.9");
	expect_fmt(8388607.5f, "8388607.5");
	expect_fmt(12345678.0f, "12345678");
	expect_fmt(99999.99f, "99999.99");
	expect_fmt(9.99999974738e-05f, "0.0001");
}

/*
 * tl_fmt_floats writes the row that TAB and tl_fmt_float_digits, value
 * by value, write, for several DIGITS (odd and even lengths: it takes
 * eight values a turn in vectors where the processor can, then fewer),
 * and nothing past the room it asks for.
 */
static void
test_floats_row(void)
{
	enum { N = 101, ROOM = N * (TL_FMT_FLOAT_MAX + 1) };
	static const int digits[] = { 0, 1, 3, 6, 9, -1 };
	float x[N];
	char row[ROOM + 16], want[ROOM + 1], *p, *q;
	int bad = 0;

	for (int t = 0; t < (quick ? 200 : 5000); t++) {
		for (int i = 0; i < N; i++) {
			uint32_t b = (uint32_t)rnd();

			if (t % 4 == 1)	/* the bits of typical vectors */
				b = (b & 0x80ffffff) | (0x3c000000 +
				    (b & 0x03000000));
			x[i] = (b & 0x7f800000) == 0x7f800000 ? 0.0f :
			    from_bits(b);
		}
		if (t == 0) {	/* each path of shortest(), in one block */
			static const float edge[] = { -0.0f, 1e-45f, FLT_MAX,
			    1.0f, -3.0f, 16777215.0f, 0.5f, 1e10f, 0.0f,
			    FLT_MIN, 1.5e-7f, 123456.79f };

			memcpy(x, edge, sizeof(edge));
		}
		for (size_t d = 0; d < sizeof(digits) / sizeof(digits[0]);
		    d++) {
			size_t n = N - (size_t)(t & 1);

			memset(row, 'x', sizeof(row));
			p = tl_fmt_floats(row, x, n, digits[d]);
			q = want;
			for (size_t i = 0; i < n; i++) {
				*q++ = '\t';
				q = tl_fmt_float_digits(q, x[i], digits[d]);
			}
			for (size_t i = ROOM; i < sizeof(row); i++)
				bad += row[i] != 'x';
			bad += p - row != q - want ||
			    memcmp(row, want, (size_t)(q - want)) != 0;
		}
	}
	T_CHECK(bad == 0);
}

/* tl_fmt_float_digits(X, D) against snprintf's "%.Dg"; 1 when equal. */
static int
check_digits(float x, int d)
{
	char buf[64], ref[64];

	*tl_fmt_float_digits(buf, x, d) = '\0';
	snprintf(ref, sizeof(ref), "%.*g", d, (double)x);
	if (strcmp(buf, ref) == 0 && strlen(buf) <= TL_FMT_FLOAT_MAX)
		return 1;
	fprintf(stderr, "float 0x%08x, %d digits: \"%s\", printf \"%s\"\n",
	    to_bits(x), d, buf, ref);
	return 0;
}

static void
test_digits(void)
{
	static const float edges[] = { 0.75f, 0.125f, 2.5f, 0.5f, 9.9999996f,
	    999999.5f, 1234567.0f, 1e-7f, 9.99999e-5f, 1e-45f, 3.4028235e38f,
	    0.0f, 1.0f, 123456.5f, 0.00012345f, 65536.0f };
	uint64_t stride = quick ? 1000003 : 16411;
	int bad = 0;
	char buf[64];

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (int d = 1; d <= 9; d++) {
			bad += !check_digits(edges[i], d);
			bad += !check_digits(-edges[i], d);
		}
	for (uint64_t u = 0; u < (1ULL << 32) && bad < 10; u += stride)
		if ((u & 0x7f800000) != 0x7f800000)
			for (int d = 1; d <= 9; d++)
				bad += !check_digits(from_bits((uint32_t)u), d);
	T_CHECK(bad == 0);
	/* 0 digits: the shortest exact form */
	*tl_fmt_float_digits(buf, 0.1f, 0) = '\0';
	T_CHECK(strcmp(buf, "0.1") == 0);
	*tl_fmt_float_digits(buf, 0.75f, 1) = '\0';
	T_CHECK(strcmp(buf, "0.8") == 0);	/* a tie, to even */
	*tl_fmt_float_digits(buf, 2.5f, 1) = '\0';
	T_CHECK(strcmp(buf, "2") == 0);
	*tl_fmt_float_digits(buf, 1.0f / 3.0f, 6) = '\0';
	T_CHECK(strcmp(buf, "0.333333") == 0);
}

static void
test_fmt_u64(void)
{
	char buf[32];
	size_t bad = 0;

	*tl_fmt_u64(buf, 0) = '\0';
	T_CHECK(strcmp(buf, "0") == 0);
	*tl_fmt_u64(buf, 1234567) = '\0';
	T_CHECK(strcmp(buf, "1234567") == 0);
	*tl_fmt_u64(buf, UINT64_MAX) = '\0';
	T_CHECK(strcmp(buf, "18446744073709551615") == 0);
	/* every value below 10^6, and each side of every power of ten */
	for (uint64_t v = 0, p = 1; v < 1000000 || p != 0; v++) {
		uint64_t x = v < 1000000 ? v : p - (v & 1);
		char want[32];

		*tl_fmt_u64(buf, x) = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)x);
		bad += strcmp(buf, want) != 0;
		if (v >= 1000000 && (v & 1))
			p = p > UINT64_MAX / 10 ? 0 : p * 10;
	}
	T_CHECK(bad == 0);
}

/* Parse S whole and compare with strtof; overflow must be refused. */
static int
check_parse(const char *s)
{
	size_t len = strlen(s);
	const char *end;
	float got = 0, want;

	errno = 0;
	want = strtof(s, NULL);
	end = tl_parse_float(s, s + len, &got);
	if (isinf(want)) {
		if (end == NULL)
			return 1;
	} else if (end == s + len && to_bits(got) == to_bits(want))
		return 1;
	fprintf(stderr, "parse \"%s\": got %s0x%08x, strtof 0x%08x\n", s,
	    end == NULL ? "NULL " : "", to_bits(got), to_bits(want));
	return 0;
}

static void
test_parse_tricky(void)
{
	static const char *cases[] = {
		/* halfway between floats: ties to even */
		"16777217", "16777219", "16777217.000000000000000000001",
		"16777216.999999999999999999999",
		"1.000000059604644775390625",
		"1.000000059604644775390625000000000000000000001",
		"1.000000059604644775390624999999999999999999999",
		"1.00000017881393432617187499",
		"1.000000178813934326171875",
		/* 2^-150, 3 * 2^-150: midpoints in the denormals */
		"7.00649232162408535461864791644958065640130970938257885878534"
		"141944895541342930300743319094181060791015625e-46",
		"7.00649232162408535461864791644958065640130970938257885878534"
		"141944895541342930300743319094181060791015626e-46",
		"7.00649232162408535461864791644958065640130970938257885878534"
		"141944895541342930300743319094181060791015624e-46",
		"2.10194769648722560638559437493487419692039291281477365763560"
		"2425834686624028790902229957282543182373046875e-45",
		"1e-45", "1.4e-45", "7e-46", "7.1e-46", "6.9e-46", "1e-46",
		"1.1754942e-38", "1.17549435e-38", "1.1754943508222875e-38",
		/* the float32 maximum, and just under the overflow midpoint */
		"3.4028235e38", "3.4028234663852886e38", "340282356779733661637"
		"539395458142568447.9999", "3.40282356779733661e38",
		/* forms */
		"+1.5", ".5", "5.", "-0", "+0", "0", "-0.0e10", "00000.000",
		"0e999999999999999999999", "1E+5", "1e-0", "-.75",
		"0.000000000000000000000000001",
		"123456789012345678901234567890",
		"0.123456789012345678901234567890",
		"999999999999999999999999999999e-30",
		"1e0000000000000000000000000000001",
		"1E-0000045", "100000000000000000000000000000000000000e-1",
		"0.0000000000000000000000000000000000000000000000000000001e56",
		"00000000000000000000000000000000000012345",
		"1234567890123456789", "12345678901234567890",
		"18446744073709551615", "18446744073709551616e-10",
		"9999999999999999999", "99999999999999999999",
		"0.1", "0.2", "0.3", "3.14159265358979323846", "2.718281828",
		"-1.17549435e-38", "4.9e-324", "2.2250738585072014e-308",
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += !check_parse(cases[i]);
	T_CHECK(bad == 0);
}

static void
expect_fail(const char *s)
{
	float x = 42;
	const char *end = tl_parse_float(s, s + strlen(s), &x);

	if (end != NULL)
		fprintf(stderr, "parse \"%s\": accepted\n", s);
	T_CHECK(end == NULL);
}

static void
test_parse_reject(void)
{
	const char *s;
	float x = 42;

	expect_fail("");
	expect_fail("-");
	expect_fail("+");
	expect_fail(".");
	expect_fail("-.");
	expect_fail("e5");
	expect_fail("nan");
	expect_fail("NaN");
	expect_fail("inf");
	expect_fail("-inf");
	expect_fail("infinity");
	expect_fail("1e");
	expect_fail("1e+");
	expect_fail("1E-");
	expect_fail("1ex");
	expect_fail(" 1");
	expect_fail("abc");
	expect_fail("3.4028236e38");
	expect_fail("-3.4028236e38");
	expect_fail("1e39");
	expect_fail("1e999999999999");
	expect_fail("123456789012345678901234567890123456789012");
	/* the number ends where it stops: the caller checks what follows */
	s = "0x10";
	T_CHECK(tl_parse_float(s, s + 4, &x) == s + 1 && x == 0);
	s = "1.5abc";
	T_CHECK(tl_parse_float(s, s + 6, &x) == s + 3 && x == 1.5f);
	s = "2e3\t4";
	T_CHECK(tl_parse_float(s, s + 5, &x) == s + 3 && x == 2000);
	/* END bounds the text: no read past it */
	s = "12345";
	T_CHECK(tl_parse_float(s, s + 2, &x) == s + 2 && x == 12);
	s = "1e5";
	T_CHECK(tl_parse_float(s, s + 2, &x) == NULL);
}

static void
test_parse_random(void)
{
	int n = quick ? 20000 : 400000, bad = 0;
	char s[128];

	for (int i = 0; i < n && bad < 10; i++) {
		int nd = 1 + (int)(rnd() % 25), dot = (int)(rnd() % (nd + 1));
		int ex = (int)(rnd() % 100) - 60;
		char *p = s;

		if (rnd() & 1)
			*p++ = '-';
		for (int k = 0; k < nd; k++) {
			if (k == dot)
				*p++ = '.';
			*p++ = (char)('0' + rnd() % 10);
		}
		snprintf(p, 16, "e%d", ex);
		bad += !check_parse(s);
	}
	T_CHECK(bad == 0);
}

/* Decimals at, just under and just over the midpoint between a random
 * float and the next: where the double-product shortcut must give up. */
static void
test_parse_midpoints(void)
{
	int n = quick ? 2000 : 50000, bad = 0;
	char s[400];

	for (int i = 0; i < n && bad < 10; i++) {
		uint32_t b = (uint32_t)rnd() & 0x7f7fffff;
		double mid = ((double)from_bits(b) +
		    (double)from_bits(b + 1)) / 2;
		size_t len;

		/* exact decimal of the midpoint (a double holds it) */
		snprintf(s, sizeof(s), "%.200e", mid);
		bad += !check_parse(s);
		len = strcspn(s, "e");
		/* strip the exponent, nudge the last digits, put it back */
		for (int k = 0; k < 2; k++) {
			char t[400], *e = strchr(s, 'e');
			size_t cut = k ? 12 : len;

			memcpy(t, s, cut);
			t[cut] = '\0';
			if (k)
				strcat(t, rnd() & 1 ? "1" : "9");
			else
				strcat(t, "1");
			strcat(t, e);
			bad += !check_parse(t);
		}
		snprintf(s, sizeof(s), "%.17g", mid);
		bad += !check_parse(s);
	}
	T_CHECK(bad == 0);
}

int
main(void)
{
	quick = getenv("TL_TEST_QUICK") != NULL || T_SANITIZED;
	T_RUN(test_format_forms);
	T_RUN(test_fmt_u64);
	T_RUN(test_digits);
	T_RUN(test_floats_row);
	T_RUN(test_parse_tricky);
	T_RUN(test_parse_reject);
	T_RUN(test_parse_random);
	T_RUN(test_parse_midpoints);
	T_RUN(test_roundtrip_edges);
	T_RUN(test_roundtrip_sweep);
	return t_done();
}
