/*
 * Unit tests of the document reader: every JSON shape tweets come in (API
 * v1.1 plain, extended, retweeted; v2 with and without the "data" wrapper,
 * note_tweet), ids (id_str over the numeric id, 19-digit ids exact),
 * dotted fields, label types, malformed lines with their line numbers,
 * --skip-bad counts, and TSV.  Inputs are strings read through fmemopen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs.h"
#include "t.h"

/* One input, all its documents read with O: "id|label|text" per document
 * joined by "\n" into OUT; returns what the last tl_docs_next returned,
 * with E filled in on -1.  *SKIPPED gets the skip count. */
static int
read_all(const char *input, const struct tl_docs_opts *o, char *out,
    size_t cap, struct tl_err *e, uint64_t *skipped)
{
	FILE *f = fmemopen((void *)input, strlen(input), "r");
	struct tl_docs *d;
	struct tl_doc doc;
	uint64_t counter = 0;
	size_t used = 0;
	int r;

	out[0] = '\0';
	if (f == NULL)
		return -2;
	if ((d = tl_docs_open(f, o, &counter, e)) == NULL) {
		fclose(f);
		return -3;
	}
	while ((r = tl_docs_next(d, &doc, e)) == 1) {
		int k = snprintf(out + used, cap - used, "%s%s|%s|%.*s",
		    used ? "\n" : "", doc.id, doc.label, (int)doc.text_len,
		    doc.text);

		if (k > 0 && (size_t)k < cap - used)
			used += (size_t)k;
	}
	if (skipped != NULL)
		*skipped = tl_docs_skipped(d);
	tl_docs_close(d);
	fclose(f);
	return r;
}

/* Read INPUT as JSON lines with the default fields and compare. */
static int
jsonl_is(const char *input, const char *want)
{
	struct tl_docs_opts o = { .format = TL_DOCS_JSONL };
	struct tl_err e;
	char out[4096];
	int r = read_all(input, &o, out, sizeof(out), &e, NULL);

	if (r != 0 || strcmp(out, want) != 0) {
		fprintf(stderr, "input  %s\ngot    [%s] (%d: %s)\nwant   [%s]\n",
		    input, out, r, r == -1 ? e.msg : "", want);
		return 0;
	}
	return 1;
}

static void
test_v11(void)
{
	/* a short tweet: text */
	T_CHECK(jsonl_is("{\"id_str\":\"1\",\"text\":\"hello\"}\n",
	    "1||hello"));
	/* REST with tweet_mode=extended: full_text, no text */
	T_CHECK(jsonl_is("{\"id_str\":\"2\",\"full_text\":\"the whole "
	    "thing\",\"display_text_range\":[0,15]}\n", "2||the whole thing"));
	/* streaming, over 140 characters: extended_tweet beats text */
	T_CHECK(jsonl_is("{\"id_str\":\"3\",\"text\":\"cut short \\u2026 "
	    "https://t.co/x\",\"truncated\":true,\"extended_tweet\":"
	    "{\"full_text\":\"cut short no more\"}}\n", "3||cut short no more"));
	/* full_text beats text when both are there */
	T_CHECK(jsonl_is("{\"id_str\":\"4\",\"text\":\"short\",\"full_text\":"
	    "\"long\"}\n", "4||long"));
	/* no trailing newline, CRLF, blank lines in between */
	T_CHECK(jsonl_is("\n{\"id_str\":\"5\",\"text\":\"a\"}\r\n  \n"
	    "{\"id_str\":\"6\",\"text\":\"b\"}", "5||a\n6||b"));
}

