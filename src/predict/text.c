/*
 * tl-predict on raw text: a pipeline model's documents are read as
 * tl-embed reads them (docs.c, the same options), pooled by the
 * pipeline's embedding into blocks of vectors and handed, block by block,
 * to the same output code as the vector streams (predict_emit), so that
 * --labels, --top and --eval work alike.  The ids and labels of a block
 * live in one growing arena: no allocation per document.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "predict.h"

struct textblock {
	struct tl_vecblock b;		/* x, id, label, pos; n, cap, dim */
	size_t		*off;		/* 2 per record: id and label */
	char		*bytes;		/* their strings, NUL-terminated */
	size_t		 len, size;
	uint64_t	 skipped;
};

static void
textblock_init(struct textblock *t, size_t cap, size_t dim)
{
	memset(t, 0, sizeof(*t));
	t->b.cap = cap;
	t->b.dim = dim;
	t->b.x = malloc(cap * dim * sizeof(float));
	t->b.id = malloc(cap * sizeof(char *));
	t->b.label = malloc(cap * sizeof(char *));
	t->b.pos = malloc(cap * sizeof(uint64_t));
	t->off = malloc(2 * cap * sizeof(size_t));
	if (t->b.x == NULL || t->b.id == NULL || t->b.label == NULL ||
	    t->b.pos == NULL || t->off == NULL)
		tl_die("out of memory");
}

static void
textblock_free(struct textblock *t)
{
	free(t->b.x);
	free(t->b.id);
	free(t->b.label);
	free(t->b.pos);
	free(t->off);
	free(t->bytes);
}

/* Append the N bytes at S and a NUL to the arena; returns their offset. */
static size_t
keep(struct textblock *t, const char *s)
{
	size_t n = strlen(s) + 1, at = t->len;

	if (t->len + n > t->size) {
		size_t size = t->size ? t->size : 4096;

		while (size < t->len + n)
			size *= 2;
		if ((t->bytes = realloc(t->bytes, size)) == NULL)
			tl_die("out of memory");
		t->size = size;
	}
	memcpy(t->bytes + at, s, n);
	t->len += n;
	return at;
}

/* Apply the pipeline to the block's records and emit them. */
static void
flush(struct predict *pr, struct textblock *t, const char *name)
{
	struct tl_err e;

	if (t->b.n == 0)
		return;
	for (size_t i = 0; i < t->b.n; i++) {
		t->b.id[i] = t->bytes + t->off[2 * i];
		t->b.label[i] = t->bytes + t->off[2 * i + 1];
	}
	if (tl_pipeline_apply(pr->pipe, t->b.x, t->b.n, pr->p, &e) == -1)
		tl_die_err(name, &e);
	predict_emit(pr, &t->b, name, 0);
	t->b.n = 0;
	t->len = 0;
}

static void
text_file(struct predict *pr, struct textblock *t, const char *path,
    const struct tl_docs_opts *o, uint64_t *counter)
{
	const char *name = tl_infile_name(path);
	struct tl_docs *d;
	struct tl_doc doc;
	struct tl_err e;
	FILE *f;
	int got;

	if ((f = tl_infile_open(path, &e)) == NULL ||
	    (d = tl_docs_open(f, o, counter, &e)) == NULL)
		tl_die_err(name, &e);
	while ((got = tl_docs_next(d, &doc, &e)) == 1) {
		size_t i = t->b.n;

		if (tl_pipeline_pool(pr->pipe, doc.text, doc.text_len,
		    t->b.x + i * t->b.dim) == -1)
			tl_die("%s:%llu: out of memory", name,
			    (unsigned long long)doc.line);
		t->off[2 * i] = keep(t, doc.id);
		t->off[2 * i + 1] = keep(t, doc.label);
		t->b.pos[i] = doc.line;
		if (++t->b.n == t->b.cap)
			flush(pr, t, name);
	}
	if (got == -1)
		tl_die_err(name, &e);
	flush(pr, t, name);
	t->skipped += tl_docs_skipped(d);
	tl_docs_close(d);
	if (f != stdin)
		fclose(f);
}

void
predict_text(struct predict *pr, char *const *paths, int n,
    const struct tl_docs_opts *o, size_t cap)
{
	struct textblock t;
	uint64_t counter = 0;

	textblock_init(&t, cap, tl_pipeline_in_dim(pr->pipe));
	if (n == 0)
		text_file(pr, &t, NULL, o, &counter);
	for (int i = 0; i < n; i++)
		text_file(pr, &t, paths[i], o, &counter);
	if (t.skipped > 0)
		tl_warn("skipped %llu malformed line%s",
		    (unsigned long long)t.skipped, t.skipped == 1 ? "" : "s");
	textblock_free(&t);
}
