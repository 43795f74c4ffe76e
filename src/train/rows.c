/*
 * tl-train's rows: every record of the input streams in memory (the
 * optimiser needs them all, many times), their ids and labels in one text
 * arena, and the targets made from the labels; see train.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "evp.h"
#include "io.h"
#include "train.h"

/* Grow R to hold NEED more records and MORE text bytes. */
static void
reserve(struct rows *r, size_t need, size_t more)
{
	size_t cap;

	if (r->n + need > r->cap) {
		cap = r->cap ? r->cap : tl_vecblock_rows(4096, r->dim);
		while (cap < r->n + need)
			cap *= 2;
		if (cap > SIZE_MAX / sizeof(float) / r->dim)
			tl_die("out of memory");
		r->x = realloc(r->x, cap * r->dim * sizeof(float));
		r->label = realloc(r->label, cap * sizeof(size_t));
		r->id = realloc(r->id, cap * sizeof(size_t));
		if (r->x == NULL || r->label == NULL || r->id == NULL)
			tl_die("out of memory for %zu records", cap);
		r->cap = cap;
	}
	if (r->text_len + more > r->text_cap) {
		cap = r->text_cap ? r->text_cap : 1 << 16;
		while (cap < r->text_len + more)
			cap *= 2;
		if ((r->text = realloc(r->text, cap)) == NULL)
			tl_die("out of memory");
		r->text_cap = cap;
	}
}

/* A number that is the whole of S, or NAN: as tl-predict --eval reads a
 * true value (eval.c), so no leading blank either. */
static double
whole_number(const char *s)
{
	char *end;
	double v;

	if (*s == ' ' || *s == '\t')
		return NAN;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
		return NAN;
	return v;
}

/* What is wrong with label S of R's kind, or NULL: into BUF. */
static const char *
label_problem(const struct rows *r, const char *s, char *buf, size_t size)
{
	if (s[0] == '\0' && r->kind != TL_LINEAR_RIDGE)
		return "empty label: tl-train needs a class label for every "
		    "record";
	if (s[0] == '\0') {
		snprintf(buf, size, "empty label: %s needs a number for every "
		    "record", r->numeric);
		return buf;
	}
	if (r->kind == TL_LINEAR_RIDGE && isnan(whole_number(s))) {
		snprintf(buf, size, "label is not a number: %s needs numeric "
		    "labels", r->numeric);
		return buf;
	}
	if (r->kind == TL_LINEAR_LOGISTIC && (s[0] == ',' ||
	    s[strlen(s) - 1] == ',' || strstr(s, ",,") != NULL))
		return "empty class in a multi-label label (\"a,b\" separates "
		    "classes by single commas)";
	return NULL;
}

void
rows_on_block(void *ctx, const struct tl_vecblock *b, const char *name,
    int binary)
{
	struct rows *r = ctx;
	const char *why;
	char buf[128];
	struct tl_err e;
	size_t more = 0, len;

	for (size_t i = 0; i < b->n; i++) {
		if ((why = label_problem(r, b->label[i], buf,
		    sizeof(buf))) != NULL) {
			if (binary)
				tl_errf_byte(&e, b->pos[i], "%s", why);
			else if (b->label[i][0] == '\0' &&
			    r->kind != TL_LINEAR_RIDGE)
				tl_errf_line(&e, b->pos[i], "empty label: "
				    "tl-train needs a class label in column 2");
			else
				tl_errf_line(&e, b->pos[i], "%s", why);
			tl_die_err(name, &e);
		}
		more += strlen(b->label[i]) + strlen(b->id[i]) + 2;
	}
	reserve(r, b->n, more);
	memcpy(r->x + r->n * r->dim, b->x, b->n * b->dim * sizeof(float));
	if (r->sparse > 0)
		rows_add_sparse(r, b);
	for (size_t i = 0; i < b->n; i++) {
		len = strlen(b->label[i]) + 1;
		memcpy(r->text + r->text_len, b->label[i], len);
		r->label[r->n] = r->text_len;
		r->text_len += len;
		len = strlen(b->id[i]) + 1;
		memcpy(r->text + r->text_len, b->id[i], len);
		r->id[r->n++] = r->text_len;
		r->text_len += len;
	}
}

static int
same_stacked(const struct tl_vechdr *a, const struct tl_vechdr *b)
{
	if (a->nstacked != b->nstacked)
		return 0;
	for (size_t i = 0; i < a->nstacked; i++)
		if (strcmp(a->stacked[i], b->stacked[i]) != 0)
			return 0;
	return 1;
}

/* Keep THEIRS, input NAME's header description ("pool", "lexical"), in
 * MINE, both TL_VECHDR_POOL bytes; an earlier input's that differs means
 * records that do not mean the same, made as WHAT says. */
