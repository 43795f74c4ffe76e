/*
 * The vector stream reader and writer: text -> binary -> text round trips
 * are bit-exact; header-less, header-only, empty, CRLF and concatenated
 * inputs read as man/tl-formats.5 says; every malformed input gives its
 * error with the exact line or byte offset; a binary stream cut at any
 * length fails cleanly (run this under ASan: make check).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vecstream.h"
#include "t.h"

#define DIGEST_A "0123456789abcdef0123456789abcdef" \
		 "0123456789abcdef0123456789abcdef"
#define DIGEST_B "ffffffffffffffffffffffffffffffff" \
		 "00000000000000000000000000000000"
#define HDR3 "#{\"tl\":\"vectors\",\"version\":1,\"dim\":3}\n"
#define TEXT_HINT " (text? tl-embed turns it into vectors)"

/* A whole stream in memory. */
struct rec {
	char	*id, *label;
	float	*x;
	uint64_t pos;
};

struct stream {
	struct tl_vechdr h;
	int	 binary;
	size_t	 n;
	struct rec r[64];
};

static void
stream_free(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->r[i].id);
		free(s->r[i].label);
		free(s->r[i].x);
	}
	tl_vechdr_free(&s->h);
	memset(s, 0, sizeof(*s));
}

/* An in-memory FILE holding the N bytes at P. */
static FILE *
mem(const void *p, size_t n)
{
	FILE *f = tmpfile();

	if (f == NULL || fwrite(p, 1, n, f) != n || fseek(f, 0, SEEK_SET)) {
		perror("tmpfile");
		exit(1);
	}
	return f;
}

/* Read the N bytes at P with blocks of CAP records into S (at most 64
 * records).  0, or -1 with E filled in. */
static int
slurp(const void *p, size_t n, size_t cap, struct stream *s,
    struct tl_err *e)
{
	FILE *f = mem(p, n);
	struct tl_vecreader *r;
	struct tl_vecblock b;
	long got;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	tl_vechdr_init(&s->h);
	tl_err_clear(e);
	if ((r = tl_vecreader_open(f, "test", e)) == NULL) {
		fclose(f);
		return -1;
	}
	tl_vechdr_copy(&s->h, tl_vecreader_header(r), e);
	s->binary = tl_vecreader_is_binary(r);
	if (tl_vecblock_init(&b, cap, s->h.dim, e) < 0)
		goto out;
	while ((got = tl_vecreader_read(r, &b, e)) > 0) {
		T_CHECK((size_t)got == b.n && b.n <= cap);
		for (size_t i = 0; i < b.n && s->n < 64; i++, s->n++) {
			struct rec *q = &s->r[s->n];

			q->id = strdup(b.id[i]);
			q->label = strdup(b.label[i]);
			q->x = malloc(b.dim * sizeof(float) + 1);
			memcpy(q->x, b.x + i * b.dim, b.dim * sizeof(float));
			q->pos = b.pos[i];
		}
	}
	if (got == 0) {
		/* the end stays the end */
		T_CHECK(tl_vecreader_read(r, &b, e) == 0);
		rc = 0;
	}
	tl_vecblock_free(&b);
out:
	tl_vecreader_close(r);
	fclose(f);
	return rc;
}

/* Write S to a new buffer *OUT (length *LEN).  0 or -1. */
static int
spill(const struct stream *s, int binary, int no_header, char **out,
    size_t *len, struct tl_err *e)
{
	FILE *f = open_memstream(out, len);
	struct tl_vecwriter *w;
	int rc = -1;

	if ((w = tl_vecwriter_new(f, &s->h, binary, no_header, e)) == NULL)
		goto out;
	for (size_t i = 0; i < s->n; i++)
		if (tl_vecwriter_put(w, s->r[i].id, s->r[i].label, s->r[i].x,
		    e) < 0)
			goto out;
	rc = tl_vecwriter_flush(w, e);
out:
	tl_vecwriter_free(w);
	fclose(f);
	return rc;
}

static int
same_records(const struct stream *a, const struct stream *b)
{
	if (a->n != b->n || a->h.dim != b->h.dim)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->r[i].id, b->r[i].id) != 0 ||
		    strcmp(a->r[i].label, b->r[i].label) != 0 ||
		    memcmp(a->r[i].x, b->r[i].x, a->h.dim * sizeof(float)))
			return 0;
	return 1;
}

static int
same_header(const struct tl_vechdr *a, const struct tl_vechdr *b)
{
	if (a->dim != b->dim || strcmp(a->model, b->model) != 0 ||
	    a->nstacked != b->nstacked || (a->names == NULL) !=
	    (b->names == NULL))
		return 0;
	for (size_t i = 0; a->names != NULL && i < a->dim; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->nstacked; i++)
		if (strcmp(a->stacked[i], b->stacked[i]) != 0)
			return 0;
	return 1;
}

