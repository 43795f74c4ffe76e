/*
 * A word-embedding model in use: the vocabulary of an "embedding" model
 * (tensors "vocab.offsets" I64 [n+1], "vocab.bytes" U8, "vectors" F32
 * [n, d], or F16; optional "counts" I64 [n] and "vocab.hash") indexed by
 * an open-addressing hash table (stored or built at load), and the
 * pooling that turns a text's tokens into one vector (the mean of the
 * vectors of the words the vocabulary knows).  The words and vectors stay
 * in the model's memory (the mmap of the file); the table is the only copy
 * made.  When a word occurs twice in the vocabulary, the first wins.
 */
#ifndef TL_EMBED_H
#define TL_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"
#include "tokenize.h"

struct tl_embed;

/* The vocabulary of the N words whose bytes are BYTES[OFFSETS[i] ..
 * OFFSETS[i+1]) (NBYTES in all) and whose vectors are the rows of the
 * N x DIM matrix VECTORS.  The arrays are borrowed and must outlive the
 * result.  Checks that the offsets start at 0, never decrease and end at
 * NBYTES, that no word is empty or holds a NUL.  Returns a new vocabulary,
 * or NULL with E filled in. */
struct tl_embed	*tl_embed_new(size_t n, size_t dim, const int64_t *offsets,
		    const uint8_t *bytes, size_t nbytes, const float *vectors,
		    struct tl_err *e);

/* The vocabulary of model M, which must be of kind "embedding" with the
 * three tensors above of matching shapes and a tokenizer this version
 * knows.  M is borrowed and must outlive the result.  NULL with E filled
 * in otherwise. */
struct tl_embed	*tl_embed_from_model(struct tl_model *m, struct tl_err *e);

/* Load the model at PATH and its vocabulary; the result owns the model.
 * NULL with E filled in. */
struct tl_embed	*tl_embed_load(const char *path, struct tl_err *e);

/* Borrowed: the model behind E, or NULL when made by tl_embed_new. */
struct tl_model	*tl_embed_model(const struct tl_embed *e);

/* Dimension of the vectors, number of words. */
size_t		 tl_embed_dim(const struct tl_embed *e);
size_t		 tl_embed_size(const struct tl_embed *e);

/* Borrowed: the tokenizer description of the model (NULL: general). */
const json_t	*tl_embed_tokenizer(const struct tl_embed *e);

/* The row of the LEN bytes at WORD, or -1 when the vocabulary does not
 * have it. */
long		 tl_embed_lookup(const struct tl_embed *e, const char *word,
		    size_t len);

/* The most words tl_embed_lookup_words takes at once. */
#define TL_EMBED_LOOKUP_MAX	256

/* The rows of the N words W[i] of LEN[i] bytes (N <= TL_EMBED_LOOKUP_MAX)
 * into ROWS, -1 for a word the vocabulary lacks: what tl_embed_lookup
 * gives, faster, as the memory of all N lookups (and of the rows'
 * vectors) is fetched at once. */
void		 tl_embed_lookup_words(const struct tl_embed *e,
		    const char *const *w, const size_t *len, size_t n,
		    long *rows);

/* Borrowed: the vector of row I (I < size); NULL when the model stores
 * its vectors as F16 (use tl_embed_row). */
const float	*tl_embed_vector(const struct tl_embed *e, size_t i);

/* The vector of row I (I < size) as floats: borrowed from the model when
 * it stores F32, else widened from F16 into BUF (dim floats) and BUF
 * returned. */
const float	*tl_embed_row(const struct tl_embed *e, size_t i, float *buf);

/* Borrowed: the bytes of the word of row I (I < size), *LEN of them (not
 * NUL-terminated). */
const char	*tl_embed_word(const struct tl_embed *e, size_t i, size_t *len);

/* 1 when the vectors are stored as F16, else 0. */
int		 tl_embed_is_f16(const struct tl_embed *e);

/* Borrowed: the model's "counts" tensor (occurrences of each word in the
 * text the vectors came from; size entries, each >= 0), or NULL when the
 * model has none. */
const int64_t	*tl_embed_counts(const struct tl_embed *e);

/* Borrowed: the lookup table (*NSLOTS slots, a power of two; the layout
 * of embed.c), for writing it into a model as "vocab.hash". */
const uint64_t	*tl_embed_table(const struct tl_embed *e, size_t *nslots);

/* 1 when the model has character n-gram rows ("subwords", from tl-embed
 * learn), so that words outside the vocabulary get vectors, else 0. */
int		 tl_embed_has_subwords(const struct tl_embed *e);

/* The vector of the LEN bytes at WORD: its row (borrowed, or widened into
 * BUF), or for a word the vocabulary lacks, when the model has subwords,
 * the mean of its n-gram rows (fastText's rule) written to BUF (dim
 * floats).  NULL when the word gets no vector. */
const float	*tl_embed_word_vector(const struct tl_embed *e,
		    const char *word, size_t len, float *buf);

/* Write to OUT (dim floats) the mean of the vectors of the tokens of T
 * that the vocabulary knows, each occurrence counted (a zero vector when
 * none is known); with subwords, unknown words count with their n-gram
 * vector (tl_embed_word_vector).  Returns the number of tokens that got a
 * vector. */
size_t		 tl_embed_mean(const struct tl_embed *e,
		    const struct tl_tokens *t, float *out);

/* Release E (and its model, when it owns one).  NULL is a no-op. */
void		 tl_embed_free(struct tl_embed *e);

#endif
