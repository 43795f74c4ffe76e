/*
 * Model files: one container for every kind of tl model, in the
 * safetensors layout, so that numpy, PyTorch or the Rust safetensors crate
 * can read what tl writes and tl can load what they write:
 *
 *	u64 LE   N, the length of the JSON header
 *	N bytes  JSON: {"NAME": {"dtype": "F32", "shape": [..],
 *	         "data_offsets": [BEGIN, END]}, ..., "__metadata__": {"tl":
 *	         "<tl description as a JSON string>"}}, padded with spaces
 *	rest     the tensors' bytes, little-endian, BEGIN/END relative to the
 *	         first byte after the header, contiguous, no gaps
 *
 * tl's own description of the model (kind, dimensions, classes,
 * hyperparameters, training figures, tool version and lineage) is a JSON
 * object stored as the string __metadata__["tl"].  man/tl-formats.5 is the
 * full specification.  A loaded model maps the file read-only when it is a
 * regular file and reads it into memory otherwise (a pipe); every length,
 * offset and shape is checked before use.
 */
#ifndef TL_MODEL_H
#define TL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"

enum tl_dtype {
	TL_DTYPE_F32,
	TL_DTYPE_F16,
	TL_DTYPE_I32,
	TL_DTYPE_I64,
	TL_DTYPE_U8
};

#define TL_TENSOR_MAXDIM 4

struct tl_tensor {
	const char	*name;
	enum tl_dtype	 dtype;
	int		 ndim;
	uint64_t	 shape[TL_TENSOR_MAXDIM];
	const void	*data;		/* suitably aligned for the dtype */
	size_t		 nbytes;
};

/* Bytes per element of DTYPE. */
size_t		 tl_dtype_size(enum tl_dtype dtype);
/* The safetensors name of DTYPE ("F32", ...). */
const char	*tl_dtype_name(enum tl_dtype dtype);

struct tl_model;

/* Load the model at PATH ("-": standard input).  Returns a new model, or
 * NULL with E filled in (a byte offset where the file is at fault). */
struct tl_model	*tl_model_load(const char *path, struct tl_err *e);

/* A model of M's tensors whose names begin with PREFIX, named without it
 * and described by META (the "tl" description, or NULL as for a file
 * without one; a reference is taken),
 * whose SHA-256 is DIGEST (64 hex digits, the one recorded for it: a
 * view has no bytes of its own to hash).  The tensors' data stay M's, not
 * copied: M must outlive the view.  NULL with E filled in. */
struct tl_model	*tl_model_view(const struct tl_model *m, const char *prefix,
		    json_t *meta, const char *digest, struct tl_err *e);

/* Load a model from the N bytes at BUF (copied). For tests and pipes. */
struct tl_model	*tl_model_load_mem(const void *buf, size_t n,
		    struct tl_err *e);

/* Borrowed: tl's description of the model (a JSON object), valid until
 * tl_model_free().  NULL when the file has no __metadata__["tl"] (a plain
 * safetensors file). */
json_t		*tl_model_meta(const struct tl_model *m);

/* Borrowed: the kind ("embedding", "softmax", ...) from the description,
 * or NULL. */
const char	*tl_model_kind(const struct tl_model *m);

/* Borrowed: the tensor named NAME, or NULL when absent. */
const struct tl_tensor *tl_model_tensor(const struct tl_model *m,
		    const char *name);

/* Number of tensors, and the I-th of them in file order. */
size_t		 tl_model_ntensors(const struct tl_model *m);
const struct tl_tensor *tl_model_tensor_at(const struct tl_model *m,
		    size_t i);

/* Borrowed: the F32 tensor NAME, checked to have NDIM dimensions; its
 * shape is stored in SHAPE (NDIM entries).  NULL with E filled in when the
 * tensor is absent or of another dtype or rank. */
const float	*tl_model_f32(const struct tl_model *m, const char *name,
		    int ndim, uint64_t *shape, struct tl_err *e);

/* Borrowed: hex SHA-256 of the whole file (computed on first call), or
 * NULL when libcrypto fails (out of memory). */
const char	*tl_model_digest(struct tl_model *m);

/* tl_model_digest copied to OUT; returns OUT, or NULL when out of memory. */
const char	*tl_model_digest_into(struct tl_model *m, char out[65]);

/* Size of the file in bytes. */
uint64_t	 tl_model_size(const struct tl_model *m);

/* Release M and everything it owns.  NULL is a no-op. */
void		 tl_model_free(struct tl_model *m);

struct tl_model_writer;

/* A new, empty writer, or NULL when out of memory. */
struct tl_model_writer *tl_model_writer_new(void);

/* Add tensor NAME with DTYPE and the NDIM-dimensional SHAPE; DATA holds
 * the elements, little-endian, and is borrowed until the write.  0, or -1
 * with E filled in (duplicate name, bad rank). */
int		 tl_model_writer_add(struct tl_model_writer *w,
		    const char *name, enum tl_dtype dtype, int ndim,
		    const uint64_t *shape, const void *data, struct tl_err *e);

/* Write the model with description META (borrowed; stored as
 * __metadata__["tl"]) to F, and the hex SHA-256 of the bytes written to
 * DIGEST.  The caller opens F (see tl_outfile_open) and commits it.
 * 0, or -1 with E filled in (e->errnum set on write errors). */
int		 tl_model_writer_write(struct tl_model_writer *w, json_t *meta,
		    FILE *f, char digest[65], struct tl_err *e);

/* Release W.  NULL is a no-op. */
void		 tl_model_writer_free(struct tl_model_writer *w);

/* A new description object with the fields every tl model carries:
 * {"format": "tl", "format_version": 1, "kind": KIND, "tool": "TOOL
 * VERSION", "lineage": []}.  New reference, or NULL when out of memory. */
json_t		*tl_meta_new(const char *kind, const char *tool);

/* Append {"sha256": DIGEST, "kind": KIND, "role": ROLE} to the
 * description's "lineage" array.  0, or -1 when out of memory. */
int		 tl_meta_add_parent(json_t *meta, const char *digest,
		    const char *kind, const char *role);

#endif