static float
bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* The sample stream: every awkward id, label and value. */
static void
sample(struct stream *s)
{
	static const char *ids[] = { "a", "", "with space", "ünïcødé 🙂",
	    "x\"y\\z", "#not-first", "last" };
	static const char *labels[] = { "pos", "", "x y", "étiquette", "0",
	    "neg", "#" };
	const char *names[] = { "neg", "neu", "pos" };
	float vals[][3] = {
		{ 0.25f, -12.5f, 1e20f },
		{ 0.0f, -0.0f, 1.5e-7f },
		{ FLT_MAX, -FLT_MAX, FLT_MIN },
		{ bits(1), bits(0x807fffff), 1.0f / 3.0f },
		{ 0.1f, 0.2f, 0.3f },
		{ 123456.7f, 16777216.0f, 1e-5f },
		{ 3.14159265f, -2.71828183f, 1e-45f },
	};
	struct tl_err e;

	memset(s, 0, sizeof(*s));
	tl_vechdr_init(&s->h);
	T_CHECK(tl_vechdr_set_names(&s->h, 3, names, &e) == 0);
	strcpy(s->h.model, DIGEST_A);
	T_CHECK(tl_vechdr_add_stacked(&s->h, DIGEST_B, &e) == 0);
	T_CHECK(tl_vechdr_add_stacked(&s->h, DIGEST_A, &e) == 0);
	for (size_t i = 0; i < 7; i++, s->n++) {
		s->r[i].id = strdup(ids[i]);
		s->r[i].label = strdup(labels[i]);
		s->r[i].x = malloc(sizeof(vals[i]));
		memcpy(s->r[i].x, vals[i], sizeof(vals[i]));
	}
	/* text cannot start a record with '#': keep that id mid-string */
	s->r[5].id[0] = '!';
}

static void
test_roundtrip(void)
{
	struct stream s, t1, b1;
	struct tl_err e;
	char *text = NULL, *bin = NULL, *text2 = NULL;
	size_t tlen, blen, t2len;

	sample(&s);
	T_CHECK(spill(&s, 0, 0, &text, &tlen, &e) == 0);
	T_CHECK(slurp(text, tlen, 2, &t1, &e) == 0);
	T_CHECK(!t1.binary && same_header(&s.h, &t1.h) &&
	    same_records(&s, &t1));
	T_CHECK(spill(&t1, 1, 0, &bin, &blen, &e) == 0);
	T_CHECK(slurp(bin, blen, 5, &b1, &e) == 0);
	T_CHECK(b1.binary && same_header(&s.h, &b1.h) &&
	    same_records(&s, &b1));
	T_CHECK(spill(&b1, 0, 0, &text2, &t2len, &e) == 0);
	T_CHECK(t2len == tlen && memcmp(text, text2, tlen) == 0);
	/* the header line, byte for byte */
	T_CHECK(strncmp(text, "#{\"tl\":\"vectors\",\"version\":1,\"dim\":3,"
	    "\"names\":[\"neg\",\"neu\",\"pos\"],\"model\":\"" DIGEST_A
	    "\",\"stacked\":[\"" DIGEST_B "\",\"" DIGEST_A "\"]}\n"
	    "a\tpos\t0.25\t-12.5\t1e+20\n\t\t0\t-0\t1.5e-07\n",
	    strlen("#{\"tl\":\"vectors\",\"version\":1,\"dim\":3,"
	    "\"names\":[\"neg\",\"neu\",\"pos\"],\"model\":\"" DIGEST_A
	    "\",\"stacked\":[\"" DIGEST_B "\",\"" DIGEST_A "\"]}\n"
	    "a\tpos\t0.25\t-12.5\t1e+20\n\t\t0\t-0\t1.5e-07\n")) == 0);
	/* positions: lines in text (header is line 1), offsets in binary */
	T_CHECK(t1.r[0].pos == 2 && t1.r[6].pos == 8);
	T_CHECK(b1.r[0].pos == 12 + (uint64_t)(strchr(text, '\n') - text -
	    1));
	free(text);
	free(bin);
	free(text2);
	stream_free(&t1);
	stream_free(&b1);
	stream_free(&s);
}

static void
test_no_header(void)
{
	static const char in[] = "a\tx\t1\t2.5\n\nb\ty\t-3\t4e2\n";
	struct stream s, t;
	struct tl_err e;
	char *out = NULL;
	size_t n;

	T_CHECK(slurp(in, sizeof(in) - 1, 16, &s, &e) == 0);
	T_CHECK(s.h.dim == 2 && s.h.names == NULL && s.h.model[0] == '\0' &&
	    s.h.nstacked == 0 && s.n == 2);
	T_CHECK(s.n == 2 && strcmp(s.r[1].id, "b") == 0 &&
	    s.r[1].x[1] == 400 && s.r[1].pos == 3);
	/* --no-header writes the records alone */
	T_CHECK(spill(&s, 0, 1, &out, &n, &e) == 0);
	T_CHECK(n == 21 && memcmp(out, "a\tx\t1\t2.5\nb\ty\t-3\t400\n", n) ==
	    0);
	/* and a header-less stream with one record and no final LF */
	T_CHECK(slurp("id\tl\t7", 6, 1, &t, &e) == 0 && t.h.dim == 1 &&
	    t.n == 1 && t.r[0].x[0] == 7);
	free(out);
	stream_free(&s);
	stream_free(&t);
}

static void
test_header_only_and_empty(void)
{
	static const char future[] = "#{\"tl\":\"vectors\",\"version\":1,"
	    "\"dim\":2,\"future\":{\"x\":[1]},\"sparse\":false}\na\tb\t1\t2\n";
	struct stream s;
	struct tl_err e;

	T_CHECK(slurp(HDR3, strlen(HDR3), 4, &s, &e) == 0);
	T_CHECK(s.h.dim == 3 && s.n == 0);
	stream_free(&s);
	T_CHECK(slurp("", 0, 4, &s, &e) == 0 && s.h.dim == 0 && s.n == 0);
	stream_free(&s);
	T_CHECK(slurp("\n\r\n\n", 4, 4, &s, &e) == 0 && s.h.dim == 0 &&
	    s.n == 0);
	stream_free(&s);
	/* unknown keys are for later versions: ignored */
	T_CHECK(slurp(future, strlen(future), 4, &s, &e) == 0 &&
	    s.h.dim == 2 && s.n == 1);
	stream_free(&s);
}

