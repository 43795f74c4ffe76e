/*
 * Importers of word-vector files; see wordvec.h for the formats.  Text is
 * read a line at a time with getline (one buffer for the whole file) and
 * parsed in place with tl_parse_float; binary word2vec is read through
 * stdio straight into the vector array.  The arrays grow by doubling; for
 * blocks this large realloc moves pages rather than copying bytes, so the
 * peak stays near the final size.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "f16.h"
#include "fmt.h"
#include "model.h"
#include "tokenize.h"
#include "wordvec.h"
#include "names.h"

/* Values reserved up front at most (4 GiB of floats: every vector file
 * we know of fits, GloVe 840B's 2.2M x 300 included). */
#define RESERVE_VALUES	((size_t)1 << 30)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wordvec.c stores float32 in host order: little-endian hosts only"
#endif

/* Longest word accepted in a binary file (where a missing space would
 * otherwise swallow the file). */
#define MAX_BIN_WORD 65536

static const char *const format_names[] = {
	[TL_WORDVEC_GLOVE] = "glove",
	[TL_WORDVEC_WORD2VEC] = "word2vec",
	[TL_WORDVEC_WORD2VEC_BIN] = "word2vec-bin",
	[TL_WORDVEC_VEC] = "vec",
};

int
tl_wordvec_format_parse(const char *s, enum tl_wordvec_format *out)
{
	int i = tl_name_index(format_names, TL_NELEM(format_names), s);

	if (i == -1)
		return -1;
	*out = (enum tl_wordvec_format)i;
	return 0;
}

const char *
tl_wordvec_format_name(enum tl_wordvec_format f)
{
	return format_names[f];
}

void
tl_wordvec_init(struct tl_wordvec *w)
{
	memset(w, 0, sizeof(*w));
}

void
tl_wordvec_free(struct tl_wordvec *w)
{
	free(w->vectors);
	free(w->offsets);
	free(w->bytes);
	tl_wordvec_init(w);
}

/* ------------------------------------------------------------- growing */

/* Make room for N elements of SIZE bytes in *P (capacity *CAP). */
static int
reserve(void *p, size_t *cap, size_t n, size_t size, struct tl_err *e)
{
	size_t c = *cap ? *cap : 1024;
	void *q;

	if (n <= *cap)
		return 0;
	while (c < n) {
		if (c > SIZE_MAX / 2 / size)
			return tl_errf(e, "out of memory");
		c *= 2;
	}
	if ((q = realloc(*(void **)p, c * size)) == NULL)
		return tl_errf(e, "out of memory (%zu MB)", c * size >> 20);
	*(void **)p = q;
	*cap = c;
	return 0;
}

/* Reserve room for ROWS words of the current dimension up front (a
 * header's count, capped: the header is not trusted with memory, neither
 * by its count nor by its count times its dimension; rows past the cap
 * grow the arrays as they come). */
static int
reserve_rows(struct tl_wordvec *w, size_t rows, struct tl_err *e)
{
	if (rows > (1 << 22))
		rows = 1 << 22;
	if (rows * w->dim > RESERVE_VALUES)
		rows = RESERVE_VALUES / w->dim;
	return reserve(&w->vectors, &w->vec_cap, rows * w->dim, sizeof(float),
	    e) == -1 || reserve(&w->offsets, &w->off_cap, rows + 1,
	    sizeof(int64_t), e) == -1 ? -1 : 0;
}

/* Room for one more row; returns where its values go. */
static float *
next_row(struct tl_wordvec *w, struct tl_err *e)
{
	if (w->n >= (SIZE_MAX / sizeof(float) - 1) / w->dim - 1 ||
	    reserve(&w->vectors, &w->vec_cap, (w->n + 1) * w->dim,
	    sizeof(float), e) == -1)
		return tl_errf(e, "out of memory"), NULL;
	return w->vectors + w->n * w->dim;
}

/* Append the word of LEN bytes at S, whose vector is already in place,
 * making it word w->n.  Checks it is non-empty and holds no NUL. */
