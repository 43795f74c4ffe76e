/*
 * Enumerations named on the command line and in model descriptions: each
 * module keeps a table of names indexed by its enum, and looks names up
 * here, so that parsing a name is written once.
 */
#ifndef TL_NAMES_H
#define TL_NAMES_H

#include <stddef.h>
#include <string.h>

/* The index of S among the N strings of NAMES, or -1 when absent. */
static inline int
tl_name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

#define TL_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
