/*
 * The general tokeniser; see tokenize.h.  Work happens in two steps over a
 * code point array: normalise (ASCII text, the common case, is only
 * lower-cased; anything else is made valid UTF-8 and goes through
 * utf8proc's NFKC_Casefold into reusable buffers), then split with the
 * PTB-like rules below.  The buffers are grown once per text, before the
 * split, to the most the split can need (a token per code point, four
 * bytes per code point plus a NUL per token), so the inner loops never
 * check for room.
 *
 * The tweet mode normalises without case folding (it needs the capitals
 * to find all-caps words and CamelCase hashtags), decodes the three HTML
 * entities Twitter's APIs put in tweet text (&amp; &lt; &gt;), and folds
 * each word as it emits it.  Its markers and folding can make a token
 * longer than its text, so its emitters check for room instead.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "tokenize.h"

#define NFKC_CASEFOLD (UTF8PROC_STABLE | UTF8PROC_COMPAT | \
	UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)
#define NFKC (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | \
	UTF8PROC_IGNORE)

enum cls { C_SPACE, C_WORD, C_PUNCT };

/* The class of each ASCII code point: controls and blanks separate,
 * letters and digits make words, the rest is punctuation. */
#define S C_SPACE
#define W C_WORD
#define P C_PUNCT
static const unsigned char ascii_cls[128] = {
	S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
	S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
	S, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
	W, W, W, W, W, W, W, W, W, W, P, P, P, P, P, P,
	P, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,
	W, W, W, W, W, W, W, W, W, W, W, P, P, P, P, P,
	P, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,
	W, W, W, W, W, W, W, W, W, W, W, P, P, P, P, S,
};
#undef S
#undef W
#undef P

static enum cls
cls_of(int32_t c)
{
	if (c < 128)
		return c < 0 ? C_SPACE : (enum cls)ascii_cls[c];
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
	free(t->fold);
	free(t->space);
	free(t->word);
	tl_tokens_init(t);
}

json_t *
tl_tokenizer_spec(void)
{
	return json_pack("{s:s, s:b, s:s}", "mode", "general", "lowercase", 1,
	    "normalize", "NFKC");
}

json_t *
tl_tokenizer_spec_mode(enum tl_tok_mode mode)
{
	if (mode == TL_TOK_TWEET)
		return json_pack("{s:s, s:b, s:s, s:b}", "mode", "tweet",
		    "lowercase", 1, "normalize", "NFKC", "split_hashtags", 1);
	return tl_tokenizer_spec();
}

int
tl_tok_mode_parse(const char *name, enum tl_tok_mode *mode)
{
	if (strcmp(name, "general") == 0)
		*mode = TL_TOK_GENERAL;
	else if (strcmp(name, "tweet") == 0)
		*mode = TL_TOK_TWEET;
	else
		return -1;
	return 0;
}

int
tl_tokens_configure(struct tl_tokens *t, const json_t *spec,
    struct tl_err *e)
{
	const json_t *v;