static int
add_word(struct tl_wordvec *w, const char *s, size_t len, struct tl_err *e)
{
	if (len == 0)
		return tl_errf(e, "empty word");
	if (memchr(s, '\0', len) != NULL)
		return tl_errf(e, "the word holds a NUL byte");
	if (reserve(&w->offsets, &w->off_cap, w->n + 2, sizeof(int64_t), e)
	    == -1 || reserve(&w->bytes, &w->bytes_cap, w->nbytes + len, 1, e) == -1)
		return -1;
	memcpy(w->bytes + w->nbytes, s, len);
	w->offsets[w->n] = (int64_t)w->nbytes;
	w->nbytes += len;
	w->offsets[++w->n] = (int64_t)w->nbytes;
	return 0;
}

/* ---------------------------------------------------------------- text */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether [P, END) is a number, but one beyond float's range (1e39). */
static int
is_float_overflow(const char *p, const char *end)
{
	char buf[64], *stop;
	size_t n = (size_t)(end - p);
	double v;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	v = strtod(buf, &stop);
	return *stop == '\0' && stop != buf && fabs(v) > FLT_MAX;
}

/* A bad value at P (the K-th, from 1): say why, quoting it. */
static int
bad_value(const char *p, const char *end, size_t k, struct tl_err *e)
{
	const char *q = p, *s = p;
	int len;

	while (q < end && !is_blank(*q))
		q++;
	len = q - p > 40 ? 40 : (int)(q - p);
	if (s < end && (*s == '+' || *s == '-'))
		s++;
	if (end - s >= 3 && (strncasecmp(s, "nan", 3) == 0 ||
	    strncasecmp(s, "inf", 3) == 0))
		return tl_errf(e, "value %zu is not finite ('%.*s')", k, len,
		    p);
	if (s < end && (isdigit((unsigned char)*s) || *s == '.') &&
	    is_float_overflow(p, q))
		return tl_errf(e, "value %zu is beyond the float range ('%.*s')",
		    k, len, p);
	return tl_errf(e, "value %zu is not a number ('%.*s')", k, len, p);
}

/*
 * Parse the values [P, END) into X, which has room for CAP of them.
 * Returns how many there are (counting past CAP, without storing, so that
 * an error can say how many were found), or -1 with E filled in.
 */
static long
parse_values(const char *p, const char *end, float *x, size_t cap,
    struct tl_err *e)
{
	size_t k = 0;
	float v;

	for (;;) {
		const char *q;

		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			return (long)k;
		q = tl_parse_float(p, end, &v);
		if (q == NULL || (q < end && !is_blank(*q)))
			return bad_value(p, end, k + 1, e);
		if (k < cap)
			x[k] = v;
		k++;
		p = q;
	}
}

#define F16_RANGE	"value %zu is %g, beyond the F16 range (65504): use " \
	"--dtype f32"

/* The first of the N values at X that F16 cannot hold, or N. */
static size_t
beyond_f16(const float *x, size_t n)
{
	size_t k = 0;

	while (k < n && (tl_f16_from_float(x[k]) & 0x7c00) != 0x7c00)
		k++;
	return k;
}

/* Strip the line terminator and trailing blanks; returns the new end. */
static const char *
trim(const char *s, const char *end)
{
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' ||
	    is_blank(end[-1])))
		end--;
	return end;
}

/* The first line of a glove file fixes the dimension: count its values
 * (parsing twice, once to count, is cheaper than a scratch buffer). */
static int
first_dim(struct tl_wordvec *w, const char *p, const char *end,
    struct tl_err *e)
{
	long k = parse_values(p, end, NULL, 0, e);

	if (k == -1)
		return -1;
	if (k == 0)
		return tl_errf(e, "no values after the word");
	w->dim = (size_t)k;
	return reserve_rows(w, 1024, e);
}

/* One line "word v1 ... vd" (terminator included) of LEN bytes. */
static int
parse_line(struct tl_wordvec *w, const char *line, size_t len,
    struct tl_err *e)
{
	const char *end = trim(line, line + len), *p = line;
	float *x;
	long k;

