/*
 * Texts to pooled vectors, a block at a time, on several threads: each
 * thread tokenises and pools a contiguous share of the block with tokens,
 * pooling scratch and lexical state of its own, and the shares' lexical
 * parts are joined in input order, so the result is the same, bit for
 * bit, whatever the number of threads.  Pipelines (tl-predict and
 * tl-stack on raw text) pool through it: there the tokenizer is most of
 * the work, which on one thread left the other CPUs idle.
 */
#ifndef TL_TEXTPOOL_H
#define TL_TEXTPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "embed.h"
#include "err.h"
#include "lexical.h"
#include "pool.h"

struct tl_textpool;

/* Pooling with options O over EMB, tokenising as TOKENIZER says (a model's
 * tokenizer description, borrowed), and hashing the lexical part as LEX
 * does (its settings; NULL: no lexical part), on NTHREADS threads (>= 1).
 * EMB must outlive the result.  NULL with E filled in. */
struct tl_textpool *tl_textpool_new(const struct tl_embed *emb,
		    const struct tl_pool_opts *o, const json_t *tokenizer,
		    const struct tl_lexical *lex, size_t nthreads,
		    struct tl_err *e);

/* Pool the N texts TEXT (LEN bytes each) into the rows of X (n x the
 * pooling's dimension) and, with a lexical part, their parts into the CSR
 * arrays tl_textpool_sparse gives.  0, or -1 with E filled in. */
int		 tl_textpool_run(struct tl_textpool *tp, char *const *text,
		    const size_t *len, size_t n, float *x, struct tl_err *e);

/* One thread's share of a run: texts FIRST .. FIRST + N - 1, pooled into
 * X (their rows), and their lexical parts (text FIRST + i's are
 * idx[off[i] .. off[i+1]) and likewise VAL; OFF NULL: no lexical part). */
struct tl_textpool_part {
	size_t		 share;		/* < tl_textpool_shares() */
	size_t		 first, n;
	const float	*x;
	const size_t	*off;
	const uint32_t	*idx;
	const float	*val;
};

/* As tl_textpool_run, then EACH(CTX, part) on every share of the texts
 * in the thread that pooled it, as soon as it is pooled, so that what is
 * done with the vectors runs in parallel too; EACH must touch only what
 * belongs to its part and share.  tl_textpool_sparse is then not valid:
 * the lexical parts are only the parts'. */
int		 tl_textpool_run_each(struct tl_textpool *tp,
		    char *const *text, const size_t *len, size_t n, float *x,
		    void (*each)(void *ctx, const struct tl_textpool_part *),
		    void *ctx, struct tl_err *e);

/* The most shares a run has (threads of tl_textpool_new). */
size_t		 tl_textpool_shares(const struct tl_textpool *tp);

/* The lexical parts of the last run, valid until the next: text i's are
 * (*IDX)[off[i] .. off[i+1]) and likewise *VAL.  Returns OFF. */
size_t		*tl_textpool_sparse(const struct tl_textpool *tp,
		    uint32_t **idx, float **val);

/* Release TP.  NULL is a no-op. */
void		 tl_textpool_free(struct tl_textpool *tp);

#endif
