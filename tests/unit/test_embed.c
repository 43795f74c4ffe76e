/*
 * Unit tests of the embedding vocabulary and pooling: lookups (duplicates
 * keep the first row; in batches, the same rows), the mean of known words, the checks on malformed
 * vocabularies, a model round trip through the model writer, and a
 * GloVe-sized vocabulary (its load time is measured in make bench, not
 * asserted here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "embed.h"
#include "wordvec.h"
#include "t.h"

/* A small vocabulary: "the cat sat on mat the" (a duplicate "the"). */
static const char words[] = "thecatsatonmatthe";
static const int64_t offs[] = { 0, 3, 6, 9, 11, 14, 17 };
static const float vecs[6 * 3] = {
	1, 2, 3,	/* the */
	4, 5, 6,	/* cat */
	-1, 0, 1,	/* sat */
	0.5f, 0.25f, 0,	/* on */
	10, 20, 30,	/* mat */
	99, 99, 99,	/* the (duplicate, never used) */
};

static struct tl_embed *
small(void)
{
	struct tl_err e;

	return tl_embed_new(6, 3, offs, (const uint8_t *)words,
	    sizeof(words) - 1, vecs, &e);
}

static void
test_lookup(void)
{
	struct tl_embed *v = small();

	T_CHECK(v != NULL);
	if (v == NULL)
		return;
	T_CHECK(tl_embed_dim(v) == 3 && tl_embed_size(v) == 6);
	T_CHECK(tl_embed_lookup(v, "the", 3) == 0);
	T_CHECK(tl_embed_lookup(v, "cat", 3) == 1);
	T_CHECK(tl_embed_lookup(v, "mat", 3) == 4);
	T_CHECK(tl_embed_lookup(v, "on", 2) == 3);
	T_CHECK(tl_embed_lookup(v, "o", 1) == -1);
	T_CHECK(tl_embed_lookup(v, "them", 4) == -1);
	T_CHECK(tl_embed_lookup(v, "", 0) == -1);
	T_CHECK(tl_embed_lookup(v, "thecat", 3) == 0);	/* length counts */
	T_CHECK(tl_embed_vector(v, 4)[2] == 30);
	T_CHECK(tl_embed_model(v) == NULL && tl_embed_tokenizer(v) == NULL);
	tl_embed_free(v);
}

static void
test_mean(void)
{
	struct tl_embed *v = small();
	struct tl_tokens t;
	float out[3];
	const char *text = "The cat sat on the unknownword mat !";

	T_CHECK(v != NULL);
	if (v == NULL)
		return;
	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, text, strlen(text)) == 8);
	T_CHECK(tl_embed_mean(v, &t, out) == 6);
	/* the the cat sat on mat: (1+1+4-1+.5+10)/6 ... */
	T_NEAR(out[0], (1 + 1 + 4 - 1 + 0.5 + 10) / 6.0, 1e-6);
	T_NEAR(out[1], (2 + 2 + 5 + 0 + 0.25 + 20) / 6.0, 1e-6);
	T_NEAR(out[2], (3 + 3 + 6 + 1 + 0 + 30) / 6.0, 1e-6);
	T_CHECK(tl_tokenize(&t, "nothing known here", 18) == 3);
	out[0] = out[1] = out[2] = 7;
	T_CHECK(tl_embed_mean(v, &t, out) == 0);
	T_CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0);
	T_CHECK(tl_tokenize(&t, "", 0) == 0);
	T_CHECK(tl_embed_mean(v, &t, out) == 0 && out[1] == 0);
	tl_tokens_free(&t);
	tl_embed_free(v);
}

