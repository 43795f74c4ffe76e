/*
 * Vocabulary and pooling of an embedding model; see embed.h.
 *
 * The table is open addressing with linear probing, at most half full.
 * A slot is one uint64_t: the high 32 bits of the word's XXH3 hash (a tag
 * that spares most string comparisons) above the row + 1 (0 marks an empty
 * slot); the slot index comes from the low bits of the same hash.  Building
 * it for GloVe's 400k words takes a few milliseconds.
 *
 * Import stores the table as the tensor "vocab.hash" (I64, a power of two
 * slots, same layout), so a large model starts without building it; a
 * stored table is checked on load (its size, a sample of words found) and
 * rebuilt when the check fails, and lookups never trust it further (rows
 * are checked, probing stops after one pass).  The vectors are F32 or F16 (widened row by row); a
 * "counts" tensor (I64 [n], occurrences in the text the vectors were
 * learned from) gives the word frequencies that SIF pooling weighs by.
 * A model learned with subwords (tl-embed learn) also has the n-gram rows
 * "subwords" F32 [bucket, d]; a word the vocabulary lacks then gets the
 * mean of its n-gram rows (subword.h), as fastText does.
 */
#include <stdlib.h>
#include <string.h>

/* inlined: a call into the library per token cost more than the hash
 * of a short word itself (the same function, from the same header) */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bytes.h"
#include "embed.h"
#include "f16.h"
#include "subword.h"

/* Accumulate at most this many components at once (on the stack). */
#define MEAN_BLOCK 512

struct tl_embed {
	size_t		 n, dim;
	const int64_t	*offsets;
	const uint8_t	*bytes;
	const float	*vectors;	/* NULL when the rows are F16 */
	const uint16_t	*vec16;
	const int64_t	*counts;	/* NULL without a "counts" tensor */
	const uint64_t	*slot;		/* own_slot or the model's table */
	uint64_t	*own_slot;
	size_t		 mask;		/* slots - 1 */
	struct tl_model	*model;		/* NULL, borrowed or owned */
	int		 owns_model;
	const json_t	*tokenizer;
	const float	*subwords;	/* n-gram rows; NULL: OOV skipped */
	struct tl_subword_spec sub;
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
	    tl_same_bytes(v->bytes + b, w, len);
}

/* Insert ROW unless its word is already there (the first one wins). */
static void
insert(struct tl_embed *v, uint64_t *slot, size_t row)
{
	const char *w = (const char *)v->bytes + v->offsets[row];
	size_t len = (size_t)(v->offsets[row + 1] - v->offsets[row]);
	uint64_t h = XXH3_64bits(w, len), tag = h >> 32 << 32, s;
	size_t i = (size_t)h & v->mask;

	while ((s = slot[i]) != 0) {
		if ((s & ~0xffffffffULL) == tag &&
		    same_word(v, (size_t)(s & 0xffffffffULL) - 1, w, len))
			return;
		i = (i + 1) & v->mask;
	}
	slot[i] = tag | (uint64_t)(row + 1);
}

/* A vocabulary without its table yet (the words checked). */
static struct tl_embed *
embed_alloc(size_t n, size_t dim, const int64_t *offsets,
    const uint8_t *bytes, size_t nbytes, struct tl_err *e)
{
	struct tl_embed *v;

	if (n == 0 || dim == 0)
		return tl_errf(e, "empty vocabulary (%zu words of dimension "
		    "%zu)", n, dim), NULL;
	if (n >= 0xffffffffULL / 2)
		return tl_errf(e, "%zu words: too many", n), NULL;
	if (check_words(n, offsets, bytes, nbytes, e) == -1)
		return NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return tl_errf(e, "out of memory"), NULL;
	v->n = n;
	v->dim = dim;
	v->offsets = offsets;
	v->bytes = bytes;
	return v;
}

/* Build the table: at most half full, a power of two slots. */
static int
build_table(struct tl_embed *v, struct tl_err *e)
{
	size_t cap = 16;

	while (cap < 2 * v->n)
		cap *= 2;
	if ((v->own_slot = calloc(cap, sizeof(*v->own_slot))) == NULL)
		return tl_errf(e, "out of memory");
	v->mask = cap - 1;
	for (size_t i = 0; i < v->n; i++)
		insert(v, v->own_slot, i);
	v->slot = v->own_slot;
	return 0;
}

