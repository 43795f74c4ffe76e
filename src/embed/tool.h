/*
 * What the files of tl-embed share: each subcommand ("tl-embed import",
 * ...) is a main of its own in its own file, listed in main.c's table.
 */
#ifndef TL_EMBED_TOOL_H
#define TL_EMBED_TOOL_H

#include "docopts.h"

/* The subcommands: ARGV[0] is the subcommand's name. */
int	embed_fit_main(int argc, char **argv);
int	embed_import_main(int argc, char **argv);
int	embed_learn_main(int argc, char **argv);
int	embed_nn_main(int argc, char **argv);

/* The value of --sif-a: a positive finite number, or a usage error. */
double	embed_sif_a(const char *arg);

/* After getopt_long (with opterr 0 and ':' leading the short options)
 * returned CH, '?' or ':': the usage error that names the option. */

/* The embedding model to use without -m (see tl-embed(1) FILES), or NULL;
 * BUF holds the path when it is found beside the executable. */
const char *embed_default_model(char *buf, size_t cap);

/* The document-input options are the library's (docopts.h); these are
 * their values under the names the commands' option tables use. */
enum {
	EMBED_O_ID_FIELD = TL_DOCOPT_ID_FIELD,
	EMBED_O_JSONL = TL_DOCOPT_JSONL,
	EMBED_O_LABEL_FIELD = TL_DOCOPT_LABEL_FIELD,
	EMBED_O_SKIP_BAD = TL_DOCOPT_SKIP_BAD,
	EMBED_O_TEXT = TL_DOCOPT_TEXT,
	EMBED_O_TEXT_FIELD = TL_DOCOPT_TEXT_FIELD,
	EMBED_O_TSV = TL_DOCOPT_TSV
};

#endif
