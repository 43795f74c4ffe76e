/*
 * tl-predict on raw text: a pipeline model's documents are read as
 * tl-embed reads them (the same options), a block at a time
 * (tl_cli_read_docs), and the pipeline's outputs go, block by block, to
 * the same output code as those of the vector streams (predict_emit), so
 * that --labels, --top and --eval work alike.
 */
#include "cli.h"
#include "clidocs.h"
#include "predict.h"

static void
on_docs(void *ctx, const struct tl_docblock *db, const char *name)
{
	struct predict *pr = ctx;
	struct tl_vecblock b = { 0 };
	struct tl_err e;

	if (tl_pipeline_apply_texts(pr->pipe, db->text, db->len, db->n,
	    pr->p, &e) == -1)
		tl_die_err(name, &e);
	/* The records as predict_emit knows them. */
	b.n = db->n;
	b.id = db->id;
	b.label = db->label;
	b.pos = db->line;
	predict_emit(pr, &b, name, 0);
}

void
predict_text(struct predict *pr, char *const *paths, int n,
    const struct tl_docs_opts *o, size_t cap)
{
	tl_cli_read_docs(paths, n, o, cap, on_docs, pr);
}
