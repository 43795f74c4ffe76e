/*
 * The word-vector learner; see w2v.h.
 *
 * Layout.  Words get ids in order of appearance while the corpus is read
 * (a hash table maps bytes to ids); tl_w2v_prepare renumbers them by
 * count and drops the rare ones.  The input matrix has a row per corpus
 * word, then BUCKET rows for the n-grams; SUB_OFF/SUB_ROWS list, per word,
 * the input rows whose mean is its input vector (its own row first), so
 * that no hashing happens while training.  Rows are STRIDE floats (DIM
 * rounded up to 8, the padding always zero) on 32-byte boundaries, so the
 * inner loops run over whole 8-float vectors with no remainder.
 *
 * Speed.  The inner loops use GCC/clang vector extensions; on x86-64 the
 * line trainer is compiled twice, for AVX2 and for the baseline, and the
 * one the CPU supports is picked at run time.  The logistic function is
 * computed exactly (one expf per prediction; the loss one log1pf more).
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "embed.h"
#include "model.h"
#include "w2v.h"
#include "names.h"

#define VEC		8		/* floats per vector register */
#define MAX_TABLE	10000000	/* negatives table, as fastText */
#define PROGRESS_NS	100000000LL	/* between progress calls */

typedef float v8 __attribute__((vector_size(VEC * sizeof(float))));

struct thread;

struct tl_w2v {
	struct tl_w2v_opts	 o;
	size_t			 stride;

	/* words by id; before prepare in order of appearance */
	char			*bytes;
	size_t			 nbytes, bytes_cap;
	size_t			*woff;		/* ntypes + 1 */
	uint64_t		*count;
	size_t			 ntypes, types_cap, woff_cap;
	uint64_t		*slot;		/* tag << 32 | (id + 1) */
	size_t			 mask;

	/* the corpus */
	uint32_t		*tok;
	size_t			 ntok, tok_cap;
	size_t			*doc_end;	/* exclusive token index */
	size_t			 ndocs, docs_cap;

	/* after prepare: words [0, ncorp) occur in the corpus, words
	 * [ncorp, n) only in INIT */
	size_t			 n, ncorp;
	const struct tl_embed	*init;
	long			*init_row;	/* n; -1: none */
	size_t			*sub_off;	/* ncorp + 1 */
	uint32_t		*sub_rows;
	size_t			 max_sub;
	float			*in, *out;
	size_t			 nin;		/* rows of IN */
	uint32_t		*table;
	size_t			 table_n;
	uint32_t		*keep;		/* subsampling thresholds */
	int			 prepared, written;

	/* training */
	_Atomic uint64_t	 done;		/* tokens read, all threads */
	struct tl_w2v_stats	 stats;
};

struct thread {
	struct tl_w2v	*w;
	size_t		 id, doc_lo, doc_hi;
	uint64_t	 rng;
	size_t		 negpos;
	float		*hidden, *grad;
	uint32_t	*line, *rows, *targets;
	double		 loss;
	uint64_t	 nloss;
	_Atomic double	 loss_pub;
	_Atomic uint64_t nloss_pub;
	void		(*progress)(void *, const struct tl_w2v_stats *);
	void		*ctx;
	struct timespec	 start;
};

static const char *const arch_names[] = {
	[TL_W2V_SKIPGRAM] = "skipgram",
	[TL_W2V_CBOW] = "cbow",
};

static const char *const update_names[] = {
	[TL_W2V_UPDATE_PAIR] = "pair",
	[TL_W2V_UPDATE_WINDOW] = "window",
};

void
tl_w2v_opts_default(struct tl_w2v_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->arch = TL_W2V_SKIPGRAM;
	o->update = TL_W2V_UPDATE_PAIR;
	o->dim = 100;
	o->window = 5;
	o->neg = 5;
	o->epochs = 5;
	o->min_count = 5;
	o->threads = 1;
	o->subwords = 1;
	o->sub.minn = 3;
	o->sub.maxn = 6;
	o->sub.bucket = 2000000;
	o->lr = 0.05;
	o->sample = 1e-4;
	o->seed = 1;
}

const char *
tl_w2v_arch_name(enum tl_w2v_arch arch)
{
	return arch_names[arch];
}

int
tl_w2v_arch_parse(const char *s, enum tl_w2v_arch *out)
{
	int i = tl_name_index(arch_names, TL_NELEM(arch_names), s);

	if (i == -1)
		return -1;
	*out = (enum tl_w2v_arch)i;
	return 0;
}

const char *
tl_w2v_update_name(enum tl_w2v_update update)
{
	return update_names[update];
}

int
tl_w2v_update_parse(const char *s, enum tl_w2v_update *out)
{
	int i = tl_name_index(update_names, TL_NELEM(update_names), s);

	if (i == -1)
		return -1;
	*out = (enum tl_w2v_update)i;
	return 0;
}

/* ----------------------------------------------------------- random */

/* splitmix64: small state, good enough for sampling, and seedable per
 * thread from one seed. */
static inline uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, N) (N small: the bias of the modulo is < 2^-40). */
static inline size_t
rng_below(uint64_t *s, size_t n)
{
	return (size_t)((rng_next(s) >> 16) % n);
}

/* ------------------------------------------------------------ growing */

