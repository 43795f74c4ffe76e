/*
 * An ordered parallel pipeline over blocks of input: the calling thread
 * reads blocks and writes them out in input order, worker threads process
 * them in between, and so does the calling thread while it has nothing to
 * read or write (on 2 CPUs, a third thread that only read and wrote took
 * turns with the workers: 7% slower over 1,000,000 lines).  A bounded ring of caller-allocated blocks is in flight,
 * so memory stays constant whatever the input's length, and the output is
 * the same, byte for byte, whatever the number of threads.  tl-embed runs
 * its documents through it; any filter whose records are independent
 * (tl-predict, tl-stack) can.
 */
#ifndef TL_PAR_H
#define TL_PAR_H

#include <stddef.h>

/* The most threads tl_par_threads() suggests. */
#define TL_PAR_MAX_THREADS	16

struct tl_par_job {
	void	 *ctx;		/* passed to every callback */
	void	**blocks;	/* nblocks caller-owned blocks */
	size_t	  nblocks;	/* >= 1; 2 per thread keeps them busy */

	/*
	 * Fill BLOCK with the next input, in input order, in the calling
	 * thread.  1: BLOCK holds input; 0: the input has ended (BLOCK is
	 * not used); -1: an error after what BLOCK holds (which may be
	 * nothing): BLOCK is still processed and written, then the run ends.
	 */
	int	(*read)(void *ctx, void *block);
	/* Process BLOCK, in any thread, while other threads process other
	 * blocks.  WORKER (< the number of threads) names the thread, for
	 * scratch space of its own.  0, or -1 (the run ends before BLOCK
	 * is written). */
	int	(*work)(void *ctx, void *block, size_t worker);
	/* Consume BLOCK, in input order, in the calling thread.  0 or -1. */
	int	(*write)(void *ctx, void *block);
};

/*
 * Run JOB with NTHREADS workers, the calling thread the last of them (0
 * or 1: everything in the calling thread, no thread started).  Returns 0 when all input was read,
 * processed and written; else -1 with *FAILED set to the first block, in
 * input order, whose read, work or write failed (every block before it
 * has been written, none after it), or to NULL when a thread could not be
 * started.  The callbacks keep their errors in their blocks or context.
 */
int	tl_par_run(const struct tl_par_job *job, size_t nthreads,
	    void **failed);

/* The number of online CPUs, between 1 and TL_PAR_MAX_THREADS. */
size_t	tl_par_threads(void);

#endif
