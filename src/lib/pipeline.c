/*
 * Frozen pipelines; see pipeline.h.  Freezing and loading share one rule,
 * check_wiring(): a head's input dimension is its base stage's output
 * dimension (or 0 without a base) plus its stacked stages' output
 * dimensions.  A loaded stage is rebuilt as a model of its own (its
 * tensors without the prefix, its own description) so that the embedding
 * and head code load it exactly as they load the stage's original file.
 * That copies the tensors, which for a 150 MB embedding takes most of a
 * second; so an embedding whose pooling needs nothing but the words and
 * their F32 vectors borrows them from the pipeline's mapping instead
 * (borrow_embedding), as tl-embed maps its model.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "lexical.h"
#include "par.h"
#include "pipeline.h"
#include "textpool.h"

#define MAXS TL_PIPELINE_MAX_STAGES

/* Where a head's input comes from: stage indices, all before the head. */
struct wire {
	long	 base;			/* -1: none (tl-stack --only) */
	size_t	 stacked[MAXS];
	size_t	 nstacked;
};

/* Check that a head of input dimension IN, stage I, wired as W gets IN
 * values from stages of output dimensions DIM.  NAME[j] names stage j in
 * messages. */
static int
check_wiring(const struct wire *w, size_t i, size_t in, const size_t *dim,
    const char *const *name, struct tl_err *e)
{
	char what[1024];
	size_t sum = 0, at = 0;

	if (w->base >= (long)i || (w->base < 0 && w->nstacked == 0))
		return tl_errf(e, "%s: its input comes from no earlier stage",
		    name[i]);
	what[0] = '\0';
	if (w->base >= 0) {
		sum = dim[w->base];
		at = (size_t)snprintf(what, sizeof(what), "%s gives %zu",
		    name[w->base], dim[w->base]);
	}
	for (size_t j = 0; j < w->nstacked; j++) {
		if (w->stacked[j] >= i)
			return tl_errf(e, "%s: stacks a stage that is not "
			    "before it", name[i]);
		sum += dim[w->stacked[j]];
		if (at < sizeof(what))
			at += (size_t)snprintf(what + at, sizeof(what) - at,
			    "%s%s %zu", at > 0 ? ", stacked " : "stacked ",
			    name[w->stacked[j]], dim[w->stacked[j]]);
	}
	if (sum != in)
		return tl_errf(e, "%s: takes %zu values per record, but its "
		    "inputs give %zu (%s)", name[i], in, sum, what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Freezing                                                           */
/* ------------------------------------------------------------------ */

struct freeze {
	const struct tl_pipeline_stage *s;
	size_t		 n;
	const char	*name[MAXS];
	struct tl_head	*head[MAXS];	/* NULL for stage 0 */
	size_t		 dim[MAXS];	/* output dimension of each stage */
	struct wire	 wire[MAXS];
	json_t		*pool;		/* the pooling's description */
};

/* The stage before I whose digest is DIGEST, or -1. */
static long
find_stage(const struct freeze *z, size_t i, const char *digest)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(z->s[j].digest, digest) == 0)
			return (long)j;
	return -1;
}

/* The description of pooling P made with O (new reference), or NULL. */
static json_t *
pool_json(const struct tl_pool *p, const struct tl_pool_opts *o)
{
	json_t *js = json_pack("{s:s,s:b}", "kind", tl_pool_kind_name(o->kind),
	    "normalize", o->normalize);

	if (js != NULL && o->kind == TL_POOL_SIF && json_object_set_new(js,
	    "sif_a", json_real(tl_pool_sif_a(p))) != 0) {
		json_decref(js);
		return NULL;
	}
	return js;
}

int
tl_pipeline_pool_desc(const struct tl_pool *p, const struct tl_pool_opts *o,
    char *buf, size_t n)
{
	json_t *js = pool_json(p, o);
	char *s = js != NULL ? json_dumps(js, JSON_COMPACT) : NULL;
	int rc = s != NULL && strlen(s) < n ? 0 : -1;

	if (rc == 0)
		strcpy(buf, s);
	free(s);
	json_decref(js);
	return rc;
}

/* Stage 0: an embedding that pools with POOL. */
static int
freeze_embedding(struct freeze *z, const struct tl_pool_opts *pool,
    struct tl_err *e)
{
	struct tl_pool_opts o = *pool;
	struct tl_embed *emb;
	struct tl_pool *p;

	o.counts = NULL;
	if ((emb = tl_embed_from_model(z->s[0].model, e)) == NULL) {
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		return tl_errf(e, "%s: the first stage must be the embedding: "
		    "%s", z->name[0], msg);
	}
	if ((p = tl_pool_new(emb, &o, e)) == NULL) {
		tl_embed_free(emb);
		return -1;
	}
	z->dim[0] = tl_pool_dim(p);
	z->pool = pool_json(p, &o);
	tl_pool_free(p);
	tl_embed_free(emb);
	return z->pool == NULL ? tl_errf(e, "out of memory") : 0;
}

