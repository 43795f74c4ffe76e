/*
 * Linear models: softmax (multinomial logistic regression), one-vs-rest
 * logistic regression (also multi-label) and ridge regression; training
 * (L-BFGS, or an exact solve for ridge), saving and loading as model files
 * of kinds "softmax", "logistic" and "ridge", and batched prediction.
 * cv.h cross-validates them; head.h applies them for tl-predict and
 * tl-stack.
 *
 * Every objective is scikit-learn's and liblinear's, with C weighting the
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
 * every K (softmax(0, z) = (1 - sigmoid(z), sigmoid(z))).  "logistic"
 * fits that binary objective once per class (class c against the rest),
 * and "ridge" minimises 1/2 ||w||^2 + C * sum_i (y_i - w.x_i - b)^2,
 * scikit-learn's Ridge(alpha = 1 / (2C)).  Row weights multiply each
 * row's loss (sample_weight); --standardize makes the penalty act on the
 * weights of standardised features (StandardScaler first); with an init
 * model and l2_to_init the penalty is 1/2 ||W - W0||^2 + 1/2 ||b - b0||^2.
 *
 * Training stops when the gradient of F / (C S) - the mean loss plus
 * ||W||^2 / (2 C S), S the sum of the row weights (n without them) - has
 * max-norm <= tol, taken with respect to the weights of whitened features
 * (centred, scaled and decorrelated; see linear.c), so that tol depends
 * neither on C, nor on the number of rows, nor on the scale of the
 * features.  The default 1e-4 is scikit-learn's tol for the same test in
 * raw coordinates (on 51k mean-pooled GloVe rows x 100 features the two
 * gradients are of the same size), and stops about as close to the
 * optimum as scikit-learn's default fit: there in about 55 iterations,
 * with test accuracy within 0.05 points of the exact optimum's.
 * Evaluations run in single precision (float rows and logits through
 * cblas_sgemm, on four fixed slices of the rows, each in a thread of its
 * own, with as many threads as openblas_get_num_threads() says), which is
 * good for gradients down to about 1e-5; a tighter tol goes on in double
 * from there.  The sums'
 * order never depends on the number of threads: the same data and options
 * give the same model bits.  The model is stored and applied in float.
 */
#ifndef TL_LINEAR_H
#define TL_LINEAR_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "lbfgs.h"
#include "model.h"

/* The kinds of linear models (the model file's "kind"). */
enum tl_linear_kind {
	TL_LINEAR_SOFTMAX,	/* "softmax": one multinomial model */
	TL_LINEAR_LOGISTIC,	/* "logistic": K one-vs-rest binary models */
	TL_LINEAR_RIDGE		/* "ridge": least squares, one value */
};

/* A linear model in memory; every pointer is owned by the struct.
 * Outputs for an input x: z = W s(x) + b, where s(x) = (x - mean) / scale
 * when the model standardises its inputs (mean != NULL) and x otherwise;
 * then softmax(z) (softmax), sigmoid(z) each (logistic, multilabel),
 * sigmoid(z) / sum sigmoid(z) (logistic, one label per row: what
 * scikit-learn's OneVsRestClassifier.predict_proba does), or z (ridge). */
struct tl_linear {
	size_t	  k, d;		/* outputs (classes), input dimension */
	float	 *w;		/* k x d weights, row-major */
	float	 *b;		/* k biases */
	char	**classes;	/* k class names, sorted by strcmp; ridge:
				   the one target's name, "value" */
	enum tl_linear_kind kind;
	int	  multilabel;	/* logistic: rows may hold several labels */
	float	 *mean, *scale;	/* d each, or NULL: no standardisation */
	float	 *wf, *bf;	/* W and b folded over the standardisation
				   (applied to raw x), or NULL: w, b */
};

/* What to train on: N rows X (n x d floats, row-major) and one of
 *  y     class indices (softmax, and logistic with one label per row),
 *  t     n x k 0/1 label indicators (logistic, multilabel),
 *  value numeric targets (ridge),
 * with optional row weights SW (NULL: all 1) that multiply each row's
 * loss. */
struct tl_linear_data {
	const float		*x;
	size_t			 n, d;
	const size_t		*y;
	const unsigned char	*t;
	const double		*value;
	const double		*sw;
};

/* Training options. */
struct tl_linear_opts {
	enum tl_linear_kind kind;	/* TL_LINEAR_SOFTMAX */
	double	C;		/* inverse regularisation strength (1) */
	double	tol;		/* gradient tolerance, see above (1e-4) */
	size_t	max_iter;	/* L-BFGS iterations (1000) */
	int	balanced;	/* weight classes by n / (K n_class) (0) */
	int	standardize;	/* learn mean and scale, store them (0) */
	const struct tl_linear *init;	/* start from this model (NULL) */
	int	l2_to_init;	/* penalise ||W - W_init||^2 instead (0) */
	const char *init_digest;	/* its hex SHA-256, for the lineage */
	const char *init_kind;		/* its kind, for the lineage */
};

/* What training did. */
struct tl_linear_report {
	size_t	rows;
	size_t	iterations;	/* L-BFGS iterations (summed over the
				   one-vs-rest models; 0 for ridge) */
	size_t	evaluations;	/* objective and gradient evaluations */
	double	loss;		/* the objective F at the solution */
	double	gnorm;		/* max-norm of the gradient tested against
				   tol, there */
	double	accuracy;	/* on the training rows (ridge: R^2) */
	double	seconds;	/* wall-clock time of the optimisation */
	enum tl_lbfgs_status status;
	char	msg[160];	/* the optimiser's words on how it stopped */
};