/*
 * Use the stored table T when it passes the checks: a power of two slots,
 * more than the words, and every 64th word (and the last) found.  The slots are not all read here, which would touch every page of
 * the table at each start: lookups instead check each row they meet and
 * stop after one pass over the slots, so a damaged table can make words
 * unknown but never read out of bounds or loop.  1 when adopted.
 */
static int
adopt_table(struct tl_embed *v, const struct tl_tensor *t)
{
	size_t cap, step;

	if (t->dtype != TL_DTYPE_I64 || t->ndim != 1)
		return 0;
	cap = (size_t)t->shape[0];
	if (cap <= v->n || (cap & (cap - 1)) != 0)
		return 0;
	v->slot = t->data;
	v->mask = cap - 1;
	step = v->n / 64 ? v->n / 64 : 1;
	for (size_t i = 0; i < v->n; i += step)
		if (tl_embed_lookup(v, (const char *)v->bytes + v->offsets[i],
		    (size_t)(v->offsets[i + 1] - v->offsets[i])) < 0)
			return v->slot = NULL, 0;
	if (tl_embed_lookup(v, (const char *)v->bytes + v->offsets[v->n - 1],
	    (size_t)(v->offsets[v->n] - v->offsets[v->n - 1])) < 0)
		return v->slot = NULL, 0;
	return 1;
}

struct tl_embed *
tl_embed_new(size_t n, size_t dim, const int64_t *offsets,
    const uint8_t *bytes, size_t nbytes, const float *vectors,
    struct tl_err *e)
{
	struct tl_embed *v = embed_alloc(n, dim, offsets, bytes, nbytes, e);

	if (v == NULL)
		return NULL;
	v->vectors = vectors;
	if (build_table(v, e) == -1) {
		free(v);
		return NULL;
	}
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

/* The "vectors" tensor of M: F32 or F16 [n, d], its shape in SHAPE. */
static const struct tl_tensor *
vectors_tensor(struct tl_model *m, uint64_t shape[2], struct tl_err *e)
{
	const struct tl_tensor *t = tl_model_tensor(m, "vectors");

	if (t == NULL)
		return tl_errf(e, "tensor 'vectors': expected F32 or F16 with "
		    "2 dimensions, found no such tensor"), NULL;
	if ((t->dtype != TL_DTYPE_F32 && t->dtype != TL_DTYPE_F16) ||
	    t->ndim != 2)
		return tl_errf(e, "tensor 'vectors': expected F32 or F16 with "
		    "2 dimensions, found %s with %d", tl_dtype_name(t->dtype),
		    t->ndim), NULL;
	shape[0] = t->shape[0];
	shape[1] = t->shape[1];
	return t;
}

/* The optional "counts" tensor of M: I64 [N] of non-negative values. */
static int
counts_tensor(struct tl_model *m, uint64_t n, const int64_t **out,
    struct tl_err *e)
{
	const struct tl_tensor *t = tl_model_tensor(m, "counts");

	*out = NULL;
	if (t == NULL)
		return 0;
	if (t->dtype != TL_DTYPE_I64 || t->ndim != 1 || t->shape[0] != n)
		return tl_errf(e, "tensor 'counts': expected I64 [%llu] (one "
		    "per word), found %s with %d dimensions",
		    (unsigned long long)n, tl_dtype_name(t->dtype), t->ndim);
	for (uint64_t i = 0; i < n; i++)
		if (((const int64_t *)t->data)[i] < 0)
			return tl_errf(e, "tensor 'counts': entry %llu is "
			    "negative", (unsigned long long)i);
	*out = t->data;
	return 0;
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

/* The optional n-gram rows of a model learned with subwords: tensor
 * "subwords" F32 [bucket, dim] and the description's "subwords" object. */
static int
load_subwords(struct tl_embed *v, struct tl_model *m, const json_t *meta,
    struct tl_err *e)
{
	const struct tl_tensor *t = tl_model_tensor(m, "subwords");

