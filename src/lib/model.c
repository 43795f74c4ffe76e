/*
 * The model container (see model.h for the layout): a safetensors writer
 * that lays tensors out so every one is aligned for its element type, and a
 * loader that distrusts the file.  The loader maps a regular file read-only
 * or reads a pipe into memory, then checks the header length, the JSON, every
 * dtype, shape and data offset (with overflow checks) before handing out a
 * single pointer; a model that fails any check is freed whole, never
 * partially trusted.  Errors carry the byte offset where the file is at fault:
 * 0 for the length word, 8 + position for JSON syntax, 8 (the header) for
 * header contents, and the tensor's first byte for overlapping data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "evp.h"
#include "io.h"
#include "model.h"
#include "vecstream.h"

/* Tensor bytes are used as they lie in the file (mapped, not converted). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model.c maps little-endian tensors as they are: port it by swapping"
#endif

#define HEADER_MAX	((uint64_t)100 << 20)	/* as the Rust safetensors crate */
#define PIPE_MAX	((uint64_t)16 << 30)	/* a pipe is read into memory */
#define PIPE_CHUNK	((size_t)1 << 16)
#define HEADER_POS	8			/* errors about header contents */

static const struct {
	const char	*name;
	size_t		 size;
} dtypes[] = {
	[TL_DTYPE_F32] = { "F32", 4 },
	[TL_DTYPE_F16] = { "F16", 2 },
	[TL_DTYPE_I32] = { "I32", 4 },
	[TL_DTYPE_I64] = { "I64", 8 },
	[TL_DTYPE_U8] = { "U8", 1 },
};
#define NDTYPES (sizeof(dtypes) / sizeof(dtypes[0]))

/* Where 0-byte tensors point: not NULL, aligned for every dtype. */
static const uint64_t empty_tensor[1];

size_t
tl_dtype_size(enum tl_dtype dtype)
{
	return (size_t)dtype < NDTYPES ? dtypes[dtype].size : 0;
}

const char *
tl_dtype_name(enum tl_dtype dtype)
{
	return (size_t)dtype < NDTYPES ? dtypes[dtype].name : "?";
}

static int
dtype_parse(const char *s, enum tl_dtype *out)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (strcmp(s, dtypes[i].name) == 0) {
			*out = (enum tl_dtype)i;
			return 0;
		}
	return -1;
}

/*
 * Number of bytes of a tensor of NDIM dimensions SHAPE with elements of
 * ESIZE bytes, in *OUT.  -1 when it does not fit in 64 bits.  A zero
 * dimension makes the tensor empty whatever the others are, so it is looked
 * for before multiplying.
 */
static int
shape_bytes(const uint64_t *shape, int ndim, size_t esize, uint64_t *out)
{
	uint64_t n = esize;

	for (int i = 0; i < ndim; i++)
		if (shape[i] == 0) {
			*out = 0;
			return 0;
		}
	for (int i = 0; i < ndim; i++) {
		if (n > UINT64_MAX / shape[i])
			return -1;
		n *= shape[i];
	}
	*out = n;
	return 0;
}

/* SHAPE as "[2,3]" in BUF, for messages. */
static const char *
shape_str(const uint64_t *shape, int ndim, char *buf, size_t len)
{
	size_t n = 0;

	n += snprintf(buf, len, "[");
	for (int i = 0; i < ndim && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%llu", i ? "," : "",
		    (unsigned long long)shape[i]);
	if (n < len)
		snprintf(buf + n, len - n, "]");
	return buf;
}

/*
 * NAME as it may appear in a one-line message: control characters become
 * '?' and a long name is cut, so that a hostile file cannot forge lines.
 */
static const char *
shown(const char *name, char buf[64])
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < 60; i++)
		buf[i] = ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) ?
		    '?' : name[i];
	if (name[i] != '\0')
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

