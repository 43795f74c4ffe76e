/*
 * Documents from plain lines, TSV and JSON lines; see docs.h.  Every
 * format reads with one getline buffer that grows to the longest line and
 * is reused.  A JSON line is parsed by jansson (json_loadb) into a tree
 * that lives until the next line, so the text is borrowed from it, not
 * copied; the id and label are copied into reused buffers because they
 * are cleaned (TAB, CR and LF become spaces: the vector stream is
 * line- and TAB-separated) or formatted from numbers.
 *
 * Which field holds the text of a tweet depends on the API version and on
 * whether the tweet is a retweet or longer than 140 characters: text_chain
 * below lists the places in the order they are tried, so that the full
 * text always wins over the truncated one.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "docs.h"
#include "fmt.h"
#include "vecstream.h"

/* A dotted field path split into its keys. */
struct path {
	char	 *buf;		/* the keys, NUL-separated */
	char	**keys;
	size_t	  n;
};

struct tl_docs {
	FILE			*f;
	struct tl_docs_opts	 o;
	uint64_t		*counter;
	uint64_t		 line;
	uint64_t		 skipped;
	char			*buf;
	size_t			 cap;
	char			 id[24];

	/* JSON lines */
	json_t			*root;		/* the current line's tree */
	struct path		 text_path, id_path, label_path;
	struct path		*text_chain, *id_chain;	/* split once */
	char			*idbuf, *labelbuf;
	size_t			 idcap, labelcap;
};

/*
 * Where tweets carry their text, most complete first.  API v1.1: a retweet
 * (retweeted_status) carries the original tweet, whose own text the
 * retweet's "text" truncates behind "RT @user: "; a tweet over 140
 * characters has its full text in extended_tweet (streaming) or full_text
 * (REST with tweet_mode=extended).  API v2: note_tweet holds the text of
 * a long post, "text" the rest, both inside "data" in the API's responses
 * and without it when the objects are stored one per line.
 */
static const char *const text_chain[] = {
	"retweeted_status.extended_tweet.full_text",
	"retweeted_status.full_text",
	"retweeted_status.text",
	"extended_tweet.full_text",
	"full_text",
	"note_tweet.text",
	"text",
	"data.note_tweet.text",
	"data.text",
};
#define NTEXT_CHAIN (sizeof(text_chain) / sizeof(text_chain[0]))

/* Where tweets carry their id: v1.1's id_str (the numeric "id" exceeds a
 * double's 53 bits), v2's "id" (a string). */
static const char *const id_chain[] = { "id_str", "id", "data.id" };
#define NID_CHAIN (sizeof(id_chain) / sizeof(id_chain[0]))

/* Split the dotted path S into P.  0, or -1 with E filled in. */
static int
path_parse(struct path *p, const char *s, const char *what, struct tl_err *e)
{
	size_t n = 1, k = 0;
	char *q;

	if (*s == '\0')
		return tl_errf(e, "--%s-field: empty field path", what);
	for (const char *c = s; *c; c++)
		n += *c == '.';
	if ((p->buf = strdup(s)) == NULL ||
	    (p->keys = calloc(n, sizeof(*p->keys))) == NULL)
		return tl_errf(e, "out of memory");
	p->n = n;
	for (q = p->buf; ; q++) {
		p->keys[k++] = q;
		if ((q = strchr(q, '.')) == NULL)
			break;
		*q = '\0';
	}
	for (k = 0; k < n; k++)
		if (*p->keys[k] == '\0')
			return tl_errf(e, "--%s-field: empty key in '%s'", what,
			    s);
	return 0;
}

static void
path_free(struct path *p)
{
	free(p->buf);
	free(p->keys);
	memset(p, 0, sizeof(*p));
}

int
tl_docs_path_check(const char *s, const char *what, struct tl_err *e)
{
	struct path p = { 0 };
	int rc = path_parse(&p, s, what, e);

	path_free(&p);
	return rc;
}

/* Borrowed: the value at the keys of P under V, or NULL.  A key made of
 * digits indexes an array. */
