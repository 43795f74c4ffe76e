/*
 * OpenBLAS, loaded when it is first needed.  Loading it costs more than
 * many runs of the tools do (about 3 ms on 2 CPUs: its 36 MB of
 * relocations, the CPU probe and the thread pool its constructor starts,
 * against 20 ms for embedding 50,000 lines), and most runs of tl-embed,
 * tl-predict and tl-info never multiply a matrix.  So the tools do not link
 * it: the first BLAS call anywhere dlopen()s libopenblas.so.0 and looks up
 * the functions below, once, for every thread.
 *
 * Code calls the CBLAS names as usual, after including this header instead
 * of <cblas.h>: each name is a macro for the loaded function, checked by
 * the compiler against <cblas.h>'s prototype.  A library that cannot be
 * loaded ends the program as ld.so would (dl.h).
 */
#ifndef TL_BLAS_H
#define TL_BLAS_H

#include <stddef.h>

#include <cblas.h>

/* LAPACK (Fortran ABI; the hidden lengths of the character arguments
 * last).  OpenBLAS exports it; no header declares it. */
void	dsyev_(const char *jobz, const char *uplo, const int *n, double *a,
	    const int *lda, double *w, double *work, const int *lwork,
	    int *info, size_t jobz_len, size_t uplo_len);

#define TL_BLAS_FUNCS(X) \
	X(cblas_ddot) X(cblas_dgemm) X(cblas_dgemv) X(cblas_dsyrk) \
	X(cblas_dtrmm) X(cblas_dtrsm) X(cblas_sgemm) X(cblas_sgemv) \
	X(cblas_snrm2) X(cblas_sscal) X(cblas_ssyrk) X(cblas_strsm) \
	X(dsyev_) X(openblas_get_num_threads) X(openblas_set_num_threads)

struct tl_blas {
#define TL_BLAS_MEMBER(f) __typeof__(f) *f;
	TL_BLAS_FUNCS(TL_BLAS_MEMBER)
#undef TL_BLAS_MEMBER
};

/* The loaded functions (loading them at the first call). */
const struct tl_blas *tl_blas(void);

/* Whether OpenBLAS is loaded yet. */
int	tl_blas_loaded(void);

/*
 * Stop OpenBLAS's idle thread pool (tl_blas_quiet), after setting its
 * number of threads to N (tl_blas_threads; 0: one per CPU); before
 * OpenBLAS is loaded, N is kept for the load, which quiets the pool too.
 * OpenBLAS starts a thread per CPU when it is loaded, and again whenever
 * its number of threads is set, and each spins on sched_yield for about
 * 0.1 s before it sleeps: on 2 CPUs, a CPU taken from the tools' own
 * threads for the first 0.1 s of a run (a fifth of a softmax fit on 51k
 * rows).  The pool starts again at the first BLAS call that wants
 * threads, as it does after fork(2).
 */
void	tl_blas_quiet(void);
void	tl_blas_threads(int n);

/*
 * One thread for a filter's products (tl-predict, tl-stack) unless the
 * user set OPENBLAS_NUM_THREADS.  A block of records times a head is
 * too small a product to gain much from more: on 2 CPUs a second thread
 * took 1 M records through a 53-class head 5% faster (0.60 s against
 * 0.63 s) for twice the CPU time (1.2 s against 0.63 s), mostly spinning,
 * and raw text through a pipeline 3% faster for 1.9 times the CPU: time
 * a filter takes from the other stages of its pipeline.
 */
void	tl_blas_filter_threads(void);

#ifndef TL_BLAS_IMPL
#define cblas_ddot			(tl_blas()->cblas_ddot)
#define cblas_dgemm			(tl_blas()->cblas_dgemm)
#define cblas_dgemv			(tl_blas()->cblas_dgemv)
#define cblas_dsyrk			(tl_blas()->cblas_dsyrk)
#define cblas_dtrmm			(tl_blas()->cblas_dtrmm)
#define cblas_dtrsm			(tl_blas()->cblas_dtrsm)
#define cblas_sgemm			(tl_blas()->cblas_sgemm)
#define cblas_sgemv			(tl_blas()->cblas_sgemv)
#define cblas_snrm2			(tl_blas()->cblas_snrm2)
#define cblas_sscal			(tl_blas()->cblas_sscal)
#define cblas_ssyrk			(tl_blas()->cblas_ssyrk)
#define cblas_strsm			(tl_blas()->cblas_strsm)
#define dsyev_				(tl_blas()->dsyev_)
#define openblas_get_num_threads	(tl_blas()->openblas_get_num_threads)
#define openblas_set_num_threads	(tl_blas()->openblas_set_num_threads)
#endif

#endif
