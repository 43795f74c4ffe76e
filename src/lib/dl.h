/*
 * Libraries loaded at their first use (blas.h, evp.h): dlopen() and dlsym()
 * that end the program when they fail, as ld.so does for a library that a
 * program is linked with: "prog: cannot load WHAT (SONAME): why", exit
 * status 127.  The library of tl does not otherwise print or exit (err.h),
 * but a call into a library that is not there has no way to fail softly.
 */
#ifndef TL_DL_H
#define TL_DL_H

/* The handle of SONAME, which the messages call WHAT. */
void	*tl_dl_open(const char *what, const char *soname);

/* The address of NAME in H, opened by tl_dl_open(WHAT, SONAME). */
void	*tl_dl_sym(void *h, const char *what, const char *soname,
	    const char *name);

#endif