static void
test_retweets(void)
{
	/* the retweeted tweet's extended text, not the "RT @x: ..." */
	T_CHECK(jsonl_is("{\"id_str\":\"10\",\"text\":\"RT @ann: cut \\u2026\","
	    "\"retweeted_status\":{\"id_str\":\"9\",\"text\":\"cut \\u2026\","
	    "\"extended_tweet\":{\"full_text\":\"cut no more\"}}}\n",
	    "10||cut no more"));
	T_CHECK(jsonl_is("{\"id_str\":\"11\",\"full_text\":\"RT @ann: "
	    "x\",\"retweeted_status\":{\"full_text\":\"x y z\",\"text\":"
	    "\"x\"}}\n", "11||x y z"));
	T_CHECK(jsonl_is("{\"id_str\":\"12\",\"text\":\"RT @ann: short\","
	    "\"retweeted_status\":{\"text\":\"short\"}}\n", "12||short"));
	/* a retweeted_status without any text: the retweet's own */
	T_CHECK(jsonl_is("{\"id_str\":\"13\",\"text\":\"RT @ann: q\","
	    "\"retweeted_status\":{}}\n", "13||RT @ann: q"));
	/* a quote tweet is not a retweet: its own text */
	T_CHECK(jsonl_is("{\"id_str\":\"14\",\"text\":\"mine\","
	    "\"quoted_status\":{\"text\":\"theirs\"}}\n", "14||mine"));
}

static void
test_v2(void)
{
	T_CHECK(jsonl_is("{\"data\":{\"id\":\"20\",\"text\":\"v2 post\"}}\n",
	    "20||v2 post"));
	T_CHECK(jsonl_is("{\"data\":{\"id\":\"21\",\"text\":\"cut\","
	    "\"note_tweet\":{\"text\":\"the long note\"}},\"includes\":{}}\n",
	    "21||the long note"));
	/* without the data wrapper */
	T_CHECK(jsonl_is("{\"id\":\"22\",\"text\":\"bare\"}\n", "22||bare"));
	T_CHECK(jsonl_is("{\"id\":\"23\",\"text\":\"cut\",\"note_tweet\":"
	    "{\"text\":\"bare note\"}}\n", "23||bare note"));
}

static void
test_ids(void)
{
	/* id_str wins over the numeric id (which a double would round) */
	T_CHECK(jsonl_is("{\"id\":1234567890123456789,\"id_str\":"
	    "\"1234567890123456789\",\"text\":\"x\"}\n",
	    "1234567890123456789||x"));
	/* a numeric id alone comes out exactly too (jansson: int64) */
	T_CHECK(jsonl_is("{\"id\":1234567890123456789,\"text\":\"x\"}\n",
	    "1234567890123456789||x"));
	T_CHECK(jsonl_is("{\"id\":9223372036854775807,\"text\":\"x\"}\n",
	    "9223372036854775807||x"));
	/* no id: the document's number; TAB and newlines in ids: spaces */
	T_CHECK(jsonl_is("{\"text\":\"a\"}\n{\"text\":\"b\"}\n"
	    "{\"id_str\":\"x\\ty\\nz\\r\",\"text\":\"c\"}\n",
	    "1||a\n2||b\nx y z ||c"));
	/* a real id is not an id: the number instead */
	T_CHECK(jsonl_is("{\"id\":1.5,\"text\":\"a\"}\n", "1||a"));
}

/* Read INPUT with fields TEXT, ID, LABEL; compare with WANT. */
static int
fields_are(const char *input, const char *text, const char *id,
    const char *label, const char *want)
{
	struct tl_docs_opts o = { .format = TL_DOCS_JSONL, .text_field = text,
	    .id_field = id, .label_field = label };
	struct tl_err e;
	char out[4096];
	int r = read_all(input, &o, out, sizeof(out), &e, NULL);

	if (r != 0 || strcmp(out, want) != 0) {
		fprintf(stderr, "input  %s\ngot    [%s] (%d: %s)\nwant   [%s]\n",
		    input, out, r, r == -1 ? e.msg : "", want);
		return 0;
	}
	return 1;
}

