/*
 * Sentence vectors from word vectors; see pool.h.
 *
 * One pass over a document's tokens looks each up once and feeds every
 * kind: a weighted mean in double (weight 1 for mean, a/(a + p(w)) for
 * sif) and a running per-component maximum.  SIF's mean divides by the sum
 * of the weights, where Arora et al. divide by the number of words: the
 * direction is the same, and the paper compares by cosine, but a vector
 * of the same scale as the plain mean suits the regularised classifiers
 * downstream (on a held-out part of the Debian training descriptions, the
 * paper's scale lost 0.3 points to mean pooling, this one gained 0.5).  SIF then removes the
 * projection on the model's common components u_k (rows of the tensor
 * "sif.components", F32 [r, d], made by tl-embed fit):
 * v <- v - sum_k u_k (u_k . v).  The components are orthonormal when fit
 * wrote them; a foreign file's rows are used as they are.
 *
 * A word the vocabulary lacks counts when the model has subwords (its
 * vector composed from character n-grams, as tl_embed_mean does), with
 * SIF weight 1: it is rarer than any word of the vocabulary.
 *
 * Word probabilities p(w) come from the model's "counts" tensor, p = c /
 * sum(c).  Without one (imported GloVe, word2vec, fastText files, whose
 * vocabulary is in decreasing frequency order) they are estimated from
 * the rank r (1-based) by the Zipf-Mandelbrot law p(r) = 1 / (r + 2.7),
 * normalised over the vocabulary: the offset 2.7 is the fit to English
 * word frequencies reported by Piantadosi, "Zipf's word frequency law in
 * natural language", Psychon Bull Rev 21 (2014), with the exponent taken
 * as 1.  Weights are computed per token, so a pooling allocates only a few
 * vectors, however large the vocabulary.
 *
 * Speed: the tokens of a document, or of a group of short ones
 * (tl_pool_docs), are looked up together (their cache misses overlap;
 * embed.c), and a batch's rows are summed with the CPU's widest vectors
 * (rowsum.c); every sum is still made in token order, in double, so the
 * result is the same to the last bit as the plain loop's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "blas.h"
#include "pool.h"
#include "rowsum.h"
#include "names.h"

#define SIF_A_DEFAULT	1e-3
#define ZIPF_OFFSET	2.7

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
	const int64_t		*counts;	/* sif: NULL: by rank */
	double			 norm;	/* sif: sum of counts, or of 1/(r+2.7) */
	const float		*comp;	/* sif: ncomp x dim, borrowed */
	size_t			 ncomp;
	double			*acc;	/* dim: weighted sum */
	float			*mx;	/* dim: running maximum */
	float			*row;	/* dim: an F16 row widened */
	double			*proj;	/* ncomp: u_k . v */
	int			 subwords;	/* unknown words composed */
};

int
tl_pool_kind_parse(const char *name, enum tl_pool_kind *kind)
{
	int i = tl_name_index(kind_names, NKINDS, name);

	if (i == -1)
		return -1;
	*kind = (enum tl_pool_kind)i;
	return 0;
}

const char *
tl_pool_kind_name(enum tl_pool_kind kind)
{
	return (size_t)kind < NKINDS ? kind_names[kind] : "?";
}

/* The common components of E's model, if any, into P; -1 when the
 * tensor is there but unusable. */
static int
find_components(struct tl_pool *p, struct tl_err *err)
{
	struct tl_model *m = tl_embed_model(p->e);
	const struct tl_tensor *t;

	if (m == NULL || (t = tl_model_tensor(m, TL_POOL_COMPONENTS)) == NULL)
		return 0;
	if (t->dtype != TL_DTYPE_F32 || t->ndim != 2 || t->shape[0] == 0 ||
	    t->shape[1] != p->dim)
		return tl_errf(err, "tensor '%s': expected F32 [r, %zu] with "
		    "r >= 1, found %s %s[%llu, %llu]", TL_POOL_COMPONENTS,
		    p->dim, tl_dtype_name(t->dtype), t->ndim == 2 ? "" :
		    "of another rank ", (unsigned long long)t->shape[0],
		    (unsigned long long)(t->ndim > 1 ? t->shape[1] : 0));
	for (size_t i = 0; i < t->nbytes / sizeof(float); i++)
		if (!isfinite(((const float *)t->data)[i]))
			return tl_errf(err, "tensor '%s': value %zu is not "
			    "finite", TL_POOL_COMPONENTS, i);
	p->comp = t->data;
	p->ncomp = (size_t)t->shape[0];
	return 0;
}

