/*
 * The vector stream reader and writer (see vecstream.h; man/tl-formats.5
 * is the specification).  Both forms are read through one input buffer
 * that is filled in large fread() chunks and grows geometrically only when
 * a line or record does not fit; text lines are parsed in place with
 * tl_parse_float, and a block's ids and labels go to the block's own arena,
 * which is reused from one read to the next, so a streaming loop makes no
 * allocation per record.  The writer formats into its own large buffer and
 * hands it to fwrite() whole.
 *
 * Every input is distrusted: lengths are checked against fixed limits
 * before anything is allocated, and each error names the line (text) or
 * byte offset (binary) at fault.  The binary form is little-endian and
 * read and written in host order, so tl builds only on little-endian hosts
 * (the static assertion below).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt.h"
#include "vecstream.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "the binary vector stream is little-endian and read in host order");

#define VS_VERSION	1
#define VS_MAGIC	"TLVB"
#define VS_MAX_DIM	((size_t)1 << 24)	/* values per record */
#define VS_MAX_STRING	((uint32_t)1 << 20)	/* binary id or label bytes */
#define VS_MAX_HEADER	((uint32_t)1 << 28)	/* binary header JSON bytes */
#define VS_BLOCK_VALUES	((size_t)1 << 24)	/* a block's values at most */
#define VS_MAX_LINE	((size_t)1 << 30)	/* text line bytes */
#define VS_CHUNK	((size_t)1 << 18)	/* initial input buffer */
#define VS_OUTBUF	((size_t)1 << 17)	/* writer buffer */
#define VS_SHOW		40			/* bytes of a bad value quoted */
/* said when a vector stream looks like text */
#define TEXT_HINT	" (text? tl-embed turns it into vectors)"
#define VS_MAX_SPARSE	((uint64_t)UINT32_MAX + 1)	/* buckets: u32 indices */

/* ---------------------------------------------------------------- header */

void
tl_vechdr_init(struct tl_vechdr *h)
{
	memset(h, 0, sizeof(*h));
}

static void
free_strings(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
tl_vechdr_free(struct tl_vechdr *h)
{
	free_strings(h->names, h->dim);
	free_strings(h->stacked, h->nstacked);
	tl_vechdr_init(h);
}

/* A new array of copies of the N strings V, or NULL when out of memory
 * (N == 0 gives a valid empty array). */
static char **
copy_strings(const char *const *v, size_t n)
{
	char **c = calloc(n ? n : 1, sizeof(*c));

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((c[i] = strdup(v[i])) == NULL) {
			free_strings(c, i);
			return NULL;
		}
	return c;
}

int
tl_vechdr_set_names(struct tl_vechdr *h, size_t dim, const char *const *names,
    struct tl_err *e)
{
	char **c = NULL;

	if (names != NULL && (c = copy_strings(names, dim)) == NULL)
		return tl_errf(e, "out of memory");
	free_strings(h->names, h->dim);
	h->names = c;
	h->dim = dim;
	return 0;
}

int
tl_vechdr_add_stacked(struct tl_vechdr *h, const char *digest,
    struct tl_err *e)
{
	char **v, *s;

	if ((s = strdup(digest)) == NULL ||
	    (v = realloc(h->stacked, (h->nstacked + 1) * sizeof(*v))) ==
	    NULL) {
		free(s);
		return tl_errf(e, "out of memory");
	}
	v[h->nstacked++] = s;
	h->stacked = v;
	return 0;
}

int
tl_vechdr_copy(struct tl_vechdr *dst, const struct tl_vechdr *src,
    struct tl_err *e)
{
	struct tl_vechdr c;

	tl_vechdr_init(&c);
	c.dim = src->dim;
	c.sparse = src->sparse;
	memcpy(c.model, src->model, sizeof(c.model));
	c.model[sizeof(c.model) - 1] = '\0';
	memcpy(c.pool, src->pool, sizeof(c.pool));
	c.pool[sizeof(c.pool) - 1] = '\0';
	memcpy(c.lexical, src->lexical, sizeof(c.lexical));
	c.lexical[sizeof(c.lexical) - 1] = '\0';
	if ((src->names != NULL && (c.names = copy_strings(
	    (const char *const *)src->names, src->dim)) == NULL) ||
	    (src->nstacked > 0 && (c.stacked = copy_strings(
	    (const char *const *)src->stacked, src->nstacked)) == NULL)) {
		free_strings(c.names, c.dim);
		return tl_errf(e, "out of memory");
	}
	c.nstacked = src->nstacked;
	tl_vechdr_free(dst);
	*dst = c;
	return 0;
}

/* Is S the lowercase hex form of a SHA-256? */
static int
is_digest(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == 64 && s[n] == '\0';
}

/* The header object of H (new reference), or NULL with E filled in. */
static json_t *
hdr_to_json(const struct tl_vechdr *h, struct tl_err *e)
{
	json_t *o, *a;

	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "tl", json_string("vectors")) != 0 ||
	    json_object_set_new(o, "version", json_integer(VS_VERSION)) != 0 ||
	    json_object_set_new(o, "dim", json_integer((json_int_t)h->dim)))
		goto nomem;
	if (h->names != NULL) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o, "names", a) != 0)
			goto nomem;
		for (size_t i = 0; i < h->dim; i++)
			if (json_array_append_new(a,
			    json_string(h->names[i])) != 0) {
				json_decref(o);
				return tl_errf(e, "name %zu is not valid "
				    "UTF-8", i + 1), NULL;
			}
	}
	if (h->sparse > 0 && json_object_set_new(o, "sparse",
	    json_integer((json_int_t)h->sparse)) != 0)
		goto nomem;
	if (h->model[0] != '\0' &&
	    json_object_set_new(o, "model", json_string(h->model)) != 0) {
		json_decref(o);
		return tl_errf(e, "model digest is not valid UTF-8"), NULL;
	}
	if (h->nstacked > 0) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o, "stacked", a) != 0)
			goto nomem;
		for (size_t i = 0; i < h->nstacked; i++)
			if (json_array_append_new(a,
			    json_string(h->stacked[i])) != 0) {
				json_decref(o);
				return tl_errf(e, "stacked digest %zu is not "
				    "valid UTF-8", i + 1), NULL;
			}
	}
	/* last, so that the keys before keep their places */
	if (h->pool[0] != '\0' && json_object_set_new(o, "pool",
	    json_loads(h->pool, 0, NULL)) != 0) {
		json_decref(o);
		return tl_errf(e, "header: \"pool\" is not a JSON object"),
		    NULL;
	}
	if (h->lexical[0] != '\0' && json_object_set_new(o, "lexical",
	    json_loads(h->lexical, 0, NULL)) != 0) {
		json_decref(o);
		return tl_errf(e, "header: \"lexical\" is not a JSON object"),
		    NULL;
	}
	return o;