static int
grow(void *p, size_t *cap, size_t need, size_t size, struct tl_err *e)
{
	size_t c = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 4 / size)
			return tl_errf(e, "out of memory");
		c *= 2;
	}
	if ((q = realloc(*(void **)p, c * size)) == NULL)
		return tl_errf(e, "out of memory (%zu MB)", c * size >> 20);
	*(void **)p = q;
	*cap = c;
	return 0;
}

struct tl_w2v *
tl_w2v_new(const struct tl_w2v_opts *o, struct tl_err *e)
{
	struct tl_w2v *w;

	if (o->dim < 1 || o->dim > 65536 || o->window < 1 || o->epochs < 1 ||
	    o->threads < 1 || o->threads > 1024 || o->neg > 1024 ||
	    o->window > 1024 || (o->update != TL_W2V_UPDATE_PAIR &&
	    o->update != TL_W2V_UPDATE_WINDOW))
		return tl_errf(e, "bad options (dim %zu, window %zu, neg %zu, "
		    "epochs %zu, threads %zu, update %d)", o->dim, o->window,
		    o->neg, o->epochs, o->threads, (int)o->update), NULL;
	if (o->subwords && (o->sub.minn < 1 || o->sub.maxn < o->sub.minn ||
	    o->sub.maxn > TL_SUBWORD_MAXN || o->sub.bucket < 1))
		return tl_errf(e, "bad subword options (minn %u, maxn %u, "
		    "bucket %u)", o->sub.minn, o->sub.maxn, o->sub.bucket),
		    NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->slot = calloc(1024, sizeof(*w->slot))) == NULL ||
	    grow(&w->woff, &w->woff_cap, 1, sizeof(*w->woff), e) == -1) {
		tl_w2v_free(w);
		return tl_errf(e, "out of memory"), NULL;
	}
	w->o = *o;
	w->mask = 1023;
	w->woff[0] = 0;
	w->stride = (o->dim + VEC - 1) / VEC * VEC;
	return w;
}

/* -------------------------------------------------------- vocabulary */

static inline int
same(const struct tl_w2v *w, size_t id, const char *s, size_t len)
{
	return w->woff[id + 1] - w->woff[id] == len &&
	    memcmp(w->bytes + w->woff[id], s, len) == 0;
}

/* The slot of the LEN bytes at S: where it is, or the empty slot where it
 * would go. */
static size_t
find(const struct tl_w2v *w, const char *s, size_t len, uint64_t h)
{
	uint64_t tag = h >> 32 << 32, v;
	size_t i = (size_t)h & w->mask;

	while ((v = w->slot[i]) != 0) {
		if ((v & ~0xffffffffULL) == tag &&
		    same(w, (size_t)(v & 0xffffffffULL) - 1, s, len))
			break;
		i = (i + 1) & w->mask;
	}
	return i;
}

static int
rehash(struct tl_w2v *w, struct tl_err *e)
{
	size_t cap = (w->mask + 1) * 2;
	uint64_t *old = w->slot;
	size_t oldcap = w->mask + 1;

	if ((w->slot = calloc(cap, sizeof(*w->slot))) == NULL) {
		w->slot = old;
		return tl_errf(e, "out of memory");
	}
	w->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++) {
		uint64_t v = old[i];
		size_t j, id;

		if (v == 0)
			continue;
		id = (size_t)(v & 0xffffffffULL) - 1;
		j = (size_t)XXH3_64bits(w->bytes + w->woff[id],
		    w->woff[id + 1] - w->woff[id]) & w->mask;
		while (w->slot[j] != 0)
			j = (j + 1) & w->mask;
		w->slot[j] = v;
	}
	free(old);
	return 0;
}

/* The id of the word of LEN bytes at S, added when new; -1 with E. */
static long
intern(struct tl_w2v *w, const char *s, size_t len, struct tl_err *e)
{
	uint64_t h = XXH3_64bits(s, len);
	size_t i = find(w, s, len, h), id;

	if (w->slot[i] != 0)
		return (long)(w->slot[i] & 0xffffffffULL) - 1;
	if (w->ntypes >= UINT32_MAX - 1)
		return tl_errf(e, "too many distinct words");
	id = w->ntypes;
	if (grow(&w->bytes, &w->bytes_cap, w->nbytes + len, 1, e) == -1 ||
	    grow(&w->count, &w->types_cap, id + 1, sizeof(*w->count), e) ==
	    -1 || grow(&w->woff, &w->woff_cap, id + 2, sizeof(*w->woff), e) ==
	    -1)
		return -1;
	memcpy(w->bytes + w->nbytes, s, len);
	w->nbytes += len;
	w->woff[id + 1] = w->nbytes;
	w->count[id] = 0;
	w->slot[i] = h >> 32 << 32 | (uint64_t)(id + 1);
	w->ntypes++;
	if (2 * w->ntypes > w->mask + 1 && rehash(w, e) == -1)
		return -1;
	return (long)id;
}

int
tl_w2v_add(struct tl_w2v *w, const struct tl_tokens *t, struct tl_err *e)
{
	if (w->prepared)
		return tl_errf(e, "tl_w2v_add after tl_w2v_prepare");
	if (t->n == 0)
		return 0;
	if (grow(&w->tok, &w->tok_cap, w->ntok + t->n, sizeof(*w->tok), e) ==
	    -1 || grow(&w->doc_end, &w->docs_cap, w->ndocs + 1,
	    sizeof(*w->doc_end), e) == -1)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		long id = intern(w, t->bytes + t->off[i], t->len[i], e);

		if (id == -1)
			return -1;
		w->count[id]++;
		w->tok[w->ntok++] = (uint32_t)id;
	}
	w->doc_end[w->ndocs++] = w->ntok;
	return 0;
}

