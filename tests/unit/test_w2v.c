/*
 * The word-vector learner: a finite-difference check of the
 * negative-sampling gradient; learning on a synthetic corpus of two
 * topics puts each word's nearest neighbours in its own topic (skip-gram
 * and CBOW, with and without subwords); one thread and a seed give the
 * same vectors twice; skip-gram's two update orders match a plain
 * reference of fastText's per-pair update and of the per-window one;
 * --init keeps the initial vectors and the union of
 * the vocabularies; the written model loads back, with its counts and
 * n-gram rows composing unknown words.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "model.h"
#include "w2v.h"
#include "t.h"

#define STRIDE	16
#define DIM	13	/* components [DIM, STRIDE) stay zero */
#define NT	4

static const char *const topic[2][6] = {
	{ "apple", "banana", "cherry", "grape", "lemon", "mango" },
	{ "car", "truck", "bus", "train", "plane", "boat" },
};

static uint64_t rs = 88172645463325252ULL;

static double
urand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (double)(rs >> 11) * 0x1p-53;
}

static double
loss_at(const float *h, float *out, const uint32_t *tg)
{
	float g[STRIDE] = { 0 };

	return tl_w2v_ns_step(h, out, STRIDE, tg, NT, 0.0f, g);
}

static void
test_gradient(void)
{
	float h[STRIDE] = { 0 }, out[6 * STRIDE] = { 0 }, base[6 * STRIDE];
	float grad[STRIDE] = { 0 }, hp[STRIDE];
	uint32_t tg[NT] = { 2, 0, 5, 3 };
	const double eps = 1e-2;
	double l0, l1;

	for (size_t k = 0; k < DIM; k++) {
		h[k] = (float)(urand() - 0.5);
		for (size_t r = 0; r < 6; r++)
			out[r * STRIDE + k] = (float)(urand() - 0.5);
	}
	memcpy(base, out, sizeof(out));
	l0 = loss_at(h, out, tg);
	T_CHECK(l0 > 0);
	/* LR 1: GRAD = -dL/dh, each row moves by -dL/do */
	l1 = tl_w2v_ns_step(h, out, STRIDE, tg, NT, 1.0f, grad);
	T_NEAR(l1, l0, 1e-9);
	for (size_t k = 0; k < DIM; k++) {
		double fd;

		memcpy(hp, h, sizeof(h));
		hp[k] = h[k] + (float)eps;
		fd = loss_at(hp, base, tg);
		hp[k] = h[k] - (float)eps;
		fd = (fd - loss_at(hp, base, tg)) / (2 * eps);
		T_NEAR(-grad[k], fd, 1e-4);
	}
	for (size_t i = 0; i < NT; i++)
		for (size_t k = 0; k < DIM; k++) {
			float *o = base + tg[i] * STRIDE + k, keep = *o;
			double fd;

			*o = keep + (float)eps;
			fd = loss_at(h, base, tg);
			*o = keep - (float)eps;
			fd = (fd - loss_at(h, base, tg)) / (2 * eps);
			*o = keep;
			T_NEAR(-(out[tg[i] * STRIDE + k] - keep), fd, 1e-4);
		}
	/* rows not among the targets and the padding are untouched */
	for (size_t k = 0; k < STRIDE; k++)
		T_CHECK(out[1 * STRIDE + k] == base[1 * STRIDE + k] &&
		    out[4 * STRIDE + k] == base[4 * STRIDE + k]);
	for (size_t k = DIM; k < STRIDE; k++)
		T_CHECK(grad[k] == 0 && out[2 * STRIDE + k] == 0);
}

/* Documents of 8 words, each drawn from one topic. */
static void
add_corpus(struct tl_w2v *w, size_t ndocs)
{
	struct tl_tokens t;
	char text[256];

	tl_tokens_init(&t);
	for (size_t d = 0; d < ndocs; d++) {
		size_t len = 0;

		for (int i = 0; i < 8; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "%s ", topic[d % 2][(size_t)(urand() * 6)]);
		T_CHECK(tl_tokenize(&t, text, len) == 8);
		T_CHECK(tl_w2v_add(w, &t, NULL) == 0);
	}
	tl_tokens_free(&t);
}