	if (end == line)
		return tl_errf(e, "empty line");
	while (p < end && !is_blank(*p))
		p++;
	if (p == line)
		return tl_errf(e, "empty word (the line starts with a blank)");
	if (w->dim == 0 && first_dim(w, p, end, e) == -1)
		return -1;
	if ((x = next_row(w, e)) == NULL ||
	    (k = parse_values(p, end, x, w->dim, e)) == -1)
		return -1;
	if ((size_t)k != w->dim)
		return tl_errf(e, "expected %zu values after the word, found "
		    "%ld", w->dim, k);
	if (w->f16 && (k = (long)beyond_f16(x, w->dim)) != (long)w->dim)
		return tl_errf(e, F16_RANGE, (size_t)k + 1, (double)x[k]);
	return add_word(w, line, (size_t)(p - line), e);
}

/* Parse "COUNT DIM" (a header line) from [S, END). */
static int
parse_header(const char *s, const char *end, size_t *count, size_t *dim)
{
	unsigned long long v[2];
	const char *p = s;

	for (int i = 0; i < 2; i++) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return -1;
		for (v[i] = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (v[i] > (1ULL << 40))
				return -1;
			v[i] = v[i] * 10 + (unsigned)(*p - '0');
		}
	}
	while (p < end && (is_blank(*p) || *p == '\r' || *p == '\n'))
		p++;
	if (p != end || v[1] == 0 || v[1] > (1 << 20))
		return -1;
	*count = (size_t)v[0];
	*dim = (size_t)v[1];
	return 0;
}

static int
read_error(struct tl_err *e)
{
	return tl_errf_sys(e, errno ? errno : EIO, "read error");
}

/* glove, word2vec text and .vec; HEADER: a "count dim" line comes first. */
static int
read_text(struct tl_wordvec *w, FILE *f, int header, struct tl_err *e)
{
	char *line = NULL;
	size_t cap = 0, count = 0;
	uint64_t lineno = 0;
	ssize_t len;
	int rc = -1;

	errno = 0;
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (header && lineno == 1) {
			if (parse_header(line, line + len, &count, &w->dim)
			    == -1) {
				tl_errf(e, "expected a header line 'COUNT "
				    "DIM' (two integers, DIM from 1 to "
				    "1048576)");
				goto out;
			}
			if (reserve_rows(w, count, e) == -1)
				goto out;
			continue;
		}
		if (!header && lineno == 1 && parse_header(line, line + len,
		    &count, &w->dim) == 0) {
			w->dim = 0;
			tl_errf(e, "a 'COUNT DIM' header line, as word2vec "
			    "text and .vec files have: use --format vec");
			goto out;
		}
		if (header && w->n == count) {
			tl_errf(e, "more words than the %zu the header line "
			    "announced", count);
			goto out;
		}
		if (parse_line(w, line, (size_t)len, e) == -1)
			goto out;
	}
	if (ferror(f)) {
		read_error(e);
		goto out;
	}
	if (lineno == 0 || (header && lineno == 1 && count > 0) ||
	    (header && w->n < count)) {
		if (lineno == 0)
			tl_errf(e, "empty file: no words");
		else
			tl_errf(e, "the file ends after %zu of the %zu "
			    "words the header line announced", w->n, count);
		lineno++;
		goto out;
	}
	if (w->n == 0) {
		tl_errf(e, "no words (the header line announced 0)");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1 && e != NULL && e->errnum == 0) {
		e->pos_kind = TL_POS_LINE;
		e->pos = lineno;
	}
	free(line);
	return rc;
}

/* -------------------------------------------------------------- binary */

/* The word at the current position of F (after any newlines) into BUF,
 * NUL-terminated; *OFF advances.  Returns its length, or -1 with E. */
static long
read_bin_word(FILE *f, char *buf, uint64_t *off, struct tl_err *e)
{
	long n = 0;
	int c;

	while ((c = getc_unlocked(f)) == '\n' || c == '\r')
		(*off)++;
	for (; c != EOF && c != ' '; c = getc_unlocked(f)) {
		if (n == MAX_BIN_WORD)
			return tl_errf_byte(e, *off, "no space after %d bytes "
			    "of a word: not a word2vec binary file?",
			    MAX_BIN_WORD);
		buf[n++] = (char)c;
		(*off)++;
	}
	if (c == EOF)
		return ferror(f) ? read_error(e) : tl_errf_byte(e, *off,
		    "the file ends inside a word");
	(*off)++;
	buf[n] = '\0';
	return n;
}

