/*
 * tl-train's internals shared by its files: the rows read from the input
 * streams (rows.c) and how their labels become the targets of a model
 * (class indices, multi-label indicators or numbers).
 */
#ifndef TL_TRAIN_H
#define TL_TRAIN_H

#include <stddef.h>

#include "evp.h"
#include "io.h"
#include "linear.h"
#include "mlp.h"
#include "sparselin.h"
#include "vecstream.h"

/* Every record read so far. */
/* -v: --cv also reports each fold's scores. */
extern int train_verbose;

struct rows {
	size_t	  n, cap;	/* records held, room for */
	size_t	  dim;		/* 0 until the first non-empty input */
	float	 *x;		/* n x dim */
	size_t	 *label;	/* n offsets into text */
	size_t	 *id;		/* n offsets into text */
	char	 *text;		/* the ids and labels, NUL-terminated */
	size_t	  text_len, text_cap;
	const char *first;	/* name of the input that set dim */
	int	  named;	/* a header named the components */
	struct tl_vechdr hdr;	/* digests: model and stacked */
	enum tl_linear_kind kind;	/* how labels are checked */
	const char *numeric;	/* the option that wants numbers (ridge) */
	/* the sparse parts (tl-embed --lexical), in CSR form */
	uint64_t  sparse;	/* the inputs' "sparse"; 0: none */
	size_t	 *sp_off;	/* n + 1 offsets */
	uint32_t *sp_idx;
	float	 *sp_val;
	size_t	  sp_rows, sp_cap;	/* room in sp_off, sp_idx */
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

/* The hex SHA-256 of R's training data into OUT: for each row in the
 * order read, its label and a NUL byte, then its dim values as
 * little-endian float32.  Dies when out of memory. */
void	rows_digest(const struct rows *r, char out[65]);

/* Record in META's "input" the pooling that R's stream header says made
 * its vectors ("pool") and how its sparse part was hashed ("lexical"),
 * for tl-stack --freeze to check; nothing when the header has none.  A
 * stream of named components without pooling or stacked models came from
 * a model's outputs (tl-predict), not an embedding: its lineage entry's
 * kind becomes "model".  Dies when out of memory. */
void	rows_record_pool(const struct rows *r, json_t *meta);

/* A new SHA-256 context, and the hex digest of one into OUT (freeing it;
 * OK 0: an update failed); both die on errors. */
EVP_MD_CTX *sha256_start(void);
void	sha256_finish(EVP_MD_CTX *c, int ok, char out[65]);

void	rows_free(struct rows *r);

/* The long options of -t mlp (values beyond main.c's own). */
enum mlp_opt {
	MLP_OPT_BATCH = 512, MLP_OPT_DROPOUT, MLP_OPT_EPOCHS, MLP_OPT_HIDDEN,
	MLP_OPT_LR, MLP_OPT_PATIENCE, MLP_OPT_REGRESSION, MLP_OPT_VAL_FRACTION
};

/* Set the option WHICH of O from its argument ARG (NULL for flags);
 * exits 2 on a malformed or out-of-range value. */
void	mlp_option(struct tl_mlp_opts *o, enum mlp_opt which, const char *arg);

/* tl-train -t mlp (mlpfit.c): fit the network O describes on R's rows,
 * T's targets and the row weights SW (NULL: 1), write it with the
 * "cross_validation" description CV (NULL: none; the reference is taken)
 * to OUT (named ONAME, NULL: standard output) and commit it, and summarise
 * the run on stderr unless QUIET.  Dies on errors. */
void	train_mlp(const struct tl_mlp_opts *o, const struct rows *r,
	    const struct targets *t, const double *sw, json_t *cv, int quiet,
	    struct tl_outfile *out, const char *oname);

/* -t mlp --cv: fit one network per fold of NFOLDS (stratified, seeded by
 * o->seed) on D for each of the NC values CS of C, print the folds' scores
 * unless QUIET, set o->C to the best (log-loss; R^2 for regression) and
 * fill OOF (n x k, NULL: not wanted) with its out-of-fold outputs.
 * Returns the "cross_validation" description (new reference).  Dies on
 * errors. */
json_t	*mlp_cross_validate(struct tl_mlp_opts *o, const double *Cs,
	    size_t nC, size_t nfolds, const struct tl_linear_data *D,
	    const struct targets *t, float *oof, int quiet);

/* tl-train on rows with a sparse part (sparsefit.c). */
struct sparse_job {
	struct tl_linear_opts lo;
	const double	*C;		/* the -C list */
	size_t		 nC, folds;	/* folds 0: no --cv */
	const char	*weights;	/* --dense-weight list, NULL: 1 */
	uint64_t	 seed;
	int		 quiet, mlp;
	const char	*oname;		/* -o, NULL: standard output */
};

/* Append the sparse parts of B's records to R, before r->n counts them
 * (rows_on_block). */
void	rows_add_sparse(struct rows *r, const struct tl_vecblock *b);

/* The weighting of the sparse part without --cv, with DENSE_WEIGHT
 * (sparsecv.c). */
struct tl_sparse_opts sparse_default(double dense_weight);

/* Cross-validate J's C values, the NW dense weights W and the sparse
 * weightings tried on D (sparsecv.c): set LO->C and *SO to the best and
 * OOF (NULL: not wanted) to its out-of-fold outputs, report the folds on
 * stderr unless j->quiet.  Returns the "cross_validation" description
 * (new reference).  Dies on errors. */
json_t	*sparse_cross_validate(const struct sparse_job *j,
	    struct tl_linear_opts *lo, const double *w, size_t nw,
	    struct tl_sparse_opts *so, const struct tl_sparse_data *D,
	    const struct targets *t, float *oof);

/* Cross-validate (with --cv) and fit a dense + sparse softmax model
 * (sparselin.h) on R and T as J says, fill OOF (NULL: not wanted), write
 * the model to OUT and commit it.  Dies on errors and on options that do
 * not apply (-t mlp or logistic, --weights). */
void	train_sparse(const struct sparse_job *j, const struct rows *r,
	    const struct targets *t, const double *sw, float *oof,
	    struct tl_outfile *out);

#endif
