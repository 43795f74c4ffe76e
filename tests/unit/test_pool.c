/*
 * Unit tests of the poolings (mean, max, meanmax, SIF weights from counts
 * and from rank), the eigensolver behind tl-embed fit, F16 conversion, and
 * the lookup table stored in a model (adopted when sound, rebuilt when
 * not).  The numpy reference tests are tests/py/test_pool_numpy.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "f16.h"
#include "pool.h"
#include "t.h"
#include "tokenize.h"
#include "wordvec.h"

static const char words[] = "thecatsatonmat";
static const int64_t offs[] = { 0, 3, 6, 9, 11, 14 };
static const float vecs[5 * 3] = {
	1, 2, 3,	/* the */
	4, -5, 6,	/* cat */
	-1, 0, 1,	/* sat */
	0.5f, 0.25f, 0,	/* on */
	10, 20, -30,	/* mat */
};

static struct tl_embed *
small(void)
{
	struct tl_err e;

	return tl_embed_new(5, 3, offs, (const uint8_t *)words,
	    sizeof(words) - 1, vecs, &e);
}

/* Pool TEXT with O over the small vocabulary into OUT; known count. */
static size_t
pool_text(const struct tl_pool_opts *o, const char *text, float *out)
{
	struct tl_embed *v = small();
	struct tl_pool *p;
	struct tl_tokens t;
	struct tl_err e;
	size_t known;

	tl_tokens_init(&t);
	tl_tokenize(&t, text, strlen(text));
	p = tl_pool_new(v, o, &e);
	known = tl_pool_doc(p, &t, out);
	tl_pool_free(p);
	tl_tokens_free(&t);
	tl_embed_free(v);
	return known;
}

static void
test_kinds(void)
{
	enum tl_pool_kind k;

	T_CHECK(tl_pool_kind_parse("meanmax", &k) == 0 &&
	    k == TL_POOL_MEANMAX);
	T_CHECK(tl_pool_kind_parse("sif", &k) == 0 && k == TL_POOL_SIF);
	T_CHECK(tl_pool_kind_parse("median", &k) == -1);
	T_CHECK(strcmp(tl_pool_kind_name(TL_POOL_MAX), "max") == 0);
}

static void
test_max_meanmax(void)
{
	struct tl_pool_opts o = { .kind = TL_POOL_MAX };
	float x[6];

	T_CHECK(pool_text(&o, "cat zzz mat", x) == 2);
	T_CHECK(x[0] == 10 && x[1] == 20 && x[2] == 6);
	T_CHECK(pool_text(&o, "zzz", x) == 0);
	T_CHECK(x[0] == 0 && x[1] == 0 && x[2] == 0);
	o.kind = TL_POOL_MEANMAX;
	T_CHECK(pool_text(&o, "the sat", x) == 2);
	T_CHECK(x[0] == 0 && x[1] == 1 && x[2] == 2);
	T_CHECK(x[3] == 1 && x[4] == 2 && x[5] == 3);
	o.normalize = 1;
	pool_text(&o, "the sat", x);
	T_NEAR(x[1] * x[1] + x[2] * x[2] + x[3] * x[3] + x[4] * x[4] +
	    x[5] * x[5], 1, 1e-6);
}

static void
test_sif_counts(void)
{
	static const int64_t counts[5] = { 600, 100, 100, 200, 0 };
	struct tl_pool_opts o = { .kind = TL_POOL_SIF, .sif_a = 0.1,
	    .counts = counts };
	struct tl_embed *v = small();
	struct tl_pool *p;
	struct tl_err e;
	float x[3];

	p = tl_pool_new(v, &o, &e);
	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	T_NEAR(tl_pool_prob(p, 0), 0.6, 1e-12);
	T_NEAR(tl_pool_weight(p, 0), 0.1 / 0.7, 1e-12);
	T_NEAR(tl_pool_weight(p, 4), 1, 0);
	T_CHECK(tl_pool_components(p) == 0);	/* no model, no components */
	tl_pool_free(p);
	tl_embed_free(v);
	/* (w_the * the + w_mat * mat) / (w_the + w_mat), w_mat = 1 */
	pool_text(&o, "the mat", x);
	T_NEAR(x[0], (1.0 / 7 * 1 + 10) / (1.0 / 7 + 1), 1e-5);
	T_NEAR(x[2], (1.0 / 7 * 3 - 30) / (1.0 / 7 + 1), 1e-5);
}