/* Stage I's wiring from its description's "input": the stage whose
 * digest is input.model (the one before when the head does not record
 * it), then input.stacked, kept or dropped as the dimensions say. */
static int
wire_head(struct freeze *z, size_t i, struct tl_err *e)
{
	json_t *in = json_object_get(tl_model_meta(z->s[i].model), "input");
	json_t *st = json_object_get(in, "stacked");
	const char *want = tl_head_input_model(z->head[i]);
	struct wire *w = &z->wire[i];
	size_t sum = 0, j;
	long b;

	b = want[0] != '\0' ? find_stage(z, i, want) : (long)i - 1;
	if (b < 0)
		return tl_errf(e, "%s: was trained on the outputs of model "
		    "%.12s..., which is none of the stages before it (%s is "
		    "%.12s...)", z->name[i], want, z->name[i - 1],
		    z->s[i - 1].digest);
	if (json_array_size(st) > MAXS)
		return tl_errf(e, "%s: stacks too many models", z->name[i]);
	for (j = 0; j < json_array_size(st); j++) {
		const char *d = json_string_value(json_array_get(st, j));
		long k = d != NULL ? find_stage(z, i, d) : -1;

		if (k < 0)
			return tl_errf(e, "%s: was trained with the outputs of "
			    "model %.12s... stacked on, which is none of the "
			    "stages before it", z->name[i], d ? d : "?");
		w->stacked[j] = (size_t)k;
		sum += z->dim[k];
	}
	w->nstacked = j;
	/* tl-stack --only keeps the stacked outputs alone. */
	w->base = j > 0 && tl_head_in_dim(z->head[i]) == sum ? -1 : b;
	return check_wiring(w, i, tl_head_in_dim(z->head[i]), z->dim,
	    z->name, e);
}

/* The "lexical" a head of description META recorded from the stream it
 * was trained on ("input"."lexical"), or NULL.  Borrowed. */
static json_t *
trained_lexical(json_t *meta)
{
	return json_object_get(json_object_get(meta, "input"), "lexical");
}

/* The n-gram order of the sparse part a sparse head of description
 * META was trained on: its "input"."lexical"."ngrams" (from the stream's
 * header), else 2, the only order tl-embed --lexical has written; 0 when
 * that part was hashed otherwise than a pipeline hashes. */
static int
lexical_ngrams(json_t *meta)
{
	json_t *lx = trained_lexical(meta), *g = json_object_get(lx,
	    "ngrams");
	const char *h = json_string_value(json_object_get(lx, "hash"));

	if (lx != NULL && (h == NULL || strcmp(h, TL_LEXICAL_HASH) != 0))
		return 0;
	return json_is_integer(g) ? (int)json_integer_value(g) : 2;
}

/* The character n-gram sizes of the lexical settings LX, its "chars"
 * [MIN, MAX] (absent: none, written 0 0), into RANGE: 0, or -1 when they
 * are not sizes tl_lexical_chars takes. */
static int
lexical_chars(json_t *lx, int range[2])
{
	json_t *c = json_object_get(lx, "chars");
	json_int_t a = json_integer_value(json_array_get(c, 0));
	json_int_t b = json_integer_value(json_array_get(c, 1));

	range[0] = range[1] = 0;
	if (c == NULL)
		return 0;
	if (!json_is_array(c) || json_array_size(c) != 2 || a < 1 || a > b ||
	    b > TL_LEXICAL_MAX_CHARS)
		return -1;
	range[0] = (int)a;
	range[1] = (int)b;
	return 0;
}

/* A sparse head (tl-embed --lexical) gets the part the pipeline computes
 * from each text next to the pooled vector, wherever its dense input
 * comes from (tl-stack passes a stream's sparse part through a head's
 * outputs); its hashing must be one the pipeline can repeat, and the
 * same as that of the sparse heads before it, as the pipeline computes
 * one part for all. */
static int
check_sparse(const struct freeze *z, size_t i, struct tl_err *e)
{
	json_t *meta = tl_model_meta(z->s[i].model);
	int g = lexical_ngrams(meta), c[2], cj[2];

	if (tl_head_sparse(z->head[i]) == 0)
		return 0;
	if (g < 1 || g > TL_LEXICAL_MAX_NGRAM ||
	    tl_head_sparse(z->head[i]) > (uint64_t)UINT32_MAX + 1 ||
	    lexical_chars(trained_lexical(meta), c) == -1)
		return tl_errf(e, "%s: its sparse part's n-gram order or "
		    "buckets or hashing are not ones tl-embed --lexical "
		    "writes", z->name[i]);
	for (size_t j = 1; j < i; j++) {
		json_t *mj = tl_model_meta(z->s[j].model);

		if (tl_head_sparse(z->head[j]) == 0)
			continue;
		lexical_chars(trained_lexical(mj), cj);	/* checked */
		if (tl_head_sparse(z->head[j]) != tl_head_sparse(z->head[i]) ||
		    lexical_ngrams(mj) != g || cj[0] != c[0] || cj[1] != c[1])
			return tl_errf(e, "%s: its sparse part was made "
			    "otherwise than %s's (tl-embed --lexical, "
			    "--lexical-chars)", z->name[i], z->name[j]);
	}
	return 0;
}

