/* Documents in blocks; see docblock.h. */
#include <stdlib.h>
#include <string.h>

#include "docblock.h"

int
tl_docblock_init(struct tl_docblock *b, size_t cap, struct tl_err *e)
{
	memset(b, 0, sizeof(*b));
	if (cap == 0 || cap > SIZE_MAX / 3 / sizeof(size_t))
		return tl_errf(e, "a block of %zu documents", cap);
	b->cap = cap;
	if ((b->id = malloc(cap * sizeof(*b->id))) == NULL ||
	    (b->label = malloc(cap * sizeof(*b->label))) == NULL ||
	    (b->text = malloc(cap * sizeof(*b->text))) == NULL ||
	    (b->len = malloc(cap * sizeof(*b->len))) == NULL ||
	    (b->line = malloc(cap * sizeof(*b->line))) == NULL ||
	    (b->off = malloc(3 * cap * sizeof(*b->off))) == NULL) {
		tl_docblock_free(b);
		return tl_errf(e, "out of memory");
	}
	return 0;
}

/* Append the N bytes at S and a NUL to the arena, their offset into
 * *OFF.  0, or -1 when out of memory. */
static int
keep(struct tl_docblock *b, const char *s, size_t n, size_t *off)
{
	size_t cap = b->arena_cap ? b->arena_cap : 4096;
	char *a;

	if (n >= SIZE_MAX / 2 - b->arena_len)
		return -1;
	while (cap < b->arena_len + n + 1)
		cap *= 2;
	if (cap > b->arena_cap) {
		if ((a = realloc(b->arena, cap)) == NULL)
			return -1;
		b->arena = a;
		b->arena_cap = cap;
	}
	memcpy(b->arena + b->arena_len, s, n);
	b->arena[b->arena_len + n] = '\0';
	*off = b->arena_len;
	b->arena_len += n + 1;
	return 0;
}

long
tl_docblock_read(struct tl_docblock *b, struct tl_docs *d, struct tl_err *e)
{
	struct tl_doc doc;
	size_t *o;
	int got = 0;

	b->n = 0;
	b->arena_len = 0;
	while (b->n < b->cap && (got = tl_docs_next(d, &doc, e)) == 1) {
		o = b->off + 3 * b->n;
		if (keep(b, doc.id, strlen(doc.id), &o[0]) == -1 ||
		    keep(b, doc.label, strlen(doc.label), &o[1]) == -1 ||
		    keep(b, doc.text, doc.text_len, &o[2]) == -1)
			return tl_errf_line(e, doc.line, "out of memory");
		b->len[b->n] = doc.text_len;
		b->line[b->n++] = doc.line;
	}
	if (got == -1)
		return -1;
	/* The arena has stopped moving: point into it. */
	for (size_t i = 0; i < b->n; i++) {
		b->id[i] = b->arena + b->off[3 * i];
		b->label[i] = b->arena + b->off[3 * i + 1];
		b->text[i] = b->arena + b->off[3 * i + 2];
	}
	return (long)b->n;
}

void
tl_docblock_free(struct tl_docblock *b)
{
	free(b->id);
	free(b->label);
	free(b->text);
	free(b->len);
	free(b->line);
	free(b->off);
	free(b->arena);
	memset(b, 0, sizeof(*b));
}
