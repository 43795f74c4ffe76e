/*
 * Character n-gram subwords, as fastText makes them: a word is wrapped as
 * "<word>" and every run of MINN to MAXN characters (UTF-8 code points, not
 * bytes) of the wrapped word is hashed into one of BUCKET rows of a
 * subword matrix.  A word's vector is then the mean of its own row and its
 * n-gram rows, and a word never seen in training still gets the mean of
 * its n-gram rows.  The hash is fastText's 32-bit FNV-1a, bytes taken as
 * signed chars (as fastText does), modulo BUCKET, so that the rows of a
 * fastText .bin model line up with ours.  A model carries the parameters
 * in its description as {"subwords": {"minn": 3, "maxn": 6, "bucket":
 * 2000000, "hash": "fnv1a32"}} beside the tensor "subwords" F32
 * [bucket, dim].
 */
#ifndef TL_SUBWORD_H
#define TL_SUBWORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* Longest n-gram, in characters, a model may ask for. */
#define TL_SUBWORD_MAXN 32

struct tl_subword_spec {
	unsigned	minn, maxn;	/* 1 <= minn <= maxn <= TL_SUBWORD_MAXN */
	uint32_t	bucket;		/* rows of the subword matrix, > 0 */
};

/* fastText's hash of the LEN bytes at S. */
uint32_t	tl_subword_hash(const char *s, size_t len);

/* Write to IDS (room for CAP) the bucket rows of the n-grams of "<WORD>"
 * (WORD: LEN bytes), in fastText's order.  Returns how many n-grams the
 * word has; only the first CAP are written when there are more. */
size_t		tl_subword_ids(const struct tl_subword_spec *s,
		    const char *word, size_t len, uint32_t *ids, size_t cap);

/* Write to OUT (WIDTH floats) the mean of the rows of the n-grams of WORD
 * (LEN bytes) in a subword matrix whose rows are STRIDE floats apart,
 * ROWS pointing at the first wanted component of row 0 (WIDTH <= STRIDE;
 * for whole rows, ROWS is the matrix and WIDTH = STRIDE = its dim).
 * Returns the number of n-grams (0: OUT is zero). */
size_t		tl_subword_compose(const struct tl_subword_spec *s,
		    const float *rows, size_t stride, size_t width,
		    const char *word, size_t len, float *out);

/* Read the description object J ({"minn", "maxn", "bucket", "hash"}) into
 * S.  0, or -1 with E filled in when a field is missing or out of range or
 * the hash is not "fnv1a32". */
int		tl_subword_spec_parse(const json_t *j,
		    struct tl_subword_spec *s, struct tl_err *e);

/* The description object of S.  New reference, or NULL when out of
 * memory. */
json_t		*tl_subword_spec_json(const struct tl_subword_spec *s);

#endif
