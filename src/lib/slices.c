/* Fork-join over fixed slices; see slices.h. */
#include <pthread.h>

#include "slices.h"

struct slice_run {
	void		(*fn)(void *, size_t);
	void		*ctx;
	size_t		 s0, s1;	/* slices s0 .. s1 - 1 */
};

size_t
tl_slice_at(size_t n, size_t s, size_t nslices)
{
	return s * n / nslices;
}

static void *
slice_thread(void *arg)
{
	struct slice_run *sr = arg;

	for (size_t s = sr->s0; s < sr->s1; s++)
		sr->fn(sr->ctx, s);
	return NULL;
}

void
tl_slices_run(size_t nslices, size_t nt, void (*fn)(void *, size_t),
    void *ctx)
{
	struct slice_run sr[TL_SLICES_MAX];
	pthread_t tid[TL_SLICES_MAX];
	int started[TL_SLICES_MAX];
	size_t t;

	nslices = nslices > TL_SLICES_MAX ? TL_SLICES_MAX : nslices;
	nt = nt < 1 ? 1 : nt > nslices ? nslices : nt;
	for (t = 0; t < nt; t++)
		sr[t] = (struct slice_run){ fn, ctx, t * nslices / nt,
		    (t + 1) * nslices / nt };
	for (t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, slice_thread,
		    &sr[t]) == 0;
	slice_thread(&sr[0]);
	for (t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			slice_thread(&sr[t]);
}
