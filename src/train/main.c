/*
 * tl-train: vectors with labels in, a model out.  Reads every record of
 * one or more vector streams into memory (rows.c), makes the targets of
 * the chosen kind of model from the labels (classes, several classes per
 * row, or numbers), optionally cross-validates a list of C values and
 * keeps the best (cv.c), fits the model of linear.h on all rows and writes
 * it, atomically, with the digests of the models that produced its input
 * and of the model it started from.  Equal inputs and options give
 * byte-identical models.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cv.h"
#include "io.h"
#include "linear.h"
#include "model.h"
#include "train.h"
#include "vecstream.h"

#define BLOCK_ROWS 4096
#define MAX_C 64

int train_verbose;

/* Long options only: values outside the range of option characters. */
enum {
	OPT_CLASS_WEIGHT = 256, OPT_CV, OPT_FORCE, OPT_INIT, OPT_L2_TO_INIT, OPT_MAX_ITER,
	OPT_OOF, OPT_SEED, OPT_STANDARDIZE, OPT_TOL, OPT_VERSION, OPT_WEIGHTS,
	OPT_DENSE_WEIGHT
};

/* Everything the options say. */
struct opts {
	struct tl_linear_opts lo;
	struct tl_mlp_opts mo;	/* -t mlp */
	int	  mlp, mlp_opts;	/* -t mlp; an mlp option was given */
	double	  C[MAX_C];	/* -C values */
	size_t	  nC;
	size_t	  folds;	/* --cv K, 0: none */
	uint64_t  seed;
	const char *output, *oof, *init, *weights;
	const char *dense_weight;	/* --dense-weight list (sparsefit.c) */
	int	  quiet;
	int	  force;		/* --init on another embedding */
};

/* The --init model, loaded. */
struct init {
	struct tl_linear lin;
	struct tl_mlp mlp;	/* -t mlp */
	char	  digest[65];
	char	  kind[32];
	char	  input_model[65];	/* embedding of its training vectors */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tl-train [-qv] [-C C[,C...]] [--class-weight "
	    "balanced] [--cv K]\n"
	    "                [--init MODEL [--force] [--l2-to-init]] "
	    "[--max-iter N]\n"
	    "                [-o MODEL] [--oof FILE] [--seed N] "
	    "[--standardize] [-t KIND]\n"
	    "                [--tol T] [--weights FILE] [FILE ...]\n"
	    "       tl-train -t mlp [--batch N] [--dropout P] [--epochs N] "
	    "[--hidden N[,M]]\n"
	    "                [--lr R] [--patience N] [--regression] "
	    "[--val-fraction F]\n"
	    "                [common options] [FILE ...]\n");
}

static _Noreturn void
help(void)
{
	usage(stdout);
	printf("Train a linear model on labelled vectors.\n"
	    "  -C C[,C...]           inverse regularisation strength (1); a "
	    "list needs --cv\n"
	    "  -o, --output MODEL    write the model to MODEL (atomically)\n"
	    "  -q, --quiet           no summary on stderr\n"
	    "  -v, --verbose         --cv: also each fold's scores\n"
	    "  -t, --type KIND       softmax (default), logistic "
	    "(one-vs-rest, multi-label)\n"
	    "                        ridge (numeric labels) or mlp (below)\n"
	    "      --class-weight balanced  weight classes by n / (K n_class)\n"
	    "      --cv K            K-fold cross-validation; picks the best "
	    "C of a list\n"
	    "      --dense-weight A[,A...]  weight of the dense part next to "
	    "a sparse one (1)\n"
	    "      --force           --init on vectors of another embedding\n"
	    "      --init MODEL      start from MODEL (same kind and inputs)\n"
	    "      --l2-to-init      penalise the distance to the --init "
	    "weights\n"
	    "      --max-iter N      L-BFGS iterations at most (1000)\n"
	    "      --oof FILE        write out-of-fold outputs (with --cv) "
	    "to FILE\n"
	    "      --seed N          seed of every random choice (0)\n"
	    "      --standardize     learn and store feature means and "
	    "scales\n"
	    "      --tol T           stop when the gradient of the mean loss "
	    "is below T (1e-4)\n"
	    "      --weights FILE    one weight per record, one per line\n"
	    "  -t mlp: a network of ReLU layers trained by Adam\n"
	    "      --batch N         rows per mini-batch (64)\n"
	    "      --dropout P       drop hidden units with probability P "
	    "(0)\n"
	    "      --epochs N        passes over the rows at most (200)\n"
	    "      --hidden N[,M]    one or two hidden layers' widths (100)\n"
	    "      --lr R            Adam's learning rate (0.001)\n"
	    "      --patience N      stop after N epochs without a better "
	    "held-out loss (10)\n"
	    "      --regression      numeric labels, a linear output\n"
	    "      --val-fraction F  rows held out for early stopping "
	    "(0.1)\n"
	    "  -h, --help, --version\n");
	tl_stdout_close();
	exit(TL_EXIT_OK);
}