nomem:
	json_decref(o);
	return tl_errf(e, "out of memory"), NULL;
}

/* Copy the strings of the JSON array A (KEY in messages) into a new
 * array of N strings at *OUT.  0 or -1. */
static int
json_strings(json_t *a, const char *key, size_t n, char ***out,
    struct tl_err *e)
{
	char **v;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return tl_errf(e, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);

		if (!json_is_string(s)) {
			free_strings(v, i);
			return tl_errf(e, "header: %s[%zu] is not a string",
			    key, i);
		}
		if ((v[i] = strdup(json_string_value(s))) == NULL) {
			free_strings(v, i);
			return tl_errf(e, "out of memory");
		}
	}
	*out = v;
	return 0;
}

/* Fill H (empty) from the object O; see man/tl-formats.5 for the keys.
 * Unknown keys are ignored.  0, or -1 with E filled in (no position). */
/* The header's object V under KEY into BUF (TL_VECHDR_POOL bytes), as
 * compact JSON.  0 or -1. */
static int
hdr_object(json_t *v, const char *key, char *buf, struct tl_err *e)
{
	char *s;
	int rc = 0;

	if (!json_is_object(v))
		return tl_errf(e, "header: \"%s\" must be an object", key);
	if ((s = json_dumps(v, JSON_COMPACT)) == NULL)
		return tl_errf(e, "out of memory");
	if (strlen(s) >= TL_VECHDR_POOL)
		rc = tl_errf(e, "header: \"%s\" is longer than %d bytes",
		    key, TL_VECHDR_POOL - 1);
	else
		strcpy(buf, s);
	free(s);
	return rc;
}

static int
hdr_from_object(json_t *o, struct tl_vechdr *h, struct tl_err *e)
{
	json_t *v;
	json_int_t n;

	if (!json_is_object(o))
		return tl_errf(e, "header is not a JSON object");
	v = json_object_get(o, "tl");
	if (!json_is_string(v) || strcmp(json_string_value(v), "vectors"))
		return tl_errf(e, "not a vector stream header "
		    "(\"tl\" is not \"vectors\")");
	v = json_object_get(o, "version");
	if (!json_is_integer(v))
		return tl_errf(e, "header has no integer \"version\"");
	if (json_integer_value(v) != VS_VERSION)
		return tl_errf(e, "unsupported vector stream version %lld "
		    "(this tl reads version %d)",
		    (long long)json_integer_value(v), VS_VERSION);
	if ((v = json_object_get(o, "sparse")) != NULL && !json_is_false(v)) {
		if (!json_is_integer(v) || (n = json_integer_value(v)) < 1 ||
		    (unsigned long long)n > VS_MAX_SPARSE)
			return tl_errf(e, "header: \"sparse\" must be an "
			    "integer in [1, %llu]",
			    (unsigned long long)VS_MAX_SPARSE);
		h->sparse = (uint64_t)n;
	}
	v = json_object_get(o, "dim");
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 1 ||
	    (unsigned long long)n > VS_MAX_DIM)
		return tl_errf(e, "header: \"dim\" must be an integer in "
		    "[1, %zu]", VS_MAX_DIM);
	h->dim = (size_t)n;
	if ((v = json_object_get(o, "names")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) != h->dim)
			return tl_errf(e, "header: \"names\" must be an array "
			    "of %zu strings", h->dim);
		if (json_strings(v, "names", h->dim, &h->names, e) < 0)
			return -1;
	}
	if ((v = json_object_get(o, "model")) != NULL) {
		if (!json_is_string(v) || (json_string_value(v)[0] != '\0' &&
		    !is_digest(json_string_value(v))))
			return tl_errf(e, "header: \"model\" is not a hex "
			    "SHA-256");
		strcpy(h->model, json_string_value(v));
	}
	if ((v = json_object_get(o, "pool")) != NULL &&
	    hdr_object(v, "pool", h->pool, e) < 0)
		return -1;
	if ((v = json_object_get(o, "lexical")) != NULL &&
	    hdr_object(v, "lexical", h->lexical, e) < 0)
		return -1;
	if ((v = json_object_get(o, "stacked")) != NULL) {
		size_t i;

		if (!json_is_array(v))
			return tl_errf(e, "header: \"stacked\" is not an "
			    "array");
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)) ||
			    !is_digest(json_string_value(json_array_get(v, i))))
				return tl_errf(e, "header: stacked[%zu] is "
				    "not a hex SHA-256", i);
		if (json_strings(v, "stacked", i, &h->stacked, e) < 0)
			return -1;
		h->nstacked = i;
	}
	return 0;
}

