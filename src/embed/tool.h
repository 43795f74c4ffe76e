/*
 * What the files of tl-embed share: each subcommand ("tl-embed import",
 * ...) is a main of its own in its own file, listed in main.c's table.
 */
#ifndef TL_EMBED_TOOL_H
#define TL_EMBED_TOOL_H

/* The subcommands: ARGV[0] is the subcommand's name. */
int	embed_fit_main(int argc, char **argv);
int	embed_import_main(int argc, char **argv);
int	embed_learn_main(int argc, char **argv);
int	embed_nn_main(int argc, char **argv);

/* The value of --sif-a: a positive finite number, or a usage error. */
double	embed_sif_a(const char *arg);

/* After getopt_long (with opterr 0 and ':' leading the short options)
 * returned CH, '?' or ':': the usage error that names the option. */
_Noreturn void embed_bad_option(char **argv, int ch);

/* The embedding model to use without -m (see tl-embed(1) FILES), or NULL;
 * BUF holds the path when it is found beside the executable. */
const char *embed_default_model(char *buf, size_t cap);

/* The values of the document-input long options (see docopts.c); each
 * command lists those it takes in its option table. */
enum {
	EMBED_O_ID_FIELD = 0x1000,
	EMBED_O_JSONL,
	EMBED_O_LABEL_FIELD,
	EMBED_O_SKIP_BAD,
	EMBED_O_TEXT_FIELD,
	EMBED_O_TSV
};

struct tl_docs_opts;

/* Apply document-input option CH with argument ARG to D: 1 when CH is
 * one of them, 0 otherwise.  Exits 2 on --jsonl with --tsv. */
int	embed_docs_option(int ch, const char *arg, struct tl_docs_opts *d);

/* After the options: exit 2 when the JSON field options come without
 * --jsonl. */
void	embed_docs_check(const struct tl_docs_opts *d);

#endif