static void
test_sif_rank(void)
{
	struct tl_pool_opts o = { .kind = TL_POOL_SIF };
	struct tl_embed *v = small();
	struct tl_pool *p;
	struct tl_err e;
	double sum = 0, h = 0;

	p = tl_pool_new(v, &o, &e);
	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	for (size_t r = 0; r < 5; r++)
		sum += tl_pool_prob(p, r);
	T_NEAR(sum, 1, 1e-12);
	for (int r = 1; r <= 5; r++)
		h += 1 / (r + 2.7);
	T_NEAR(tl_pool_prob(p, 0), 1 / (3.7 * h), 1e-12);
	T_CHECK(tl_pool_prob(p, 0) > tl_pool_prob(p, 4));
	T_NEAR(tl_pool_sif_a(p), 1e-3, 0);
	tl_pool_free(p);
	o.sif_a = -1;
	T_CHECK(tl_pool_new(v, &o, &e) == NULL);
	tl_embed_free(v);
}

static void
test_eigen(void)
{
	/* Q diag(5, 2, 1) Q' with Q a rotation in the first two axes */
	double c = 0.6, s = 0.8, m[9] = {
		5 * c * c + 2 * s * s, (5 - 2) * c * s, 0,
		(5 - 2) * c * s, 5 * s * s + 2 * c * c, 0,
		0, 0, 1 };
	float u[6];
	double lambda[2];
	struct tl_err e;

	T_CHECK(tl_pool_eigen(m, 3, 2, u, lambda, &e) == 0);
	T_NEAR(lambda[0], 5, 1e-12);
	T_NEAR(lambda[1], 2, 1e-12);
	T_NEAR(u[0], 0.6, 1e-6);	/* largest component positive */
	T_NEAR(u[1], 0.8, 1e-6);
	T_NEAR(u[2], 0, 1e-6);
	T_NEAR(u[3] * u[3] + u[4] * u[4], 1, 1e-6);
	T_NEAR(u[0] * u[3] + u[1] * u[4], 0, 1e-6);
	T_CHECK(u[3] > 0 && u[4] < 0);	/* (0.8, -0.6): largest positive */
	T_CHECK(tl_pool_eigen(m, 3, 4, u, lambda, &e) == -1);
}

/* Mean pooling in blocks of components (AVX2's 16, SSE2's 8, then one
 * by one) gives, to the last bit, the plain loop's sums in token order
 * in double times the reciprocal of the count, for dimensions that use
 * every kind of block, and documents longer than a lookup batch. */
static void
test_wide_exact(void)
{
	static const size_t dims[] = { 1, 7, 8, 16, 37, 45, 100 };
	const char *part = "the cat sat on the mat the cat the mat on sat "
	    "cat cat the the on on mat mat sat sat the cat sat on the mat "
	    "the cat the mat on sat mat dog the cat sat on the cat sat on "
	    "the mat the cat the mat on sat cat cat the the on on mat mat "
	    "sat on the mat the cat sat on the mat dog cat on the mat sat ";
	char text[4 * 400];
	struct tl_pool_opts o = { .kind = TL_POOL_MEAN };
	unsigned long x = 99;

	/* more tokens than one lookup batch takes */
	snprintf(text, sizeof(text), "%s%s%s%s", part, part, part, part);
	for (size_t k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
		size_t d = dims[k], ntok = 0;
		float *v = malloc(5 * d * sizeof(*v)), *out = malloc(d *
		    sizeof(*out));
		double *ref = calloc(d, sizeof(*ref));
		struct tl_tokens t;
		struct tl_embed *e;
		struct tl_pool *p;
		struct tl_err err;
		size_t len = 0;

		for (size_t i = 0; i < 5 * d; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			v[i] = (float)((double)(x >> 11) / 9007199254740992.0 -
			    0.5) * 1000;
		}
		e = tl_embed_new(5, d, offs, (const uint8_t *)words,
		    sizeof(words) - 1, v, &err);
		tl_tokens_init(&t);
		tl_tokenize(&t, text, strlen(text));
		for (size_t i = 0; i < t.n; i++) {
			const char *w = tl_tokens_at(&t, i, &len);
			long r = tl_embed_lookup(e, w, len);

			if (r < 0)
				continue;
			ntok++;
			for (size_t j = 0; j < d; j++)
				ref[j] += v[(size_t)r * d + j];
		}
		p = tl_pool_new(e, &o, &err);
		T_CHECK(tl_pool_doc(p, &t, out) == ntok &&
		    ntok > TL_EMBED_LOOKUP_MAX);
		for (size_t j = 0; j < d; j++)
			T_CHECK(out[j] == (float)(ref[j] * (1.0 / (double)ntok)));
		tl_pool_free(p);
		tl_tokens_free(&t);
		tl_embed_free(e);
		free(v);
		free(out);
		free(ref);
	}
}