/* A dimension above the on-stack block: the mean is computed in passes. */
static void
test_mean_wide(void)
{
	size_t dim = 1300;
	float *x = malloc(2 * dim * sizeof(float)), *out = malloc(dim *
	    sizeof(float));
	const int64_t o[] = { 0, 1, 2 };
	struct tl_tokens t;
	struct tl_embed *v;
	struct tl_err e;
	int ok = 1;

	T_CHECK(x != NULL && out != NULL);
	if (x == NULL || out == NULL)
		return;
	for (size_t i = 0; i < 2 * dim; i++)
		x[i] = (float)i;
	v = tl_embed_new(2, dim, o, (const uint8_t *)"ab", 2, x, &e);
	T_CHECK(v != NULL);
	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, "a b b c", 7) == 4);
	T_CHECK(v != NULL && tl_embed_mean(v, &t, out) == 3);
	for (size_t k = 0; k < dim; k++)
		if (out[k] != (float)((k + 2.0 * (dim + k)) / 3.0))
			ok = 0;
	T_CHECK(ok);
	tl_tokens_free(&t);
	tl_embed_free(v);
	free(x);
	free(out);
}

/* The same with F16 rows, wider than a widening block: each block of a
 * row must be read at its own offset. */
static void
test_mean_wide_f16(void)
{
	size_t dim = 700;
	float *x = malloc(2 * dim * sizeof(float)), *out = malloc(dim *
	    sizeof(float));
	int64_t o[] = { 0, 1, 2 };
	char path[] = "/tmp/tl-test-f16-XXXXXX", digest[65];
	struct tl_wordvec w = { 0 };
	struct tl_tokens t;
	struct tl_embed *v = NULL;
	struct tl_err e;
	json_t *meta = json_pack("{s:s}", "kind", "embedding");
	FILE *f = NULL;
	int fd = mkstemp(path), ok = 1;

	T_CHECK(x != NULL && out != NULL && fd != -1 && meta != NULL);
	if (x == NULL || out == NULL || fd == -1 || meta == NULL)
		return;
	for (size_t i = 0; i < 2 * dim; i++)	/* exact in F16 */
		x[i] = (float)(i % 1000) / 8;
	w = (struct tl_wordvec){ .n = 2, .dim = dim, .vectors = x,
	    .offsets = o, .bytes = (uint8_t *)"ab", .nbytes = 2 };
	T_CHECK((f = fdopen(fd, "wb")) != NULL &&
	    tl_wordvec_write_as(&w, meta, TL_DTYPE_F16, f, digest, &e) == 0);
	T_CHECK(f != NULL && fclose(f) == 0);
	v = tl_embed_load(path, &e);
	if (v == NULL)
		fprintf(stderr, "%s\n", e.msg);
	T_CHECK(v != NULL && tl_embed_is_f16(v));
	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, "a b b", 5) == 3);
	T_CHECK(v != NULL && tl_embed_mean(v, &t, out) == 3);
	for (size_t k = 0; k < dim && v != NULL; k++)
		if (out[k] != (float)((x[k] + 2.0 * x[dim + k]) / 3.0))
			ok = 0;
	T_CHECK(ok);
	tl_tokens_free(&t);
	tl_embed_free(v);
	json_decref(meta);
	unlink(path);
	free(x);
	free(out);
}

static void
test_bad_vocab(void)
{
	static const float x[4] = { 0 };
	const uint8_t *b = (const uint8_t *)"abcd";
	struct tl_err e;
	const int64_t nonzero[] = { 1, 2, 4 }, backwards[] = { 0, 3, 2 },
	    empty[] = { 0, 2, 2 }, short_[] = { 0, 1, 3 }, past[] = { 0, 5, 4 },
	    good[] = { 0, 2, 4 };

	T_CHECK(tl_embed_new(2, 2, nonzero, b, 4, x, &e) == NULL);
	T_CHECK(strstr(e.msg, "expected 0") != NULL);
	T_CHECK(tl_embed_new(2, 2, backwards, b, 4, x, &e) == NULL);
	T_CHECK(tl_embed_new(2, 2, empty, b, 4, x, &e) == NULL);
	T_CHECK(strstr(e.msg, "non-empty") != NULL);
	T_CHECK(tl_embed_new(2, 2, short_, b, 4, x, &e) == NULL);
	T_CHECK(strstr(e.msg, "expected the length") != NULL);
	T_CHECK(tl_embed_new(2, 2, past, b, 4, x, &e) == NULL);
	T_CHECK(tl_embed_new(2, 2, good, (const uint8_t *)"a\0cd", 4, x, &e)
	    == NULL);
	T_CHECK(strstr(e.msg, "NUL") != NULL);
	T_CHECK(tl_embed_new(0, 2, good, b, 0, x, &e) == NULL);
	T_CHECK(strstr(e.msg, "empty vocabulary") != NULL);
	T_CHECK(tl_embed_new(2, 0, good, b, 4, x, &e) == NULL);
}

