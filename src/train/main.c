/*
 * tl-train: vectors with labels in, a softmax classifier out.  Reads every
 * record of one or more vector streams into memory (the optimiser needs
 * them all, many times), takes the labels as the classes, fits the
 * L-BFGS logistic regression of linear.h and writes the model file,
 * atomically, with the digests of the models that produced its input.
 * Equal inputs and options give byte-identical models.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "linear.h"
#include "model.h"
#include "vecstream.h"

#define BLOCK_ROWS 4096

/* Long options only: values outside the range of option characters. */
enum { OPT_MAX_ITER = 256, OPT_TOL, OPT_VERSION };

/* Every record read so far. */
struct rows {
	size_t	  n, cap;	/* records held, room for */
	size_t	  dim;		/* 0 until the first non-empty input */
	float	 *x;		/* n x dim */
	size_t	 *label;	/* n offsets into text */
	char	 *text;		/* the labels, NUL-terminated */
	size_t	  text_len, text_cap;
	const char *first;	/* name of the input that set dim */
	struct tl_vechdr hdr;	/* digests: model and stacked */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tl-train [-q] [-C C] [--max-iter N] [-o MODEL] "
	    "[--tol T] [FILE ...]\n");
}

static _Noreturn void
help(void)
{
	usage(stdout);
	printf("Train a softmax classifier (logistic regression) on labelled "
	    "vectors.\n"
	    "  -C C               inverse regularisation strength (1)\n"
	    "  -o, --output MODEL write the model to MODEL (atomically)\n"
	    "  -q, --quiet        no summary on stderr\n"
	    "      --max-iter N   L-BFGS iterations at most (1000)\n"
	    "      --tol T        stop when the gradient of the mean loss is "
	    "below T (1e-8)\n"
	    "  -h, --help, --version\n");
	tl_stdout_close();
	exit(TL_EXIT_OK);
}

/* Grow R to hold NEED more records and MORE label bytes. */
static void
reserve(struct rows *r, size_t need, size_t more)
{
	size_t cap;

	if (r->n + need > r->cap) {
		cap = r->cap ? r->cap : BLOCK_ROWS;
		while (cap < r->n + need)
			cap *= 2;
		if (cap > SIZE_MAX / sizeof(float) / r->dim)
			tl_die("out of memory");
		r->x = realloc(r->x, cap * r->dim * sizeof(float));
		r->label = realloc(r->label, cap * sizeof(size_t));
		if (r->x == NULL || r->label == NULL)
			tl_die("out of memory for %zu records", cap);
		r->cap = cap;
	}
	if (r->text_len + more > r->text_cap) {
		cap = r->text_cap ? r->text_cap : 1 << 16;
		while (cap < r->text_len + more)
			cap *= 2;
		if ((r->text = realloc(r->text, cap)) == NULL)
			tl_die("out of memory");
		r->text_cap = cap;
	}
}

/* Append block B, read from NAME; every record needs a label. */
static void
add_block(struct rows *r, const struct tl_vecblock *b, const char *name,
    int binary)
{
	struct tl_err e;
	size_t more = 0, len;

	for (size_t i = 0; i < b->n; i++) {
		if (b->label[i][0] == '\0') {
			if (binary)
				tl_errf_byte(&e, b->pos[i], "empty label: "
				    "tl-train needs a class label for every "
				    "record");
			else
				tl_errf_line(&e, b->pos[i], "empty label: "
				    "tl-train needs a class label in column 2");
			tl_die_err(name, &e);
		}
		more += strlen(b->label[i]) + 1;
	}
	reserve(r, b->n, more);
	memcpy(r->x + r->n * r->dim, b->x, b->n * b->dim * sizeof(float));
	for (size_t i = 0; i < b->n; i++) {
		len = strlen(b->label[i]) + 1;
		memcpy(r->text + r->text_len, b->label[i], len);
		r->label[r->n++] = r->text_len;
		r->text_len += len;
	}
}

static int
same_stacked(const struct tl_vechdr *a, const struct tl_vechdr *b)
{
	if (a->nstacked != b->nstacked)
		return 0;
	for (size_t i = 0; i < a->nstacked; i++)
		if (strcmp(a->stacked[i], b->stacked[i]) != 0)
			return 0;
	return 1;
}

/* Check that input NAME with header H fits the ones before; remember its
 * dimension and digests. */
static void
merge_header(struct rows *r, const struct tl_vechdr *h, const char *name)
{
	struct tl_err e;

	if (r->dim == 0) {
		r->dim = h->dim;
		r->first = name;
	} else if (h->dim != r->dim)
		tl_die("%s: %zu values per record, but %s has %zu", name,
		    h->dim, r->first, r->dim);
	if (h->model[0] != '\0' && r->hdr.model[0] != '\0' &&
	    strcmp(h->model, r->hdr.model) != 0)
		tl_die("%s: vectors made by model %.12s..., but earlier input "
		    "by %.12s...", name, h->model, r->hdr.model);
	if (h->nstacked > 0 && r->hdr.nstacked > 0 && !same_stacked(h,
	    &r->hdr))
		tl_die("%s: stacked models differ from earlier input's", name);
	if (h->model[0] != '\0')
		memcpy(r->hdr.model, h->model, sizeof(r->hdr.model));
	if (h->nstacked > 0 && r->hdr.nstacked == 0)
		for (size_t i = 0; i < h->nstacked; i++)
			if (tl_vechdr_add_stacked(&r->hdr, h->stacked[i],
			    &e) == -1)
				tl_die_err(NULL, &e);
}

