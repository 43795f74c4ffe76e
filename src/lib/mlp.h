/*
 * Multi-layer perceptrons: one or two hidden layers of ReLU units and a
 * softmax output (classes) or a linear one (a numeric target), trained by
 * Adam on shuffled mini-batches with inverted dropout on the hidden units
 * and early stopping on a held-out fraction of the rows; saved and loaded
 * as model files of kind "mlp" (head.h applies them for tl-predict and
 * tl-stack).  Forward and backward passes go through cblas_sgemm on whole
 * mini-batches.
 *
 * The objective, over the weight matrices W (not the biases) and the S =
 * sum of the row weights (n without them) of the training rows, is
 *
 *	F = (1/S) sum_i s_i loss_i + ||W||^2 / (2 C S)
 *
 * with loss_i = -log p(y_i) (softmax) or (z_i - y_i)^2 / 2 (linear): the
 * linear models' objective divided by C S, so that -C means the same
 * thing for every kind.  Every random choice (initial weights, the
 * held-out rows, batch order, dropout masks) comes from one splitmix64
 * generator seeded by o->seed: equal data and options give equal bits.
 */
#ifndef TL_MLP_H
#define TL_MLP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "linear.h"
#include "model.h"

/* A network in memory; every pointer is owned by the struct.  The
 * parameters live in one array P of NP floats, in the order w1 [h1 x d],
 * b1 [h1], (w2 [h2 x h1], b2 [h2],) wo [k x hl], bo [k], hl the last
 * hidden width; the named pointers point into it. */
struct tl_mlp {
	size_t	  d, h1, h2, k;	/* input, hidden (h2 0: one layer), out */
	int	  regression;	/* linear output (1) or softmax (0) */
	float	 *p;		/* np parameters */
	size_t	  np;
	float	 *w1, *b1, *w2, *b2, *wo, *bo;
	char	**classes;	/* k class names; regression: "value" */
	float	 *mean, *scale;	/* d each, or NULL: no standardisation */
	float	 *scratch;	/* tl_mlp_apply's buffers */
};

/* Training options. */
struct tl_mlp_opts {
	size_t	  h1, h2;	/* hidden widths (100, 0) */
	size_t	  epochs;	/* passes over the training rows (200) */
	size_t	  batch;	/* rows per mini-batch (64) */
	size_t	  patience;	/* epochs without a better validation loss
				   before stopping (10) */
	double	  lr;		/* Adam's step size (1e-3) */
	double	  dropout;	/* probability of dropping a hidden unit (0) */
	double	  val_fraction;	/* rows held out for early stopping (0.1);
				   0: none, train all epochs */
	double	  C;		/* inverse L2 strength, see above (1) */
	uint64_t  seed;		/* (0) */
	int	  regression;	/* linear output, numeric targets (0) */
	int	  balanced;	/* weight classes by n / (K n_c) (0) */
	int	  standardize;	/* learn and store mean and scale (0) */
	const struct tl_mlp *init;	/* start from this network (NULL):
				   same inputs and output type; its hidden
				   widths and standardisation are kept,
				   its output rows matched to the classes by
				   name (new classes start at random) */
	const char *init_digest;	/* its hex SHA-256, for the lineage */
};

/* What training did. */
struct tl_mlp_report {
	size_t	  rows, val_rows;	/* training and held-out rows */
	size_t	  epochs, best_epoch;	/* run, and whose weights were kept */
	double	  val_loss;	/* best mean held-out loss (NAN: none) */
	double	  loss;		/* F on the training rows, kept weights */
	double	  accuracy;	/* on the training rows (regression: R^2) */
	double	  seconds;
};

/* The defaults above. */
void	tl_mlp_opts_init(struct tl_mlp_opts *o);

/* Train M on DATA (data->y class indices < K for classification,
 * data->value for regression (K = 1), data->sw optional row weights) with
 * the K names CLASSES (copied) as O says.  0 with M owning new memory
 * (tl_mlp_free) and R filled, or -1 with E filled in. */
int	tl_mlp_fit(struct tl_mlp *m, const struct tl_linear_data *data,
	    char *const *classes, size_t k, const struct tl_mlp_opts *o,
	    struct tl_mlp_report *r, struct tl_err *e);

/* Allocate M's parameters for the given shape (zeroed; no classes, no
 * standardisation).  0, or -1 with E filled in. */
int	tl_mlp_alloc(struct tl_mlp *m, size_t d, size_t h1, size_t h2,
	    size_t k, int regression, struct tl_err *e);

/* The objective F of M's parameters on all N rows of DATA (weights
 * normalised by their sum), C as above, and its gradient (M->np floats,
 * the layout of M->p) into GRAD (NULL: not wanted), with dropout of
 * probability DROPOUT whose masks are drawn from SEED (0: no dropout).
 * Rows are taken as given (no standardisation).  For gradient checks;
 * NAN when out of memory. */
double	tl_mlp_objective(const struct tl_mlp *m,
	    const struct tl_linear_data *data, double C, double dropout,
	    uint64_t seed, float *grad);

/* The outputs of N rows X (n x d) into OUT (n x k): probabilities, or
 * the values for regression.  Works through the rows in chunks with M's
 * scratch buffers (M must have come from tl_mlp_fit or tl_mlp_load). */
void	tl_mlp_apply(const struct tl_mlp *m, const float *x, size_t n,
	    float *out);

/* The description of M (kind "mlp"): dimensions, classes (or targets),
 * hidden widths, output, hyperparameters O, training figures R (not its
 * seconds), input model and stacked digests entered in the lineage like
 * the linear models' (tl_linear_meta).  New reference, or NULL. */
json_t	*tl_mlp_meta(const struct tl_mlp *m, const struct tl_mlp_opts *o,
	    const struct tl_mlp_report *r, const char *input_model,
	    char *const *stacked, size_t nstacked);

/* Write M with description META (borrowed) to F; its hex SHA-256 into
 * DIGEST.  0, or -1 with E filled in. */
int	tl_mlp_save(const struct tl_mlp *m, json_t *meta, FILE *f,
	    char digest[65], struct tl_err *e);

/* Load an "mlp" model from MOD (copied), checking every shape against
 * the description.  0, or -1 with E filled in (M is then empty). */
int	tl_mlp_load(struct tl_model *mod, struct tl_mlp *m, struct tl_err *e);

/* Release what M owns and zero it.  An empty M is a no-op. */
void	tl_mlp_free(struct tl_mlp *m);

/* An applier of M's model for another thread: T uses M's parameters (M
 * must outlive it) with scratch buffers of its own.  0, or -1 when out of
 * memory.  Release T with tl_mlp_unshare, not tl_mlp_free. */
int	tl_mlp_share(const struct tl_mlp *m, struct tl_mlp *t);
void	tl_mlp_unshare(struct tl_mlp *t);

#endif