static void
hex(const unsigned char *md, unsigned int n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ------------------------------------------------------------------ */
/* Loading                                                            */
/* ------------------------------------------------------------------ */

struct entry {
	struct tl_tensor t;	/* first: tl_model_tensor_at returns &e->t */
	uint64_t	 begin, end;	/* data_offsets */
	void		*copy;	/* aligned copy of misaligned data, or NULL */
};

struct tl_model {
	unsigned char	*buf;		/* every byte of the file */
	size_t		 size;
	int		 mapped;	/* buf is a mapping, not malloc'd */
	uint64_t	 hdr_len;	/* N */
	json_t		*meta;		/* __metadata__["tl"], or NULL */
	struct entry	*ent;		/* sorted by begin: file order */
	size_t		 nent;
	int		 have_digest;
	char		 digest[65];
};

void
tl_model_free(struct tl_model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nent; i++) {
		free((char *)m->ent[i].t.name);
		free(m->ent[i].copy);
	}
	free(m->ent);
	json_decref(m->meta);
	if (m->mapped)
		munmap(m->buf, m->size);
	else
		free(m->buf);
	free(m);
}

/* A non-negative JSON integer in *OUT, or -1. */
static int
json_u64(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
parse_shape(struct entry *en, json_t *shape, const char *nm, struct tl_err *e)
{
	size_t n;

	if (!json_is_array(shape))
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': shape: expected "
		    "an array of non-negative integers, found %s", nm,
		    shape == NULL ? "none" : "another JSON type");
	if ((n = json_array_size(shape)) > TL_TENSOR_MAXDIM)
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': shape has %zu "
		    "dimensions, expected at most %d", nm, n, TL_TENSOR_MAXDIM);
	en->t.ndim = (int)n;
	for (size_t i = 0; i < n; i++)
		if (json_u64(json_array_get(shape, i), &en->t.shape[i]) == -1)
			return tl_errf_byte(e, HEADER_POS, "tensor '%s': "
			    "shape[%zu]: expected a non-negative integer", nm,
			    i);
	return 0;
}

static int
parse_offsets(struct entry *en, json_t *off, uint64_t datasize,
    const char *nm, struct tl_err *e)
{
	if (!json_is_array(off) || json_array_size(off) != 2 ||
	    json_u64(json_array_get(off, 0), &en->begin) == -1 ||
	    json_u64(json_array_get(off, 1), &en->end) == -1)
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': data_offsets: "
		    "expected [BEGIN, END] of non-negative integers", nm);
	if (en->begin > en->end)
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': data_offsets "
		    "[%llu, %llu]: expected BEGIN <= END", nm,
		    (unsigned long long)en->begin,
		    (unsigned long long)en->end);
	if (en->end > datasize)
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': data_offsets "
		    "[%llu, %llu]: expected END <= %llu, the size of the data",
		    nm, (unsigned long long)en->begin,
		    (unsigned long long)en->end, (unsigned long long)datasize);
	return 0;
}

/* Check the header entry V of tensor NAME and fill EN from it. */
static int
parse_tensor(struct entry *en, const char *name, json_t *v, uint64_t datasize,
    struct tl_err *e)
{
	char nm[64], sh[128];
	json_t *dt;
	uint64_t nbytes;
	size_t esize;

	shown(name, nm);
	if (!json_is_object(v))
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': expected an "
		    "object {\"dtype\", \"shape\", \"data_offsets\"}", nm);
	dt = json_object_get(v, "dtype");
	if (!json_is_string(dt))
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': dtype: "
		    "expected a string", nm);
	if (dtype_parse(json_string_value(dt), &en->t.dtype) == -1) {
		char d[64];

		return tl_errf_byte(e, HEADER_POS, "tensor '%s': unsupported "
		    "dtype '%s', expected F32, F16, I32, I64 or U8", nm,
		    shown(json_string_value(dt), d));
	}
	if (parse_shape(en, json_object_get(v, "shape"), nm, e) == -1 ||
	    parse_offsets(en, json_object_get(v, "data_offsets"), datasize,
	    nm, e) == -1)
		return -1;
	esize = tl_dtype_size(en->t.dtype);
	shape_str(en->t.shape, en->t.ndim, sh, sizeof(sh));
	if (shape_bytes(en->t.shape, en->t.ndim, esize, &nbytes) == -1)
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': shape %s of %s "
		    "is too large (its size overflows 64 bits)", nm, sh,
		    tl_dtype_name(en->t.dtype));
	if (en->end - en->begin != nbytes)
		return tl_errf_byte(e, HEADER_POS, "tensor '%s': data_offsets "
		    "span %llu bytes, expected %llu for shape %s of %s", nm,
		    (unsigned long long)(en->end - en->begin),
		    (unsigned long long)nbytes, sh,
		    tl_dtype_name(en->t.dtype));
	en->t.nbytes = (size_t)nbytes;	/* <= datasize <= SIZE_MAX */
	if ((en->t.name = strdup(name)) == NULL)
		return tl_errf(e, "out of memory");
	return 0;
}