static struct tl_w2v *
learn(const struct tl_w2v_opts *o, const struct tl_embed *init,
    size_t ndocs)
{
	struct tl_w2v *w = tl_w2v_new(o, NULL);
	struct tl_err e;

	T_CHECK(w != NULL);
	rs = 88172645463325252ULL;
	add_corpus(w, ndocs);
	if (init != NULL)
		T_CHECK(tl_w2v_init_from(w, init, &e) == 0);
	T_CHECK(tl_w2v_prepare(w, &e) == 0);
	T_CHECK(tl_w2v_train(w, NULL, NULL, NULL, &e) == 0);
	return w;
}

static double
cosine(const float *a, const float *b, size_t d)
{
	double ab = 0, aa = 0, bb = 0;

	for (size_t k = 0; k < d; k++) {
		ab += (double)a[k] * b[k];
		aa += (double)a[k] * a[k];
		bb += (double)b[k] * b[k];
	}
	return ab / sqrt(aa * bb + 1e-30);
}

/* The topic (0, 1) of word I of W, or -1. */
static int
topic_of(const struct tl_w2v *w, size_t i)
{
	size_t len;
	const char *s = tl_w2v_word(w, i, &len);

	for (int t = 0; t < 2; t++)
		for (int j = 0; j < 6; j++)
			if (strlen(topic[t][j]) == len &&
			    memcmp(topic[t][j], s, len) == 0)
				return t;
	return -1;
}

/* Every word's 3 nearest neighbours are of its topic. */
static void
check_neighbours(const struct tl_w2v *w, size_t dim)
{
	size_t n = tl_w2v_size(w);
	float *v = malloc(n * dim * sizeof(*v));

	T_CHECK(n == 12);
	for (size_t i = 0; i < n; i++)
		tl_w2v_vector(w, i, v + i * dim);
	for (size_t i = 0; i < n; i++) {
		double best[3] = { -2, -2, -2 };
		int bt[3] = { -1, -1, -1 };

		for (size_t j = 0; j < n; j++) {
			double c = cosine(v + i * dim, v + j * dim, dim);
			int t = topic_of(w, j);

			if (j == i)
				continue;
			for (int r = 0; r < 3; r++)
				if (c > best[r]) {
					for (int q = 2; q > r; q--) {
						best[q] = best[q - 1];
						bt[q] = bt[q - 1];
					}
					best[r] = c;
					bt[r] = t;
					break;
				}
		}
		for (int r = 0; r < 3; r++)
			T_CHECK(bt[r] == topic_of(w, i));
	}
	free(v);
}

static void
small_opts(struct tl_w2v_opts *o)
{
	tl_w2v_opts_default(o);
	o->dim = 20;
	o->window = 3;
	o->min_count = 1;
	o->sample = 0;
	o->subwords = 0;
	o->sub.bucket = 5000;
	o->seed = 7;
}

static void
test_neighbours(void)
{
	struct tl_w2v_opts o;
	struct tl_w2v *w;

	small_opts(&o);
	w = learn(&o, NULL, 400);
	check_neighbours(w, o.dim);
	T_CHECK(tl_w2v_tokens(w) == 3200);
	tl_w2v_free(w);
	o.subwords = 1;
	w = learn(&o, NULL, 400);
	check_neighbours(w, o.dim);
	tl_w2v_free(w);
	o.arch = TL_W2V_CBOW;
	w = learn(&o, NULL, 400);
	check_neighbours(w, o.dim);
	tl_w2v_free(w);
	o.threads = 2;
	w = learn(&o, NULL, 400);
	check_neighbours(w, o.dim);
	tl_w2v_free(w);
}

