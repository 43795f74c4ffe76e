/*
 * Character n-grams as fastText makes them: which n-grams, their hash
 * (FNV-1a with fastText's sign extension), the mean that composes an
 * unknown word, and the description object.
 */
#include <stdint.h>
#include <string.h>

#include "subword.h"
#include "t.h"

static void
test_hash(void)
{
	/* FNV-1a 32 of "a" and of "foobar" (published test vectors) */
	T_CHECK(tl_subword_hash("a", 1) == 0xe40c292cu);
	T_CHECK(tl_subword_hash("foobar", 6) == 0xbf9cf968u);
	/* a byte >= 0x80 is xor-ed sign-extended, as fastText does:
	 * (0x811c9dc5 ^ 0xffffffc3) * 16777619 mod 2^32 */
	T_CHECK(tl_subword_hash("\xc3", 1) == (uint32_t)((0x811c9dc5u ^
	    0xffffffc3u) * 16777619u));
	T_CHECK(tl_subword_hash("", 0) == 2166136261u);
}

static void
test_ngrams(void)
{
	struct tl_subword_spec s = { 3, 3, 1000000 };
	uint32_t ids[64];
	const char *want[] = { "<wh", "whe", "her", "ere", "re>" };

	T_CHECK(tl_subword_ids(&s, "where", 5, ids, 64) == 5);
	for (size_t i = 0; i < 5; i++)
		T_CHECK(ids[i] == tl_subword_hash(want[i], 3) % 1000000);
	s.maxn = 6;	/* "<where>": 5 + 4 + 3 + 2 */
	T_CHECK(tl_subword_ids(&s, "where", 5, ids, 64) == 14);
	T_CHECK(tl_subword_ids(&s, "where", 5, ids, 2) == 14);
	/* fastText's order: by start, then by length */
	T_CHECK(ids[0] == tl_subword_hash("<wh", 3) % 1000000);
	T_CHECK(ids[1] == tl_subword_hash("<whe", 4) % 1000000);
	/* characters, not bytes: "<été>" has 5 characters */
	s.maxn = 3;
	T_CHECK(tl_subword_ids(&s, "\xc3\xa9t\xc3\xa9", 5, ids, 64) == 3);
	T_CHECK(ids[0] == tl_subword_hash("<\xc3\xa9t", 4) % 1000000);
	/* 1-grams: "<" and ">" alone are not n-grams */
	s.minn = s.maxn = 1;
	T_CHECK(tl_subword_ids(&s, "ab", 2, ids, 64) == 2);
	/* a one-letter word with minn 3: only "<a>" */
	s.minn = 3;
	s.maxn = 6;
	T_CHECK(tl_subword_ids(&s, "a", 1, ids, 64) == 1);
	T_CHECK(ids[0] == tl_subword_hash("<a>", 3) % 1000000);
	/* a word shorter than minn - 2 has none */
	s.minn = 4;
	T_CHECK(tl_subword_ids(&s, "a", 1, ids, 64) == 0);
}

static void
test_compose(void)
{
	struct tl_subword_spec s = { 3, 3, 7 };
	float rows[7 * 3], out[3], half[2];
	uint32_t ids[8];
	double want[3] = { 0 };
	size_t n;

	for (size_t i = 0; i < 7 * 3; i++)
		rows[i] = (float)i * 0.5f - 3.0f;
	n = tl_subword_ids(&s, "cat", 3, ids, 8);
	T_CHECK(n == 3);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 3; k++)
			want[k] += rows[ids[i] * 3 + k] / 3.0;
	T_CHECK(tl_subword_compose(&s, rows, 3, 3, "cat", 3, out) == 3);
	for (size_t k = 0; k < 3; k++)
		T_NEAR(out[k], want[k], 1e-6);
	/* a block of components: [1, 3) */
	T_CHECK(tl_subword_compose(&s, rows + 1, 3, 2, "cat", 3, half) == 3);
	T_NEAR(half[0], want[1], 1e-6);
	T_NEAR(half[1], want[2], 1e-6);
	s.minn = s.maxn = 9;
	T_CHECK(tl_subword_compose(&s, rows, 3, 3, "cat", 3, out) == 0);
	T_CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0);
}

static void
test_spec(void)
{
	struct tl_subword_spec s = { 2, 5, 1234 }, r;
	struct tl_err e;
	json_t *j = tl_subword_spec_json(&s), *bad;

	T_CHECK(j != NULL);
	T_CHECK(tl_subword_spec_parse(j, &r, &e) == 0);
	T_CHECK(r.minn == 2 && r.maxn == 5 && r.bucket == 1234);
	bad = json_pack("{s:i, s:i, s:i, s:s}", "minn", 5, "maxn", 3,
	    "bucket", 10, "hash", "fnv1a32");
	T_CHECK(tl_subword_spec_parse(bad, &r, &e) == -1);
	T_CHECK(strstr(e.msg, "maxn") != NULL);
	json_decref(bad);
	bad = json_pack("{s:i, s:i, s:i, s:s}", "minn", 3, "maxn", 6,
	    "bucket", 10, "hash", "murmur");
	T_CHECK(tl_subword_spec_parse(bad, &r, &e) == -1);
	T_CHECK(strstr(e.msg, "murmur") != NULL);
	json_decref(bad);
	bad = json_pack("{s:i, s:i, s:s}", "minn", 3, "maxn", 6, "hash",
	    "fnv1a32");
	T_CHECK(tl_subword_spec_parse(bad, &r, &e) == -1);
	T_CHECK(strstr(e.msg, "bucket") != NULL);
	json_decref(bad);
	T_CHECK(tl_subword_spec_parse(NULL, &r, &e) == -1);
	json_decref(j);
}

int
main(void)
{
	T_RUN(test_hash);
	T_RUN(test_ngrams);
	T_RUN(test_compose);
	T_RUN(test_spec);
	return t_done();
}
