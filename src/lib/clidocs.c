/* The input loop of the tools that read raw text; see clidocs.h. */
#include <stdio.h>

#include "cli.h"
#include "clidocs.h"
#include "io.h"

static uint64_t
read_docs(const char *path, const struct tl_docs_opts *o,
    struct tl_docblock *b, uint64_t *counter, tl_cli_docs_fn *fn, void *ctx)
{
	const char *name = tl_infile_name(path);
	struct tl_docs *d;
	struct tl_err e;
	uint64_t skipped;
	long n;
	FILE *f;

	if ((f = tl_infile_open(path, &e)) == NULL ||
	    (d = tl_docs_open(f, o, counter, &e)) == NULL)
		tl_die_err(name, &e);
	while ((n = tl_docblock_read(b, d, &e)) > 0)
		fn(ctx, b, name);
	if (n == -1)
		tl_die_err(name, &e);
	skipped = tl_docs_skipped(d);
	tl_docs_close(d);
	if (f != stdin)
		fclose(f);
	return skipped;
}

void
tl_cli_read_docs(char *const *paths, int n, const struct tl_docs_opts *o,
    size_t block_rows, tl_cli_docs_fn *fn, void *ctx)
{
	struct tl_docblock b;
	uint64_t counter = 0, skipped = 0;
	struct tl_err e;

	if (tl_docblock_init(&b, block_rows, &e) == -1)
		tl_die_err(NULL, &e);
	if (n == 0)
		skipped += read_docs(NULL, o, &b, &counter, fn, ctx);
	for (int i = 0; i < n; i++)
		skipped += read_docs(paths[i], o, &b, &counter, fn, ctx);
	if (skipped > 0)
		tl_warn("skipped %llu malformed line%s",
		    (unsigned long long)skipped, skipped == 1 ? "" : "s");
	tl_docblock_free(&b);
}
