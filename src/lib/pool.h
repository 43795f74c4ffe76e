/*
 * Pooling: the tokens of one document to one sentence vector, from the
 * word vectors of an embedding.  Kinds: "mean" (of the known words'
 * vectors), "sif" (smooth inverse frequency weights a/(a + p(w)) and
 * removal of the common principal components, Arora et al. 2017), "max"
 * (per component) and "meanmax" (mean then max: twice the dimension; max over the known words, zeros
 * when none is known);
 * optionally L2-normalised.  Everything a kind needs (word frequencies,
 * common components) comes from the model, so a pooling is a pure function
 * of the model and its options.
 */
#ifndef TL_POOL_H
#define TL_POOL_H

#include <stddef.h>
#include <stdint.h>

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
	int		  no_components; /* sif: weights only, ignore the
					    model's components (fit) */
	const int64_t	 *counts;	/* sif: word counts to use instead of
					   the model's (borrowed), or NULL */
};

/* The model tensor of SIF's common components: F32 [r, dim], r >= 1. */
#define TL_POOL_COMPONENTS	"sif.components"

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

/* The number of common components SIF removes (0: none, for other
 * kinds, or when the model has none: SIF then only weighs). */
size_t		 tl_pool_components(const struct tl_pool *p);

/* The probability of the word of row ROW (< the vocabulary size) that SIF
 * weighs by: from the model's counts, else from its rank (see pool.c).
 * Meaningful for sif poolings only. */
double		 tl_pool_prob(const struct tl_pool *p, size_t row);

/* The weight of row ROW: a / (a + p(w)) for sif, 1 for the others. */
double		 tl_pool_weight(const struct tl_pool *p, size_t row);

/* Pool the tokens of T into OUT (tl_pool_dim floats).  A document with no
 * known token gives a zero vector.  Returns the number of known tokens. */
size_t		 tl_pool_doc(struct tl_pool *p, const struct tl_tokens *t,
		    float *out);

/* Pool the N documents T[0..N) into OUT (N rows of tl_pool_dim floats),
 * each as tl_pool_doc does, its count of known tokens in KNOWN[i]; faster
 * than one at a time for short texts. */
void		 tl_pool_docs(struct tl_pool *p, const struct tl_tokens *t,
		    size_t n, float *out, size_t *known);

/* The a that P uses: the option, else the model's description
 * ("sif": {"a": A}, written by tl-embed fit), else 1e-3. */
double		 tl_pool_sif_a(const struct tl_pool *p);

/* The R eigenvectors of the symmetric D x D matrix C (row-major; only
 * read) with the largest eigenvalues, largest first, as the rows of U
 * (R x D floats, unit length, each signed so that its largest-magnitude
 * component is positive), and the eigenvalues in LAMBDA (R).  Through
 * LAPACK's dsyev (in OpenBLAS).  0, or -1 with E filled in. */
int		 tl_pool_eigen(const double *c, size_t d, size_t r, float *u,
		    double *lambda, struct tl_err *e);

/* Release P.  NULL is a no-op. */
void		 tl_pool_free(struct tl_pool *p);

#endif
