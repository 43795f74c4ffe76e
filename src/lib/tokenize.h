/*
 * Text to words, the way the vocabulary of a word-embedding model was made.
 * The "general" mode follows the Stanford/PTB tokenisation that GloVe 6B
 * was built with: the text is made valid UTF-8 (each invalid byte becomes
 * U+FFFD), normalised with NFKC and case folding (Unicode's NFKC_Casefold,
 * through utf8proc), then split into runs of letters, digits and marks
 * (keeping internal hyphens, apostrophes and periods, and commas between
 * digits), PTB clitics ("do" "n't", "it" "'s", "we" "'re", "ca" "n't"),
 * and single punctuation or symbol characters ("..." and "--" stay whole).
 * man/tl-embed.1 lists the rules with examples.  The mode is chosen by the
 * model's description ("tokenizer": {"mode": "general", ...}) so that later
 * modes can be added without changing the tools.
 *
 * The "tweet" mode is the general one plus the markers of the GloVe
 * Twitter preprocessing (Paulus and Pennington's preprocess-twitter.rb):
 * URLs become <url>, @mentions <user>, numbers <number>, "#CamelCase"
 * "<hashtag> camel case", emoticons <smile> <lolface> <sadface>
 * <neutralface> <heart>; "!!!" is "! <repeat>", a word with a letter
 * three or more times in a row ("sooo") loses the repeats and is followed
 * by <elong>, and a word in capitals is lower-cased and followed by
 * <allcaps>.  Emoji are tokens of their own (skin tones and variation
 * selectors dropped, flags kept whole).  The rules are in tokenize.c and,
 * with examples, in man/tl-embed.1.
 */
#ifndef TL_TOKENIZE_H
#define TL_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

enum tl_tok_mode {
	TL_TOK_GENERAL,		/* PTB-like, NFKC_Casefold */
	TL_TOK_TWEET		/* general + GloVe Twitter markers */
};

/*
 * The tokens of one text, and the scratch space to find them.  Reused from
 * call to call: after the buffers have grown to the longest text seen,
 * tl_tokenize allocates nothing.  Token I is the LEN[I] bytes at BYTES +
 * OFF[I], with no NUL after it: ASCII text in the general mode is only
 * lower-cased and split, so its tokens are read where they lie in the
 * lower-cased text instead of being copied out.
 */
struct tl_tokens {
	size_t		  n;		/* tokens of the last text */
	const char	 *bytes;	/* the tokens' bytes */
	size_t		 *off;		/* n offsets into bytes */
	size_t		 *len;		/* n lengths, without the NUL */
	enum tl_tok_mode  mode;
	int		  split_hashtags;	/* tweet: #CamelCase -> 2 words */

	/* private scratch */
	char		 *buf;		/* made tokens (bytes, but for ASCII
					 * text in the general mode) */
	size_t		  buf_cap, tok_cap;
	int32_t		 *cp;		/* the normalised text, code points */
	size_t		  cp_cap;
	uint8_t		 *utf8;		/* the text made valid UTF-8, or
					 * (ascii) cp as bytes */
	int		  ascii;	/* general mode, ASCII text */
	uint64_t	 *space, *word;	/* ascii: bit i set when byte i of
					 * utf8 is a blank, a letter/digit */
	size_t		  mask_cap;
	size_t		  utf8_cap;
	int32_t		 *fold;		/* tweet: one token case-folded */
	size_t		  fold_cap;
	size_t		  used;		/* tweet: bytes of buf in use */
};

/* Make T empty, in the general mode. */
void	tl_tokens_init(struct tl_tokens *t);

/* Release what T owns and make it empty again. */
void	tl_tokens_free(struct tl_tokens *t);

/* Choose T's mode from a model's tokenizer description SPEC (borrowed; NULL
 * means the general mode).  0, or -1 with E filled in when SPEC asks for a
 * mode or option this version does not know. */
int	tl_tokens_configure(struct tl_tokens *t, const json_t *spec,
	    struct tl_err *e);

/* The description of the general mode, {"mode": "general", "lowercase":
 * true, "normalize": "NFKC"}, for a new model.  New reference, or NULL when
 * out of memory. */
json_t	*tl_tokenizer_spec(void);

/* The description of MODE for a new model: as tl_tokenizer_spec, with
 * "mode": "tweet" and "split_hashtags": true for the tweet mode.  New
 * reference, or NULL when out of memory. */
json_t	*tl_tokenizer_spec_mode(enum tl_tok_mode mode);

/* The mode named NAME ("general", "tweet") into *MODE: 0, or -1 when the
 * name is unknown. */
int	tl_tok_mode_parse(const char *name, enum tl_tok_mode *mode);

/* Split the LEN bytes at TEXT (any bytes; NULs are spaces) into T.
 * Returns the number of tokens (also in t->n), or -1 when out of memory
 * (T is then empty). */
long	tl_tokenize(struct tl_tokens *t, const char *text, size_t len);

/* 1 when the LEN bytes at TOK are a tweet-mode marker that annotates the
 * word before it (<allcaps>, <elong>) or after it (<hashtag>) rather than
 * standing for a word of its own, else 0. */
int	tl_token_annotates(const char *tok, size_t len);

/* Borrowed: token I of T (I < t->n), its length in *LEN. */
static inline const char *
tl_tokens_at(const struct tl_tokens *t, size_t i, size_t *len)
{
	*len = t->len[i];
	return t->bytes + t->off[i];
}

#endif