int
tl_w2v_init_from(struct tl_w2v *w, const struct tl_embed *init,
    struct tl_err *e)
{
	if (tl_embed_dim(init) != w->o.dim)
		return tl_errf(e, "the initial vectors have dimension %zu, "
		    "expected %zu (--dim)", tl_embed_dim(init), w->o.dim);
	w->init = init;
	return 0;
}

struct rank {
	uint64_t	count;
	uint32_t	id;
};

static int
rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Renumber the words by count (ties: first seen first), keeping those
 * seen min-count times, then append INIT's words the corpus lacks.  The
 * word arrays are rebuilt in the new order; REMAP maps old ids to new ones
 * (UINT32_MAX: dropped).
 */
static int
renumber(struct tl_w2v *w, uint32_t *remap, struct tl_err *e)
{
	struct rank *r = malloc((w->ntypes + 1) * sizeof(*r));
	size_t ninit = w->init ? tl_embed_size(w->init) : 0, n = 0;
	size_t cap = w->ntypes + ninit + 1, nb = 0, bcap = w->nbytes + 1;
	char *bytes = NULL;
	size_t *woff = NULL;
	uint64_t *count = NULL;
	int rc = -1;

	if (r == NULL || (bytes = malloc(bcap)) == NULL ||
	    (woff = malloc((cap + 1) * sizeof(*woff))) == NULL ||
	    (count = malloc(cap * sizeof(*count))) == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < w->ntypes; i++) {
		r[i].count = w->count[i];
		r[i].id = (uint32_t)i;
		remap[i] = UINT32_MAX;
	}
	qsort(r, w->ntypes, sizeof(*r), rank_cmp);
	woff[0] = 0;
	for (size_t i = 0; i < w->ntypes && r[i].count >= w->o.min_count &&
	    r[i].count > 0; i++) {
		size_t id = r[i].id, len = w->woff[id + 1] - w->woff[id];

		memcpy(bytes + nb, w->bytes + w->woff[id], len);
		nb += len;
		woff[++n] = nb;
		count[n - 1] = r[i].count;
		remap[id] = (uint32_t)(n - 1);
	}
	w->ncorp = n;
	for (size_t i = 0; i < ninit; i++) {
		size_t len;
		const char *s = tl_embed_word(w->init, i, &len);
		uint64_t h = XXH3_64bits(s, len);
		size_t j = find(w, s, len, h);

		if (tl_embed_lookup(w->init, s, len) != (long)i ||
		    (w->slot[j] != 0 && remap[(w->slot[j] & 0xffffffffULL) -
		    1] != UINT32_MAX))
			continue;	/* a duplicate, or a corpus word */
		if (grow(&bytes, &bcap, nb + len, 1, e) == -1)
			goto out;
		memcpy(bytes + nb, s, len);
		nb += len;
		woff[++n] = nb;
		count[n - 1] = 0;
	}
	free(w->bytes);
	free(w->woff);
	free(w->count);
	w->bytes = bytes;
	w->woff = woff;
	w->count = count;
	w->nbytes = nb;
	w->n = n;
	bytes = NULL;
	woff = NULL;
	count = NULL;
	rc = 0;
out:
	free(r);
	free(bytes);
	free(woff);
	free(count);
	return rc;
}

/* Rewrite the corpus in new ids, without the dropped words and the
 * documents left empty. */
static void
remap_corpus(struct tl_w2v *w, const uint32_t *remap)
{
	size_t k = 0, d = 0, start = 0;

	for (size_t i = 0; i < w->ndocs; i++) {
		size_t before = k;

		for (size_t j = start; j < w->doc_end[i]; j++)
			if (remap[w->tok[j]] != UINT32_MAX)
				w->tok[k++] = remap[w->tok[j]];
		start = w->doc_end[i];
		if (k > before)
			w->doc_end[d++] = k;
	}
	w->ntok = k;
	w->ndocs = d;
}

/* The input rows of each corpus word: its own, then its n-grams'. */
static int
make_subwords(struct tl_w2v *w, struct tl_err *e)
{
	size_t total = 0, cap = 0;
	uint32_t buf[4096];

	if ((w->sub_off = malloc((w->ncorp + 1) * sizeof(*w->sub_off))) ==
	    NULL)
		return tl_errf(e, "out of memory");
	w->sub_off[0] = 0;
	w->max_sub = 1;
	for (size_t i = 0; i < w->ncorp; i++) {
		size_t len = w->woff[i + 1] - w->woff[i], k = 0;

		if (w->o.subwords) {
			k = tl_subword_ids(&w->o.sub, w->bytes + w->woff[i],
			    len, buf, sizeof(buf) / sizeof(buf[0]));
			if (k > sizeof(buf) / sizeof(buf[0]))
				k = sizeof(buf) / sizeof(buf[0]);
		}
		if (grow(&w->sub_rows, &cap, total + k + 1,
		    sizeof(*w->sub_rows), e) == -1)
			return -1;
		w->sub_rows[total++] = (uint32_t)i;
		for (size_t j = 0; j < k; j++)
			w->sub_rows[total++] = (uint32_t)(w->ncorp + buf[j]);
		w->sub_off[i + 1] = total;
		if (k + 1 > w->max_sub)
			w->max_sub = k + 1;
	}
	return 0;
}