/* tl_pool_docs gives each document what tl_pool_doc gives it, to the
 * bit, for every kind: empty texts, unknown words only, and a text longer
 * than a lookup batch among short ones, in groups of every size. */
static void
test_docs_same(void)
{
	static const char *const texts[] = { "the cat", "", "dog dog",
	    "mat on the mat", NULL, "sat", "the the the cat sat on mat",
	    "on", "cat mat dog sat" };
	enum { N = sizeof(texts) / sizeof(texts[0]) };
	char long_text[2000] = "";
	struct tl_embed *v = small();
	struct tl_tokens t[N];
	float got[N * 6], want[6];
	size_t known[N], bad = 0;
	struct tl_err e;

	for (int i = 0; i < 300; i++)
		strcat(long_text, i % 3 ? "cat " : "mat ");
	for (size_t i = 0; i < N; i++) {
		const char *s = texts[i] != NULL ? texts[i] : long_text;

		tl_tokens_init(&t[i]);
		tl_tokenize(&t[i], s, strlen(s));
	}
	for (int k = TL_POOL_MEAN; k <= TL_POOL_MEANMAX; k++) {
		struct tl_pool_opts o = { .kind = (enum tl_pool_kind)k,
		    .normalize = k == TL_POOL_MEANMAX };
		struct tl_pool *p = tl_pool_new(v, &o, &e);
		size_t d = tl_pool_dim(p);

		for (size_t g = 1; g <= N; g++)
			for (size_t first = 0; first < N; first += g) {
				size_t n = N - first < g ? N - first : g;

				tl_pool_docs(p, t + first, n, got, known);
				for (size_t i = 0; i < n; i++)
					bad += known[i] != tl_pool_doc(p,
					    &t[first + i], want) || memcmp(want,
					    got + i * d, d * sizeof(float));
			}
		tl_pool_free(p);
	}
	T_CHECK(bad == 0);
	for (size_t i = 0; i < N; i++)
		tl_tokens_free(&t[i]);
	tl_embed_free(v);
}

static void
test_f16(void)
{
	T_CHECK(tl_f16_from_float(1.0f) == 0x3c00);
	T_CHECK(tl_f16_from_float(-2.0f) == 0xc000);
	T_CHECK(tl_f16_from_float(65504.0f) == 0x7bff);
	T_CHECK(tl_f16_from_float(65519.0f) == 0x7bff);
	T_CHECK(tl_f16_from_float(65520.0f) == 0x7c00);	/* ties to inf */
	T_CHECK(tl_f16_from_float(2049.0f) == tl_f16_from_float(2048.0f));
	T_CHECK(tl_f16_from_float(2051.0f) == tl_f16_from_float(2052.0f));
	T_CHECK(tl_f16_from_float(0x1p-24f) == 0x0001);
	T_CHECK(tl_f16_from_float(0x1p-25f) == 0x0000);	/* tie to even */
	T_CHECK(tl_f16_from_float(0x1.8p-25f) == 0x0001);
	T_CHECK(tl_f16_from_float(0x1.8p-24f) == 0x0002);	/* tie: even */
	T_CHECK(tl_f16_from_float(-0.0f) == 0x8000);
	T_CHECK(tl_f16_to_float(0x3555) == 0x1.554p-2f);
	T_CHECK(tl_f16_to_float(0x0001) == 0x1p-24f);
	T_CHECK(tl_f16_to_float(0x03ff) == 0x1.ff8p-15f);
	for (unsigned h = 0; h < 0x10000; h++) {
		float x = tl_f16_to_float((uint16_t)h);

		if (x == x && tl_f16_from_float(x) != h) {
			T_CHECK(!"a half does not round-trip");
			break;
		}
	}
}

/* The small vocabulary as a model file in memory, through the importer's
 * writer (with its stored table), F16 when HALF. */
