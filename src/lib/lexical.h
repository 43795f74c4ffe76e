/*
 * Lexical features of a document, to sit next to its pooled embedding in a
 * vector stream's sparse part (tl-embed --lexical): the word n-grams of its
 * tokens (the tokenizer of the embedding, so the two views see the same
 * words), each hashed with XXH3 into one of B buckets, as scikit-learn's
 * HashingVectorizer does, and valued 1 + ln(count) (sublinear tf, counts
 * of colliding n-grams summed).  An n-gram's hash is the XXH3 of its last
 * token seeded with the hash of the (n-1)-gram before it, a unigram's
 * seed being 0, so "a b" and "ab" differ.
 *
 * With character n-grams on (tl-embed --lexical-chars MIN-MAX), each token
 * also gives those of scikit-learn's analyzer='char_wb': the token between
 * two spaces, every run of n code points of it for n = MIN..MAX, and a
 * padded token of n code points or fewer once, as itself, ending the
 * sizes.  A character n-gram's hash is the XXH3 of its bytes seeded with
 * TL_LEXICAL_CHAR_SEED, so that "cat" inside a word is not the word "cat";
 * it goes into the same B buckets, its count added to the words' there.
 * tl-train learns which buckets to keep, their IDF and the weights
 * (sparselin.h).
 */
#ifndef TL_LEXICAL_H
#define TL_LEXICAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tokenize.h"

#define TL_LEXICAL_BUCKETS	((uint64_t)1 << 20)	/* default B */
#define TL_LEXICAL_MAX_NGRAM	5
#define TL_LEXICAL_MAX_CHARS	8	/* longest character n-gram */
#define TL_LEXICAL_CHAR_SEED	0x636861725f7762ULL	/* "char_wb" */
/* The hash's name in a "lexical" description: the one thing a reader of
 * a stream or model compares to know its buckets mean the same. */
#define TL_LEXICAL_HASH		"xxh3-64"

/* The features of one document, reused from call to call. */
struct tl_lexical {
	uint64_t  buckets;	/* B: indices are < B */
	int	  ngrams;	/* 1: unigrams; 2: and bigrams; ... */
	int	  chars_min;	/* character n-grams of chars_min to */
	int	  chars_max;	/* chars_max code points; 0: none */
	size_t	  nnz;		/* pairs of the last document */
	uint32_t *idx;		/* nnz bucket indices, increasing */
	float	 *val;		/* nnz values 1 + ln(count) */
	uint32_t *scratch;	/* private: one index per n-gram */
	size_t	  cap;
	size_t	 *cp;		/* private: where a token's code points
				 * start, then pad_cap bytes of */
	char	 *pad;		/* private: the token between spaces */
	size_t	  pad_cap;
};

/* Make LX empty, for BUCKETS buckets (1 to 2^32) and n-grams up to NGRAMS
 * (1 to TL_LEXICAL_MAX_NGRAM).  0, or -1 with E filled in. */
int	tl_lexical_init(struct tl_lexical *lx, uint64_t buckets, int ngrams,
	    struct tl_err *e);

/* Add the character n-grams of MIN to MAX code points of each token to
 * LX's features (1 <= MIN <= MAX <= TL_LEXICAL_MAX_CHARS), or none when
 * MIN and MAX are 0, the state tl_lexical_init leaves.  0, or -1 with E
 * filled in. */
int	tl_lexical_chars(struct tl_lexical *lx, int min, int max,
	    struct tl_err *e);

/* The features of the tokens T into lx->nnz, lx->idx and lx->val.  0, or
 * -1 with E filled in (out of memory). */
int	tl_lexical_doc(struct tl_lexical *lx, const struct tl_tokens *t,
	    struct tl_err *e);

/* The bucket of the N tokens TOK (N >= 1, lengths LEN) among BUCKETS: the
 * hashing of tl_lexical_doc, for tests and tools that explain a model. */
uint32_t tl_lexical_bucket(const char *const *tok, const size_t *len,
	    size_t n, uint64_t buckets);

/* The bucket among BUCKETS of the character n-gram S of LEN bytes
 * (spaces included): the hashing of tl_lexical_doc, for tests. */
uint32_t tl_lexical_char_bucket(const char *s, size_t len, uint64_t buckets);

/* Release what LX owns and zero it. */
void	tl_lexical_free(struct tl_lexical *lx);

#endif
