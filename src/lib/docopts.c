/* The document-input options of the tools that read raw text; see
 * docopts.h. */
#include <stddef.h>

#include "cli.h"
#include "docopts.h"

int
tl_docopts_parse(int ch, const char *arg, struct tl_docs_opts *d)
{
	switch (ch) {
	case TL_DOCOPT_ID_FIELD:
		d->id_field = arg;
		return 1;
	case TL_DOCOPT_JSONL:
	case TL_DOCOPT_TEXT:
	case TL_DOCOPT_TSV:
		if (d->chosen)
			tl_usage_error("--text, --tsv and --jsonl exclude each "
			    "other");
		d->chosen = 1;
		d->format = ch == TL_DOCOPT_JSONL ? TL_DOCS_JSONL :
		    ch == TL_DOCOPT_TSV ? TL_DOCS_TSV : TL_DOCS_LINES;
		return 1;
	case TL_DOCOPT_LABEL_FIELD:
		d->label_field = arg;
		return 1;
	case TL_DOCOPT_SKIP_BAD:
		d->skip_bad = 1;
		return 1;
	case TL_DOCOPT_TEXT_FIELD:
		d->text_field = arg;
		return 1;
	}
	return 0;
}

void
tl_docopts_check(const struct tl_docs_opts *d)
{
	const char *paths[] = { d->text_field, d->id_field, d->label_field };
	const char *what[] = { "text", "id", "label" };
	struct tl_err e;

	if (d->format == TL_DOCS_JSONL) {
		/* before any output: a bad path is the command line's fault */
		for (int i = 0; i < 3; i++)
			if (paths[i] != NULL &&
			    tl_docs_path_check(paths[i], what[i], &e) == -1)
				tl_usage_error("%s", e.msg);
		return;
	}
	if (d->text_field != NULL)
		tl_usage_error("--text-field needs --jsonl");
	if (d->id_field != NULL)
		tl_usage_error("--id-field needs --jsonl");
	if (d->label_field != NULL)
		tl_usage_error("--label-field needs --jsonl");
}
