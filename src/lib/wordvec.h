/*
 * Importers of pre-trained word vectors, the files that GloVe, word2vec and
 * fastText publish, into the arrays of an embedding model: vectors (n x
 * dim float32), vocab.offsets (n + 1 int64) and vocab.bytes (the words
 * end to end).  Reading streams the file once, growing the arrays as it
 * goes, so the memory used is about the size of the model written.
 *
 * Formats:
 *	glove		"word v1 ... vd" per line; d from the first line
 *	word2vec, vec	a first line "count dim", then lines as glove (the
 *			word2vec text format and fastText's .vec)
 *	word2vec-bin	"count dim\n", then per word: its bytes up to a
 *			space, dim float32 little-endian, an optional '\n'
 * In the text formats a word ends at the first space or TAB and values are
 * separated by runs of them; a trailing '\r' or blank is ignored.  Words
 * are bytes (invalid UTF-8 is kept as it is) and must not be empty or hold
 * a NUL.  Values must be finite.  Errors name the line (text) or the byte
 * offset (binary).
 */
#ifndef TL_WORDVEC_H
#define TL_WORDVEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "model.h"

enum tl_wordvec_format {
	TL_WORDVEC_GLOVE,
	TL_WORDVEC_WORD2VEC,
	TL_WORDVEC_WORD2VEC_BIN,
	TL_WORDVEC_VEC
};

struct tl_wordvec {
	size_t	 n;		/* words */
	size_t	 dim;		/* components per vector */
	float	*vectors;	/* n x dim, row-major */
	int64_t	*offsets;	/* n + 1 byte offsets into bytes */
	uint8_t	*bytes;		/* the words end to end, no separators */
	size_t	 nbytes;
	int	 f16;		/* set before reading: values must fit F16,
				 * so that a bad one is named by its line */

	/* private: capacities in elements */
	size_t	 vec_cap, off_cap, bytes_cap;
};

/* The format named S ("glove", "word2vec", "word2vec-bin", "vec").  0, or
 * -1 when S names none. */
int	tl_wordvec_format_parse(const char *s, enum tl_wordvec_format *out);

/* Borrowed: the name of format F. */
const char *tl_wordvec_format_name(enum tl_wordvec_format f);

/* Make W empty. */
void	tl_wordvec_init(struct tl_wordvec *w);

/* Release what W owns and make it empty again. */
void	tl_wordvec_free(struct tl_wordvec *w);

/* Read every word of F, in format FMT, into W (which must be empty).  F
 * stays owned by the caller.  0, or -1 with E filled in (a line number or
 * byte offset; e->errnum set on a read error).  An input without any word
 * is an error. */
int	tl_wordvec_read(struct tl_wordvec *w, FILE *f,
	    enum tl_wordvec_format fmt, struct tl_err *e);

/* Write W to F as an embedding model whose description is META (borrowed),
 * with the hex SHA-256 of the bytes written in DIGEST.  0, or -1 with E
 * filled in. */
int	tl_wordvec_write(const struct tl_wordvec *w, json_t *meta, FILE *f,
	    char digest[65], struct tl_err *e);

/* As tl_wordvec_write, with the vectors stored as DTYPE: TL_DTYPE_F32, or
 * TL_DTYPE_F16 (IEEE half, rounded to nearest even: half the size; a
 * value beyond 65504 in magnitude is an error).  Both also store the
 * vocabulary's lookup table as "vocab.hash" (see embed.h). */
int	tl_wordvec_write_as(const struct tl_wordvec *w, json_t *meta,
	    enum tl_dtype dtype, FILE *f, char digest[65], struct tl_err *e);

/* A new description of the embedding model W: tl_meta_new("embedding",
 * TOOL) with dim, vocab_size, NAME, the general tokenizer and "source":
 * {"format": FMT, "file": SOURCE} (SOURCE: the input's base name).  New
 * reference, or NULL when out of memory. */
json_t	*tl_wordvec_meta(const struct tl_wordvec *w, const char *tool,
	    const char *name, enum tl_wordvec_format fmt, const char *source);

#endif