/* Check __metadata__ (an object of strings) and parse its "tl" member. */
static int
parse_metadata(struct tl_model *m, json_t *md, struct tl_err *e)
{
	const char *key, *tl = NULL;
	json_t *v;
	json_error_t jerr;
	char k[64];

	if (!json_is_object(md))
		return tl_errf_byte(e, HEADER_POS, "__metadata__: expected an "
		    "object of strings");
	json_object_foreach(md, key, v) {
		if (!json_is_string(v))
			return tl_errf_byte(e, HEADER_POS, "__metadata__[\"%s\"]: "
			    "expected a string", shown(key, k));
		if (strcmp(key, "tl") == 0)
			tl = json_string_value(v);
	}
	if (tl == NULL)
		return 0;
	m->meta = json_loads(tl, JSON_REJECT_DUPLICATES, &jerr);
	if (m->meta == NULL)
		return tl_errf_byte(e, HEADER_POS, "__metadata__[\"tl\"]: not "
		    "valid JSON: character %d: %s", jerr.position, jerr.text);
	if (!json_is_object(m->meta))
		return tl_errf_byte(e, HEADER_POS, "__metadata__[\"tl\"]: "
		    "expected a JSON object, found an array");
	v = json_object_get(m->meta, "format_version");
	if (v != NULL && !(json_is_integer(v) && json_integer_value(v) == 1))
		return tl_errf_byte(e, HEADER_POS, "__metadata__[\"tl\"]: "
		    "format_version is not 1, the only one this version "
		    "reads");
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->t.name, y->t.name);
}

/* Sort the tensors into file order and check that their data cover the
 * DATASIZE bytes after the header exactly, as the format says and the
 * reference reader checks: no overlaps, no gaps, nothing after them (a
 * file with more would not load there). */
static int
check_coverage(struct tl_model *m, uint64_t datasize, struct tl_err *e)
{
	const struct entry *prev = NULL;
	uint64_t at = 0, base = 8 + m->hdr_len;
	char a[64], b[64];

	qsort(m->ent, m->nent, sizeof(*m->ent), entry_cmp);
	for (size_t i = 0; i < m->nent; i++) {
		const struct entry *en = &m->ent[i];

		if (en->begin == en->end)
			continue;	/* empty: overlaps nothing */
		/* sorted and disjoint so far: prev ends furthest */
		if (prev != NULL && en->begin < prev->end)
			return tl_errf_byte(e, base + en->begin,
			    "tensor '%s' [%llu, %llu) overlaps tensor '%s' "
			    "[%llu, %llu)", shown(en->t.name, a),
			    (unsigned long long)en->begin,
			    (unsigned long long)en->end,
			    shown(prev->t.name, b),
			    (unsigned long long)prev->begin,
			    (unsigned long long)prev->end);
		if (en->begin > at)
			return tl_errf_byte(e, base + at, "data bytes [%llu, "
			    "%llu) belong to no tensor",
			    (unsigned long long)at,
			    (unsigned long long)en->begin);
		at = en->end;
		prev = en;
	}
	if (at < datasize)
		return tl_errf_byte(e, base + at, "%llu bytes after the last "
		    "tensor's data", (unsigned long long)(datasize - at));
	return 0;
}