static int
read_bin_rows(struct tl_wordvec *w, FILE *f, size_t count, uint64_t *off,
    struct tl_err *e)
{
	char *word = malloc(MAX_BIN_WORD + 1);
	int rc = -1;

	if (word == NULL)
		return tl_errf(e, "out of memory");
	while (w->n < count) {
		uint64_t at = *off;
		long len = read_bin_word(f, word, off, e);
		float *x;

		if (len == -1 || (x = next_row(w, e)) == NULL)
			goto out;
		if (fread(x, sizeof(float), w->dim, f) != w->dim) {
			if (ferror(f))
				read_error(e);
			else
				tl_errf_byte(e, *off, "the file ends inside "
				    "the vector of word %zu of %zu", w->n + 1,
				    count);
			goto out;
		}
		for (size_t k = 0; k < w->dim; k++)
			if (!isfinite(x[k])) {
				tl_errf_byte(e, *off + 4 * k, "value %zu of "
				    "word %zu is not finite", k + 1, w->n + 1);
				goto out;
			}
		size_t k = w->f16 ? beyond_f16(x, w->dim) : w->dim;

		if (k != w->dim) {
			tl_errf_byte(e, *off + 4 * k, "word %zu: " F16_RANGE,
			    w->n + 1, k + 1, (double)x[k]);
			goto out;
		}
		*off += 4 * w->dim;
		if (add_word(w, word, (size_t)len, e) == -1) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e->msg);
			tl_errf_byte(e, at, "word %zu: %s", w->n + 1, why);
			goto out;
		}
	}
	rc = 0;
out:
	free(word);
	return rc;
}

static int
read_bin(struct tl_wordvec *w, FILE *f, struct tl_err *e)
{
	char head[128];
	size_t n = 0, count;
	uint64_t off;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n' && n < sizeof(head))
		head[n++] = (char)c;
	if (n == 0 && c == EOF)
		return ferror(f) ? read_error(e) : tl_errf(e, "empty file: "
		    "no words");
	if (c != '\n' || parse_header(head, head + n, &count, &w->dim) == -1)
		return tl_errf_byte(e, 0, "expected a header line 'COUNT DIM' "
		    "(two integers, DIM from 1 to 1048576)");
	if (count == 0)
		return tl_errf_byte(e, 0, "no words (the header line "
		    "announced 0)");
	off = n + 1;
	if (reserve_rows(w, count, e) == -1 ||
	    read_bin_rows(w, f, count, &off, e) == -1)
		return -1;
	while ((c = getc_unlocked(f)) != EOF) {
		if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
			return tl_errf_byte(e, off, "more data after the %zu "
			    "words the header line announced", count);
		off++;
	}
	return ferror(f) ? read_error(e) : 0;
}

int
tl_wordvec_read(struct tl_wordvec *w, FILE *f, enum tl_wordvec_format fmt,
    struct tl_err *e)
{
	switch (fmt) {
	case TL_WORDVEC_GLOVE:
		return read_text(w, f, 0, e);
	case TL_WORDVEC_WORD2VEC:
	case TL_WORDVEC_VEC:
		return read_text(w, f, 1, e);
	case TL_WORDVEC_WORD2VEC_BIN:
		return read_bin(w, f, e);
	}
	return tl_errf(e, "unknown format");
}

/* --------------------------------------------------------------- model */

/* The vectors of W as halves, in a new array; NULL with E filled in
 * when out of memory or when a value is beyond the F16 range. */
