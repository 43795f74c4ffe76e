/*
 * The ordered block pipeline of par.c: every block is read, worked and
 * written once, written in input order, whatever the number of threads
 * and blocks in flight; a failing read, work or write ends the run at
 * that block, with every block before it written and none after.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "par.h"
#include "t.h"

#define NB_MAX	40

struct blk {
	int	 seq;		/* input order */
	uint64_t val;		/* the work's result */
};

struct job {
	int	 nread, total;	/* blocks read so far, of total */
	int	 fail_read, fail_work, fail_write;	/* seq, or -1 */
	int	 written[1000], nwritten;
	int	 order_ok, value_ok;
};

/* Some work whose length varies from block to block, so that threads
 * finish out of order. */
static uint64_t
churn(int seq)
{
	uint64_t h = (uint64_t)seq * 0x9e3779b97f4a7c15ULL;
	int spins = (int)(h >> 58) * 2000;

	for (int i = 0; i < spins; i++)
		h = h * 6364136223846793005ULL + 1442695040888963407ULL;
	return h;
}

static int
rd(void *ctx, void *block)
{
	struct job *j = ctx;
	struct blk *b = block;

	if (j->nread == j->total)
		return 0;
	b->seq = j->nread++;
	b->val = 0;
	return b->seq == j->fail_read ? -1 : 1;
}

static int
wk(void *ctx, void *block, size_t worker)
{
	struct job *j = ctx;
	struct blk *b = block;

	(void)worker;
	b->val = churn(b->seq);
	return b->seq == j->fail_work ? -1 : 0;
}

static int
wr(void *ctx, void *block)
{
	struct job *j = ctx;
	struct blk *b = block;

	if (b->seq == j->fail_write)
		return -1;
	j->order_ok &= b->seq == j->nwritten;
	j->value_ok &= b->val == churn(b->seq);
	j->written[j->nwritten++] = b->seq;
	return 0;
}

/* Run TOTAL blocks with NTHREADS and NB blocks; the failed block's seq
 * (-1 when the run succeeded) in *FAILED_SEQ.  Returns the run's result. */
static int
run(struct job *j, int total, size_t nthreads, size_t nb, int *failed_seq)
{
	static struct blk blks[NB_MAX];
	void *ptr[NB_MAX], *failed;
	struct tl_par_job pj = { .ctx = j, .blocks = ptr, .nblocks = nb,
	    .read = rd, .work = wk, .write = wr };
	int rc;

	for (size_t i = 0; i < nb; i++)
		ptr[i] = &blks[i];
	j->nread = 0;
	j->total = total;
	j->nwritten = 0;
	j->order_ok = j->value_ok = 1;
	rc = tl_par_run(&pj, nthreads, &failed);
	*failed_seq = failed != NULL ? ((struct blk *)failed)->seq : -1;
	return rc;
}

static void
test_order(void)
{
	static const size_t threads[] = { 1, 2, 3, 7 };
	struct job j = { .fail_read = -1, .fail_work = -1, .fail_write = -1 };
	int fs;

	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++)
		for (size_t nb = 1; nb <= 2 * threads[t] + 2; nb += 3) {
			T_CHECK(run(&j, 500, threads[t], nb, &fs) == 0);
			T_CHECK(fs == -1 && j.nwritten == 500);
			T_CHECK(j.order_ok && j.value_ok);
			T_CHECK(run(&j, 0, threads[t], nb, &fs) == 0);
			T_CHECK(j.nwritten == 0);
		}
}

static void
test_failures(void)
{
	struct job j;
	int fs;

	for (size_t t = 1; t <= 4; t++) {
		/* work: the block is not written, nor any after it */
		j = (struct job){ .fail_read = -1, .fail_work = 123,
		    .fail_write = -1 };
		T_CHECK(run(&j, 400, t, 2 * t + 2, &fs) == -1);
		T_CHECK(fs == 123 && j.nwritten == 123 && j.order_ok);
		/* read: what the block holds is still written, then stop */
		j = (struct job){ .fail_read = 77, .fail_work = -1,
		    .fail_write = -1 };
		T_CHECK(run(&j, 400, t, 2 * t + 2, &fs) == -1);
		T_CHECK(fs == 77 && j.nwritten == 78 && j.nread == 78);
		T_CHECK(j.order_ok && j.value_ok);
		/* write: nothing after */
		j = (struct job){ .fail_read = -1, .fail_work = -1,
		    .fail_write = 5 };
		T_CHECK(run(&j, 400, t, 2 * t + 2, &fs) == -1);
		T_CHECK(fs == 5 && j.nwritten == 5 && j.order_ok);
	}
}

static void
test_threads(void)
{
	size_t n = tl_par_threads();

	T_CHECK(n >= 1 && n <= TL_PAR_MAX_THREADS);
}

int
main(void)
{
	T_RUN(test_order);
	T_RUN(test_failures);
	T_RUN(test_threads);
	return t_done();
}