static void
test_deterministic(void)
{
	struct tl_w2v_opts o;
	struct tl_w2v *a, *b, *c;
	float x[20], y[20], z[20];
	int same = 1, differ = 0;

	small_opts(&o);
	o.subwords = 1;
	o.sample = 1e-2;
	a = learn(&o, NULL, 100);
	b = learn(&o, NULL, 100);
	o.seed = 8;
	c = learn(&o, NULL, 100);
	for (size_t i = 0; i < tl_w2v_size(a); i++) {
		tl_w2v_vector(a, i, x);
		tl_w2v_vector(b, i, y);
		tl_w2v_vector(c, i, z);
		same &= memcmp(x, y, sizeof(x)) == 0;
		differ |= memcmp(x, z, sizeof(x)) != 0;
	}
	T_CHECK(same);
	T_CHECK(differ);
	tl_w2v_free(a);
	tl_w2v_free(b);
	tl_w2v_free(c);
}

/* An initial vocabulary: "apple" (in the corpus) and "zebra" (not). */
static void
test_init(void)
{
	static const char words[] = "applezebra";
	static const int64_t off[] = { 0, 5, 10 };
	float vec[2 * 20], x[20];
	struct tl_w2v_opts o;
	struct tl_embed *init;
	struct tl_w2v *w;
	struct tl_err e;
	size_t len, n;

	for (size_t k = 0; k < 40; k++)
		vec[k] = (float)k / 10.0f - 1.5f;
	init = tl_embed_new(2, 20, off, (const uint8_t *)words, 10, vec, &e);
	T_CHECK(init != NULL);
	small_opts(&o);
	o.subwords = 1;
	o.lr = 0;	/* nothing moves: the initial vectors come back */
	w = learn(&o, init, 100);
	n = tl_w2v_size(w);
	T_CHECK(n == 13);
	T_CHECK(memcmp(tl_w2v_word(w, n - 1, &len), "zebra", 5) == 0);
	T_CHECK(tl_w2v_count(w, n - 1) == 0);
	tl_w2v_vector(w, n - 1, x);
	T_CHECK(memcmp(x, vec + 20, sizeof(x)) == 0);
	for (size_t i = 0; i < n; i++)
		if (memcmp(tl_w2v_word(w, i, &len), "apple", 5) == 0) {
			tl_w2v_vector(w, i, x);
			for (size_t k = 0; k < 20; k++)
				T_NEAR(x[k], vec[k], 1e-5);
		}
	tl_w2v_free(w);
	o.dim = 10;
	w = tl_w2v_new(&o, NULL);
	T_CHECK(tl_w2v_init_from(w, init, &e) == -1);
	T_CHECK(strstr(e.msg, "dimension 20") != NULL);
	tl_w2v_free(w);
	tl_embed_free(init);
}