	t->mode = TL_TOK_GENERAL;
	t->split_hashtags = 0;
	if (spec == NULL)
		return 0;
	if (!json_is_object(spec))
		return tl_errf(e, "tokenizer description is not an object");
	v = json_object_get(spec, "mode");
	if (v != NULL && (!json_is_string(v) ||
	    tl_tok_mode_parse(json_string_value(v), &t->mode) == -1))
		return tl_errf(e, "tokenizer mode %s%s%s is not known to this "
		    "version (known: general, tweet)", json_is_string(v) ? "'" :
		    "", json_is_string(v) ? json_string_value(v) :
		    "(not a string)", json_is_string(v) ? "'" : "");
	v = json_object_get(spec, "split_hashtags");
	if (v != NULL && !json_is_boolean(v))
		return tl_errf(e, "tokenizer: \"split_hashtags\" must be true "
		    "or false");
	t->split_hashtags = t->mode == TL_TOK_TWEET && (v == NULL ||
	    json_is_true(v));
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

/*
 * ASCII text lower-cased into t->cp and, as bytes, into t->utf8, in which
 * its tokens are then found in place, and the class of each byte into the
 * bit masks t->space and t->word, with which split_ascii finds where
 * tokens start and end without a branch per byte; 16 bytes at a time
 * where SSE2 is there.  0, or -1 at a byte >= 0x80: the text is not ASCII
 * and what was written is of no use.  The buffers hold LEN + 16.
 */
static int
load_ascii(struct tl_tokens *t, const unsigned char *s, size_t len)
{
	size_t i = 0;

	memset(t->space, 0, (len + 63) / 64 * sizeof(uint64_t));
	memset(t->word, 0, (len + 63) / 64 * sizeof(uint64_t));
#ifdef __SSE2__
	const __m128i before_a = _mm_set1_epi8('A' - 1),
	    after_z = _mm_set1_epi8('Z' + 1), gap = _mm_set1_epi8('a' - 'A'),
	    zero = _mm_setzero_si128();

	unsigned char tail[16];

	/* the last bytes from a copy padded with NULs (blanks): the buffers
	 * have room for 16 more */
	for (; i < len; i += 16) {
		const unsigned char *p = s + i;
		__m128i v, lo, hi;
		uint16_t sp, wd;

		if (len - i < 16) {
			memset(tail, 0, sizeof(tail));
			memcpy(tail, s + i, len - i);
			p = tail;
		}
		v = _mm_loadu_si128((const __m128i *)p);

		if (_mm_movemask_epi8(v) != 0)
			return -1;
		/* bytes are now 0..127: signed comparisons are right */
		v = _mm_add_epi8(v, _mm_and_si128(gap, _mm_and_si128(
		    _mm_cmpgt_epi8(v, before_a), _mm_cmplt_epi8(v, after_z))));
		_mm_storeu_si128((__m128i *)(t->utf8 + i), v);
		sp = (uint16_t)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmplt_epi8(v, _mm_set1_epi8(' ' + 1)),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8(127))));
		wd = (uint16_t)_mm_movemask_epi8(_mm_or_si128(
		    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
		    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))),
		    _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)),
		    _mm_cmplt_epi8(v, _mm_set1_epi8('z' + 1)))));
		/* x86 is little-endian: bytes i/8, i/8 + 1 hold bits i.. */
		memcpy((char *)t->space + i / 8, &sp, 2);
		memcpy((char *)t->word + i / 8, &wd, 2);
		lo = _mm_unpacklo_epi8(v, zero);
		hi = _mm_unpackhi_epi8(v, zero);
		_mm_storeu_si128((__m128i *)(t->cp + i),
		    _mm_unpacklo_epi16(lo, zero));
		_mm_storeu_si128((__m128i *)(t->cp + i + 4),
		    _mm_unpackhi_epi16(lo, zero));
		_mm_storeu_si128((__m128i *)(t->cp + i + 8),
		    _mm_unpacklo_epi16(hi, zero));
		_mm_storeu_si128((__m128i *)(t->cp + i + 12),
		    _mm_unpackhi_epi16(hi, zero));
	}
#else
	for (; i < len; i++) {
		unsigned c = s[i];

		if (c >= 0x80)
			return -1;
		c = c - 'A' < 26 ? c + ('a' - 'A') : c;
		t->utf8[i] = (uint8_t)c;
		t->cp[i] = (int32_t)c;
		t->space[i >> 6] |= (uint64_t)(ascii_cls[c] == C_SPACE) <<
		    (i & 63);
		t->word[i >> 6] |= (uint64_t)(ascii_cls[c] == C_WORD) <<
		    (i & 63);
	}
#endif
	return 0;
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

/* Any other text: valid UTF-8, then NFKC_Casefold (the tweet mode: NFKC)
 * into t->cp.  Returns the number of code points, or -1 when out of
 * memory. */