/* The unigram^0.75 table of negatives, shuffled. */
static int
make_table(struct tl_w2v *w, uint64_t *rng, struct tl_err *e)
{
	double z = 0;
	size_t size = w->ncorp * 1000, k = 0;

	if (size > MAX_TABLE || size / 1000 != w->ncorp)
		size = MAX_TABLE;
	for (size_t i = 0; i < w->ncorp; i++)
		z += pow((double)w->count[i], 0.75);
	if ((w->table = malloc((size + w->ncorp) * sizeof(*w->table))) ==
	    NULL)
		return tl_errf(e, "out of memory");
	for (size_t i = 0; i < w->ncorp; i++) {
		double c = pow((double)w->count[i], 0.75) * (double)size / z;

		for (size_t j = 0; (double)j < c; j++)
			w->table[k++] = (uint32_t)i;
	}
	w->table_n = k;
	for (size_t i = k - 1; i > 0; i--) {
		size_t j = rng_below(rng, i + 1);
		uint32_t t = w->table[i];

		w->table[i] = w->table[j];
		w->table[j] = t;
	}
	return 0;
}

/* fastText's subsampling: keep word i with probability sqrt(t/f) + t/f,
 * f its share of the corpus, as a threshold on 32 random bits. */
static int
make_keep(struct tl_w2v *w, struct tl_err *e)
{
	if ((w->keep = malloc((w->ncorp + 1) * sizeof(*w->keep))) == NULL)
		return tl_errf(e, "out of memory");
	for (size_t i = 0; i < w->ncorp; i++) {
		double f = (double)w->count[i] / (double)w->ntok, p;

		p = w->o.sample > 0 ? sqrt(w->o.sample / f) + w->o.sample / f :
		    1.0;
		w->keep[i] = p >= 1.0 ? UINT32_MAX : (uint32_t)(p *
		    4294967296.0);
	}
	return 0;
}

static float *
alloc_rows(size_t rows, size_t stride)
{
	size_t bytes;
	float *p;

	if (rows > SIZE_MAX / sizeof(float) / stride)
		return NULL;
	bytes = rows * stride * sizeof(float);
	bytes = (bytes + 63) / 64 * 64;
	if ((p = aligned_alloc(64, bytes ? bytes : 64)) != NULL)
		memset(p, 0, bytes);
	return p;
}

/* Words of INIT start from their vectors: the word row is set so that
 * the mean of the word's rows (what the model stores) is the vector. */
static int
init_vectors(struct tl_w2v *w, struct tl_err *e)
{
	float *buf = malloc(w->o.dim * sizeof(*buf));

	if (buf == NULL)
		return tl_errf(e, "out of memory");
	for (size_t i = 0; i < w->n; i++) {
		size_t len;
		const char *s = w->bytes + w->woff[i];
		const float *x;
		float *row;
		size_t nr;

		len = w->woff[i + 1] - w->woff[i];
		w->init_row[i] = w->init ? tl_embed_lookup(w->init, s, len) :
		    -1;
		if (i >= w->ncorp || w->init_row[i] < 0)
			continue;
		x = tl_embed_row(w->init, (size_t)w->init_row[i], buf);
		row = w->in + i * w->stride;
		nr = w->sub_off[i + 1] - w->sub_off[i];
		for (size_t k = 0; k < w->o.dim; k++) {
			double v = (double)nr * x[k];

			for (size_t j = w->sub_off[i] + 1; j < w->sub_off[i +
			    1]; j++)
				v -= w->in[(size_t)w->sub_rows[j] * w->stride +
				    k];
			row[k] = (float)v;
		}
	}
	free(buf);
	return 0;
}

int
tl_w2v_prepare(struct tl_w2v *w, struct tl_err *e)
{
	uint32_t *remap;
	uint64_t rng = w->o.seed;
	float r = 1.0f / (float)w->o.dim;

	if (w->prepared)
		return tl_errf(e, "tl_w2v_prepare called twice");
	if ((remap = malloc((w->ntypes + 1) * sizeof(*remap))) == NULL)
		return tl_errf(e, "out of memory");
	if (renumber(w, remap, e) == -1) {
		free(remap);
		return -1;
	}
	remap_corpus(w, remap);
	free(remap);
	free(w->slot);
	w->slot = NULL;
	w->prepared = 1;
	if (w->ncorp == 0)
		return tl_errf(e, "no word occurs %zu times or more "
		    "(--min-count)", w->o.min_count);
	w->nin = w->ncorp + (w->o.subwords ? w->o.sub.bucket : 0);
	if (make_subwords(w, e) == -1 || make_keep(w, e) == -1 ||
	    make_table(w, &rng, e) == -1)
		return -1;
	if ((w->in = alloc_rows(w->nin, w->stride)) == NULL ||
	    (w->out = alloc_rows(w->ncorp, w->stride)) == NULL ||
	    (w->init_row = malloc(w->n * sizeof(*w->init_row))) == NULL)
		return tl_errf(e, "out of memory (%zu MB for the matrices)",
		    (w->nin + w->ncorp) * w->stride * sizeof(float) >> 20);
	for (size_t i = 0; i < w->nin; i++)
		for (size_t k = 0; k < w->o.dim; k++)
			w->in[i * w->stride + k] = r * (2.0f * (float)(rng_next(
			    &rng) >> 40) * 0x1p-24f - 1.0f);
	return init_vectors(w, e);
}

/* ----------------------------------------------------------- kernels */

#define INLINE static inline __attribute__((always_inline))

