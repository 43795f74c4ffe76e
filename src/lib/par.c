/*
 * The ordered block pipeline (see par.h).  Blocks are numbered in input
 * order; block number s lives in slot s % nblocks.  Three counters say
 * where the pipeline is: blocks [written, worked) are being processed or
 * wait to be written, [worked, read) wait for a worker, and a slot is
 * free for reading when read - written < nblocks.  One mutex guards the
 * counters and the slots' states; the callbacks run outside it.  The
 * calling thread writes a finished block before it reads a new one, so
 * the output never waits behind input that is not needed yet; when it can
 * neither write nor read, it processes a block itself, as worker
 * nthreads - 1, instead of waiting.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "par.h"

enum { S_FREE, S_QUEUED, S_DONE };

struct slot {
	int	state;
	int	read_rc;	/* -1: an error after this block */
	int	work_rc;
};

struct par {
	const struct tl_par_job *job;
	struct slot	*slot;
	pthread_mutex_t	 mu;
	pthread_cond_t	 to_work;	/* a block was queued, or stop */
	pthread_cond_t	 to_main;	/* a block was done */
	uint64_t	 read, worked, written;
	size_t		 main_id;	/* the calling thread's worker id */
	int		 stop;
};

struct worker {
	struct par	*p;
	size_t		 id;
};

size_t
tl_par_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > TL_PAR_MAX_THREADS ? TL_PAR_MAX_THREADS : (size_t)n;
}

/* Everything in the calling thread, one block at a time. */
static int
run_serial(const struct tl_par_job *j, void **failed)
{
	void *b = j->blocks[0];
	int r;

	for (;;) {
		if ((r = j->read(j->ctx, b)) == 0)
			return 0;
		if (j->work(j->ctx, b, 0) == -1 || j->write(j->ctx, b) == -1 ||
		    r == -1) {
			*failed = b;
			return -1;
		}
	}
}

/* Process the oldest queued block as worker ID (the mutex held, and
 * released while the block is processed). */
static void
work_next(struct par *p, size_t id)
{
	uint64_t s = p->worked++;
	size_t k = (size_t)(s % p->job->nblocks);
	int rc;

	pthread_mutex_unlock(&p->mu);
	rc = p->job->work(p->job->ctx, p->job->blocks[k], id);
	pthread_mutex_lock(&p->mu);
	p->slot[k].work_rc = rc;
	p->slot[k].state = S_DONE;
}

static void *
work_loop(void *arg)
{
	struct worker *w = arg;
	struct par *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->worked == p->read)
			pthread_cond_wait(&p->to_work, &p->mu);
		if (p->stop)
			break;
		work_next(p, w->id);
		pthread_cond_signal(&p->to_main);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Write the oldest block (done; the mutex held).  0, or -1 when the
 * run must end (with *FAILED set). */
static int
write_next(struct par *p, void **failed)
{
	const struct tl_par_job *j = p->job;
	size_t k = (size_t)(p->written % j->nblocks);
	struct slot *sl = &p->slot[k];
	int rc = sl->work_rc;

	pthread_mutex_unlock(&p->mu);
	if (rc == 0)
		rc = j->write(j->ctx, j->blocks[k]);
	pthread_mutex_lock(&p->mu);
	if (rc == 0 && sl->read_rc == -1)
		rc = -1;
	if (rc == -1) {
		*failed = j->blocks[k];
		return -1;
	}
	sl->state = S_FREE;
	p->written++;
	return 0;
}

/* The calling thread's loop: write what is done, read while a slot is
 * free, else wait.  0 or -1. */
static int
main_loop(struct par *p, void **failed)
{
	const struct tl_par_job *j = p->job;
	int eof = 0, r;
	size_t k;

	for (;;) {
		k = (size_t)(p->written % j->nblocks);
		if (p->written < p->read && p->slot[k].state == S_DONE) {
			if (write_next(p, failed) == -1)
				return -1;
			continue;
		}
		if (eof && p->written == p->read)
			return 0;
		if (eof || p->read - p->written >= j->nblocks) {
			/* rather than wait, work: a thread of its own for
			 * reading and writing would share a CPU with the
			 * workers, and hand over a block at every wake-up */
			if (p->worked < p->read)
				work_next(p, p->main_id);
			else
				pthread_cond_wait(&p->to_main, &p->mu);
			continue;
		}
		k = (size_t)(p->read % j->nblocks);
		pthread_mutex_unlock(&p->mu);
		r = j->read(j->ctx, j->blocks[k]);
		pthread_mutex_lock(&p->mu);
		if (r == 0) {
			eof = 1;
			continue;
		}
		eof = r == -1;
		p->slot[k] = (struct slot){ S_QUEUED, r, 0 };
		p->read++;
		pthread_cond_signal(&p->to_work);
	}
}

int
tl_par_run(const struct tl_par_job *job, size_t nthreads, void **failed)
{
	struct par p = { .job = job };
	struct worker *w;
	pthread_t *tid;
	size_t started = 0;
	int rc;

	*failed = NULL;
	if (nthreads <= 1 || job->nblocks < 2)
		return run_serial(job, failed);
	p.slot = calloc(job->nblocks, sizeof(*p.slot));
	tid = calloc(nthreads, sizeof(*tid));
	w = calloc(nthreads, sizeof(*w));
	if (p.slot == NULL || tid == NULL || w == NULL) {
		free(p.slot);
		free(tid);
		free(w);
		return run_serial(job, failed);
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.to_work, NULL);
	pthread_cond_init(&p.to_main, NULL);
	/* the calling thread is the last worker */
	for (; started < nthreads - 1; started++) {
		w[started] = (struct worker){ &p, started };
		if (pthread_create(&tid[started], NULL, work_loop,
		    &w[started]) != 0)
			break;
	}
	p.main_id = started;
	pthread_mutex_lock(&p.mu);
	/* no thread at all: the calling thread does the work */
	rc = started == 0 ? -2 : main_loop(&p, failed);
	p.stop = 1;
	pthread_cond_broadcast(&p.to_work);
	pthread_mutex_unlock(&p.mu);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_cond_destroy(&p.to_main);
	pthread_cond_destroy(&p.to_work);
	pthread_mutex_destroy(&p.mu);
	free(p.slot);
	free(tid);
	free(w);
	return rc == -2 ? run_serial(job, failed) : rc;
}
