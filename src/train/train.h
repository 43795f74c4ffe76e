/*
 * tl-train's internals shared by its files: the rows read from the input
 * streams (rows.c) and how their labels become the targets of a model
 * (class indices, multi-label indicators or numbers).
 */
#ifndef TL_TRAIN_H
#define TL_TRAIN_H

#include <stddef.h>

#include "linear.h"
#include "vecstream.h"

/* Every record read so far. */
struct rows {
	size_t	  n, cap;	/* records held, room for */
	size_t	  dim;		/* 0 until the first non-empty input */
	float	 *x;		/* n x dim */
	size_t	 *label;	/* n offsets into text */
	size_t	 *id;		/* n offsets into text */
	char	 *text;		/* the ids and labels, NUL-terminated */
	size_t	  text_len, text_cap;
	const char *first;	/* name of the input that set dim */
	struct tl_vechdr hdr;	/* digests: model and stacked */
	enum tl_linear_kind kind;	/* how labels are checked */
};

/* The targets of a model, made from the rows' labels. */
struct targets {
	char		**classes;	/* k names (ridge: "value") */
	size_t		  k;
	size_t		 *y;		/* n class indices, or NULL */
	unsigned char	 *t;		/* n x k indicators, or NULL */
	double		 *value;	/* n numbers, or NULL */
};

/* The callbacks of tl_cli_read_streams that fill a struct rows. */
void	rows_on_header(void *ctx, const struct tl_vechdr *h,
	    const char *name);
void	rows_on_block(void *ctx, const struct tl_vecblock *b,
	    const char *name, int binary);

/* Borrowed: the label and id of row I. */
const char *rows_label(const struct rows *r, size_t i);
const char *rows_id(const struct rows *r, size_t i);

/* Make the targets of R for a model of KIND, adding the EXTRA class names
 * (the --init model's; NULL when none) to the classes; dies on labels that
 * cannot make one (WHERE prefixes those messages). */
void	targets_make(struct targets *t, const struct rows *r,
	    enum tl_linear_kind kind, char *const *extra, size_t nextra,
	    const char *where);

void	targets_free(struct targets *t);

/* Read N row weights, one number per line, from PATH into a new array;
 * dies on a malformed or negative number or a count other than N. */
double	*weights_read(const char *path, size_t n);

void	rows_free(struct rows *r);

#endif