/* Parse the N bytes of JSON at S into H (initialised; freed on error). */
static int
hdr_parse(const char *s, size_t n, struct tl_vechdr *h, struct tl_err *e)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	if ((o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return tl_errf(e, "bad header: %s", jerr.text);
	rc = hdr_from_object(o, h, e);
	json_decref(o);
	if (rc < 0)
		tl_vechdr_free(h);
	return rc;
}

int
tl_vec_starts_stream(const void *p, size_t n)
{
	static const char text[] = "#{\"tl\":\"vectors\"";
	static const char binary[] = VS_MAGIC "\1\0\0\0";	/* version 1 */

	return (n >= sizeof(text) - 1 && memcmp(p, text, sizeof(text) - 1) ==
	    0) || (n >= sizeof(binary) - 1 && memcmp(p, binary,
	    sizeof(binary) - 1) == 0);
}

/* --------------------------------------------------------------- blocks */

size_t
tl_vecblock_rows(size_t want, size_t dim)
{
	size_t most = dim > 0 ? VS_BLOCK_VALUES / dim : want;

	return want < most ? want : most > 0 ? most : 1;
}

int
tl_vecblock_init(struct tl_vecblock *b, size_t cap, size_t dim,
    struct tl_err *e)
{
	memset(b, 0, sizeof(*b));
	if (cap == 0)
		return tl_errf(e, "a block must hold at least one record");
	if (dim > VS_MAX_DIM || cap > SIZE_MAX / sizeof(float) /
	    (dim ? dim : 1) || cap > SIZE_MAX / sizeof(uint64_t))
		return tl_errf(e, "block of %zu x %zu values is too large",
		    cap, dim);
	b->cap = cap;
	b->dim = dim;
	b->arena_cap = 4096;
	if ((b->x = malloc(cap * (dim ? dim : 1) * sizeof(float))) == NULL ||
	    (b->id = malloc(cap * sizeof(*b->id))) == NULL ||
	    (b->label = malloc(cap * sizeof(*b->label))) == NULL ||
	    (b->pos = malloc(cap * sizeof(*b->pos))) == NULL ||
	    (b->arena = malloc(b->arena_cap)) == NULL) {
		tl_vecblock_free(b);
		return tl_errf(e, "out of memory");
	}
	return 0;
}

void
tl_vecblock_free(struct tl_vecblock *b)
{
	free(b->x);
	free(b->id);
	free(b->label);
	free(b->pos);
	free(b->arena);
	free(b->sp_off);
	free(b->sp_idx);
	free(b->sp_val);
	memset(b, 0, sizeof(*b));
}

/* Append the N bytes at S and a NUL to B's arena; their offset there goes
 * to *OFF (pointers are set once the block is full, as the arena moves). */
static int
arena_put(struct tl_vecblock *b, const char *s, size_t n, size_t *off,
    struct tl_err *e)
{
	if (n >= b->arena_cap - b->arena_len) {
		size_t cap = b->arena_cap;
		char *a;

		while (n >= cap - b->arena_len) {
			if (cap > SIZE_MAX / 2)
				return tl_errf(e, "out of memory");
			cap *= 2;
		}
		if ((a = realloc(b->arena, cap)) == NULL)
			return tl_errf(e, "out of memory");
		b->arena = a;
		b->arena_cap = cap;
	}
	memcpy(b->arena + b->arena_len, s, n);
	b->arena[b->arena_len + n] = '\0';
	*off = b->arena_len;
	b->arena_len += n + 1;
	return 0;
}

/* Make room in B for MORE sparse pairs after record b->n's first. */
static int
sp_reserve(struct tl_vecblock *b, size_t more, struct tl_err *e)
{
	size_t need = b->sp_off[b->n] + more, cap = b->sp_cap ? b->sp_cap :
	    4096;
	uint32_t *i;
	float *v;

	if (need <= b->sp_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((i = realloc(b->sp_idx, cap * sizeof(*i))) == NULL)
		return tl_errf(e, "out of memory");
	b->sp_idx = i;
	if ((v = realloc(b->sp_val, cap * sizeof(*v))) == NULL)
		return tl_errf(e, "out of memory");
	b->sp_val = v;
	b->sp_cap = cap;
	return 0;
}

/* --------------------------------------------------------------- reader */

struct tl_vecreader {
	FILE		*f;
	struct tl_vechdr hdr;
	int		 binary;
	char		*buf;		/* input; bytes [beg, end) unused */
	size_t		 cap, beg, end;
	size_t		 scan;		/* text: no LF in [beg, scan) */
	int		 eof;
	uint64_t	 base;		/* stream offset of buf[0] */
	uint64_t	 line;		/* text: number of the last line taken */
	int		 headed;	/* text: the first line was a header */
	const char	*pend;		/* text: first record, read ahead */
	size_t		 pend_len;
	size_t		*soff;		/* arena offsets of ids and labels */
	size_t		 soff_cap;
};

/* Move the unused bytes to the front of the buffer, make room for at
 * least WANT of them (growing the buffer), and read once more.  Sets
 * r->eof at end of input.  0 or -1. */
static int
fill(struct tl_vecreader *r, size_t want, struct tl_err *e)
{
	size_t n;

	if (r->beg > 0) {
		memmove(r->buf, r->buf + r->beg, r->end - r->beg);
		r->base += r->beg;
		r->end -= r->beg;
		r->scan -= r->beg;
		r->beg = 0;
	}
	if (want > r->cap || r->end == r->cap) {
		size_t cap = r->cap;
		char *b;

		while (cap < want || cap == r->end)
			cap *= 2;
		if ((b = realloc(r->buf, cap)) == NULL)
			return tl_errf(e, "out of memory");
		r->buf = b;
		r->cap = cap;
	}
	n = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
	r->end += n;
	if (n == 0) {
		if (ferror(r->f))
			return tl_errf_sys(e, errno ? errno : EIO,
			    "read error");
		r->eof = 1;
	}
	return 0;
}

/* Make N bytes available at r->buf + r->beg unless the input ends first.
 * Returns the bytes available (< N only at end of input), or -1. */
static long long
need(struct tl_vecreader *r, size_t n, struct tl_err *e)
{
	while (r->end - r->beg < n && !r->eof)
		if (fill(r, n, e) < 0)
			return -1;
	return (long long)(r->end - r->beg < n ? r->end - r->beg : n);
}

/* Take the next text line, without its LF and a CR before that, into
 * *S and *N (valid until the next call).  1, 0 at end of input, or -1. */
static int
next_line(struct tl_vecreader *r, const char **s, size_t *n,
    struct tl_err *e)
{
	char *nl;

	if (r->pend != NULL) {
		*s = r->pend;
		*n = r->pend_len;
		r->pend = NULL;
		return 1;
	}
	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl != NULL) {
			*s = r->buf + r->beg;
			*n = (size_t)(nl - *s);
			r->beg = r->scan = (size_t)(nl - r->buf) + 1;
			break;
		}
		r->scan = r->end;
		if (r->eof) {
			if (r->beg == r->end)
				return 0;
			*s = r->buf + r->beg;
			*n = r->end - r->beg;
			r->beg = r->end;
			break;
		}
		if (r->end - r->beg >= VS_MAX_LINE)
			return tl_errf_line(e, r->line + 1, "line longer "
			    "than %zu bytes", VS_MAX_LINE);
		if (fill(r, 0, e) < 0)
			return -1;
	}
	r->line++;
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

/* Whether H, the header of a stream joined to one whose first header is
 * FIRST (cat), fits it: the same dim and sparse part, and the same
 * embedding when both name one, since the first header speaks for the
 * whole stream.  0, or -1 with E filled in (no position). */
static int
later_header_check(const struct tl_vechdr *first, const struct tl_vechdr *h,
    struct tl_err *e)
{
	if (h->dim != first->dim)
		return tl_errf(e, "header with dim %zu in a stream of dim %zu",
		    h->dim, first->dim);
	if (h->sparse != first->sparse)
		return tl_errf(e, "header with sparse %llu in a stream of "
		    "sparse %llu", (unsigned long long)h->sparse,
		    (unsigned long long)first->sparse);
	if (h->model[0] != '\0' && first->model[0] != '\0' &&
	    strcmp(h->model, first->model) != 0)
		return tl_errf(e, "header of vectors made by embedding "
		    "%.12s... in a stream made by %.12s...", h->model,
		    first->model);
	return 0;
}

/* A header line (LINE, N bytes, starting with '#') after the first: the
 * start of a concatenated stream (later_header_check).  After records
 * that came without one it is a stream shuffled or cut by line tools: its
 * records would go unchecked, and a model trained on them would not know
 * its embedding. */
static int
text_later_header(struct tl_vecreader *r, const char *line, size_t n,
    struct tl_err *e)
{
	struct tl_vechdr h;
	int rc;

	if (!r->headed)
		return tl_errf_line(e, r->line, "a header line after records "
		    "without one (the stream shuffled or cut?): keep it "
		    "first: { head -n 1 FILE; tail -n +2 FILE | shuf; }");
	tl_vechdr_init(&h);
	rc = hdr_parse(line + 1, n - 1, &h, e) < 0 ? -1 :
	    later_header_check(&r->hdr, &h, e);
	tl_vechdr_free(&h);
	if (rc < 0) {
		e->pos_kind = TL_POS_LINE;
		e->pos = r->line;
	}
	return rc;
}

static int
text_open(struct tl_vecreader *r, struct tl_err *e)
{
	const char *s;
	size_t n, fields;
	int rc;

	while ((rc = next_line(r, &s, &n, e)) == 1 && n == 0)
		;	/* empty lines */
	if (rc <= 0)
		return rc;	/* an empty stream has dim 0 */
	if (r->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		/* a UTF-8 byte order mark, as some editors write */
		s += 3;
		n -= 3;
		if (n == 0)
			return text_open(r, e);
	}
	if (s[0] == '#') {
		if (hdr_parse(s + 1, n - 1, &r->hdr, e) < 0) {
			e->pos_kind = TL_POS_LINE;
			e->pos = r->line;
			return -1;
		}
		r->headed = 1;
		return 0;
	}
	/* no header: the first record gives the dim, and is read again */
	fields = 1;
	for (const char *p = s; (p = memchr(p, '\t', n - (size_t)(p - s)));
	    p++)
		fields++;
	if (fields < 3)
		return tl_errf_line(e, r->line, "expected id, label and "
		    "values, found %zu field%s%s", fields, fields > 1 ? "s" :
		    "", TEXT_HINT);
	if (fields - 2 > VS_MAX_DIM)
		return tl_errf_line(e, r->line, "%zu values exceed the limit "
		    "of %zu", fields - 2, VS_MAX_DIM);
	r->hdr.dim = fields - 2;
	r->pend = s;
	r->pend_len = n;
	return 0;
}

/* The number of TAB-separated fields in [S, END). */
static size_t
count_fields(const char *s, const char *end)
{
	size_t n = 1;

	while ((s = memchr(s, '\t', (size_t)(end - s))) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* What a value of N bytes at P with a blank inside it (words, or values
 * separated by blanks) probably is; "" without one. */
static const char *
blank_hint(const char *p, size_t n)
{
	int inside = 0, letter = 0;

	for (size_t i = 1; i + 1 < n; i++)
		inside |= p[i] == ' ' && p[i - 1] != ' ' && p[i + 1] != ' ';
	for (size_t i = 0; i < n && inside && !letter; i++)
		letter = isalpha((unsigned char)p[i]) || (p[i] & 0x80);
	return !inside ? "" : letter ? TEXT_HINT :
	    " (values are separated by TABs)";
}

/* The error for the value field at P (column COL) of the line [S, END)
 * that did not parse: a wrong field count takes precedence. */
static int
bad_value(struct tl_vecreader *r, const char *s, const char *end,
    const char *p, size_t col, struct tl_err *e)
{
	const char *fe = memchr(p, '\t', (size_t)(end - p));
	size_t fields = count_fields(s, end), n, digits;
	char v[VS_SHOW + 4], *ep;
	double d;

	if (fields != r->hdr.dim + 2 && r->hdr.sparse == 0)
		return tl_errf_line(e, r->line, "expected %zu values, found "
		    "%zu", r->hdr.dim, fields - 2);
	n = (size_t)((fe ? fe : end) - p);
	if (n == 0)
		return tl_errf_line(e, r->line, "empty value in column %zu",
		    col);
	if (memchr(p, '\0', n) != NULL)
		return tl_errf_line(e, r->line, "a NUL byte in the value in "
		    "column %zu", col);
	memcpy(v, p, n < VS_SHOW ? n : VS_SHOW);
	strcpy(v + (n < VS_SHOW ? n : VS_SHOW), n <= VS_SHOW ? "" : "...");
	digits = strspn(v, "0123456789");
	if (digits > 0 && digits < n && v[digits] == ':')
		return r->hdr.sparse ? tl_errf_line(e, r->line, "sparse "
		    "field '%s' in column %zu, among the %zu dense values", v,
		    col, r->hdr.dim) : tl_errf_line(e, r->line, "sparse field "
		    "'%s' in column %zu, but the header has no \"sparse\"", v,
		    col);
	/* what strtod takes whole but tl_parse_float refused is out of
	 * float range or not finite (or hexadecimal) */
	if (n <= VS_SHOW && !isspace((unsigned char)v[0])) {
		d = strtod(v, &ep);
		if (ep != v && *ep == '\0') {
			if (isnan(d) || strpbrk(v, "iInN") != NULL)
				return tl_errf_line(e, r->line, "non-finite "
				    "value '%s' in column %zu", v, col);
			if (strpbrk(v, "xX") == NULL)
				return tl_errf_line(e, r->line, "out-of-range "
				    "value '%s' in column %zu", v, col);
		}
	}
	return tl_errf_line(e, r->line, "bad value '%s' in column %zu%s", v,
	    col, blank_hint(p, n));
}

/* The error for the sparse field at P (column COL) of a line ending at
 * END: WHY, and the field quoted. */
static int
bad_sparse(struct tl_vecreader *r, const char *p, const char *end,
    size_t col, const char *why, struct tl_err *e)
{
	const char *fe = memchr(p, '\t', (size_t)(end - p));
	size_t n = (size_t)((fe ? fe : end) - p);

	return tl_errf_line(e, r->line, "%s '%.*s%s' in column %zu", why,
	    (int)(n < VS_SHOW ? n : VS_SHOW), p, n <= VS_SHOW ? "" : "...",
	    col);
}

/* Parse the sparse part of a text record, the "index:value" fields in
 * [P, END) (P at END or at the TAB before the first, in column COL), into
 * record b->n of B. */
static int
text_sparse(struct tl_vecreader *r, struct tl_vecblock *b, const char *p,
    const char *end, size_t col, struct tl_err *e)
{
	size_t k = b->sp_off[b->n];
	uint64_t idx, prev = 0;
	const char *q;
	float v;

	for (; p != end; col++) {
		p++;	/* the TAB */
		for (idx = 0, q = p; q < end && *q >= '0' && *q <= '9' &&
		    idx < VS_MAX_SPARSE; q++)
			idx = idx * 10 + (uint64_t)(*q - '0');
		if (q == p || q == end || *q != ':')
			return bad_sparse(r, p, end, col, "expected "
			    "index:value, found", e);
		if (idx >= b->sparse)
			return bad_sparse(r, p, end, col, "index out of range "
			    "of the header's \"sparse\" in", e);
		if (k > b->sp_off[b->n] && idx <= prev)
			return bad_sparse(r, p, end, col, "index not above "
			    "the previous one in", e);
		q = tl_parse_float(q + 1, end, &v);
		if (q == NULL || (q != end && *q != '\t'))
			return bad_sparse(r, p, end, col, "bad value in", e);
		if (k == b->sp_cap && sp_reserve(b, k - b->sp_off[b->n] + 1,
		    e) < 0)
			return -1;
		b->sp_idx[k] = (uint32_t)idx;
		b->sp_val[k++] = v;
		prev = idx;
		p = q;
	}
	b->sp_off[b->n + 1] = k;
	return 0;
}

/* Parse the record line [S, S + N) into record b->n of B. */
static int
text_record(struct tl_vecreader *r, struct tl_vecblock *b, const char *s,
    size_t n, struct tl_err *e)
{
	const char *end = s + n, *t1, *t2, *p, *q = NULL;
	float *x = b->x + b->n * b->dim;
	size_t j;

	if ((t1 = memchr(s, '\t', n)) == NULL)
		return tl_errf_line(e, r->line, "expected id, label and %zu "
		    "values, found 1 field", b->dim);
	if ((t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1))) == NULL)
		return tl_errf_line(e, r->line, "expected %zu values, found "
		    "0", b->dim);
	if (memchr(s, '\0', (size_t)(t2 - s)) != NULL)
		return tl_errf_line(e, r->line, "NUL byte in id or label");
	for (j = 0, p = t2 + 1; j < b->dim; j++, p = q + 1) {
		q = tl_parse_float(p, end, &x[j]);
		if (q == NULL || (q != end && *q != '\t'))
			return bad_value(r, s, end, p, j + 3, e);
		if (q == end && j + 1 < b->dim)
			return tl_errf_line(e, r->line, "expected %zu values, "
			    "found %zu", b->dim, j + 1);
	}
	if (b->sparse > 0) {
		if (text_sparse(r, b, q, end, b->dim + 3, e) < 0)
			return -1;
	} else if (q != end)
		return tl_errf_line(e, r->line, "expected %zu values, found "
		    "%zu", b->dim, count_fields(s, end) - 2);
	if (arena_put(b, s, (size_t)(t1 - s), &r->soff[2 * b->n], e) < 0 ||
	    arena_put(b, t1 + 1, (size_t)(t2 - t1 - 1),
	    &r->soff[2 * b->n + 1], e) < 0)
		return -1;
	b->pos[b->n++] = r->line;
	return 0;
}

static long
text_read(struct tl_vecreader *r, struct tl_vecblock *b, struct tl_err *e)
{
	const char *s;
	size_t n;
	int rc;

	while (b->n < b->cap) {
		if ((rc = next_line(r, &s, &n, e)) <= 0)
			return rc;
		if (n == 0)
			continue;
		if (s[0] == '#') {
			if (text_later_header(r, s, n, e) < 0)
				return -1;
			continue;
		}
		if (text_record(r, b, s, n, e) < 0)
			return -1;
	}
	return 0;
}

static uint32_t
get_u32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Read the binary header at the current position (its magic checked by
 * the caller) into H (initialised).  0 or -1. */
static int
bin_header(struct tl_vecreader *r, struct tl_vechdr *h, struct tl_err *e)
{
	uint64_t off = r->base + r->beg;
	uint32_t len;
	long long got;

	if ((got = need(r, 12, e)) < 0)
		return -1;
	if (got < 12)
		return tl_errf_byte(e, off, "truncated header: expected 12 "
		    "bytes, found %lld", got);
	if (get_u32(r->buf + r->beg + 4) != VS_VERSION)
		return tl_errf_byte(e, off + 4, "unsupported binary vector "
		    "stream version %lu (this tl reads version %d)",
		    (unsigned long)get_u32(r->buf + r->beg + 4), VS_VERSION);
	len = get_u32(r->buf + r->beg + 8);
	if (len > VS_MAX_HEADER)
		return tl_errf_byte(e, off + 8, "header length %lu exceeds "
		    "the limit of %lu bytes", (unsigned long)len,
		    (unsigned long)VS_MAX_HEADER);
	r->beg += 12;
	if ((got = need(r, len, e)) < 0)
		return -1;
	if (got < len)
		return tl_errf_byte(e, off + 12, "truncated header: expected "
		    "%lu bytes of JSON, found %lld", (unsigned long)len, got);
	if (hdr_parse(r->buf + r->beg, len, h, e) < 0) {
		e->pos_kind = TL_POS_BYTE;
		e->pos = off + 12;
		return -1;
	}
	r->beg += len;
	return 0;
}

/* Check the id or label of N bytes at P (offset OFF) and store it. */
static int
bin_string(struct tl_vecblock *b, const char *p, uint32_t n, uint64_t off,
    const char *what, size_t *soff, struct tl_err *e)
{
	if (memchr(p, '\0', n) != NULL)
		return tl_errf_byte(e, off, "NUL byte in %s", what);
	return arena_put(b, p, n, soff, e);
}

/* Read the sparse part of the binary record at OFF, whose bytes up to
 * the count are the first *TOTAL, into record b->n of B; add its length
 * to *TOTAL. */
static int
bin_sparse(struct tl_vecreader *r, struct tl_vecblock *b, uint64_t off,
    size_t *total, struct tl_err *e)
{
	size_t k = b->sp_off[b->n], len;
	uint32_t cnt, idx;
	long long got;
	const char *p;
	float v;

	if ((got = need(r, *total + 4, e)) < 0)
		return -1;
	if ((size_t)got < *total + 4)
		return tl_errf_byte(e, off, "truncated record: expected %zu "
		    "bytes, found %lld", *total + 4, got);
	off += *total;
	if ((cnt = get_u32(r->buf + r->beg + *total)) > VS_MAX_DIM ||
	    cnt > b->sparse)
		return tl_errf_byte(e, off, "sparse count %lu exceeds the "
		    "limit of %llu", (unsigned long)cnt, (unsigned long long)
		    (b->sparse < VS_MAX_DIM ? b->sparse : VS_MAX_DIM));
	len = *total + 4 + 8 * (size_t)cnt;
	if ((got = need(r, len, e)) < 0)
		return -1;
	if ((size_t)got < len)
		return tl_errf_byte(e, off - *total, "truncated record: "
		    "expected %zu bytes, found %lld", len, got);
	if (sp_reserve(b, cnt, e) < 0)
		return -1;
	p = r->buf + r->beg + *total + 4;
	for (uint32_t j = 0; j < cnt; j++, p += 8) {
		idx = get_u32(p);
		memcpy(&v, p + 4, sizeof(v));
		if (idx >= b->sparse || (j > 0 && idx <= b->sp_idx[k - 1]))
			return tl_errf_byte(e, off + 4 + 8 * (uint64_t)j,
			    "sparse index %lu %s", (unsigned long)idx,
			    idx >= b->sparse ? "out of range of the header's "
			    "\"sparse\"" : "not above the previous one");
		if (!isfinite(v))
			return tl_errf_byte(e, off + 8 + 8 * (uint64_t)j,
			    "non-finite sparse value");
		b->sp_idx[k] = idx;
		b->sp_val[k++] = v;
	}
	b->sp_off[b->n + 1] = k;
	*total = len;
	return 0;
}

/* Whether the N values of X are all finite: their magnitudes' bits,
 * compared with the largest finite float's, four at a time and with no
 * early exit (a test and branch per value took a sixth of writing a
 * binary record, or of reading one). */
static int
all_finite(const float *x, size_t n)
{
	uint32_t bad = 0, u;
	size_t j = 0;

#ifdef __SSE2__
	const __m128i mag = _mm_set1_epi32(0x7fffffff),
	    big = _mm_set1_epi32(0x7f7fffff);
	__m128i acc = _mm_setzero_si128();

	for (; j + 4 <= n; j += 4)
		acc = _mm_or_si128(acc, _mm_cmpgt_epi32(_mm_and_si128(
		    _mm_loadu_si128((const __m128i *)(x + j)), mag), big));
	bad = (uint32_t)_mm_movemask_epi8(acc);
#endif
	for (; j < n; j++) {
		memcpy(&u, &x[j], sizeof(u));
		bad |= (u & 0x7fffffff) > 0x7f7fffff;
	}
	return bad == 0;
}

/* The index of the first of the N values of X that is not finite, or N:
 * the branch-free check first, the scan only when it fails. */
static size_t
first_nonfinite(const float *x, size_t n)
{
	size_t j = 0;

	if (all_finite(x, n))
		return n;
	while (j < n && isfinite(x[j]))
		j++;
	return j;
}

size_t
tl_vec_first_nonfinite(const float *p, size_t n, size_t k)
{
	if (all_finite(p, n * k))	/* the common case, one SIMD pass */
		return n;
	for (size_t i = 0; i < n; i++)
		if (first_nonfinite(p + i * k, k) < k)
			return i;
	return n;
}

/* Read one binary record into record b->n of B.  1, 2 when a header
 * (of a concatenated stream) came instead, 0 at end of stream, -1 on
 * error. */
static int
bin_record(struct tl_vecreader *r, struct tl_vecblock *b, struct tl_err *e)
{
	uint64_t off = r->base + r->beg;
	size_t vbytes = b->dim * sizeof(float), total, j;
	uint32_t idn, labn;
	long long got;
	const char *p;
	float *x = b->x + b->n * b->dim;

	if ((got = need(r, 4, e)) <= 0)
		return (int)got;
	if (got == 4 && memcmp(r->buf + r->beg, VS_MAGIC, 4) == 0) {
		struct tl_vechdr h;
		int rc;

		tl_vechdr_init(&h);
		if (bin_header(r, &h, e) < 0)
			return -1;
		rc = later_header_check(&r->hdr, &h, e);
		tl_vechdr_free(&h);
		if (rc < 0) {
			e->pos_kind = TL_POS_BYTE;
			e->pos = off;
			return -1;
		}
		return 2;
	}
	if (got < 4)
		return tl_errf_byte(e, off, "truncated record: expected 4 "
		    "bytes of id length, found %lld", got);
	if ((idn = get_u32(r->buf + r->beg)) > VS_MAX_STRING)
		return tl_errf_byte(e, off, "id length %lu exceeds the limit "
		    "of %lu bytes", (unsigned long)idn,
		    (unsigned long)VS_MAX_STRING);
	if ((got = need(r, 8 + (size_t)idn, e)) < 0)
		return -1;
	if ((size_t)got < 8 + (size_t)idn)
		return tl_errf_byte(e, off, "truncated record: expected at "
		    "least %zu bytes, found %lld", 8 + (size_t)idn, got);
	if ((labn = get_u32(r->buf + r->beg + 4 + idn)) > VS_MAX_STRING)
		return tl_errf_byte(e, off + 4 + idn, "label length %lu "
		    "exceeds the limit of %lu bytes", (unsigned long)labn,
		    (unsigned long)VS_MAX_STRING);
	total = 8 + (size_t)idn + labn + vbytes;
	if ((got = need(r, total, e)) < 0)
		return -1;
	if ((size_t)got < total)
		return tl_errf_byte(e, off, "truncated record: expected %zu "
		    "bytes, found %lld", total, got);
	if (b->sparse > 0 && bin_sparse(r, b, off, &total, e) < 0)
		return -1;
	p = r->buf + r->beg;
	memcpy(x, p + 8 + idn + labn, vbytes);
	if ((j = first_nonfinite(x, b->dim)) < b->dim)
		return tl_errf_byte(e, off + 8 + idn + labn + j * sizeof(float),
		    "non-finite value in component %zu", j + 1);
	if (bin_string(b, p + 4, idn, off + 4, "id", &r->soff[2 * b->n],
	    e) < 0 ||
	    bin_string(b, p + 8 + idn, labn, off + 8 + idn, "label",
	    &r->soff[2 * b->n + 1], e) < 0)
		return -1;
	b->pos[b->n++] = off;
	r->beg += total;
	return 1;
}

static long
bin_read(struct tl_vecreader *r, struct tl_vecblock *b, struct tl_err *e)
{
	int rc;

	while (b->n < b->cap)
		if ((rc = bin_record(r, b, e)) <= 0)
			return rc;
	return 0;
}

struct tl_vecreader *
tl_vecreader_open(FILE *f, const char *name, struct tl_err *e)
{
	struct tl_vecreader *r;
	long long got;

	(void)name;	/* the tools put the name in front of E */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(VS_CHUNK)) == NULL) {
		free(r);
		return tl_errf(e, "out of memory"), NULL;
	}
	r->f = f;
	r->cap = VS_CHUNK;
	tl_vechdr_init(&r->hdr);
	if ((got = need(r, 4, e)) < 0)
		goto fail;
	if (got == 4 && memcmp(r->buf, VS_MAGIC, 4) == 0) {
		r->binary = 1;
		if (bin_header(r, &r->hdr, e) < 0)
			goto fail;
	} else if (got > 0 && got < 4 && memcmp(r->buf, VS_MAGIC,
	    (size_t)got) == 0) {
		tl_errf_byte(e, 0, "truncated header: expected 12 bytes, "
		    "found %lld", got);
		goto fail;
	} else if (text_open(r, e) < 0)
		goto fail;
	return r;
