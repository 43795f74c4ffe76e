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

/* What pooling the texts one at a time gives, and room for a run's. */
static float want[N * 6], got[N * 6], want_val[N * 100];
static size_t want_off[N + 1];
static uint32_t want_idx[N * 100];
static const struct tl_pool_opts o = { .kind = TL_POOL_MEANMAX };

/* The texts, their embedding and lexical settings, and WANT for them. */
static struct tl_embed *
set_up(struct tl_lexical *lx)
{
	struct tl_embed *v;
	struct tl_err e;

	make_texts();
	v = tl_embed_new(5, 3, offs, (const uint8_t *)words,
	    sizeof(words) - 1, vecs, &e);
	T_CHECK(v != NULL);
	T_CHECK(tl_lexical_init(lx, 1u << 20, 2, &e) == 0 &&
	    tl_lexical_chars(lx, 2, 4, &e) == 0);
	pool_alone(v, &o, lx, want, want_off, want_idx, want_val);
	return v;
}

static void
test_any_threads(void)
{
	struct tl_lexical lx;
	struct tl_embed *v = set_up(&lx);
	struct tl_err e;

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

/* What test_parts' callback saw. */
struct seen {
	float		*x;		/* the run's rows */
	const size_t	*want_off;
	const uint32_t	*want_idx;
	size_t		 shares;
	/* by share: calls (100 for a wrong part), first text, texts */
	int		 calls[16];
	size_t		 first[16], n[16];
};

static void
see_part(void *ctx, const struct tl_textpool_part *pt)
{
	struct seen *s = ctx;
	const size_t *wo = s->want_off + pt->first;
	int ok = pt->share < s->shares && pt->x == s->x + pt->first * 6 &&
	    pt->off != NULL && pt->off[0] == 0;

	for (size_t i = 0; ok && i < pt->n; i++)
		ok = pt->off[i + 1] - pt->off[i] == wo[i + 1] - wo[i] &&
		    memcmp(pt->idx + pt->off[i], s->want_idx + wo[i],
		    (wo[i + 1] - wo[i]) * sizeof(uint32_t)) == 0;
	/* shares run at once: each writes only its own fields */
	s->calls[pt->share] += ok ? 1 : 100;
	s->first[pt->share] = pt->first;
	s->n[pt->share] = pt->n;
}

/* tl_textpool_run_each hands every text to one share's callback, with
 * its rows and its lexical part as pooling it alone gives. */
static void
test_parts(void)
{
	struct tl_lexical lx;
	struct tl_embed *v = set_up(&lx);
	struct tl_err e;

	for (size_t threads = 1; threads <= 16; threads *= 2) {
		struct tl_textpool *tp = tl_textpool_new(v, &o, NULL, &lx,
		    threads, &e);
		struct seen s = { got, want_off, want_idx, threads, { 0 },
		    { 0 }, { 0 } };
		size_t parts = 0, at = 0;

		T_CHECK(tp != NULL && tl_textpool_shares(tp) == threads);
		T_CHECK(tl_textpool_run_each(tp, text, len, N, got, see_part,
		    &s, &e) == 0);
		T_CHECK(memcmp(got, want, sizeof(want)) == 0);
		/* N / 64 shares at most, each called once, on the texts
		 * after the last share's */
		for (size_t k = 0; k < 16 && s.calls[k] > 0; k++) {
			T_CHECK(s.calls[k] == 1 && s.first[k] == at);
			at += s.n[k];
			parts++;
		}
		T_CHECK(at == N && parts == (threads < N / 64 ? threads :
		    N / 64));
		tl_textpool_free(tp);
	}
	tl_lexical_free(&lx);
	tl_embed_free(v);
}

int
main(void)
{
	T_RUN(test_any_threads);
	T_RUN(test_parts);
	return t_done();
}
