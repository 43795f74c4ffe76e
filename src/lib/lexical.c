/* Hashed word n-grams of a document; see lexical.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "lexical.h"

int
tl_lexical_init(struct tl_lexical *lx, uint64_t buckets, int ngrams,
    struct tl_err *e)
{
	memset(lx, 0, sizeof(*lx));
	if (buckets < 1 || buckets > (uint64_t)UINT32_MAX + 1)
		return tl_errf(e, "%llu buckets: expected 1 to 2^32",
		    (unsigned long long)buckets);
	if (ngrams < 1 || ngrams > TL_LEXICAL_MAX_NGRAM)
		return tl_errf(e, "n-grams up to %d: expected 1 to %d", ngrams,
		    TL_LEXICAL_MAX_NGRAM);
	lx->buckets = buckets;
	lx->ngrams = ngrams;
	return 0;
}

uint32_t
tl_lexical_bucket(const char *const *tok, const size_t *len, size_t n,
    uint64_t buckets)
{
	uint64_t h = 0;

	for (size_t i = 0; i < n; i++)
		h = XXH3_64bits_withSeed(tok[i], len[i], h);
	return (uint32_t)(h % buckets);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Make room for N indices in the scratch and the output. */
static int
grow(struct tl_lexical *lx, size_t n, struct tl_err *e)
{
	size_t cap = lx->cap ? lx->cap : 256;
	void *p;

	if (n <= lx->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(lx->scratch, cap * sizeof(uint32_t))) == NULL)
		return tl_errf(e, "out of memory");
	lx->scratch = p;
	if ((p = realloc(lx->idx, cap * sizeof(uint32_t))) == NULL)
		return tl_errf(e, "out of memory");
	lx->idx = p;
	if ((p = realloc(lx->val, cap * sizeof(float))) == NULL)
		return tl_errf(e, "out of memory");
	lx->val = p;
	lx->cap = cap;
	return 0;
}

int
tl_lexical_doc(struct tl_lexical *lx, const struct tl_tokens *t,
    struct tl_err *e)
{
	size_t m = 0, len, run;
	uint64_t h;
	const char *s;

	lx->nnz = 0;
	if (t->n == 0)
		return 0;
	if (t->n > SIZE_MAX / 2 / (size_t)lx->ngrams)
		return tl_errf(e, "out of memory");
	if (grow(lx, t->n * (size_t)lx->ngrams, e) < 0)
		return -1;
	/* the n-grams starting at token i extend one hash token by token */
	for (size_t i = 0; i < t->n; i++) {
		h = 0;
		for (size_t k = 0; k < (size_t)lx->ngrams && i + k < t->n;
		    k++) {
			s = tl_tokens_at(t, i + k, &len);
			h = XXH3_64bits_withSeed(s, len, h);
			lx->scratch[m++] = (uint32_t)(h % lx->buckets);
		}
	}
	qsort(lx->scratch, m, sizeof(*lx->scratch), cmp_u32);
	for (size_t j = 0; j < m; j += run) {
		for (run = 1; j + run < m && lx->scratch[j + run] ==
		    lx->scratch[j]; run++)
			;
		lx->idx[lx->nnz] = lx->scratch[j];
		lx->val[lx->nnz++] = (float)(1 + log((double)run));
	}
	return 0;
}

void
tl_lexical_free(struct tl_lexical *lx)
{
	free(lx->scratch);
	free(lx->idx);
	free(lx->val);
	memset(lx, 0, sizeof(*lx));
}