/*
 * Point every tensor at its bytes.  A foreign writer may leave a tensor at
 * an offset that is not a multiple of its element size; such a tensor is
 * copied so that callers can always use it as a typed array.
 */
static int
place_data(struct tl_model *m, struct tl_err *e)
{
	const unsigned char *base = m->buf + 8 + m->hdr_len;

	for (size_t i = 0; i < m->nent; i++) {
		struct entry *en = &m->ent[i];
		const unsigned char *p = base + en->begin;

		if (en->t.nbytes == 0) {
			en->t.data = empty_tensor;
			continue;
		}
		if ((uintptr_t)p % tl_dtype_size(en->t.dtype) == 0) {
			en->t.data = p;
			continue;
		}
		if ((en->copy = malloc(en->t.nbytes)) == NULL)
			return tl_errf(e, "out of memory copying a misaligned "
			    "tensor of %zu bytes", en->t.nbytes);
		memcpy(en->copy, p, en->t.nbytes);
		en->t.data = en->copy;
	}
	return 0;
}

/* The length word and the JSON header: fills m->hdr_len, returns the
 * parsed header (new reference) or NULL. */
static json_t *
parse_header(struct tl_model *m, struct tl_err *e)
{
	const unsigned char *b = m->buf;
	json_error_t jerr;
	json_t *hdr;
	uint64_t n = 0;

	if (m->size < 8) {
		tl_errf_byte(e, m->size, "file ends after %zu bytes, expected "
		    "at least 8 (the header length)", m->size);
		return NULL;
	}
	if (tl_vec_starts_stream(b, m->size)) {
		tl_errf_byte(e, 0, "a vector stream (see tl-formats(5)), not "
		    "a model file");
		return NULL;
	}
	for (int i = 7; i >= 0; i--)
		n = n << 8 | b[i];
	if (n > m->size - 8) {
		tl_errf_byte(e, 0, "header length %llu exceeds the %llu bytes "
		    "that follow it", (unsigned long long)n,
		    (unsigned long long)(m->size - 8));
		return NULL;
	}
	if (n > HEADER_MAX) {
		tl_errf_byte(e, 0, "header length %llu exceeds the limit of "
		    "%llu", (unsigned long long)n,
		    (unsigned long long)HEADER_MAX);
		return NULL;
	}
	m->hdr_len = n;
	hdr = json_loadb((const char *)b + 8, n, JSON_REJECT_DUPLICATES, &jerr);
	if (hdr == NULL) {
		tl_errf_byte(e, 8 + (uint64_t)jerr.position, "header: %s",
		    jerr.text);
		return NULL;
	}
	if (!json_is_object(hdr)) {
		json_decref(hdr);
		tl_errf_byte(e, 8, "header: expected a JSON object, found an "
		    "array");
		return NULL;
	}
	return hdr;
}

/* Validate m->buf and build the tensor table.  0, or -1 with E filled. */
static int
model_parse(struct tl_model *m, struct tl_err *e)
{
	json_t *hdr, *v;
	const char *key;
	uint64_t datasize;
	int rc = -1;

	if ((hdr = parse_header(m, e)) == NULL)
		return -1;
	datasize = m->size - 8 - m->hdr_len;
	m->ent = calloc(json_object_size(hdr) + 1, sizeof(*m->ent));
	if (m->ent == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	json_object_foreach(hdr, key, v) {
		if (strcmp(key, "__metadata__") == 0) {
			if (parse_metadata(m, v, e) == -1)
				goto out;
			continue;
		}
		/* counted before parsing, so that free releases its name */
		if (parse_tensor(&m->ent[m->nent++], key, v, datasize, e) == -1)
			goto out;
	}
	if (check_coverage(m, datasize, e) == -1 || place_data(m, e) == -1)
		goto out;
	rc = 0;
out:
	json_decref(hdr);
	return rc;
}

/* Take ownership of BUF (SIZE bytes; MAPPED: munmap, else free) and
 * validate it. */
static struct tl_model *
model_from(unsigned char *buf, size_t size, int mapped, struct tl_err *e)
{
	struct tl_model *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		if (mapped)
			munmap(buf, size);
		else
			free(buf);
		tl_errf(e, "out of memory");
		return NULL;
	}
	m->buf = buf;
	m->size = size;
	m->mapped = mapped;
	if (model_parse(m, e) == -1) {
		tl_model_free(m);
		return NULL;
	}
	return m;
}