/* CRLF line ends, and a UTF-8 byte order mark. */
static void
test_crlf(void)
{
	static const char in[] = "#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"names\":[\"p\",\"q\"]}\r\nx\ty\t1\t0.5\r\n\r\nz\t\t-2\t3\r\n";
	static const char bom1[] = "\xef\xbb\xbf" "id\tl\t1\n";
	static const char bom2[] = "\xef\xbb\xbf\n\nid\tl\t1\n";
	struct stream s;
	struct tl_err e;

	T_CHECK(slurp(in, sizeof(in) - 1, 8, &s, &e) == 0);
	T_CHECK(s.h.dim == 2 && s.h.names != NULL &&
	    strcmp(s.h.names[1], "q") == 0 && s.n == 2);
	T_CHECK(s.n == 2 && s.r[0].x[1] == 0.5f && s.r[1].x[1] == 3 &&
	    strcmp(s.r[1].label, "") == 0 && s.r[1].pos == 4);
	stream_free(&s);
	/* a byte order mark before a header, or before a first record */
	T_CHECK(slurp("\xef\xbb\xbf" HDR3, 3 + strlen(HDR3), 8, &s, &e) == 0 &&
	    s.h.dim == 3);
	stream_free(&s);
	T_CHECK(slurp(bom1, strlen(bom1), 8, &s, &e) == 0 &&
	    s.h.dim == 1 && s.n == 1 && strcmp(s.r[0].id, "id") == 0);
	stream_free(&s);
	T_CHECK(slurp(bom2, strlen(bom2), 8, &s, &e) == 0 &&
	    s.h.dim == 1 && s.n == 1 && s.r[0].pos == 3);
	stream_free(&s);
}

static void
test_concat(void)
{
	static const char mixed[] = HDR3 "a\tb\t1\t2\t3\n" HDR3
	    "c\td\t4\t5\t6\n#{\"tl\":\"vectors\",\"version\":1,\"dim\":2}\n";
	static const char shuffled[] = "a\tb\t1\t2\t3\n" HDR3
	    "c\td\t4\t5\t6\n";
	struct stream s, a, c;
	struct tl_err e;
	char *text = NULL, *bin = NULL, *two;
	size_t tlen, blen;

	sample(&s);
	T_CHECK(spill(&s, 0, 0, &text, &tlen, &e) == 0);
	T_CHECK(spill(&s, 1, 0, &bin, &blen, &e) == 0);
	two = malloc(2 * (tlen > blen ? tlen : blen));
	/* cat a b, text */
	memcpy(two, text, tlen);
	memcpy(two + tlen, text, tlen);
	T_CHECK(slurp(two, 2 * tlen, 3, &c, &e) == 0 && c.n == 14);
	T_CHECK(c.n == 14 && strcmp(c.r[7].id, "a") == 0 &&
	    c.r[7].pos == 10 && c.r[13].x[2] == 1e-45f);
	stream_free(&c);
	/* cat a b, binary */
	memcpy(two, bin, blen);
	memcpy(two + blen, bin, blen);
	T_CHECK(slurp(two, 2 * blen, 3, &c, &e) == 0 && c.n == 14);
	T_CHECK(c.n == 14 && strcmp(c.r[10].id, "ünïcødé 🙂") == 0 &&
	    c.r[7].pos == blen + c.r[0].pos);
	stream_free(&c);
	free(text);
	free(bin);
	/* a different dim after the first stream is an error */
	T_CHECK(slurp(mixed, strlen(mixed), 8, &a, &e) == -1);
	T_CHECK(e.pos_kind == TL_POS_LINE && e.pos == 5 &&
	    strcmp(e.msg, "header with dim 2 in a stream of dim 3") == 0);
	stream_free(&a);
	/* a header after records without one: shuffled or cut */
	T_CHECK(slurp(shuffled, strlen(shuffled), 8, &a, &e) == -1);
	T_CHECK(e.pos_kind == TL_POS_LINE && e.pos == 2 &&
	    strncmp(e.msg, "a header line after records without one", 39) ==
	    0);
	stream_free(&a);
	s.h.dim = 2;
	T_CHECK(spill(&s, 1, 0, &bin, &blen, &e) == 0);
	s.h.dim = 3;
	T_CHECK(spill(&s, 1, 0, &text, &tlen, &e) == 0);
	two = realloc(two, tlen + blen);
	memcpy(two, text, tlen);
	memcpy(two + tlen, bin, blen);
	T_CHECK(slurp(two, tlen + blen, 3, &a, &e) == -1);
	T_CHECK(e.pos_kind == TL_POS_BYTE && e.pos == tlen &&
	    strcmp(e.msg, "header with dim 2 in a stream of dim 3") == 0);
	stream_free(&a);
	free(two);
	free(text);
	free(bin);
	stream_free(&s);
}

/* IN must fail at LINE with exactly MSG (MSG ending in '*': a prefix). */
static void
expect_text_error(const char *in, uint64_t line, const char *msg)
{
	struct stream s;
	struct tl_err e;
	size_t n = strlen(msg);
	int ok;

	ok = slurp(in, strlen(in), 2, &s, &e) == -1 &&
	    e.pos_kind == TL_POS_LINE && e.pos == line &&
	    (msg[n - 1] == '*' ? strncmp(e.msg, msg, n - 1) :
	    strcmp(e.msg, msg)) == 0;
	if (!ok) {
		fprintf(stderr, "input \"%s\": want line %llu: %s\n"
		    "                got %s %llu: %s\n", in,
		    (unsigned long long)line, msg,
		    e.pos_kind == TL_POS_LINE ? "line" : "pos",
		    (unsigned long long)e.pos, e.msg);
		t_failed_here = 1;
	}
	stream_free(&s);
}