/* The normaliser of the word probabilities, and a from the model when
 * the options leave it open. */
static void
sif_setup(struct tl_pool *p)
{
	size_t n = tl_embed_size(p->e);
	struct tl_model *m = tl_embed_model(p->e);
	const json_t *a;

	if (p->o.sif_a == 0 && m != NULL && (a = json_object_get(
	    json_object_get(tl_model_meta(m), "sif"), "a")) != NULL &&
	    json_is_number(a) && json_number_value(a) > 0 &&
	    isfinite(json_number_value(a)))
		p->o.sif_a = json_number_value(a);
	p->counts = p->o.counts != NULL ? p->o.counts : tl_embed_counts(p->e);
	p->norm = 0;
	if (p->counts != NULL) {
		for (size_t i = 0; i < n; i++)
			p->norm += (double)p->counts[i];
		if (p->norm > 0)
			return;
		p->counts = NULL;	/* all zero: no information */
	}
	/* smallest terms first, for accuracy */
	for (size_t r = n; r >= 1; r--)
		p->norm += 1 / ((double)r + ZIPF_OFFSET);
}

struct tl_pool *
tl_pool_new(const struct tl_embed *e, const struct tl_pool_opts *o,
    struct tl_err *err)
{
	struct tl_pool *p;
	size_t d = tl_embed_dim(e);

	if ((size_t)o->kind >= NKINDS)
		return tl_errf(err, "unknown pooling %d", (int)o->kind), NULL;
	if (o->sif_a < 0 || !isfinite(o->sif_a))
		return tl_errf(err, "SIF's a must be positive, found %g",
		    o->sif_a), NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return tl_errf(err, "out of memory"), NULL;
	p->e = e;
	p->o = *o;
	p->dim = d;
	p->subwords = tl_embed_has_subwords(e);
	if (o->kind == TL_POOL_SIF)
		sif_setup(p);
	if (p->o.sif_a == 0)
		p->o.sif_a = SIF_A_DEFAULT;
	if (o->kind == TL_POOL_SIF) {
		if (!o->no_components && find_components(p, err) == -1) {
			free(p);
			return NULL;
		}
	}
	p->acc = calloc(d, sizeof(*p->acc));
	p->mx = calloc(d, sizeof(*p->mx));
	p->row = calloc(d, sizeof(*p->row));
	p->proj = calloc(p->ncomp + 1, sizeof(*p->proj));
	if (p->acc == NULL || p->mx == NULL || p->row == NULL ||
	    p->proj == NULL) {
		tl_pool_free(p);
		return tl_errf(err, "out of memory"), NULL;
	}
	return p;
}

size_t
tl_pool_dim(const struct tl_pool *p)
{
	return p->o.kind == TL_POOL_MEANMAX ? 2 * p->dim : p->dim;
}

double
tl_pool_sif_a(const struct tl_pool *p)
{
	return p->o.sif_a;
}

size_t
tl_pool_components(const struct tl_pool *p)
{
	return p->ncomp;
}

double
tl_pool_prob(const struct tl_pool *p, size_t row)
{
	if (p->counts != NULL)
		return (double)p->counts[row] / p->norm;
	return 1 / (((double)row + 1 + ZIPF_OFFSET) * p->norm);
}

double
tl_pool_weight(const struct tl_pool *p, size_t row)
{
	double a = p->o.kind == TL_POOL_SIF ? p->o.sif_a : 0;

	return a == 0 ? 1 : a / (a + tl_pool_prob(p, row));
}

