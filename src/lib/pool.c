/* Sentence vectors from word vectors; see pool.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "pool.h"

static const char *const kind_names[] = {
	[TL_POOL_MEAN] = "mean",
	[TL_POOL_SIF] = "sif",
	[TL_POOL_MAX] = "max",
	[TL_POOL_MEANMAX] = "meanmax",
};
#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

struct tl_pool {
	const struct tl_embed	*e;
	struct tl_pool_opts	 o;
	size_t			 dim;	/* of the word vectors */
};

int
tl_pool_kind_parse(const char *name, enum tl_pool_kind *kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*kind = (enum tl_pool_kind)i;
			return 0;
		}
	return -1;
}

const char *
tl_pool_kind_name(enum tl_pool_kind kind)
{
	return (size_t)kind < NKINDS ? kind_names[kind] : "?";
}

struct tl_pool *
tl_pool_new(const struct tl_embed *e, const struct tl_pool_opts *o,
    struct tl_err *err)
{
	struct tl_pool *p;

	if (o->kind != TL_POOL_MEAN) {
		tl_errf(err, "pooling '%s' is not supported yet",
		    tl_pool_kind_name(o->kind));
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	p->e = e;
	p->o = *o;
	p->dim = tl_embed_dim(e);
	return p;
}

size_t
tl_pool_dim(const struct tl_pool *p)
{
	return p->o.kind == TL_POOL_MEANMAX ? 2 * p->dim : p->dim;
}

static void
normalize(float *x, size_t n)
{
	float norm = cblas_snrm2((int)n, x, 1);

	if (norm > 0)
		cblas_sscal((int)n, 1 / norm, x, 1);
}

size_t
tl_pool_doc(struct tl_pool *p, const struct tl_tokens *t, float *out)
{
	size_t known = tl_embed_mean(p->e, t, out);

	if (p->o.normalize)
		normalize(out, tl_pool_dim(p));
	return known;
}

void
tl_pool_free(struct tl_pool *p)
{
	free(p);
}