static void
test_text_errors(void)
{
	expect_text_error(HDR3 "a\tb\t1\t2\n", 2,
	    "expected 3 values, found 2");
	expect_text_error(HDR3 "a\tb\t1\t2\t3\n\nc\td\t1\t2\t3\t4\n", 4,
	    "expected 3 values, found 4");
	expect_text_error(HDR3 "a\tb\t1\t2\t3\t\n", 2,
	    "expected 3 values, found 4");
	expect_text_error(HDR3 "a\tb\t1\tabc\t3\n", 2,
	    "bad value 'abc' in column 4");
	expect_text_error(HDR3 "a\tb\t1\t2\t3\nc\td\t1\t2\tnan\n", 3,
	    "non-finite value 'nan' in column 5");
	expect_text_error(HDR3 "a\tb\t-inf\t2\t3\n", 2,
	    "non-finite value '-inf' in column 3");
	expect_text_error(HDR3 "a\tb\t1\tInfinity\t3\n", 2,
	    "non-finite value 'Infinity' in column 4");
	expect_text_error(HDR3 "a\tb\t1\t2\t1e39\n", 2,
	    "out-of-range value '1e39' in column 5");
	expect_text_error(HDR3 "a\tb\t1\t2\t3.4028236e38\n", 2,
	    "out-of-range value '3.4028236e38' in column 5");
	expect_text_error(HDR3 "a\tb\t1\t\t3\n", 2,
	    "empty value in column 4");
	expect_text_error(HDR3 "a\tb\t0x10\t2\t3\n", 2,
	    "bad value '0x10' in column 3");
	expect_text_error(HDR3 "a\tb\t1e\t2\t3\n", 2,
	    "bad value '1e' in column 3");
	expect_text_error(HDR3 "a\tb\t1 \t2\t3\n", 2,
	    "bad value '1 ' in column 3");
	expect_text_error(HDR3 "a\tb\t 1\t2\t3\n", 2,
	    "bad value ' 1' in column 3");
	expect_text_error(HDR3 "a\tb\t1\t2\t"
	    "3333333333333333333333333333333333333333333333333333x\n", 2,
	    "bad value '3333333333333333333333333333333333333333...' "
	    "in column 5");
	expect_text_error(HDR3 "a\tb\t1:0.5\t7:2\t9:3\n", 2,
	    "sparse field '1:0.5' in column 3, but the header has no "
	    "\"sparse\"");
	expect_text_error("a\tb\t0:0.5\t7:2\n", 1,
	    "sparse field '0:0.5' in column 3, but the header has no "
	    "\"sparse\"");
	expect_text_error(HDR3 "abc\n", 2,
	    "expected id, label and 3 values, found 1 field");
	expect_text_error(HDR3 "a\tb\n", 2, "expected 3 values, found 0");
	/* no header: the first record sets the dim */
	expect_text_error("a\tb\t1\t2\nc\td\t1\n", 2,
	    "expected 2 values, found 1");
	expect_text_error("\n\na\tb\t1\n\nc\td\tx\n", 5,
	    "bad value 'x' in column 3");
	expect_text_error("\na\tb\n", 2,
	    "expected id, label and values, found 2 fields" TEXT_HINT);
	expect_text_error("abc\n", 1,
	    "expected id, label and values, found 1 field" TEXT_HINT);
	/* blanks inside a value: text, or values not separated by TABs */
	expect_text_error("a\tb\tgood fun\n", 1,
	    "bad value 'good fun' in column 3" TEXT_HINT);
	expect_text_error("a\tb\t1 2\n", 1,
	    "bad value '1 2' in column 3 (values are separated by TABs)");
	/* headers */
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":3,"
	    "\"sparse\":true}\n", 1, "header: \"sparse\" must be an integer "
	    "in [1, 4294967296]");
	expect_text_error("#{bad\n", 1, "bad header: *");
	expect_text_error("# a comment\na\tb\t1\n", 1, "bad header: *");
	expect_text_error("#[1,2]\n", 1, "header is not a JSON object");
	expect_text_error("#{\"tl\":\"model\",\"version\":1,\"dim\":3}\n", 1,
	    "not a vector stream header (\"tl\" is not \"vectors\")");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":2,\"dim\":3}\n", 1,
	    "unsupported vector stream version 2 (this tl reads version 1)");
	expect_text_error("#{\"tl\":\"vectors\",\"dim\":3}\n", 1,
	    "header has no integer \"version\"");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":0}\n", 1,
	    "header: \"dim\" must be an integer in [1, 16777216]");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1}\n", 1,
	    "header: \"dim\" must be an integer in [1, 16777216]");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2.5}\n",
	    1, "header: \"dim\" must be an integer in [1, 16777216]");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"names\":[\"a\"]}\n", 1,
	    "header: \"names\" must be an array of 2 strings");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"names\":[\"a\",3]}\n", 1, "header: names[1] is not a string");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"model\":\"abc\"}\n", 1, "header: \"model\" is not a hex SHA-256");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"stacked\":[\"" DIGEST_A "\",\"x\"]}\n", 1,
	    "header: stacked[1] is not a hex SHA-256");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"dim\":2}\n", 1, "bad header: *");
	expect_text_error(HDR3 "a\tb\t1\t2\t3\n# note\n", 3, "bad header: *");
	expect_text_error(HDR3 "a\tb\t1\t2\t3\n"
	    "#{\"tl\":\"vectors\",\"version\":1,\"dim\":2}\n", 3,
	    "header with dim 2 in a stream of dim 3");
}

