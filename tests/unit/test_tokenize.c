/*
 * Unit tests of the tokeniser.  The cases are data: each line of
 * tests/data/embed-tokens.tsv (the general mode) and
 * tests/data/embed-tweet-tokens.tsv (the tweet mode) is an input, a TAB
 * and the expected tokens separated by spaces (both columns unescaped:
 * \t \n \r \\ \xNN, \e for an empty input).  A few cases that a table cannot hold well (a very long
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

/* Run the cases of tests/data/FILE through a tokenizer of description
 * SPEC; returns the number of cases. */
static size_t
run_table(const char *file, const json_t *spec)
{
	const char *top = getenv("TL_TOP");
	char path[4096], *line = NULL, in[4096], want[4096], got[8192];
	size_t cap = 0, cases = 0;
	ssize_t n;
	unsigned lineno = 0;
	struct tl_tokens t;
	struct tl_err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".",
	    file);
	T_CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return 0;
	tl_tokens_init(&t);
	T_CHECK(tl_tokens_configure(&t, spec, &e) == 0);
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
	free(line);
	fclose(f);
	tl_tokens_free(&t);
	return cases;
}

static void
test_table(void)
{
	T_CHECK(run_table("embed-tokens.tsv", NULL) >= 40);
}

static void
test_tweet_table(void)
{
	json_t *spec = tl_tokenizer_spec_mode(TL_TOK_TWEET);

	T_CHECK(spec != NULL);
	T_CHECK(run_table("embed-tweet-tokens.tsv", spec) >= 40);
	json_decref(spec);
}

/* split_hashtags false keeps a hashtag one word. */
static void
test_tweet_nosplit(void)
{
	json_t *spec = json_pack("{s:s, s:b}", "mode", "tweet",
	    "split_hashtags", 0);
	struct tl_tokens t;
	struct tl_err e;
	char got[256];
	const char *s = "#MondayMotivation #NBA_Finals";

	tl_tokens_init(&t);
	T_CHECK(tl_tokens_configure(&t, spec, &e) == 0);
	T_CHECK(tl_tokenize(&t, s, strlen(s)) == 5);
	join(&t, got, sizeof(got));
	T_CHECK(strcmp(got, "<hashtag> mondaymotivation <hashtag> nba finals")
	    == 0);
	json_decref(spec);
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
	T_CHECK(len == n && w[0] == 'a' && w[n - 1] == 'a');
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

/* Long texts in the tweet mode: a shouted, elongated word of a million
 * letters (ASCII and not), and a text of many markers, whose tokens
 * outgrow the text. */
static void
test_tweet_long(void)
{
	size_t n = 1 << 20, len;
	char *s = malloc(2 * n + 8);
	json_t *tweet = tl_tokenizer_spec_mode(TL_TOK_TWEET);
	struct tl_tokens t;
	struct tl_err e;
	const char *w;

	T_CHECK(s != NULL);
	if (s == NULL)
		return;
	tl_tokens_init(&t);
	T_CHECK(tl_tokens_configure(&t, tweet, &e) == 0);
	memset(s, 'A', n);
	T_CHECK(tl_tokenize(&t, s, n) == 3);
	w = tl_tokens_at(&t, 0, &len);
	T_CHECK(len == 1 && w[0] == 'a');
	w = tl_tokens_at(&t, 2, &len);
	T_CHECK(len == 7 && strcmp(w, "<elong>") == 0);
	for (size_t i = 0; i < n; i += 2)
		memcpy(s + i, "\xc3\x89", 2);		/* É */
	T_CHECK(tl_tokenize(&t, s, n) == 3);
	w = tl_tokens_at(&t, 0, &len);
	T_CHECK(len == 2 && memcmp(w, "\xc3\xa9", 2) == 0);
	for (size_t i = 0; i + 3 <= n; i += 3)
		memcpy(s + i, "#A ", 3);
	T_CHECK(tl_tokenize(&t, s, n / 3 * 3) == (long)(n / 3 * 2));
	w = tl_tokens_at(&t, t.n - 2, &len);
	T_CHECK(strcmp(w, "<hashtag>") == 0);
	tl_tokens_free(&t);
	json_decref(tweet);
	free(s);
}

/* ASCII texts take a path of their own (lower-cased 16 bytes at a time,
 * tokens read in place, split by 64-bit masks): random ones of every
 * printable byte, tab and space, and others of long words, of every
 * length up to 256, split as the Unicode path splits them
 * with " \xc3\xa9" after (one more token, "\xc3\xa9"). */
static void
test_ascii_path(void)
{
	struct tl_tokens a, u;
	static const char few[] = " -.',!";
	char s[260], j1[4096], j2[4096];
	const char *w;
	unsigned long x = 12345;
	size_t len;

	tl_tokens_init(&a);
	tl_tokens_init(&u);
	for (int round = 0; round < 6000; round++) {
		size_t n = (size_t)round % 257;

		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			if (round % 2)	/* long words, across the masks' words */
				s[i] = (x >> 60) != 0 ? (char)('A' + (x >> 33) %
				    26) : few[(x >> 33) % (sizeof(few) - 1)];
			else
				s[i] = (char)(x >> 59 == 0 ? ' ' : x >> 59 ==
				    1 ? '\t' : 32 + (x >> 33) % 95);
		}
		memcpy(s + n, " \xc3\xa9", 3);
		T_CHECK(tl_tokenize(&a, s, n) >= 0);
		T_CHECK(tl_tokenize(&u, s, n + 3) == (long)a.n + 1);
		w = tl_tokens_at(&u, u.n - 1, &len);
		T_CHECK(len == 2 && memcmp(w, "\xc3\xa9", 2) == 0);
		u.n--;
		join(&a, j1, sizeof(j1));
		join(&u, j2, sizeof(j2));
		T_CHECK(strcmp(j1, j2) == 0);
	}
	tl_tokens_free(&a);
	tl_tokens_free(&u);
}

