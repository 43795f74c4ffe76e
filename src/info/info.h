/*
 * tl-info's internals shared by its files: main.c (options, the JSON,
 * --digest and --tensors reports) and lineage.c (--tree and --verify).
 */
#ifndef TL_INFO_H
#define TL_INFO_H

#include "err.h"

/* Report E about PATH (NULL: standard input) like tl_die_err, without
 * exiting. */
void	info_warn_err(const char *path, const struct tl_err *e);

/* Print MODEL's lineage as a tree, looking its parents up among the
 * NPARENTS files PARENTS and the *.tlm files next to MODEL.  Returns the
 * exit status: 0, or 1 after a warning. */
int	lineage_tree(const char *model, char *const *parents, int nparents);

/* Check that each of the NPARENTS files PARENTS is in MODEL's lineage,
 * and that the lineages of the parents found are consistent with it; one
 * line per check on standard output.  Returns the exit status: 0 when
 * every check passed, else 1. */
int	lineage_verify(const char *model, char *const *parents, int nparents);

#endif