fail:
	tl_vecreader_close(r);
	return NULL;
}

const struct tl_vechdr *
tl_vecreader_header(const struct tl_vecreader *r)
{
	return &r->hdr;
}

int
tl_vecreader_is_binary(const struct tl_vecreader *r)
{
	return r->binary;
}

long
tl_vecreader_read(struct tl_vecreader *r, struct tl_vecblock *b,
    struct tl_err *e)
{
	long rc;

	b->n = 0;
	b->arena_len = 0;
	if (r->hdr.dim == 0)
		return 0;	/* empty stream */
	if (b->dim != r->hdr.dim)
		return tl_errf(e, "block of dim %zu for a stream of dim %zu",
		    b->dim, r->hdr.dim);
	b->sparse = r->hdr.sparse;
	if (b->sparse > 0 && b->sp_off == NULL &&
	    (b->sp_off = calloc(b->cap + 1, sizeof(*b->sp_off))) == NULL)
		return tl_errf(e, "out of memory");
	if (r->soff_cap < 2 * b->cap) {
		size_t *s = realloc(r->soff, 2 * b->cap * sizeof(*s));

		if (s == NULL)
			return tl_errf(e, "out of memory");
		r->soff = s;
		r->soff_cap = 2 * b->cap;
	}
	rc = r->binary ? bin_read(r, b, e) : text_read(r, b, e);
	for (size_t i = 0; i < b->n; i++) {
		b->id[i] = b->arena + r->soff[2 * i];
		b->label[i] = b->arena + r->soff[2 * i + 1];
	}
	return rc < 0 ? -1 : (long)b->n;
}

