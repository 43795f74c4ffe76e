/* Documents from plain lines and TSV (JSON lines: see docs.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "docs.h"
#include "fmt.h"

struct tl_docs {
	FILE			*f;
	struct tl_docs_opts	 o;
	uint64_t		*counter;
	uint64_t		 line;
	uint64_t		 skipped;
	char			*buf;
	size_t			 cap;
	char			 id[24];
};

struct tl_docs *
tl_docs_open(FILE *f, const struct tl_docs_opts *o, uint64_t *counter,
    struct tl_err *e)
{
	struct tl_docs *d;

	if (o->format == TL_DOCS_JSONL) {
		tl_errf(e, "JSON lines are not supported yet");
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	d->f = f;
	d->o = *o;
	d->counter = counter;
	return d;
}

/*
 * Split a TSV line (without its newline) into id, label and text, NUL
 * terminating id and label in place.  The text is everything after the
 * second TAB, TABs included (they separate words like spaces).
 */
static int
split_tsv(char *line, size_t len, struct tl_doc *doc, struct tl_err *e)
{
	char *t1 = memchr(line, '\t', len), *t2;

	if (t1 == NULL)
		return tl_errf(e, "expected 3 TAB-separated fields (id, label, "
		    "text), found 1");
	if ((t2 = memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - line))) ==
	    NULL)
		return tl_errf(e, "expected 3 TAB-separated fields (id, label, "
		    "text), found 2");
	if (memchr(line, '\0', (size_t)(t2 - line)) != NULL)
		return tl_errf(e, "NUL byte in the id or label");
	*t1 = *t2 = '\0';
	doc->id = line;
	doc->label = t1 + 1;
	doc->text = t2 + 1;
	doc->text_len = (size_t)(line + len - doc->text);
	return 0;
}

int
tl_docs_next(struct tl_docs *d, struct tl_doc *doc, struct tl_err *e)
{
	ssize_t len;

	for (;;) {
		errno = 0;
		if ((len = getline(&d->buf, &d->cap, d->f)) == -1) {
			if (ferror(d->f))
				return tl_errf_sys(e, errno ? errno : EIO,
				    "read error");
			return 0;
		}
		d->line++;
		if (len > 0 && d->buf[len - 1] == '\n')
			d->buf[--len] = '\0';
		doc->line = d->line;
		if (d->o.format == TL_DOCS_LINES) {
			*tl_fmt_u64(d->id, ++*d->counter) = '\0';
			doc->id = d->id;
			doc->label = "";
			doc->text = d->buf;
			doc->text_len = (size_t)len;
			return 1;
		}
		if (split_tsv(d->buf, (size_t)len, doc, e) == 0)
			return 1;
		if (!d->o.skip_bad) {
			e->pos_kind = TL_POS_LINE;
			e->pos = d->line;
			return -1;
		}
		d->skipped++;
	}
}

uint64_t
tl_docs_skipped(const struct tl_docs *d)
{
	return d->skipped;
}

void
tl_docs_close(struct tl_docs *d)
{
	if (d == NULL)
		return;
	free(d->buf);
	free(d);
}