static void
on_header(void *ctx, const struct tl_vechdr *h, const char *name)
{
	merge_header(ctx, h, name);
}

static void
on_block(void *ctx, const struct tl_vecblock *b, const char *name,
    int binary)
{
	add_block(ctx, b, name, binary);
}

static void
report(const struct rows *r, const struct tl_linear *lin,
    const struct tl_linear_report *rep)
{
	fprintf(stderr, "%s: %zu rows, %zu features, %zu classes: "
	    "%zu iterations (%s), objective %.9g, training accuracy %.4f, "
	    "%.2f s\n", tl_progname, r->n, r->dim, lin->k, rep->iterations,
	    tl_lbfgs_status_name(rep->status), rep->loss, rep->accuracy,
	    rep->seconds);
}

/* Train on R; dies on data that cannot make a classifier.  WHERE prefixes
 * those messages: "NAME: " for a single input, else "". */
static void
train(struct rows *r, const char *where, const struct tl_linear_opts *o,
    struct tl_linear *lin, struct tl_linear_report *rep)
{
	const char **labels;
	char **classes;
	size_t *y, k;
	struct tl_err e;

	if (r->n == 0)
		tl_die("%sno records to train on", where);
	labels = malloc(r->n * sizeof(*labels));
	y = malloc(r->n * sizeof(*y));
	if (labels == NULL || y == NULL)
		tl_die("out of memory");
	for (size_t i = 0; i < r->n; i++)
		labels[i] = r->text + r->label[i];
	if (tl_linear_classes(labels, r->n, &classes, &k, y, &e) == -1)
		tl_die_err(NULL, &e);
	if (k < 2)
		tl_die("%sonly one class (\"%s\"): tl-train needs at least "
		    "2", where, classes[0]);
	if (tl_linear_train(lin, r->x, r->n, r->dim, y, classes, k, o, rep,
	    &e) == -1)
		tl_die_err(NULL, &e);
	if (rep->status == TL_LBFGS_MAX_ITER)
		tl_warn("warning: not converged after %zu iterations: %s; "
		    "raise --max-iter or --tol", rep->iterations, rep->msg);
	else if (rep->status == TL_LBFGS_LINESEARCH)
		tl_warn("warning: optimisation stopped early: %s",
		    rep->msg);
	for (size_t j = 0; j < k; j++)
		free(classes[j]);
	free(classes);
	free(labels);
	free(y);
}

static void
save(const struct tl_linear *lin, const struct rows *r,
    const struct tl_linear_opts *o, const struct tl_linear_report *rep,
    struct tl_outfile *out, const char *output)
{
	const char *oname = output != NULL ? output : "stdout";
	char digest[65];
	struct tl_err e;
	json_t *meta;

	meta = tl_linear_meta(lin, o, rep, r->hdr.model, r->hdr.stacked,
	    r->hdr.nstacked);
	if (meta == NULL)
		tl_die("out of memory");
	if (tl_linear_save(lin, meta, out->f, digest, &e) == -1) {
		json_decref(meta);
		tl_die_err(oname, &e);
	}
	json_decref(meta);
	if (tl_outfile_commit(out, &e) == -1)
		tl_die_err(NULL, &e);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "max-iter",	required_argument,	NULL, OPT_MAX_ITER },
		{ "output",	required_argument,	NULL, 'o' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "tol",	required_argument,	NULL, OPT_TOL },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	static struct rows r;
	const char *output = NULL;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_linear lin;
	struct tl_outfile out;
	struct tl_err e;
	char where[4096] = "";
	int ch, quiet = 0;

	tl_cli_init("tl-train");
	tl_linear_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "C:ho:q", longopts, NULL)) != -1)
		switch (ch) {
		case 'C':
			o.C = tl_arg_double("-C", optarg, 1e-12, 1e12);
			break;
		case 'h':
			help();
		case 'o':
			output = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_MAX_ITER:
			o.max_iter = tl_arg_int("--max-iter", optarg, 1,
			    100000000);
			break;
		case OPT_TOL:
			o.tol = tl_arg_double("--tol", optarg, 0, 1);
			break;
		case OPT_VERSION:
			tl_print_version();
		default:
			usage(stderr);
			return TL_EXIT_USAGE;
		}
	tl_vechdr_init(&r.hdr);
	/* open first: a terminal is refused before any work is done */
	if (tl_outfile_open(&out, output, 1, &e) == -1)
		tl_die_err(output, &e);
	tl_cli_read_streams(argv + optind, argc - optind, BLOCK_ROWS,
	    &(struct tl_cli_streams){ on_header, on_block, &r });
	if (argc - optind <= 1)
		snprintf(where, sizeof(where), "%s: ",
		    tl_infile_name(argv[optind]));
	train(&r, where, &o, &lin, &rep);
	save(&lin, &r, &o, &rep, &out, output);
	if (!quiet)
		report(&r, &lin, &rep);
	tl_linear_free(&lin);
	tl_vechdr_free(&r.hdr);
	free(r.x);
	free(r.label);
	free(r.text);
	tl_stdout_close();
	return TL_EXIT_OK;
}
