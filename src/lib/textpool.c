/* Texts to pooled vectors on several threads; see textpool.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "textpool.h"
#include "tokenize.h"

/* Fewer texts than this per thread are pooled on fewer threads: starting
 * one costs about as much as pooling a few dozen short texts. */
#define MIN_SHARE	64
#define MAX_SHARES	16

struct tl_textpool;

/* One thread's share of a run, and what it keeps from run to run. */
struct share {
	struct tl_textpool	*tp;
	size_t			 index;		/* in the pool's */
	pthread_t		 tid;		/* share 0: the caller's */
	int			 started;	/* tid is running worker() */
	int			 queued;	/* a run waits for it (mu) */
	struct tl_tokens	 tok;
	struct tl_pool		*pool;
	struct tl_lexical	 lex;		/* buckets 0: none */
	size_t			*off;		/* off_cap: the share's CSR */
	uint32_t		*idx;		/* cap pairs */
	float			*val;
	size_t			 off_cap, cap;
	/* this run */
	char *const		*text;
	const size_t		*len;
	float			*x;		/* the share's first row */
	size_t			 first, n, dim;
	void			(*each)(void *,
				    const struct tl_textpool_part *);
	void			*ctx;
	int			 rc;
	struct tl_err		 e;
};

/* The shares but the first are pooled by threads that live as long as the
 * pool and wait for runs: a thread started for each block of a few
 * milliseconds was, in one run in three, put on the CPU of the thread
 * that started it and ran after it, not beside it (tl-predict on 201,472
 * lines: 0.62 s instead of 0.42). */
struct tl_textpool {
	size_t		 nshares;
	struct share	*share;
	pthread_mutex_t	 mu;
	pthread_cond_t	 go;		/* a share was queued, or quit */
	pthread_cond_t	 done;		/* a queued share was pooled */
	size_t		 pending;	/* queued shares not pooled yet */
	int		 quit;
	size_t		*off;		/* off_cap: the run's CSR */
	uint32_t	*idx;		/* cap pairs */
	float		*val;
	size_t		 off_cap, cap;
};

static int
init_share(struct share *s, const struct tl_embed *emb,
    const struct tl_pool_opts *o, const json_t *tokenizer,
    const struct tl_lexical *lex, struct tl_err *e)
{
	tl_tokens_init(&s->tok);
	if (tl_tokens_configure(&s->tok, tokenizer, e) == -1 ||
	    (s->pool = tl_pool_new(emb, o, e)) == NULL)
		return -1;
	s->dim = tl_pool_dim(s->pool);
	if (lex != NULL && (tl_lexical_init(&s->lex, lex->buckets,
	    lex->ngrams, e) == -1 || tl_lexical_chars(&s->lex,
	    lex->chars_min, lex->chars_max, e) == -1))
		return -1;
	return 0;
}

struct tl_textpool *
tl_textpool_new(const struct tl_embed *emb, const struct tl_pool_opts *o,
    const json_t *tokenizer, const struct tl_lexical *lex, size_t nthreads,
    struct tl_err *e)
{
	struct tl_textpool *tp;

	if ((tp = calloc(1, sizeof(*tp))) == NULL ||
	    (tp->share = calloc(MAX_SHARES, sizeof(*tp->share))) == NULL) {
		free(tp);
		return tl_errf(e, "out of memory"), NULL;
	}
	tp->nshares = nthreads < 1 ? 1 : nthreads > MAX_SHARES ? MAX_SHARES :
	    nthreads;
	pthread_mutex_init(&tp->mu, NULL);
	pthread_cond_init(&tp->go, NULL);
	pthread_cond_init(&tp->done, NULL);
	for (size_t i = 0; i < tp->nshares; i++) {
		tp->share[i].tp = tp;
		tp->share[i].index = i;
		if (init_share(&tp->share[i], emb, o, tokenizer, lex, e) ==
		    -1) {
			tl_textpool_free(tp);
			return NULL;
		}
	}
	return tp;
}