static long
load_unicode(struct tl_tokens *t, const unsigned char *s, size_t len)
{
	utf8proc_option_t opts = t->mode == TL_TOK_TWEET ? NFKC :
	    NFKC_CASEFOLD;
	utf8proc_ssize_t n;
	long ulen;

	if ((ulen = sanitize(t, s, len)) == -1 ||
	    grow(&t->cp, &t->cp_cap, (size_t)ulen + 1, sizeof(int32_t)) == -1)
		return -1;
	for (;;) {
		n = utf8proc_decompose(t->utf8, ulen, t->cp,
		    (utf8proc_ssize_t)t->cp_cap, opts);
		if (n < 0)	/* cannot happen on valid UTF-8 */
			return 0;
		if ((size_t)n <= t->cp_cap)
			break;
		if (grow(&t->cp, &t->cp_cap, (size_t)n, sizeof(int32_t)) == -1)
			return -1;
	}
	n = utf8proc_normalize_utf32(t->cp, n, opts);
	if (n < 0)
		return 0;
	/* The typographic apostrophe is an apostrophe: "don’t" -> do n't. */
	for (utf8proc_ssize_t i = 0; i < n; i++)
		if (t->cp[i] == 0x2019)
			t->cp[i] = '\'';
	return (long)n;
}

/* Append the code points [B, E) of t->cp as token t->n (inline: a call
 * per token cost a tenth of tokenising short lines). */
static inline __attribute__((always_inline)) void
emit(struct tl_tokens *t, size_t b, size_t e, size_t *used)
{
	size_t o = *used;

	if (t->ascii) {		/* in place: t->bytes is t->utf8 */
		t->off[t->n] = b;
		t->len[t->n++] = e - b;
		return;
	}
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

static int32_t
lower(int32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether code point I is C, ignoring ASCII case (only the tweet mode
 * keeps capitals in t->cp). */
static int
at(const struct tl_tokens *t, size_t i, size_t n, int32_t c)
{
	return i < n && lower(t->cp[i]) == c;
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
		} else if (++letters > 1 || lower(t->cp[i]) < 'a' ||
		    lower(t->cp[i]) > 'z')
			return 0;
	}
	return letters == 1 && e - b >= 3;
}

/*
 * The word starting at B: runs of letters, digits and marks joined by
 * '-', '.' or an apostrophe followed by more of them, and by ',' between
 * digits.  Returns the index after it; *CUT is where a clitic split off
 * it starts (the end when there is none; B for a lone "n't").
 */
