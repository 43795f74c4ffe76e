/*
 * Evaluation of predictions against true labels, row by row as they
 * stream past, for the three kinds of output a head has (head.h):
 *
 * tl_eval, exclusive classes: the accuracy and the confusion matrix (rows
 * = true label, columns = predicted class, counts), per-class and averaged
 * precision, recall and F1, and - from the probabilities - the log-loss
 * and ROC AUC.  A true label the model does not know gets a row of its own
 * after the model's classes, so that nothing is silently dropped; such
 * rows count as wrong in the accuracy and as false positives of the
 * predicted class (sklearn's precision_recall_fscore_support with
 * labels=classes), and are left out of the log-loss and ROC AUC, which
 * need a probability for the true class.  Memory stays bounded: past
 * TL_EVAL_MAX_UNKNOWN distinct unknown labels, the rest share one
 * overflow row; only ROC AUC keeps something per row (the scores, 4 bytes
 * per row for two classes, 4 k bytes for k), unless turned off.
 *
 * tl_mleval, multi-label (independent scores, true labels separated by
 * ','): subset accuracy, Hamming loss, micro and macro F1.
 *
 * tl_regeval, regression (true values in the label column, separated by
 * ',' when there are several targets): RMSE, MAE and R^2 per target.
 *
 * The metrics are sklearn.metrics' (metrics.h); the tools do the printing.
 */
#ifndef TL_EVAL_H
#define TL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "metrics.h"

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

/* Like tl_eval_add, and also take the row's K probabilities P into the
 * log-loss and the ROC AUC when TRUTH is a class. */
int		tl_eval_add_proba(struct tl_eval *ev, const char *truth,
		    const float *p, size_t pred, struct tl_err *e);

/* Whether tl_eval_add_proba keeps the scores that ROC AUC needs (1, the
 * default) or not (0: the memory stays constant, and there is no AUC).
 * Call before adding rows. */
void		tl_eval_keep_scores(struct tl_eval *ev, int keep);

/* Rows whose true label is a class of the model. */
uint64_t	tl_eval_known(const struct tl_eval *ev);

/* Rows added with probabilities (tl_eval_add_proba) and a known label. */
uint64_t	tl_eval_scored(const struct tl_eval *ev);

/* Mean cross-entropy of those rows: -log p[truth], each row's
 * probabilities clipped to [eps, 1 - eps] (eps = DBL_EPSILON) and scaled
 * to sum 1, as sklearn's log_loss on float64 input.  NAN when none. */
double		tl_eval_log_loss(const struct tl_eval *ev);

/* ROC AUC over the scored rows.  Two classes: the second class is the
 * positive one, its probability the score (roc_auc_score(y, p[:, 1])).
 * More: one-vs-rest, each class's probability against the rest; *MACRO is
 * the mean over the classes whose AUC is defined (present and absent in
 * the truth), which is roc_auc_score(multi_class='ovr', average='macro')
 * when all classes occur.  PER_CLASS (NULL: not wanted) gets k values for
 * k > 2 (NAN where undefined).  *MACRO is NAN when no scores were kept or
 * no AUC is defined.  0, or -1 with E filled in (out of memory). */
int		tl_eval_auc(const struct tl_eval *ev, double *macro,
		    double *per_class, struct tl_err *e);

/* Precision, recall, F1 and support of class C. */
void		tl_eval_prf(const struct tl_eval *ev, size_t c,
		    struct tl_prf *r);

/* Their mean over the k classes (macro), or weighted by support
 * (WEIGHTED); the support is the sum. */
void		tl_eval_prf_avg(const struct tl_eval *ev, int weighted,
		    struct tl_prf *r);

/* Release EV.  NULL is a no-op. */
void		tl_eval_free(struct tl_eval *ev);

/* ---- multi-label ---- */

struct tl_mleval;

/* A new, empty multi-label evaluation over the K labels CLASSES
 * (borrowed, sorted by strcmp).  NULL when out of memory. */
struct tl_mleval *tl_mleval_new(char *const *classes, size_t k);

/* Count one row: TRUTH holds its true labels separated by ',' ("" is the
 * empty set; repeats count once), SCORE the k scores; a label is predicted
 * when its score is >= THRESHOLD.  Labels the model does not know are
 * counted (tl_mleval_unknown) and make the row wrong in the subset
 * accuracy; the other metrics are over the model's labels.  Always 0. */
int		tl_mleval_add(struct tl_mleval *ev, const char *truth,
		    const float *score, double threshold);

/* Rows counted; rows whose predicted set equals the true set exactly. */
uint64_t	tl_mleval_total(const struct tl_mleval *ev);
uint64_t	tl_mleval_exact(const struct tl_mleval *ev);

/* True labels the model does not know (occurrences), and rows with any. */
uint64_t	tl_mleval_unknown(const struct tl_mleval *ev, uint64_t *rows);

/* The fraction of (row, label) pairs predicted wrong: sklearn's
 * hamming_loss over the model's labels.  NAN when no rows. */
double		tl_mleval_hamming(const struct tl_mleval *ev);

/* Precision, recall, F1 and support of label C. */
void		tl_mleval_prf(const struct tl_mleval *ev, size_t c,
		    struct tl_prf *r);

/* Micro average (from the summed counts) or macro (the mean over the
 * labels) of precision, recall and F1; the support is the sum. */
void		tl_mleval_prf_avg(const struct tl_mleval *ev, int micro,
		    struct tl_prf *r);

/* Release EV.  NULL is a no-op. */
void		tl_mleval_free(struct tl_mleval *ev);

/* ---- regression ---- */

struct tl_regeval;

/* A new, empty evaluation of K targets.  NULL when out of memory. */
struct tl_regeval *tl_regeval_new(size_t k);

/* Count one row: TRUTH holds k finite decimal numbers separated by ',',
 * PRED the k predicted values.  0, or -1 with E filled in (no line: the
 * caller knows it) when TRUTH is not that. */
int		tl_regeval_add(struct tl_regeval *ev, const char *truth,
		    const float *pred, struct tl_err *e);

/* Borrowed: the running sums of target I (< k), for tl_regacc_rmse and
 * the others. */
const struct tl_regacc *tl_regeval_target(const struct tl_regeval *ev,
		    size_t i);

/* Release EV.  NULL is a no-op. */
void		tl_regeval_free(struct tl_regeval *ev);

#endif
