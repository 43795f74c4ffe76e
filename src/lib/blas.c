/* OpenBLAS, loaded at its first use; see blas.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#define TL_BLAS_IMPL	/* the names below are the library's, not macros */
#include "blas.h"
#include "dl.h"

#define SONAME	"libopenblas.so.0"

static struct tl_blas	 blas;
static void		 (*shutdown_pool)(void);	/* absent: serial build */
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 loaded;
static int		 pending_threads;	/* 0: OpenBLAS's own choice */

static void
load(void)
{
	void *h = tl_dl_open("OpenBLAS", SONAME);

#define TL_BLAS_LOAD(f) \
	blas.f = (__typeof__(blas.f))tl_dl_sym(h, "OpenBLAS", SONAME, #f);
	TL_BLAS_FUNCS(TL_BLAS_LOAD)
#undef TL_BLAS_LOAD
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

void
tl_blas_filter_threads(void)
{
	const char *env = getenv("OPENBLAS_NUM_THREADS");

	if (env == NULL || env[0] == '\0')
		tl_blas_threads(1);
}

