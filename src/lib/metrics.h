/*
 * Evaluation metrics as pure functions over counts and arrays, each
 * defined as scikit-learn's sklearn.metrics defines it (tests/py/
 * test_metrics.py holds them to it within 1e-6): precision, recall and F1
 * from confusion counts (0 where undefined, sklearn's zero_division=0
 * without the warning), ROC AUC by ranks (ties count one half, which is
 * roc_auc_score's trapezoidal area), and streaming accumulators for
 * regression errors and R^2.  The accumulators (eval.h) and the tools
 * build on these.
 */
#ifndef TL_METRICS_H
#define TL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Precision, recall and F1 of one class, and its support (true rows). */
struct tl_prf {
	double		precision, recall, f1;
	uint64_t	support;
};

/* The scores of one class from its true positives TP, false positives FP
 * and false negatives FN: precision tp/(tp+fp), recall tp/(tp+fn), F1 their
 * harmonic mean, each 0 when its denominator is 0; support = tp + fn. */
void	tl_metric_prf(uint64_t tp, uint64_t fp, uint64_t fn,
	    struct tl_prf *r);

/* ROC AUC of N rows for one class: SCORE[i * STRIDE] is row i's score,
 * and the row is positive when TRUTH[i] == CLS.  The probability that a
 * random positive row scores above a random negative one, ties counting
 * one half: computed exactly in integers after a radix sort of the scores
 * (any finite floats).  *AUC is NAN when all rows are positive or all
 * negative (sklearn raises an error there).  0, or -1 with E filled in
 * when out of memory. */
int	tl_metric_auc(const float *score, size_t stride, const uint32_t *truth,
	    uint32_t cls, size_t n, double *auc, struct tl_err *e);

/* A running sum of regression errors for one target. */
struct tl_regacc {
	uint64_t	n;
	double		sae, sse;	/* sums of |error| and error^2 */
	double		mean, m2;	/* of the true values (Welford) */
};

/* Add one row: the true value Y and the prediction P. */
void	tl_regacc_add(struct tl_regacc *a, double y, double p);

/* Root mean squared error, mean absolute error and R^2 = 1 - SSE/SST
 * (sklearn's r2_score: 1 when both are 0, 0 when only SST is).  NAN when
 * no rows were added. */
double	tl_regacc_rmse(const struct tl_regacc *a);
double	tl_regacc_mae(const struct tl_regacc *a);
double	tl_regacc_r2(const struct tl_regacc *a);

#endif