/* Whether the poolings described by A and B are the same. */
static int
same_pool(json_t *a, json_t *b)
{
	const char *ka = json_string_value(json_object_get(a, "kind"));
	const char *kb = json_string_value(json_object_get(b, "kind"));
	json_t *sa = json_object_get(a, "sif_a"), *sb = json_object_get(b,
	    "sif_a");

	if (ka == NULL || kb == NULL || strcmp(ka, kb) != 0 ||
	    json_is_true(json_object_get(a, "normalize")) !=
	    json_is_true(json_object_get(b, "normalize")))
		return 0;
	if (sa == NULL || sb == NULL)
		return sa == sb;
	return fabs(json_number_value(sa) - json_number_value(sb)) <=
	    1e-9 * fabs(json_number_value(sb));
}

/* A head trained on the embedding's vectors that recorded their pooling
 * (input.pool, from the stream's header) must get that pooling; heads
 * that did not record it are trusted, as the dimension is checked. */
static int
check_pool(const struct freeze *z, size_t i, struct tl_err *e)
{
	json_t *rec = json_object_get(json_object_get(tl_model_meta(
	    z->s[i].model), "input"), "pool");
	const char *want = tl_head_input_model(z->head[i]);
	char *a, *b;

	if (rec == NULL || (want[0] != '\0' && strcmp(want,
	    z->s[0].digest) != 0) || same_pool(rec, z->pool))
		return 0;
	a = json_dumps(rec, JSON_COMPACT);
	b = json_dumps(z->pool, JSON_COMPACT);
	tl_errf(e, "%s: was trained on vectors pooled as %s, but the "
	    "pipeline would pool them as %s (--pool, --normalize, --sif-a)",
	    z->name[i], a ? a : "?", b ? b : "?");
	free(a);
	free(b);
	return -1;
}

/* Every stage but the last must feed a later one. */
static int
check_used(const struct freeze *z, struct tl_err *e)
{
	for (size_t j = 0; j + 1 < z->n; j++) {
		int used = 0;

		for (size_t i = j + 1; i < z->n && !used; i++) {
			used = z->wire[i].base == (long)j;
			for (size_t k = 0; k < z->wire[i].nstacked; k++)
				used |= z->wire[i].stacked[k] == j;
		}
		if (!used)
			return tl_errf(e, "%s: no later stage takes its "
			    "outputs", z->name[j]);
	}
	return 0;
}

static const char *
output_name(enum tl_head_output o)
{
	return o == TL_HEAD_PROBA ? "proba" : o == TL_HEAD_SCORES ? "scores" :
	    "values";
}

/* How the pipeline computes sparse stage I's part, checked by
 * check_sparse: {"buckets", "ngrams", "chars" when on, "hash"}.  New
 * reference, or NULL. */
