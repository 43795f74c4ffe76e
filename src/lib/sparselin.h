/*
 * Linear classifiers on a dense vector and a sparse part together: the
 * well-known strong recipe for short texts of a pooled embedding next to
 * TF-IDF word n-grams in one model, trained on vector streams whose records
 * carry hashed n-gram counts (tl-embed --lexical; vecstream.h).
 *
 * Training on rows R: the sparse part's buckets present in at least
 * min_df (2 by default) rows of R become the model's columns (m of them),
 * each with the smooth IDF of scikit-learn, idf = ln((1 + |R|) / (1 + df))
 * + 1, or with idf 1 when the fit is told not to weight by IDF; a row's
 * sparse features are its values times their IDF, L2-normalised over the
 * row (TfidfVectorizer(sublinear_tf=True, min_df, use_idf) on the same
 * counts, as the values are already 1 + ln(count)).  Neither setting
 * suits every data set: in short texts (package descriptions) the n-grams
 * seen once are many of the informative ones, in long ones (e-mails)
 * mostly noise that only dilutes the row's norm; and IDF estimated from a
 * few hundred long texts raises the rare n-grams above the common ones.
 * tl-train's cross-validation chooses both (tl_sparse_opts).  The dense part is
 * standardised and divided by sqrt(d), s(x) = a (x - mean) / (sd sqrt(d))
 * (sd 0 counts as 1), so that with the dense weight a = 1 it too has unit
 * expected squared norm and one C balances both parts; tl-train can choose
 * a by cross-validation (--dense-weight), as data sets differ in how much
 * each part tells.  The objective over the concatenated features
 * u = [s(x), tfidf] is linear.h's: with K > 2 classes multinomial,
 *
 *	F(W, b) = 1/2 ||W||^2 + C sum_i [ log sum_k exp(w_k.u_i + b_k)
 *	                                  - (w_{y_i}.u_i + b_{y_i}) ],
 *
 * with K = 2 binary logistic regression with one vector, stored as the
 * rows [0; w] (so prediction is one softmax for every K): exactly
 * scikit-learn's LogisticRegression(C) on those features.  L-BFGS
 * (lbfgs.h) minimises F / (C n) until the gradient's max-norm is <= tol.
 * The model file's kind is "sparse-softmax"; its tensors are linear.h's
 * "weight" [K, d] (over s(x)), "bias", "standardize.mean" and
 * "standardize.scale" [d] (the scale divided by a), plus
 * "sparse.columns" (I64 buckets, increasing)
 * and "sparse.idf" [m] and "sparse.weight" [K, m].
 */
#ifndef TL_SPARSELIN_H
#define TL_SPARSELIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "linear.h"
#include "model.h"

/* Rows with a sparse part: N dense rows X (n x d) and, in CSR form, row
 * i's pairs (IDX[j], VAL[j]) for j in [OFF[i], OFF[i + 1]), indices
 * increasing and < BUCKETS; class indices Y.  ROWS (NULL: all n) lists
 * the NROWS rows a fit uses (cross-validation's training folds). */
struct tl_sparse_data {
	const float	*x;
	size_t		 n, d;
	const size_t	*off;
	const uint32_t	*idx;
	const float	*val;
	uint64_t	 buckets;
	const size_t	*y;
	const size_t	*rows;
	size_t		 nrows;
};

/* A trained model; every pointer is owned. */
struct tl_sparselin {
	size_t	  k, d, m;	/* classes, dense dim, sparse columns */
	uint64_t  buckets;
	double	  dense_weight;	/* a: the dense part's weight, below */
	int	  min_df;	/* columns: buckets in >= min_df rows */
	int	  smooth_idf;	/* 1: idf as above; 0: every idf is 1 */
	char	**classes;	/* k names, strcmp order */
	float	 *w, *b;	/* k x d weights over s(x), k biases */
	float	 *mean, *scale;	/* d each: s(x) = (x - mean) / scale */
	uint32_t *col;		/* m buckets kept, increasing */
	uint64_t *slots;	/* the columns by bucket (sparselin.c) */
	unsigned  slot_bits;	/* 2^slot_bits slots */
	float	 *idf;		/* m */
	float	 *ws;		/* the sparse columns' weights by column,
				   m rows of k padded to a multiple of 8
				   (the file has them k x m) */
	double	 *wt;		/* w by column likewise, d rows */
	/* scoring's buffers (so a model is scored by one thread at a
	 * time; tl_sparselin_share gives another thread its own): s(x)
	 * of 4 records (4 d), then the TF-IDF values of a record's pairs
	 * (at most m: its buckets are distinct) or its classes'
	 * exponentials (k); and the pairs' columns */
	double	 *su;
	uint32_t *scol;
};