/* Parse the -C argument S: one value or a comma-separated list. */
static void
parse_C(struct opts *op, const char *s)
{
	char buf[64];
	const char *p = s, *q;
	size_t len;

	op->nC = 0;
	for (;;) {
		q = strchr(p, ',');
		len = q != NULL ? (size_t)(q - p) : strlen(p);
		if (len >= sizeof(buf))
			tl_usage_error("-C: value too long: %.20s...", p);
		if (op->nC == MAX_C)
			tl_usage_error("-C: more than %d values", MAX_C);
		memcpy(buf, p, len);
		buf[len] = '\0';
		op->C[op->nC++] = tl_arg_double("-C", buf, 1e-12, 1e12);
		if (q == NULL)
			break;
		p = q + 1;
	}
}

/* PATH with its directory resolved (./m.tlm, $PWD/m.tlm and m.tlm are
 * one name), or NULL when the directory does not resolve. */
static char *
resolved(const char *path)
{
	char *copy = strdup(path), *dir, *out = NULL;
	const char *base = strrchr(path, '/');

	if (copy == NULL)
		tl_die("out of memory");
	base = base != NULL ? base + 1 : path;
	copy[base - path] = '\0';
	if ((dir = realpath(copy[0] != '\0' ? copy : ".", NULL)) != NULL &&
	    (out = malloc(strlen(dir) + strlen(base) + 2)) != NULL)
		sprintf(out, "%s/%s", dir, base);
	free(dir);
	free(copy);
	return out;
}

/* Whether paths A and B name one file: the same name once their
 * directories are resolved, or, when both exist, the same inode (links). */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ra, *rb;
	int same;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ra = resolved(a);
	rb = resolved(b);
	same = strcmp(a, b) == 0 || (ra != NULL && rb != NULL &&
	    strcmp(ra, rb) == 0);
	free(ra);
	free(rb);
	return same;
}