static json_t *
lexical_json(const struct freeze *z, size_t i)
{
	json_t *meta = tl_model_meta(z->s[i].model), *o;
	int c[2];

	o = json_pack("{s:I,s:i,s:s}", "buckets",
	    (json_int_t)tl_head_sparse(z->head[i]), "ngrams",
	    lexical_ngrams(meta), "hash", TL_LEXICAL_HASH);
	if (o != NULL && lexical_chars(trained_lexical(meta), c) == 0 &&
	    c[0] > 0 && json_object_set_new(o, "chars", json_pack("[i,i]",
	    c[0], c[1])) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The description of stage I (new reference), or NULL. */
static json_t *
stage_json(const struct freeze *z, size_t i)
{
	json_t *o, *st;

	o = json_pack("{s:s,s:s,s:s,s:O}", "name", z->s[i].name, "sha256",
	    z->s[i].digest, "kind", tl_model_kind(z->s[i].model),
	    "description", tl_model_meta(z->s[i].model));
	if (o == NULL)
		return NULL;
	if (i == 0)
		return json_object_set(o, "pool", z->pool) == 0 ? o :
		    (json_decref(o), NULL);
	if (tl_head_sparse(z->head[i]) != 0 && json_object_set_new(o,
	    "lexical", lexical_json(z, i)) != 0) {
		json_decref(o);
		return NULL;
	}
	if ((st = json_array()) == NULL || json_object_set_new(o, "input",
	    json_pack("{s:o,s:o}", "base", z->wire[i].base < 0 ? json_null() :
	    json_integer(z->wire[i].base), "stacked", st)) != 0) {
		json_decref(o);
		return NULL;
	}
	for (size_t j = 0; j < z->wire[i].nstacked; j++)
		if (json_array_append_new(st, json_integer(
		    (json_int_t)z->wire[i].stacked[j])) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* The pipeline's description (new reference), or NULL. */
static json_t *
pipeline_json(const struct freeze *z, const char *tool)
{
	const struct tl_head *h = z->head[z->n - 1];
	json_t *meta, *stages, *names;

	if ((meta = tl_meta_new("pipeline", tool)) == NULL)
		return NULL;
	stages = json_array();
	names = json_array();
	if (stages == NULL || names == NULL ||
	    json_object_set_new(meta, "stages", stages) != 0 ||
	    json_object_set_new(meta, "output_dim",
	    json_integer((json_int_t)tl_head_out_dim(h))) != 0 ||
	    json_object_set_new(meta, "output",
	    json_string(output_name(tl_head_output(h)))) != 0 ||
	    json_object_set_new(meta, "names", names) != 0)
		goto fail;
	for (size_t j = 0; j < tl_head_out_dim(h); j++)
		if (json_array_append_new(names,
		    json_string(tl_head_names(h)[j])) != 0)
			goto fail;
	for (size_t i = 0; i < z->n; i++)
		if (json_array_append_new(stages, stage_json(z, i)) != 0 ||
		    tl_meta_add_parent(meta, z->s[i].digest,
		    tl_model_kind(z->s[i].model), "stage") != 0)
			goto fail;
	return meta;
fail:
	json_decref(meta);
	return NULL;
}

/* Every tensor of every stage, as "stageI.NAME", and the description. */
static int
write_pipeline(const struct freeze *z, const char *tool, FILE *f,
    char digest[65], struct tl_err *e)
{
	struct tl_model_writer *w;
	json_t *meta;
	char name[1024];
	int rc = -1;

	if ((w = tl_model_writer_new()) == NULL ||
	    (meta = pipeline_json(z, tool)) == NULL) {
		tl_model_writer_free(w);
		return tl_errf(e, "out of memory");
	}
	for (size_t i = 0; i < z->n; i++)
		for (size_t k = 0; k < tl_model_ntensors(z->s[i].model); k++) {
			const struct tl_tensor *t =
			    tl_model_tensor_at(z->s[i].model, k);

			snprintf(name, sizeof(name), "stage%zu.%s", i, t->name);
			if (tl_model_writer_add(w, name, t->dtype, t->ndim,
			    t->shape, t->data, e) == -1)
				goto out;
		}
	rc = tl_model_writer_write(w, meta, f, digest, e);
out:
	json_decref(meta);
	tl_model_writer_free(w);
	return rc;
}

static void
freeze_free(struct freeze *z)
{
	for (size_t i = 0; i < z->n; i++)
		tl_head_free(z->head[i]);
	json_decref(z->pool);
}

int
tl_pipeline_freeze(const struct tl_pipeline_stage *s, size_t n,
    const struct tl_pool_opts *pool, const char *tool, FILE *f,
    char digest[65], struct tl_err *e)
{
	struct freeze z;
	char name0[256];
	int rc = -1;
	size_t i;

	if (n < 2 || n > MAXS)
		return tl_errf(e, "a pipeline is an embedding and 1 to %d "
		    "heads; %zu models given", MAXS - 1, n);
	memset(&z, 0, sizeof(z));
	z.s = s;
	z.n = n;
	for (i = 0; i < n; i++)
		z.name[i] = s[i].name;
	for (i = 1; i < n; i++) {
		long j = find_stage(&z, i, s[i].digest);

		if (j >= 0)
			return tl_errf(e, "%s: the same model as %s", s[i].name,
			    s[j].name);
	}
	if (freeze_embedding(&z, pool, e) == -1)
		goto out;
	/* A wrong pooling shows as a wrong dimension: say which it was. */
	snprintf(name0, sizeof(name0), "%s with %s pooling", s[0].name,
	    tl_pool_kind_name(pool->kind));
	z.name[0] = name0;
	for (i = 1; i < n; i++) {
		if ((z.head[i] = tl_head_load(s[i].model, e)) == NULL) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			tl_errf(e, "%s: %s", s[i].name, msg);
			goto out;
		}
		z.dim[i] = tl_head_out_dim(z.head[i]);
		if (check_pool(&z, i, e) == -1 || wire_head(&z, i, e) == -1 ||
		    check_sparse(&z, i, e) == -1)
			goto out;
	}
	if (check_used(&z, e) == 0)
		rc = write_pipeline(&z, tool, f, digest, e);
out:
	freeze_free(&z);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Loading and applying                                               */
/* ------------------------------------------------------------------ */

struct pnode {
	struct tl_head	*head;		/* NULL for stage 0 */
	struct tl_head	*share[TL_PAR_MAX_THREADS];	/* the head for the
					   textpool's share k > 0 */
	int		 sparse;	/* takes the texts' lexical part */
	struct wire	 wire;
	size_t		 in;		/* input dimension */
	float		*out;		/* cap x dim outputs of a block */
};

struct tl_pipeline {
	size_t		 n;
	struct pnode	 node[MAXS];
	size_t		 dim[MAXS];	/* output dimension of each stage */
	struct tl_model	*model;		/* the pipeline's, owned */
	struct tl_model	*emb_model;	/* stage 0, rebuilt, or NULL */
	struct tl_embed	*emb;
	struct tl_pool_opts pool_o;
	json_t		*pool_desc;	/* stage 0's "pool", in the model's
					   description */
	const json_t	*tokenizer;	/* stage 0's, in the model's
					   description */
	struct tl_textpool *tp;		/* texts to pooled vectors */
	char		 emb_digest[65];
	char		 head_digest[65];	/* of the last stage */
	size_t		 cap;		/* rows the buffers hold */
	size_t		 max_in;	/* largest head input */
	float		*scratch;	/* cap x max_in: a head's input */
	float		*pooled;	/* cap x in_dim: texts' vectors */
	struct tl_lexical lex;		/* the settings of the sparse heads'
					   part; buckets 0: no sparse head */
	int		 by_share;	/* the heads run in the textpool's
					   shares (share_heads) */
};

/* Stage I of M as a model of its own: the tensors "stageI.*" without the
 * prefix, described by DESC, of digest D; a view of M's tensors, so that
 * loading a pipeline copies no embedding.  NULL with E filled in. */
static struct tl_model *
stage_model(struct tl_model *m, size_t i, json_t *desc, const char *d,
    struct tl_err *e)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "stage%zu.", i);
	return tl_model_view(m, prefix, desc, d, e);
}

/* Prefix E's message with the stage I it is about; returns -1. */
static int
in_stage(struct tl_err *e, size_t i)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	return tl_errf(e, "pipeline: stage %zu: %s", i, msg);
}

/* Stage 0's pooling from its "pool" description into O. */
static int
pool_opts(json_t *js, struct tl_pool_opts *o, struct tl_err *e)
{
	json_t *a = json_object_get(js, "sif_a");

	memset(o, 0, sizeof(*o));
	if (tl_pool_kind_parse(json_string_value(json_object_get(js, "kind")) ?
	    json_string_value(json_object_get(js, "kind")) : "", &o->kind) ==
	    -1)
		return tl_errf(e, "pipeline: stage 0 has no known "
		    "\"pool\".\"kind\"");
	o->normalize = json_is_true(json_object_get(js, "normalize"));
	if (a != NULL && !(json_is_number(a) && json_number_value(a) > 0))
		return tl_errf(e, "pipeline: \"sif_a\" is not a positive "
		    "number");
	o->sif_a = a != NULL ? json_number_value(a) : 0;
	return 0;
}

int
tl_pipeline_recorded_pool(const struct tl_pipeline_stage *s, size_t n,
    struct tl_pool_opts *o, struct tl_err *e)
{
	for (size_t i = 1; i < n; i++) {
		json_t *in = json_object_get(tl_model_meta(s[i].model),
		    "input"), *rec = json_object_get(in, "pool");
		const char *m = json_string_value(json_object_get(in, "model"));

		if (rec == NULL || m == NULL || strcmp(m, s[0].digest) != 0)
			continue;
		if (pool_opts(rec, o, e) == -1)
			return tl_errf(e, "%s: its input.pool is not one this "
			    "tl reads", s[i].name);
		return 1;
	}
	return 0;
}

/* Stage 0's vocabulary on the tensors of M, borrowed, when pooling O
 * needs nothing else: F32 vectors, no subwords, not sif (which reads
 * the counts, components and a of the model).  NULL otherwise, or with E
 * filled in when the tensors are inconsistent. */
static struct tl_embed *
borrow_embedding(struct tl_model *m, const struct tl_pool_opts *o,
    struct tl_err *e)
{
	const struct tl_tensor *v = tl_model_tensor(m, "stage0.vectors");
	const struct tl_tensor *off = tl_model_tensor(m, "stage0.vocab.offsets");
	const struct tl_tensor *b = tl_model_tensor(m, "stage0.vocab.bytes");

	tl_err_clear(e);
	if (o->kind == TL_POOL_SIF || v == NULL || off == NULL || b == NULL ||
	    v->dtype != TL_DTYPE_F32 || v->ndim != 2 ||
	    off->dtype != TL_DTYPE_I64 || off->ndim != 1 ||
	    off->shape[0] != v->shape[0] + 1 || b->dtype != TL_DTYPE_U8 ||
	    b->ndim != 1 || tl_model_tensor(m, "stage0.subwords") != NULL)
		return NULL;
	return tl_embed_new((size_t)v->shape[0], (size_t)v->shape[1],
	    off->data, b->data, (size_t)b->shape[0], v->data, e);
}

static int
load_embedding(struct tl_pipeline *p, struct tl_model *m, json_t *js,
    struct tl_err *e)
{
	struct tl_pool_opts o;
	struct tl_pool *pool;
	json_t *desc = json_object_get(js, "description");
	const char *d = json_string_value(json_object_get(js, "sha256"));

	if (d == NULL || strlen(d) != 64 || !json_is_object(desc))
		return tl_errf(e, "pipeline: stage 0 has no \"sha256\" or "
		    "no \"description\"");
	memcpy(p->emb_digest, d, 65);
	if (pool_opts(json_object_get(js, "pool"), &o, e) == -1)
		return -1;
	if ((p->emb = borrow_embedding(m, &o, e)) == NULL && e->msg[0] != '\0')
		return -1;
	if (p->emb == NULL && ((p->emb_model = stage_model(m, 0, desc, d, e)) ==
	    NULL || (p->emb = tl_embed_from_model(p->emb_model, e)) == NULL))
		return in_stage(e, 0);
	p->pool_o = o;
	p->pool_desc = json_object_get(js, "pool");
	p->tokenizer = json_object_get(desc, "tokenizer");
	/* the textpool makes one per thread once the heads are loaded; this
	 * one checks the options and gives the dimension they need */
	if ((pool = tl_pool_new(p->emb, &o, e)) == NULL)
		return in_stage(e, 0);
	p->dim[0] = tl_pool_dim(pool);
	tl_pool_free(pool);
	return 0;
}

/* The index at JS, a stage before I, into *OUT. */
static int
stage_index(json_t *js, size_t i, size_t *out, struct tl_err *e)
{
	if (!json_is_integer(js) || json_integer_value(js) < 0 ||
	    (size_t)json_integer_value(js) >= i)
		return tl_errf(e, "pipeline: stage %zu: an input that is not "
		    "an earlier stage", i);
	*out = (size_t)json_integer_value(js);
	return 0;
}

/* Stage I's sparse head: its part computed as its "lexical" says (no
 * "chars": no character n-grams), which must agree with the head and
 * with any other sparse stage. */
static int
load_lexical(struct tl_pipeline *p, size_t i, json_t *js, struct tl_err *e)
{
	json_t *lx = json_object_get(js, "lexical");
	json_int_t b = json_integer_value(json_object_get(lx, "buckets"));
	json_int_t g = json_integer_value(json_object_get(lx, "ngrams"));
	const char *h = json_string_value(json_object_get(lx, "hash"));
	struct pnode *nd = &p->node[i];
	int c[2];

	if ((uint64_t)b != tl_head_sparse(nd->head) || h == NULL ||
	    strcmp(h, TL_LEXICAL_HASH) != 0)
		return tl_errf(e, "pipeline: stage %zu: no \"lexical\" "
		    "settings (buckets, ngrams, hash \"%s\") that fit its "
		    "sparse part of %llu buckets", i, TL_LEXICAL_HASH,
		    (unsigned long long)tl_head_sparse(nd->head));
	if (lexical_chars(lx, c) == -1)
		return tl_errf(e, "pipeline: stage %zu: \"lexical\" "
		    "\"chars\" is not [MIN, MAX] with 1 <= MIN <= MAX <= %d",
		    i, TL_LEXICAL_MAX_CHARS);
	if (p->lex.buckets != 0 && (p->lex.buckets != (uint64_t)b ||
	    p->lex.ngrams != g || p->lex.chars_min != c[0] ||
	    p->lex.chars_max != c[1]))
		return tl_errf(e, "pipeline: stage %zu: lexical settings "
		    "differ from an earlier stage's", i);
	if (p->lex.buckets == 0 && (tl_lexical_init(&p->lex, (uint64_t)b,
	    (int)g, e) == -1 || tl_lexical_chars(&p->lex, c[0], c[1], e) ==
	    -1))
		return in_stage(e, i);
	nd->sparse = 1;
	return 0;
}

static int
load_head(struct tl_pipeline *p, struct tl_model *m, size_t i, json_t *js,
    const char *const *name, struct tl_err *e)
{
	struct pnode *nd = &p->node[i];
	json_t *in = json_object_get(js, "input");
	json_t *st = json_object_get(in, "stacked"), *b = json_object_get(in,
	    "base");
	const char *d = json_string_value(json_object_get(js, "sha256"));
	struct tl_model *sub;
	size_t k;

	if (!json_is_array(st) || json_array_size(st) > MAXS || b == NULL)
		return tl_errf(e, "pipeline: stage %zu has no \"input\" with "
		    "\"base\" and \"stacked\"", i);
	nd->wire.base = -1;
	if (!json_is_null(b) && stage_index(b, i, &k, e) == 0)
		nd->wire.base = (long)k;
	else if (!json_is_null(b))
		return -1;
	for (nd->wire.nstacked = 0; nd->wire.nstacked < json_array_size(st);
	    nd->wire.nstacked++)
		if (stage_index(json_array_get(st, nd->wire.nstacked), i,
		    &nd->wire.stacked[nd->wire.nstacked], e) == -1)
			return -1;
	if (d == NULL || strlen(d) != 64)
		return tl_errf(e, "pipeline: stage %zu has no \"sha256\"", i);
	memcpy(p->head_digest, d, 65);	/* the last one stays */
	if ((sub = stage_model(m, i, json_object_get(js, "description"), d,
	    e)) == NULL)
		return in_stage(e, i);
	nd->head = tl_head_load(sub, e);
	tl_model_free(sub);
	if (nd->head == NULL)
		return in_stage(e, i);
	nd->in = tl_head_in_dim(nd->head);
	p->dim[i] = tl_head_out_dim(nd->head);
	if (tl_head_sparse(nd->head) != 0 && load_lexical(p, i, js, e) == -1)
		return -1;
	if (nd->in > p->max_in)
		p->max_in = nd->in;
	return check_wiring(&nd->wire, i, nd->in, p->dim, name, e);
}

/* When every head computes a record's outputs from it alone, a head per
 * stage for each of the textpool's shares but the first, which uses the
 * stages' own: the shares then apply them in parallel, giving what the
 * block would.  (A matrix product's rounding may change with the rows it
 * is given, so such heads take the whole block, as over pipes.) */
static int
share_heads(struct tl_pipeline *p, struct tl_err *e)
{
	size_t shares = tl_textpool_shares(p->tp);

	if (shares < 2 || shares > TL_PAR_MAX_THREADS)
		return 0;
	for (size_t i = 1; i < p->n; i++)
		if (!tl_head_by_record(p->node[i].head))
			return 0;
	for (size_t i = 1; i < p->n; i++)
		for (size_t k = 1; k < shares; k++)
			if ((p->node[i].share[k] = tl_head_share(p->node[i].head,
			    e)) == NULL)
				return -1;
	p->by_share = 1;
	return 0;
}

struct tl_pipeline *
tl_pipeline_load(struct tl_model *m, struct tl_err *e)
{
	const char *kind = tl_model_kind(m), *name[MAXS];
	json_t *stages = json_object_get(tl_model_meta(m), "stages");
	struct tl_pipeline *p;
	size_t n = json_array_size(stages);
	char names[MAXS][32];

	if (kind == NULL || strcmp(kind, "pipeline") != 0)
		return tl_errf(e, "not a pipeline (kind \"%s\")", kind ? kind :
		    "none"), NULL;
	if (n < 2 || n > MAXS)
		return tl_errf(e, "pipeline: \"stages\" must be an array of 2 "
		    "to %d stages", MAXS), NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return tl_errf(e, "out of memory"), NULL;
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "stage %zu", i);
		name[i] = names[i];
	}
	if (load_embedding(p, m, json_array_get(stages, 0), e) == -1)
		goto fail;
	for (size_t i = 1; i < n; i++)
		if (load_head(p, m, i, json_array_get(stages, i), name, e) ==
		    -1)
			goto fail;
	if ((p->tp = tl_textpool_new(p->emb, &p->pool_o, p->tokenizer,
	    p->lex.buckets != 0 ? &p->lex : NULL, tl_par_threads(), e)) ==
	    NULL) {
		in_stage(e, 0);
		goto fail;
	}
	if (share_heads(p, e) == -1)
		goto fail;
	p->model = m;
	return p;