/* Write, load back, compare; an unknown word composes from n-grams. */
static void
test_write(void)
{
	struct tl_w2v_opts o;
	struct tl_w2v *w;
	struct tl_model *m;
	struct tl_embed *emb;
	struct tl_err e;
	struct tl_tokens t;
	struct tl_subword_spec sub;
	const struct tl_tensor *ct, *st;
	float x[20], y[20], z[20];
	char digest[65], *buf = NULL;
	size_t size = 0, len;
	FILE *f = open_memstream(&buf, &size);
	json_t *meta;

	small_opts(&o);
	o.subwords = 1;
	w = learn(&o, NULL, 200);
	meta = tl_w2v_meta(w, "test", "topics", NULL, NULL);
	T_CHECK(meta != NULL);
	for (size_t i = 0; i < 20; i++)
		x[i] = 0;
	tl_w2v_vector(w, 0, x);
	T_CHECK(tl_w2v_write(w, meta, f, digest, &e) == 0);
	T_CHECK(tl_w2v_write(w, meta, f, digest, &e) == -1);
	fclose(f);
	m = tl_model_load_mem(buf, size, &e);
	T_CHECK(m != NULL);
	emb = tl_embed_from_model(m, &e);
	T_CHECK(emb != NULL);
	T_CHECK(tl_embed_size(emb) == 12 && tl_embed_dim(emb) == 20);
	T_CHECK(tl_embed_has_subwords(emb));
	T_CHECK(memcmp(tl_embed_vector(emb, 0), x, sizeof(x)) == 0);
	ct = tl_model_tensor(m, "counts");
	T_CHECK(ct != NULL && ct->dtype == TL_DTYPE_I64);
	T_CHECK(((const int64_t *)ct->data)[0] == (int64_t)tl_w2v_count(w,
	    0));
	st = tl_model_tensor(m, "subwords");
	T_CHECK(st != NULL && st->shape[0] == 5000 && st->shape[1] == 20);
	T_CHECK(tl_subword_spec_parse(json_object_get(tl_model_meta(m),
	    "subwords"), &sub, &e) == 0);
	/* "bananas" is unknown: the mean of its n-gram rows */
	T_CHECK(tl_embed_lookup(emb, "bananas", 7) < 0);
	T_CHECK(tl_embed_word_vector(emb, "bananas", 7, y) == y);
	T_CHECK(tl_subword_compose(&sub, st->data, 20, 20, "bananas", 7, z) ==
	    tl_subword_ids(&sub, "bananas", 7, NULL, 0));
	T_CHECK(memcmp(y, z, sizeof(y)) == 0);
	/* and it is closer to banana than to truck */
	T_CHECK(cosine(y, tl_embed_vector(emb, (size_t)tl_embed_lookup(emb,
	    "banana", 6)), 20) > cosine(y, tl_embed_vector(emb,
	    (size_t)tl_embed_lookup(emb, "truck", 5)), 20));
	/* pooling counts it: "bananas banana" is the mean of the two */
	tl_tokens_init(&t);
	tl_tokenize(&t, "bananas banana", 14);
	T_CHECK(tl_embed_mean(emb, &t, z) == 2);
	for (size_t k = 0; k < 20; k++)
		T_NEAR(z[k], (y[k] + tl_embed_vector(emb, (size_t)
		    tl_embed_lookup(emb, "banana", 6))[k]) / 2, 1e-6);
	(void)tl_w2v_word(w, 0, &len);
	tl_tokens_free(&t);
	tl_embed_free(emb);
	tl_model_free(m);
	json_decref(meta);
	tl_w2v_free(w);
	free(buf);
}

/*
 * Skip-gram's update order against a plain reference in doubles: one
 * document, window 1, no negatives, no subwords, no subsampling, so that
 * everything the trainer does is known.  ORDER_PAIR is fastText's
 * (Model::update per context word: the centre's row is read again and
 * updated after each); ORDER_WINDOW reads it once and adds the summed
 * gradient after the window.  The output rows start at zero, as in the
 * trainer, and the learning rate falls per document as the trainer's.
 */
#define ORD_DIM		8
#define ORD_EPOCHS	30
#define ORD_LR		0.5

static void
order_reference(int pair, const uint32_t *doc, size_t n,
    double in[][ORD_DIM])
{
	double out[8][ORD_DIM] = { { 0 } }, h[ORD_DIM], g[ORD_DIM];

	for (size_t ep = 0; ep < ORD_EPOCHS; ep++) {
		double lr = (float)(ORD_LR * (1.0 - (double)(ep * n) /
		    (double)(ORD_EPOCHS * n)));

		for (size_t i = 0; i < n; i++) {
			double *x = in[doc[i]];

			memcpy(h, x, sizeof(h));
			memset(g, 0, sizeof(g));
			for (size_t c = i ? i - 1 : 0; c <= i + 1 && c < n;
			    c++) {
				double *o = out[doc[c]], s = 0, a;

				if (c == i)
					continue;
				if (pair) {
					memcpy(h, x, sizeof(h));
					memset(g, 0, sizeof(g));
				}
				for (size_t k = 0; k < ORD_DIM; k++)
					s += o[k] * h[k];
				a = lr * (1.0 - 1.0 / (1.0 + exp(-s)));
				for (size_t k = 0; k < ORD_DIM; k++) {
					g[k] += a * o[k];
					o[k] += a * h[k];
				}
				if (pair)
					for (size_t k = 0; k < ORD_DIM; k++)
						x[k] += g[k];
			}
			if (!pair)
				for (size_t k = 0; k < ORD_DIM; k++)
					x[k] += g[k];
		}
	}
}