static void
test_fields(void)
{
	T_CHECK(fields_are("{\"a\":{\"b\":{\"c\":\"deep\"}},\"k\":\"7\"}\n",
	    "a.b.c", "k", NULL, "7||deep"));
	T_CHECK(fields_are("{\"body\":\"x\",\"meta\":{\"n\":42},\"y\":\"pos\"}\n",
	    "body", "meta.n", "y", "42|pos|x"));
	/* array index */
	T_CHECK(fields_are("{\"t\":[\"zero\",\"one\"],\"i\":\"1\"}\n", "t.1",
	    "i", NULL, "1||one"));
	/* label types: string, integer, integral real, real, bool, null,
	 * missing */
	T_CHECK(fields_are(
	    "{\"t\":\"a\",\"l\":\"neg\"}\n"
	    "{\"t\":\"b\",\"l\":3}\n"
	    "{\"t\":\"c\",\"l\":-2.0}\n"
	    "{\"t\":\"d\",\"l\":0.1}\n"
	    "{\"t\":\"e\",\"l\":true}\n"
	    "{\"t\":\"f\",\"l\":false}\n"
	    "{\"t\":\"g\",\"l\":null}\n"
	    "{\"t\":\"h\"}\n"
	    "{\"t\":\"i\",\"l\":\"a\\tb\"}\n", "t", NULL, "l",
	    "1|neg|a\n2|3|b\n3|-2|c\n4|0.1|d\n5|true|e\n6|false|f\n7||g\n"
	    "8||h\n9|a b|i"));
	/* the text may hold NULs (JSON \u0000): kept, with the length */
	T_CHECK(fields_are("{\"t\":\"a\\u0000b\"}\n", "t", NULL, NULL,
	    "1||a"));
}

/* Read INPUT as O; check that it fails at LINE with MSG in the message,
 * or, with skip_bad, reads WANT and skips SKIPS lines. */
static int
bad_is(const char *input, struct tl_docs_opts o, uint64_t line,
    const char *msg, const char *want, uint64_t skips)
{
	struct tl_err e;
	char out[4096];
	uint64_t skipped = 0;
	int r, ok;

	r = read_all(input, &o, out, sizeof(out), &e, NULL);
	ok = r == -1 && e.pos_kind == TL_POS_LINE && e.pos == line &&
	    strstr(e.msg, msg) != NULL;
	if (!ok)
		fprintf(stderr, "input %s\nr %d line %llu [%s], want line %llu "
		    "[%s]\n", input, r, (unsigned long long)e.pos, e.msg,
		    (unsigned long long)line, msg);
	o.skip_bad = 1;
	r = read_all(input, &o, out, sizeof(out), &e, &skipped);
	if (r != 0 || strcmp(out, want) != 0 || skipped != skips) {
		fprintf(stderr, "skip-bad: r %d got [%s] skipped %llu, want "
		    "[%s] %llu\n", r, out, (unsigned long long)skipped, want,
		    (unsigned long long)skips);
		ok = 0;
	}
	return ok;
}

static void
test_malformed(void)
{
	struct tl_docs_opts j = { .format = TL_DOCS_JSONL };
	struct tl_docs_opts jl = { .format = TL_DOCS_JSONL, .label_field =
	    "l", .id_field = "k" };

	T_CHECK(bad_is("{\"text\":\"a\"}\n{\"text\": \"b\"\n{\"text\":\"c\"}\n",
	    j, 2, "invalid JSON at column", "1||a\n2||c", 1));
	T_CHECK(bad_is("{\"text\":\"a\"}\nnot json\n", j, 2,
	    "invalid JSON at column 3: invalid token near 'not'", "1||a", 1));
	T_CHECK(bad_is("[1,2]\n{\"text\":\"a\"}\n", j, 1,
	    "expected a JSON object, found an array", "1||a", 1));
	T_CHECK(bad_is("\"str\"\n", j, 1, "found a string", "", 1));
	T_CHECK(bad_is("{\"text\":\"a\"}\n{\"user\":{}}\n{\"text\":5}\n", j, 2,
	    "no tweet text", "1||a", 2));
	T_CHECK(bad_is("{\"text\":\"a\"} {\"text\":\"b\"}\n", j, 1,
	    "invalid JSON", "", 1));
	T_CHECK(bad_is("{\"text\":\"a\xff\"}\n", j, 1, "invalid JSON", "", 1));
	T_CHECK(bad_is("{\"k\":\"1\",\"text\":\"a\",\"l\":[1]}\n"
	    "{\"k\":\"2\",\"text\":\"b\"}\n", jl, 1,
	    "field 'l' is an array, not a string, number or boolean", "2||b",
	    1));
	T_CHECK(bad_is("{\"k\":{},\"text\":\"a\"}\n", jl, 1,
	    "field 'k' is an object, not a string or an integer", "", 1));
	T_CHECK(bad_is("{\"text\":\"a\"}\n", jl, 1, "no field 'k'", "", 1));
	jl.text_field = "x.y";
	T_CHECK(bad_is("{\"k\":\"1\",\"x\":{\"y\":null}}\n", jl, 1,
	    "field 'x.y' is null, not a string", "", 1));
	T_CHECK(bad_is("{\"k\":\"1\",\"x\":\"y\"}\n{\"k\":\"2\",\"x\":"
	    "{\"y\":\"ok\"}}\n", jl, 1, "no field 'x.y'", "2||ok", 1));
}

