/*
 * Documents in: the text-reading side of tl-embed (and of any tool that
 * takes raw text).  One document per line, as plain text, as TSV
 * (id TAB label TAB text), or as JSON lines (one object per line, the text,
 * id and label found by dotted field paths or, by default, where Twitter's
 * API formats carry them: see docs.c and man/tl-embed.1).  Lines are read
 * with getline: any length, any bytes (the tokenizer makes them valid
 * UTF-8).  The id and label of a JSON document never hold TAB, CR, LF or
 * NUL (each becomes a space), so that they fit a vector stream record.
 */
#ifndef TL_DOCS_H
#define TL_DOCS_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum tl_docs_format {
	TL_DOCS_LINES,		/* the whole line is the text */
	TL_DOCS_TSV,		/* id TAB label TAB text */
	TL_DOCS_JSONL		/* one JSON object per line */
};

/*
 * JSONL fields are dotted paths ("user.screen_name"; a key of digits
 * indexes an array: "entities.hashtags.0.text").  NULL means the tweet
 * defaults: the full text of the tweet (or of the retweeted tweet), the id
 * from id_str, id or data.id (else the document's number, as for plain
 * lines), no label.  The text must be a string; the id a string or an
 * integer; the label a string, number or boolean (integers are written as
 * integers; a missing or null label is empty).
 */
struct tl_docs_opts {
	enum tl_docs_format format;
	const char	*text_field;	/* JSONL: dotted paths, NULL for */
	const char	*id_field;	/* the defaults (tweets) */
	const char	*label_field;
	int		 skip_bad;	/* skip malformed lines, count them */
	int		 chosen;	/* --text, --tsv or --jsonl given */
};

/* One document: borrowed strings, valid until the next tl_docs_next. */
struct tl_doc {
	const char	*id;		/* "" when none */
	const char	*label;		/* "" when none */
	const char	*text;
	size_t		 text_len;
	uint64_t	 line;		/* 1-based line in its input */
};

struct tl_docs;

/* Read documents from F (borrowed) with options O (copied; its strings
 * must outlive the reader).  Plain lines (and JSON lines without an id) get ids
 * from *COUNTER, which is incremented per document, so that ids continue
 * across several inputs.  A new reader, or NULL with E filled in (an
 * empty field path or key). */
/* Whether S is a usable dotted path for --WHAT-field (no empty key).  0,
 * or -1 with E filled in. */
int		 tl_docs_path_check(const char *s, const char *what,
		    struct tl_err *e);

struct tl_docs	*tl_docs_open(FILE *f, const struct tl_docs_opts *o,
		    uint64_t *counter, struct tl_err *e);

/* The next document into DOC: 1, 0 at the end, or -1 with E filled in
 * (a malformed line, with its line number; a read error; out of memory,
 * with e->errnum set).  A malformed line is a TSV line of fewer than
 * three fields, or a JSON line that is not valid JSON (the message gives
 * jansson's column), not an object, or lacks its text, or has an id or
 * label of the wrong type.  With skip_bad such lines are skipped and
 * counted instead.  Blank JSON lines are skipped silently. */
int		 tl_docs_next(struct tl_docs *d, struct tl_doc *doc,
		    struct tl_err *e);

/* Lines skipped as malformed (with skip_bad). */
uint64_t	 tl_docs_skipped(const struct tl_docs *d);

/* Release D (not its FILE).  NULL is a no-op. */
void		 tl_docs_close(struct tl_docs *d);

#endif
