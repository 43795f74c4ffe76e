/*
 * A word-embedding model in use: the vocabulary of an "embedding" model
 * (tensors "vocab.offsets" I64 [n+1], "vocab.bytes" U8, "vectors" F32
 * [n, d]) indexed by an open-addressing hash table built at load, and the
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

/* Borrowed: the vector of row I (I < size). */
const float	*tl_embed_vector(const struct tl_embed *e, size_t i);

/* Write to OUT (dim floats) the mean of the vectors of the tokens of T
 * that the vocabulary knows, each occurrence counted (a zero vector when
 * none is known).  Returns the number of known tokens. */
size_t		 tl_embed_mean(const struct tl_embed *e,
		    const struct tl_tokens *t, float *out);

/* Release E (and its model, when it owns one).  NULL is a no-op. */
void		 tl_embed_free(struct tl_embed *e);

#endif