static void
parse_args(int argc, char *argv[], struct opts *op)
{
	static const struct option longopts[] = {
		{ "batch",	required_argument,	NULL, MLP_OPT_BATCH },
		{ "class-weight", required_argument,	NULL, OPT_CLASS_WEIGHT },
		{ "cv",		required_argument,	NULL, OPT_CV },
		{ "dense-weight", required_argument,	NULL, OPT_DENSE_WEIGHT },
		{ "dropout",	required_argument,	NULL, MLP_OPT_DROPOUT },
		{ "epochs",	required_argument,	NULL, MLP_OPT_EPOCHS },
		{ "force",	no_argument,		NULL, OPT_FORCE },
		{ "help",	no_argument,		NULL, 'h' },
		{ "hidden",	required_argument,	NULL, MLP_OPT_HIDDEN },
		{ "init",	required_argument,	NULL, OPT_INIT },
		{ "l2-to-init",	no_argument,		NULL, OPT_L2_TO_INIT },
		{ "lr",		required_argument,	NULL, MLP_OPT_LR },
		{ "max-iter",	required_argument,	NULL, OPT_MAX_ITER },
		{ "oof",	required_argument,	NULL, OPT_OOF },
		{ "output",	required_argument,	NULL, 'o' },
		{ "patience",	required_argument,	NULL, MLP_OPT_PATIENCE },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "regression",	no_argument,		NULL, MLP_OPT_REGRESSION },
		{ "seed",	required_argument,	NULL, OPT_SEED },
		{ "standardize", no_argument,		NULL, OPT_STANDARDIZE },
		{ "tol",	required_argument,	NULL, OPT_TOL },
		{ "type",	required_argument,	NULL, 't' },
		{ "val-fraction", required_argument,	NULL, MLP_OPT_VAL_FRACTION },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ "weights",	required_argument,	NULL, OPT_WEIGHTS },
		{ NULL,		0,			NULL, 0 }
	};
	int ch, kind;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":C:ho:qt:v", longopts, NULL)) !=
	    -1)
		switch (ch) {
		case 'C':
			parse_C(op, optarg);
			break;
		case 'h':
			help();
		case 'o':
			op->output = optarg;
			break;
		case 'q':
			op->quiet = 1;
			break;
		case 'v':
			train_verbose = 1;
			break;
		case 't':
			if ((op->mlp = strcmp(optarg, "mlp") == 0))
				break;
			if ((kind = tl_linear_kind_parse(optarg)) < 0)
				tl_usage_error("-t: unknown model type \"%s\" "
				    "(softmax, logistic, ridge, mlp)", optarg);
			op->lo.kind = kind;
			break;
		case OPT_CLASS_WEIGHT:
			if (strcmp(optarg, "balanced") != 0 &&
			    strcmp(optarg, "none") != 0)
				tl_usage_error("--class-weight: expected "
				    "\"balanced\" or \"none\", found \"%s\"",
				    optarg);
			op->lo.balanced = strcmp(optarg, "balanced") == 0;
			break;
		case OPT_CV:
			op->folds = tl_arg_int("--cv", optarg, 2, 1000000);
			break;
		case OPT_DENSE_WEIGHT:
			op->dense_weight = optarg;
			break;
		case OPT_INIT:
			op->init = optarg;
			break;
		case OPT_FORCE:
			op->force = 1;
			break;
		case OPT_L2_TO_INIT:
			op->lo.l2_to_init = 1;
			break;
		case OPT_MAX_ITER:
			op->lo.max_iter = tl_arg_int("--max-iter", optarg, 1,
			    100000000);
			break;
		case OPT_OOF:
			op->oof = optarg;
			break;
		case OPT_SEED:
			op->seed = (uint64_t)tl_arg_int("--seed", optarg, 0,
			    INT64_MAX);
			break;
		case OPT_STANDARDIZE:
			op->lo.standardize = 1;
			break;
		case OPT_TOL:
			op->lo.tol = tl_arg_double("--tol", optarg, 0, 1);
			break;
		case MLP_OPT_BATCH: case MLP_OPT_DROPOUT: case MLP_OPT_EPOCHS:
		case MLP_OPT_HIDDEN: case MLP_OPT_LR: case MLP_OPT_PATIENCE:
		case MLP_OPT_REGRESSION: case MLP_OPT_VAL_FRACTION:
			mlp_option(&op->mo, ch, optarg);
			op->mlp_opts = 1;
			break;
		case OPT_VERSION:
			tl_print_version();
		case OPT_WEIGHTS:
			op->weights = optarg;
			break;
		default:
			tl_bad_option(argv, ch, ":C:ho:qt:v", longopts);
		}
	if (op->nC > 1 && op->folds == 0)
		tl_usage_error("-C: a list of values needs --cv K to choose "
		    "among them");
	if (op->oof != NULL && op->folds == 0)
		tl_usage_error("--oof needs --cv K");
	if (op->oof != NULL && strcmp(op->oof, "-") == 0 &&
	    (op->output == NULL || strcmp(op->output, "-") == 0))
		tl_usage_error("--oof -: standard output already takes the "
		    "model; give -o MODEL");
	if (op->oof != NULL && op->output != NULL && same_file(op->oof,
	    op->output))
		tl_usage_error("--oof %s: the model goes to that file too",
		    op->oof);
	if (op->mlp_opts && !op->mlp)
		tl_usage_error("--batch, --dropout, --epochs, --hidden, --lr, "
		    "--patience, --regression and --val-fraction need -t mlp");
	if (op->mlp && op->lo.l2_to_init)
		tl_usage_error("--l2-to-init: not with -t mlp");
	if (op->mlp && op->mo.regression && op->lo.balanced)
		tl_usage_error("--class-weight: --regression has no classes");
	if (op->mlp)	/* the labels' checks and targets */
		op->lo.kind = op->mo.regression ? TL_LINEAR_RIDGE :
		    TL_LINEAR_SOFTMAX;
	if (op->lo.l2_to_init && op->init == NULL)
		tl_usage_error("--l2-to-init needs --init MODEL");
	if (op->force && op->init == NULL)
		tl_usage_error("--force needs --init MODEL");
	if (op->lo.balanced && op->lo.kind == TL_LINEAR_RIDGE)
		tl_usage_error("--class-weight: ridge has no classes");
}