/* Skipped lines do not use up the numbers of documents without ids. */
static void
test_skip_numbering(void)
{
	struct tl_docs_opts o = { .format = TL_DOCS_JSONL, .skip_bad = 1 };
	struct tl_err e;
	char out[256];
	uint64_t skipped;

	T_CHECK(read_all("{\"text\":\"a\"}\n{}\n{\"text\":\"b\"}\n", &o, out,
	    sizeof(out), &e, &skipped) == 0);
	T_CHECK(strcmp(out, "1||a\n2||b") == 0 && skipped == 1);
}

static void
test_bad_paths(void)
{
	struct tl_docs_opts o = { .format = TL_DOCS_JSONL };
	struct tl_err e;
	char out[64];

	o.text_field = "";
	T_CHECK(read_all("", &o, out, sizeof(out), &e, NULL) == -3);
	T_CHECK(strstr(e.msg, "empty field path") != NULL);
	o.text_field = "a..b";
	T_CHECK(read_all("", &o, out, sizeof(out), &e, NULL) == -3);
	T_CHECK(strstr(e.msg, "empty key in 'a..b'") != NULL);
	o.text_field = NULL;
	o.label_field = "x.";
	T_CHECK(read_all("", &o, out, sizeof(out), &e, NULL) == -3);
	T_CHECK(strstr(e.msg, "--label-field") != NULL);
}

static void
test_tsv(void)
{
	struct tl_docs_opts o = { .format = TL_DOCS_TSV };

	T_CHECK(bad_is("a\tpos\tthe cat\nb sat\nc\tneg\n\td\tx\ty\n", o, 2,
	    "expected 3 TAB-separated fields (id, label, text), found 1",
	    "a|pos|the cat\n|d|x\ty", 2));
	T_CHECK(bad_is("a\tpos\n", o, 1, "found 2", "", 1));
	/* a CR in the id or label becomes a space; in the text it stays */
	T_CHECK(bad_is("x\n\ra\r\tp\ros\tt\r\n", o, 1, "found 1",
	    " a |p os|t\r", 1));
}

static void
test_lines(void)
{
	struct tl_docs_opts o = { .format = TL_DOCS_LINES, .skip_bad = 1 };
	struct tl_err e;
	char out[256];
	uint64_t skipped;

	T_CHECK(read_all("one\n\n{bad json is just text\n", &o, out,
	    sizeof(out), &e, &skipped) == 0);
	T_CHECK(strcmp(out, "1||one\n2||\n3||{bad json is just text") == 0);
	T_CHECK(skipped == 0);
}

/* A long line, far beyond any first buffer size, as JSON. */
static void
test_long_line(void)
{
	size_t n = 1 << 20;
	char *in = malloc(n + 64), *out = malloc(n + 64);
	struct tl_docs_opts o = { .format = TL_DOCS_JSONL };
	struct tl_err e;

	T_CHECK(in != NULL && out != NULL);
	if (in == NULL || out == NULL)
		goto done;
	memcpy(in, "{\"id_str\":\"L\",\"text\":\"", 22);
	memset(in + 22, 'w', n);
	memcpy(in + 22 + n, "\"}\n", 4);
	T_CHECK(read_all(in, &o, out, n + 64, &e, NULL) == 0);
	T_CHECK(strlen(out) == n + 3 && memcmp(out, "L||w", 4) == 0);
done:
	free(in);
	free(out);
}

int
main(void)
{
	T_RUN(test_v11);
	T_RUN(test_retweets);
	T_RUN(test_v2);
	T_RUN(test_ids);
	T_RUN(test_fields);
	T_RUN(test_malformed);
	T_RUN(test_skip_numbering);
	T_RUN(test_bad_paths);
	T_RUN(test_tsv);
	T_RUN(test_lines);
	T_RUN(test_long_line);
	return t_done();
}
