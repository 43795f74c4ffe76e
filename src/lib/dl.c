/* Libraries loaded at their first use; see dl.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "dl.h"

extern const char *tl_progname;

static _Noreturn void
cannot_load(const char *what, const char *soname, const char *why)
{
	fprintf(stderr, "%s: cannot load %s (%s): %s\n",
	    tl_progname != NULL ? tl_progname : "tl", what, soname, why);
	exit(127);
}

void *
tl_dl_open(const char *what, const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		cannot_load(what, soname, dlerror());
	return h;
}

void *
tl_dl_sym(void *h, const char *what, const char *soname, const char *name)
{
	void *p = dlsym(h, name);

	if (p == NULL)
		cannot_load(what, soname, dlerror());
	return p;
}
