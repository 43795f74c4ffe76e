/*
 * Pipelines: an embedding and the heads built on its vectors, frozen into
 * one self-contained model file (kind "pipeline") that maps raw text to
 * the outputs of the last head.  Stage 0 is the embedding with the pooling
 * its vectors were made with; every later stage is a head whose input is
 * the output of one earlier stage (its "base": the embedding, or a head
 * whose outputs tl-predict wrote) followed by the outputs of the earlier
 * stages that tl-stack appended (its "stacked" models), or those outputs
 * alone (tl-stack --only).  So a pipeline is a DAG, of which a chain is
 * the simplest case; its heads run in file order, one batched
 * tl_head_apply per stage per block, so that a frozen pipeline computes
 * exactly what the tools compute over pipes.
 *
 * File layout (man/tl-formats.5): stage I's tensors under their own names
 * prefixed "stageI." and its own description, digest and wiring in the
 * pipeline description's "stages" array.
 */
#ifndef TL_PIPELINE_H
#define TL_PIPELINE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "head.h"
#include "model.h"
#include "pool.h"

/* The most stages a pipeline may have. */
#define TL_PIPELINE_MAX_STAGES 64

/* One model to freeze: all borrowed. */
struct tl_pipeline_stage {
	const char	*name;		/* in messages and the description */
	struct tl_model	*model;
	const char	*digest;	/* hex SHA-256 of its file */
};

/* The pooling that the first head of S[1..N) trained on S[0]'s vectors
 * recorded with them (input.pool) into O: 1, or 0 when none did (O
 * untouched), or -1 with E filled in when it is not one tl reads. */
int		 tl_pipeline_recorded_pool(const struct tl_pipeline_stage *s,
		    size_t n, struct tl_pool_opts *o, struct tl_err *e);

/* Check that the N stages S form a pipeline and write it to F, with the
 * hex SHA-256 of the bytes written in DIGEST.  S[0] must be an embedding,
 * pooled with POOL (borrowed; its counts are ignored); every later stage a
 * head whose recorded input (input.model, input.stacked) names earlier
 * stages by digest and whose input dimension is what they give; every
 * stage but the last feeds a later one.  TOOL names the writer in the
 * description.  0, or -1 with E filled in, naming the stage at fault. */
int		 tl_pipeline_freeze(const struct tl_pipeline_stage *s,
		    size_t n, const struct tl_pool_opts *pool,
		    const char *tool, FILE *f, char digest[65],
		    struct tl_err *e);

/* The pooling P, made with O, described as vector stream headers and
 * pipelines record it: {"kind", "normalize"} and "sif_a" for sif, as
 * compact JSON into BUF of N bytes.  0, or -1 when out of memory or N is
 * too small. */
int		 tl_pipeline_pool_desc(const struct tl_pool *p,
		    const struct tl_pool_opts *o, char *buf, size_t n);

struct tl_pipeline;

/* The pipeline in model M, every stage checked again.  On success the
 * pipeline owns M (its tensors stay in use) and frees it in
 * tl_pipeline_free; NULL with E filled in, M still the caller's, when M
 * is not a pipeline or is inconsistent. */
struct tl_pipeline *tl_pipeline_load(struct tl_model *m, struct tl_err *e);

/* Borrowed: the last head, which gives the outputs (names, kind). */
const struct tl_head *tl_pipeline_head(const struct tl_pipeline *p);

/* Borrowed: the hex SHA-256 of the last stage's own file.  The outputs
 * of P are that model's, computed as the stages before it feed it; a
 * stream of them names that model, not P, so that a model trained on
 * them records a stage a pipeline can hold. */
const char	*tl_pipeline_head_digest(const struct tl_pipeline *p);

/* Components of a pooled vector: what tl_pipeline_apply takes. */
size_t		 tl_pipeline_in_dim(const struct tl_pipeline *p);

/* Borrowed: the hex SHA-256 of the embedding, as its vector streams
 * carry it in their header. */
const char	*tl_pipeline_embedding(const struct tl_pipeline *p);

/* Whether vectors pooled as DESC (a stream header's "pool", compact JSON;
 * "" when it does not say) are pooled as P pools its embedding's: -1
 * with E saying both, else 0. */
int		 tl_pipeline_pool_check(const struct tl_pipeline *p,
		    const char *desc, struct tl_err *e);

/* Apply P to N raw texts, TEXT[i] of LEN[i] bytes: tokenize and pool
 * each (and hash its word n-grams for sparse heads, as tl-embed
 * --lexical does), then apply the heads as tl_pipeline_apply, writing
 * n x out_dim outputs to OUT.  0, or -1 with E filled in when out of
 * memory. */
int		 tl_pipeline_apply_texts(struct tl_pipeline *p,
		    char *const *text, const size_t *len, size_t n,
		    float *out, struct tl_err *e);

/* Apply the heads to N pooled vectors X (n x in_dim floats), writing the
 * last head's n x out_dim outputs to OUT.  0, or -1 with E filled in
 * when out of memory or when P holds a head of dense and sparse parts
 * (kind "sparse-softmax"), whose sparse part only the texts give. */
int		 tl_pipeline_apply(struct tl_pipeline *p, const float *x,
		    size_t n, float *out, struct tl_err *e);

/* Release P.  NULL is a no-op. */
void		 tl_pipeline_free(struct tl_pipeline *p);

#endif
