/*
 * tl-predict: apply a softmax model to a vector stream.  Streams the input
 * in blocks of 4096 records (one sgemm per block, constant memory) and
 * writes a vector stream of class probabilities whose label column is the
 * predicted class; or, with --eval, compares the predictions with the
 * input's labels and prints the accuracy and the confusion matrix.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cli.h"
#include "eval.h"
#include "io.h"
#include "linear.h"
#include "model.h"
#include "vecstream.h"

#define BLOCK_ROWS 4096
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Long options only: values outside the range of option characters. */
enum { OPT_BINARY = 256, OPT_EVAL, OPT_NO_HEADER, OPT_VERSION };

struct predict {
	const char	*model_path;
	struct tl_linear lin;
	char		 digest[65];
	char		 input_model[65];	/* what the model was trained
						   on, or "" */
	struct tl_vecwriter *w;		/* NULL under --eval */
	struct tl_eval	*ev;		/* NULL without --eval */
	float		*p;		/* BLOCK_ROWS x k */
	const char	*oname;		/* output name in messages */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tl-predict [--binary] [--eval] [--no-header] "
	    "-m MODEL [-o FILE] [FILE ...]\n");
}

static _Noreturn void
help(void)
{
	usage(stdout);
	printf("Apply a classifier: class probabilities, or --eval "
	    "accuracy.\n"
	    "  -m, --model MODEL  the classifier (made by tl-train)\n"
	    "  -o, --output FILE  write to FILE (atomically)\n"
	    "      --binary       write the binary vector stream\n"
	    "      --eval         print accuracy and confusion matrix "
	    "instead\n"
	    "      --no-header    write no header line (text form)\n"
	    "  -h, --help, --version\n");
	tl_stdout_close();
	exit(TL_EXIT_OK);
}

static void
load_model(struct predict *pr, const char *path)
{
	struct tl_model *m;
	struct tl_err e;
	const char *d, *im;

	pr->model_path = path;
	if ((m = tl_model_load(path, &e)) == NULL)
		tl_die_err(path, &e);
	if (tl_linear_load(m, &pr->lin, &e) == -1)
		tl_die_err(path, &e);
	if ((d = tl_model_digest(m)) == NULL)
		tl_die("%s: cannot compute its SHA-256", path);
	snprintf(pr->digest, sizeof(pr->digest), "%s", d);
	im = json_string_value(json_object_get(json_object_get(
	    tl_model_meta(m), "input"), "model"));
	snprintf(pr->input_model, sizeof(pr->input_model), "%s",
	    im != NULL ? im : "");
	tl_model_free(m);
	if ((pr->p = malloc(BLOCK_ROWS * pr->lin.k * sizeof(float))) == NULL)
		tl_die("out of memory");
}

/* The output stream's header: the classes name the components. */
static void
start_stream(struct predict *pr, FILE *out, int binary, int no_header)
{
	struct tl_vechdr h;
	struct tl_err e;

	tl_vechdr_init(&h);
	if (tl_vechdr_set_names(&h, pr->lin.k,
	    (const char *const *)pr->lin.classes, &e) == -1)
		tl_die_err(NULL, &e);
	memcpy(h.model, pr->digest, sizeof(h.model));
	if ((pr->w = tl_vecwriter_new(out, &h, binary, no_header, &e)) ==
	    NULL)
		tl_die_err(pr->oname, &e);
	tl_vechdr_free(&h);
}

static void
check_input(const struct predict *pr, const struct tl_vechdr *h,
    const char *name)
{
	if (h->dim != pr->lin.d)
		tl_die("%s: expected %zu values per record (model input_dim), "
		    "stream has %zu", name, pr->lin.d, h->dim);
	if (h->model[0] != '\0' && pr->input_model[0] != '\0' &&
	    strcmp(h->model, pr->input_model) != 0)
		tl_warn("warning: %s: vectors made by model %.12s..., but %s "
		    "was trained on vectors made by %.12s...", name, h->model,
		    pr->model_path, pr->input_model);
}

static void
eval_block(struct predict *pr, const struct tl_vecblock *b,
    const char *name, int binary)
{
	struct tl_err e;
	size_t k = pr->lin.k;

	for (size_t i = 0; i < b->n; i++) {
		if (b->label[i][0] == '\0') {
			if (binary)
				tl_errf_byte(&e, b->pos[i], "empty label: "
				    "--eval needs the true class of every "
				    "record");
			else
				tl_errf_line(&e, b->pos[i], "empty label: "
				    "--eval needs the true class in column 2");
			tl_die_err(name, &e);
		}
		if (tl_eval_add(pr->ev, b->label[i],
		    tl_linear_argmax(pr->p + i * k, k), &e) == -1)
			tl_die_err(NULL, &e);
	}
}

static void
write_block(struct predict *pr, const struct tl_vecblock *b)
{
	struct tl_err e;
	size_t k = pr->lin.k, c;

	for (size_t i = 0; i < b->n; i++) {
		c = tl_linear_argmax(pr->p + i * k, k);
		if (tl_vecwriter_put(pr->w, b->id[i], pr->lin.classes[c],
		    pr->p + i * k, &e) == -1)
			tl_die_err(pr->oname, &e);
	}
}

static void
on_header(void *ctx, const struct tl_vechdr *h, const char *name)
{
	check_input(ctx, h, name);
}

static void
on_block(void *ctx, const struct tl_vecblock *b, const char *name,
    int binary)
{
	struct predict *pr = ctx;

	tl_linear_proba(&pr->lin, b->x, b->n, pr->p);
	if (pr->ev != NULL)
		eval_block(pr, b, name, binary);
	else
		write_block(pr, b);
}

