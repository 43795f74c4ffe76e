/* Hashed n-gram features: counts, sublinear values, order, collisions. */
#include <math.h>
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
}

int
main(void)
{
	T_RUN(test_counts);
	T_RUN(test_init_errors);
	return t_done();
}