static json_t *
path_get(json_t *v, char *const *keys, size_t n)
{
	for (size_t i = 0; i < n && v != NULL; i++) {
		const char *k = keys[i];
		char *end;
		unsigned long long idx;

		if (json_is_object(v))
			v = json_object_get(v, k);
		else if (json_is_array(v) && *k >= '0' && *k <= '9') {
			errno = 0;
			idx = strtoull(k, &end, 10);
			v = *end != '\0' || errno != 0 || idx >= SIZE_MAX ?
			    NULL : json_array_get(v, (size_t)idx);
		} else
			v = NULL;
	}
	return v;
}

/* The N dotted paths NAMES split into a new array, or NULL. */
static struct path *
chain_parse(const char *const *names, size_t n, struct tl_err *e)
{
	struct path *c = calloc(n, sizeof(*c));

	if (c == NULL) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (path_parse(&c[i], names[i], "text", e) == -1) {
			while (i-- > 0)
				path_free(&c[i]);
			free(c);
			return NULL;
		}
	return c;
}

static void
chain_free(struct path *c, size_t n)
{
	for (size_t i = 0; c != NULL && i < n; i++)
		path_free(&c[i]);
	free(c);
}

struct tl_docs *
tl_docs_open(FILE *f, const struct tl_docs_opts *o, uint64_t *counter,
    struct tl_err *e)
{
	struct tl_docs *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	d->f = f;
	d->o = *o;
	d->counter = counter;
	if (o->format == TL_DOCS_JSONL &&
	    ((o->text_field != NULL &&
	    path_parse(&d->text_path, o->text_field, "text", e) == -1) ||
	    (o->id_field != NULL &&
	    path_parse(&d->id_path, o->id_field, "id", e) == -1) ||
	    (o->label_field != NULL &&
	    path_parse(&d->label_path, o->label_field, "label", e) == -1) ||
	    (d->text_chain = chain_parse(text_chain, NTEXT_CHAIN, e)) == NULL ||
	    (d->id_chain = chain_parse(id_chain, NID_CHAIN, e)) == NULL)) {
		tl_docs_close(d);
		return NULL;
	}
	return d;
}

/*
 * Split a TSV line (without its newline) into id, label and text, NUL
 * terminating id and label in place.  The text is everything after the
 * second TAB, TABs included (they separate words like spaces).
 */
static int
split_tsv(char *line, size_t len, struct tl_doc *doc, struct tl_err *e)
{
	char *t1 = memchr(line, '\t', len), *t2;

	if (t1 == NULL)
		return tl_errf(e, "expected 3 TAB-separated fields (id, label, "
		    "text), found 1");
	if ((t2 = memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - line))) ==
	    NULL)
		return tl_errf(e, "expected 3 TAB-separated fields (id, label, "
		    "text), found 2");
	if (memchr(line, '\0', (size_t)(t2 - line)) != NULL)
		return tl_errf(e, "NUL byte in the id or label");
	for (char *p = line; (p = memchr(p, '\r', (size_t)(t2 - p))) != NULL;)
		*p = ' ';	/* a record is one line: no CR in its fields */
	*t1 = *t2 = '\0';
	doc->id = line;
	doc->label = t1 + 1;
	doc->text = t2 + 1;
	doc->text_len = (size_t)(line + len - doc->text);
	return 0;
}

/* ---------------------------------------------------------------- JSON */

/* Copy the LEN bytes at S into *BUF (grown as needed) with NUL, TAB, CR
 * and LF made spaces, NUL-terminated.  0, or -1 when out of memory. */
static int
put_clean(char **buf, size_t *cap, const char *s, size_t len)
{
	char *p;

	if (len + 1 > *cap) {
		size_t c = *cap ? *cap : 64;

		while (c < len + 1)
			c *= 2;
		if ((p = realloc(*buf, c)) == NULL)
			return -1;
		*buf = p;
		*cap = c;
	}
	p = *buf;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		p[i] = c == '\t' || c == '\n' || c == '\r' || c == '\0' ? ' ' :
		    c;
	}
	p[len] = '\0';
	return 0;
}

/*
 * V (a string, integer, integral or other real, or boolean; null is the
 * empty string) as text in *BUF.  0; 1 when V is of another type; -1 when
 * out of memory.
 */