/* Load the --init model PATH into IN: a network for MLP, else a linear
 * model. */
static void
load_init(const char *path, int mlp, struct init *in)
{
	struct tl_model *m;
	struct tl_err e;
	const char *dg;

	if ((m = tl_model_load(path, &e)) == NULL)
		tl_die_err(tl_infile_name(path), &e);
	if ((mlp ? tl_mlp_load(m, &in->mlp, &e) : tl_linear_load(m,
	    &in->lin, &e)) != 0)
		tl_die_err(tl_infile_name(path), &e);
	if ((dg = tl_model_digest(m)) == NULL)
		tl_die("out of memory");
	snprintf(in->digest, sizeof(in->digest), "%s", dg);
	snprintf(in->kind, sizeof(in->kind), "%s", tl_model_kind(m));
	dg = json_string_value(json_object_get(json_object_get(
	    tl_model_meta(m), "input"), "model"));
	snprintf(in->input_model, sizeof(in->input_model), "%s",
	    dg != NULL ? dg : "");
	tl_model_free(m);
}

/* Fine-tuning on vectors of another embedding would start from weights
 * for other features: refused when both sides say which they are. */
static void
check_init_input(const struct init *in, const char *init_path,
    const struct rows *r, const char *where)
{
	if (in->input_model[0] == '\0' || r->hdr.model[0] == '\0' ||
	    strcmp(in->input_model, r->hdr.model) == 0)
		return;
	tl_die("%svectors made by embedding %.12s..., but --init %s was "
	    "trained on vectors from %.12s...; use --force to start from it "
	    "anyway", where, r->hdr.model,
	    tl_infile_name(init_path), in->input_model);
}

/* Mean and population standard deviation of the N values V. */
static void
mean_sd(const double *v, size_t n, double *mean, double *sd)
{
	double s = 0, ss = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	*mean = s / n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*sd = sqrt(ss / n);
}

/* Print the scores of the folds of one C and return the value C is
 * judged by: mean log-loss, or -mean R^2 for ridge (lower is better). */
static double
cv_print(const struct opts *op, double C, const struct tl_linear_score *sc)
{
	size_t nf = op->folds;
	double *a = malloc(3 * nf * sizeof(*a)), m[3], sd[3];
	int ridge = op->lo.kind == TL_LINEAR_RIDGE;

	if (a == NULL)
		tl_die("out of memory");
	for (size_t f = 0; f < nf; f++) {
		a[f] = sc[f].accuracy;
		a[nf + f] = sc[f].logloss;
		a[2 * nf + f] = sc[f].r2;
		if (op->quiet || !train_verbose)
			continue;
		if (ridge)
			fprintf(stderr, "%s: cv C=%g fold %zu/%zu: R2 %.6f\n",
			    tl_progname, C, f + 1, op->folds, sc[f].r2);
		else
			fprintf(stderr, "%s: cv C=%g fold %zu/%zu: accuracy "
			    "%.4f, log-loss %.6f\n", tl_progname, C, f + 1,
			    op->folds, sc[f].accuracy, sc[f].logloss);
	}
	for (int j = 0; j < 3; j++)	/* every fold: leave-one-out too */
		mean_sd(a + j * nf, nf, &m[j], &sd[j]);
	free(a);
	if (!op->quiet && ridge)
		fprintf(stderr, "%s: cv C=%g: R2 %.6f \xc2\xb1 %.6f\n",
		    tl_progname, C, m[2], sd[2]);
	else if (!op->quiet)
		fprintf(stderr, "%s: cv C=%g: accuracy %.4f \xc2\xb1 %.4f, "
		    "log-loss %.6f \xc2\xb1 %.6f\n", tl_progname, C, m[0],
		    sd[0], m[1], sd[1]);
	return ridge ? -m[2] : m[1];
}

