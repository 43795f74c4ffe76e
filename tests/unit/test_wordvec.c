/*
 * Unit tests of the word-vector importers.  The error cases are a table:
 * format, file contents, and the position and a piece of the message that
 * the importer must report.  Then good files in every format, and a model
 * written from an import and read back through the embedding vocabulary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "t.h"
#include "wordvec.h"

static int
import(enum tl_wordvec_format fmt, const char *data, size_t len,
    struct tl_wordvec *w, struct tl_err *e)
{
	FILE *f = fmemopen((void *)data, len, "rb");
	int rc;

	tl_wordvec_init(w);
	tl_err_clear(e);
	if (f == NULL)
		return -2;
	rc = tl_wordvec_read(w, f, fmt, e);
	fclose(f);
	return rc;
}

/* A string literal and its length (binary ones hold NULs). */
#define D(s) s, sizeof(s) - 1

static const struct bad {
	enum tl_wordvec_format fmt;
	const char *data;
	size_t len;
	enum tl_pos kind;
	uint64_t pos;
	const char *msg;
} bad[] = {
	{ TL_WORDVEC_GLOVE, D(""), TL_POS_LINE, 1, "empty file" },
	{ TL_WORDVEC_GLOVE, D("a 1 2\nb 1\n"), TL_POS_LINE, 2,
	    "expected 2 values after the word, found 1" },
	{ TL_WORDVEC_GLOVE, D("a 1 2\nb 1 2 3\n"), TL_POS_LINE, 2,
	    "expected 2 values after the word, found 3" },
	{ TL_WORDVEC_GLOVE, D("a 1 2\nb 1 nan\n"), TL_POS_LINE, 2,
	    "value 2 is not finite ('nan')" },
	{ TL_WORDVEC_GLOVE, D("a 1 -Inf\n"), TL_POS_LINE, 1,
	    "value 2 is not finite ('-Inf')" },
	{ TL_WORDVEC_GLOVE, D("a 1 2\nb 1 2x\n"), TL_POS_LINE, 2,
	    "value 2 is not a number ('2x')" },
	{ TL_WORDVEC_GLOVE, D("a 1 1e99\n"), TL_POS_LINE, 1,
	    "value 2 is beyond the float range ('1e99')" },
	{ TL_WORDVEC_GLOVE, D("a 1 2\n 1 2\n"), TL_POS_LINE, 2, "empty word" },
	{ TL_WORDVEC_GLOVE, D("a 1 2\n\nb 1 2\n"), TL_POS_LINE, 2,
	    "empty line" },
	{ TL_WORDVEC_GLOVE, D("a\n"), TL_POS_LINE, 1, "no values" },
	{ TL_WORDVEC_GLOVE, D("a 1\nb\0c 2\n"), TL_POS_LINE, 2, "NUL byte" },
	{ TL_WORDVEC_WORD2VEC, D("3 2\na 1 2\nb 3 4\n"), TL_POS_LINE, 4,
	    "ends after 2 of the 3 words" },
	{ TL_WORDVEC_WORD2VEC, D("1 2\na 1 2\nb 3 4\n"), TL_POS_LINE, 3,
	    "more words than the 1" },
	{ TL_WORDVEC_VEC, D("a 1 2\n"), TL_POS_LINE, 1,
	    "expected a header line" },
	{ TL_WORDVEC_VEC, D("2 0\n"), TL_POS_LINE, 1, "expected a header" },
	{ TL_WORDVEC_VEC, D("0 2\n"), TL_POS_LINE, 1, "no words" },
	{ TL_WORDVEC_VEC, D("2 2\n"), TL_POS_LINE, 2, "ends after 0 of the 2" },
	{ TL_WORDVEC_WORD2VEC_BIN, D(""), TL_POS_NONE, 0, "empty file" },
	{ TL_WORDVEC_WORD2VEC_BIN, D("2 x\n"), TL_POS_BYTE, 0,
	    "expected a header line" },
	{ TL_WORDVEC_WORD2VEC_BIN, D("1 1\nab"), TL_POS_BYTE, 6,
	    "ends inside a word" },
	{ TL_WORDVEC_WORD2VEC_BIN, D("1 1\nab \x01\x02"), TL_POS_BYTE, 7,
	    "ends inside the vector of word 1 of 1" },
	{ TL_WORDVEC_WORD2VEC_BIN, D("1 1\nab \x00\x00\xc0\x7f"), TL_POS_BYTE, 7,
	    "value 1 of word 1 is not finite" },
	{ TL_WORDVEC_WORD2VEC_BIN, D("1 1\nab \x00\x00\x80\x3fxyz"), TL_POS_BYTE,
	    11, "more data after the 1 words" },
	{ TL_WORDVEC_WORD2VEC_BIN, D("1 1\n \x00\x00\x80\x3f"), TL_POS_BYTE, 4,
	    "word 1: empty word" },
};