static void
keep_desc(char *mine, const char *theirs, const char *name,
    const char *what)
{
	if (theirs[0] == '\0')
		return;
	if (mine[0] != '\0' && strcmp(theirs, mine) != 0)
		tl_die("%s: %s %s, but earlier input as %s", name, what,
		    theirs, mine);
	memcpy(mine, theirs, TL_VECHDR_POOL);
}

/* Check that input NAME with header H fits the ones before; remember its
 * dimension and digests. */
void
rows_on_header(void *ctx, const struct tl_vechdr *h, const char *name)
{
	struct rows *r = ctx;
	struct tl_err e;

	if (r->dim == 0) {
		r->dim = h->dim;
		r->first = name;
		r->sparse = h->sparse;
	} else if (h->dim != r->dim)
		tl_die("%s: %zu values per record, but %s has %zu", name,
		    h->dim, r->first, r->dim);
	else if (h->sparse != r->sparse)
		tl_die("%s: a sparse part of %llu buckets, but %s has %llu",
		    name, (unsigned long long)h->sparse, r->first,
		    (unsigned long long)r->sparse);
	if (h->model[0] != '\0' && r->hdr.model[0] != '\0' &&
	    strcmp(h->model, r->hdr.model) != 0)
		tl_die("%s: vectors made by model %.12s..., but earlier input "
		    "by %.12s...", name, h->model, r->hdr.model);
	if (h->nstacked > 0 && r->hdr.nstacked > 0 && !same_stacked(h,
	    &r->hdr))
		tl_die("%s: stacked models differ from earlier input's", name);
	if (h->model[0] != '\0')
		memcpy(r->hdr.model, h->model, sizeof(r->hdr.model));
	r->named |= h->names != NULL;
	keep_desc(r->hdr.pool, h->pool, name, "vectors pooled as");
	keep_desc(r->hdr.lexical, h->lexical, name, "sparse part made as");
	if (h->nstacked > 0 && r->hdr.nstacked == 0)
		for (size_t i = 0; i < h->nstacked; i++)
			if (tl_vechdr_add_stacked(&r->hdr, h->stacked[i],
			    &e) == -1)
				tl_die_err(NULL, &e);
}

const char *
rows_label(const struct rows *r, size_t i)
{
	return r->text + r->label[i];
}

const char *
rows_id(const struct rows *r, size_t i)
{
	return r->text + r->id[i];
}

/* Classes of the N strings S plus the EXTRA names: sorted, distinct;
 * Y[i] (n + nextra entries) the index of each. */
static void
classes_of(struct targets *t, const char **s, size_t n, char *const *extra,
    size_t nextra, size_t *y)
{
	struct tl_err e;

	for (size_t j = 0; j < nextra; j++)
		s[n + j] = extra[j];
	if (tl_linear_classes(s, n + nextra, &t->classes, &t->k, y, &e) != 0)
		tl_die_err(NULL, &e);
}

/* Multi-label targets: each label split at commas into classes. */
static void
targets_multi(struct targets *t, const struct rows *r, char *const *extra,
    size_t nextra)
{
	size_t ntok = 0, i, j, *y, *owner;
	const char **tok;
	char *copy;

	if ((copy = malloc(r->text_len ? r->text_len : 1)) == NULL)
		tl_die("out of memory");
	memcpy(copy, r->text, r->text_len);
	for (i = 0; i < r->n; i++)
		for (const char *p = rows_label(r, i); *p; p++)
			ntok += *p == ',';
	ntok += r->n;
	tok = malloc((ntok + nextra) * sizeof(*tok));
	y = malloc((ntok + nextra) * sizeof(*y));
	owner = malloc(ntok * sizeof(*owner));
	if (tok == NULL || y == NULL || owner == NULL)
		tl_die("out of memory");
	for (i = 0, j = 0; i < r->n; i++) {
		char *p = copy + r->label[i], *q;

		for (;;) {
			owner[j] = i;
			tok[j++] = p;
			if ((q = strchr(p, ',')) == NULL)
				break;
			*q = '\0';
			p = q + 1;
		}
	}
	classes_of(t, tok, ntok, extra, nextra, y);
	if ((t->t = calloc(r->n, t->k)) == NULL)
		tl_die("out of memory");
	for (j = 0; j < ntok; j++)
		t->t[owner[j] * t->k + y[j]] = 1;
	free(owner);
	free(y);
	free(tok);
	free(copy);
}

