/*
 * The vector stream: what flows between the tl tools over pipes.
 *
 * Text form, one record per line, TAB-separated:
 *	id <TAB> label <TAB> v1 <TAB> ... <TAB> vd <LF>
 * preceded by an optional header line "#" + one JSON object, e.g.
 *	#{"tl":"vectors","version":1,"dim":3,"names":["neg","neu","pos"],
 *	  "model":"<sha256 hex>","stacked":["<sha256 hex>"]}
 * Binary form: the magic "TLVB", a little-endian header carrying the same
 * JSON, then records of (u32 id length, id bytes, u32 label length, label
 * bytes, dim little-endian float32).  man/tl-formats.5 specifies both byte
 * by byte.  Readers detect the form from the first bytes.
 *
 * A header with "sparse": B adds a sparse part to every record after the
 * dense values: TAB-separated "index:value" fields with increasing indices
 * < B in text, a u32 count and (u32 index, f32 value) pairs in binary.
 * tl-embed --lexical writes hashed n-gram counts there.
 */
#ifndef TL_VECSTREAM_H
#define TL_VECSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Room for the header's "pool" or "lexical" object as compact JSON. */
#define TL_VECHDR_POOL 160

/* Metadata of a stream. */
struct tl_vechdr {
	size_t	  dim;		/* components per record; 0: not known yet */
	char	**names;	/* dim names, or NULL when unnamed */
	char	  model[65];	/* hex SHA-256 of the producing model, or "" */
	char	**stacked;	/* hex SHA-256s of the models tl-stack appended */
	size_t	  nstacked;
	uint64_t  sparse;	/* indices of the sparse part are < sparse
				   (hash buckets); 0: a dense stream */
	char	  pool[TL_VECHDR_POOL];	/* the header's "pool", the
				   pooling of the embedding's vectors, as
				   compact JSON, or "" */
	char	  lexical[TL_VECHDR_POOL];	/* the header's "lexical",
				   how the sparse part was hashed, or "" */
};

/* Empty header (dim 0, no names). */
void	tl_vechdr_init(struct tl_vechdr *h);
/* Deep copy SRC into DST (DST must be initialised or freed). 0 or -1. */
int	tl_vechdr_copy(struct tl_vechdr *dst, const struct tl_vechdr *src,
	    struct tl_err *e);
/* Set the names to a copy of the DIM strings NAMES (NULL: unnamed).
 * Sets h->dim = DIM. 0 or -1. */
int	tl_vechdr_set_names(struct tl_vechdr *h, size_t dim,
	    const char *const *names, struct tl_err *e);
/* Append a digest to h->stacked. 0 or -1. */
int	tl_vechdr_add_stacked(struct tl_vechdr *h, const char *digest,
	    struct tl_err *e);
/* Release what H owns and make it empty again. */
void	tl_vechdr_free(struct tl_vechdr *h);

/* A block of records, the unit of batched math.  Strings point into the
 * block's own storage and stay valid until the next read into the block. */
struct tl_vecblock {
	size_t	  n;		/* records held */
	size_t	  cap;		/* records the block can hold */
	size_t	  dim;		/* components per record */
	float	 *x;		/* n x dim values, row-major */
	char	**id;		/* n NUL-terminated ids ("" when empty) */
	char	**label;	/* n NUL-terminated labels ("" when empty) */
	uint64_t *pos;		/* n input positions: line (text) or byte
				   offset (binary) of each record */
	char	 *arena;	/* storage behind id and label */
	size_t	  arena_len, arena_cap;
	/* The sparse part (when the stream's header has "sparse"), in CSR
	 * form: record i holds the sp_off[i + 1] - sp_off[i] pairs
	 * (sp_idx[j], sp_val[j]) from j = sp_off[i], indices increasing. */
	uint64_t  sparse;	/* the stream's "sparse"; 0: no sparse part */
	size_t	 *sp_off;	/* n + 1 offsets (cap + 1 allocated) */
	uint32_t *sp_idx;
	float	 *sp_val;
	size_t	  sp_cap;	/* pairs sp_idx and sp_val can hold */
};

/* Whether the N bytes at P start a vector stream, text or binary: read by
 * mistake as text or as a model, it is named for what it is. */
int	tl_vec_starts_stream(const void *p, size_t n);

/* The first of N rows of K values at P with one that is not finite, or
 * N: outputs to check before they are written, so that the error can
 * name the input record rather than the output. */
size_t	tl_vec_first_nonfinite(const float *p, size_t n, size_t k);

/* The records a block of DIM values per record should hold: WANT, or
 * fewer when records are wide, so that a block holds at most 2^24 values
 * (64 MB) whatever a stream's header claims; at least 1. */
