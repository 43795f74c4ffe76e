/*
 * textpool.c: the vectors and lexical parts of a block of texts are those
 * of pooling each text alone (tl_pool_doc, tl_lexical_doc), bit for bit,
 * whatever the number of threads the block is shared out on.
 */
#include <stdio.h>
#include <string.h>

#include "embed.h"
#include "lexical.h"
#include "pool.h"
#include "t.h"
#include "textpool.h"
#include "tokenize.h"

#define N	1000	/* texts: enough for 16 shares of 64 */

static const char words[] = "thecatsatonmat";
static const int64_t offs[] = { 0, 3, 6, 9, 11, 14 };
static const float vecs[5 * 3] = {
	1, 2, 3, -4, 5, 6, -1, 0, 1, 0.5f, 0.25f, 0, 10, 20, -30,
};
static const char *const pieces[] = {
	"the", "cat", "sat", "on", "mat", "dog", "The", "MAT!", ":)", "cats",
};

static char buf[N][64];
static char *text[N];
static size_t len[N];

/* N texts of 0 to 6 words, some unknown, some empty. */
static void
make_texts(void)
{
	unsigned r = 1;

	for (size_t i = 0; i < N; i++) {
		size_t k = i % 7;

		buf[i][0] = '\0';
		for (size_t j = 0; j < k; j++) {
			r = r * 1103515245u + 12345u;
			strcat(buf[i], pieces[(r >> 16) % 10]);
			strcat(buf[i], " ");
		}
		text[i] = buf[i];
		len[i] = strlen(buf[i]);
	}
}

/* Pool the texts one at a time into X, their lexical parts (LX settings)
 * into OFF, IDX, VAL. */
static void
pool_alone(const struct tl_embed *v, const struct tl_pool_opts *o,
    struct tl_lexical *lx, float *x, size_t *off, uint32_t *idx, float *val)
{
	struct tl_pool *p = tl_pool_new(v, o, NULL);
	size_t d = tl_pool_dim(p);
	struct tl_tokens t;
	struct tl_err e;

	tl_tokens_init(&t);
	off[0] = 0;
	for (size_t i = 0; i < N; i++) {
		tl_tokenize(&t, text[i], len[i]);
		tl_pool_doc(p, &t, x + i * d);
		T_CHECK(tl_lexical_doc(lx, &t, &e) == 0);
		if (lx->nnz > 0) {
			memcpy(idx + off[i], lx->idx, lx->nnz * sizeof(*idx));
			memcpy(val + off[i], lx->val, lx->nnz * sizeof(*val));
		}
		off[i + 1] = off[i] + lx->nnz;
	}
	tl_tokens_free(&t);
	tl_pool_free(p);
}

static void
test_any_threads(void)
{
	static float want[N * 6], got[N * 6], want_val[N * 100];
	static size_t want_off[N + 1];
	static uint32_t want_idx[N * 100];
	struct tl_pool_opts o = { .kind = TL_POOL_MEANMAX };
	struct tl_embed *v;
	struct tl_lexical lx;
	struct tl_err e;

	make_texts();
	v = tl_embed_new(5, 3, offs, (const uint8_t *)words,
	    sizeof(words) - 1, vecs, &e);
	T_CHECK(v != NULL);
	T_CHECK(tl_lexical_init(&lx, 1u << 20, 2, &e) == 0 &&
	    tl_lexical_chars(&lx, 2, 4, &e) == 0);
	pool_alone(v, &o, &lx, want, want_off, want_idx, want_val);
	T_CHECK(want_off[N] > 0 && want_off[N] < N * 100);
	for (size_t threads = 1; threads <= 17; threads += 2) {
		struct tl_textpool *tp;
		uint32_t *idx;
		float *val;
		size_t *off;

		tp = tl_textpool_new(v, &o, NULL, &lx, threads, &e);
		T_CHECK(tp != NULL);
		memset(got, 0, sizeof(got));
		T_CHECK(tl_textpool_run(tp, text, len, N, got, &e) == 0);
		T_CHECK(memcmp(got, want, sizeof(want)) == 0);
		off = tl_textpool_sparse(tp, &idx, &val);
		T_CHECK(memcmp(off, want_off, sizeof(want_off)) == 0);
		T_CHECK(memcmp(idx, want_idx, want_off[N] * sizeof(*idx)) == 0);
		T_CHECK(memcmp(val, want_val, want_off[N] * sizeof(*val)) == 0);
		/* a short block after a long one: fewer shares, and again */
		T_CHECK(tl_textpool_run(tp, text + 7, len + 7, 70, got, &e) ==
		    0);
		T_CHECK(memcmp(got, want + 7 * 6, 70 * 6 * sizeof(float)) == 0);
		off = tl_textpool_sparse(tp, &idx, &val);
		T_CHECK(off[70] == want_off[77] - want_off[7] &&
		    memcmp(idx, want_idx + want_off[7], off[70] *
		    sizeof(*idx)) == 0);
		tl_textpool_free(tp);
	}
	/* no lexical part: vectors only */
	{
		struct tl_textpool *tp = tl_textpool_new(v, &o, NULL, NULL, 3,
		    &e);

		T_CHECK(tp != NULL &&
		    tl_textpool_run(tp, text, len, N, got, &e) == 0 &&
		    memcmp(got, want, sizeof(want)) == 0);
		tl_textpool_free(tp);
	}
	tl_lexical_free(&lx);
	tl_embed_free(v);
}

int
main(void)
{
	T_RUN(test_any_threads);
	return t_done();
}