#define TL_SPARSELIN_MIN_DF 2

/* How a fit weighs the two parts and the sparse part's columns. */
struct tl_sparse_opts {
	double	dense_weight;	/* a (<= 0: 1) */
	int	min_df;		/* >= 1 (< 1: TL_SPARSELIN_MIN_DF) */
	int	smooth_idf;	/* nonzero: smooth IDF; 0: every idf is 1 */
};

/* Train S on DATA's rows (classes Y among the K >= 2 names CLASSES,
 * copied) with SO's dense weight, min_df and IDF weighting, and o->C,
 * o->tol
 * and o->max_iter of O (o->kind must be softmax; other options are
 * refused).  0 (R says how it went), or -1 with E filled in. */
int	tl_sparselin_fit(struct tl_sparselin *s,
	    const struct tl_sparse_data *data, char *const *classes, size_t k,
	    const struct tl_sparse_opts *so, const struct tl_linear_opts *o,
	    struct tl_linear_report *r, struct tl_err *e);

/* The K probabilities of one record, dense values X (s->d) and NNZ sparse
 * pairs (IDX increasing), into P. */
void	tl_sparselin_proba(const struct tl_sparselin *s, const float *x,
	    size_t nnz, const uint32_t *idx, const float *val, float *p);

/* The same for N records, dense values X (n x s->d) and sparse pairs in
 * CSR form (record i's from OFF[i] to OFF[i + 1]; OFF NULL: none), into
 * P (n x s->k): the same probabilities, bit for bit, faster for a block. */
void	tl_sparselin_proba_rows(const struct tl_sparselin *s,
	    const float *x, size_t n, const size_t *off, const uint32_t *idx,
	    const float *val, float *p);

/* The objective F / (C n) at THETA and its gradient into GRAD (NULL: not
 * wanted), on N prepared rows: dense U (n x d doubles) and CSR (OFF, COL
 * < M, V), classes Y < K, on at most THREADS threads (large problems
 * only).  THETA is (w [d + m], b) when K == 2, else (W [K x (d + m)]
 * row-major, b [K]); the first d of a row's weights are the dense part's.
 * For tests; NAN when out of memory. */
double	tl_sparselin_objective(const double *u, size_t n, size_t d,
	    const size_t *off, const uint32_t *col, const double *v, size_t m,
	    const size_t *y, size_t k, double C, const double *theta,
	    double *grad, size_t threads);

/* The description of S (kind "sparse-softmax"): tl_linear_meta's with a
 * "sparse" object {"buckets", "columns", "min_df", "idf": "smooth" or
 * "none", "norm": "l2", "dense_weight"}.  New reference, or NULL when
 * out of memory. */
json_t	*tl_sparselin_meta(const struct tl_sparselin *s,
	    const struct tl_linear_opts *o, const struct tl_linear_report *r,
	    const char *input_model, char *const *stacked, size_t nstacked);

/* Write S with META (borrowed) to F; DIGEST gets the file's SHA-256. */
int	tl_sparselin_save(const struct tl_sparselin *s, json_t *meta,
	    FILE *f, char digest[65], struct tl_err *e);

/* Load a "sparse-softmax" model from M, checking every tensor's shape.
 * 0, or -1 with E filled in (S is then empty). */
int	tl_sparselin_load(struct tl_model *m, struct tl_sparselin *s,
	    struct tl_err *e);

/* Release what S owns and zero it. */
void	tl_sparselin_free(struct tl_sparselin *s);

/* A scorer of S's model for another thread: T uses S's parameters (S
 * must outlive it) with scoring buffers of its own.  0, or -1 when out of
 * memory.  Release T with tl_sparselin_unshare, not tl_sparselin_free. */
int	tl_sparselin_share(const struct tl_sparselin *s,
	    struct tl_sparselin *t);
void	tl_sparselin_unshare(struct tl_sparselin *t);

#endif