static int
scalar_text(const json_t *v, char **buf, size_t *cap)
{
	char num[64];
	double x;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return put_clean(buf, cap, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		x = json_real_value(v);
		if (x == floor(x) && fabs(x) < 9007199254740992.0)
			snprintf(num, sizeof(num), "%.0f", x);
		else {
			/* the shortest form that reads back as X */
			for (int prec = 15; prec <= 17; prec++) {
				snprintf(num, sizeof(num), "%.*g", prec, x);
				if (strtod(num, NULL) == x)
					break;
			}
		}
		break;
	case JSON_TRUE:
		snprintf(num, sizeof(num), "true");
		break;
	case JSON_FALSE:
		snprintf(num, sizeof(num), "false");
		break;
	case JSON_NULL:
		num[0] = '\0';
		break;
	default:
		return 1;
	}
	return put_clean(buf, cap, num, strlen(num));
}

/* An out-of-memory error: never skipped as a malformed line. */
static int
oom(struct tl_err *e)
{
	tl_errf(e, "out of memory");
	e->errnum = ENOMEM;
	return -1;
}

static const char *
type_name(const json_t *v)
{
	static const char *const names[] = { "an object", "an array",
	    "a string", "an integer", "a real", "true", "false", "null" };
	int t = (int)json_typeof(v);

	return t >= 0 && t < 8 ? names[t] : "unknown";
}

/* The text of the current line into DOC. */
static int
json_text(struct tl_docs *d, struct tl_doc *doc, struct tl_err *e)
{
	json_t *v = NULL;

	if (d->text_path.n > 0) {
		v = path_get(d->root, d->text_path.keys, d->text_path.n);
		if (v == NULL)
			return tl_errf(e, "no field '%s'", d->o.text_field);
		if (!json_is_string(v))
			return tl_errf(e, "field '%s' is %s, not a string",
			    d->o.text_field, type_name(v));
	} else {
		for (size_t i = 0; i < NTEXT_CHAIN && !json_is_string(v); i++)
			v = path_get(d->root, d->text_chain[i].keys,
			    d->text_chain[i].n);
		if (!json_is_string(v) &&
		    json_is_array(json_object_get(d->root, "data")))
			return tl_errf(e, "a page of API v2 results (\"data\" "
			    "is an array): one tweet a line, as jq -c '.data[]' "
			    "gives them");
		if (!json_is_string(v))
			return tl_errf(e, "no tweet text (none of full_text, "
			    "text, extended_tweet.full_text, note_tweet.text, "
			    "data.text, ... is a string; --text-field names "
			    "another field)");
	}
	doc->text = json_string_value(v);
	doc->text_len = json_string_length(v);
	return 0;
}

/* The id of the current line into DOC: the named field, else the first
 * of id_chain that is a string or an integer, else the document count. */
static int
json_id(struct tl_docs *d, struct tl_doc *doc, struct tl_err *e)
{
	json_t *v = NULL;
	int r;

	if (d->id_path.n > 0) {
		v = path_get(d->root, d->id_path.keys, d->id_path.n);
		if (v == NULL)
			return tl_errf(e, "no field '%s'", d->o.id_field);
	} else
		for (size_t i = 0; i < NID_CHAIN && v == NULL; i++) {
			v = path_get(d->root, d->id_chain[i].keys,
			    d->id_chain[i].n);
			if (!json_is_string(v) && !json_is_integer(v))
				v = NULL;
		}
	if (v == NULL) {
		*tl_fmt_u64(d->id, *d->counter) = '\0';
		doc->id = d->id;
		return 0;
	}
	if (!json_is_string(v) && !json_is_integer(v))
		return tl_errf(e, "field '%s' is %s, not a string or an "
		    "integer", d->o.id_field, type_name(v));
	if ((r = scalar_text(v, &d->idbuf, &d->idcap)) == -1)
		return oom(e);
	doc->id = d->idbuf;
	return 0;
}

/* The label of the current line into DOC: "" when there is no label
 * field, or the line lacks it or has null. */
