/*
 * The general tokeniser; see tokenize.h.  Work happens in two steps over a
 * code point array: normalise (ASCII text, the common case, is only
 * lower-cased; anything else is made valid UTF-8 and goes through
 * utf8proc's NFKC_Casefold into reusable buffers), then split with the
 * PTB-like rules below.  The buffers are grown once per text, before the
 * split, to the most the split can need (a token per code point, four
 * bytes per code point plus a NUL per token), so the inner loops never
 * check for room.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenize.h"

#define NFKC_CASEFOLD (UTF8PROC_STABLE | UTF8PROC_COMPAT | \
	UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

enum cls { C_SPACE, C_WORD, C_PUNCT };

static enum cls
cls_of(int32_t c)
{
	/* ASCII: controls and blanks separate, letters and digits make
	 * words (the text is lower-cased by now), the rest is punctuation */
	if (c < 128) {
		if (c <= ' ' || c == 127)
			return C_SPACE;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z'))
			return C_WORD;
		return C_PUNCT;
	}
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:	/* marks belong to their word */
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return C_WORD;
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
	case UTF8PROC_CATEGORY_CC:
		return C_SPACE;
	default:
		return C_PUNCT;
	}
}

void
tl_tokens_init(struct tl_tokens *t)
{
	memset(t, 0, sizeof(*t));
	t->mode = TL_TOK_GENERAL;
}

void
tl_tokens_free(struct tl_tokens *t)
{
	free(t->buf);
	free(t->off);
	free(t->len);
	free(t->cp);
	free(t->utf8);
	tl_tokens_init(t);
}

json_t *
tl_tokenizer_spec(void)
{
	return json_pack("{s:s, s:b, s:s}", "mode", "general", "lowercase", 1,
	    "normalize", "NFKC");
}

int
tl_tokens_configure(struct tl_tokens *t, const json_t *spec,
    struct tl_err *e)
{
	const json_t *v;

	t->mode = TL_TOK_GENERAL;
	if (spec == NULL)
		return 0;
	if (!json_is_object(spec))
		return tl_errf(e, "tokenizer description is not an object");
	v = json_object_get(spec, "mode");
	if (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "general") != 0))
		return tl_errf(e, "tokenizer mode %s%s%s is not known to this "
		    "version (known: general)", json_is_string(v) ? "'" : "",
		    json_is_string(v) ? json_string_value(v) : "(not a string)",
		    json_is_string(v) ? "'" : "");
	v = json_object_get(spec, "lowercase");
	if (v != NULL && !json_is_true(v))
		return tl_errf(e, "tokenizer: only \"lowercase\": true is "
		    "supported");
	v = json_object_get(spec, "normalize");
	if (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "NFKC") != 0))
		return tl_errf(e, "tokenizer: only \"normalize\": \"NFKC\" is "
		    "supported");
	return 0;
}

/* Grow *P (of *CAP elements of SIZE bytes) to at least N elements. */
static int
grow(void *p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c = *cap ? *cap : 64;

	if (n <= *cap)
		return 0;
	while (c < n) {
		if (c > SIZE_MAX / 2 / size)
			return -1;
		c *= 2;
	}
	if ((q = realloc(*(void **)p, c * size)) == NULL)
		return -1;
	*(void **)p = q;
	*cap = c;
	return 0;
}

/* Room for N tokens in t->off and t->len. */
static int
grow_tokens(struct tl_tokens *t, size_t n)
{
	size_t cap = t->tok_cap, *len;

	if (n <= t->tok_cap)
		return 0;
	if (grow(&t->off, &cap, n, sizeof(size_t)) == -1)
		return -1;
	if ((len = realloc(t->len, cap * sizeof(size_t))) == NULL)
		return -1;	/* off is larger than needed: harmless */
	t->len = len;
	t->tok_cap = cap;
	return 0;
}

/* ASCII text: lower-case it straight into t->cp.  Returns its length. */
static size_t
load_ascii(struct tl_tokens *t, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned c = s[i];

		t->cp[i] = (int32_t)(c - 'A' < 26 ? c + ('a' - 'A') : c);
	}
	return len;
}

/* Copy S to t->utf8, each byte that does not start a valid sequence
 * replaced by U+FFFD.  Returns the new length, or -1 when out of memory. */
static long
sanitize(struct tl_tokens *t, const unsigned char *s, size_t len)
{
	size_t o = 0;

	if (len > SIZE_MAX / 3 || grow(&t->utf8, &t->utf8_cap, 3 * len + 1,
	    1) == -1)
		return -1;
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;

		if (s[i] < 0x80) {
			t->utf8[o++] = s[i++];
			continue;
		}
		k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &c);
		if (k < 0) {
			memcpy(t->utf8 + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(t->utf8 + o, s + i, (size_t)k);
		o += (size_t)k;
		i += (size_t)k;
	}
	return (long)o;
}

/* Any other text: valid UTF-8, then NFKC_Casefold into t->cp.  Returns
 * the number of code points, or -1 when out of memory. */
static long
load_unicode(struct tl_tokens *t, const unsigned char *s, size_t len)
{
	utf8proc_ssize_t n;
	long ulen;

	if ((ulen = sanitize(t, s, len)) == -1 ||
	    grow(&t->cp, &t->cp_cap, (size_t)ulen + 1, sizeof(int32_t)) == -1)
		return -1;
	for (;;) {
		n = utf8proc_decompose(t->utf8, ulen, t->cp,
		    (utf8proc_ssize_t)t->cp_cap, NFKC_CASEFOLD);
		if (n < 0)	/* cannot happen on valid UTF-8 */
			return 0;
		if ((size_t)n <= t->cp_cap)
			break;
		if (grow(&t->cp, &t->cp_cap, (size_t)n, sizeof(int32_t)) == -1)
			return -1;
	}
	n = utf8proc_normalize_utf32(t->cp, n, NFKC_CASEFOLD);
	if (n < 0)
		return 0;
	/* The typographic apostrophe is an apostrophe: "don’t" -> do n't. */
	for (utf8proc_ssize_t i = 0; i < n; i++)
		if (t->cp[i] == 0x2019)
			t->cp[i] = '\'';
	return (long)n;
}