void
tl_vecreader_close(struct tl_vecreader *r)
{
	if (r == NULL)
		return;
	tl_vechdr_free(&r->hdr);
	free(r->buf);
	free(r->soff);
	free(r);
}

/* --------------------------------------------------------------- writer */

struct tl_vecwriter {
	FILE		*f;
	struct tl_vechdr hdr;
	int		 binary;
	char		*buf;
	size_t		 len, cap;
	int		 errnum;	/* a write failed: every call fails */
	uint64_t	 nrec;		/* records written */
	int		 digits;	/* significant digits; 0: shortest */
};

/* Hand the buffered bytes to the FILE. */
static int
drain(struct tl_vecwriter *w, struct tl_err *e)
{
	if (w->len > 0 && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->errnum = errno ? errno : EIO;
	w->len = 0;
	if (w->errnum)
		return tl_errf_sys(e, w->errnum, "write error");
	return 0;
}

/* Make room for N more bytes in the buffer. */
static int
reserve(struct tl_vecwriter *w, size_t n, struct tl_err *e)
{
	char *b;

	if (n <= w->cap - w->len)
		return 0;
	if (w->f == NULL)	/* a buffer writer keeps it all: doubles */
		n = w->len + n > 2 * w->cap ? w->len + n : 2 * w->cap;
	else if (drain(w, e) < 0)
		return -1;
	if (n > w->cap) {
		if ((b = realloc(w->buf, n)) == NULL)
			return tl_errf(e, "out of memory");
		w->buf = b;
		w->cap = n;
	}
	return 0;
}

static void
put_bytes(struct tl_vecwriter *w, const void *p, size_t n)
{
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
put_u32(struct tl_vecwriter *w, uint32_t v)
{
	put_bytes(w, &v, sizeof(v));
}

static int
write_header(struct tl_vecwriter *w, int no_header, struct tl_err *e)
{
	json_t *o;
	char *js;
	size_t n;

	if (!w->binary && no_header)
		return 0;
	if ((o = hdr_to_json(&w->hdr, e)) == NULL)
		return -1;
	js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (js == NULL)
		return tl_errf(e, "out of memory");
	n = strlen(js);
	if (n > VS_MAX_HEADER || reserve(w, n + 12, e) < 0) {
		free(js);
		return n > VS_MAX_HEADER ? tl_errf(e, "header of %zu bytes is "
		    "too long", n) : -1;
	}
	if (w->binary) {
		put_bytes(w, VS_MAGIC, 4);
		put_u32(w, VS_VERSION);
		put_u32(w, (uint32_t)n);
		put_bytes(w, js, n);
	} else {
		put_bytes(w, "#", 1);
		put_bytes(w, js, n);
		put_bytes(w, "\n", 1);
	}
	free(js);
	return 0;
}

struct tl_vecwriter *
tl_vecwriter_new(FILE *f, const struct tl_vechdr *h, int binary,
    int no_header, struct tl_err *e)
{
	struct tl_vecwriter *w;

	if (h->dim == 0 || h->dim > VS_MAX_DIM)
		return tl_errf(e, "cannot write vectors of dim %zu (1 to %zu)",
		    h->dim, VS_MAX_DIM), NULL;
	if (h->sparse > VS_MAX_SPARSE)
		return tl_errf(e, "cannot write a sparse part of %llu buckets "
		    "(at most %llu)", (unsigned long long)h->sparse,
		    (unsigned long long)VS_MAX_SPARSE), NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->buf = malloc(VS_OUTBUF)) == NULL) {
		free(w);
		return tl_errf(e, "out of memory"), NULL;
	}
	w->f = f;
	w->binary = binary;
	w->cap = VS_OUTBUF;
	tl_vechdr_init(&w->hdr);
	if (tl_vechdr_copy(&w->hdr, h, e) < 0 ||
	    write_header(w, no_header, e) < 0) {
		tl_vecwriter_free(w);
		return NULL;
	}
	return w;
}

