/*
 * Learning word vectors from text: skip-gram and CBOW with negative
 * sampling, as word2vec and fastText do it, with fastText's character
 * n-gram subwords (subword.h), subsampling of frequent words and a
 * learning rate that decays linearly to zero.  Threads share the matrices
 * without locks (Hogwild); each takes a contiguous slice of the corpus.
 *
 * Use: tl_w2v_new, tl_w2v_add (each document's tokens), optionally
 * tl_w2v_init_from (start from existing vectors), tl_w2v_prepare (the
 * vocabulary: counts, min-count, n-gram rows), tl_w2v_train, then
 * tl_w2v_write and tl_w2v_meta.
 *
 * Memory: the corpus is held as 4-byte word ids (plus 8 bytes per
 * document), so 3 million tokens take 12 MB; the input matrix holds
 * (words + bucket) rows and the output matrix one row per word, of DIM
 * floats rounded up to a multiple of 8: with the default 2,000,000 buckets
 * and DIM 100 about 830 MB, as fastText.  Writing the model needs no
 * further copy of the matrices.
 *
 * Skip-gram updates the input rows in one of two orders (--update).  The
 * default, TL_W2V_UPDATE_PAIR, is fastText's (FastText::skipgram calling
 * Model::update once per context word): for each (centre, context) pair
 * the centre's input vector, the mean of its word and n-gram rows, is
 * recomputed, the context word and the negatives are predicted from it
 * (each output row updated at once), and the gradient is added to every
 * one of the centre's rows before the next context word, so that words
 * per second measure the same work per pair as fastText's (which uses
 * a 512-entry sigmoid table where this computes expf, and draws negatives
 * from unigram^0.5 where this uses word2vec's unigram^0.75).
 * TL_W2V_UPDATE_WINDOW computes
 * the centre's input vector once per window and adds the gradients of all
 * its context words to its rows once, after the window: less work per
 * word with subwords (the mean and the update touch every n-gram row once
 * per window instead of once per context word), but the later context
 * words of a window are predicted from an input vector that lacks the
 * earlier ones' updates.  CBOW makes one prediction per centre word either
 * way, as fastText does.
 */
#ifndef TL_W2V_H
#define TL_W2V_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "embed.h"
#include "err.h"
#include "subword.h"
#include "tokenize.h"

enum tl_w2v_arch {
	TL_W2V_SKIPGRAM,
	TL_W2V_CBOW
};

/* When skip-gram adds a centre word's gradient to its input rows: after
 * each context word (fastText's order, the default) or once per window. */
enum tl_w2v_update {
	TL_W2V_UPDATE_PAIR,
	TL_W2V_UPDATE_WINDOW
};

struct tl_w2v_opts {
	enum tl_w2v_arch	arch;
	enum tl_w2v_update	update;		/* skip-gram only */
	size_t			dim, window, neg, epochs, min_count, threads;
	int			subwords;	/* use character n-grams */
	struct tl_subword_spec	sub;
	double			lr, sample;
	uint64_t		seed;
};

/* What tl_w2v_train reports while it runs and at the end. */
struct tl_w2v_stats {
	double		progress;	/* 0 to 1 */
	double		loss;		/* mean loss per predicted word */
	double		lr;		/* current learning rate */
	double		seconds;	/* since the start of training */
	double		words_per_sec;	/* per thread, all tokens read */
	double		eta;		/* seconds left (estimate) */
	uint64_t	tokens;		/* tokens read so far */
};

/* fastText's defaults: skip-gram updated per pair, dim 100, window 5,
 * neg 5, 5 epochs, min-count 5, subwords 3 to 6 in 2,000,000 buckets,
 * lr 0.05, sample 1e-4, 1 thread, seed 1. */
void		 tl_w2v_opts_default(struct tl_w2v_opts *o);

/* The name of ARCH ("skipgram", "cbow"); 0 or -1 for parse. */
const char	*tl_w2v_arch_name(enum tl_w2v_arch arch);
int		 tl_w2v_arch_parse(const char *s, enum tl_w2v_arch *out);

/* The name of UPDATE ("pair", "window"); 0 or -1 for parse. */
const char	*tl_w2v_update_name(enum tl_w2v_update update);
int		 tl_w2v_update_parse(const char *s, enum tl_w2v_update *out);