static uint16_t *
to_f16(const struct tl_wordvec *w, struct tl_err *e)
{
	size_t nv = w->n * w->dim;
	uint16_t *h = malloc(nv ? nv * sizeof(*h) : 1);

	if (h == NULL)
		return tl_errf(e, "out of memory"), NULL;
	for (size_t i = 0; i < nv; i++) {
		h[i] = tl_f16_from_float(w->vectors[i]);
		if ((h[i] & 0x7c00) == 0x7c00) {
			size_t r = i / w->dim;

			tl_errf(e, "word %zu ('%.*s'): " F16_RANGE, r + 1,
			    (int)(w->offsets[r + 1] - w->offsets[r] > 40 ? 40 :
			    w->offsets[r + 1] - w->offsets[r]),
			    (const char *)w->bytes + w->offsets[r],
			    i % w->dim + 1, (double)w->vectors[i]);
			free(h);
			return NULL;
		}
	}
	return h;
}

int
tl_wordvec_write(const struct tl_wordvec *w, json_t *meta, FILE *f,
    char digest[65], struct tl_err *e)
{
	return tl_wordvec_write_as(w, meta, TL_DTYPE_F32, f, digest, e);
}

int
tl_wordvec_write_as(const struct tl_wordvec *w, json_t *meta,
    enum tl_dtype dtype, FILE *f, char digest[65], struct tl_err *e)
{
	struct tl_model_writer *mw = NULL;
	struct tl_embed *v;
	uint64_t vshape[2] = { w->n, w->dim }, oshape[1] = { w->n + 1 },
	    bshape[1] = { w->nbytes }, hshape[1];
	uint16_t *half = NULL;
	const uint64_t *table;
	size_t nslots;
	int rc = -1;

	if (dtype != TL_DTYPE_F32 && dtype != TL_DTYPE_F16)
		return tl_errf(e, "vectors as %s: expected F32 or F16",
		    tl_dtype_name(dtype));
	/* the lookup table, stored so that loading need not build it */
	if ((v = tl_embed_new(w->n, w->dim, w->offsets, w->bytes, w->nbytes,
	    w->vectors, e)) == NULL)
		return -1;
	table = tl_embed_table(v, &nslots);
	hshape[0] = nslots;
	if (dtype == TL_DTYPE_F16 && (half = to_f16(w, e)) == NULL)
		goto out;
	if ((mw = tl_model_writer_new()) == NULL) {
		tl_errf(e, "out of memory");
		goto out;
	}
	if (tl_model_writer_add(mw, "vectors", dtype, 2, vshape, half ?
	    (const void *)half : (const void *)w->vectors, e) == 0 &&
	    tl_model_writer_add(mw, "vocab.offsets",
	    TL_DTYPE_I64, 1, oshape, w->offsets, e) == 0 &&
	    tl_model_writer_add(mw, "vocab.bytes", TL_DTYPE_U8, 1, bshape,
	    w->bytes, e) == 0 && tl_model_writer_add(mw, "vocab.hash",
	    TL_DTYPE_I64, 1, hshape, table, e) == 0)
		rc = tl_model_writer_write(mw, meta, f, digest, e);
out:
	tl_model_writer_free(mw);
	tl_embed_free(v);
	free(half);
	return rc;
}

/* A JSON string of S; bytes that are not UTF-8 (a file name can hold
 * any) become '?', since JSON text must be UTF-8. */
static json_t *
jstring(const char *s)
{
	json_t *j = json_string(s);
	char *c;

	if (j != NULL || (c = strdup(s)) == NULL)
		return j;
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

json_t *
tl_wordvec_meta(const struct tl_wordvec *w, const char *tool,
    const char *name, enum tl_wordvec_format fmt, const char *source)
{
	json_t *meta = tl_meta_new("embedding", tool);

	if (meta == NULL)
		return NULL;
	/* json_object_set_new takes the value, and drops it on failure */
	if (json_object_set_new(meta, "dim", json_integer((json_int_t)w->dim))
	    || json_object_set_new(meta, "vocab_size",
	    json_integer((json_int_t)w->n)) ||
	    json_object_set_new(meta, "name", jstring(name)) ||
	    json_object_set_new(meta, "tokenizer", tl_tokenizer_spec()) ||
	    json_object_set_new(meta, "source", json_pack("{s:s, s:o}",
	    "format", tl_wordvec_format_name(fmt), "file",
	    jstring(source)))) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}
