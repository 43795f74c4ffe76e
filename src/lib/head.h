/*
 * Heads: every trained model that maps an input vector to an output vector
 * (class probabilities, or values for regression), behind one interface,
 * so that tl-predict, tl-stack and frozen pipelines apply any kind of model
 * the same way.  Each kind ("softmax", ...) is one case in head.c, whose
 * training lives in its own module (linear.c, ...).
 */
#ifndef TL_HEAD_H
#define TL_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"
#include "vecstream.h"

/* What the output components are. */
enum tl_head_output {
	TL_HEAD_PROBA,		/* probabilities of exclusive classes */
	TL_HEAD_SCORES,		/* independent probabilities (multi-label) */
	TL_HEAD_VALUES		/* regression values */
};

struct tl_head;

/* The head of model M (copied: M may be freed after).  NULL with E filled
 * in when M is not a head of a kind this version knows, or is unusable. */
struct tl_head	*tl_head_load(struct tl_model *m, struct tl_err *e);

/* Borrowed: the kind ("softmax", ...). */
const char	*tl_head_kind(const struct tl_head *h);

/* Input and output dimensions. */
size_t		 tl_head_in_dim(const struct tl_head *h);
size_t		 tl_head_out_dim(const struct tl_head *h);

/* Borrowed: the out_dim names of the outputs (class names, targets). */
char *const	*tl_head_names(const struct tl_head *h);

/* What the outputs are. */
enum tl_head_output tl_head_output(const struct tl_head *h);

/* Borrowed: hex SHA-256 of the embedding whose vectors the head was
 * trained on, or "" when unknown. */
const char	*tl_head_input_model(const struct tl_head *h);

/* Apply H to N rows X (n x in_dim floats, row-major), writing n x out_dim
 * floats to OUT.  Batched: one matrix product per call. */
void		 tl_head_apply(const struct tl_head *h, const float *x,
		    size_t n, float *out);

/* The buckets of the sparse part H was trained on (kind
 * "sparse-softmax"; sparselin.h), or 0 for a dense head.  A sparse head
 * needs that part: tl_head_apply gives it none (as for a record whose
 * sparse part is empty), so callers without one should refuse the head. */
uint64_t	 tl_head_sparse(const struct tl_head *h);

/* Whether a sparse head H, read from PATH, was trained on a sparse part
 * made as DESC says (a stream header's "lexical", vecstream.h): -1 with
 * E saying how each was made when both are known and differ (the same
 * buckets would then hold other n-grams), else 0 -- also for a dense
 * head, or a model or stream that does not say. */
int		 tl_head_lexical_check(const struct tl_head *h,
		    const char *desc, const char *path, struct tl_err *e);

/* Apply H to the records of B, dense values and (for a sparse head, when
 * B has one) sparse parts, writing b->n x out_dim floats to OUT.  The
 * caller checks that b->sparse equals tl_head_sparse(h) where it must. */
void		 tl_head_apply_block(const struct tl_head *h,
		    const struct tl_vecblock *b, float *out);

/* Whether the models stacked into stream IN (its header's "stacked") are
 * those H, read from PATH, was trained with (its input.stacked), in
 * order: -1 with E saying where they differ, else 0 -- also for a stream
 * that names neither an embedding nor stacked models (plain TSV). */
int		 tl_head_stacked_check(const struct tl_head *h,
		    const struct tl_vechdr *in, const char *path,
		    struct tl_err *e);

/* What to say of a record whose outputs are not finite (its values
 * overflow the model's arithmetic; tl_vec_first_nonfinite finds it). */
#define TL_HEAD_OVERFLOW "the model's outputs are not finite: the record's " \
	"values are too large for it"

/* Whether H computes each record's outputs from that record alone, bit
 * for bit whatever records are applied with it: true of sparse heads,
 * whose arithmetic is their own; not of those whose outputs come from a
 * matrix product, whose rounding OpenBLAS may change with its shape. */
int		 tl_head_by_record(const struct tl_head *h);

/* A head for another thread: H's model, whose parameters it borrows (H
 * must outlive it), with scoring buffers of its own, so that it and H may
 * be applied at the same time.  Released by tl_head_free.  NULL with E
 * filled in when out of memory. */
struct tl_head	*tl_head_share(const struct tl_head *h, struct tl_err *e);

/* Release H.  NULL is a no-op. */
void		 tl_head_free(struct tl_head *h);

#endif