struct tl_model *
tl_model_load_mem(const void *buf, size_t n, struct tl_err *e)
{
	unsigned char *copy;

	/* one byte more, so that an empty input is not malloc(0) */
	if ((copy = malloc(n + 1)) == NULL) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	if (n > 0)
		memcpy(copy, buf, n);
	return model_from(copy, n, 0, e);
}

struct tl_model *
tl_model_view(const struct tl_model *m, const char *prefix, json_t *meta,
    const char *digest, struct tl_err *e)
{
	struct tl_model *v;
	size_t plen = strlen(prefix);

	/* No META is left to the loaders that read it, as for a file. */
	if (digest == NULL || strlen(digest) != 64 ||
	    (meta != NULL && !json_is_object(meta)))
		return tl_errf(e, "a view needs a SHA-256 and an object"),
		    NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->ent = calloc(m->nent ? m->nent : 1, sizeof(*v->ent))) ==
	    NULL) {
		free(v);
		return tl_errf(e, "out of memory"), NULL;
	}
	for (size_t i = 0; i < m->nent; i++) {
		struct entry *en = &v->ent[v->nent];

		if (strncmp(m->ent[i].t.name, prefix, plen) != 0)
			continue;
		*en = m->ent[i];
		en->copy = NULL;	/* the data stay M's */
		if ((en->t.name = strdup(m->ent[i].t.name + plen)) == NULL) {
			tl_model_free(v);
			return tl_errf(e, "out of memory"), NULL;
		}
		v->nent++;
	}
	v->meta = json_incref(meta);
	memcpy(v->digest, digest, 65);
	v->have_digest = 1;
	return v;
}