/* Write a model with WRITER into memory and load it back. */
static struct tl_model *
roundtrip(struct tl_model_writer *w, json_t *meta)
{
	char *buf = NULL, digest[65];
	size_t len = 0;
	struct tl_model *m = NULL;
	struct tl_err e;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	if (tl_model_writer_write(w, meta, f, digest, &e) == -1) {
		fprintf(stderr, "write: %s\n", e.msg);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	m = tl_model_load_mem(buf, len, &e);
	if (m == NULL)
		fprintf(stderr, "load: %s\n", e.msg);
	free(buf);
	return m;
}

/* A model of KIND with the small vocabulary; ROWS_OFF changes the number
 * of offsets to make a mismatch; TOK is the tokenizer mode. */
static struct tl_model *
small_model(const char *kind, int rows_off, const char *tok)
{
	struct tl_model_writer *w = tl_model_writer_new();
	json_t *meta = tl_meta_new(kind, "test");
	uint64_t vshape[2] = { 6, 3 }, oshape[1] = { 7 + rows_off },
	    bshape[1] = { sizeof(words) - 1 };
	struct tl_model *m = NULL;
	struct tl_err e;

	if (w == NULL || meta == NULL)
		goto out;
	json_object_set_new(meta, "dim", json_integer(3));
	json_object_set_new(meta, "tokenizer", json_pack("{s:s}", "mode",
	    tok));
	if (tl_model_writer_add(w, "vectors", TL_DTYPE_F32, 2, vshape, vecs,
	    &e) == -1 || tl_model_writer_add(w, "vocab.offsets", TL_DTYPE_I64,
	    1, oshape, offs, &e) == -1 || tl_model_writer_add(w,
	    "vocab.bytes", TL_DTYPE_U8, 1, bshape, words, &e) == -1) {
		fprintf(stderr, "add: %s\n", e.msg);
		goto out;
	}
	m = roundtrip(w, meta);
out:
	json_decref(meta);
	tl_model_writer_free(w);
	return m;
}

static void
test_model(void)
{
	struct tl_model *m;
	struct tl_embed *v;
	struct tl_err e;

	T_CHECK((m = small_model("embedding", 0, "general")) != NULL);
	if (m == NULL)
		return;
	v = tl_embed_from_model(m, &e);
	T_CHECK(v != NULL);
	if (v != NULL) {
		T_CHECK(tl_embed_lookup(v, "mat", 3) == 4);
		T_CHECK(tl_embed_model(v) == m);
		T_CHECK(tl_embed_tokenizer(v) != NULL);
	}
	tl_embed_free(v);
	tl_model_free(m);

	T_CHECK((m = small_model("softmax", 0, "general")) != NULL);
	T_CHECK(m != NULL && tl_embed_from_model(m, &e) == NULL);
	T_CHECK(strstr(e.msg, "'softmax'") != NULL);
	tl_model_free(m);

	T_CHECK((m = small_model("embedding", -1, "general")) != NULL);
	T_CHECK(m != NULL && tl_embed_from_model(m, &e) == NULL);
	T_CHECK(strstr(e.msg, "vocab.offsets has 6 entries") != NULL);
	tl_model_free(m);

	T_CHECK((m = small_model("embedding", 0, "bpe")) != NULL);
	T_CHECK(m != NULL && tl_embed_from_model(m, &e) == NULL);
	T_CHECK(strstr(e.msg, "'bpe'") != NULL);
	tl_model_free(m);
}

/* tl_same_bytes, for every length up to 40: equal strings are the same,
 * and a difference in any one byte is seen; both strings end where their
 * allocation ends, so that the sanitizer build sees any read past it. */
static void
test_same_bytes(void)
{
	size_t bad = 0;

	for (size_t len = 0; len <= 40; len++) {
		char *a = malloc(len + 1), *b = malloc(len + 1);

		T_CHECK(a != NULL && b != NULL);
		if (a == NULL || b == NULL)
			break;
		for (size_t i = 0; i < len; i++)
			a[i] = b[i] = (char)('a' + (i * 7 + len) % 26);
		/* compare the last LEN bytes of each block */
		memmove(a + 1, a, len);
		memmove(b + 1, b, len);
		bad += !tl_same_bytes(a + 1, b + 1, len);
		for (size_t p = 1; p <= len; p++) {
			b[p] ^= 0x20;
			bad += tl_same_bytes(a + 1, b + 1, len);
			b[p] ^= 0x20;
		}
		free(a);
		free(b);
	}
	T_CHECK(bad == 0);
}

/* 400,000 distinct words: every one found at its row, and the table built
 * well under a tenth of a second. */
static void
test_big(void)
{
	size_t n = 400000, nb = 0, found = 0;
	int64_t *o = malloc((n + 1) * sizeof(*o));
	char *b = malloc(n * 16);
	float *x = calloc(n, sizeof(float));
	struct tl_embed *v;
	struct tl_err e;

	T_CHECK(o != NULL && b != NULL && x != NULL);
	if (o == NULL || b == NULL || x == NULL)
		return;
	o[0] = 0;
	for (size_t i = 0; i < n; i++) {
		nb += (size_t)sprintf(b + nb, "w%zx", i * 2654435761u);
		o[i + 1] = (int64_t)nb;
	}
	v = tl_embed_new(n, 1, o, (uint8_t *)b, nb, x, &e);
	T_CHECK(v != NULL);
	if (v != NULL)
		for (size_t i = 0; i < n; i++)
			found += tl_embed_lookup(v, b + o[i],
			    (size_t)(o[i + 1] - o[i])) == (long)i;
	T_CHECK(found == n);
	T_CHECK(v != NULL && tl_embed_lookup(v, "w", 1) == -1);
	tl_embed_free(v);
	free(o);
	free(b);
	free(x);
}

/* tl_embed_lookup_words gives tl_embed_lookup's rows, in batches of
 * any size up to the most, known words and unknown, duplicates too. */
static void
test_lookup_words(void)
{
	struct tl_embed *v = small();
	struct tl_tokens t;
	long rows[TL_EMBED_LOOKUP_MAX];
	const char *w[TL_EMBED_LOOKUP_MAX];
	size_t len[TL_EMBED_LOOKUP_MAX], bad = 0;
	char text[4096] = "";

	T_CHECK(v != NULL);
	if (v == NULL)
		return;
	for (int i = 0; i < 400; i++)
		strcat(text, (const char *[]){ "the ", "cat ", "dog ", "on ",
		    "o ", "mat ", "them ", "sat " }[i * 7 % 8]);
	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, text, strlen(text)) == 400);
	for (size_t first = 0; first < t.n; first += 37) {
		size_t n = t.n - first < TL_EMBED_LOOKUP_MAX ? t.n - first :
		    TL_EMBED_LOOKUP_MAX;

		for (size_t i = 0; i < n; i++)
			w[i] = tl_tokens_at(&t, first + i, &len[i]);
		tl_embed_lookup_words(v, w, len, n, rows);
		for (size_t i = 0; i < n; i++)
			bad += rows[i] != tl_embed_lookup(v, w[i], len[i]);
	}
	T_CHECK(bad == 0);
	tl_embed_lookup_words(v, w, len, 0, rows);	/* none: a no-op */
	tl_tokens_free(&t);
	tl_embed_free(v);
}

int
main(void)
{
	T_RUN(test_lookup);
	T_RUN(test_lookup_words);
	T_RUN(test_same_bytes);
	T_RUN(test_mean);
	T_RUN(test_mean_wide);
	T_RUN(test_mean_wide_f16);
	T_RUN(test_bad_vocab);
	T_RUN(test_model);
	T_RUN(test_big);
	return t_done();
}