/* Loads and stores of 8 floats at any float-aligned address, through a
 * vector type that may alias floats (no function takes or returns a
 * vector, so the ABI of 32-byte vectors never matters). */
typedef float v8u __attribute__((vector_size(VEC * sizeof(float)),
    aligned(sizeof(float)), may_alias));
#define LD(p)		(*(const v8u *)(p))
#define ST(p, v)	(*(v8u *)(p) = (v))

INLINE float
dot(const float *a, const float *b, size_t n)
{
	v8 acc = { 0 };
	float s = 0;

	for (size_t k = 0; k < n; k += VEC)
		acc += LD(a + k) * LD(b + k);
	for (int k = 0; k < VEC; k++)
		s += acc[k];
	return s;
}

/* The logistic function of S and the loss -log s(S) (LABEL 1) or
 * -log s(-S) (LABEL 0), from one exponential. */
INLINE float
logistic(float s, int label, double *loss)
{
	float e = expf(-fabsf(s)), x = label ? s : -s;

	*loss += (double)(log1pf(e) + (x < 0 ? -x : 0.0f));
	return s >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

INLINE double
ns_body(const float *h, float *out, size_t stride, const uint32_t *targets,
    size_t nt, float lr, float *grad)
{
	double loss = 0;

	for (size_t i = 0; i < nt; i++) {
		float *o = out + (size_t)targets[i] * stride;
		float alpha = lr * ((i == 0 ? 1.0f : 0.0f) -
		    logistic(dot(h, o, stride), i == 0, &loss));
		v8 a = { alpha, alpha, alpha, alpha, alpha, alpha, alpha,
		    alpha };

		for (size_t k = 0; k < stride; k += VEC) {
			v8 ov = LD(o + k);

			ST(grad + k, LD(grad + k) + a * ov);
			ST(o + k, ov + a * LD(h + k));
		}
	}
	return loss;
}

/* HIDDEN = the mean of the NR input rows ROWS. */
INLINE void
mean_rows(const struct tl_w2v *w, const uint32_t *rows, size_t nr,
    float *hidden)
{
	float inv = 1.0f / (float)nr;
	v8 s = { inv, inv, inv, inv, inv, inv, inv, inv };

	for (size_t k = 0; k < w->stride; k += VEC) {
		v8 acc = { 0 };

		for (size_t j = 0; j < nr; j++)
			acc += LD(w->in + (size_t)rows[j] * w->stride + k);
		ST(hidden + k, acc * s);
	}
}

INLINE void
add_rows(struct tl_w2v *w, const uint32_t *rows, size_t nr,
    const float *grad)
{
	for (size_t j = 0; j < nr; j++) {
		float *x = w->in + (size_t)rows[j] * w->stride;

		for (size_t k = 0; k < w->stride; k += VEC)
			ST(x + k, LD(x + k) + LD(grad + k));
	}
}

/* TARGETS[1 .. neg] = negatives other than TARGETS[0], walking the
 * shuffled table as fastText does. */
INLINE void
negatives(struct thread *t, uint32_t *targets)
{
	const struct tl_w2v *w = t->w;

	for (size_t i = 1; i <= w->o.neg; i++) {
		uint32_t x;

		do {
			x = w->table[t->negpos];
			if (++t->negpos == w->table_n)
				t->negpos = 0;
		} while (x == targets[0] && w->ncorp > 1);
		targets[i] = x;
	}
}

/* Skip-gram in fastText's order: for each context word the centre's input
 * vector is recomputed from its rows and its gradient added to them at
 * once, as Model::update does per call. */
INLINE void
skipgram_pair_line(struct thread *t, const uint32_t *line, size_t n,
    float lr)
{
	struct tl_w2v *w = t->w;
	size_t stride = w->stride;

	for (size_t i = 0; i < n; i++) {
		size_t b = 1 + rng_below(&t->rng, w->o.window);
		const uint32_t *rows = w->sub_rows + w->sub_off[line[i]];
		size_t nr = w->sub_off[line[i] + 1] - w->sub_off[line[i]];
		size_t lo = i >= b ? i - b : 0, hi = i + b < n ? i + b : n - 1;

		for (size_t c = lo; c <= hi; c++) {
			if (c == i)
				continue;
			mean_rows(w, rows, nr, t->hidden);
			memset(t->grad, 0, stride * sizeof(float));
			t->targets[0] = line[c];
			negatives(t, t->targets);
			t->loss += ns_body(t->hidden, w->out, stride,
			    t->targets, w->o.neg + 1, lr, t->grad);
			t->nloss++;
			add_rows(w, rows, nr, t->grad);
		}
	}
}

/* Skip-gram with one input vector and one update of the centre's rows per
 * window: the gradients of all context words are summed first. */
INLINE void
skipgram_window_line(struct thread *t, const uint32_t *line, size_t n,
    float lr)
{
	struct tl_w2v *w = t->w;
	size_t stride = w->stride;

	for (size_t i = 0; i < n; i++) {
		size_t b = 1 + rng_below(&t->rng, w->o.window);
		const uint32_t *rows = w->sub_rows + w->sub_off[line[i]];
		size_t nr = w->sub_off[line[i] + 1] - w->sub_off[line[i]];
		size_t lo = i >= b ? i - b : 0, hi = i + b < n ? i + b : n - 1;

		mean_rows(w, rows, nr, t->hidden);
		memset(t->grad, 0, stride * sizeof(float));
		for (size_t c = lo; c <= hi; c++) {
			if (c == i)
				continue;
			t->targets[0] = line[c];
			negatives(t, t->targets);
			t->loss += ns_body(t->hidden, w->out, stride,
			    t->targets, w->o.neg + 1, lr, t->grad);
			t->nloss++;
		}
		add_rows(w, rows, nr, t->grad);
	}
}

INLINE void
cbow_line(struct thread *t, const uint32_t *line, size_t n, float lr)
{
	struct tl_w2v *w = t->w;
	size_t stride = w->stride;

	for (size_t i = 0; i < n; i++) {
		size_t b = 1 + rng_below(&t->rng, w->o.window), nr = 0;
		size_t lo = i >= b ? i - b : 0, hi = i + b < n ? i + b : n - 1;

		for (size_t c = lo; c <= hi; c++) {
			size_t a = w->sub_off[line[c]], z = w->sub_off[line[c] +
			    1];

			if (c != i) {
				memcpy(t->rows + nr, w->sub_rows + a, (z - a) *
				    sizeof(*t->rows));
				nr += z - a;
			}
		}
		if (nr == 0)
			continue;
		mean_rows(w, t->rows, nr, t->hidden);
		memset(t->grad, 0, stride * sizeof(float));
		t->targets[0] = line[i];
		negatives(t, t->targets);
		t->loss += ns_body(t->hidden, w->out, stride, t->targets,
		    w->o.neg + 1, lr, t->grad);
		t->nloss++;
		add_rows(w, t->rows, nr, t->grad);
	}
}

INLINE void
line_body(struct thread *t, const uint32_t *line, size_t n, float lr)
{
	if (t->w->o.arch == TL_W2V_CBOW)
		cbow_line(t, line, n, lr);
	else if (t->w->o.update == TL_W2V_UPDATE_WINDOW)
		skipgram_window_line(t, line, n, lr);
	else
		skipgram_pair_line(t, line, n, lr);
}

static void
line_generic(struct thread *t, const uint32_t *line, size_t n, float lr)
{
	line_body(t, line, n, lr);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) static void
line_avx2(struct thread *t, const uint32_t *line, size_t n, float lr)
{
	line_body(t, line, n, lr);
}
#endif

double
tl_w2v_ns_step(const float *h, float *out, size_t stride,
    const uint32_t *targets, size_t nt, float lr, float *grad)
{
	return ns_body(h, out, stride, targets, nt, lr, grad);
}

/* ---------------------------------------------------------- training */

static double
elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec -
	    t0->tv_nsec);
}