/* Cross-validate every C of OP on D; set op->lo.C to the best, fill OOF
 * (n x k, or NULL) with the best C's out-of-fold outputs, and return the
 * "cross_validation" description. */
static json_t *
cross_validate(struct opts *op, const struct tl_linear_data *D,
    const struct targets *t, float *oof)
{
	struct tl_linear_score *sc;
	struct tl_linear_opts lo = op->lo;
	struct tl_err e;
	size_t *fold, best = 0, k = t->k;
	double crit, best_crit = INFINITY;
	float *tmp = NULL;
	json_t *grid;

	sc = calloc(op->folds, sizeof(*sc));
	fold = malloc(D->n * sizeof(*fold));
	if (sc == NULL || fold == NULL || (oof != NULL &&
	    (tmp = malloc(D->n * k * sizeof(float))) == NULL))
		tl_die("out of memory");
	if (tl_cv_folds(D->y, D->n, op->folds, op->seed, fold, &e) != 0)
		tl_die_err(NULL, &e);
	for (size_t c = 0; c < op->nC; c++) {
		lo.C = op->C[c];
		if (tl_cv_linear(D, t->classes, k, &lo, fold, op->folds, sc,
		    tmp, NULL, &e) != 0)
			tl_die_err(NULL, &e);
		crit = cv_print(op, op->C[c], sc);
		if (crit < best_crit) {		/* the first on ties */
			best_crit = crit;
			best = c;
			if (oof != NULL)
				memcpy(oof, tmp, D->n * k * sizeof(float));
		}
	}
	op->lo.C = op->C[best];
	if (!op->quiet && op->nC > 1)
		fprintf(stderr, "%s: cv: best C=%g (%s %.6f); refitting on all "
		    "%zu rows\n", tl_progname, op->lo.C, op->lo.kind ==
		    TL_LINEAR_RIDGE ? "R2" : "log-loss", op->lo.kind ==
		    TL_LINEAR_RIDGE ? -best_crit : best_crit, D->n);
	grid = json_array();
	for (size_t c = 0; grid != NULL && c < op->nC; c++)
		json_array_append_new(grid, json_real(op->C[c]));
	free(tmp);
	free(fold);
	free(sc);
	return json_pack("{s:I,s:I,s:o,s:f,s:s,s:f}", "folds",
	    (json_int_t)op->folds, "seed", (json_int_t)op->seed, "C", grid,
	    "chosen_C", op->lo.C, "criterion", op->lo.kind == TL_LINEAR_RIDGE ?
	    "r2" : "log-loss", "score", op->lo.kind == TL_LINEAR_RIDGE ?
	    -best_crit : best_crit);
}

/* A failed write of the --oof outputs to OUT: fatal, unless their reader
 * went away (--oof - | head), which leaves the model to be written. */
static void
oof_failed(struct tl_outfile *out, const char *path, const struct tl_err *e)
{
	if (e->errnum != EPIPE)
		tl_die_err(path, e);
	tl_outfile_abort(out);
}

/* Write the out-of-fold outputs OOF (n x k) of R to OUT, opened on PATH,
 * as a vector stream: ids and labels of the input, components named by
 * the classes; no producing model (model ""), as no single model made
 * them. */
static void
write_oof(struct tl_outfile *out, const char *path, const struct rows *r,
    const struct targets *t, const float *oof)
{
	struct tl_vecwriter *w;
	struct tl_vechdr h;
	struct tl_err e;
	const char *name = strcmp(path, "-") == 0 ? "stdout" : path;

	tl_vechdr_init(&h);
	if (tl_vechdr_set_names(&h, t->k, (const char *const *)t->classes,
	    &e) != 0 || (w = tl_vecwriter_new(out->f, &h, 0, 0, &e)) == NULL)
		oof_failed(out, name, &e);
	for (size_t i = 0; out->f != NULL && i < r->n; i++)
		if (tl_vecwriter_put(w, rows_id(r, i), rows_label(r, i),
		    oof + i * t->k, &e) != 0)
			oof_failed(out, name, &e);
	if (out->f != NULL && tl_vecwriter_flush(w, &e) != 0)
		oof_failed(out, name, &e);
	if (tl_outfile_commit(out, &e) != 0)
		oof_failed(out, NULL, &e);	/* its messages name it */
	tl_vecwriter_free(w);
	tl_vechdr_free(&h);
}