static void
test_nul_in_text(void)
{
	static const char in[] = "a\0b\tl\t1\n";
	struct stream s;
	struct tl_err e;

	T_CHECK(slurp(in, sizeof(in) - 1, 2, &s, &e) == -1);
	T_CHECK(e.pos_kind == TL_POS_LINE && e.pos == 1 &&
	    strcmp(e.msg, "NUL byte in id or label") == 0);
	stream_free(&s);
}

/* The sample as binary, with its records' offset in *REC0. */
static char *
sample_binary(size_t *len, size_t *rec0)
{
	struct stream s;
	struct tl_err e;
	char *bin = NULL;
	uint32_t hl;

	sample(&s);
	T_CHECK(spill(&s, 1, 0, &bin, len, &e) == 0);
	memcpy(&hl, bin + 8, 4);
	*rec0 = 12 + hl;
	stream_free(&s);
	return bin;
}

static void
expect_bin_error(const char *bin, size_t len, uint64_t off, const char *msg)
{
	struct stream s;
	struct tl_err e;
	int ok;

	ok = slurp(bin, len, 3, &s, &e) == -1 && e.pos_kind == TL_POS_BYTE &&
	    e.pos == off && strcmp(e.msg, msg) == 0;
	if (!ok) {
		fprintf(stderr, "binary: want byte %llu: %s\n"
		    "        got  %s %llu: %s\n", (unsigned long long)off, msg,
		    e.pos_kind == TL_POS_BYTE ? "byte" : "pos",
		    (unsigned long long)e.pos, e.msg);
		t_failed_here = 1;
	}
	stream_free(&s);
}