/* The figures of all threads TS (N of them) so far. */
static void
collect(struct tl_w2v *w, struct thread *ts, size_t n, double lr,
    struct tl_w2v_stats *st)
{
	uint64_t total = (uint64_t)w->ntok * w->o.epochs, nl = 0;
	double loss = 0;

	for (size_t i = 0; i < n; i++) {
		loss += atomic_load_explicit(&ts[i].loss_pub,
		    memory_order_relaxed);
		nl += atomic_load_explicit(&ts[i].nloss_pub,
		    memory_order_relaxed);
	}
	st->tokens = atomic_load_explicit(&w->done, memory_order_relaxed);
	st->progress = total ? (double)st->tokens / (double)total : 1.0;
	if (st->progress > 1.0)
		st->progress = 1.0;
	st->loss = nl ? loss / (double)nl : 0.0;
	st->lr = lr;
	st->seconds = elapsed(&ts[0].start);
	st->words_per_sec = st->seconds > 0 ? (double)st->tokens /
	    st->seconds / (double)n : 0.0;
	st->eta = st->progress > 0 ? st->seconds * (1.0 - st->progress) /
	    st->progress : 0.0;
}

static void *
run_thread(void *p)
{
	struct thread *t = p, *all = t - t->id;
	struct tl_w2v *w = t->w;
	uint64_t total = (uint64_t)w->ntok * w->o.epochs;
	void (*line)(struct thread *, const uint32_t *, size_t, float) =
	    line_generic;
	double next = 0.1, lr = w->o.lr;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		line = line_avx2;
#endif
	for (size_t ep = 0; ep < w->o.epochs; ep++)
		for (size_t d = t->doc_lo; d < t->doc_hi; d++) {
			size_t a = d ? w->doc_end[d - 1] : 0, z = w->doc_end[d];
			size_t k = 0;
			uint64_t done;

			for (size_t i = a; i < z; i++) {
				uint32_t x = w->tok[i];

				if ((uint32_t)(rng_next(&t->rng) >> 32) <=
				    w->keep[x])
					t->line[k++] = x;
			}
			done = atomic_load_explicit(&w->done,
			    memory_order_relaxed);
			lr = w->o.lr * (1.0 - (double)done / (double)total);
			if (lr < 0)
				lr = 0;
			if (k > 0)
				line(t, t->line, k, (float)lr);
			atomic_fetch_add_explicit(&w->done, z - a,
			    memory_order_relaxed);
			atomic_store_explicit(&t->loss_pub, t->loss,
			    memory_order_relaxed);
			atomic_store_explicit(&t->nloss_pub, t->nloss,
			    memory_order_relaxed);
			if (t->id == 0 && t->progress != NULL &&
			    elapsed(&t->start) >= next) {
				struct tl_w2v_stats st;

				collect(w, all, w->o.threads, lr, &st);
				t->progress(t->ctx, &st);
				next = elapsed(&t->start) + 0.1;
			}
		}
	return NULL;
}

