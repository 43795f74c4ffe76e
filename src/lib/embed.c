/*
 * Vocabulary and pooling of an embedding model; see embed.h.
 *
 * The table is open addressing with linear probing, at most half full.
 * A slot is one uint64_t: the high 32 bits of the word's XXH3 hash (a tag
 * that spares most string comparisons) above the row + 1 (0 marks an empty
 * slot); the slot index comes from the low bits of the same hash.  Building
 * it for GloVe's 400k words takes a few milliseconds.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "embed.h"

/* Accumulate at most this many components at once (on the stack). */
#define MEAN_BLOCK 512

struct tl_embed {
	size_t		 n, dim;
	const int64_t	*offsets;
	const uint8_t	*bytes;
	const float	*vectors;
	uint64_t	*slot;
	size_t		 mask;		/* slots - 1 */
	struct tl_model	*model;		/* NULL, borrowed or owned */
	int		 owns_model;
	const json_t	*tokenizer;
};

static int
check_words(size_t n, const int64_t *off, const uint8_t *bytes,
    size_t nbytes, struct tl_err *e)
{
	if (off[0] != 0)
		return tl_errf(e, "vocab.offsets[0] is %lld, expected 0",
		    (long long)off[0]);
	for (size_t i = 0; i < n; i++)
		if (off[i + 1] <= off[i] || (uint64_t)off[i + 1] > nbytes)
			return tl_errf(e, "vocab.offsets[%zu] is %lld after "
			    "%lld: words must be non-empty and within the "
			    "%zu bytes of vocab.bytes", i + 1,
			    (long long)off[i + 1], (long long)off[i], nbytes);
	if ((uint64_t)off[n] != nbytes)
		return tl_errf(e, "vocab.offsets ends at %lld, expected the "
		    "length of vocab.bytes, %zu", (long long)off[n], nbytes);
	if (nbytes > 0 && memchr(bytes, 0, nbytes) != NULL)
		return tl_errf(e, "vocab.bytes holds a NUL byte");
	return 0;
}

static int
same_word(const struct tl_embed *v, size_t row, const char *w, size_t len)
{
	size_t b = (size_t)v->offsets[row];

	return (size_t)v->offsets[row + 1] - b == len &&
	    memcmp(v->bytes + b, w, len) == 0;
}

/* Insert ROW unless its word is already there (the first one wins). */
static void
insert(struct tl_embed *v, size_t row)
{
	const char *w = (const char *)v->bytes + v->offsets[row];
	size_t len = (size_t)(v->offsets[row + 1] - v->offsets[row]);
	uint64_t h = XXH3_64bits(w, len), tag = h >> 32 << 32, s;
	size_t i = (size_t)h & v->mask;

	while ((s = v->slot[i]) != 0) {
		if ((s & ~0xffffffffULL) == tag &&
		    same_word(v, (size_t)(s & 0xffffffffULL) - 1, w, len))
			return;
		i = (i + 1) & v->mask;
	}
	v->slot[i] = tag | (uint64_t)(row + 1);
}

struct tl_embed *
tl_embed_new(size_t n, size_t dim, const int64_t *offsets,
    const uint8_t *bytes, size_t nbytes, const float *vectors,
    struct tl_err *e)
{
	struct tl_embed *v;
	size_t cap = 16;

	if (n == 0 || dim == 0)
		return tl_errf(e, "empty vocabulary (%zu words of dimension "
		    "%zu)", n, dim), NULL;
	if (n >= 0xffffffffULL / 2)
		return tl_errf(e, "%zu words: too many", n), NULL;
	if (check_words(n, offsets, bytes, nbytes, e) == -1)
		return NULL;
	while (cap < 2 * n)
		cap *= 2;
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->slot = calloc(cap, sizeof(*v->slot))) == NULL) {
		free(v);
		return tl_errf(e, "out of memory"), NULL;
	}
	v->n = n;
	v->dim = dim;
	v->offsets = offsets;
	v->bytes = bytes;
	v->vectors = vectors;
	v->mask = cap - 1;
	for (size_t i = 0; i < n; i++)
		insert(v, i);
	return v;
}

/* The tensor NAME of M, checked to be 1-dimensional of DTYPE. */
static const struct tl_tensor *
vector_tensor(struct tl_model *m, const char *name, enum tl_dtype dtype,
    struct tl_err *e)
{
	const struct tl_tensor *t = tl_model_tensor(m, name);

	if (t == NULL)
		return tl_errf(e, "no tensor '%s'", name), NULL;
	if (t->dtype != dtype || t->ndim != 1)
		return tl_errf(e, "tensor '%s' is %s with %d dimensions, "
		    "expected %s with 1", name, tl_dtype_name(t->dtype),
		    t->ndim, tl_dtype_name(dtype)), NULL;
	return t;
}

/* The description's integer KEY, when present, must be WANT. */
static int
check_meta_size(const json_t *meta, const char *key, uint64_t want,
    struct tl_err *e)
{
	const json_t *v = json_object_get(meta, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return tl_errf(e, "description: \"%s\" is not an integer",
		    key);
	if (json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) != want)
		return tl_errf(e, "description says \"%s\" is %lld, the "
		    "tensors have %llu", key, (long long)json_integer_value(v),
		    (unsigned long long)want);
	return 0;
}

