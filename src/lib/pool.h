/*
 * Pooling: the tokens of one document to one sentence vector, from the
 * word vectors of an embedding.  Kinds: "mean" (of the known words'
 * vectors), "sif" (smooth inverse frequency weights a/(a + p(w)) and
 * removal of the common principal components, Arora et al. 2017), "max"
 * (per component) and "meanmax" (mean then max: twice the dimension);
 * optionally L2-normalised.  Everything a kind needs (word frequencies,
 * common components) comes from the model, so a pooling is a pure function
 * of the model and its options.
 */
#ifndef TL_POOL_H
#define TL_POOL_H

#include <stddef.h>

#include "embed.h"
#include "err.h"
#include "tokenize.h"

enum tl_pool_kind {
	TL_POOL_MEAN,
	TL_POOL_SIF,
	TL_POOL_MAX,
	TL_POOL_MEANMAX
};

struct tl_pool_opts {
	enum tl_pool_kind kind;
	int		  normalize;	/* L2-normalise the result */
	double		  sif_a;	/* SIF's a; 0: the default, 1e-3 */
};

struct tl_pool;

/* The kind named NAME ("mean", "sif", "max", "meanmax") into *KIND; 0, or
 * -1 for an unknown name. */
int		 tl_pool_kind_parse(const char *name, enum tl_pool_kind *kind);

/* The name of KIND. */
const char	*tl_pool_kind_name(enum tl_pool_kind kind);

/* A pooling over E (borrowed; must outlive the result) with options O.
 * NULL with ERR filled in when E lacks what the kind needs. */
struct tl_pool	*tl_pool_new(const struct tl_embed *e,
		    const struct tl_pool_opts *o, struct tl_err *err);

/* Components of each pooled vector (the embedding's dimension, twice it
 * for meanmax). */
size_t		 tl_pool_dim(const struct tl_pool *p);

/* Pool the tokens of T into OUT (tl_pool_dim floats).  A document with no
 * known token gives a zero vector.  Returns the number of known tokens. */
size_t		 tl_pool_doc(struct tl_pool *p, const struct tl_tokens *t,
		    float *out);

/* Release P.  NULL is a no-op. */
void		 tl_pool_free(struct tl_pool *p);

#endif