/* The first document of thread I's slice: its tokens start at or after
 * I/N of the corpus. */
static size_t
slice_start(const struct tl_w2v *w, size_t i, size_t n)
{
	size_t want = (size_t)((double)w->ntok * (double)i / (double)n);
	size_t lo = 0, hi = w->ndocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, start = mid ?
		    w->doc_end[mid - 1] : 0;

		if (start < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
free_threads(struct thread *ts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ts[i].hidden);
		free(ts[i].grad);
		free(ts[i].line);
		free(ts[i].rows);
		free(ts[i].targets);
	}
	free(ts);
}

static struct thread *
make_threads(struct tl_w2v *w, struct tl_err *e)
{
	size_t n = w->o.threads, longest = 1;
	struct thread *ts = calloc(n, sizeof(*ts));
	uint64_t seed = w->o.seed ^ 0x5851f42d4c957f2dULL;
	struct timespec t0;

	if (ts == NULL)
		return tl_errf(e, "out of memory"), NULL;
	for (size_t d = 0; d < w->ndocs; d++) {
		size_t len = w->doc_end[d] - (d ? w->doc_end[d - 1] : 0);

		if (len > longest)
			longest = len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		struct thread *t = &ts[i];

		t->w = w;
		t->id = i;
		t->doc_lo = slice_start(w, i, n);
		t->doc_hi = i + 1 < n ? slice_start(w, i + 1, n) : w->ndocs;
		t->rng = rng_next(&seed);
		t->negpos = rng_below(&t->rng, w->table_n);
		t->start = t0;
		t->hidden = alloc_rows(1, w->stride);
		t->grad = alloc_rows(1, w->stride);
		t->line = malloc(longest * sizeof(*t->line));
		t->rows = malloc(2 * w->o.window * w->max_sub *
		    sizeof(*t->rows));
		t->targets = malloc((w->o.neg + 1) * sizeof(*t->targets));
		if (t->hidden == NULL || t->grad == NULL || t->line == NULL ||
		    t->rows == NULL || t->targets == NULL) {
			free_threads(ts, n);
			return tl_errf(e, "out of memory"), NULL;
		}
	}
	return ts;
}

int
tl_w2v_train(struct tl_w2v *w,
    void (*progress)(void *, const struct tl_w2v_stats *), void *ctx,
    struct tl_w2v_stats *stats, struct tl_err *e)
{
	size_t n = w->o.threads, started = 1;
	struct thread *ts;
	pthread_t *tid;
	int rc = 0;

	if (!w->prepared || w->written || w->ncorp == 0)
		return tl_errf(e, "tl_w2v_train: not prepared");
	if ((ts = make_threads(w, e)) == NULL)
		return -1;
	if ((tid = calloc(n, sizeof(*tid))) == NULL) {
		free_threads(ts, n);
		return tl_errf(e, "out of memory");
	}
	atomic_store(&w->done, 0);
	ts[0].progress = progress;
	ts[0].ctx = ctx;
	for (; started < n; started++)
		if ((rc = pthread_create(&tid[started], NULL, run_thread,
		    &ts[started])) != 0)
			break;
	if (rc == 0)
		run_thread(&ts[0]);
	for (size_t i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	if (rc != 0) {
		free(tid);
		free_threads(ts, n);
		return tl_errf_sys(e, rc, "cannot start a thread");
	}
	collect(w, ts, n, 0.0, &w->stats);
	w->stats.eta = 0;
	if (progress != NULL)
		progress(ctx, &w->stats);
	if (stats != NULL)
		*stats = w->stats;
	free(tid);
	free_threads(ts, n);
	return 0;
}

/* ------------------------------------------------------------ results */

size_t
tl_w2v_size(const struct tl_w2v *w)
{
	return w->n;
}

uint64_t
tl_w2v_tokens(const struct tl_w2v *w)
{
	return w->ntok;
}

const char *
tl_w2v_word(const struct tl_w2v *w, size_t i, size_t *len)
{
	*len = w->woff[i + 1] - w->woff[i];
	return w->bytes + w->woff[i];
}

uint64_t
tl_w2v_count(const struct tl_w2v *w, size_t i)
{
	return w->count[i];
}

void
tl_w2v_vector(const struct tl_w2v *w, size_t i, float *out)
{
	size_t a, z, dim = w->o.dim;

	if (i >= w->ncorp) {
		const float *x = tl_embed_row(w->init, (size_t)w->init_row[i],
		    out);

		if (x != out)
			memcpy(out, x, dim * sizeof(float));
		return;
	}
	a = w->sub_off[i];
	z = w->sub_off[i + 1];
	for (size_t k = 0; k < dim; k++) {
		double s = 0;

		for (size_t j = a; j < z; j++)
			s += w->in[(size_t)w->sub_rows[j] * w->stride + k];
		out[k] = (float)(s / (double)(z - a));
	}
}

/* Squeeze the input matrix's rows from STRIDE to DIM floats, in place
 * (each row moves down, so a forward pass never overwrites a row not yet
 * moved). */
static void
pack_input(struct tl_w2v *w)
{
	if (w->stride == w->o.dim)
		return;
	for (size_t i = 1; i < w->nin; i++)
		memmove(w->in + i * w->o.dim, w->in + i * w->stride,
		    w->o.dim * sizeof(float));
}

int
tl_w2v_write(struct tl_w2v *w, json_t *meta, FILE *f, char digest[65],
    struct tl_err *e)
{
	struct tl_model_writer *mw = NULL;
	struct tl_embed *v = NULL;
	const uint64_t *table;
	float *vec = NULL;
	int64_t *off = NULL, *cnt = NULL;
	uint64_t vshape[2] = { w->n, w->o.dim }, nshape[1] = { w->n },
	    oshape[1] = { w->n + 1 }, bshape[1] = { w->nbytes },
	    sshape[2] = { w->o.sub.bucket, w->o.dim }, hshape[1];
	size_t nslots;
	int rc = -1;