static struct tl_model *
small_model(int half, int corrupt)
{
	struct tl_wordvec w;
	struct tl_err e;
	struct tl_model *m;
	json_t *meta;
	char digest[65], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tl_wordvec_init(&w);
	w.n = 5;
	w.dim = 3;
	w.vectors = (float *)vecs;
	w.offsets = (int64_t *)offs;
	w.bytes = (uint8_t *)words;
	w.nbytes = sizeof(words) - 1;
	meta = tl_wordvec_meta(&w, "test", "small", TL_WORDVEC_GLOVE, "-");
	T_CHECK(tl_wordvec_write_as(&w, meta, half ? TL_DTYPE_F16 :
	    TL_DTYPE_F32, f, digest, &e) == 0);
	fclose(f);
	json_decref(meta);
	if (corrupt) {
		/* find the table's 16 slots in the file by their bytes, then
		 * 1: point the first used slot past the rows; 2: fill every
		 * slot (no empty one: lookups must still end) */
		uint64_t orig[16], slots[16];
		char *q;

		m = tl_model_load_mem(buf, len, &e);
		memcpy(orig, tl_model_tensor(m, "vocab.hash")->data,
		    sizeof(orig));
		tl_model_free(m);
		memcpy(slots, orig, sizeof(slots));
		for (size_t i = 0; i < 16; i++)
			if (corrupt == 2)
				slots[i] = 0x1234567800000001ULL;
			else if (slots[i] != 0) {
				slots[i] = (slots[i] & ~0xffffffffULL) | 99;
				break;
			}
		for (q = buf; q + sizeof(orig) <= buf + len; q++)
			if (memcmp(q, orig, sizeof(orig)) == 0) {
				memcpy(q, slots, sizeof(slots));
				break;
			}
	}
	m = tl_model_load_mem(buf, len, &e);
	free(buf);
	return m;
}

static void
test_stored_table(void)
{
	for (int corrupt = 0; corrupt < 3; corrupt++) {
		struct tl_model *m = small_model(0, corrupt);
		struct tl_embed *v;
		struct tl_err e;
		size_t nslots;

		T_CHECK(m != NULL);
		if (m == NULL)
			return;
		v = tl_embed_from_model(m, &e);
		T_CHECK(v != NULL);
		if (v == NULL)
			return;
		/* adopted: the model's own bytes; corrupt: rebuilt */
		T_CHECK((tl_embed_table(v, &nslots) ==
		    tl_model_tensor(m, "vocab.hash")->data) == !corrupt);
		T_CHECK(nslots == 16);
		T_CHECK(tl_embed_lookup(v, "mat", 3) == 4);
		T_CHECK(tl_embed_lookup(v, "the", 3) == 0);
		T_CHECK(tl_embed_lookup(v, "dog", 3) == -1);
		tl_embed_free(v);
		tl_model_free(m);
	}
}

static void
test_f16_model(void)
{
	struct tl_model *m = small_model(1, 0);
	struct tl_embed *v;
	struct tl_pool *p;
	struct tl_pool_opts o = { .kind = TL_POOL_MEAN };
	struct tl_tokens t;
	struct tl_err e;
	float buf[3], x[3];
	const float *r;

	T_CHECK(m != NULL && tl_model_tensor(m, "vectors")->dtype ==
	    TL_DTYPE_F16);
	if (m == NULL || (v = tl_embed_from_model(m, &e)) == NULL) {
		T_CHECK(!"f16 model loads");
		tl_model_free(m);
		return;
	}
	T_CHECK(tl_embed_is_f16(v) && tl_embed_vector(v, 0) == NULL);
	r = tl_embed_row(v, 1, buf);
	T_CHECK(r == buf && buf[0] == 4 && buf[1] == -5 && buf[2] == 6);
	tl_tokens_init(&t);
	tl_tokenize(&t, "on sat", 6);
	p = tl_pool_new(v, &o, &e);
	T_CHECK(tl_pool_doc(p, &t, x) == 2);
	T_CHECK(x[0] == -0.25f && x[1] == 0.125f && x[2] == 0.5f);
	T_CHECK(tl_embed_mean(v, &t, x) == 2 && x[0] == -0.25f);
	tl_pool_free(p);
	tl_tokens_free(&t);
	tl_embed_free(v);
	tl_model_free(m);
}

int
main(void)
{
	T_RUN(test_kinds);
	T_RUN(test_max_meanmax);
	T_RUN(test_sif_counts);
	T_RUN(test_sif_rank);
	T_RUN(test_eigen);
	T_RUN(test_wide_exact);
	T_RUN(test_docs_same);
	T_RUN(test_f16);
	T_RUN(test_stored_table);
	T_RUN(test_f16_model);
	return t_done();
}
