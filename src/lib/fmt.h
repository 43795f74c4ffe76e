/*
 * Fast, exact text form of float32 values: the hot path of every text
 * vector stream.  tl_fmt_float writes the shortest decimal that reads back
 * as the same float (so a text round-trip is lossless), and
 * tl_parse_float reads a decimal correctly rounded to float32, both without
 * printf/strtod in the common case.
 */
#ifndef TL_FMT_H
#define TL_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Most characters tl_fmt_float writes (no NUL is written). */
#define TL_FMT_FLOAT_MAX 16

/* Write the shortest decimal form of X that parses back to exactly X, at P.
 * X must be finite.  Returns the pointer past the last character written;
 * writes no NUL.  Forms: "0", "-0", "0.25", "-12.5", "1e+20", "1.5e-07".
 * P must have room for TL_FMT_FLOAT_MAX characters: the bytes after the
 * result, up to P + TL_FMT_FLOAT_MAX, may be changed. */
char		*tl_fmt_float(char *p, float x);

/* Write X with DIGITS significant digits (1 to 9), as printf's
 * "%.DIGITSg" does (correctly rounded, trailing zeros dropped); DIGITS 0
 * is tl_fmt_float's shortest exact form.  At most TL_FMT_FLOAT_MAX
 * characters, no NUL; returns the pointer past them.  P must have room
 * for TL_FMT_FLOAT_MAX, as for tl_fmt_float. */
char		*tl_fmt_float_digits(char *p, float x, int digits);

/* Write each of the N values at X after a TAB, as tl_fmt_float_digits
 * does with DIGITS: "\t0.25\t-1.5e-07".  The fast way to write a row:
 * the values are finite; P must have room for N * (TL_FMT_FLOAT_MAX + 1)
 * characters, the bytes after the result up to there may be changed.
 * Returns the pointer past the last character; writes no NUL. */
char		*tl_fmt_floats(char *p, const float *x, size_t n, int digits);

/* Parse a finite decimal number at the start of [S, END): optional sign,
 * digits with an optional fraction, optional exponent ("e", "E").  The
 * result is X correctly rounded to float32 (overflow is an error).  Returns
 * the pointer past the number, or NULL when [S, END) does not start with a
 * finite number (this includes "nan", "inf" and values beyond FLT_MAX).
 * The number ends where it cannot go on ("0x10" is 0, then "x10"): callers
 * check what follows.  An "e" must have exponent digits ("1e" is NULL). */
const char	*tl_parse_float(const char *s, const char *end, float *out);

/* Write the decimal form of V at P; returns the pointer past it. */
char		*tl_fmt_u64(char *p, uint64_t v);

#endif
