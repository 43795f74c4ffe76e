/*
 * Byte-string equality for short strings (vocabulary words), inline.
 */
#ifndef TL_BYTES_H
#define TL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Whether the LEN bytes at A and B are the same: words are short, and a
 * call to memcmp for each took a tenth of the lookups' time.  Two loads
 * that overlap cover lengths 4 to 16 without reading past either end. */
static inline int
tl_same_bytes(const void *a, const void *b, size_t len)
{
	const char *p = a, *q = b;
	uint64_t x, y, u, z;
	uint32_t s, t, m, r;

	if (len > 16)
		return memcmp(p, q, len) == 0;
	if (len >= 8) {
		memcpy(&x, p, 8);
		memcpy(&y, q, 8);
		memcpy(&u, p + len - 8, 8);
		memcpy(&z, q + len - 8, 8);
		return ((x ^ y) | (u ^ z)) == 0;
	}
	if (len >= 4) {
		memcpy(&s, p, 4);
		memcpy(&t, q, 4);
		memcpy(&m, p + len - 4, 4);
		memcpy(&r, q + len - 4, 4);
		return ((s ^ t) | (m ^ r)) == 0;
	}
	return len == 0 || (p[0] == q[0] && p[len / 2] == q[len / 2] &&
	    p[len - 1] == q[len - 1]);
}

#endif