static void
normalize(float *x, size_t n)
{
	float norm = cblas_snrm2((int)n, x, 1);

	if (norm > 0)
		cblas_sscal((int)n, 1 / norm, x, 1);
}

/* v <- v - sum_k u_k (u_k . v), in double, V of p->dim. */
static void
remove_components(struct tl_pool *p, double *v)
{
	for (size_t k = 0; k < p->ncomp; k++) {
		const float *u = p->comp + k * p->dim;
		double s = 0;

		for (size_t j = 0; j < p->dim; j++)
			s += u[j] * v[j];
		p->proj[k] = s;
	}
	for (size_t k = 0; k < p->ncomp; k++) {
		const float *u = p->comp + k * p->dim;

		for (size_t j = 0; j < p->dim; j++)
			v[j] -= p->proj[k] * u[j];
	}
}

/* ACC[j] /= S for j < D, as a product by 1 / S: a division per
 * component took a tenth of the pooling's time (divpd issues one every
 * few cycles, mulpd two a cycle), and the product, within 2 units in the
 * last place of a double, rounds to the same float but for about one
 * component in 10^8. */
static void
divide(double *acc, double s, size_t d)
{
	double inv = 1 / s;
	size_t j = 0;

#ifdef __SSE2__
	for (; j + 2 <= d; j += 2)
		_mm_storeu_pd(acc + j, _mm_mul_pd(_mm_loadu_pd(acc + j),
		    _mm_set1_pd(inv)));
#endif
	for (; j < d; j++)
		acc[j] *= inv;
}

/* OUT[j] = ACC[j] * INV rounded to float, for j < D: divide and the
 * rounding in one pass. */
static void
to_float(float *out, const double *acc, double inv, size_t d)
{
	size_t j = 0;

#ifdef __SSE2__
	const __m128d v = _mm_set1_pd(inv);

	for (; j + 4 <= d; j += 4)
		_mm_storeu_ps(out + j, _mm_movelh_ps(
		    _mm_cvtpd_ps(_mm_mul_pd(_mm_loadu_pd(acc + j), v)),
		    _mm_cvtpd_ps(_mm_mul_pd(_mm_loadu_pd(acc + j + 2), v))));
#endif
	for (; j < d; j++)
		out[j] = (float)(acc[j] * inv);
}

/* Four floats, and the masks their comparisons give. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* MX[j] = X[j] where X[j] > MX[j], for j < D: four at a time through the
 * comparison's mask, which compilers do not do for the plain loop
 * (trapping math), whose branch mispredicted about every other value (a
 * quarter of tl-predict's time on raw text pooled by meanmax). */
static void
max_row(float *mx, const float *x, size_t d)
{
	size_t j = 0;

	for (v4f a, b; j + 4 <= d; j += 4) {
		v4i gt, r;

		memcpy(&a, x + j, sizeof(a));
		memcpy(&b, mx + j, sizeof(b));
		gt = a > b;
		r = ((v4i)a & gt) | ((v4i)b & ~gt);
		memcpy(mx + j, &r, sizeof(r));
	}
	for (; j < d; j++)
		if (x[j] > mx[j])
			mx[j] = x[j];
}

/* Add token I (its row ROW, or -1) of T to the running sums; 1 when it
 * counts (known, or composed from subwords), else 0. */
static int
add_token(struct tl_pool *p, const struct tl_tokens *t, size_t i, long row,
    size_t known, double *wsum)
{
	const float *x;
	double w;

	if (row >= 0) {
		x = tl_embed_row(p->e, (size_t)row, p->row);
		w = p->o.kind == TL_POOL_SIF ? tl_pool_weight(p, (size_t)row) :
		    1;
	} else if (p->subwords && (x = tl_embed_word_vector(p->e,
	    t->bytes + t->off[i], t->len[i], p->row)) != NULL)
		w = 1;	/* composed from n-grams: p(w) = 0, weight 1 */
	else
		return 0;
	*wsum += w;
	tl_rowsum_one(p->acc, x, w, p->dim);
	if (p->o.kind == TL_POOL_MAX || p->o.kind == TL_POOL_MEANMAX) {
		if (known == 0)
			memcpy(p->mx, x, p->dim * sizeof(*x));
		else
			max_row(p->mx, x, p->dim);
	}
	return 1;
}