static size_t
word_end(const struct tl_tokens *t, size_t b, size_t n, size_t *cut)
{
	size_t j = b, m;

	for (;;) {
		while (is_word(t, j, n))
			j++;
		if (at(t, j, n, '\'')) {
			if (lower(t->cp[j - 1]) == 'n' && at(t, j + 1, n, 't') &&
			    !is_word(t, j + 2, n)) {
				*cut = j - 1;
				return j + 2;
			}
			if ((m = clitic_len(t, j, n)) > 0) {
				*cut = j;
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
	*cut = j;
	return j;
}

/*
 * The common case of word_end, quickly: a run of ASCII letters and digits
 * from B that nothing can extend or split (what follows is the end of the
 * text or an ASCII character other than a letter, digit, '-', '.', '\''
 * or ',').  Returns its end, or B when word_end must decide.
 */
static size_t
ascii_word_end(const struct tl_tokens *t, size_t b, size_t n)
{
	size_t j = b;
	int32_t c;

	while (j < n && (c = t->cp[j]) >= 0 && c < 128 &&
	    ascii_cls[c] == C_WORD)
		j++;
	if (j == n)
		return j;
	c = t->cp[j];
	return c >= 0 && c < 128 && ascii_cls[c] != C_WORD && c != '-' &&
	    c != '.' && c != '\'' && c != ',' ? j : b;
}

/* Emit the word starting at B (and a clitic split off it); returns the
 * index after it. */
static size_t
split_word(struct tl_tokens *t, size_t b, size_t n, size_t *used)
{
	size_t cut, j = word_end(t, b, n, &cut);

	if (cut > b)
		emit(t, b, cut, used);
	if (cut < j)
		emit(t, cut, j, used);
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
			if ((j = ascii_word_end(t, i, n)) > i)
				emit(t, i, j, &used);
			else
				j = split_word(t, i, n, &used);
			i = j;
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

/* The first index from I on, below N, whose bit in M is WANT, or N. */
static inline __attribute__((always_inline)) size_t
next_bit(const uint64_t *m, size_t i, size_t n, int want)
{
	uint64_t flip = want ? 0 : ~(uint64_t)0, x;
	size_t w = i >> 6;

	if (i >= n)
		return n;
	if ((x = (m[w] ^ flip) >> (i & 63)) != 0)
		i += (size_t)__builtin_ctzll(x);
	else {
		for (w++; w << 6 < n && (m[w] ^ flip) == 0; w++)
			;
		i = w << 6 < n ? (w << 6) + (size_t)__builtin_ctzll(m[w] ^
		    flip) : n;
	}
	return i < n ? i : n;
}

/*
 * split for ASCII text (t->ascii), by its masks: a run of letters and
 * digits that nothing can extend or split (ascii_word_end) is a token
 * at once; split_word decides the rest.
 */
static void
split_ascii(struct tl_tokens *t, size_t n)
{
	const uint8_t *s = t->utf8;
	size_t i = 0, j, used = 0;

	t->n = 0;
	while ((i = next_bit(t->space, i, n, 0)) < n) {
		unsigned c = s[i];

		if (ascii_cls[c] == C_WORD) {
			j = next_bit(t->word, i, n, 0);
			c = j < n ? s[j] : ' ';
			if (c == '-' || c == '.' || c == '\'' || c == ',')
				j = split_word(t, i, n, &used);
			else
				emit(t, i, j, &used);
		} else {
			/* "..." and "--" are one token, as in PTB */
			for (j = i + 1; (c == '.' || c == '-') && j < n &&
			    s[j] == c; j++)
				;
			emit(t, i, j, &used);
		}
		i = j;
	}
}

/* ------------------------------------------------------------ tweets */

/*
 * The tweet mode's clean-up of the loaded text, in place: the HTML
 * entities &amp; &lt; &gt; become their characters; skin-tone modifiers
 * (U+1F3FB..U+1F3FF) and the combining keycap U+20E3 are dropped, so that
 * an emoji is the same token whatever its tone; U+2019 is an apostrophe
 * (the ASCII path has none to map).  Returns the new length.
 */
static size_t
tweet_clean(struct tl_tokens *t, size_t n)
{
	static const struct {
		const char	*name;
		int32_t		 c;
	} ent[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' } };
	int32_t *cp = t->cp;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t c = cp[i];
		size_t k, m = 0;

		if ((c >= 0x1F3FB && c <= 0x1F3FF) || c == 0x20E3)
			continue;
		if (c == 0x2019)
			c = '\'';
		if (c == '&')
			for (k = 0; k < 3; k++) {
				const char *s = ent[k].name;

				for (m = 0; s[m] != '\0' && i + m < n &&
				    cp[i + m] == s[m]; m++)
					;
				if (s[m] == '\0') {
					c = ent[k].c;
					i += m - 1;
					break;
				}
			}
		cp[o++] = c;
	}
	return o;
}

static int
is_upper(int32_t c)
{
	if (c < 128)
		return c >= 'A' && c <= 'Z';
	return utf8proc_category(c) == UTF8PROC_CATEGORY_LU ||
	    utf8proc_category(c) == UTF8PROC_CATEGORY_LT;
}

static int
is_letter(int32_t c)
{
	if (c < 128)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return 1;
	default:
		return 0;
	}
}

static int
is_lower(int32_t c)
{
	return is_letter(c) && !is_upper(c);
}

/* Whether [B, E) holds two or more letters, all of them capitals. */
static int
all_caps(const struct tl_tokens *t, size_t b, size_t e)
{
	size_t letters = 0;

	for (size_t i = b; i < e; i++)
		if (is_letter(t->cp[i])) {
			if (!is_upper(t->cp[i]))
				return 0;
			letters++;
		}
	return letters >= 2;
}

/* Room for one more token of up to NEED bytes (and its NUL) in T. */
static int
room(struct tl_tokens *t, size_t need)
{
	if (t->used > SIZE_MAX - need - 1 ||
	    grow(&t->buf, &t->buf_cap, t->used + need + 1, 1) == -1)
		return -1;
	return grow_tokens(t, t->n + 1);
}

/* The markers that annotate the word before them rather than standing
 * for one: "FROG" is "frog <allcaps>". */
#define MARK_ALLCAPS	"<allcaps>"
#define MARK_ELONG	"<elong>"
#define MARK_HASHTAG	"<hashtag>"

int
tl_token_annotates(const char *tok, size_t len)
{
	static const char *const mark[] = { MARK_ALLCAPS, MARK_ELONG,
	    MARK_HASHTAG };

	for (size_t i = 0; i < sizeof(mark) / sizeof(mark[0]); i++)
		if (len == strlen(mark[i]) && memcmp(tok, mark[i], len) == 0)
			return 1;
	return 0;
}

/* Emit the NUL-terminated marker S ("<url>") as a token. */
static int
put_marker(struct tl_tokens *t, const char *s)
{
	size_t len = strlen(s);

	if (room(t, len) == -1)
		return -1;
	t->off[t->n] = t->used;
	t->len[t->n] = len;
	memcpy(t->buf + t->used, s, len + 1);
	t->used += len + 1;
	t->n++;
	return 0;
}

/*
 * Emit the code points [B, E) as one token, case-folded (NFKC_Casefold,
 * as the general mode reads all text).  With ELONG non-NULL, a letter
 * repeated three or more times in a row is kept once and *ELONG set.
 */
static int
put_folded(struct tl_tokens *t, size_t b, size_t e, int *elong)
{
	size_t m = 0, o, k;
	int ascii = 1, bound = 0;

	if (e - b > SIZE_MAX / 64 ||
	    grow(&t->fold, &t->fold_cap, e - b, sizeof(int32_t)) == -1)
		return -1;
	for (size_t i = b; i < e; i++) {
		int32_t c = t->cp[i];
		utf8proc_ssize_t r;

		if (c < 128) {
			t->fold[m++] = lower(c);
			continue;
		}
		/* a code point decomposes into at most 18 */
		if (m > SIZE_MAX / 8 - 18 - (e - i) ||
		    grow(&t->fold, &t->fold_cap, m + 18 + (e - i),
		    sizeof(int32_t)) == -1)
			return -1;
		ascii = 0;
		r = utf8proc_decompose_char(c, t->fold + m, 18,
		    UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
		    UTF8PROC_CASEFOLD, &bound);
		if (r < 0 || r > 18)
			t->fold[m++] = 0xFFFD;
		else
			m += (size_t)r;
	}
	if (!ascii) {
		utf8proc_ssize_t r = utf8proc_normalize_utf32(t->fold,
		    (utf8proc_ssize_t)m, UTF8PROC_STABLE | UTF8PROC_COMPOSE);

		m = r < 0 ? m : (size_t)r;
	}
	if (elong != NULL) {
		for (k = 0, o = 0; k < m; k++) {
			size_t r = k;

			while (r + 1 < m && t->fold[r + 1] == t->fold[k])
				r++;
			if (r - k >= 2 && is_letter(t->fold[k])) {
				*elong = 1;
				t->fold[o++] = t->fold[k];
				k = r;
			} else
				t->fold[o++] = t->fold[k];
		}
		m = o;
	}
	if (room(t, 4 * m) == -1)
		return -1;
	t->off[t->n] = o = t->used;
	for (k = 0; k < m; k++)
		if (t->fold[k] < 0x80)
			t->buf[o++] = (char)t->fold[k];
		else
			o += (size_t)utf8proc_encode_char(t->fold[k],
			    (utf8proc_uint8_t *)t->buf + o);
	t->len[t->n++] = o - t->used;
	t->buf[o++] = '\0';
	t->used = o;
	return 0;
}

static int
cls_at(const struct tl_tokens *t, size_t i, size_t n)
{
	return i < n ? (int)cls_of(t->cp[i]) : C_SPACE;
}

/* Whether the ASCII string S (lower case) starts at I, ignoring case. */
static int
at_str(const struct tl_tokens *t, size_t i, size_t n, const char *s)
{
	for (; *s; s++, i++)
		if (!at(t, i, n, *s))
			return 0;
	return 1;
}

/* The end of a URL starting at I ("http://", "https://" or "www."
 * followed by a word character), or I.  Trailing punctuation other than
 * '/' is left out: "(see http://x.org)." */
static size_t
url_end(const struct tl_tokens *t, size_t i, size_t n)
{
	size_t j;

	if (at_str(t, i, n, "http://"))
		j = i + 7;
	else if (at_str(t, i, n, "https://"))
		j = i + 8;
	else if (at_str(t, i, n, "www.") && is_word(t, i + 4, n))
		j = i + 4;
	else
		return i;
	if (cls_at(t, j, n) == C_SPACE)
		return i;
	while (cls_at(t, j, n) != C_SPACE)
		j++;
	while (cls_of(t->cp[j - 1]) == C_PUNCT && t->cp[j - 1] != '/')
		j--;
	return j;
}

/* The end of an @mention at I ('@' and ASCII letters, digits, '_'), or
 * I. */
static size_t
mention_end(const struct tl_tokens *t, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && t->cp[j] < 128 && (cls_of(t->cp[j]) == C_WORD ||
	    t->cp[j] == '_'))
		j++;
	return j > i + 1 ? j : i;
}

static int
in(int32_t c, const char *set)
{
	return c > 0 && c < 128 && strchr(set, (int)c) != NULL;
}

/* Whether an emoticon may end before J: the text ends, or a space or
 * punctuation other than the emoticons' own characters follows. */
static int
emoticon_ends(const struct tl_tokens *t, size_t j, size_t n)
{
	return j >= n || cls_of(t->cp[j]) == C_SPACE ||
	    (cls_of(t->cp[j]) == C_PUNCT && !in(t->cp[j], "/\\:;=-'`"));
}

/*
 * The emoticon at I, its marker in *MARK; returns its end, or I.  PREV is
 * the class of the code point before I.  Eyes ":" ";" "=" (and "8" with a
 * nose), an optional nose "-" "'" "`", then a mouth, repeated or not:
 * ")" "]" "D" smile, "P" lolface, "(" "[" sadface, "/" "\" "|"
 * neutralface; mirrored "(:" smile and "):" sadface standing alone;
 * "<3" heart, "</3" sadface, "xD" lolface.
 */
static size_t
emoticon(const struct tl_tokens *t, size_t i, size_t n, int prev,
    const char **mark)
{
	int32_t c = lower(t->cp[i]), mouth;
	size_t j = i + 1;

	if (c == '<' && at(t, j, n, '3')) {
		while (at(t, j, n, '3'))
			j++;
		*mark = "<heart>";
	} else if (c == '<' && at(t, j, n, '/') && at(t, j + 1, n, '3')) {
		j += 2;
		*mark = "<sadface>";
	} else if (c == 'x' && prev != C_WORD && at(t, j, n, 'd')) {
		while (at(t, j, n, 'd'))
			j++;
		if (cls_at(t, j, n) == C_WORD)
			return i;
		*mark = "<lolface>";
	} else if ((c == '(' || c == ')') && prev == C_SPACE) {
		j += in(j < n ? t->cp[j] : 0, "-'`");
		if (!(j < n && in(t->cp[j], ":;=")))
			return i;
		j++;
		if (cls_at(t, j, n) != C_SPACE)
			return i;
		*mark = c == '(' ? "<smile>" : "<sadface>";
	} else if (in(c, ":;=8")) {
		if (j < n && in(t->cp[j], "-'`"))
			j++;
		else if (c == '8')
			return i;
		if (c == '8' && prev == C_WORD)
			return i;
		mouth = j < n ? lower(t->cp[j]) : 0;
		if (in(mouth, ")]d"))
			*mark = "<smile>";
		else if (mouth == 'p')
			*mark = "<lolface>";
		else if (in(mouth, "(["))
			*mark = "<sadface>";
		else if (in(mouth, "/\\|"))
			*mark = "<neutralface>";
		else
			return i;
		if (in(mouth, "/\\|"))
			j++;
		else
			while (j < n && (lower(t->cp[j]) == mouth ||
			    (mouth == ')' && t->cp[j] == ']') ||
			    (mouth == ']' && t->cp[j] == ')')))
				j++;
		if (cls_at(t, j, n) == C_WORD)
			return i;
	} else
		return i;
	return emoticon_ends(t, j, n) ? j : i;
}

/* The end of a number at I, or I: ASCII digits joined by '.', ',' or ':'
 * between digits ("3.5", "1,000", "10:30"), after an optional sign or
 * period when they start a token ("-5", ".5"). */
static size_t
number_end(const struct tl_tokens *t, size_t i, size_t n, int prev)
{
	size_t j = i;

	if (prev != C_WORD && (at(t, j, n, '-') || at(t, j, n, '+')))
		j++;
	if (prev != C_WORD && at(t, j, n, '.') && is_digit(t, j + 1, n))
		j++;
	if (!is_digit(t, j, n))
		return i;
	for (;;) {
		while (is_digit(t, j, n))
			j++;
		if ((at(t, j, n, '.') || at(t, j, n, ',') || at(t, j, n, ':')) &&
		    is_digit(t, j + 1, n))
			j++;
		else
			return j;
	}
}

/* Emit the part [B, E) of a hashtag: <number> for digits, else the
 * folded word. */
static int
put_part(struct tl_tokens *t, size_t b, size_t e)
{
	size_t k = b;

	while (k < e && is_digit(t, k, e))
		k++;
	return k == e ? put_marker(t, "<number>") : put_folded(t, b, e, NULL);
}

/*
 * The hashtag at I ('#' then letters, digits, marks and '_', at least one
 * letter): emits "<hashtag>" and its words; returns its end, or I when
 * there is none (or -1 as (size_t) when out of memory).  Words are split
 * at '_' and, with split_hashtags, at CamelCase: before a capital that
 * follows a small letter or a digit, and before the last capital of a
 * run that a small letter follows ("#NBAFinals" -> nba finals).  A hashtag
 * in capitals is one word followed by <allcaps>.
 */
static size_t
hashtag(struct tl_tokens *t, size_t i, size_t n)
{
	size_t j = i + 1, b, letters = 0;
	int caps;

	while (j < n && (cls_of(t->cp[j]) == C_WORD || t->cp[j] == '_'))
		letters += is_letter(t->cp[j++]);
	if (letters == 0)
		return i;
	caps = all_caps(t, i + 1, j);
	if (put_marker(t, MARK_HASHTAG) == -1)
		return (size_t)-1;
	for (size_t k = i + 1; k < j; ) {
		while (k < j && t->cp[k] == '_')
			k++;
		for (b = k; k < j && t->cp[k] != '_'; k++) {
			int32_t c = t->cp[k];

			if (k > b && t->split_hashtags && !caps && is_upper(c) &&
			    (is_lower(t->cp[k - 1]) || is_digit(t, k - 1, n) ||
			    (is_upper(t->cp[k - 1]) && k + 1 < j &&
			    is_lower(t->cp[k + 1])))) {
				if (put_part(t, b, k) == -1)
					return (size_t)-1;
				b = k;
			}
		}
		if (k > b && put_part(t, b, k) == -1)
			return (size_t)-1;
	}
	if (caps && put_marker(t, MARK_ALLCAPS) == -1)
		return (size_t)-1;
	return j;
}

/* The word at B as the general mode splits it, folded, with its
 * <allcaps> and <elong> markers.  Returns its end, or (size_t)-1. */
static size_t
tweet_word(struct tl_tokens *t, size_t b, size_t n)
{
	size_t cut, j = word_end(t, b, n, &cut);
	int elong = 0;

	if ((cut > b && put_folded(t, b, cut, &elong) == -1) ||
	    (cut < j && put_folded(t, cut, j, &elong) == -1) ||
	    (all_caps(t, b, j) && put_marker(t, MARK_ALLCAPS) == -1) ||
	    (elong && put_marker(t, MARK_ELONG) == -1))
		return (size_t)-1;
	return j;
}

/* Punctuation and symbols at I: "!!" "?!" "..." -> the last one and
 * <repeat>; "--" one token; a flag (two regional indicators) one token;
 * anything else one code point.  Returns the end, or (size_t)-1. */
static size_t
tweet_punct(struct tl_tokens *t, size_t i, size_t n)
{
	int32_t c = t->cp[i];
	size_t j = i + 1;

	if (in(c, "!?.") && j < n && in(t->cp[j], "!?.")) {
		while (j < n && in(t->cp[j], "!?."))
			j++;
		if (put_folded(t, j - 1, j, NULL) == -1 ||
		    put_marker(t, "<repeat>") == -1)
			return (size_t)-1;
		return j;
	}
	if (c == '-')
		while (at(t, j, n, '-'))
			j++;
	else if (c >= 0x1F1E6 && c <= 0x1F1FF && j < n &&
	    t->cp[j] >= 0x1F1E6 && t->cp[j] <= 0x1F1FF)
		j++;
	return put_folded(t, i, j, NULL) == -1 ? (size_t)-1 : j;
}

/* Split the N code points of t->cp in the tweet mode.  0, or -1 when out
 * of memory. */
static int
split_tweet(struct tl_tokens *t, size_t n)
{
	size_t i = 0, j;
	const char *mark;

	t->n = 0;
	t->used = 0;
	while (i < n) {
		int32_t c = t->cp[i];
		int cls = cls_of(c), prev = i > 0 ? cls_of(t->cp[i - 1]) :
		    C_SPACE;

		if (cls == C_SPACE) {
			i++;
			continue;
		}
		if (prev != C_WORD && (j = url_end(t, i, n)) > i)
			mark = "<url>";
		else if (c == '@' && prev != C_WORD &&
		    (j = mention_end(t, i, n)) > i)
			mark = "<user>";
		else if ((j = emoticon(t, i, n, prev, &mark)) > i)
			;
		else if (c == '#' && prev != C_WORD &&
		    (j = hashtag(t, i, n)) != i) {
			if (j == (size_t)-1)
				return -1;
			i = j;
			continue;
		} else if ((j = number_end(t, i, n, prev)) > i)
			mark = "<number>";
		else {
			j = cls == C_WORD ? tweet_word(t, i, n) :
			    tweet_punct(t, i, n);
			if (j == (size_t)-1)
				return -1;
			i = j;
			continue;
		}
		if (put_marker(t, mark) == -1)
			return -1;
		i = j;
	}
	return 0;
}

/* The text S of LEN bytes into t->cp as the mode wants it.  Returns its
 * length in code points, or -1 when out of memory. */
static long
load(struct tl_tokens *t, const unsigned char *s, size_t len)
{
	size_t i = 0;

	t->ascii = 0;
	if (len > SIZE_MAX / 8 - 16 ||	/* load_ascii's padding */
	    grow(&t->cp, &t->cp_cap, len + 16, sizeof(int32_t)) == -1 ||
	    grow(&t->utf8, &t->utf8_cap, len + 16, 1) == -1)
		return -1;
	if (t->mode == TL_TOK_GENERAL) {
		size_t cap = t->mask_cap, words = len / 64 + 1;

		if (grow(&t->space, &cap, words, sizeof(uint64_t)) == -1 ||
		    grow(&t->word, &t->mask_cap, words, sizeof(uint64_t)) ==
		    -1)
			return -1;
	}
	if (t->mode == TL_TOK_GENERAL) {
		if ((t->ascii = load_ascii(t, s, len) == 0))
			return (long)len;
		return load_unicode(t, s, len);
	}
	/* tweet: as it is, capitals too (a rule looks at them) */
	while (i < len && s[i] < 0x80)
		i++;
	if (i < len)
		return load_unicode(t, s, len);
	for (i = 0; i < len; i++)
		t->cp[i] = s[i];
	return (long)len;
}

long
tl_tokenize(struct tl_tokens *t, const char *text, size_t len)
{
	long r;
	size_t n;

	t->n = 0;
	if ((r = load(t, (const unsigned char *)text, len)) == -1)
		return -1;
	n = (size_t)r;
	if (n > SIZE_MAX / 8 || grow_tokens(t, n) == -1 ||
	    grow(&t->buf, &t->buf_cap, 5 * n + 1, 1) == -1)
		return -1;
	if (t->mode == TL_TOK_TWEET) {
		if (split_tweet(t, tweet_clean(t, n)) == -1) {
			t->n = 0;
			return -1;
		}
	} else if (t->ascii)
		split_ascii(t, n);
	else
		split(t, n);
	t->bytes = t->ascii ? (const char *)t->utf8 : t->buf;
	return (long)t->n;
}
