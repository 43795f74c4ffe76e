/*
 * Cross-validation: folds and the per-fold fitting loop; see cv.h.  Each
 * fold copies its training rows into one buffer (allocated once for the
 * largest fold) and its held-out rows into another, so that the model code
 * sees plain contiguous data.
 */
#include <stdlib.h>
#include <string.h>

#include "cv.h"

uint64_t
tl_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t
tl_rng_below(uint64_t *state, size_t n)
{
	/* rejection keeps it exactly uniform */
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, v;

	while ((v = tl_rng_next(state)) >= lim)
		;
	return (size_t)(v % n);
}

struct slot {
	size_t	stratum, order, row;
};

static int
slot_cmp(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->stratum != y->stratum)
		return x->stratum < y->stratum ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

int
tl_cv_folds(const size_t *strata, size_t n, size_t k, uint64_t seed,
    size_t *fold, struct tl_err *e)
{
	struct slot *s;
	uint64_t st = seed;
	size_t i, j;

	if (k < 2 || k > n)
		return tl_errf(e, "cross-validation needs 2 <= folds <= rows, "
		    "found %zu folds for %zu rows", k, n);
	if ((s = malloc(n * sizeof(*s))) == NULL)
		return tl_errf(e, "out of memory");
	for (i = 0; i < n; i++) {
		s[i].stratum = strata != NULL ? strata[i] : 0;
		s[i].row = i;
		s[i].order = i;
	}
	for (i = n - 1; i > 0; i--) {		/* Fisher-Yates on order */
		size_t t;

		j = tl_rng_below(&st, i + 1);
		t = s[i].order;
		s[i].order = s[j].order;
		s[j].order = t;
	}
	qsort(s, n, sizeof(*s), slot_cmp);
	for (i = 0; i < n; i++)
		fold[s[i].row] = i % k;
	free(s);
	return 0;
}

/* Per-fold buffers: the training rows and the held-out rows. */
struct part {
	float		*x;
	size_t		*y;
	unsigned char	*t;
	double		*value, *sw;
	size_t		*row;		/* original row indices */
	struct tl_linear_data d;
};

static void
part_free(struct part *p)
{
	free(p->x);
	free(p->y);
	free(p->t);
	free(p->value);
	free(p->sw);
	free(p->row);
}

static int
part_alloc(struct part *p, const struct tl_linear_data *D, size_t k)
{
	size_t n = D->n;

	memset(p, 0, sizeof(*p));
	p->x = malloc(n * D->d * sizeof(float));
	p->row = malloc(n * sizeof(size_t));
	if (D->y != NULL)
		p->y = malloc(n * sizeof(size_t));
	if (D->t != NULL)
		p->t = malloc(n * k);
	if (D->value != NULL)
		p->value = malloc(n * sizeof(double));
	if (D->sw != NULL)
		p->sw = malloc(n * sizeof(double));
	if (p->x == NULL || p->row == NULL || (D->y && !p->y) ||
	    (D->t && !p->t) || (D->value && !p->value) || (D->sw && !p->sw)) {
		part_free(p);
		return -1;
	}
	return 0;
}

/* Copy the rows of D whose fold is (IN ? == f : != f) into P. */
static void
part_fill(struct part *p, const struct tl_linear_data *D, size_t k,
    const size_t *fold, size_t f, int in)
{
	size_t m = 0, d = D->d;

	for (size_t i = 0; i < D->n; i++) {
		if ((fold[i] == f) != in)
			continue;
		memcpy(p->x + m * d, D->x + i * d, d * sizeof(float));
		if (p->y)
			p->y[m] = D->y[i];
		if (p->t)
			memcpy(p->t + m * k, D->t + i * k, k);
		if (p->value)
			p->value[m] = D->value[i];
		if (p->sw)
			p->sw[m] = D->sw[i];
		p->row[m++] = i;
	}
	p->d = (struct tl_linear_data){ p->x, m, d, p->y, p->t, p->value,
	    p->sw };
}

int
tl_cv_linear(const struct tl_linear_data *D, char *const *classes,
    size_t k, const struct tl_linear_opts *o, const size_t *fold,
    size_t nfolds, struct tl_linear_score *scores, float *oof,
    size_t *iters, struct tl_err *e)
{
	struct part tr, te;
	struct tl_linear lin;
	struct tl_linear_report r;
	float *out = NULL;
	int rc = -1;

	if (iters != NULL)
		*iters = 0;
	if (part_alloc(&tr, D, k) != 0)
		return tl_errf(e, "out of memory");
	if (part_alloc(&te, D, k) != 0 ||
	    (out = malloc(D->n * k * sizeof(float))) == NULL) {
		part_free(&tr);
		part_free(&te);
		return tl_errf(e, "out of memory");
	}
	for (size_t f = 0; f < nfolds; f++) {
		part_fill(&tr, D, k, fold, f, 0);
		part_fill(&te, D, k, fold, f, 1);
		if (tl_linear_fit(&lin, &tr.d, classes, k, o, &r, e) != 0) {
			size_t len = strlen(e->msg);

			snprintf(e->msg + len, sizeof(e->msg) - len,
			    " (fold %zu)", f + 1);
			goto out;
		}
		if (iters != NULL)
			*iters += r.iterations;
		rc = tl_linear_score(&lin, &te.d, out, &scores[f], e);
		tl_linear_free(&lin);
		if (rc != 0)
			goto out;
		rc = -1;
		for (size_t i = 0; oof != NULL && i < te.d.n; i++)
			memcpy(oof + te.row[i] * k, out + i * k,
			    k * sizeof(float));
	}
	rc = 0;
out:
	free(out);
	part_free(&tr);
	part_free(&te);
	return rc;
}