/* Read all of FD (a pipe, a terminal, a special file) into *BUF. */
static int
read_all(int fd, unsigned char **buf, size_t *len, struct tl_err *e)
{
	unsigned char *b = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t r;

	for (;;) {
		if (cap - n < PIPE_CHUNK) {
			size_t ncap = cap ? cap * 2 : 4 * PIPE_CHUNK;

			if (ncap > PIPE_MAX + PIPE_CHUNK)
				ncap = PIPE_MAX + PIPE_CHUNK;
			if (n >= PIPE_MAX) {
				free(b);
				return tl_errf(e, "input exceeds %llu bytes: "
				    "name a file instead, so that it can be "
				    "mapped", (unsigned long long)PIPE_MAX);
			}
			if ((nb = realloc(b, ncap)) == NULL) {
				free(b);
				return tl_errf(e, "out of memory reading %zu "
				    "bytes", ncap);
			}
			b = nb;
			cap = ncap;
		}
		r = read(fd, b + n, cap - n);
		if (r == 0)
			break;
		if (r < 0) {
			int errnum = errno;

			if (errnum == EINTR)
				continue;
			free(b);
			return tl_errf_sys(e, errnum, "cannot read");
		}
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

/*
 * Map FD of SIZE bytes.  MAP_PRIVATE and PROT_READ: the model is never
 * changed through the mapping.  A file rewritten in place while mapped
 * could still change under us; tl itself always replaces models by rename.
 */
static int
map_file(int fd, off_t size, unsigned char **buf, struct tl_err *e)
{
	void *p;

	if ((uint64_t)size > SIZE_MAX)
		return tl_errf(e, "file of %llu bytes is too large to map",
		    (unsigned long long)size);
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return tl_errf_sys(e, errno, "cannot map");
	*buf = p;
	return 0;
}

struct tl_model *
tl_model_load(const char *path, struct tl_err *e)
{
	unsigned char *buf = NULL;
	size_t size = 0;
	struct stat st;
	int fd, stdin_ = path == NULL || strcmp(path, "-") == 0, rc, mapped = 0;

	if (stdin_) {
		if (tl_stdin_take_for_model(e) == -1)
			return NULL;
		fd = STDIN_FILENO;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		tl_errf_sys(e, errno, "cannot open");
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		tl_errf_sys(e, errno, "cannot stat");
		rc = -1;
	} else if ((mapped = S_ISREG(st.st_mode) && st.st_size >= 8)) {
		/* shorter files are read, so that the size check reports them */
		size = (size_t)st.st_size;
		rc = map_file(fd, st.st_size, &buf, e);
	} else
		rc = read_all(fd, &buf, &size, e);
	if (!stdin_)
		close(fd);
	if (rc == -1)
		return NULL;
	return model_from(buf, size, mapped, e);
}

/* ------------------------------------------------------------------ */
/* Access                                                             */
/* ------------------------------------------------------------------ */

json_t *
tl_model_meta(const struct tl_model *m)
{
	return m->meta;
}

const char *
tl_model_kind(const struct tl_model *m)
{
	if (m->meta == NULL)
		return NULL;
	return json_string_value(json_object_get(m->meta, "kind"));
}

/* A linear search: models hold a handful of tensors, looked up once. */
const struct tl_tensor *
tl_model_tensor(const struct tl_model *m, const char *name)
{
	for (size_t i = 0; i < m->nent; i++)
		if (strcmp(m->ent[i].t.name, name) == 0)
			return &m->ent[i].t;
	return NULL;
}

size_t
tl_model_ntensors(const struct tl_model *m)
{
	return m->nent;
}

const struct tl_tensor *
tl_model_tensor_at(const struct tl_model *m, size_t i)
{
	return i < m->nent ? &m->ent[i].t : NULL;
}

const float *
tl_model_f32(const struct tl_model *m, const char *name, int ndim,
    uint64_t *shape, struct tl_err *e)
{
	const struct tl_tensor *t = tl_model_tensor(m, name);
	char nm[64];

	if (t == NULL) {
		tl_errf(e, "tensor '%s': expected F32 with %d dimension%s, "
		    "found no such tensor", shown(name, nm), ndim,
		    ndim == 1 ? "" : "s");
		return NULL;
	}
	if (t->dtype != TL_DTYPE_F32 || t->ndim != ndim) {
		tl_errf(e, "tensor '%s': expected F32 with %d dimension%s, "
		    "found %s with %d", shown(name, nm), ndim,
		    ndim == 1 ? "" : "s", tl_dtype_name(t->dtype), t->ndim);
		return NULL;
	}
	for (int i = 0; i < ndim; i++)
		shape[i] = t->shape[i];
	return t->data;
}

const char *
tl_model_digest(struct tl_model *m)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;

	if (!m->have_digest) {
		if (!EVP_Digest(m->buf, m->size, md, &n, EVP_sha256(), NULL))
			return NULL;
		hex(md, n, m->digest);
		m->have_digest = 1;
	}
	return m->digest;
}

const char *
tl_model_digest_into(struct tl_model *m, char out[65])
{
	const char *hex = tl_model_digest(m);

	if (hex == NULL)
		return NULL;
	memcpy(out, hex, 65);
	return out;
}

uint64_t
tl_model_size(const struct tl_model *m)
{
	return m->size;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

struct wentry {
	char		*name;
	enum tl_dtype	 dtype;
	int		 ndim;
	uint64_t	 shape[TL_TENSOR_MAXDIM];
	const void	*data;
	uint64_t	 nbytes;
	size_t		 order;		/* order of addition: a stable sort */
};

struct tl_model_writer {
	struct wentry	*ent;
	size_t		 n, cap;
};

struct tl_model_writer *
tl_model_writer_new(void)
{
	return calloc(1, sizeof(struct tl_model_writer));
}

void
tl_model_writer_free(struct tl_model_writer *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->ent[i].name);
	free(w->ent);
	free(w);
}

/* Refuse what the loader would refuse, so a bad model is never written. */
static int
writer_check(const struct tl_model_writer *w, const char *name,
    enum tl_dtype dtype, int ndim, const uint64_t *shape, struct tl_err *e)
{
	json_t *s;
	char nm[64];

	if (name[0] == '\0' || strcmp(name, "__metadata__") == 0)
		return tl_errf(e, "tensor '%s': reserved name",
		    shown(name, nm));
	if ((s = json_string(name)) == NULL)
		return tl_errf(e, "tensor name '%s' is not valid UTF-8",
		    shown(name, nm));
	json_decref(s);
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->ent[i].name, name) == 0)
			return tl_errf(e, "tensor '%s': duplicate name",
			    shown(name, nm));
	if ((size_t)dtype >= NDTYPES)
		return tl_errf(e, "tensor '%s': unknown dtype %d",
		    shown(name, nm), (int)dtype);
	if (ndim < 0 || ndim > TL_TENSOR_MAXDIM)
		return tl_errf(e, "tensor '%s': %d dimensions, expected 0 to "
		    "%d", shown(name, nm), ndim, TL_TENSOR_MAXDIM);
	for (int i = 0; i < ndim; i++)
		if (shape[i] > INT64_MAX)	/* a JSON integer in jansson */
			return tl_errf(e, "tensor '%s': dimension %d is too "
			    "large", shown(name, nm), i);
	return 0;
}