/*
 * Add the N tokens of T from FIRST on, whose rows are ROWS, to the sums,
 * when every known one's vector is a float row of the model (no F16, no
 * subwords): all the rows at once (tl_rowsum).  Returns the number of
 * known tokens.
 */
static size_t
add_batch(struct tl_pool *p, const long *rows, size_t n, size_t known,
    double *wsum)
{
	const float *x[TL_EMBED_LOOKUP_MAX];
	double w[TL_EMBED_LOOKUP_MAX];
	int sif = p->o.kind == TL_POOL_SIF;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (rows[i] < 0)
			continue;
		x[m] = tl_embed_vector(p->e, (size_t)rows[i]);
		w[m] = sif ? tl_pool_weight(p, (size_t)rows[i]) : 1;
		*wsum += w[m];
		m++;
	}
	tl_rowsum(p->acc, x, sif ? w : NULL, m, p->dim);
	if (p->o.kind == TL_POOL_MAX || p->o.kind == TL_POOL_MEANMAX)
		for (size_t i = 0; i < m; i++) {
			if (known + i == 0)
				memcpy(p->mx, x[i], p->dim * sizeof(*x[i]));
			else
				max_row(p->mx, x[i], p->dim);
		}
	return m;
}

/* The pooled vector into OUT from the sums of KNOWN tokens whose weights
 * add up to WSUM. */
static void
finish(struct tl_pool *p, size_t known, double wsum, float *out)
{
	size_t d = p->dim;
	double inv = known > 0 ? 1 / wsum : 1;	/* wsum = known, but for sif */

	if (p->o.kind == TL_POOL_SIF && known > 0) {
		divide(p->acc, wsum, d);
		remove_components(p, p->acc);
		inv = 1;
	}
	switch (p->o.kind) {
	case TL_POOL_MAX:
		for (size_t j = 0; j < d; j++)
			out[j] = known ? p->mx[j] : 0;
		break;
	case TL_POOL_MEANMAX:
		to_float(out, p->acc, inv, d);
		for (size_t j = 0; j < d; j++)
			out[d + j] = known ? p->mx[j] : 0;
		break;
	default:
		to_float(out, p->acc, inv, d);
	}
	if (p->o.normalize)
		normalize(out, tl_pool_dim(p));
}

/* Whether every known token's vector is a float row of the model (no
 * F16, no subwords), so that add_batch sums them. */
static int
direct(const struct tl_pool *p)
{
	return !p->subwords && !tl_embed_is_f16(p->e);
}

/* The words of tokens [FIRST, FIRST + N) of T into W and LEN. */
static void
gather(const struct tl_tokens *t, size_t first, size_t n, const char **w,
    size_t *len)
{
	for (size_t i = 0; i < n; i++) {
		w[i] = t->bytes + t->off[first + i];
		len[i] = t->len[first + i];
	}
}

size_t
tl_pool_doc(struct tl_pool *p, const struct tl_tokens *t, float *out)
{
	const char *w[TL_EMBED_LOOKUP_MAX];
	size_t len[TL_EMBED_LOOKUP_MAX], known = 0;
	long rows[TL_EMBED_LOOKUP_MAX];
	double wsum = 0;

	memset(p->acc, 0, p->dim * sizeof(*p->acc));
	/* the tokens in order, their lookups in batches */
	for (size_t b = 0; b < t->n; b += TL_EMBED_LOOKUP_MAX) {
		size_t n = t->n - b < TL_EMBED_LOOKUP_MAX ? t->n - b :
		    TL_EMBED_LOOKUP_MAX;

		gather(t, b, n, w, len);
		tl_embed_lookup_words(p->e, w, len, n, rows);
		if (direct(p))
			known += add_batch(p, rows, n, known, &wsum);
		else
			for (size_t i = 0; i < n; i++)
				known += (size_t)add_token(p, t, b + i,
				    rows[i], known, &wsum);
	}
	finish(p, known, wsum, out);
	return known;
}