	if (!w->prepared || w->ncorp == 0 || w->written)
		return tl_errf(e, "tl_w2v_write: nothing learned, or "
		    "written already");
	if ((mw = tl_model_writer_new()) == NULL ||
	    (vec = malloc(w->n * w->o.dim * sizeof(*vec))) == NULL ||
	    (off = malloc((w->n + 1) * sizeof(*off))) == NULL ||
	    (cnt = malloc(w->n * sizeof(*cnt))) == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < w->n; i++)
		tl_w2v_vector(w, i, vec + i * w->o.dim);
	for (size_t i = 0; i <= w->n; i++)
		off[i] = (int64_t)w->woff[i];
	for (size_t i = 0; i < w->n; i++)
		cnt[i] = (int64_t)w->count[i];
	/* the lookup table, stored so that loading need not build it */
	if ((v = tl_embed_new(w->n, w->o.dim, off, (const uint8_t *)w->bytes,
	    w->nbytes, vec, e)) == NULL)
		goto out;
	table = tl_embed_table(v, &nslots);
	hshape[0] = nslots;
	pack_input(w);
	w->written = 1;
	if (tl_model_writer_add(mw, "vocab.hash", TL_DTYPE_I64, 1, hshape,
	    table, e) == -1 ||
	    tl_model_writer_add(mw, "vectors", TL_DTYPE_F32, 2, vshape, vec,
	    e) == -1 || tl_model_writer_add(mw, "counts", TL_DTYPE_I64, 1,
	    nshape, cnt, e) == -1 || tl_model_writer_add(mw, "vocab.offsets",
	    TL_DTYPE_I64, 1, oshape, off, e) == -1 ||
	    tl_model_writer_add(mw, "vocab.bytes", TL_DTYPE_U8, 1, bshape,
	    w->bytes, e) == -1)
		goto out;
	if (w->o.subwords && tl_model_writer_add(mw, "subwords",
	    TL_DTYPE_F32, 2, sshape, w->in + w->ncorp * w->o.dim, e) == -1)
		goto out;
	rc = tl_model_writer_write(mw, meta, f, digest, e);
out:
	tl_model_writer_free(mw);
	tl_embed_free(v);
	free(vec);
	free(off);
	free(cnt);
	return rc;
}

json_t *
tl_w2v_meta(const struct tl_w2v *w, const char *tool, const char *name,
    const json_t *tokenizer, const struct tl_w2v_stats *st)
{
	json_t *meta = tl_meta_new("embedding", tool), *hp;
	const struct tl_w2v_opts *o = &w->o;

	if (meta == NULL)
		return NULL;
	hp = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:b, s:I, "
	    "s:I}", "model", tl_w2v_arch_name(o->arch), "dim",
	    (json_int_t)o->dim, "window", (json_int_t)o->window, "neg",
	    (json_int_t)o->neg, "epochs", (json_int_t)o->epochs, "min_count",
	    (json_int_t)o->min_count, "lr", o->lr, "sample", o->sample,
	    "subwords", o->subwords, "threads", (json_int_t)o->threads, "seed",
	    (json_int_t)o->seed);
	if (hp != NULL && o->arch == TL_W2V_SKIPGRAM &&
	    json_object_set_new(hp, "update",
	    json_string(tl_w2v_update_name(o->update))) == -1) {
		json_decref(hp);
		json_decref(meta);
		return NULL;
	}
	if (json_object_set_new(meta, "dim", json_integer((json_int_t)o->dim))
	    || json_object_set_new(meta, "vocab_size",
	    json_integer((json_int_t)w->n)) ||
	    json_object_set_new(meta, "name", json_string(name)) ||
	    json_object_set_new(meta, "tokenizer", tokenizer ?
	    json_deep_copy(tokenizer) : tl_tokenizer_spec()) ||
	    json_object_set_new(meta, "source", json_pack("{s:s}", "format",
	    "learn")) || json_object_set_new(meta, "hyperparameters", hp) ||
	    /* no times: the same corpus and seed, one thread, make the same
	     * file, hence the same digest (-v prints the speed) */
	    json_object_set_new(meta, "training", json_pack("{s:I, s:I, s:f}",
	    "corpus_tokens", (json_int_t)w->ntok, "documents",
	    (json_int_t)w->ndocs, "loss", st ? st->loss : 0.0)) ||
	    (o->subwords &&
	    json_object_set_new(meta, "subwords",
	    tl_subword_spec_json(&o->sub)))) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

void
tl_w2v_free(struct tl_w2v *w)
{
	if (w == NULL)
		return;
	free(w->bytes);
	free(w->woff);
	free(w->count);
	free(w->slot);
	free(w->tok);
	free(w->doc_end);
	free(w->init_row);
	free(w->sub_off);
	free(w->sub_rows);
	free(w->in);
	free(w->out);
	free(w->table);
	free(w->keep);
	free(w);
}
