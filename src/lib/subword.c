/*
 * Character n-gram subwords; see subword.h.  The wrapped word "<word>" is
 * never built: byte K of it is read through wrapped(), and each n-gram's
 * hash is extended a character at a time from its first byte, so that a
 * word costs one pass per starting character and no allocation.
 */
#include <string.h>

#include "subword.h"

#define FNV_OFFSET	2166136261u
#define FNV_PRIME	16777619u

/* Byte K of "<WORD>" (N = LEN + 2 bytes). */
static inline unsigned char
wrapped(const char *word, size_t len, size_t k)
{
	if (k == 0)
		return '<';
	if (k == len + 1)
		return '>';
	return (unsigned char)word[k - 1];
}

/* fastText hashes uint32_t(int8_t(c)): bytes >= 0x80 are sign-extended. */
static inline uint32_t
fnv_step(uint32_t h, unsigned char c)
{
	return (h ^ (uint32_t)(int32_t)(int8_t)c) * FNV_PRIME;
}

uint32_t
tl_subword_hash(const char *s, size_t len)
{
	uint32_t h = FNV_OFFSET;

	for (size_t i = 0; i < len; i++)
		h = fnv_step(h, (unsigned char)s[i]);
	return h;
}

static inline int
is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Call FN(CTX, row) for each n-gram, as fastText's computeSubwords does:
 * n-grams start at each character (not at UTF-8 continuation bytes), run
 * over whole characters, and a 1-gram made of the "<" or ">" alone is
 * skipped.
 */
static size_t
each_ngram(const struct tl_subword_spec *s, const char *word, size_t len,
    void (*fn)(void *, uint32_t), void *ctx)
{
	size_t n_all = len + 2, count = 0;

	for (size_t i = 0; i < n_all; i++) {
		uint32_t h = FNV_OFFSET;
		size_t j = i;

		if (is_continuation(wrapped(word, len, i)))
			continue;
		for (unsigned n = 1; j < n_all && n <= s->maxn; n++) {
			h = fnv_step(h, wrapped(word, len, j++));
			while (j < n_all && is_continuation(wrapped(word, len,
			    j)))
				h = fnv_step(h, wrapped(word, len, j++));
			if (n >= s->minn && !(n == 1 && (i == 0 ||
			    j == n_all))) {
				fn(ctx, h % s->bucket);
				count++;
			}
		}
	}
	return count;
}

struct ids_ctx {
	uint32_t	*ids;
	size_t		 n, cap;
};

static void
put_id(void *p, uint32_t row)
{
	struct ids_ctx *c = p;

	if (c->n < c->cap)
		c->ids[c->n] = row;
	c->n++;
}

size_t
tl_subword_ids(const struct tl_subword_spec *s, const char *word, size_t len,
    uint32_t *ids, size_t cap)
{
	struct ids_ctx c = { ids, 0, cap };

	return each_ngram(s, word, len, put_id, &c);
}

struct sum_ctx {
	const float	*rows;		/* first component of the block */
	size_t		 stride, width;
	double		*acc;
};

static void
add_row(void *p, uint32_t row)
{
	struct sum_ctx *c = p;
	const float *x = c->rows + (size_t)row * c->stride;

	for (size_t k = 0; k < c->width; k++)
		c->acc[k] += x[k];
}

/* Components summed at once, in double, on the stack. */
#define COMPOSE_BLOCK 256

size_t
tl_subword_compose(const struct tl_subword_spec *s, const float *rows,
    size_t stride, size_t width, const char *word, size_t len, float *out)
{
	double acc[COMPOSE_BLOCK];
	size_t count = 0;

	for (size_t b = 0; b < width; b += COMPOSE_BLOCK) {
		size_t w = width - b < COMPOSE_BLOCK ? width - b :
		    COMPOSE_BLOCK;
		struct sum_ctx c = { rows + b, stride, w, acc };

		memset(acc, 0, w * sizeof(acc[0]));
		count = each_ngram(s, word, len, add_row, &c);
		for (size_t k = 0; k < w; k++)
			out[b + k] = count ? (float)(acc[k] / (double)count) :
			    0.0f;
	}
	return count;
}

/* The unsigned integer KEY of J in [MIN, MAX]. */
static int
spec_int(const json_t *j, const char *key, json_int_t min, json_int_t max,
    json_int_t *out, struct tl_err *e)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		return tl_errf(e, "description: subwords.%s is missing or not "
		    "an integer", key);
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return tl_errf(e, "description: subwords.%s is %lld, expected "
		    "%lld to %lld", key, (long long)*out, (long long)min,
		    (long long)max);
	return 0;
}

int
tl_subword_spec_parse(const json_t *j, struct tl_subword_spec *s,
    struct tl_err *e)
{
	json_int_t minn, maxn, bucket;
	const char *hash;

	if (!json_is_object(j))
		return tl_errf(e, "description: subwords is not an object");
	hash = json_string_value(json_object_get(j, "hash"));
	if (hash == NULL || strcmp(hash, "fnv1a32") != 0)
		return tl_errf(e, "description: subwords.hash is '%s', "
		    "expected 'fnv1a32'", hash ? hash : "(missing)");
	if (spec_int(j, "minn", 1, TL_SUBWORD_MAXN, &minn, e) == -1 ||
	    spec_int(j, "maxn", minn, TL_SUBWORD_MAXN, &maxn, e) == -1 ||
	    spec_int(j, "bucket", 1, UINT32_MAX, &bucket, e) == -1)
		return -1;
	s->minn = (unsigned)minn;
	s->maxn = (unsigned)maxn;
	s->bucket = (uint32_t)bucket;
	return 0;
}

json_t *
tl_subword_spec_json(const struct tl_subword_spec *s)
{
	return json_pack("{s:I, s:I, s:I, s:s}", "minn", (json_int_t)s->minn,
	    "maxn", (json_int_t)s->maxn, "bucket", (json_int_t)s->bucket,
	    "hash", "fnv1a32");
}