/* Room for N offsets at *OFF, whose capacity is *CAP.  0 or -1. */
static int
reserve(size_t **off, size_t *cap, size_t n)
{
	size_t *o;

	if (n <= *cap)
		return 0;
	if ((o = realloc(*off, n * sizeof(*o))) == NULL)
		return -1;
	*off = o;
	*cap = n;
	return 0;
}

/* Room for N pairs at *IDX and *VAL, whose capacity is *CAP.  0 or -1. */
static int
reserve_pairs(uint32_t **idx, float **val, size_t *cap, size_t n)
{
	size_t c = *cap ? *cap : 1024;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if ((q = realloc(*idx, c * sizeof(uint32_t))) == NULL)
		return -1;
	*idx = q;
	if ((q = realloc(*val, c * sizeof(float))) == NULL)
		return -1;
	*val = q;
	*cap = c;
	return 0;
}

/* Append the lexical part of S's tokens as its text I's. */
static int
add_lexical(struct share *s, size_t i)
{
	size_t at = s->off[i];

	s->off[i + 1] = at;
	if (tl_lexical_doc(&s->lex, &s->tok, &s->e) == -1)
		return -1;
	if (s->lex.nnz == 0)	/* no pairs: the arrays may be NULL */
		return 0;
	if (reserve_pairs(&s->idx, &s->val, &s->cap, at + s->lex.nnz) == -1)
		return tl_errf(&s->e, "out of memory");
	memcpy(s->idx + at, s->lex.idx, s->lex.nnz * sizeof(uint32_t));
	memcpy(s->val + at, s->lex.val, s->lex.nnz * sizeof(float));
	s->off[i + 1] = at + s->lex.nnz;
	return 0;
}

/* S's texts, pooled, to its run's EACH. */
static void
hand_over(const struct share *s)
{
	struct tl_textpool_part part = { s->index, s->first,
	    s->n, s->x, NULL, s->idx, s->val };

	if (s->lex.buckets != 0)
		part.off = s->off;
	s->each(s->ctx, &part);
}

/* Tokenise and pool S's texts (and hand them to the run's EACH). */
static void
pool_share(struct share *s)
{
	s->rc = 0;
	if (s->lex.buckets != 0) {
		if (reserve(&s->off, &s->off_cap, s->n + 1) == -1) {
			s->rc = tl_errf(&s->e, "out of memory");
			return;
		}
		s->off[0] = 0;
	}
	for (size_t i = 0; i < s->n && s->rc == 0; i++) {
		if (tl_tokenize(&s->tok, s->text[i], s->len[i]) == -1) {
			s->rc = tl_errf(&s->e, "out of memory");
			break;
		}
		tl_pool_doc(s->pool, &s->tok, s->x + i * s->dim);
		if (s->lex.buckets != 0)
			s->rc = add_lexical(s, i);
	}
	if (s->rc == 0 && s->each != NULL)
		hand_over(s);
}

/* The shares' lexical parts, in order, as the run's. */
static int
join_sparse(struct tl_textpool *tp, size_t used, size_t n, struct tl_err *e)
{
	size_t r = 0, at = 0, total = 0;

	for (size_t k = 0; k < used; k++)
		total += tp->share[k].off[tp->share[k].n];
	if (reserve(&tp->off, &tp->off_cap, n + 1) == -1 ||
	    reserve_pairs(&tp->idx, &tp->val, &tp->cap, total) == -1)
		return tl_errf(e, "out of memory");
	tp->off[0] = 0;
	for (size_t k = 0; k < used; k++) {
		const struct share *s = &tp->share[k];
		size_t m = s->off[s->n];

		if (m > 0) {
			memcpy(tp->idx + at, s->idx, m * sizeof(uint32_t));
			memcpy(tp->val + at, s->val, m * sizeof(float));
		}
		for (size_t i = 0; i < s->n; i++)
			tp->off[++r] = at + s->off[i + 1];
		at += m;
	}
	return 0;
}