/* Append the code points [B, E) of t->cp as token t->n. */
static void
emit(struct tl_tokens *t, size_t b, size_t e, size_t *used)
{
	size_t o = *used;

	t->off[t->n] = o;
	for (size_t i = b; i < e; i++) {
		int32_t c = t->cp[i];

		if (c < 0x80)
			t->buf[o++] = (char)c;
		else
			o += (size_t)utf8proc_encode_char(c,
			    (utf8proc_uint8_t *)t->buf + o);
	}
	t->len[t->n] = o - t->off[t->n];
	t->n++;
	t->buf[o++] = '\0';
	*used = o;
}

static int
is_word(const struct tl_tokens *t, size_t i, size_t n)
{
	return i < n && cls_of(t->cp[i]) == C_WORD;
}

static int
is_digit(const struct tl_tokens *t, size_t i, size_t n)
{
	return i < n && t->cp[i] >= '0' && t->cp[i] <= '9';
}

static int
at(const struct tl_tokens *t, size_t i, size_t n, int32_t c)
{
	return i < n && t->cp[i] == c;
}

/*
 * The clitic that starts with the apostrophe at J, if any: its length in
 * code points ("'s" 2, "'ll" 3), 0 if none.  A clitic must end the word.
 */
static size_t
clitic_len(const struct tl_tokens *t, size_t j, size_t n)
{
	static const char *const clitics[] = { "s", "m", "d", "ll", "re",
	    "ve" };

	for (size_t k = 0; k < sizeof(clitics) / sizeof(clitics[0]); k++) {
		const char *c = clitics[k];
		size_t m = strlen(c), i;

		for (i = 0; i < m && at(t, j + 1 + i, n, c[i]); i++)
			;
		if (i == m && !is_word(t, j + 1 + m, n))
			return m + 1;
	}
	return 0;
}

/*
 * A period after the word [B, E) belongs to it when the word is an
 * abbreviation made of single letters and periods: "u.s.", "e.g.".
 */
static int
takes_period(const struct tl_tokens *t, size_t b, size_t e)
{
	size_t letters = 0;

	for (size_t i = b; i < e; i++) {
		if (t->cp[i] == '.') {
			if (letters != 1)
				return 0;
			letters = 0;
		} else if (++letters > 1 || t->cp[i] < 'a' || t->cp[i] > 'z')
			return 0;
	}
	return letters == 1 && e - b >= 3;
}

/*
 * The word starting at B: runs of letters, digits and marks joined by
 * '-', '.' or an apostrophe followed by more of them, and by ',' between
 * digits.  Emits it (and a clitic split off it); returns the index after.
 */
static size_t
split_word(struct tl_tokens *t, size_t b, size_t n, size_t *used)
{
	size_t j = b, m;

	for (;;) {
		while (is_word(t, j, n))
			j++;
		if (at(t, j, n, '\'')) {
			if (t->cp[j - 1] == 'n' && at(t, j + 1, n, 't') &&
			    !is_word(t, j + 2, n)) {
				if (j - 1 > b)
					emit(t, b, j - 1, used);
				emit(t, j - 1, j + 2, used);
				return j + 2;
			}
			if ((m = clitic_len(t, j, n)) > 0) {
				emit(t, b, j, used);
				emit(t, j, j + m, used);
				return j + m;
			}
		}
		if ((at(t, j, n, '-') || at(t, j, n, '.') ||
		    at(t, j, n, '\'')) && is_word(t, j + 1, n)) {
			j++;
			continue;
		}
		if (at(t, j, n, ',') && is_digit(t, j - 1, n) &&
		    is_digit(t, j + 1, n)) {
			j++;
			continue;
		}
		break;
	}
	if (at(t, j, n, '.') && !at(t, j + 1, n, '.') && takes_period(t, b, j))
		j++;
	emit(t, b, j, used);
	return j;
}

static void
split(struct tl_tokens *t, size_t n)
{
	size_t used = 0, i = 0, j;

	t->n = 0;
	while (i < n) {
		int32_t c = t->cp[i];

		switch (cls_of(c)) {
		case C_SPACE:
			i++;
			break;
		case C_WORD:
			i = split_word(t, i, n, &used);
			break;
		case C_PUNCT:
			/* "..." and "--" are one token, as in PTB */
			for (j = i + 1; (c == '.' || c == '-') && at(t, j, n, c);
			    j++)
				;
			emit(t, i, j, &used);
			i = j;
			break;
		}
	}
}

long
tl_tokenize(struct tl_tokens *t, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t ascii = 1, n;
	long r;

	t->n = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 0x80) {
			ascii = 0;
			break;
		}
	if (ascii) {
		if (grow(&t->cp, &t->cp_cap, len, sizeof(int32_t)) == -1)
			return -1;
		n = load_ascii(t, s, len);
	} else {
		if ((r = load_unicode(t, s, len)) == -1)
			return -1;
		n = (size_t)r;
	}
	if (n > SIZE_MAX / 8 || grow_tokens(t, n) == -1 ||
	    grow(&t->buf, &t->buf_cap, 5 * n + 1, 1) == -1)
		return -1;
	split(t, n);
	return (long)t->n;
}
