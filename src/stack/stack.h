/*
 * What the files of tl-stack share: main.c stacks models' outputs onto
 * vector streams; freeze.c freezes an embedding and heads into one
 * pipeline model.
 */
#ifndef TL_STACK_H
#define TL_STACK_H

#include "pool.h"

#define MAX_PREFIX 256

/* Split ARG, "[NAME=]FILE", into its file (returned, borrowed from ARG)
 * and its name (into NAME): the text before the first '=' when that is
 * not empty and holds no '/', else FILE's base name without ".tlm".  OPT
 * ("-m " or "") leads ARG in usage errors. */
const char *stack_parse_name(const char *arg, const char *opt,
	    char name[MAX_PREFIX]);

/* tl-stack --freeze: freeze the N models ARGS ("[NAME=]FILE", the
 * embedding first, the final head last), pooled with POOL (NULL: as the
 * heads recorded, else mean), into the model file OUTPUT.  Dies with a
 * message on any error. */
void	stack_freeze(char *const *args, int n, const struct tl_pool_opts *pool,
	    const char *output);

#endif