void
targets_make(struct targets *t, const struct rows *r,
    enum tl_linear_kind kind, char *const *extra, size_t nextra,
    const char *where)
{
	const char **labels;
	int multi = 0;

	memset(t, 0, sizeof(*t));
	if (kind == TL_LINEAR_RIDGE) {
		t->k = 1;
		t->classes = calloc(1, sizeof(char *));
		t->value = malloc(r->n * sizeof(double));
		if (t->classes == NULL || t->value == NULL ||
		    (t->classes[0] = strdup("value")) == NULL)
			tl_die("out of memory");
		for (size_t i = 0; i < r->n; i++)
			t->value[i] = whole_number(rows_label(r, i));
		return;
	}
	for (size_t i = 0; kind == TL_LINEAR_LOGISTIC && i < r->n; i++)
		multi |= strchr(rows_label(r, i), ',') != NULL;
	if (multi)
		targets_multi(t, r, extra, nextra);
	else {
		labels = malloc((r->n + nextra) * sizeof(*labels));
		t->y = malloc((r->n + nextra) * sizeof(*t->y));
		if (labels == NULL || t->y == NULL)
			tl_die("out of memory");
		for (size_t i = 0; i < r->n; i++)
			labels[i] = rows_label(r, i);
		classes_of(t, labels, r->n, extra, nextra, t->y);
		free(labels);
	}
	if (t->k < 2)
		tl_die("%sonly one class (\"%s\"): tl-train needs at least "
		    "2", where, t->classes[0]);
}

void
targets_free(struct targets *t)
{
	for (size_t j = 0; j < t->k; j++)
		free(t->classes[j]);
	free(t->classes);
	free(t->y);
	free(t->t);
	free(t->value);
	memset(t, 0, sizeof(*t));
}

double *
weights_read(const char *path, size_t n)
{
	/* static: still reachable when a bad line ends the program */
	static char *line;
	static double *w;
	const char *name = tl_infile_name(path);
	size_t cap = 0, m = 0;
	double *res, v;
	struct tl_err e;
	ssize_t len;
	FILE *f;

	if ((f = tl_infile_open(path, &e)) == NULL)
		tl_die_err(name, &e);
	if ((w = malloc((n ? n : 1) * sizeof(double))) == NULL)
		tl_die("out of memory");
	while ((len = getline(&line, &cap, f)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		v = whole_number(line);
		if (!(v >= 0))
			tl_die("%s:%zu: expected a weight >= 0, found \"%.40s\"",
			    name, m + 1, line);
		if (m == n)
			tl_die("%s: more weights than the %zu records", name,
			    n);
		w[m++] = v;
	}
	if (ferror(f))
		tl_die("%s: read error: %s", name, strerror(errno ? errno :
		    EIO));
	if (m != n)
		tl_die("%s: %zu weights for %zu records", name, m, n);
	free(line);
	line = NULL;
	if (f != stdin)
		fclose(f);
	res = w;
	w = NULL;
	return res;
}

void
rows_free(struct rows *r)
{
	tl_vechdr_free(&r->hdr);
	free(r->x);
	free(r->label);
	free(r->id);
	free(r->text);
	free(r->sp_off);
	free(r->sp_idx);
	free(r->sp_val);
}

void
rows_digest(const struct rows *r, char out[65])
{
	EVP_MD_CTX *c = sha256_start();
	int ok = 1;

	for (size_t i = 0; ok && i < r->n; i++) {
		const char *l = rows_label(r, i);

		/* the label with its NUL, then the values (little-endian) */
		ok = EVP_DigestUpdate(c, l, strlen(l) + 1) &&
		    EVP_DigestUpdate(c, r->x + i * r->dim,
		    r->dim * sizeof(float));
	}
	sha256_finish(c, ok, out);
}

void
rows_record_pool(const struct rows *r, json_t *meta)
{
	json_t *in = json_object_get(meta, "input");

	if ((r->hdr.pool[0] != '\0' && (!json_is_object(in) ||
	    json_object_set_new(in, "pool", json_loads(r->hdr.pool, 0, NULL))
	    != 0)) || (r->hdr.lexical[0] != '\0' && (!json_is_object(in) ||
	    json_object_set_new(in, "lexical", json_loads(r->hdr.lexical, 0,
	    NULL)) != 0)))
		tl_die("out of memory");
	/* named components, no pooling and nothing stacked: tl-predict's
	 * outputs, so the producer is a model, not an embedding; its kind is
	 * the file's, as for stacked ones */
	if (r->hdr.pool[0] == '\0' && r->hdr.model[0] != '\0' &&
	    r->named && r->hdr.nstacked == 0) {
		json_t *p;
		size_t i;

		json_array_foreach(json_object_get(meta, "lineage"), i, p) {
			const char *role = json_string_value(
			    json_object_get(p, "role"));

			if (role != NULL && strcmp(role, "input-embedding") ==
			    0 && json_object_set_new(p, "kind",
			    json_string("model")) != 0)
				tl_die("out of memory");
		}
	}
}

EVP_MD_CTX *
sha256_start(void)
{
	EVP_MD_CTX *c;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		tl_die("cannot compute the SHA-256 of the training data");
	return c;
}

void
sha256_finish(EVP_MD_CTX *c, int ok, char out[65])
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!ok || !EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32)
		tl_die("cannot compute the SHA-256 of the training data");
	EVP_MD_CTX_free(c);
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hexd[md[i] >> 4];
		out[2 * i + 1] = hexd[md[i] & 15];
	}
	out[64] = '\0';
}