/* The largest difference between the vectors of W and REF. */
static double
order_diff(const struct tl_w2v *w, double ref[][ORD_DIM], size_t nw)
{
	float x[ORD_DIM];
	double d = 0;

	for (size_t i = 0; i < nw; i++) {
		tl_w2v_vector(w, i, x);
		for (size_t k = 0; k < ORD_DIM; k++)
			if (fabs(x[k] - ref[i][k]) > d)
				d = fabs(x[k] - ref[i][k]);
	}
	return d;
}

static void
test_update_order(void)
{
	static const char text[] = "bee ant bee cat dog bee";
	static const uint32_t doc[] = { 0, 1, 0, 2, 3, 0 };
	const size_t n = 6, nw = 4;
	double init[4][ORD_DIM], pair[4][ORD_DIM], win[4][ORD_DIM];
	struct tl_w2v_opts o;
	struct tl_tokens t;
	struct tl_err e;

	tl_w2v_opts_default(&o);
	o.dim = ORD_DIM;
	o.window = 1;
	o.neg = 0;
	o.epochs = ORD_EPOCHS;
	o.min_count = 1;
	o.sample = 0;
	o.subwords = 0;
	o.lr = ORD_LR;
	tl_tokens_init(&t);
	for (int u = 0; u < 2; u++) {
		struct tl_w2v *w;
		double dp, dw;
		size_t len;
		float x[ORD_DIM];

		o.update = u ? TL_W2V_UPDATE_WINDOW : TL_W2V_UPDATE_PAIR;
		T_CHECK((w = tl_w2v_new(&o, &e)) != NULL);
		T_CHECK(tl_tokenize(&t, text, sizeof(text) - 1) == (long)n);
		T_CHECK(tl_w2v_add(w, &t, &e) == 0);
		T_CHECK(tl_w2v_prepare(w, &e) == 0);
		T_CHECK(tl_w2v_size(w) == nw);
		T_CHECK(memcmp(tl_w2v_word(w, 0, &len), "bee", 3) == 0);
		T_CHECK(memcmp(tl_w2v_word(w, 3, &len), "dog", 3) == 0);
		for (size_t i = 0; i < nw; i++) {
			tl_w2v_vector(w, i, x);
			for (size_t k = 0; k < ORD_DIM; k++)
				init[i][k] = x[k];
		}
		memcpy(pair, init, sizeof(init));
		memcpy(win, init, sizeof(init));
		order_reference(1, doc, n, pair);
		order_reference(0, doc, n, win);
		T_CHECK(tl_w2v_train(w, NULL, NULL, NULL, &e) == 0);
		dp = order_diff(w, pair, nw);
		dw = order_diff(w, win, nw);
		fprintf(stderr, "# %s: off pair reference %g, window %g\n",
		    u ? "window" : "pair", dp, dw);
		T_CHECK((u ? dw : dp) < 1e-5);
		T_CHECK((u ? dp : dw) > 1e-3);
		tl_w2v_free(w);
	}
	tl_tokens_free(&t);
}

static void
test_errors(void)
{
	struct tl_w2v_opts o;
	struct tl_w2v *w;
	struct tl_err e;

	small_opts(&o);
	o.dim = 0;
	T_CHECK(tl_w2v_new(&o, &e) == NULL);
	small_opts(&o);
	o.subwords = 1;
	o.sub.minn = 5;
	o.sub.maxn = 3;
	T_CHECK(tl_w2v_new(&o, &e) == NULL);
	small_opts(&o);
	o.min_count = 1000;
	w = tl_w2v_new(&o, NULL);
	add_corpus(w, 10);
	T_CHECK(tl_w2v_prepare(w, &e) == -1);
	T_CHECK(strstr(e.msg, "min-count") != NULL);
	T_CHECK(tl_w2v_train(w, NULL, NULL, NULL, &e) == -1);
	tl_w2v_free(w);
}

int
main(void)
{
	T_RUN(test_gradient);
	T_RUN(test_neighbours);
	T_RUN(test_deterministic);
	T_RUN(test_update_order);
	T_RUN(test_init);
	T_RUN(test_write);
	T_RUN(test_errors);
	return t_done();
}