static void
put32(char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
test_binary_errors(void)
{
	size_t len, r0, r1;
	char *bin = sample_binary(&len, &r0), *c = malloc(len);
	float nan = NAN;

	r1 = r0 + 4 + 1 + 4 + 3 + 12;	/* second record */
	memcpy(c, bin, len);
	put32(c + 4, 2);
	expect_bin_error(c, len, 4, "unsupported binary vector stream "
	    "version 2 (this tl reads version 1)");
	memcpy(c, bin, len);
	put32(c + 8, 0xffffffff);
	expect_bin_error(c, len, 8,
	    "header length 4294967295 exceeds the limit of 268435456 bytes");
	memcpy(c, bin, len);
	put32(c + 8, 1000);
	expect_bin_error(c, len, 12, "truncated header: expected 1000 bytes "
	    "of JSON, found 492");
	memcpy(c, bin, len);
	c[12] = '[';
	expect_bin_error(c, len, 12, "bad header: ']' expected near ':'");
	memcpy(c, bin, len);
	put32(c + r1, 2000000);
	expect_bin_error(c, len, r1,
	    "id length 2000000 exceeds the limit of 1048576 bytes");
	memcpy(c, bin, len);
	put32(c + r1 + 4, 1u << 21);
	expect_bin_error(c, len, r1 + 4,
	    "label length 2097152 exceeds the limit of 1048576 bytes");
	memcpy(c, bin, len);
	put32(c + r1, 100);
	expect_bin_error(c, len, r1 + 100 + 4,
	    "label length 2052880674 exceeds the limit of 1048576 bytes");
	memcpy(c, bin, len);
	memcpy(c + r1 + 8 + 4, &nan, 4);
	expect_bin_error(c, len, r1 + 8 + 4,
	    "non-finite value in component 2");
	memcpy(c, bin, len);
	c[r1 + 4] = 'x';	/* the empty label's length becomes 120 */
	expect_bin_error(c, len, r1 + 8, "NUL byte in label");
	memcpy(c, bin, len);
	c[r0 + 4] = '\0';	/* "a" */
	expect_bin_error(c, len, r0 + 4, "NUL byte in id");
	memcpy(c, bin, len);
	c[r0 + 9] = '\0';	/* "pos" */
	expect_bin_error(c, len, r0 + 9, "NUL byte in label");
	free(c);
	free(bin);
}

/* Cut the binary sample at every length: each cut inside a header or a
 * record is an error at a byte offset, each cut between records reads the
 * records before it. */
static void
test_binary_truncated(void)
{
	size_t len, r0, bounds[16], nb = 0;
	char *bin = sample_binary(&len, &r0);
	struct stream full, s;
	struct tl_err e;

	T_CHECK(slurp(bin, len, 3, &full, &e) == 0 && full.n == 7);
	bounds[nb++] = 0;
	bounds[nb++] = r0;
	for (size_t i = 1; i < full.n; i++)
		bounds[nb++] = full.r[i].pos;
	bounds[nb++] = len;
	for (size_t cut = 0; cut < len; cut++) {
		size_t k;
		char *p = malloc(cut + 1);
		int rc;

		memcpy(p, bin, cut);
		rc = slurp(p, cut, 3, &s, &e);
		for (k = 0; k < nb && bounds[k] != cut; k++)
			;
		if (k < nb) {
			T_CHECK(rc == 0);
			T_CHECK(s.n == (k == 0 ? 0 : k - 1));
		} else {
			T_CHECK(rc == -1 && e.pos_kind == TL_POS_BYTE);
			T_CHECK(strncmp(e.msg, "truncated ", 10) == 0);
			if (rc == 0 || strncmp(e.msg, "truncated ", 10) != 0)
				fprintf(stderr, "cut at %zu: %s\n", cut,
				    e.msg);
		}
		stream_free(&s);
		free(p);
	}
	stream_free(&full);
	free(bin);
}

static void
test_block_boundaries(void)
{
	char in[20000], *p = in, big[5001];
	struct tl_vecreader *r;
	struct tl_vecblock b;
	struct tl_err e;
	long got, sizes[8], nb = 0;
	size_t seen = 0;
	FILE *f;
	int ok = 1;

	memset(big, 'z', 5000);
	big[5000] = '\0';
	p += sprintf(p, "%s", HDR3);
	for (int i = 0; i < 10; i++)
		p += sprintf(p, "id%d\t%s\t%d\t%d.5\t-%d\n", i,
		    i == 4 ? big : "lab", i, i, i);
	f = mem(in, (size_t)(p - in));
	T_CHECK((r = tl_vecreader_open(f, "t", &e)) != NULL);
	T_CHECK(tl_vecblock_init(&b, 3, 3, &e) == 0);
	while ((got = tl_vecreader_read(r, &b, &e)) > 0 && nb < 8) {
		sizes[nb++] = got;
		for (size_t i = 0; i < b.n; i++, seen++) {
			char want[16];

			snprintf(want, sizeof(want), "id%zu", seen);
			ok &= strcmp(b.id[i], want) == 0;
			ok &= strcmp(b.label[i], seen == 4 ? big : "lab") == 0;
			ok &= b.x[i * 3] == (float)seen &&
			    b.x[i * 3 + 1] == (float)seen + 0.5f &&
			    b.x[i * 3 + 2] == -(float)seen;
			ok &= b.pos[i] == seen + 2;
		}
	}
	T_CHECK(ok && got == 0 && seen == 10 && nb == 4);
	T_CHECK(sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 3 &&
	    sizes[3] == 1);
	/* a block of the wrong dim is refused */
	tl_vecblock_free(&b);
	T_CHECK(tl_vecblock_init(&b, 3, 2, &e) == 0);
	T_CHECK(tl_vecreader_read(r, &b, &e) == -1);
	tl_vecblock_free(&b);
	tl_vecreader_close(r);
	fclose(f);
}

/* A line longer than the reader's first buffer. */
static void
test_long_line(void)
{
	size_t dim = 40000, n = 0;
	char *in = malloc(dim * 16 + 64);
	struct stream s;
	struct tl_err e;
	int ok = 1;

	n += (size_t)sprintf(in, "x\ty");
	for (size_t j = 0; j < dim; j++)
		n += (size_t)sprintf(in + n, "\t%zu.0625", j);
	in[n++] = '\n';
	T_CHECK(slurp(in, n, 1, &s, &e) == 0 && s.h.dim == dim && s.n == 1);
	for (size_t j = 0; s.n == 1 && j < dim; j++)
		ok &= s.r[0].x[j] == (float)j + 0.0625f;
	T_CHECK(ok);
	stream_free(&s);
	free(in);
}

/* The writer's test of the values, four at a time then one by one: a
 * value that is not finite, at every place of a 9-component record,
 * names that component; the extremes of the finite floats pass. */
static void
test_writer_finite(void)
{
	const float bad[] = { NAN, -NAN, INFINITY, -INFINITY };
	struct tl_vecwriter *w;
	struct tl_vechdr h;
	struct tl_err e;
	float x[9];
	char want[64], *out = NULL;
	size_t n;
	FILE *f = open_memstream(&out, &n);

	tl_vechdr_init(&h);
	T_CHECK(tl_vechdr_set_names(&h, 9, NULL, &e) == 0);
	T_CHECK((w = tl_vecwriter_new(f, &h, 1, 0, &e)) != NULL);
	for (size_t j = 0; j < 9; j++)
		x[j] = j % 2 ? -FLT_MAX : FLT_MAX;
	T_CHECK(tl_vecwriter_put(w, "ok", NULL, x, &e) == 0);
	for (size_t j = 0; j < 9; j++)
		for (size_t k = 0; k < 4; k++) {
			float keep = x[j];

			x[j] = bad[k];
			snprintf(want, sizeof(want), "record 2: non-finite "
			    "value in component %zu", j + 1);
			T_CHECK(tl_vecwriter_put(w, "no", NULL, x, &e) == -1 &&
			    strcmp(e.msg, want) == 0);
			x[j] = keep;
		}
	tl_vecwriter_free(w);
	tl_vechdr_free(&h);
	fclose(f);
	free(out);
}

static void
test_writer_errors(void)
{
	struct stream s;
	struct tl_vecwriter *w;
	struct tl_vechdr h;
	struct tl_err e;
	float x[3] = { 1, 2, 3 }, bad[3] = { 1, INFINITY, 3 };
	char *out = NULL;
	size_t n;
	FILE *f = open_memstream(&out, &n);

	sample(&s);
	T_CHECK((w = tl_vecwriter_new(f, &s.h, 0, 0, &e)) != NULL);
	T_CHECK(tl_vecwriter_put(w, "a\tb", "", x, &e) == -1 &&
	    strcmp(e.msg, "record 1: id contains a TAB, CR or LF, which the "
	    "text form cannot hold") == 0);
	T_CHECK(tl_vecwriter_put(w, "ok", "l\n", x, &e) == -1 &&
	    strcmp(e.msg, "record 1: label contains a TAB, CR or LF, which "
	    "the text form cannot hold") == 0);
	T_CHECK(tl_vecwriter_put(w, "ok", "l", x, &e) == 0);
	T_CHECK(tl_vecwriter_put(w, "x\r", "l", x, &e) == -1 &&
	    strncmp(e.msg, "record 2: id contains", 21) == 0);
	T_CHECK(tl_vecwriter_put(w, "#x", "l", x, &e) == -1 &&
	    strcmp(e.msg, "record 2: id starts with '#', which the text form "
	    "reads as a header") == 0);
	T_CHECK(tl_vecwriter_put(w, NULL, NULL, bad, &e) == -1 &&
	    strcmp(e.msg, "record 2: non-finite value in component 2") == 0);
	T_CHECK(tl_vecwriter_flush(w, &e) == 0);
	tl_vecwriter_free(w);
	fclose(f);
	T_CHECK(strchr(out, '\n') != NULL &&
	    strcmp(strchr(out, '\n'), "\nok\tl\t1\t2\t3\n") == 0);
	free(out);
	/* binary holds what text cannot */
	f = open_memstream(&out, &n);
	T_CHECK((w = tl_vecwriter_new(f, &s.h, 1, 0, &e)) != NULL);
	T_CHECK(tl_vecwriter_put(w, "#a\tb", "c\r\n", x, &e) == 0);
	T_CHECK(tl_vecwriter_put(w, "a", "b", bad, &e) == -1);
	T_CHECK(tl_vecwriter_flush(w, &e) == 0);
	tl_vecwriter_free(w);
	fclose(f);
	free(out);
	/* dim 0 cannot be written */
	tl_vechdr_init(&h);
	T_CHECK(tl_vecwriter_new(stdout, &h, 0, 0, &e) == NULL &&
	    strcmp(e.msg, "cannot write vectors of dim 0 (1 to 16777216)") ==
	    0);
	/* a full disk: the error keeps errno, and stays */
	if ((f = fopen("/dev/full", "w")) != NULL) {
		T_CHECK((w = tl_vecwriter_new(f, &s.h, 0, 0, &e)) != NULL);
		T_CHECK(tl_vecwriter_put(w, "a", "b", x, &e) == 0);
		T_CHECK(tl_vecwriter_flush(w, &e) == -1 &&
		    e.errnum == ENOSPC);
		tl_err_clear(&e);
		T_CHECK(tl_vecwriter_put(w, "a", "b", x, &e) == -1 &&
		    e.errnum == ENOSPC);
		tl_vecwriter_free(w);
		fclose(f);
	}
	stream_free(&s);
}

#define HDRSP "#{\"tl\":\"vectors\",\"version\":1,\"dim\":2," \
	"\"sparse\":100}\n"

/* Write the sparse sample to a new FILE in binary or text form. */
static FILE *
sparse_sample(int binary)
{
	static const uint32_t idx[] = { 3, 17, 99, 0 };
	static const float val[] = { 1.5f, -2, 0.25f, 1e-7f };
	static const float x[] = { 0.5f, -1, 2, 3 };
	struct tl_vechdr h;
	struct tl_vecwriter *w;
	struct tl_err e;
	FILE *f = tmpfile();

	tl_vechdr_init(&h);
	h.dim = 2;
	h.sparse = 100;
	T_CHECK(f != NULL);
	w = tl_vecwriter_new(f, &h, binary, 0, &e);
	T_CHECK(w != NULL);
	T_CHECK(tl_vecwriter_put_sparse(w, "a", "x", x, 3, idx, val, &e) ==
	    0);
	T_CHECK(tl_vecwriter_put(w, "b", "y", x + 2, &e) == 0);
	T_CHECK(tl_vecwriter_put_sparse(w, "c", "", x, 1, idx + 3, val + 3,
	    &e) == 0);
	T_CHECK(tl_vecwriter_flush(w, &e) == 0);
	tl_vecwriter_free(w);
	rewind(f);
	return f;
}

/* Read the sparse sample back from F with blocks of 2 and check it. */
static void
check_sparse_sample(FILE *f)
{
	struct tl_vecreader *r;
	struct tl_vecblock b;
	struct tl_err e;
	size_t seen = 0;

	T_CHECK((r = tl_vecreader_open(f, "t", &e)) != NULL);
	T_CHECK(tl_vecreader_header(r)->sparse == 100);
	T_CHECK(tl_vecblock_init(&b, 2, 2, &e) == 0);
	while (tl_vecreader_read(r, &b, &e) > 0) {
		T_CHECK(b.sparse == 100 && b.sp_off[0] == 0);
		for (size_t i = 0; i < b.n; i++, seen++) {
			size_t o = b.sp_off[i], n = b.sp_off[i + 1] - o;

			if (seen == 0)
				T_CHECK(n == 3 && b.sp_idx[o] == 3 &&
				    b.sp_idx[o + 2] == 99 &&
				    b.sp_val[o + 1] == -2 &&
				    b.x[0] == 0.5f);
			if (seen == 1)
				T_CHECK(n == 0 && b.x[i * 2 + 1] == 3);
			if (seen == 2)
				T_CHECK(n == 1 && b.sp_idx[o] == 0 &&
				    b.sp_val[o] == 1e-7f &&
				    strcmp(b.label[i], "") == 0);
		}
	}
	T_CHECK(seen == 3);
	tl_vecblock_free(&b);
	tl_vecreader_close(r);
	fclose(f);
}

static void
test_sparse_roundtrip(void)
{
	FILE *f = sparse_sample(0);
	char buf[512];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);

	buf[n] = '\0';
	T_CHECK(strcmp(buf, HDRSP "a\tx\t0.5\t-1\t3:1.5\t17:-2\t99:0.25\n"
	    "b\ty\t2\t3\nc\t\t0.5\t-1\t0:1e-07\n") == 0);
	rewind(f);
	check_sparse_sample(f);
	check_sparse_sample(sparse_sample(1));
	/* text read back and written in binary reads back the same */
	check_sparse_sample(mem(buf, n));
}

