/* Hashed word and character n-grams of a document; see lexical.h. */
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

int
tl_lexical_chars(struct tl_lexical *lx, int min, int max, struct tl_err *e)
{
	if ((min != 0 || max != 0) && (min < 1 || min > max ||
	    max > TL_LEXICAL_MAX_CHARS))
		return tl_errf(e, "character n-grams of %d to %d code points: "
		    "expected 1 <= MIN <= MAX <= %d", min, max,
		    TL_LEXICAL_MAX_CHARS);
	lx->chars_min = min;
	lx->chars_max = max;
	return 0;
}

uint32_t
tl_lexical_char_bucket(const char *s, size_t len, uint64_t buckets)
{
	return (uint32_t)(XXH3_64bits_withSeed(s, len, TL_LEXICAL_CHAR_SEED) %
	    buckets);
}

/* Up to this many indices are sorted by insertion: a radix pass costs
 * its 256 counters whatever the count (a short text's dozen word n-grams
 * spent a tenth of tl-predict's time in them). */
#define INSERTION_MAX	48

static void
insertion_sort(uint32_t *a, size_t m)
{
	for (size_t i = 1, j; i < m; i++) {
		uint32_t x = a[i];

		for (j = i; j > 0 && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/* The M indices in lx->scratch sorted, increasing, in lx->scratch or
 * lx->idx (returned), the other being room: a byte at a time from the
 * lowest, as many bytes as the buckets need.  A document's thousands of
 * character n-grams spent most of tl-embed's time in qsort. */
static uint32_t *
sort_indices(struct tl_lexical *lx, size_t m)
{
	uint32_t *a = lx->scratch, *b = lx->idx, *t;
	size_t at[256], c, sum;

	if (m <= INSERTION_MAX) {
		insertion_sort(a, m);
		return a;
	}
	for (unsigned sh = 0; sh < 32 && (lx->buckets - 1) >> sh != 0;
	    sh += 8) {
		memset(at, 0, sizeof(at));
		for (size_t i = 0; i < m; i++)
			at[(a[i] >> sh) & 0xff]++;
		sum = 0;
		for (size_t k = 0; k < 256; k++) {
			c = at[k];
			at[k] = sum;
			sum += c;
		}
		for (size_t i = 0; i < m; i++)
			b[at[(a[i] >> sh) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	return a;
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

/* The n-grams of T, words and characters, an upper bound: each token of
 * L bytes gives at most L + 2 character n-grams of each size. */
static int
count_ngrams(const struct tl_lexical *lx, const struct tl_tokens *t,
    size_t *n, size_t *longest, struct tl_err *e)
{
	size_t sizes = lx->chars_max > 0 ? (size_t)(lx->chars_max -
	    lx->chars_min + 1) : 0, bytes = 0;

	*longest = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->len[i] > *longest)
			*longest = t->len[i];
		bytes += t->len[i] + 2;	/* < the text's size_t bytes + 2n */
	}
	if (t->n > SIZE_MAX / 4 / (size_t)lx->ngrams ||
	    (sizes > 0 && bytes > SIZE_MAX / 4 / sizes))
		return tl_errf(e, "out of memory");
	*n = t->n * (size_t)lx->ngrams + bytes * sizes;
	return 0;
}

/* Room for a token of LEN bytes between spaces, and where its code
 * points start: one block, as both are remade for each token. */
static int
grow_pad(struct tl_lexical *lx, size_t len, struct tl_err *e)
{
	size_t cap = lx->pad_cap ? lx->pad_cap : 64;

	if (len + 3 <= lx->pad_cap)
		return 0;
	while (cap < len + 3)
		cap *= 2;
	free(lx->cp);
	if ((lx->cp = malloc(cap * (sizeof(size_t) + 1))) == NULL) {
		lx->pad = NULL;
		lx->pad_cap = 0;
		return tl_errf(e, "out of memory");
	}
	lx->pad = (char *)(lx->cp + cap);
	lx->pad_cap = cap;
	return 0;
}

/* The buckets of the word n-grams starting at each token of T into the
 * scratch; returns how many. */
static size_t
word_ngrams(struct tl_lexical *lx, const struct tl_tokens *t)
{
	size_t m = 0, len;
	uint64_t h;
	const char *s;

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
	return m;
}

/* The buckets of the character n-grams of token S (LEN bytes of valid
 * UTF-8) into the scratch from M on, as scikit-learn's _char_wb_ngrams
 * makes them; returns the new M. */
static size_t
char_ngrams(struct tl_lexical *lx, const char *s, size_t len, size_t m)
{
	char *w = lx->pad;
	size_t *cp = lx->cp, ncp = 0, n;

	w[0] = ' ';
	memcpy(w + 1, s, len);
	w[len + 1] = ' ';
	for (size_t i = 0; i < len + 2; i++)	/* not a continuation byte */
		if (((unsigned char)w[i] & 0xc0) != 0x80)
			cp[ncp++] = i;
	cp[ncp] = len + 2;
	for (n = (size_t)lx->chars_min; n <= (size_t)lx->chars_max; n++) {
		if (ncp <= n) {	/* the whole padded token, once */
			lx->scratch[m++] = tl_lexical_char_bucket(w, len + 2,
			    lx->buckets);
			break;
		}
		for (size_t i = 0; i + n <= ncp; i++)
			lx->scratch[m++] = tl_lexical_char_bucket(w + cp[i],
			    cp[i + n] - cp[i], lx->buckets);
	}
	return m;
}

int
tl_lexical_doc(struct tl_lexical *lx, const struct tl_tokens *t,
    struct tl_err *e)
{
	size_t m, n = 0, longest = 0, len, run;
	const char *s;
	uint32_t *a;

	lx->nnz = 0;
	if (t->n == 0)
		return 0;
	if (count_ngrams(lx, t, &n, &longest, e) < 0 || grow(lx, n, e) < 0 ||
	    (lx->chars_max > 0 && grow_pad(lx, longest, e) < 0))
		return -1;
	m = word_ngrams(lx, t);
	for (size_t i = 0; lx->chars_max > 0 && i < t->n; i++) {
		s = tl_tokens_at(t, i, &len);
		m = char_ngrams(lx, s, len, m);
	}
	/* runs of equal indices; when the sorted ones are in lx->idx, each
	 * is written at or before where it is read */
	a = sort_indices(lx, m);
	for (size_t j = 0; j < m; j += run) {
		for (run = 1; j + run < m && a[j + run] == a[j]; run++)
			;
		lx->idx[lx->nnz] = a[j];
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
	free(lx->cp);	/* and pad, in the same block */
	memset(lx, 0, sizeof(*lx));
}