/* Pool the N tokens whose rows are ROWS into OUT (direct only). */
static size_t
pool_rows(struct tl_pool *p, const long *rows, size_t n, float *out)
{
	size_t known;
	double wsum = 0;

	memset(p->acc, 0, p->dim * sizeof(*p->acc));
	known = add_batch(p, rows, n, 0, &wsum);
	finish(p, known, wsum, out);
	return known;
}

/*
 * Documents whose tokens fit one lookup batch are looked up together, so
 * that the cache misses of a whole group overlap (a short text alone has
 * too few tokens to hide them); longer ones, and models whose rows need
 * widening or composing, go through tl_pool_doc.
 */
void
tl_pool_docs(struct tl_pool *p, const struct tl_tokens *t, size_t n,
    float *out, size_t *known)
{
	const char *w[TL_EMBED_LOOKUP_MAX];
	size_t len[TL_EMBED_LOOKUP_MAX], d = tl_pool_dim(p), i = 0, m, r;
	long rows[TL_EMBED_LOOKUP_MAX];

	while (i < n) {
		size_t first = i;

		if (!direct(p) || t[i].n > TL_EMBED_LOOKUP_MAX) {
			known[i] = tl_pool_doc(p, &t[i], out + i * d);
			i++;
			continue;
		}
		for (m = 0; i < n && m + t[i].n <= TL_EMBED_LOOKUP_MAX; i++) {
			gather(&t[i], 0, t[i].n, w + m, len + m);
			m += t[i].n;
		}
		tl_embed_lookup_words(p->e, w, len, m, rows);
		for (r = 0; first < i; r += t[first].n, first++)
			known[first] = pool_rows(p, rows + r, t[first].n,
			    out + first * d);
	}
}

int
tl_pool_eigen(const double *c, size_t d, size_t r, float *u,
    double *lambda, struct tl_err *e)
{
	int n = (int)d, lwork = -1, info = 0;
	double *a, *w, *work, q;

	if (d == 0 || r == 0 || r > d || d > 46340)	/* d * d fits int */
		return tl_errf(e, "%zu components of a %zu x %zu matrix", r,
		    d, d);
	a = malloc(d * d * sizeof(*a));
	w = malloc(d * sizeof(*w));
	if (a == NULL || w == NULL) {
		free(a);
		free(w);
		return tl_errf(e, "out of memory");
	}
	memcpy(a, c, d * d * sizeof(*a));
	dsyev_("V", "U", &n, a, &n, w, &q, &lwork, &info, 1, 1);
	lwork = info == 0 && q >= 3 * d ? (int)q : (int)(3 * d);
	if ((work = malloc((size_t)lwork * sizeof(*work))) == NULL) {
		free(a);
		free(w);
		return tl_errf(e, "out of memory");
	}
	dsyev_("V", "U", &n, a, &n, w, work, &lwork, &info, 1, 1);
	free(work);
	if (info != 0) {
		free(a);
		free(w);
		return tl_errf(e, "eigendecomposition failed (dsyev info %d)",
		    info);
	}
	/* ascending eigenvalues; column j (contiguous: symmetric input, so
	 * the storage order only transposes) is eigenvector j */
	for (size_t k = 0; k < r; k++) {
		const double *v = a + (d - 1 - k) * d;
		size_t big = 0;
		double sign;

		for (size_t j = 1; j < d; j++)
			if (fabs(v[j]) > fabs(v[big]))
				big = j;
		sign = v[big] < 0 ? -1 : 1;
		for (size_t j = 0; j < d; j++)
			u[k * d + j] = (float)(sign * v[j]);
		lambda[k] = w[d - 1 - k];
	}
	free(a);
	free(w);
	return 0;
}

void
tl_pool_free(struct tl_pool *p)
{
	if (p == NULL)
		return;
	free(p->acc);
	free(p->mx);
	free(p->row);
	free(p->proj);
	free(p);
}
