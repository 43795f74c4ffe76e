/*
 * Documents in blocks: the documents of a tl_docs reader taken a block at
 * a time, their ids, labels and texts copied into one growing arena (no
 * allocation per document), so that a tool applies a model that takes raw
 * text (a pipeline) to a block of documents as it applies a head to a
 * block of vectors.
 */
#ifndef TL_DOCBLOCK_H
#define TL_DOCBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "docs.h"
#include "err.h"

/* A block: the strings live in the arena and stay valid until the next
 * read into the block. */
struct tl_docblock {
	size_t		  n, cap;	/* documents held, and room */
	char		**id, **label;	/* n NUL-terminated strings each */
	char		**text;		/* n texts, NUL-terminated */
	size_t		 *len;		/* n text lengths */
	uint64_t	 *line;		/* n input lines */
	size_t		 *off;		/* private: 3 arena offsets each */
	char		 *arena;
	size_t		  arena_len, arena_cap;
};

/* Room for CAP (>= 1) documents.  0, or -1 with E filled in. */
int	tl_docblock_init(struct tl_docblock *b, size_t cap, struct tl_err *e);

/* Read up to b->cap documents from D into B.  Returns the number read, 0
 * at the end of D, or -1 with E filled in (tl_docs_next's errors; out of
 * memory). */
long	tl_docblock_read(struct tl_docblock *b, struct tl_docs *d,
	    struct tl_err *e);

/* Release what B owns.  A zeroed block is a no-op. */
void	tl_docblock_free(struct tl_docblock *b);

#endif