static void
test_sparse_errors(void)
{
	struct tl_vechdr h;
	struct tl_vecwriter *w;
	struct tl_err e;
	static const uint32_t idx[] = { 5, 5, 200 };
	static const float val[] = { 1, 2, 3 }, x[] = { 0, 0 };
	FILE *f = tmpfile();
	char *bin;
	size_t len;

	expect_text_error(HDRSP "a\tb\t1\t2\t3:1\t3:2\n", 2,
	    "index not above the previous one in '3:2' in column 6");
	expect_text_error(HDRSP "a\tb\t1\t2\t100:1\n", 2,
	    "index out of range of the header's \"sparse\" in '100:1' in "
	    "column 5");
	expect_text_error(HDRSP "a\tb\t1\t2\t3:x\n", 2,
	    "bad value in '3:x' in column 5");
	expect_text_error(HDRSP "a\tb\t1\t2\t3\n", 2,
	    "expected index:value, found '3' in column 5");
	expect_text_error(HDRSP "a\tb\t1\t2\t:3\n", 2,
	    "expected index:value, found ':3' in column 5");
	expect_text_error(HDRSP "a\tb\t1\t3:2\n", 2,
	    "sparse field '3:2' in column 4, among the 2 dense values");
	expect_text_error(HDRSP "#{\"tl\":\"vectors\",\"version\":1,"
	    "\"dim\":2}\n", 2, "header with sparse 0 in a stream of sparse "
	    "100");
	expect_text_error("#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,"
	    "\"sparse\":0}\n", 1, "header: \"sparse\" must be an integer "
	    "in [1, 4294967296]");
	/* binary: the second pair's index repeats the first's */
	tl_vechdr_init(&h);
	h.dim = 2;
	h.sparse = 100;
	w = tl_vecwriter_new(f, &h, 1, 0, &e);
	T_CHECK(tl_vecwriter_put_sparse(w, "a", "b", x, 2, idx, val, &e) ==
	    -1 && strcmp(e.msg, "record 1: sparse index 5 not above the "
	    "previous one") == 0);
	T_CHECK(tl_vecwriter_put_sparse(w, "a", "b", x, 1, idx + 2, val, &e)
	    == -1 && strcmp(e.msg, "record 1: sparse index 200 out of "
	    "range") == 0);
	T_CHECK(tl_vecwriter_put_sparse(w, "a", "b", x, 1, idx, val, &e) ==
	    0);
	T_CHECK(tl_vecwriter_flush(w, &e) == 0);
	tl_vecwriter_free(w);
	len = (size_t)ftell(f);
	rewind(f);
	bin = malloc(len + 8);
	T_CHECK(fread(bin, 1, len, f) == len);
	/* a second pair, equal index: count 2 */
	put32(bin + len - 12, 2);
	memcpy(bin + len, bin + len - 8, 8);
	expect_bin_error(bin, len + 8, len, "sparse index 5 not above the "
	    "previous one");
	put32(bin + len - 12, 3);
	expect_bin_error(bin, len + 8, len - 30,
	    "truncated record: expected 46 bytes, found 38");
	put32(bin + len - 12, 1);
	put32(bin + len - 8, 100);
	expect_bin_error(bin, len, len - 8, "sparse index 100 out of range "
	    "of the header's \"sparse\"");
	free(bin);
	fclose(f);
	tl_vechdr_free(&h);
}