struct tl_embed *
tl_embed_from_model(struct tl_model *m, struct tl_err *e)
{
	const char *kind = tl_model_kind(m);
	const struct tl_tensor *off, *bytes;
	const json_t *meta = tl_model_meta(m);
	struct tl_embed *v;
	struct tl_tokens tok;
	uint64_t shape[2];
	const float *vec;

	if (kind == NULL)
		return tl_errf(e, "not a tl model (no description with a "
		    "kind)"), NULL;
	if (strcmp(kind, "embedding") != 0)
		return tl_errf(e, "model kind is '%s', expected 'embedding' "
		    "(a word-embedding model made by tl-embed import)", kind),
		    NULL;
	if ((vec = tl_model_f32(m, "vectors", 2, shape, e)) == NULL ||
	    (off = vector_tensor(m, "vocab.offsets", TL_DTYPE_I64, e)) ==
	    NULL || (bytes = vector_tensor(m, "vocab.bytes", TL_DTYPE_U8, e))
	    == NULL)
		return NULL;
	if (off->shape[0] != shape[0] + 1)
		return tl_errf(e, "vocab.offsets has %llu entries, expected "
		    "%llu (one more than the rows of vectors)",
		    (unsigned long long)off->shape[0],
		    (unsigned long long)shape[0] + 1), NULL;
	if (check_meta_size(meta, "dim", shape[1], e) == -1 ||
	    check_meta_size(meta, "vocab_size", shape[0], e) == -1)
		return NULL;
	tl_tokens_init(&tok);
	if (tl_tokens_configure(&tok, json_object_get(meta, "tokenizer"), e)
	    == -1)
		return NULL;
	v = tl_embed_new((size_t)shape[0], (size_t)shape[1], off->data,
	    bytes->data, (size_t)bytes->shape[0], vec, e);
	if (v == NULL)
		return NULL;
	v->model = m;
	v->tokenizer = json_object_get(meta, "tokenizer");
	return v;
}

struct tl_embed *
tl_embed_load(const char *path, struct tl_err *e)
{
	struct tl_model *m;
	struct tl_embed *v;

	if ((m = tl_model_load(path, e)) == NULL)
		return NULL;
	if ((v = tl_embed_from_model(m, e)) == NULL) {
		tl_model_free(m);
		return NULL;
	}
	v->owns_model = 1;
	return v;
}

struct tl_model *
tl_embed_model(const struct tl_embed *v)
{
	return v->model;
}

size_t
tl_embed_dim(const struct tl_embed *v)
{
	return v->dim;
}

size_t
tl_embed_size(const struct tl_embed *v)
{
	return v->n;
}

const json_t *
tl_embed_tokenizer(const struct tl_embed *v)
{
	return v->tokenizer;
}

long
tl_embed_lookup(const struct tl_embed *v, const char *word, size_t len)
{
	uint64_t h = XXH3_64bits(word, len), tag = h >> 32 << 32, s;
	size_t i = (size_t)h & v->mask;

	while ((s = v->slot[i]) != 0) {
		if ((s & ~0xffffffffULL) == tag) {
			size_t row = (size_t)(s & 0xffffffffULL) - 1;

			if (same_word(v, row, word, len))
				return (long)row;
		}
		i = (i + 1) & v->mask;
	}
	return -1;
}

const float *
tl_embed_vector(const struct tl_embed *v, size_t i)
{
	return v->vectors + i * v->dim;
}

/*
 * The sums are kept in double, so that the mean is the float nearest the
 * exact mean for any realistic text; the components go in blocks of
 * MEAN_BLOCK so the accumulator lives on the stack (one pass for every
 * common dimension).
 */
size_t
tl_embed_mean(const struct tl_embed *v, const struct tl_tokens *t,
    float *out)
{
	double acc[MEAN_BLOCK];
	size_t known = 0;

	for (size_t b = 0; b < v->dim; b += MEAN_BLOCK) {
		size_t w = v->dim - b < MEAN_BLOCK ? v->dim - b : MEAN_BLOCK;
		double k_known;

		memset(acc, 0, w * sizeof(acc[0]));
		known = 0;
		for (size_t i = 0; i < t->n; i++) {
			long row = tl_embed_lookup(v, t->buf + t->off[i],
			    t->len[i]);
			const float *x;

			if (row < 0)
				continue;
			known++;
			x = v->vectors + (size_t)row * v->dim + b;
			for (size_t k = 0; k < w; k++)
				acc[k] += x[k];
		}
		k_known = known ? (double)known : 1.0;
		for (size_t k = 0; k < w; k++)
			out[b + k] = (float)(acc[k] / k_known);
	}
	return known;
}

void
tl_embed_free(struct tl_embed *v)
{
	if (v == NULL)
		return;
	if (v->owns_model)
		tl_model_free(v->model);
	free(v->slot);
	free(v);
}