int
tl_model_writer_add(struct tl_model_writer *w, const char *name,
    enum tl_dtype dtype, int ndim, const uint64_t *shape, const void *data,
    struct tl_err *e)
{
	struct wentry *we;
	char nm[64];

	if (writer_check(w, name, dtype, ndim, shape, e) == -1)
		return -1;
	if (w->n == w->cap) {
		size_t ncap = w->cap ? 2 * w->cap : 8;
		struct wentry *ne = realloc(w->ent, ncap * sizeof(*ne));

		if (ne == NULL)
			return tl_errf(e, "out of memory");
		w->ent = ne;
		w->cap = ncap;
	}
	we = &w->ent[w->n];
	memset(we, 0, sizeof(*we));
	we->dtype = dtype;
	we->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		we->shape[i] = shape[i];
	if (shape_bytes(shape, ndim, tl_dtype_size(dtype), &we->nbytes) == -1 ||
	    we->nbytes > SIZE_MAX)
		return tl_errf(e, "tensor '%s': too large", shown(name, nm));
	if (we->nbytes > 0 && data == NULL)
		return tl_errf(e, "tensor '%s': no data", shown(name, nm));
	we->data = data;
	we->order = w->n;
	if ((we->name = strdup(name)) == NULL)
		return tl_errf(e, "out of memory");
	w->n++;
	return 0;
}

/* Largest elements first, then in order of addition: with no gaps, every
 * tensor then starts at a multiple of its element size. */