/* A share's thread: pool its share of each run, until the pool quits. */
static void *
worker(void *arg)
{
	struct share *s = arg;
	struct tl_textpool *tp = s->tp;

	pthread_mutex_lock(&tp->mu);
	for (;;) {
		while (!s->queued && !tp->quit)
			pthread_cond_wait(&tp->go, &tp->mu);
		if (!s->queued)
			break;
		pthread_mutex_unlock(&tp->mu);
		pool_share(s);
		pthread_mutex_lock(&tp->mu);
		s->queued = 0;
		if (--tp->pending == 0)
			pthread_cond_signal(&tp->done);
	}
	pthread_mutex_unlock(&tp->mu);
	return NULL;
}

/* Pool shares 1 .. USED - 1 on their threads (started at their first
 * run) and share 0 here; a share whose thread cannot start is pooled here
 * too. */
static void
pool_shares(struct tl_textpool *tp, size_t used)
{
	pthread_mutex_lock(&tp->mu);
	for (size_t k = 1; k < used; k++) {
		struct share *s = &tp->share[k];

		if (!s->started)
			s->started = pthread_create(&s->tid, NULL, worker, s) ==
			    0;
		if (s->started) {
			s->queued = 1;
			tp->pending++;
		}
	}
	pthread_cond_broadcast(&tp->go);
	pthread_mutex_unlock(&tp->mu);
	pool_share(&tp->share[0]);
	for (size_t k = 1; k < used; k++)
		if (!tp->share[k].started)
			pool_share(&tp->share[k]);
	pthread_mutex_lock(&tp->mu);
	while (tp->pending > 0)
		pthread_cond_wait(&tp->done, &tp->mu);
	pthread_mutex_unlock(&tp->mu);
}

int
tl_textpool_run(struct tl_textpool *tp, char *const *text,
    const size_t *len, size_t n, float *x, struct tl_err *e)
{
	return tl_textpool_run_each(tp, text, len, n, x, NULL, NULL, e);
}

int
tl_textpool_run_each(struct tl_textpool *tp, char *const *text,
    const size_t *len, size_t n, float *x,
    void (*each)(void *ctx, const struct tl_textpool_part *), void *ctx,
    struct tl_err *e)
{
	size_t used = n / MIN_SHARE, at = 0;

	if (used > tp->nshares)
		used = tp->nshares;
	if (used == 0)
		used = 1;
	for (size_t k = 0; k < used; k++) {
		struct share *s = &tp->share[k];

		s->text = text + at;
		s->len = len + at;
		s->first = at;
		s->n = n * (k + 1) / used - at;
		s->x = x + at * s->dim;
		s->each = each;
		s->ctx = ctx;
		at += s->n;
	}
	pool_shares(tp, used);
	for (size_t k = 0; k < used; k++)
		if (tp->share[k].rc == -1) {
			*e = tp->share[k].e;
			return -1;
		}
	return tp->share[0].lex.buckets != 0 && each == NULL ?
	    join_sparse(tp, used, n, e) : 0;
}

size_t
tl_textpool_shares(const struct tl_textpool *tp)
{
	return tp->nshares;
}

size_t *
tl_textpool_sparse(const struct tl_textpool *tp, uint32_t **idx,
    float **val)
{
	*idx = tp->idx;
	*val = tp->val;
	return tp->off;
}

void
tl_textpool_free(struct tl_textpool *tp)
{
	if (tp == NULL)
		return;
	pthread_mutex_lock(&tp->mu);
	tp->quit = 1;
	pthread_cond_broadcast(&tp->go);
	pthread_mutex_unlock(&tp->mu);
	for (size_t i = 0; i < tp->nshares; i++)
		if (tp->share[i].started)
			pthread_join(tp->share[i].tid, NULL);
	pthread_mutex_destroy(&tp->mu);
	pthread_cond_destroy(&tp->go);
	pthread_cond_destroy(&tp->done);
	for (size_t i = 0; i < tp->nshares; i++) {
		struct share *s = &tp->share[i];

		tl_tokens_free(&s->tok);
		tl_pool_free(s->pool);
		tl_lexical_free(&s->lex);
		free(s->off);
		free(s->idx);
		free(s->val);
	}
	free(tp->share);
	free(tp->off);
	free(tp->idx);
	free(tp->val);
	free(tp);
}
