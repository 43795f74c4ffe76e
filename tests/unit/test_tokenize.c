/*
 * Unit tests of the general tokeniser.  The cases are data: each line of
 * tests/data/embed-tokens.tsv is an input, a TAB and the expected tokens
 * separated by spaces (both columns unescaped: \t \n \r \\ \xNN, \e for an
 * empty input).  A few cases that a table cannot hold well (a very long
 * token, reuse of the buffers, the model's tokenizer description) are
 * plain functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "tokenize.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescape [S, S+N) into OUT (at least N bytes); returns the length. */
static size_t
unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			out[o++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 't': out[o++] = '\t'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 'e': break;
		case 'x':
			if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0) {
				out[o++] = (char)(hexval(s[i + 1]) * 16 +
				    hexval(s[i + 2]));
				i += 2;
				break;
			}
			/* FALLTHROUGH */
		default: out[o++] = s[i]; break;
		}
	}
	return o;
}

/* The tokens of T joined by single spaces, in OUT (size CAP). */
static void
join(const struct tl_tokens *t, char *out, size_t cap)
{
	size_t o = 0, len;

	out[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const char *s = tl_tokens_at(t, i, &len);

		if (o + len + 2 > cap)
			break;
		if (i > 0)
			out[o++] = ' ';
		memcpy(out + o, s, len);
		o += len;
		out[o] = '\0';
	}
}

static void
test_table(void)
{
	const char *top = getenv("TL_TOP");
	char path[4096], *line = NULL, in[4096], want[4096], got[8192];
	size_t cap = 0, cases = 0;
	ssize_t n;
	unsigned lineno = 0;
	struct tl_tokens t;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/embed-tokens.tsv",
	    top ? top : ".");
	T_CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	tl_tokens_init(&t);
	while ((n = getline(&line, &cap, f)) != -1) {
		char *tab;
		size_t inlen, wantlen;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((tab = strchr(line, '\t')) == NULL ||
		    (size_t)n >= sizeof(in)) {
			fprintf(stderr, "%s:%u: malformed case\n", path, lineno);
			T_CHECK(0);
			continue;
		}
		inlen = unescape(line, (size_t)(tab - line), in);
		wantlen = unescape(tab + 1, strlen(tab + 1), want);
		want[wantlen] = '\0';
		T_CHECK(tl_tokenize(&t, in, inlen) == (long)t.n);
		join(&t, got, sizeof(got));
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "%s:%u: got [%s], want [%s]\n", path,
			    lineno, got, want);
			T_CHECK(!"tokens differ");
		}
		cases++;
	}
	T_CHECK(cases >= 40);
	free(line);
	fclose(f);
	tl_tokens_free(&t);
}

/* A token far longer than any buffer's first size, and a text of many
 * tokens, through the same struct: the buffers grow and are reused. */
static void
test_long(void)
{
	size_t n = 1 << 20, len;
	char *s = malloc(2 * n);
	struct tl_tokens t;
	const char *w;

	T_CHECK(s != NULL);
	if (s == NULL)
		return;
	tl_tokens_init(&t);
	memset(s, 'A', n);
	T_CHECK(tl_tokenize(&t, s, n) == 1);
	w = tl_tokens_at(&t, 0, &len);
	T_CHECK(len == n && w[0] == 'a' && w[n - 1] == 'a' && w[n] == '\0');
	for (size_t i = 0; i < n; i += 2) {
		s[i] = 'x';
		s[i + 1] = ' ';
	}
	T_CHECK(tl_tokenize(&t, s, n) == (long)(n / 2));
	w = tl_tokens_at(&t, n / 2 - 1, &len);
	T_CHECK(len == 1 && w[0] == 'x');
	T_CHECK(tl_tokenize(&t, "", 0) == 0 && t.n == 0);
	T_CHECK(tl_tokenize(&t, "Ünïcode Words", strlen("Ünïcode Words")) == 2);
	w = tl_tokens_at(&t, 1, &len);
	T_CHECK(len == 5 && memcmp(w, "words", 5) == 0);
	tl_tokens_free(&t);
	free(s);
}

/* Every byte value, alone and in the middle of a word: no crash, and the
 * output is valid UTF-8 made of non-empty tokens. */
static void
test_all_bytes(void)
{
	struct tl_tokens t;
	char s[8];

	tl_tokens_init(&t);
	for (int b = 0; b < 256; b++) {
		size_t len;

		memcpy(s, "ab", 2);
		s[2] = (char)b;
		memcpy(s + 3, "cd", 2);
		T_CHECK(tl_tokenize(&t, s, 5) >= 1);
		for (size_t i = 0; i < t.n; i++) {
			tl_tokens_at(&t, i, &len);
			T_CHECK(len > 0);
		}
	}
	tl_tokens_free(&t);
}

static void
test_configure(void)
{
	struct tl_tokens t;
	struct tl_err e;
	json_t *spec = tl_tokenizer_spec(), *bad;

	tl_tokens_init(&t);
	T_CHECK(spec != NULL);
	T_CHECK(tl_tokens_configure(&t, spec, &e) == 0);
	T_CHECK(tl_tokens_configure(&t, NULL, &e) == 0);
	bad = json_pack("{s:s}", "mode", "tweet");
	T_CHECK(tl_tokens_configure(&t, bad, &e) == -1);
	T_CHECK(strstr(e.msg, "tweet") != NULL);
	json_decref(bad);
	bad = json_pack("{s:s, s:b}", "mode", "general", "lowercase", 0);
	T_CHECK(tl_tokens_configure(&t, bad, &e) == -1);
	json_decref(bad);
	bad = json_pack("[]");
	T_CHECK(tl_tokens_configure(&t, bad, &e) == -1);
	json_decref(bad);
	json_decref(spec);
	tl_tokens_free(&t);
}

int
main(void)
{
	T_RUN(test_table);
	T_RUN(test_long);
	T_RUN(test_all_bytes);
	T_RUN(test_configure);
	return t_done();
}
