/*
 * Fork-join over fixed slices of a computation: FN runs once per slice,
 * the slices spread over however many threads are wanted.  A caller that
 * gives each slice its own sums and adds them in slice order gets the same
 * bits from any number of threads (linear.c's and sparselin.c's
 * objectives, linear.c's passes over the rows).
 */
#ifndef TL_SLICES_H
#define TL_SLICES_H

#include <stddef.h>

/* The most slices a run can have. */
#define TL_SLICES_MAX	16

/* The first of N items in slice S of NSLICES (S = NSLICES: N). */
size_t	tl_slice_at(size_t n, size_t s, size_t nslices);

/* FN(CTX, s) for every slice s < NSLICES (at most TL_SLICES_MAX), on NT
 * threads, the calling one included (NT taken between 1 and NSLICES);
 * each thread takes a run of consecutive slices, and a thread that cannot
 * be started leaves its slices to the caller.  What a slice computes must
 * not depend on the others. */
void	tl_slices_run(size_t nslices, size_t nt, void (*fn)(void *, size_t),
	    void *ctx);

#endif