fail:
	tl_pipeline_free(p);
	return NULL;
}

const struct tl_head *
tl_pipeline_head(const struct tl_pipeline *p)
{
	return p->node[p->n - 1].head;
}

const char *
tl_pipeline_head_digest(const struct tl_pipeline *p)
{
	return p->head_digest;
}

size_t
tl_pipeline_in_dim(const struct tl_pipeline *p)
{
	return p->dim[0];
}

const char *
tl_pipeline_embedding(const struct tl_pipeline *p)
{
	return p->emb_digest;
}

int
tl_pipeline_pool_check(const struct tl_pipeline *p, const char *desc,
    struct tl_err *e)
{
	json_t *got;
	char *want;
	int same;

	if (desc == NULL || desc[0] == '\0' || p->pool_desc == NULL)
		return 0;
	got = json_loads(desc, 0, NULL);
	same = got == NULL || same_pool(got, p->pool_desc);
	json_decref(got);
	if (same)
		return 0;
	want = json_dumps(p->pool_desc, JSON_COMPACT);
	tl_errf(e, "vectors pooled as %s, but the pipeline pools as %s", desc,
	    want != NULL ? want : "?");
	free(want);
	return -1;
}

/* Room for N rows in every buffer. */
static int
grow(struct tl_pipeline *p, size_t n, struct tl_err *e)
{
	float *f;

	if (n <= p->cap)
		return 0;
	for (size_t i = 1; i + 1 < p->n; i++) {
		if ((f = realloc(p->node[i].out, n * p->dim[i] *
		    sizeof(float))) == NULL)
			return tl_errf(e, "out of memory");
		p->node[i].out = f;
	}
	if ((f = realloc(p->scratch, n * p->max_in * sizeof(float))) == NULL)
		return tl_errf(e, "out of memory");
	p->scratch = f;
	if ((f = realloc(p->pooled, n * p->dim[0] * sizeof(float))) ==
	    NULL)
		return tl_errf(e, "out of memory");
	p->pooled = f;
	p->cap = n;
	return 0;
}