struct tl_w2v;

/* A new, empty learner with options O (copied; checked: dim, window,
 * epochs, threads >= 1, sane subword spec).  NULL with E filled in. */
struct tl_w2v	*tl_w2v_new(const struct tl_w2v_opts *o, struct tl_err *e);

/* Append the tokens of T as one document (windows never cross
 * documents).  0, or -1 with E filled in (out of memory, too many
 * tokens). */
int		 tl_w2v_add(struct tl_w2v *w, const struct tl_tokens *t,
		    struct tl_err *e);

/* Start from the vectors of INIT (borrowed; must outlive W) instead of
 * random ones: words of INIT that the corpus has keep training from their
 * vector, the others are kept as they are.  Call before tl_w2v_prepare.
 * -1 with E filled in when the dimensions differ. */
int		 tl_w2v_init_from(struct tl_w2v *w, const struct tl_embed *init,
		    struct tl_err *e);

/* Make the vocabulary (words seen at least min-count times, most frequent
 * first, ties in order of appearance, then the words only INIT has),
 * drop the other tokens from the corpus, and allocate and initialise the
 * matrices.  0, or -1 with E filled in (no word left, out of memory). */
int		 tl_w2v_prepare(struct tl_w2v *w, struct tl_err *e);

/* Train.  PROGRESS, when not NULL, is called from the first thread about
 * every 100 ms, and once at the end, with CTX.  0, or -1 with E filled in
 * (a thread could not be started).  STATS (may be NULL) gets the final
 * figures. */
int		 tl_w2v_train(struct tl_w2v *w,
		    void (*progress)(void *, const struct tl_w2v_stats *),
		    void *ctx, struct tl_w2v_stats *stats, struct tl_err *e);

/* Vocabulary size and corpus tokens (after min-count) after prepare. */
size_t		 tl_w2v_size(const struct tl_w2v *w);
uint64_t	 tl_w2v_tokens(const struct tl_w2v *w);

/* Borrowed: word I (I < size), its length in *LEN; its count. */
const char	*tl_w2v_word(const struct tl_w2v *w, size_t i, size_t *len);
uint64_t	 tl_w2v_count(const struct tl_w2v *w, size_t i);

/* Write the vector of word I (what the model will store: the mean of its
 * word and n-gram rows) to OUT (dim floats).  After training. */
void		 tl_w2v_vector(const struct tl_w2v *w, size_t i, float *out);

/* Write the model to F: tensors "vectors" F32 [n, dim], "counts" I64 [n],
 * "vocab.offsets", "vocab.bytes" and, with subwords, "subwords" F32
 * [bucket, dim]; META (borrowed) is its description (see tl_w2v_meta);
 * the hex SHA-256 goes to DIGEST.  This packs the matrices in place: W
 * cannot train afterwards.  0, or -1 with E filled in. */
int		 tl_w2v_write(struct tl_w2v *w, json_t *meta, FILE *f,
		    char digest[65], struct tl_err *e);

/* The description of the learned model: tl_meta_new("embedding", TOOL)
 * with dim, vocab_size, NAME, TOKENIZER (borrowed; copied), "source"
 * {"format": "learn"}, "hyperparameters", "training" (STATS) and, with
 * subwords, "subwords".  New reference, or NULL when out of memory. */
json_t		*tl_w2v_meta(const struct tl_w2v *w, const char *tool,
		    const char *name, const json_t *tokenizer,
		    const struct tl_w2v_stats *stats);

/* Release W.  NULL is a no-op. */
void		 tl_w2v_free(struct tl_w2v *w);

/*
 * One negative-sampling step, exposed for the gradient check: the input
 * vector H predicts the output row OUT + TARGETS[0] * STRIDE (label 1)
 * and the rows of TARGETS[1 .. NT-1] (label 0).  STRIDE is a multiple of
 * 8; H, GRAD and the rows have STRIDE floats.  Returns the loss
 * -log s(o0.h) - sum log s(-oi.h) (s: the logistic function), adds LR
 * times the loss's negative gradient with respect to H to GRAD and, with
 * respect to each row, to that row, as the trainer does.  LR 0 only
 * computes the loss.
 */
double		 tl_w2v_ns_step(const float *h, float *out, size_t stride,
		    const uint32_t *targets, size_t nt, float lr, float *grad);

#endif