static int
json_label(struct tl_docs *d, struct tl_doc *doc, struct tl_err *e)
{
	json_t *v;
	int r;

	doc->label = "";
	if (d->label_path.n == 0 ||
	    (v = path_get(d->root, d->label_path.keys, d->label_path.n)) ==
	    NULL)
		return 0;
	if ((r = scalar_text(v, &d->labelbuf, &d->labelcap)) == -1)
		return oom(e);
	if (r == 1)
		return tl_errf(e, "field '%s' is %s, not a string, number or "
		    "boolean", d->o.label_field, type_name(v));
	doc->label = d->labelbuf;
	return 0;
}

/* Parse the LEN bytes at LINE as one JSON object into DOC.  1 for a
 * document, 0 for a blank line, -1 with E filled in. */
static int
parse_json(struct tl_docs *d, const char *line, size_t len,
    struct tl_doc *doc, struct tl_err *e)
{
	json_error_t je;
	size_t i;

	json_decref(d->root);
	d->root = NULL;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r'); i++)
		;
	if (i == len)
		return 0;
	if ((d->root = json_loadb(line, len, JSON_ALLOW_NUL | JSON_DECODE_ANY,
	    &je)) == NULL)
		return tl_errf(e, "invalid JSON at column %d: %s", je.column,
		    je.text);
	if (!json_is_object(d->root))
		return tl_errf(e, "expected a JSON object, found %s",
		    type_name(d->root));
	++*d->counter;
	if (json_text(d, doc, e) == -1 || json_id(d, doc, e) == -1 ||
	    json_label(d, doc, e) == -1) {
		--*d->counter;
		return -1;
	}
	return 1;
}

/* ------------------------------------------------------------- reading */

/* The document of the line in d->buf (LEN bytes, no newline): 1, 0 for
 * none (a blank JSON line), -1 with E filled in. */
static int
parse_line(struct tl_docs *d, size_t len, struct tl_doc *doc,
    struct tl_err *e)
{
	switch (d->o.format) {
	case TL_DOCS_LINES:
		*tl_fmt_u64(d->id, ++*d->counter) = '\0';
		doc->id = d->id;
		doc->label = "";
		doc->text = d->buf;
		doc->text_len = len;
		return 1;
	case TL_DOCS_TSV:
		return split_tsv(d->buf, len, doc, e) == 0 ? 1 : -1;
	case TL_DOCS_JSONL:
		return parse_json(d, d->buf, len, doc, e);
	}
	return tl_errf(e, "unknown document format");
}

int
tl_docs_next(struct tl_docs *d, struct tl_doc *doc, struct tl_err *e)
{
	ssize_t len;
	int r;

	for (;;) {
		errno = 0;
		if ((len = getline(&d->buf, &d->cap, d->f)) == -1) {
			if (ferror(d->f))
				return tl_errf_sys(e, errno ? errno : EIO,
				    "read error");
			return 0;
		}
		d->line++;
		if (len > 0 && d->buf[len - 1] == '\n')
			d->buf[--len] = '\0';
		if (d->line == 1 && len >= 3 &&
		    memcmp(d->buf, "\xef\xbb\xbf", 3) == 0) {
			/* a UTF-8 byte order mark, as spreadsheets write:
			 * not part of the first id or JSON object */
			len -= 3;
			memmove(d->buf, d->buf + 3, (size_t)len + 1);
		}
		if (d->line == 1 && tl_vec_starts_stream(d->buf, (size_t)len))
			return tl_errf_line(e, 1, "a vector stream (see "
			    "tl-formats(5)), where text was expected");
		doc->line = d->line;
		if ((r = parse_line(d, (size_t)len, doc, e)) == 1)
			return 1;
		if (r == 0)
			continue;
		if (!d->o.skip_bad || e->errnum != 0) {
			e->pos_kind = TL_POS_LINE;
			e->pos = d->line;
			return -1;
		}
		d->skipped++;
	}
}

uint64_t
tl_docs_skipped(const struct tl_docs *d)
{
	return d->skipped;
}

void
tl_docs_close(struct tl_docs *d)
{
	if (d == NULL)
		return;
	json_decref(d->root);
	path_free(&d->text_path);
	path_free(&d->id_path);
	path_free(&d->label_path);
	chain_free(d->text_chain, NTEXT_CHAIN);
	chain_free(d->id_chain, NID_CHAIN);
	free(d->idbuf);
	free(d->labelbuf);
	free(d->buf);
	free(d);
}