/* Check that the id or label S (WHAT in messages) fits the form. */
static int
check_string(struct tl_vecwriter *w, const char *s, size_t n,
    const char *what, struct tl_err *e)
{
	if (w->binary) {
		if (n > VS_MAX_STRING)
			return tl_errf(e, "record %llu: %s of %zu bytes "
			    "exceeds the limit of %lu",
			    (unsigned long long)w->nrec + 1, what, n,
			    (unsigned long)VS_MAX_STRING);
		return 0;
	}
	if (strpbrk(s, "\t\n\r") != NULL)
		return tl_errf(e, "record %llu: %s contains a TAB, CR or LF, "
		    "which the text form cannot hold",
		    (unsigned long long)w->nrec + 1, what);
	return 0;
}

int
tl_vecwriter_put(struct tl_vecwriter *w, const char *id, const char *label,
    const float *x, struct tl_err *e)
{
	return tl_vecwriter_put_sparse(w, id, label, x, 0, NULL, NULL, e);
}

/* Check the NNZ sparse pairs of a record for writer W. */
static int
check_sparse(const struct tl_vecwriter *w, size_t nnz, const uint32_t *idx,
    const float *val, struct tl_err *e)
{
	unsigned long long rec = (unsigned long long)w->nrec + 1;

	if (nnz > 0 && w->hdr.sparse == 0)
		return tl_errf(e, "record %llu: a sparse part in a stream "
		    "whose header has no \"sparse\"", rec);
	if (nnz > VS_MAX_DIM)
		return tl_errf(e, "record %llu: %zu sparse pairs exceed the "
		    "limit of %zu", rec, nnz, VS_MAX_DIM);
	for (size_t j = 0; j < nnz; j++) {
		if (idx[j] >= w->hdr.sparse || (j > 0 && idx[j] <= idx[j - 1]))
			return tl_errf(e, "record %llu: sparse index %lu %s",
			    rec, (unsigned long)idx[j], idx[j] >=
			    w->hdr.sparse ? "out of range" : "not above the "
			    "previous one");
		if (!isfinite(val[j]))
			return tl_errf(e, "record %llu: non-finite sparse "
			    "value", rec);
	}
	return 0;
}

