/* Hashed n-gram features: counts, sublinear values, order, collisions,
 * and the character n-grams against scikit-learn's char_wb analyzer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexical.h"
#include "t.h"

/* The value of bucket B in LX, or 0. */
static float
value_of(const struct tl_lexical *lx, uint32_t b)
{
	for (size_t j = 0; j < lx->nnz; j++)
		if (lx->idx[j] == b)
			return lx->val[j];
	return 0;
}

static void
test_counts(void)
{
	static const char *const w[] = { "the", "cat", "sat" };
	static const size_t len[] = { 3, 3, 3 };
	const char *thecat[] = { "the", "cat" }, *catthe[] = { "cat", "the" };
	struct tl_tokens t;
	struct tl_lexical lx;
	struct tl_err e;
	const char *doc = "The cat the CAT sat";

	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, doc, strlen(doc)) == 5);
	T_CHECK(tl_lexical_init(&lx, TL_LEXICAL_BUCKETS, 2, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0);
	T_CHECK(lx.nnz == 6);	/* 3 words, 3 distinct bigrams */
	for (size_t j = 1; j < lx.nnz; j++)
		T_CHECK(lx.idx[j] > lx.idx[j - 1]);
	T_NEAR(value_of(&lx, tl_lexical_bucket(w, len, 1, lx.buckets)),
	    1 + log(2), 1e-6);
	T_NEAR(value_of(&lx, tl_lexical_bucket(w + 2, len, 1, lx.buckets)),
	    1, 0);
	T_NEAR(value_of(&lx, tl_lexical_bucket(thecat, len, 2, lx.buckets)),
	    1 + log(2), 1e-6);
	T_NEAR(value_of(&lx, tl_lexical_bucket(catthe, len, 2, lx.buckets)),
	    1, 0);
	/* a bigram is not the unigram of its concatenation */
	T_CHECK(tl_lexical_bucket(thecat, len, 2, 1u << 31) !=
	    tl_lexical_bucket((const char *[]){ "thecat" },
	    (const size_t[]){ 6 }, 1, 1u << 31));
	tl_lexical_free(&lx);
	/* unigrams only */
	T_CHECK(tl_lexical_init(&lx, TL_LEXICAL_BUCKETS, 1, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0 && lx.nnz == 3);
	tl_lexical_free(&lx);
	/* one bucket: every n-gram collides, the counts add up */
	T_CHECK(tl_lexical_init(&lx, 1, 2, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0 && lx.nnz == 1 &&
	    lx.idx[0] == 0);
	T_NEAR(lx.val[0], 1 + log(9), 1e-6);
	/* no tokens, no features */
	T_CHECK(tl_tokenize(&t, " ", 1) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0 && lx.nnz == 0);
	tl_lexical_free(&lx);
	tl_tokens_free(&t);
}

/* More n-grams than the insertion sort takes, over 2^32 buckets: the
 * radix sort must pass over all four bytes of an index and merge the
 * repeats. */
static void
test_many_buckets(void)
{
	char doc[1024];
	size_t at = 0;
	struct tl_tokens t;
	struct tl_lexical lx;
	struct tl_err e;

	for (int i = 0; i < 60; i++)
		at += (size_t)snprintf(doc + at, sizeof(doc) - at,
		    "w%d w%d ", i, i);
	snprintf(doc + at, sizeof(doc) - at, "w3");
	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, doc, strlen(doc)) == 121);
	T_CHECK(tl_lexical_init(&lx, 1ULL << 32, 1, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0 && lx.nnz == 60);
	for (size_t j = 1; j < lx.nnz; j++)
		T_CHECK(lx.idx[j] > lx.idx[j - 1]);
	tl_lexical_free(&lx);
	tl_tokens_free(&t);
}

static void
test_init_errors(void)
{
	struct tl_lexical lx;
	struct tl_err e;

	T_CHECK(tl_lexical_init(&lx, 0, 2, &e) == -1 &&
	    strcmp(e.msg, "0 buckets: expected 1 to 2^32") == 0);
	T_CHECK(tl_lexical_init(&lx, (uint64_t)1 << 33, 2, &e) == -1);
	T_CHECK(tl_lexical_init(&lx, 10, 0, &e) == -1 &&
	    strcmp(e.msg, "n-grams up to 0: expected 1 to 5") == 0);
	T_CHECK(tl_lexical_init(&lx, 10, 6, &e) == -1);
	T_CHECK(tl_lexical_init(&lx, 10, 2, &e) == 0);
	T_CHECK(tl_lexical_chars(&lx, 3, 2, &e) == -1 &&
	    strcmp(e.msg, "character n-grams of 3 to 2 code points: "
	    "expected 1 <= MIN <= MAX <= 8") == 0);
	T_CHECK(tl_lexical_chars(&lx, 0, 5, &e) == -1);
	T_CHECK(tl_lexical_chars(&lx, 1, 9, &e) == -1);
	T_CHECK(tl_lexical_chars(&lx, 1, 8, &e) == 0 && lx.chars_max == 8);
}

#define MAXGRAMS	512

/* Whether LX holds exactly word W's unigram and the N character n-grams
 * GRAM (a multiset), at 1 + ln(count) each; with 2^32 buckets nothing
 * collides. */
static int
same_features(const struct tl_lexical *lx, const char *w, char **gram,
    size_t n)
{
	uint32_t b[MAXGRAMS + 1];
	size_t distinct = 0, count;

	b[n] = tl_lexical_bucket(&w, (const size_t[]){ strlen(w) }, 1,
	    lx->buckets);
	for (size_t i = 0; i < n; i++)
		b[i] = tl_lexical_char_bucket(gram[i], strlen(gram[i]),
		    lx->buckets);
	for (size_t i = 0; i <= n; i++) {
		count = 0;
		for (size_t j = 0; j <= n; j++)
			count += b[j] == b[i];
		for (size_t j = 0; j < i && count > 0; j++)
			if (b[j] == b[i])
				count = 0;	/* counted at its first */
		if (count == 0)
			continue;
		distinct++;
		if (fabs(value_of(lx, b[i]) - (1 + log((double)count))) > 1e-6)
			return 0;
	}
	return lx->nnz == distinct;
}

/* Each word of tests/data/lexical-charwb.tsv gives the n-grams that
 * scikit-learn's char_wb gives (code points, not bytes; short words). */
static void
test_char_wb(void)
{
	const char *top = getenv("TL_TOP");
	char path[4096], *line = NULL, *f[MAXGRAMS + 3], *p;
	size_t cap = 0, nf, len = 0, cases = 0;
	unsigned lineno = 0;
	struct tl_tokens t;
	struct tl_lexical lx;
	struct tl_err e;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/data/lexical-charwb.tsv",
	    top ? top : ".");
	T_CHECK((fp = fopen(path, "r")) != NULL);
	if (fp == NULL)
		return;
	tl_tokens_init(&t);
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#')
			continue;
		for (nf = 0, p = line; p != NULL && nf < MAXGRAMS + 3; nf++)
			f[nf] = strsep(&p, "\t");
		T_CHECK(p == NULL && nf >= 4);
		if (p != NULL || nf < 4)
			break;
		/* the word is one token, as it is */
		T_CHECK(tl_tokenize(&t, f[2], strlen(f[2])) == 1 &&
		    strncmp(tl_tokens_at(&t, 0, &len), f[2], len) == 0 &&
		    len == strlen(f[2]));
		T_CHECK(tl_lexical_init(&lx, (uint64_t)1 << 32, 1, &e) == 0);
		T_CHECK(tl_lexical_chars(&lx, atoi(f[0]), atoi(f[1]), &e) ==
		    0);
		T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0);
		if (!same_features(&lx, f[2], f + 3, nf - 3)) {
			fprintf(stderr, "%s:%u: %s: other n-grams\n", path,
			    lineno, f[2]);
			T_CHECK(!"char_wb n-grams differ");
		}
		tl_lexical_free(&lx);
		cases++;
	}
	T_CHECK(cases >= 60);
	free(line);
	fclose(fp);
	tl_tokens_free(&t);
}

