/*
 * IEEE 754 binary16 ("half", safetensors dtype F16) to and from float, by
 * bit manipulation: portable C17 (the _Float16 type is not in clang 14 on
 * x86-64), exact in the float direction, round to nearest even in the
 * half direction, with subnormals, infinities and NaN kept.  Used for
 * models stored with --dtype f16, whose rows are widened while pooling.
 */
#ifndef TL_F16_H
#define TL_F16_H

#include <stdint.h>
#include <string.h>

/* The float value of the half H (exact). */
static inline float
tl_f16_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f,
	    man = h & 0x3ff, bits;
	float f;

	if (exp == 0x1f)		/* inf, NaN */
		bits = sign | 0x7f800000 | man << 13;
	else if (exp != 0)		/* normal */
		bits = sign | (exp + 112) << 23 | man << 13;
	else if (man == 0)		/* zero */
		bits = sign;
	else {				/* subnormal: man * 2^-24 */
		f = (float)man * 0x1p-24f;
		memcpy(&bits, &f, 4);
		bits |= sign;
	}
	memcpy(&f, &bits, 4);
	return f;
}

/* The half nearest X (ties to even); beyond 65504 + half an ulp: inf. */
static inline uint16_t
tl_f16_from_float(float x)
{
	uint32_t b, sign, abs, man, rest;
	int exp;

	memcpy(&b, &x, 4);
	sign = (b >> 16) & 0x8000;
	abs = b & 0x7fffffff;
	if (abs >= 0x7f800000)		/* inf, NaN (kept quiet) */
		return (uint16_t)(sign | 0x7c00 |
		    (abs > 0x7f800000 ? 0x200 | (abs >> 13 & 0x3ff) : 0));
	exp = (int)(abs >> 23) - 127;
	if (exp > 15)
		return (uint16_t)(sign | 0x7c00);
	if (exp >= -14) {		/* normal half */
		man = abs & 0x7fffff;
		rest = man & 0x1fff;
		man >>= 13;
		b = (uint32_t)(exp + 15) << 10 | man;
		if (rest > 0x1000 || (rest == 0x1000 && (man & 1)))
			b++;		/* may carry into exp: still right */
		return (uint16_t)(sign | b);
	}
	if (exp < -25)			/* below half the smallest subnormal */
		return (uint16_t)sign;
	/* subnormal half: the value in units of 2^-24, rounded to even */
	man = (abs & 0x7fffff) | 0x800000;	/* value = man * 2^(exp-23) */
	{
		int shift = -exp - 1;	/* man * 2^(exp-23) / 2^-24 */
		uint32_t q = man >> shift, r = man & ((1u << shift) - 1),
		    halfway = 1u << (shift - 1);

		if (r > halfway || (r == halfway && (q & 1)))
			q++;
		return (uint16_t)(sign | q);
	}
}

#endif
