/*
 * Cross-validation for tl-train --cv: a seeded random number generator
 * (every random choice of training goes through it, so --seed fixes them
 * all), K-fold splits stratified by class, and the loop that fits one
 * model per fold and scores it on the rows it did not see, keeping those
 * out-of-fold outputs for stacking (what scikit-learn's StratifiedKFold
 * and cross_val_predict do).
 */
#ifndef TL_CV_H
#define TL_CV_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "linear.h"

/* The next 64 random bits of the splitmix64 generator at *STATE. */
uint64_t tl_rng_next(uint64_t *state);

/* A uniform integer in [0, N) (N > 0) from *STATE. */
size_t	tl_rng_below(uint64_t *state, size_t n);

/* Assign each of N rows a fold in [0, K) into FOLD.  Rows are shuffled
 * with SEED, then dealt round-robin stratum by stratum (STRATA[i] is row
 * i's class; NULL: one stratum, a plain shuffled K-fold), so that every
 * fold holds floor or ceil of n_c / K rows of each class c and n / K rows
 * in all.  Needs 2 <= K <= N.  0, or -1 with E filled in. */
int	tl_cv_folds(const size_t *strata, size_t n, size_t k, uint64_t seed,
	    size_t *fold, struct tl_err *e);

/* Fit one model per fold f of the NFOLDS in FOLD on the other rows of
 * DATA (classes CLASSES, K of them, options O) and score it on fold f's
 * rows into SCORES[f].  OOF (NULL: not wanted) receives each row's outputs
 * (n x K floats) from the model that did not see it; ITERS (NULL: not
 * wanted) the optimiser's iterations summed over the folds.  0, or -1 with
 * E filled in. */
int	tl_cv_linear(const struct tl_linear_data *data, char *const *classes,
	    size_t k, const struct tl_linear_opts *o, const size_t *fold,
	    size_t nfolds, struct tl_linear_score *scores, float *oof,
	    size_t *iters, struct tl_err *e);

#endif
