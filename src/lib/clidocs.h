/*
 * The input loop of the tools that read raw text a block at a time
 * (tl-predict and tl-stack with pipeline models), as clistream.c is that
 * of the tools that read vector streams: open each file (or stdin), read
 * its documents block by block and hand them to the tool; errors end the
 * program with the file and line (see cli.h), and lines skipped as
 * malformed are counted in a closing warning.
 */
#ifndef TL_CLIDOCS_H
#define TL_CLIDOCS_H

#include <stddef.h>

#include "docblock.h"
#include "docs.h"

/* Called for each block of documents of the input NAME. */
typedef void	tl_cli_docs_fn(void *ctx, const struct tl_docblock *b,
		    const char *name);

/* Read the documents of the N files PATHS (standard input when N is 0)
 * with options O in blocks of BLOCK_ROWS, calling FN(CTX, ...) for each;
 * ids of plain lines continue from file to file. */
void	tl_cli_read_docs(char *const *paths, int n,
	    const struct tl_docs_opts *o, size_t block_rows,
	    tl_cli_docs_fn *fn, void *ctx);

#endif