	if (t == NULL)
		return 0;
	if (tl_subword_spec_parse(json_object_get(meta, "subwords"), &v->sub,
	    e) == -1)
		return -1;
	if (t->dtype != TL_DTYPE_F32 || t->ndim != 2 ||
	    t->shape[0] != v->sub.bucket || t->shape[1] != v->dim)
		return tl_errf(e, "tensor 'subwords': expected F32 [%lu, %zu] "
		    "(bucket x dim), found %s with %d dimensions",
		    (unsigned long)v->sub.bucket, v->dim,
		    tl_dtype_name(t->dtype), t->ndim);
	v->subwords = t->data;
	return 0;
}

struct tl_embed *
tl_embed_from_model(struct tl_model *m, struct tl_err *e)
{
	const char *kind = tl_model_kind(m);
	const struct tl_tensor *off, *bytes, *vt, *ht;
	const json_t *meta = tl_model_meta(m);
	struct tl_embed *v;
	struct tl_tokens tok;
	uint64_t shape[2];
	const int64_t *counts;

	if (kind == NULL)
		return tl_errf(e, "not a tl model (no description with a "
		    "kind)"), NULL;
	if (strcmp(kind, "embedding") != 0)
		return tl_errf(e, "model kind is '%s', expected 'embedding' "
		    "(a word-embedding model made by tl-embed import)", kind),
		    NULL;
	if ((vt = vectors_tensor(m, shape, e)) == NULL ||
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
	if (counts_tensor(m, shape[0], &counts, e) == -1)
		return NULL;
	v = embed_alloc((size_t)shape[0], (size_t)shape[1], off->data,
	    bytes->data, (size_t)bytes->shape[0], e);
	if (v == NULL)
		return NULL;
	if (vt->dtype == TL_DTYPE_F16)
		v->vec16 = vt->data;
	else
		v->vectors = vt->data;
	v->counts = counts;
	if (((ht = tl_model_tensor(m, "vocab.hash")) == NULL ||
	    !adopt_table(v, ht)) && build_table(v, e) == -1) {
		free(v);
		return NULL;
	}
	if (load_subwords(v, m, meta, e) == -1) {
		tl_embed_free(v);
		return NULL;
	}
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

/* The row of the LEN bytes at WORD, whose XXH3 hash is H, or -1. */
static long
probe(const struct tl_embed *v, uint64_t h, const char *word, size_t len)
{
	uint64_t tag = h >> 32 << 32, s;
	size_t i = (size_t)h & v->mask, probes = 0;

	/* bounded, and rows checked: a stored table is trusted for neither
	 * an empty slot nor its rows (see adopt_table) */
	while ((s = v->slot[i]) != 0 && probes++ <= v->mask) {
		if ((s & ~0xffffffffULL) == tag) {
			size_t row = (size_t)(s & 0xffffffffULL) - 1;

			if (row < v->n && same_word(v, row, word, len))
				return (long)row;
		}
		i = (i + 1) & v->mask;
	}
	return -1;
}

long
tl_embed_lookup(const struct tl_embed *v, const char *word, size_t len)
{
	return probe(v, XXH3_64bits(word, len), word, len);
}

/* The row that the first slot of hash H names when its tag matches (the
 * likely row of the word), or v->n. */
static size_t
likely_row(const struct tl_embed *v, uint64_t h)
{
	uint64_t s = v->slot[(size_t)h & v->mask];
	size_t row = (size_t)(s & 0xffffffffULL) - 1;

	return s != 0 && (s >> 32) == (h >> 32) && row < v->n ? row : v->n;
}

/* Ask the CPU to fetch the N bytes at P (a hint: no effect on results). */
static void
prefetch(const void *p, size_t n)
{
	for (size_t k = 0; k < n; k += 64)
		__builtin_prefetch((const char *)p + k);
}

/*
 * In stages, each over all N tokens before the next, so that the memory
 * latencies of the N lookups overlap instead of adding up: hash and fetch
 * the first slot; fetch the likely row's word offsets; fetch its bytes
 * and vector; then probe as tl_embed_lookup does.
 */
void
tl_embed_lookup_words(const struct tl_embed *v, const char *const *w,
    const size_t *len, size_t n, long *rows)
{
	uint64_t h[TL_EMBED_LOOKUP_MAX];
	size_t row, vbytes = v->dim * (v->vectors != NULL ? 4 : 2);
	const char *vecs = v->vectors != NULL ? (const char *)v->vectors :
	    (const char *)v->vec16;

	for (size_t i = 0; i < n; i++) {
		h[i] = XXH3_64bits(w[i], len[i]);
		__builtin_prefetch(&v->slot[(size_t)h[i] & v->mask]);
	}
	for (size_t i = 0; i < n; i++)
		if ((row = likely_row(v, h[i])) < v->n) {
			rows[i] = (long)row;
			__builtin_prefetch(&v->offsets[row]);
			prefetch(vecs + row * vbytes, vbytes);
		} else
			rows[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (rows[i] >= 0)
			__builtin_prefetch(v->bytes + v->offsets[rows[i]]);
	/* the likely row is the word's when the words match: probe would
	 * stop at that first slot */
	for (size_t i = 0; i < n; i++)
		if (rows[i] < 0 || !same_word(v, (size_t)rows[i], w[i], len[i]))
			rows[i] = probe(v, h[i], w[i], len[i]);
}

const float *
tl_embed_vector(const struct tl_embed *v, size_t i)
{
	return v->vectors != NULL ? v->vectors + i * v->dim : NULL;
}

const float *
tl_embed_row(const struct tl_embed *v, size_t i, float *buf)
{
	const uint16_t *h;

	if (v->vectors != NULL)
		return v->vectors + i * v->dim;
	h = v->vec16 + i * v->dim;
	for (size_t k = 0; k < v->dim; k++)
		buf[k] = tl_f16_to_float(h[k]);
	return buf;
}

const char *
tl_embed_word(const struct tl_embed *v, size_t i, size_t *len)
{
	*len = (size_t)(v->offsets[i + 1] - v->offsets[i]);
	return (const char *)v->bytes + v->offsets[i];
}

int
tl_embed_is_f16(const struct tl_embed *v)
{
	return v->vec16 != NULL;
}

const int64_t *
tl_embed_counts(const struct tl_embed *v)
{
	return v->counts;
}

const uint64_t *
tl_embed_table(const struct tl_embed *v, size_t *nslots)
{
	*nslots = v->mask + 1;
	return v->slot;
}

int
tl_embed_has_subwords(const struct tl_embed *v)
{
	return v->subwords != NULL;
}

const float *
tl_embed_word_vector(const struct tl_embed *v, const char *word,
    size_t len, float *buf)
{
	long row = tl_embed_lookup(v, word, len);

	if (row >= 0)
		return tl_embed_row(v, (size_t)row, buf);
	if (v->subwords == NULL || tl_subword_compose(&v->sub, v->subwords,
	    v->dim, v->dim, word, len, buf) == 0)
		return NULL;
	return buf;
}

/* An unknown word of a model with subwords: add components [B, B+W) of
 * the mean of its n-gram rows to ACC.  1 when it has n-grams, else 0. */
static int
add_composed(const struct tl_embed *v, const char *word, size_t len,
    size_t b, size_t w, double *acc)
{
	float x[MEAN_BLOCK];

	if (v->subwords == NULL || tl_subword_compose(&v->sub, v->subwords +
	    b, v->dim, w, word, len, x) == 0)
		return 0;
	for (size_t k = 0; k < w; k++)
		acc[k] += x[k];
	return 1;
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
			long row = tl_embed_lookup(v, t->bytes + t->off[i],
			    t->len[i]);
			const float *x;

			if (row < 0) {
				known += add_composed(v, t->bytes + t->off[i],
				    t->len[i], b, w, acc);
				continue;
			}
			known++;
			if (v->vec16 != NULL) {
				const uint16_t *h = v->vec16 +
				    (size_t)row * v->dim + b;

				for (size_t k = 0; k < w; k++)
					acc[k] += tl_f16_to_float(h[k]);
				continue;
			}
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
	free(v->own_slot);
	free(v);
}