/* The input of head ND for N rows whose stage outputs are VAL: the base's
 * outputs as they are when nothing is stacked, else the rows put together
 * in SCRATCH. */
static const float *
gather(const struct tl_pipeline *p, const struct pnode *nd,
    const float **val, size_t n, float *scratch)
{
	const struct wire *w = &nd->wire;
	float *row;
	size_t at, d;

	if (w->nstacked == 0)
		return val[w->base];
	for (size_t r = 0; r < n; r++) {
		row = scratch + r * nd->in;
		at = 0;
		if (w->base >= 0) {
			d = p->dim[w->base];
			memcpy(row, val[w->base] + r * d, d * sizeof(float));
			at = d;
		}
		for (size_t j = 0; j < w->nstacked; j++) {
			d = p->dim[w->stacked[j]];
			memcpy(row + at, val[w->stacked[j]] + r * d,
			    d * sizeof(float));
			at += d;
		}
	}
	return scratch;
}

/* The heads on the rows of PART (rows part->first .. of the buffers,
 * which grow() has made room for), the sparse heads also on its lexical
 * parts, with the heads of its share; the last head's outputs into OUT
 * (the part's rows). */
static void
apply_heads(const struct tl_pipeline *p, const struct tl_textpool_part *part,
    float *out)
{
	const float *val[MAXS];
	float *scratch = p->scratch + part->first * p->max_in;

	val[0] = part->x;
	for (size_t i = 1; i < p->n; i++) {
		const struct pnode *nd = &p->node[i];
		float *o = i + 1 < p->n ? nd->out + part->first * p->dim[i] :
		    out;
		struct tl_vecblock b = { 0 };

		b.n = part->n;
		b.dim = nd->in;
		b.x = (float *)gather(p, nd, val, part->n, scratch);
		if (nd->sparse && part->off != NULL) {
			b.sparse = p->lex.buckets;
			b.sp_off = (size_t *)part->off;
			b.sp_idx = (uint32_t *)part->idx;
			b.sp_val = (float *)part->val;
		}
		tl_head_apply_block(part->share == 0 ? nd->head :
		    nd->share[part->share], &b, o);
		val[i] = o;
	}
}

