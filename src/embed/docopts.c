/*
 * The document-input options that tl-embed's commands share (--tsv,
 * --jsonl, --text-field, --id-field, --label-field, --skip-bad): one
 * parser and one set of rules, so that embedding, fit and learn read text
 * the same way.
 */
#include <stddef.h>

#include "cli.h"
#include "docs.h"
#include "tool.h"

int
embed_docs_option(int ch, const char *arg, struct tl_docs_opts *d)
{
	switch (ch) {
	case EMBED_O_ID_FIELD:
		d->id_field = arg;
		return 1;
	case EMBED_O_JSONL:
	case EMBED_O_TSV:
		if (d->format != TL_DOCS_LINES)
			tl_usage_error("--jsonl and --tsv exclude each other");
		d->format = ch == EMBED_O_JSONL ? TL_DOCS_JSONL : TL_DOCS_TSV;
		return 1;
	case EMBED_O_LABEL_FIELD:
		d->label_field = arg;
		return 1;
	case EMBED_O_SKIP_BAD:
		d->skip_bad = 1;
		return 1;
	case EMBED_O_TEXT_FIELD:
		d->text_field = arg;
		return 1;
	}
	return 0;
}

void
embed_docs_check(const struct tl_docs_opts *d)
{
	if (d->format == TL_DOCS_JSONL)
		return;
	if (d->text_field != NULL)
		tl_usage_error("--text-field needs --jsonl");
	if (d->id_field != NULL)
		tl_usage_error("--id-field needs --jsonl");
	if (d->label_field != NULL)
		tl_usage_error("--label-field needs --jsonl");
}
