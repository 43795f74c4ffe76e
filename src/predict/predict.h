/*
 * tl-predict's state, shared by main.c (options, the streaming loop and
 * the outputs) and report.c (the --eval report, as text or JSON).
 */
#ifndef TL_PREDICT_H
#define TL_PREDICT_H

#include <stdio.h>

#include <jansson.h>

#include "docs.h"
#include "eval.h"
#include "head.h"
#include "pipeline.h"
#include "vecstream.h"

enum mode { MODE_STREAM, MODE_LABELS, MODE_TOP, MODE_EVAL };

struct predict {
	const char	*model_path;
	const struct tl_head *head;	/* own, or the pipeline's last */
	struct tl_head	*own;		/* NULL for a pipeline */
	struct tl_pipeline *pipe;	/* a pipeline model: raw text in */
	size_t		 d, k;		/* input and output dimensions */
	char *const	*names;		/* k output names (borrowed) */
	enum tl_head_output out;
	char		 digest[65];	/* of the model */
	enum mode	 mode;
	size_t		 top;		/* --top K, at most k */
	double		 threshold;	/* binary and multi-label decisions */
	int		 has_threshold;
	int		 force, verbose, json;
	FILE		*f;		/* where the output goes */
	const char	*oname;		/* its name in messages */
	const char	*iname;		/* the input's, "" for several */
	struct tl_vecwriter *w;		/* MODE_STREAM */
	struct tl_eval	*ev;		/* MODE_EVAL, TL_HEAD_PROBA */
	struct tl_mleval *ml;		/* MODE_EVAL, TL_HEAD_SCORES */
	struct tl_regeval *reg;		/* MODE_EVAL, TL_HEAD_VALUES */
	float		*p;		/* block rows x k outputs */
	char		*lbuf;		/* a label column being built */
	size_t		*order;		/* k indices, for --top */
	unsigned long long rows;	/* records read */
};

/* Write or evaluate the outputs pr->p of the records of block B, read
 * from NAME (BINARY: B's positions are byte offsets, else lines). */
void	predict_emit(struct predict *pr, const struct tl_vecblock *b,
	    const char *name, int binary);

/* Apply PR's pipeline to the documents of the N files PATHS (standard
 * input when N is 0), read with options O, in blocks of CAP records;
 * emits each block.  Dies with a message on any error. */
void	predict_text(struct predict *pr, char *const *paths, int n,
	    const struct tl_docs_opts *o, size_t cap);

/* Print the --eval report of PR to PR->f, as text or (pr->json) JSON;
 * dies when there was nothing to evaluate. */
void	predict_report(const struct predict *pr);

#endif
