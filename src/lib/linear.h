/*
 * Softmax (multinomial logistic regression) models: training by L-BFGS,
 * saving and loading as "softmax" model files, and batched prediction.
 *
 * The objective is scikit-learn's and liblinear's, with C weighting the
 * data term and the intercept not penalised.  With K > 2 classes, over
 * W (K x d) and b (K):
 *
 *	F(W, b) = 1/2 ||W||_F^2 + C * sum_i [ log sum_k exp(w_k.x_i + b_k)
 *	                                      - (w_{y_i}.x_i + b_{y_i}) ]
 *
 * exactly LogisticRegression(C=C, multi_class="multinomial").  With K = 2
 * it is binary logistic regression with one vector w and bias b,
 *
 *	F(w, b) = 1/2 ||w||^2 + C * sum_i log(1 + exp(-t_i (w.x_i + b)))
 *
 * where t_i = +1 for the second class (in sorted order), -1 for the first:
 * LogisticRegression(C=C) on binary labels.  It is stored as the rows
 * [0; w] and biases [0; b], so that prediction is the same softmax for
 * every K (softmax(0, z) = (1 - sigmoid(z), sigmoid(z))).
 *
 * Training runs in double precision (the float rows are converted once;
 * logits and gradients go through cblas_dgemm); the model is stored and
 * applied in float (cblas_sgemm).  Training stops when the gradient of
 * F / (C n) - the mean cross-entropy plus ||W||^2 / (2 C n) - has max-norm
 * <= tol, taken with respect to the weights of standardised features
 * (each centred and divided by its standard deviation; see linear.c), so
 * that tol depends neither on C, nor on the number of rows, nor on the
 * scale of the features.  The default 1e-8 puts the probabilities within
 * about 1e-5 of the exact optimum's on 51k rows x 100 features x 53
 * classes (1e-7 on small problems).
 */
#ifndef TL_LINEAR_H
#define TL_LINEAR_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "lbfgs.h"
#include "model.h"

/* A softmax model in memory; every pointer is owned by the struct. */
struct tl_linear {
	size_t	  k, d;		/* classes, input dimension */
	float	 *w;		/* k x d weights, row-major */
	float	 *b;		/* k biases */
	char	**classes;	/* k class names, sorted by strcmp */
};

/* Training options. */
struct tl_linear_opts {
	double	C;		/* inverse regularisation strength (1) */
	double	tol;		/* gradient tolerance, see above (1e-8) */
	size_t	max_iter;	/* L-BFGS iterations (1000) */
};

/* What training did. */
struct tl_linear_report {
	size_t	rows;
	size_t	iterations;	/* L-BFGS iterations */
	size_t	evaluations;	/* objective and gradient evaluations */
	double	loss;		/* the objective F at the solution */
	double	gnorm;		/* max-norm of the gradient tested against
				   tol, there */
	double	accuracy;	/* on the training rows */
	double	seconds;	/* wall-clock time of the optimisation */
	enum tl_lbfgs_status status;
	char	msg[160];	/* the optimiser's words on how it stopped */
};

/* The defaults above. */
void	tl_linear_opts_init(struct tl_linear_opts *o);

/* Find the classes of N rows: the distinct strings among LABELS, sorted
 * by strcmp (the order of numpy.unique).  *CLASSES becomes a new array of
 * *K new strings (free each and the array), and Y[i] the index of
 * LABELS[i] among them.  0, or -1 with E filled in (out of memory). */
int	tl_linear_classes(const char *const *labels, size_t n,
	    char ***classes, size_t *k, size_t *y, struct tl_err *e);

/* Train LIN on N rows X (n x d floats, row-major) with class indices Y
 * (each < K) and the K class names CLASSES (copied), as O says (NULL: the
 * defaults).  Needs K >= 2 and N >= 1.  On success LIN owns new memory
 * (tl_linear_free) and R says how it went, including an optimiser that
 * stopped early (r->status); returns 0.  -1 with E filled in when out of
 * memory or the data are unusable. */
int	tl_linear_train(struct tl_linear *lin, const float *x, size_t n,
	    size_t d, const size_t *y, char *const *classes, size_t k,
	    const struct tl_linear_opts *o, struct tl_linear_report *r,
	    struct tl_err *e);

/* The objective as the optimiser sees it, F / (C n), at THETA, and its
 * gradient into GRAD (NULL: not wanted), for N rows X (n x d doubles) with
 * class indices Y (< K).  THETA is (w [d], b) when K == 2 and
 * (W [K x d] row-major, b [K]) otherwise.  For tests and optimality
 * checks; NAN when out of memory. */
double	tl_linear_objective(const double *x, size_t n, size_t d,
	    const size_t *y, size_t k, double C, const double *theta,
	    double *grad);

/* The description of a trained model (kind "softmax"): dimensions,
 * classes, hyperparameters O, training figures R (but not its seconds, so
 * that equal runs give equal files), the input stream's producing model
 * INPUT_MODEL ("" or NULL: unknown) and the NSTACKED digests STACKED that
 * tl-stack appended, each also entered in the lineage (roles
 * "input-embedding" and "stacked").  New reference, or NULL when out of
 * memory. */
json_t	*tl_linear_meta(const struct tl_linear *lin,
	    const struct tl_linear_opts *o, const struct tl_linear_report *r,
	    const char *input_model, char *const *stacked, size_t nstacked);

/* Write LIN with description META (borrowed) as a model file to F and the
 * hex SHA-256 of the bytes written to DIGEST.  0, or -1 with E filled in
 * (e->errnum set on write errors). */
int	tl_linear_save(const struct tl_linear *lin, json_t *meta, FILE *f,
	    char digest[65], struct tl_err *e);

/* Load a "softmax" model's weights, classes and dimensions from M
 * (copied: M may be freed after).  Checks the kind, the tensors' dtype and
 * shapes against input_dim, output_dim and the classes (K >= 2 distinct
 * non-empty names in strcmp order, without TAB or newline).  0, or -1 with
 * E filled in (LIN is then empty). */
int	tl_linear_load(struct tl_model *m, struct tl_linear *lin,
	    struct tl_err *e);

/* Class probabilities of N rows X (n x d floats, row-major) into P (n x k
 * floats): one sgemm and a numerically stable softmax per row. */
void	tl_linear_proba(const struct tl_linear *lin, const float *x, size_t n,
	    float *p);

/* The index of the largest of the K values at P (the first on ties). */
size_t	tl_linear_argmax(const float *p, size_t k);

/* Release what LIN owns and zero it.  An empty LIN is a no-op. */
void	tl_linear_free(struct tl_linear *lin);

#endif