static void
test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		struct tl_wordvec w;
		struct tl_err e;
		int rc = import(b->fmt, b->data, b->len, &w, &e);

		if (rc != -1 || e.pos_kind != b->kind || e.pos != b->pos ||
		    strstr(e.msg, b->msg) == NULL) {
			fprintf(stderr, "case %zu: rc %d, pos %d:%llu, '%s'; "
			    "want pos %d:%llu, '%s'\n", i, rc, e.pos_kind,
			    (unsigned long long)e.pos, e.msg, b->kind,
			    (unsigned long long)b->pos, b->msg);
			T_CHECK(!"wrong error");
		}
		tl_wordvec_free(&w);
	}
}

static int
same_words(const struct tl_wordvec *w, const char *const *words)
{
	for (size_t i = 0; i < w->n; i++) {
		size_t len = (size_t)(w->offsets[i + 1] - w->offsets[i]);

		if (len != strlen(words[i]) ||
		    memcmp(w->bytes + w->offsets[i], words[i], len) != 0)
			return 0;
	}
	return 1;
}

static void
test_text(void)
{
	static const char glove[] = "the 0.5 -1.25 3e-2\n"
	    "caf\xc3\xa9 1 2 3 \r\n"
	    "bad\xff\tword 0 0.1  -0\n"
	    "x 1e+2 -0.000001 7";	/* no final newline */
	static const char *const words[] = { "the", "caf\xc3\xa9",
	    "bad\xff", "x" };
	static const float want[] = { 0.5f, -1.25f, 0.03f, 1, 2, 3 };
	struct tl_wordvec w;
	struct tl_err e;

	T_CHECK(import(TL_WORDVEC_GLOVE, glove, strlen(glove), &w, &e) == -1);
	T_CHECK(strstr(e.msg, "value 1 is not a number ('word')") &&
	    e.pos == 3);	/* TAB ends the word: "word" is a value */
	tl_wordvec_free(&w);

	static const char glove2[] = "the 0.5 -1.25 3e-2\n"
	    "caf\xc3\xa9 1 2 3 \r\n"
	    "bad\xff\t0 0.1  -0\n"
	    "x 1e+2 -0.000001 7";
	T_CHECK(import(TL_WORDVEC_GLOVE, glove2, strlen(glove2), &w, &e) ==
	    0);
	T_CHECK(w.n == 4 && w.dim == 3 && same_words(&w, words));
	T_CHECK(memcmp(w.vectors, want, sizeof(want)) == 0);
	T_CHECK(w.vectors[11] == 7 && w.vectors[10] == -0.000001f);
	tl_wordvec_free(&w);

	static const char w2v[] = "2 3\nthe 0.5 -1.25 3e-2 \ncaf\xc3\xa9 1 2 3\n";
	T_CHECK(import(TL_WORDVEC_WORD2VEC, w2v, strlen(w2v), &w, &e) == 0);
	T_CHECK(w.n == 2 && w.dim == 3 && same_words(&w, words));
	T_CHECK(memcmp(w.vectors, want, sizeof(want)) == 0);
	tl_wordvec_free(&w);
}

static void
test_binary(void)
{
	static const float v[] = { 0.5f, -1.25f, 0.03f, 1, 2, 3 };
	static const char *const words[] = { "the", "caf\xc3\xa9" };
	char buf[256];
	size_t n = 0;
	struct tl_wordvec w;
	struct tl_err e;

	n += (size_t)sprintf(buf, "2 3\n");
	memcpy(buf + n, "the ", 4);
	memcpy(buf + n + 4, v, 12);
	n += 16;
	buf[n++] = '\n';
	memcpy(buf + n, "caf\xc3\xa9 ", 6);	/* no newline before */
	memcpy(buf + n + 6, v + 3, 12);
	n += 18;
	T_CHECK(import(TL_WORDVEC_WORD2VEC_BIN, buf, n, &w, &e) == 0);
	T_CHECK(w.n == 2 && w.dim == 3 && same_words(&w, words));
	T_CHECK(memcmp(w.vectors, v, sizeof(v)) == 0);
	tl_wordvec_free(&w);
	buf[n++] = '\n';
	T_CHECK(import(TL_WORDVEC_WORD2VEC_BIN, buf, n, &w, &e) == 0);
	tl_wordvec_free(&w);
}

