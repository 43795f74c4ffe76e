/*
 * The document-input options of every tool that reads raw text (tl-embed
 * and its commands, tl-predict and tl-stack with a pipeline model): --text
 * (plain lines, the default, named so that a command line can say so),
 * --tsv, --jsonl, --text-field, --id-field, --label-field, --skip-bad.  One
 * parser and one set of rules, so that the tools read text the same way.
 * A tool lists the options it takes in its getopt_long table with these
 * values and hands what getopt returns to tl_docopts_parse.
 */
#ifndef TL_DOCOPTS_H
#define TL_DOCOPTS_H

#include "docs.h"

/* The getopt_long values of the options: outside the range of option
 * characters and of the tools' own long-option values. */
enum {
	TL_DOCOPT_ID_FIELD = 0x1000,
	TL_DOCOPT_JSONL,
	TL_DOCOPT_LABEL_FIELD,
	TL_DOCOPT_SKIP_BAD,
	TL_DOCOPT_TEXT,
	TL_DOCOPT_TEXT_FIELD,
	TL_DOCOPT_TSV
};

/* Apply document-input option CH with argument ARG to D: 1 when CH is one
 * of them, 0 otherwise.  Exits 2 when two of --text, --tsv and --jsonl are
 * given. */
int	tl_docopts_parse(int ch, const char *arg, struct tl_docs_opts *d);

/* After the options: exit 2 when the JSON field options come without
 * --jsonl. */
void	tl_docopts_check(const struct tl_docs_opts *d);

#endif
