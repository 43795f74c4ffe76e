/* OpenBLAS, loaded at its first use; see blas.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define TL_BLAS_IMPL	/* the names below are the library's, not macros */
#include "blas.h"

#define SONAME	"libopenblas.so.0"

static struct tl_blas	 blas;
static void		 (*shutdown_pool)(void);	/* absent: serial build */
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 loaded;
static int		 pending_threads;	/* 0: OpenBLAS's own choice */

extern const char *tl_progname;

static _Noreturn void
cannot_load(const char *why)
{
	fprintf(stderr, "%s: cannot load OpenBLAS (%s): %s\n",
	    tl_progname != NULL ? tl_progname : "tl", SONAME, why);
	exit(127);
}

static void
load(void)
{
	void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (h == NULL)
		cannot_load(dlerror());
#define TL_BLAS_LOAD(f) \
	if ((blas.f = (__typeof__(blas.f))dlsym(h, #f)) == NULL) \
		missing = #f;
	TL_BLAS_FUNCS(TL_BLAS_LOAD)
#undef TL_BLAS_LOAD
	if (missing != NULL)
		cannot_load(missing);
	shutdown_pool = (void (*)(void))dlsym(h, "blas_thread_shutdown_");
	loaded = 1;
	if (pending_threads > 0)
		blas.openblas_set_num_threads(pending_threads);
	tl_blas_quiet();
}

const struct tl_blas *
tl_blas(void)
{
	pthread_once(&once, load);
	return &blas;
}

int
tl_blas_loaded(void)
{
	return loaded;
}

void
tl_blas_quiet(void)
{
	if (loaded && shutdown_pool != NULL)
		shutdown_pool();
}

void
tl_blas_threads(int n)
{
	if (!loaded) {
		pending_threads = n;
		return;
	}
	blas.openblas_set_num_threads(n);
	tl_blas_quiet();
}