/* Many words: the arrays grow past their first capacity. */
static void
test_grow(void)
{
	size_t n = 50000, len = 0;
	char *s = malloc(n * 32);
	struct tl_wordvec w;
	struct tl_err e;
	int ok = 1;

	T_CHECK(s != NULL);
	if (s == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "w%zu %zu.5 -%zu\n", i, i, i);
	T_CHECK(import(TL_WORDVEC_GLOVE, s, len, &w, &e) == 0);
	T_CHECK(w.n == n && w.dim == 2);
	for (size_t i = 0; i < w.n && ok; i++)
		ok = w.vectors[2 * i] == (float)(i + 0.5) &&
		    w.vectors[2 * i + 1] == -(float)i;
	T_CHECK(ok);
	T_CHECK(w.offsets[n] == (int64_t)w.nbytes);
	tl_wordvec_free(&w);
	free(s);
}

static void
test_model(void)
{
	static const char glove[] = "the 1 2\ncat 3 4\nthe 5 6\n";
	struct tl_wordvec w;
	struct tl_err e;
	char *buf = NULL, digest[65];
	size_t len = 0;
	FILE *f;
	json_t *meta;
	struct tl_model *m;
	struct tl_embed *v;

	T_CHECK(import(TL_WORDVEC_GLOVE, glove, strlen(glove), &w, &e) == 0);
	meta = tl_wordvec_meta(&w, "tl-embed", "tiny", TL_WORDVEC_GLOVE,
	    "tiny.txt");
	T_CHECK(meta != NULL);
	T_CHECK(json_integer_value(json_object_get(meta, "dim")) == 2);
	T_CHECK(json_integer_value(json_object_get(meta, "vocab_size")) == 3);
	T_CHECK(strcmp(json_string_value(json_object_get(json_object_get(meta,
	    "source"), "format")), "glove") == 0);
	T_CHECK((f = open_memstream(&buf, &len)) != NULL);
	T_CHECK(tl_wordvec_write(&w, meta, f, digest, &e) == 0);
	fclose(f);
	T_CHECK(strlen(digest) == 64);
	m = tl_model_load_mem(buf, len, &e);
	T_CHECK(m != NULL);
	v = m ? tl_embed_from_model(m, &e) : NULL;
	T_CHECK(v != NULL);
	if (v != NULL) {
		T_CHECK(tl_embed_lookup(v, "the", 3) == 0);	/* first */
		T_CHECK(tl_embed_lookup(v, "cat", 3) == 1);
		T_CHECK(tl_embed_vector(v, 1)[1] == 4);
		T_CHECK(strcmp(tl_model_digest(m), digest) == 0);
	}
	tl_embed_free(v);
	tl_model_free(m);
	json_decref(meta);
	free(buf);
	tl_wordvec_free(&w);

	/* names that are not UTF-8 are made so, not refused */
	tl_wordvec_init(&w);
	meta = tl_wordvec_meta(&w, "tl-embed", "n\xff", TL_WORDVEC_VEC,
	    "f\xfe.vec");
	T_CHECK(meta != NULL && strcmp(json_string_value(json_object_get(meta,
	    "name")), "n?") == 0);
	json_decref(meta);
}

static void
test_formats(void)
{
	enum tl_wordvec_format f;

	T_CHECK(tl_wordvec_format_parse("word2vec-bin", &f) == 0 &&
	    f == TL_WORDVEC_WORD2VEC_BIN);
	T_CHECK(strcmp(tl_wordvec_format_name(TL_WORDVEC_VEC), "vec") == 0);
	T_CHECK(tl_wordvec_format_parse("fasttext", &f) == -1);
}

int
main(void)
{
	T_RUN(test_errors);
	T_RUN(test_text);
	T_RUN(test_binary);
	T_RUN(test_grow);
	T_RUN(test_model);
	T_RUN(test_formats);
	return t_done();
}