/* Every byte value, alone and in the middle of a word: no crash, and the
 * output is valid UTF-8 made of non-empty tokens. */
static void
test_all_bytes(void)
{
	struct tl_tokens t;
	struct tl_err e;
	char s[8];
	json_t *tweet = tl_tokenizer_spec_mode(TL_TOK_TWEET);
	size_t len;

	tl_tokens_init(&t);
	for (int b = 0; b < 512; b++) {	/* general, then tweet */
		if (b == 256)
			T_CHECK(tl_tokens_configure(&t, tweet, &e) == 0);
		memcpy(s, "ab", 2);
		s[2] = (char)b;
		memcpy(s + 3, "cd", 2);
		T_CHECK(tl_tokenize(&t, s, 5) >= 1);
		for (size_t i = 0; i < t.n; i++) {
			tl_tokens_at(&t, i, &len);
			T_CHECK(len > 0);
		}
	}
	json_decref(tweet);
	tl_tokens_free(&t);
}

/* Whether the LEN bytes at S are valid UTF-8. */
static int
valid_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t k = u[i] < 0x80 ? 1 : (u[i] & 0xE0) == 0xC0 ? 2 :
		    (u[i] & 0xF0) == 0xE0 ? 3 : (u[i] & 0xF8) == 0xF0 ? 4 : 0;

		if (k == 0 || i + k > len)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((u[i + j] & 0xC0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/* Random texts made of the pieces the tweet rules look at, invalid bytes
 * and wide characters: every token is non-empty valid UTF-8. */
static void
test_tweet_random(void)
{
	static const char *const pieces[] = { ":", ";", "=", "8", "-", "'",
	    ")", "(", "]", "[", "D", "d", "P", "p", "x", "X", "/", "\\", "|",
	    "<", "3", "#", "@", "_", "!", "?", ".", ",", "&amp;", "&lt;", "&",
	    "http://", "www.", "a", "A", "o", "O", " ", "\t", "1", "0", "+",
	    "\xff", "\xe2\x82", "\xc3\x89", "\xf0\x9f\x98\x82",
	    "\xf0\x9f\x8f\xbd", "\xf0\x9f\x87\xba", "\xef\xb8\x8f",
	    "\xe2\x80\x8d", "\xef\xac\x81", "\xc3\x9f", "'s", "n't" };
	size_t np = sizeof(pieces) / sizeof(pieces[0]), len, tl;
	json_t *tweet = tl_tokenizer_spec_mode(TL_TOK_TWEET);
	struct tl_tokens t;
	struct tl_err e;
	char s[256];
	unsigned seed = 12345;

	tl_tokens_init(&t);
	T_CHECK(tl_tokens_configure(&t, tweet, &e) == 0);
	for (int round = 0; round < 20000; round++) {
		len = 0;
		for (int k = 0; k < 30; k++) {
			const char *p;

			seed = seed * 1103515245 + 12345;
			p = pieces[(seed >> 16) % np];
			if (len + strlen(p) >= sizeof(s))
				break;
			memcpy(s + len, p, strlen(p));
			len += strlen(p);
		}
		T_CHECK(tl_tokenize(&t, s, len) == (long)t.n);
		for (size_t i = 0; i < t.n; i++) {
			const char *w = tl_tokens_at(&t, i, &tl);

			T_CHECK(tl > 0 && w[tl] == '\0' && valid_utf8(w, tl));
		}
	}
	json_decref(tweet);
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
	T_CHECK(tl_tokens_configure(&t, bad, &e) == 0);
	T_CHECK(t.mode == TL_TOK_TWEET && t.split_hashtags);
	json_decref(bad);
	bad = json_pack("{s:s}", "mode", "bpe");
	T_CHECK(tl_tokens_configure(&t, bad, &e) == -1);
	T_CHECK(strstr(e.msg, "'bpe'") != NULL);
	json_decref(bad);
	bad = json_pack("{s:s, s:s}", "mode", "tweet", "split_hashtags", "y");
	T_CHECK(tl_tokens_configure(&t, bad, &e) == -1);
	json_decref(bad);
	bad = tl_tokenizer_spec_mode(TL_TOK_TWEET);
	T_CHECK(json_is_true(json_object_get(bad, "split_hashtags")));
	T_CHECK(strcmp(json_string_value(json_object_get(bad, "mode")),
	    "tweet") == 0);
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
	T_RUN(test_tweet_table);
	T_RUN(test_tweet_nosplit);
	T_RUN(test_long);
	T_RUN(test_tweet_long);
	T_RUN(test_ascii_path);
	T_RUN(test_all_bytes);
	T_RUN(test_tweet_random);
	T_RUN(test_configure);
	return t_done();
}