/* Character n-grams add to the words' features, apart from them. */
static void
test_chars_and_words(void)
{
	const char *doc = "cat cat", *cat = "cat";
	struct tl_tokens t;
	struct tl_lexical lx;
	struct tl_err e;

	tl_tokens_init(&t);
	T_CHECK(tl_tokenize(&t, doc, strlen(doc)) == 2);
	T_CHECK(tl_lexical_init(&lx, TL_LEXICAL_BUCKETS, 2, &e) == 0);
	T_CHECK(tl_lexical_chars(&lx, 3, 3, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0);
	/* "cat", "cat cat"; " ca", "cat", "at " twice each */
	T_CHECK(lx.nnz == 5);
	T_NEAR(value_of(&lx, tl_lexical_bucket(&cat, (const size_t[]){ 3 },
	    1, lx.buckets)), 1 + log(2), 1e-6);
	T_NEAR(value_of(&lx, tl_lexical_char_bucket("cat", 3, lx.buckets)),
	    1 + log(2), 1e-6);
	T_CHECK(tl_lexical_char_bucket("cat", 3, 1u << 31) !=
	    tl_lexical_bucket(&cat, (const size_t[]){ 3 }, 1, 1u << 31));
	/* off again */
	T_CHECK(tl_lexical_chars(&lx, 0, 0, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0 && lx.nnz == 2);
	/* one bucket: 3 word n-grams, 2 x 7 character n-grams of 2-3 */
	tl_lexical_free(&lx);
	T_CHECK(tl_lexical_init(&lx, 1, 2, &e) == 0);
	T_CHECK(tl_lexical_chars(&lx, 2, 3, &e) == 0);
	T_CHECK(tl_lexical_doc(&lx, &t, &e) == 0 && lx.nnz == 1);
	T_NEAR(lx.val[0], 1 + log(17), 1e-6);
	tl_lexical_free(&lx);
	tl_tokens_free(&t);
}

int
main(void)
{
	T_RUN(test_counts);
	T_RUN(test_many_buckets);
	T_RUN(test_init_errors);
	T_RUN(test_char_wb);
	T_RUN(test_chars_and_words);
	return t_done();
}