/* Append the sparse part of a record to W's buffer (room reserved). */
static void
put_sparse_part(struct tl_vecwriter *w, size_t nnz, const uint32_t *idx,
    const float *val)
{
	char *p;

	if (w->binary) {
		put_u32(w, (uint32_t)nnz);
		for (size_t j = 0; j < nnz; j++) {
			put_u32(w, idx[j]);
			put_bytes(w, &val[j], sizeof(float));
		}
		return;
	}
	p = w->buf + w->len;
	for (size_t j = 0; j < nnz; j++) {
		*p++ = '\t';
		p = tl_fmt_u64(p, idx[j]);
		*p++ = ':';
		p = tl_fmt_float_digits(p, val[j], w->digits);
	}
	w->len = (size_t)(p - w->buf);
}

int
tl_vecwriter_put_sparse(struct tl_vecwriter *w, const char *id,
    const char *label, const float *x, size_t nnz, const uint32_t *idx,
    const float *val, struct tl_err *e)
{
	size_t idn, labn, dim = w->hdr.dim, spn, j;
	char *p;

	if (w->errnum)
		return tl_errf_sys(e, w->errnum, "write error");
	id = id ? id : "";
	label = label ? label : "";
	idn = strlen(id);
	labn = strlen(label);
	if (check_string(w, id, idn, "id", e) < 0 ||
	    check_string(w, label, labn, "label", e) < 0)
		return -1;
	if (!w->binary && id[0] == '#')
		return tl_errf(e, "record %llu: id starts with '#', which "
		    "the text form reads as a header",
		    (unsigned long long)w->nrec + 1);
	if ((j = first_nonfinite(x, dim)) < dim)
		return tl_errf(e, "record %llu: non-finite value in component "
		    "%zu", (unsigned long long)w->nrec + 1, j + 1);
	if (check_sparse(w, nnz, idx, val, e) < 0)
		return -1;
	spn = w->hdr.sparse == 0 ? 0 : w->binary ? 4 + 8 * nnz :
	    nnz * (12 + TL_FMT_FLOAT_MAX);
	if (w->binary) {
		if (reserve(w, 8 + idn + labn + dim * sizeof(float) + spn,
		    e) < 0)
			return -1;
		put_u32(w, (uint32_t)idn);
		put_bytes(w, id, idn);
		put_u32(w, (uint32_t)labn);
		put_bytes(w, label, labn);
		put_bytes(w, x, dim * sizeof(float));
		if (w->hdr.sparse > 0)
			put_sparse_part(w, nnz, idx, val);
	} else {
		if (idn > SIZE_MAX / 4 || labn > SIZE_MAX / 4 ||
		    reserve(w, idn + labn + 2 + dim *
		    (TL_FMT_FLOAT_MAX + 1) + spn, e) < 0)
			return -1;
		put_bytes(w, id, idn);
		put_bytes(w, "\t", 1);
		put_bytes(w, label, labn);
		p = tl_fmt_floats(w->buf + w->len, x, dim, w->digits);
		w->len = (size_t)(p - w->buf);
		put_sparse_part(w, nnz, idx, val);
		w->buf[w->len++] = '\n';
	}
	w->nrec++;
	return 0;
}