/* Columns a string takes on a terminal (bytes, if not valid UTF-8). */
static size_t
text_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t w = 0;

	while (*p != '\0') {
		if ((n = utf8proc_iterate(p, -1, &cp)) < 1)
			return strlen(s);
		if (utf8proc_charwidth(cp) > 0)
			w += (size_t)utf8proc_charwidth(cp);
		p += n;
	}
	return w;
}

/* S, padded with spaces to WIDTH columns on the left (RIGHT) or right. */
static void
put_cell(FILE *f, const char *s, size_t width, int right)
{
	size_t w = text_width(s);

	if (right)
		fprintf(f, "%*s%s", (int)(width > w ? width - w : 0), "", s);
	else
		fprintf(f, "%s%*s", s, (int)(width > w ? width - w : 0), "");
}

static const char *
row_name(const struct tl_eval *ev, size_t i, char *buf, size_t len)
{
	int known;
	const char *s = tl_eval_row_label(ev, i, &known);

	if (s == NULL)
		return "(more unknown labels)";
	if (known)
		return s;
	snprintf(buf, len, "%s (unknown)", s);
	return buf;
}

/* Columns a count takes. */
static size_t
count_width(uint64_t v)
{
	size_t w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

/* The confusion matrix: rows = true label, columns = predicted class,
 * right-aligned counts, each column as wide as its name or largest
 * count. */
static void
print_matrix(FILE *f, const struct predict *pr)
{
	static const char corner[] = "true \\ predicted";
	const struct tl_eval *ev = pr->ev;
	size_t k = pr->lin.k, rows = tl_eval_nrows(ev), w0, *cw, i, j;
	char buf[1024], num[32];

	if ((cw = calloc(k, sizeof(*cw))) == NULL)
		tl_die("out of memory");
	w0 = text_width(corner);
	for (i = 0; i < rows; i++)
		w0 = MAX(w0, text_width(row_name(ev, i, buf, sizeof(buf))));
	for (j = 0; j < k; j++) {
		cw[j] = text_width(pr->lin.classes[j]);
		for (i = 0; i < rows; i++)
			cw[j] = MAX(cw[j], count_width(tl_eval_row(ev, i)[j]));
	}
	put_cell(f, corner, w0, 0);
	for (j = 0; j < k; j++) {
		fputs("  ", f);
		put_cell(f, pr->lin.classes[j], cw[j], 1);
	}
	fputc('\n', f);
	for (i = 0; i < rows; i++) {
		put_cell(f, row_name(ev, i, buf, sizeof(buf)), w0, 0);
		for (j = 0; j < k; j++) {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)tl_eval_row(ev, i)[j]);
			fputs("  ", f);
			put_cell(f, num, cw[j], 1);
		}
		fputc('\n', f);
	}
	free(cw);
}

static void
print_eval(FILE *f, const struct predict *pr)
{
	uint64_t total = tl_eval_total(pr->ev), ok = tl_eval_correct(pr->ev);

	if (total == 0)
		tl_die("no records to evaluate");
	fprintf(f, "accuracy %.4f (%llu/%llu)\n", (double)ok / total,
	    (unsigned long long)ok, (unsigned long long)total);
	print_matrix(f, pr);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "binary",	no_argument,		NULL, OPT_BINARY },
		{ "eval",	no_argument,		NULL, OPT_EVAL },
		{ "help",	no_argument,		NULL, 'h' },
		{ "model",	required_argument,	NULL, 'm' },
		{ "no-header",	no_argument,		NULL, OPT_NO_HEADER },
		{ "output",	required_argument,	NULL, 'o' },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	static struct predict pr;
	const char *output = NULL, *model = NULL;
	int ch, binary = 0, eval = 0, no_header = 0;
	struct tl_outfile out;
	struct tl_err e;

	tl_cli_init("tl-predict");
	while ((ch = getopt_long(argc, argv, "hm:o:", longopts, NULL)) != -1)
		switch (ch) {
		case OPT_BINARY:
			binary = 1;
			break;
		case OPT_EVAL:
			eval = 1;
			break;
		case 'h':
			help();
		case 'm':
			model = optarg;
			break;
		case OPT_NO_HEADER:
			no_header = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_VERSION:
			tl_print_version();
		default:
			usage(stderr);
			return TL_EXIT_USAGE;
		}
	if (model == NULL)
		tl_usage_error("no model: give -m MODEL");
	if (eval && (binary || no_header))
		tl_usage_error("--eval prints a report: --binary and "
		    "--no-header do not apply");
	load_model(&pr, model);
	pr.oname = output != NULL ? output : "stdout";
	if (tl_outfile_open(&out, output, binary, &e) == -1)
		tl_die_err(output, &e);
	if (eval && (pr.ev = tl_eval_new(pr.lin.classes, pr.lin.k)) == NULL)
		tl_die("out of memory");
	if (!eval)
		start_stream(&pr, out.f, binary, no_header);
	tl_cli_read_streams(argv + optind, argc - optind, BLOCK_ROWS,
	    &(struct tl_cli_streams){ on_header, on_block, &pr });
	if (eval)
		print_eval(out.f, &pr);
	else if (tl_vecwriter_flush(pr.w, &e) == -1)
		tl_die_err(pr.oname, &e);
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	tl_vecwriter_free(pr.w);
	tl_eval_free(pr.ev);
	tl_linear_free(&pr.lin);
	free(pr.p);
	tl_stdout_close();
	return TL_EXIT_OK;
}