size_t	tl_vecblock_rows(size_t want, size_t dim);
/* Allocate room for CAP records of DIM values. 0 or -1. */
int	tl_vecblock_init(struct tl_vecblock *b, size_t cap, size_t dim,
	    struct tl_err *e);
/* Release the block's memory. */
void	tl_vecblock_free(struct tl_vecblock *b);

struct tl_vecreader;

/* Start reading a stream from F, named NAME in messages.  Reads the header
 * (text or binary, detected) and, when the text form has no header, the
 * first record, so that tl_vecreader_header()->dim is known on return (0
 * only for an empty stream).  F stays owned by the caller.  Returns a new
 * reader, or NULL with E filled in. */
struct tl_vecreader *tl_vecreader_open(FILE *f, const char *name,
	    struct tl_err *e);

/* Borrowed: the stream's header, valid until tl_vecreader_close(). */
const struct tl_vechdr *tl_vecreader_header(const struct tl_vecreader *r);

/* 1 when the stream is in binary form. */
int	tl_vecreader_is_binary(const struct tl_vecreader *r);

/* Read up to b->cap records into B (b->dim must equal the header's dim).
 * Returns the number read, 0 at end of stream, -1 on error: malformed line,
 * wrong number of values, NaN/Inf, truncated binary record, read error;
 * E then names the line (text) or byte offset (binary).  For a sparse
 * stream the records' sparse parts go to b->sp_* (b->sparse is set to the
 * header's value; 0 for a dense stream): readers that cannot use them
 * must check b->sparse or the header's and refuse the stream. */
long	tl_vecreader_read(struct tl_vecreader *r, struct tl_vecblock *b,
	    struct tl_err *e);

/* Release R (does not close the FILE). NULL is a no-op. */
void	tl_vecreader_close(struct tl_vecreader *r);

struct tl_vecwriter;

/* Write a stream with header H (copied; h->dim must be > 0) to F, in
 * binary form when BINARY, with a header line unless NO_HEADER (text form
 * only).  Returns a new writer, or NULL with E filled in. */
struct tl_vecwriter *tl_vecwriter_new(FILE *f, const struct tl_vechdr *h,
	    int binary, int no_header, struct tl_err *e);

/* Write one record: ID and LABEL (NULL: empty; must not contain TAB or
 * newline in text form) and h->dim values X, which must be finite.
 * Returns 0, or -1 with E filled in (e->errnum set for write errors). */
int	tl_vecwriter_put(struct tl_vecwriter *w, const char *id,
	    const char *label, const float *x, struct tl_err *e);

/* Write one record with a sparse part of NNZ pairs (IDX[j], VAL[j]),
 * indices increasing and < h->sparse, values finite, after the h->dim
 * dense values X, to a stream whose header has h->sparse > 0
 * (tl_vecwriter_put writes records with an empty sparse part there).
 * Returns 0, or -1 with E filled in. */
int	tl_vecwriter_put_sparse(struct tl_vecwriter *w, const char *id,
	    const char *label, const float *x, size_t nnz,
	    const uint32_t *idx, const float *val, struct tl_err *e);

/* Write any buffered bytes to the FILE and fflush it. 0 or -1. */
int	tl_vecwriter_flush(struct tl_vecwriter *w, struct tl_err *e);

/* Release W (does not flush or close the FILE). NULL is a no-op. */
void	tl_vecwriter_free(struct tl_vecwriter *w);

/*
 * Writing in parallel: each thread formats its records with a buffer
 * writer of its own, which keeps them in memory, and the thread that owns
 * the stream's writer appends the bytes, in order, with
 * tl_vecwriter_put_raw.
 */

/* A writer of records (no header) in the form BINARY of a stream with
 * header H into memory, growing as needed.  NULL with E filled in. */
struct tl_vecwriter *tl_vecwriter_new_buffer(const struct tl_vechdr *h,
	    int binary, struct tl_err *e);

/* Borrowed: the bytes a buffer writer holds, *N of them, valid until its
 * next put or reset. */
const char *tl_vecwriter_buffer(const struct tl_vecwriter *w, size_t *n);

/* Empty a buffer writer; its next record is number NREC + 1 (in
 * messages). */
void	tl_vecwriter_buffer_reset(struct tl_vecwriter *w, uint64_t nrec);

/* Write values with DIGITS significant digits in the text form (1 to 9;
 * 0, the default: the shortest decimal that reads back exactly; see
 * tl_fmt_float_digits). */
void	tl_vecwriter_set_digits(struct tl_vecwriter *w, int digits);

/* Append the N bytes at P, NREC whole records that a buffer writer made
 * for a stream of W's header and form, to W's stream.  0, or -1 with E
 * filled in (e->errnum set). */
int	tl_vecwriter_put_raw(struct tl_vecwriter *w, const char *p, size_t n,
	    uint64_t nrec, struct tl_err *e);

#endif