static int
wentry_cmp(const void *a, const void *b)
{
	const struct wentry *x = a, *y = b;
	size_t sx = tl_dtype_size(x->dtype), sy = tl_dtype_size(y->dtype);

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The header object for the tensors in their sorted order and META. */
static json_t *
writer_header(struct tl_model_writer *w, json_t *meta, struct tl_err *e)
{
	json_t *hdr, *t, *shape;
	char *desc;
	uint64_t off = 0;

	if ((hdr = json_object()) == NULL)
		goto oom;
	for (size_t i = 0; i < w->n; i++) {
		struct wentry *we = &w->ent[i];

		if ((shape = json_array()) == NULL)
			goto oom;
		for (int d = 0; d < we->ndim; d++)
			if (json_array_append_new(shape,
			    json_integer((json_int_t)we->shape[d])) == -1) {
				json_decref(shape);
				goto oom;
			}
		t = json_pack("{s:s,s:o,s:[I,I]}", "dtype",
		    tl_dtype_name(we->dtype), "shape", shape, "data_offsets",
		    (json_int_t)off, (json_int_t)(off + we->nbytes));
		if (t == NULL || json_object_set_new(hdr, we->name, t) == -1)
			goto oom;
		off += we->nbytes;
	}
	if (meta == NULL)
		return hdr;
	if (!json_is_object(meta)) {
		json_decref(hdr);
		tl_errf(e, "model description is not a JSON object");
		return NULL;
	}
	if ((desc = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto oom;
	t = json_pack("{s:s}", "tl", desc);
	free(desc);
	if (t == NULL || json_object_set_new(hdr, "__metadata__", t) == -1)
		goto oom;
	return hdr;
oom:
	json_decref(hdr);
	tl_errf(e, "out of memory");
	return NULL;
}

struct sink {
	FILE		*f;
	EVP_MD_CTX	*md;
};

/* Write and hash N bytes.  0, or -1 with the write's errno in E. */
static int
put(struct sink *s, const void *p, size_t n, struct tl_err *e)
{
	if (n == 0)
		return 0;
	errno = 0;
	if (fwrite(p, 1, n, s->f) != n)
		return tl_errf_sys(e, errno ? errno : EIO, "write error");
	if (!EVP_DigestUpdate(s->md, p, n))
		return tl_errf(e, "SHA-256 failed");
	return 0;
}

static int
writer_emit(struct tl_model_writer *w, struct sink *s, const char *hdr,
    struct tl_err *e)
{
	static const char spaces[8] = "        ";
	unsigned char len[8];
	size_t n = strlen(hdr), pad = (8 - (8 + n) % 8) % 8;
	uint64_t total = (uint64_t)n + pad;

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(total >> (8 * i));
	if (put(s, len, 8, e) == -1 || put(s, hdr, n, e) == -1 ||
	    put(s, spaces, pad, e) == -1)
		return -1;
	for (size_t i = 0; i < w->n; i++)
		if (put(s, w->ent[i].data, w->ent[i].nbytes, e) == -1)
			return -1;
	errno = 0;
	if (fflush(s->f) != 0)
		return tl_errf_sys(e, errno ? errno : EIO, "write error");
	return 0;
}

int
tl_model_writer_write(struct tl_model_writer *w, json_t *meta, FILE *f,
    char digest[65], struct tl_err *e)
{
	struct sink s = { f, NULL };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	json_t *hdr;
	char *text = NULL;
	int rc = -1;

	qsort(w->ent, w->n, sizeof(*w->ent), wentry_cmp);
	if ((hdr = writer_header(w, meta, e)) == NULL)
		return -1;
	text = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(hdr);
	if (text == NULL || (s.md = EVP_MD_CTX_new()) == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	if (!EVP_DigestInit_ex(s.md, EVP_sha256(), NULL)) {
		tl_errf(e, "SHA-256 failed");
		goto out;
	}
	if (writer_emit(w, &s, text, e) == -1)
		goto out;
	if (!EVP_DigestFinal_ex(s.md, md, &mdlen)) {
		tl_errf(e, "SHA-256 failed");
		goto out;
	}
	hex(md, mdlen, digest);
	rc = 0;
out:
	EVP_MD_CTX_free(s.md);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Descriptions                                                       */
/* ------------------------------------------------------------------ */

json_t *
tl_meta_new(const char *kind, const char *tool)
{
	char version[256];

	snprintf(version, sizeof(version), "%s %s", tool, TL_VERSION);
	return json_pack("{s:s,s:i,s:s,s:s,s:[]}", "format", "tl",
	    "format_version", 1, "kind", kind, "tool", version, "lineage");
}

int
tl_meta_add_parent(json_t *meta, const char *digest, const char *kind,
    const char *role)
{
	json_t *lineage = json_object_get(meta, "lineage");

	if (lineage == NULL) {
		if (json_object_set_new(meta, "lineage", json_array()) == -1)
			return -1;
		lineage = json_object_get(meta, "lineage");
	}
	if (!json_is_array(lineage))
		return -1;
	return json_array_append_new(lineage, json_pack("{s:s,s:s?,s:s}",
	    "sha256", digest, "kind", kind, "role", role));
}