int
tl_pipeline_apply(struct tl_pipeline *p, const float *x, size_t n,
    float *out, struct tl_err *e)
{
	struct tl_textpool_part all = { 0, 0, n, x, NULL, NULL, NULL };

	if (p->lex.buckets != 0)
		return tl_errf(e, "the pipeline has a model of dense and "
		    "sparse parts (tl-embed --lexical): it takes raw text, "
		    "not vectors");
	if (grow(p, n, e) == -1)
		return -1;
	apply_heads(p, &all, out);
	return 0;
}

/* Where a run over texts puts the last head's outputs. */
struct texts_run {
	const struct tl_pipeline *p;
	float			 *out;
};

static void
apply_part(void *ctx, const struct tl_textpool_part *part)
{
	const struct texts_run *r = ctx;

	apply_heads(r->p, part, r->out + part->first * r->p->dim[r->p->n -
	    1]);
}

int
tl_pipeline_apply_texts(struct tl_pipeline *p, char *const *text,
    const size_t *len, size_t n, float *out, struct tl_err *e)
{
	struct texts_run r = { p, out };
	struct tl_textpool_part all = { 0, 0, n, NULL, NULL, NULL, NULL };
	uint32_t *idx;
	float *val;

	if (grow(p, n, e) == -1)
		return -1;
	all.x = p->pooled;	/* grow() may have moved it */
	if (p->by_share)
		return tl_textpool_run_each(p->tp, text, len, n, p->pooled,
		    apply_part, &r, e);
	if (tl_textpool_run(p->tp, text, len, n, p->pooled, e) == -1)
		return -1;
	if (p->lex.buckets != 0) {
		all.off = tl_textpool_sparse(p->tp, &idx, &val);
		all.idx = idx;
		all.val = val;
	}
	apply_heads(p, &all, out);
	return 0;
}

void
tl_pipeline_free(struct tl_pipeline *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t k = 1; k < TL_PAR_MAX_THREADS; k++)
			tl_head_free(p->node[i].share[k]);
		tl_head_free(p->node[i].head);
		free(p->node[i].out);
	}
	tl_embed_free(p->emb);
	tl_model_free(p->emb_model);
	tl_model_free(p->model);
	tl_textpool_free(p->tp);
	free(p->scratch);
	free(p->pooled);
	tl_lexical_free(&p->lex);
	free(p);
}
