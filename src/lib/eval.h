/*
 * Evaluation of predictions against true labels: the accuracy and the
 * confusion matrix (rows = true label, columns = predicted class, counts).
 * A true label the model does not know gets a row of its own after the
 * model's classes, so that nothing is silently dropped; such rows count
 * as wrong in the accuracy.  Memory stays bounded: past TL_EVAL_MAX_UNKNOWN
 * distinct unknown labels, the rest share one overflow row.  The tools do
 * the printing.
 */
#ifndef TL_EVAL_H
#define TL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TL_EVAL_MAX_UNKNOWN 1000

struct tl_eval;

/* A new, empty evaluation for the K classes CLASSES (borrowed: they must
 * outlive it; sorted by strcmp, as a model's are).  NULL when out of
 * memory. */
struct tl_eval *tl_eval_new(char *const *classes, size_t k);

/* Count one row whose true label is TRUTH and predicted class index PRED
 * (< k).  0, or -1 with E filled in (out of memory). */
int		tl_eval_add(struct tl_eval *ev, const char *truth, size_t pred,
		    struct tl_err *e);

/* Rows counted, and of them those predicted right. */
uint64_t	tl_eval_total(const struct tl_eval *ev);
uint64_t	tl_eval_correct(const struct tl_eval *ev);

/* Rows of the confusion matrix: the k classes in order, then the unknown
 * labels seen, in strcmp order, then the overflow row if it was needed. */
size_t		tl_eval_nrows(const struct tl_eval *ev);

/* Borrowed: the true label of row I, valid until tl_eval_free; NULL for
 * the overflow row.  *KNOWN (if not NULL) says whether it is a class of
 * the model. */
const char	*tl_eval_row_label(const struct tl_eval *ev, size_t i,
		    int *known);

/* Borrowed: the k counts of row I, by predicted class. */
const uint64_t	*tl_eval_row(const struct tl_eval *ev, size_t i);

/* Release EV.  NULL is a no-op. */
void		tl_eval_free(struct tl_eval *ev);

#endif