/* The model into place, once every output is written: a run that fails
 * on its --oof file replaces no model. */
static void
commit(struct tl_outfile *out)
{
	struct tl_err e;

	if (tl_outfile_commit(out, &e) == -1)
		tl_die_err(NULL, &e);
}

static void
report(const struct opts *op, const struct rows *r, const struct targets *t,
    const struct tl_linear_report *rep)
{
	if (op->lo.kind == TL_LINEAR_RIDGE)
		fprintf(stderr, "%s: %zu rows, %zu features, ridge: exact "
		    "solution, objective %.9g, training R2 %.4f, %.2f s\n",
		    tl_progname, r->n, r->dim, rep->loss, rep->accuracy,
		    rep->seconds);
	else
		fprintf(stderr, "%s: %zu rows, %zu features, %zu %s: "
		    "%zu iterations (%s), objective %.9g, training accuracy "
		    "%.4f, %.2f s\n", tl_progname, r->n, r->dim, t->k,
		    op->lo.kind == TL_LINEAR_LOGISTIC ? "labels" : "classes",
		    rep->iterations, tl_lbfgs_status_name(rep->status),
		    rep->loss, rep->accuracy, rep->seconds);
}

/* Fit on all rows; warn when the optimiser stopped early. */
static void
fit(const struct opts *op, const struct tl_linear_data *D,
    const struct targets *t, struct tl_linear *lin,
    struct tl_linear_report *rep)
{
	struct tl_err e;

	if (tl_linear_fit(lin, D, t->classes, t->k, &op->lo, rep, &e) != 0)
		tl_die_err(NULL, &e);
	if (rep->status == TL_LBFGS_MAX_ITER)
		tl_warn("warning: not converged after %zu iterations: %s; "
		    "raise --max-iter or --tol", rep->iterations, rep->msg);
	else if (rep->status == TL_LBFGS_LINESEARCH)
		tl_warn("warning: optimisation stopped early: %s",
		    rep->msg);
}

static void
save(const struct opts *op, const struct tl_linear *lin,
    const struct rows *r, const struct tl_linear_report *rep, json_t *cv,
    struct tl_outfile *out)
{
	const char *oname = op->output != NULL ? op->output : "stdout";
	char digest[65], data[65];
	struct tl_err e;
	json_t *meta;

	meta = tl_linear_meta(lin, &op->lo, rep, r->hdr.model, r->hdr.stacked,
	    r->hdr.nstacked);
	rows_digest(r, data);
	rows_record_pool(r, meta);
	/* what the model was trained on, for tl-info --tree and --verify */
	if (meta == NULL || (cv != NULL && json_object_set_new(meta,
	    "cross_validation", cv) != 0) ||
	    json_object_set_new(json_object_get(meta, "training"),
	    "data_sha256", json_string(data)) != 0)
		tl_die("out of memory");
	if (tl_linear_save(lin, meta, out->f, digest, &e) == -1) {
		json_decref(meta);
		tl_die_err(oname, &e);
	}
	json_decref(meta);
	if (tl_outfile_sync(out, &e) == -1)	/* committed after --oof */
		tl_die_err(NULL, &e);
}