/* Held-out scores of a model (tl_linear_score): accuracy (for multilabel
 * rows: all labels right at threshold 0.5), log-loss (mean over rows of
 * -log p(true class), probabilities clipped to [1e-15, 1 - 1e-15]; for
 * multilabel the mean binary log-loss over rows and classes), and for ridge
 * R^2 = 1 - SS_res / SS_tot (0 when SS_tot is 0). */
struct tl_linear_score {
	double	accuracy, logloss, r2;
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
 * defaults): tl_linear_fit for one label per row.  Kept for the softmax
 * callers and tests. */
int	tl_linear_train(struct tl_linear *lin, const float *x, size_t n,
	    size_t d, const size_t *y, char *const *classes, size_t k,
	    const struct tl_linear_opts *o, struct tl_linear_report *r,
	    struct tl_err *e);

/* Train LIN of kind o->kind on DATA, whose labels are indices among the K
 * names CLASSES (copied; ridge: K = 1, the target's name).  Classifiers
 * need K >= 2; every kind needs N >= 1.  With o->init, that model (same
 * kind and input dimension) gives the starting point: its rows are matched
 * to CLASSES by name (a class it lacks starts at zero), and with
 * o->l2_to_init the penalty pulls W towards those rows instead of zero.
 * On success LIN owns new memory (tl_linear_free) and R says how it went,
 * including an optimiser that stopped early (r->status); returns 0.  -1
 * with E filled in when out of memory or the data or options are
 * unusable. */
int	tl_linear_fit(struct tl_linear *lin, const struct tl_linear_data *data,
	    char *const *classes, size_t k, const struct tl_linear_opts *o,
	    struct tl_linear_report *r, struct tl_err *e);

/* The objective as the optimiser sees it, F / (C n), at THETA, and its
 * gradient into GRAD (NULL: not wanted), for N rows X (n x d doubles) with
 * class indices Y (< K).  THETA is (w [d], b) when K == 2 and
 * (W [K x d] row-major, b [K]) otherwise.  For tests and optimality
 * checks; NAN when out of memory. */
double	tl_linear_objective(const double *x, size_t n, size_t d,
	    const size_t *y, size_t k, double C, const double *theta,
	    double *grad);

/* The same with every option of training: row weights SW (NULL: 1; the
 * objective is then divided by C sum SW), the penalty's centre W0 (the
 * weights part of THETA's layout; NULL: zero), the biases' centre B0
 * (NULL: biases not penalised; else 1/2 ||b - B0||^2 joins the penalty, as
 * with --l2-to-init), and binary 0/1 targets T (non-NULL: the one binary
 * model of one-vs-rest, THETA = (w [d], b); Y and K are then ignored). */
double	tl_linear_objective_ex(const double *x, size_t n, size_t d,
	    const size_t *y, const unsigned char *t, const double *sw,
	    const double *w0, const double *b0, size_t k, double C,
	    const double *theta, double *grad);

/* tl_linear_objective_ex through training's single-precision evaluation
 * (the rows rounded to float, one thread): for tests of that path.  NAN
 * when out of memory. */
double	tl_linear_objective_f32(const double *x, size_t n, size_t d,
	    const size_t *y, const unsigned char *t, const double *sw,
	    const double *w0, const double *b0, size_t k, double C,
	    const double *theta, double *grad);

/* Score LIN on DATA (its labels indexed like LIN's classes): see struct
 * tl_linear_score.  OUT (n x k floats, NULL: allocated here) receives the
 * model's outputs.  0, or -1 with E filled in (out of memory). */
int	tl_linear_score(const struct tl_linear *lin,
	    const struct tl_linear_data *data, float *out,
	    struct tl_linear_score *s, struct tl_err *e);

/* The name of KIND in model files ("softmax", "logistic", "ridge"), and
 * the kind of NAME (-1: unknown). */
const char *tl_linear_kind_name(enum tl_linear_kind kind);
int	tl_linear_kind_parse(const char *name);

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

/* Load a linear model (kind "softmax", "logistic" or "ridge") from M
 * (copied: M may be freed after).  Checks the kind, the tensors' dtype and
 * shapes against input_dim, output_dim and the classes (K >= 2 distinct
 * non-empty names in strcmp order, without TAB or newline; ridge: one
 * target name), and the optional "standardize.mean" / "standardize.scale"
 * tensors [d] (scales > 0).  0, or -1 with E filled in (LIN is then
 * empty). */
int	tl_linear_load(struct tl_model *m, struct tl_linear *lin,
	    struct tl_err *e);

/* The outputs of N rows X (n x d floats, row-major) into P (n x k
 * floats), as struct tl_linear says: one sgemm, then per row a
 * numerically stable softmax, sigmoids, or nothing (ridge). */
void	tl_linear_proba(const struct tl_linear *lin, const float *x, size_t n,
	    float *p);

/* The index of the largest of the K values at P (the first on ties). */
size_t	tl_linear_argmax(const float *p, size_t k);

/* Release what LIN owns and zero it.  An empty LIN is a no-op. */
void	tl_linear_free(struct tl_linear *lin);

#endif