int
tl_vecwriter_flush(struct tl_vecwriter *w, struct tl_err *e)
{
	if (drain(w, e) < 0)
		return -1;
	if (fflush(w->f) != 0) {
		w->errnum = errno ? errno : EIO;
		return tl_errf_sys(e, w->errnum, "write error");
	}
	return 0;
}

void
tl_vecwriter_free(struct tl_vecwriter *w)
{
	if (w == NULL)
		return;
	tl_vechdr_free(&w->hdr);
	free(w->buf);
	free(w);
}

/* ------------------------------------------------- writing in parallel */

struct tl_vecwriter *
tl_vecwriter_new_buffer(const struct tl_vechdr *h, int binary,
    struct tl_err *e)
{
	struct tl_vecwriter *w = tl_vecwriter_new(NULL, h, binary, 1, e);

	if (w != NULL)
		w->len = 0;	/* the binary header written, dropped */
	return w;
}

const char *
tl_vecwriter_buffer(const struct tl_vecwriter *w, size_t *n)
{
	*n = w->len;
	return w->buf;
}

void
tl_vecwriter_buffer_reset(struct tl_vecwriter *w, uint64_t nrec)
{
	w->len = 0;
	w->nrec = nrec;
}

void
tl_vecwriter_set_digits(struct tl_vecwriter *w, int digits)
{
	w->digits = digits;
}

int
tl_vecwriter_put_raw(struct tl_vecwriter *w, const char *p, size_t n,
    uint64_t nrec, struct tl_err *e)
{
	if (w->errnum)
		return tl_errf_sys(e, w->errnum, "write error");
	if (n > w->cap - w->len && drain(w, e) < 0)
		return -1;
	if (n > w->cap) {	/* larger than the buffer: straight out */
		if (fwrite(p, 1, n, w->f) != n) {
			w->errnum = errno ? errno : EIO;
			return tl_errf_sys(e, w->errnum, "write error");
		}
	} else {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
	w->nrec += nrec;
	return 0;
}