int
main(int argc, char *argv[])
{
	static struct rows r;
	static struct opts op;
	static struct init in;
	struct tl_linear_report rep;
	struct tl_linear_data D;
	struct tl_linear lin;
	struct tl_outfile out, oofout;
	struct targets t;
	struct tl_err e;
	double *sw = NULL;
	float *oof = NULL;
	json_t *cv = NULL;
	char where[4096] = "";

	tl_cli_init("tl-train");
	tl_linear_opts_init(&op.lo);
	tl_mlp_opts_init(&op.mo);
	op.C[0] = 1;
	op.nC = 1;
	parse_args(argc, argv, &op);
	op.lo.C = op.C[0];
	if (op.init != NULL) {
		load_init(op.init, op.mlp, &in);
		op.lo.init = op.mlp ? NULL : &in.lin;
		op.lo.init_digest = in.digest;
		op.lo.init_kind = in.kind;
		op.mo.init = op.mlp ? &in.mlp : NULL;
		op.mo.init_digest = in.digest;
	}
	tl_vechdr_init(&r.hdr);
	r.kind = op.lo.kind;
	r.numeric = op.mlp ? "-t mlp --regression" : "-t ridge";
	/* open first: a terminal is refused before any work is done */
	if (tl_outfile_is_terminal(op.output))	/* a hint io.c cannot give */
		tl_usage_error("refusing to write a model to a terminal: give "
		    "-o FILE%s", op.folds > 0 ? ", or -o /dev/null to "
		    "cross-validate only" : " or a pipe");
	if (tl_outfile_open(&out, op.output, 1, &e) == -1 ||
	    (op.oof != NULL && tl_outfile_open(&oofout, op.oof, 0, &e) == -1))
		tl_die_err(NULL, &e);	/* its messages name the file */
	tl_cli_read_streams(argv + optind, argc - optind, BLOCK_ROWS,
	    &(struct tl_cli_streams){ rows_on_header, rows_on_block, &r });
	if (argc - optind <= 1)
		snprintf(where, sizeof(where), "%s: ",
		    tl_infile_name(argv[optind]));
	if (r.n == 0)
		tl_die("%sno records to train on", where);
	if (op.init != NULL && !op.force)
		check_init_input(&in, op.init, &r, where);
	targets_make(&t, &r, op.lo.kind, op.mlp ? in.mlp.classes :
	    in.lin.classes, op.mlp ? in.mlp.k : in.lin.k, where);
	if (op.weights != NULL)
		sw = weights_read(op.weights, r.n);
	D = (struct tl_linear_data){ r.x, r.n, r.dim, t.y, t.t, t.value, sw };
	if (op.folds > r.n)
		tl_die("%s--cv %zu: more folds than the %zu records", where,
		    op.folds, r.n);
	if (op.oof != NULL && (oof = malloc(r.n * t.k * sizeof(float))) ==
	    NULL)
		tl_die("out of memory");
	if (op.dense_weight != NULL && r.sparse == 0)
		tl_die("--dense-weight: the input has no sparse part "
		    "(tl-embed --lexical)");
	if (r.sparse > 0)	/* dense and sparse parts: sparsefit.c */
		train_sparse(&(struct sparse_job){ op.lo, op.C, op.nC,
		    op.folds, op.dense_weight, op.seed, op.quiet, op.mlp,
		    op.output }, &r, &t, sw, oof, &out);
	else if (op.mlp) {
		op.mo.C = op.lo.C;
		op.mo.seed = op.seed;
		op.mo.balanced = op.lo.balanced;
		op.mo.standardize = op.lo.standardize;
		if (op.folds > 0)
			cv = mlp_cross_validate(&op.mo, op.C, op.nC, op.folds,
			    &D, &t, oof, op.quiet);
		train_mlp(&op.mo, &r, &t, sw, cv, op.quiet, &out, op.output);
	}
	if (op.mlp || r.sparse > 0) {
		if (oof != NULL)
			write_oof(&oofout, op.oof, &r, &t, oof);
		commit(&out);
		tl_mlp_free(&in.mlp);
		targets_free(&t);
		rows_free(&r);
		free(sw);
		free(oof);
		tl_stdout_close();
		return TL_EXIT_OK;
	}
	if (op.folds > 0)
		cv = cross_validate(&op, &D, &t, oof);
	fit(&op, &D, &t, &lin, &rep);
	save(&op, &lin, &r, &rep, cv, &out);
	if (oof != NULL)
		write_oof(&oofout, op.oof, &r, &t, oof);
	commit(&out);
	if (!op.quiet)
		report(&op, &r, &t, &rep);
	tl_linear_free(&lin);
	tl_linear_free(&in.lin);
	targets_free(&t);
	rows_free(&r);
	free(sw);
	free(oof);
	tl_stdout_close();
	return TL_EXIT_OK;
}