static void
test_hdr_helpers(void)
{
	struct tl_vechdr a, b;
	struct tl_err e;
	const char *names[] = { "x", "y" };

	tl_vechdr_init(&a);
	tl_vechdr_init(&b);
	T_CHECK(tl_vechdr_set_names(&a, 2, names, &e) == 0 && a.dim == 2);
	T_CHECK(tl_vechdr_add_stacked(&a, DIGEST_A, &e) == 0);
	strcpy(a.model, DIGEST_B);
	T_CHECK(tl_vechdr_copy(&b, &a, &e) == 0 && same_header(&a, &b));
	T_CHECK(b.names != a.names && b.stacked[0] != a.stacked[0]);
	T_CHECK(tl_vechdr_copy(&b, &a, &e) == 0 && same_header(&a, &b));
	T_CHECK(tl_vechdr_set_names(&a, 5, NULL, &e) == 0 && a.dim == 5 &&
	    a.names == NULL);
	tl_vechdr_free(&a);
	T_CHECK(a.dim == 0 && a.nstacked == 0 && a.model[0] == '\0');
	tl_vechdr_free(&b);
}

int
main(void)
{
	T_RUN(test_roundtrip);
	T_RUN(test_no_header);
	T_RUN(test_header_only_and_empty);
	T_RUN(test_crlf);
	T_RUN(test_concat);
	T_RUN(test_text_errors);
	T_RUN(test_nul_in_text);
	T_RUN(test_binary_errors);
	T_RUN(test_binary_truncated);
	T_RUN(test_block_boundaries);
	T_RUN(test_long_line);
	T_RUN(test_writer_errors);
	T_RUN(test_writer_finite);
	T_RUN(test_hdr_helpers);
	T_RUN(test_sparse_roundtrip);
	T_RUN(test_sparse_errors);
	return t_done();
}
