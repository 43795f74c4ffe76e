/*
 * The input loop every stream-reading tool shares: open each file (or
 * stdin), read its header and its records block by block, and hand them to
 * the tool; errors end the program with the file and line (see cli.h).
 */
#include <stdio.h>

#include "cli.h"
#include "io.h"

static void
read_stream(const char *path, size_t block_rows,
    const struct tl_cli_streams *cb)
{
	const char *name = tl_infile_name(path);
	const struct tl_vechdr *h;
	struct tl_vecreader *r;
	struct tl_vecblock b;
	struct tl_err e;
	long n;
	FILE *f;

	if ((f = tl_infile_open(path, &e)) == NULL)
		tl_die_err(name, &e);
	if ((r = tl_vecreader_open(f, name, &e)) == NULL)
		tl_die_err(name, &e);
	h = tl_vecreader_header(r);
	if (h->dim > 0) {
		cb->header(cb->ctx, h, name);
		if (tl_vecblock_init(&b, tl_vecblock_rows(block_rows,
		    h->dim), h->dim, &e) == -1)
			tl_die_err(NULL, &e);
		while ((n = tl_vecreader_read(r, &b, &e)) > 0)
			cb->block(cb->ctx, &b, name,
			    tl_vecreader_is_binary(r));
		if (n == -1)
			tl_die_err(name, &e);
		tl_vecblock_free(&b);
	}
	tl_vecreader_close(r);
	if (f != stdin)
		fclose(f);
}

void
tl_cli_read_streams(char *const *paths, int n, size_t block_rows,
    const struct tl_cli_streams *cb)
{
	if (n == 0)
		read_stream(NULL, block_rows, cb);
	for (int i = 0; i < n; i++)
		read_stream(paths[i], block_rows, cb);
}
