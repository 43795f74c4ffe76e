/*
 * tl-predict: apply a trained head (softmax, one-vs-rest logistic, ridge,
 * ...: any kind head.h knows) to a vector stream.  Streams the input in
 * blocks (one tl_head_apply, i.e. one sgemm, per block; constant memory)
 * and writes, for every record, one of: the stream of outputs with the
 * decision in the label column (default), the id and decision only
 * (--labels), or the K best classes with their probabilities (--top); or,
 * with --eval, compares the decisions with the input's labels and prints
 * the metrics (report.c).  Before anything is applied, the embedding named
 * in the stream's header must be the one the model was trained on.  A
 * pipeline model (tl-stack --freeze) takes raw text instead, read as
 * tl-embed reads it (text.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "cli.h"
#include "digestcache.h"
#include "docopts.h"
#include "fmt.h"
#include "io.h"
#include "model.h"
#include "predict.h"

/* Rows per block: large enough that sgemm runs at full speed and the
 * per-block costs vanish, small enough to stay in cache (0.8 MB of 100-d
 * input, 0.4 MB of 53 outputs).  Measured on 1M binary records of 100
 * values and 53 classes, one core: 256 to 16384 rows all take 0.50 to
 * 0.57 s, within the noise; -DBLOCK_ROWS=N to try others. */
#ifndef BLOCK_ROWS
#define BLOCK_ROWS 2048
#endif

/* Long options only: values outside the range of option characters. */
enum {
	OPT_BINARY = 256, OPT_EVAL, OPT_FORCE, OPT_JSON, OPT_LABELS,
	OPT_NO_AUC, OPT_NO_HEADER, OPT_THRESHOLD, OPT_TOP, OPT_VERSION
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tl-predict [--binary] [--eval [--json] [--no-auc]] "
	    "[--force] [--labels | --top K]\n"
	    "                  [--no-header] [--threshold T] [-v] -m MODEL "
	    "[-o FILE] [FILE ...]\n"
	    "       tl-predict ... [--text | --tsv | --jsonl [--id-field PATH]\n"
	    "                  [--label-field PATH] [--text-field PATH]] "
	    "[--skip-bad] -m PIPELINE\n"
	    "                  [FILE ...]\n");
}

static _Noreturn void
help(void)
{
	usage(stdout);
	printf("Apply a model made by tl-train: probabilities, labels, "
	    "values, or --eval metrics.\n"
	    "  -m, --model MODEL  the model to apply\n"
	    "  -o, --output FILE  write to FILE (atomically)\n"
	    "  -v, --verbose      say what was checked, and the speed\n"
	    "      --binary       write the binary vector stream\n"
	    "      --eval         compare with the input's labels; print "
	    "metrics\n"
	    "      --force        apply to vectors of another embedding or "
	    "stacking\n"
	    "      --text, --tsv, --jsonl, --id-field, --label-field, "
	    "--text-field,\n"
	    "      --skip-bad\n"
	    "                     raw text in, as tl-embed reads it (a "
	    "pipeline model)\n"
	    "      --json         --eval report as one JSON object\n"
	    "      --labels       write id and predicted label only\n"
	    "      --no-auc       --eval without ROC AUC (constant memory)\n"
	    "      --no-header    write no header line (text form)\n"
	    "      --threshold T  binary / multi-label decision threshold\n"
	    "      --top K        write id and the K most probable classes\n"
	    "  -h, --help, --version\n");
	tl_stdout_close();
	exit(TL_EXIT_OK);
}

static void
load_model(struct predict *pr, const char *path)
{
	struct tl_filekey key;
	struct tl_model *m;
	struct tl_err e;
	size_t len = 0;

	pr->model_path = path;
	tl_filekey_get(path, &key);	/* before the load: see digestcache.h */
	if ((m = tl_model_load(path, &e)) == NULL)
		tl_die_err(path, &e);
	if (strcmp(tl_model_kind(m) ? tl_model_kind(m) : "", "pipeline") ==
	    0) {
		if ((pr->pipe = tl_pipeline_load(m, &e)) == NULL)
			tl_die_err(path, &e);
		pr->head = tl_pipeline_head(pr->pipe);
	} else if ((pr->head = pr->own = tl_head_load(m, &e)) == NULL)
		tl_die_err(path, &e);
	if (pr->pipe != NULL)	/* its outputs are its last model's */
		memcpy(pr->digest, tl_pipeline_head_digest(pr->pipe), 65);
	else if (tl_model_digest_cached(m, path, &key, pr->digest) == NULL)
		tl_die("%s: cannot compute its SHA-256", path);
	if (pr->pipe == NULL)	/* a pipeline keeps its model */
		tl_model_free(m);
	pr->d = tl_head_in_dim(pr->head);
	pr->k = tl_head_out_dim(pr->head);
	pr->names = tl_head_names(pr->head);
	pr->out = tl_head_output(pr->head);
	/* The longest label column: every name, or every value, joined. */
	for (size_t i = 0; i < pr->k; i++)
		len += strlen(pr->names[i]) + TL_FMT_FLOAT_MAX + 1;
	pr->p = malloc(BLOCK_ROWS * pr->k * sizeof(float));
	pr->lbuf = malloc(len + 1);
	pr->order = malloc(pr->k * sizeof(size_t));
	if (pr->p == NULL || pr->lbuf == NULL || pr->order == NULL)
		tl_die("out of memory");
}

/* Options that depend on the kind of model. */
static void
check_options(const struct predict *pr)
{
	if (pr->has_threshold && pr->out == TL_HEAD_PROBA && pr->k > 2)
		tl_usage_error("--threshold: %s has %zu exclusive classes; "
		    "it applies to two classes and to multi-label models",
		    pr->model_path, pr->k);
	if (pr->has_threshold && pr->out == TL_HEAD_VALUES)
		tl_usage_error("--threshold: %s is a regression model",
		    pr->model_path);
	if (pr->mode == MODE_TOP && pr->out == TL_HEAD_VALUES)
		tl_usage_error("--top: %s is a regression model; it has no "
		    "classes to rank", pr->model_path);
}

/* The stream's header names the outputs and records the model. */
static void
start_stream(struct predict *pr, int binary, int no_header)
{
	struct tl_vechdr h;
	struct tl_err e;

	tl_vechdr_init(&h);
	if (tl_vechdr_set_names(&h, pr->k, (const char *const *)pr->names,
	    &e) == -1)
		tl_die_err(NULL, &e);
	memcpy(h.model, pr->digest, sizeof(h.model));
	if ((pr->w = tl_vecwriter_new(pr->f, &h, binary, no_header, &e)) ==
	    NULL)
		tl_die_err(pr->oname, &e);
	tl_vechdr_free(&h);
}

/* A sparse part must be hashed from the n-grams the model was trained
 * on: the same buckets could hold others. */
static void
check_lexical(const struct predict *pr, const struct tl_vechdr *h,
    const char *name)
{
	struct tl_err e;

	if (tl_head_lexical_check(pr->head, h->lexical, pr->model_path, &e) ==
	    -1) {
		if (!pr->force)
			tl_die_err(name, &e);
		if (pr->verbose)
			tl_warn("%s: sparse part made otherwise than %s's: "
			    "applied anyway (--force)", name, pr->model_path);
	}
}

/* The vectors must come from the embedding the model was trained on. */
static void
check_input(const struct predict *pr, const struct tl_vechdr *h,
    const char *name)
{
	const char *want = tl_head_input_model(pr->head);

	struct tl_err e;

	/* a missing stacked model shows first as a dimension: say which */
	if (h->dim != pr->d && tl_head_stacked_check(pr->head, h,
	    pr->model_path, &e) == -1)
		tl_die("%s: expected %zu values per record (model input_dim), "
		    "stream has %zu: %s (tl-stack -m MODEL adds a model's "
		    "outputs)", name, pr->d, h->dim, e.msg);
	if (h->dim != pr->d)
		tl_die("%s: expected %zu values per record (model input_dim), "
		    "stream has %zu", name, pr->d, h->dim);
	if (tl_head_sparse(pr->head) != 0 && h->sparse !=
	    tl_head_sparse(pr->head))	/* a dense head ignores it */
		tl_die("%s: the model needs a sparse part of %llu buckets "
		    "(tl-embed --lexical), the stream has %llu", name,
		    (unsigned long long)tl_head_sparse(pr->head),
		    (unsigned long long)h->sparse);
	check_lexical(pr, h, name);
	if (h->model[0] == '\0') {
		if (pr->verbose)
			tl_warn("%s: the stream does not say which embedding "
			    "made it; not checked", name);
	} else if (want[0] == '\0') {
		if (pr->verbose)
			tl_warn("%s: %s does not record the embedding it was "
			    "trained on; not checked", name, pr->model_path);
	} else if (strcmp(h->model, want) != 0) {
		if (!pr->force)
			tl_die("%s: vectors made by embedding %.12s..., but %s "
			    "was trained on vectors from %.12s...; use --force "
			    "to apply it anyway", name, h->model,
			    pr->model_path, want);
		if (pr->verbose)
			tl_warn("%s: vectors made by embedding %.12s..., not "
			    "%.12s...: applied anyway (--force)", name,
			    h->model, want);
	} else if (pr->verbose)
		tl_warn("%s: vectors made by embedding %.12s..., as %s "
		    "expects", name, h->model, pr->model_path);
}

/* The outputs that tl-stack appended to the vectors must be those the
 * model was trained with: the same models, in the same order.  A stream
 * that says nothing of where it came from (neither digest nor stacked
 * models: plain TSV, or a header cut off by tail) cannot be checked. */
static void
check_stacked(const struct predict *pr, const struct tl_vechdr *h,
    const char *name)
{
	struct tl_err e;

	if (tl_head_stacked_check(pr->head, h, pr->model_path, &e) == 0)
		return;
	if (!pr->force)
		tl_die("%s: %s; use --force to apply it anyway", name, e.msg);
	if (pr->verbose)
		tl_warn("%s: stacked outputs differ from the model's training "
		    "data: applied anyway (--force)", name);
}

/* The first largest of the K values at P. */
static size_t
argmax(const float *p, size_t k)
{
	size_t best = 0;

	for (size_t i = 1; i < k; i++)
		if (p[i] > p[best])
			best = i;
	return best;
}

/* The predicted class of exclusive classes: for two classes with
 * --threshold, the second when its probability reaches T. */
static size_t
decide(const struct predict *pr, const float *p)
{
	if (pr->k == 2 && pr->has_threshold)
		return p[1] >= pr->threshold;
	return argmax(p, pr->k);
}

/* The label column for outputs P: the predicted class; the labels whose
 * score reaches the threshold, joined by ','; or the values, joined by
 * ','.  Borrowed: valid until the next call. */
static const char *
label_of(const struct predict *pr, const float *p)
{
	char *q = pr->lbuf;
	size_t i, n;

	switch (pr->out) {
	case TL_HEAD_PROBA:
		return pr->names[decide(pr, p)];
	case TL_HEAD_SCORES:
		for (i = 0; i < pr->k; i++)
			if (p[i] >= pr->threshold) {
				if (q != pr->lbuf)
					*q++ = ',';
				n = strlen(pr->names[i]);
				memcpy(q, pr->names[i], n);
				q += n;
			}
		break;
	case TL_HEAD_VALUES:
		for (i = 0; i < pr->k; i++) {
			if (i > 0)
				*q++ = ',';
			q = tl_fmt_float(q, p[i]);
		}
		break;
	}
	*q = '\0';
	return pr->lbuf;
}

/* Write error on the output: dies (quietly on a closed pipe). */
static void
check_written(const struct predict *pr)
{
	struct tl_err e;

	if (ferror(pr->f)) {
		tl_errf_sys(&e, errno, "write error");
		tl_die_err(pr->oname, &e);
	}
}

static void
write_stream(struct predict *pr, const struct tl_vecblock *b)
{
	struct tl_err e;

	for (size_t i = 0; i < b->n; i++)
		if (tl_vecwriter_put(pr->w, b->id[i],
		    label_of(pr, pr->p + i * pr->k), pr->p + i * pr->k,
		    &e) == -1)
			tl_die_err(pr->oname, &e);
}

static void
write_labels(struct predict *pr, const struct tl_vecblock *b)
{
	for (size_t i = 0; i < b->n; i++) {
		fputs(b->id[i], pr->f);
		putc('\t', pr->f);
		fputs(label_of(pr, pr->p + i * pr->k), pr->f);
		putc('\n', pr->f);
	}
	check_written(pr);
}

/* The indices of the pr->top largest of the k values at P, largest first
 * (the first class on ties), into pr->order: insertion into a sorted
 * prefix, O(k top). */
static void
rank_top(struct predict *pr, const float *p)
{
	size_t n = 0, i, j;

	for (i = 0; i < pr->k; i++) {
		j = n < pr->top ? n++ : pr->top;
		if (j == pr->top && !(p[i] > p[pr->order[j - 1]]))
			continue;
		for (; j > 0 && p[i] > p[pr->order[j - 1]]; j--)
			if (j < pr->top)
				pr->order[j] = pr->order[j - 1];
		pr->order[j] = i;
	}
}

static void
write_top(struct predict *pr, const struct tl_vecblock *b)
{
	char num[TL_FMT_FLOAT_MAX + 1], *end;
	const float *p;

	for (size_t i = 0; i < b->n; i++) {
		p = pr->p + i * pr->k;
		rank_top(pr, p);
		fputs(b->id[i], pr->f);
		for (size_t j = 0; j < pr->top; j++) {
			putc('\t', pr->f);
			fputs(pr->names[pr->order[j]], pr->f);
			putc('\t', pr->f);
			end = tl_fmt_float(num, p[pr->order[j]]);
			fwrite(num, 1, (size_t)(end - num), pr->f);
		}
		putc('\n', pr->f);
	}
	check_written(pr);
}

static _Noreturn void
die_label(const char *name, int binary, uint64_t pos, const char *msg)
{
	struct tl_err e;

	if (binary)
		tl_errf_byte(&e, pos, "%s", msg);
	else
		tl_errf_line(&e, pos, "%s", msg);
	tl_die_err(name, &e);
}

/* What --eval says of a record without a label (a multi-label record
 * may have none: the empty set). */
static const char *
empty_label(const struct predict *pr, int binary)
{
	if (pr->pipe != NULL)
		return "empty label: --eval needs the true label of every "
		    "document (--tsv: column 2; --jsonl: --label-field)";
	if (pr->out == TL_HEAD_VALUES)
		return binary ? "empty label: --eval needs the true value of "
		    "every record" : "empty label: --eval needs the true "
		    "value in column 2";
	return binary ? "empty label: --eval needs the true class of every "
	    "record" : "empty label: --eval needs the true class in column 2";
}

static void
eval_block(struct predict *pr, const struct tl_vecblock *b,
    const char *name, int binary)
{
	struct tl_err e;
	const float *p;

	for (size_t i = 0; i < b->n; i++) {
		p = pr->p + i * pr->k;
		if (b->label[i][0] == '\0' && pr->out != TL_HEAD_SCORES)
			die_label(name, binary, b->pos[i], empty_label(pr,
			    binary));
		switch (pr->out) {
		case TL_HEAD_PROBA:
			if (tl_eval_add_proba(pr->ev, b->label[i], p,
			    decide(pr, p), &e) == -1)
				tl_die_err(NULL, &e);
			break;
		case TL_HEAD_SCORES:
			tl_mleval_add(pr->ml, b->label[i], p, pr->threshold);
			break;
		case TL_HEAD_VALUES:
			if (tl_regeval_add(pr->reg, b->label[i], p, &e) == -1)
				die_label(name, binary, b->pos[i], e.msg);
			break;
		}
	}
}

static void
on_header(void *ctx, const struct tl_vechdr *h, const char *name)
{
	check_input(ctx, h, name);
	check_stacked(ctx, h, name);
}

static void
on_block(void *ctx, const struct tl_vecblock *b, const char *name,
    int binary)
{
	struct predict *pr = ctx;

	tl_head_apply_block(pr->head, b, pr->p);
	predict_emit(pr, b, name, binary);
}

void
predict_emit(struct predict *pr, const struct tl_vecblock *b,
    const char *name, int binary)
{
	size_t bad = tl_vec_first_nonfinite(pr->p, b->n, pr->k);

	if (bad < b->n)
		die_label(name, binary, b->pos[bad], TL_HEAD_OVERFLOW);
	pr->rows += b->n;
	switch (pr->mode) {
	case MODE_STREAM:
		write_stream(pr, b);
		break;
	case MODE_LABELS:
		write_labels(pr, b);
		break;
	case MODE_TOP:
		write_top(pr, b);
		break;
	case MODE_EVAL:
		eval_block(pr, b, name, binary);
		break;
	}
}

static void
start_eval(struct predict *pr, int no_auc)
{
	int ok = 1;

	switch (pr->out) {
	case TL_HEAD_PROBA:
		if ((ok = (pr->ev = tl_eval_new(pr->names, pr->k)) != NULL))
			tl_eval_keep_scores(pr->ev, !no_auc);
		break;
	case TL_HEAD_SCORES:
		ok = (pr->ml = tl_mleval_new(pr->names, pr->k)) != NULL;
		break;
	case TL_HEAD_VALUES:
		ok = (pr->reg = tl_regeval_new(pr->k)) != NULL;
		break;
	}
	if (!ok)
		tl_die("out of memory");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "binary",	no_argument,		NULL, OPT_BINARY },
		{ "eval",	no_argument,		NULL, OPT_EVAL },
		{ "force",	no_argument,		NULL, OPT_FORCE },
		{ "help",	no_argument,		NULL, 'h' },
		{ "id-field",	required_argument,	NULL, TL_DOCOPT_ID_FIELD },
		{ "jsonl",	no_argument,		NULL, TL_DOCOPT_JSONL },
		{ "label-field", required_argument,	NULL,
		    TL_DOCOPT_LABEL_FIELD },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "labels",	no_argument,		NULL, OPT_LABELS },
		{ "model",	required_argument,	NULL, 'm' },
		{ "no-auc",	no_argument,		NULL, OPT_NO_AUC },
		{ "no-header",	no_argument,		NULL, OPT_NO_HEADER },
		{ "output",	required_argument,	NULL, 'o' },
		{ "skip-bad",	no_argument,		NULL, TL_DOCOPT_SKIP_BAD },
		{ "text",	no_argument,		NULL, TL_DOCOPT_TEXT },
		{ "text-field",	required_argument,	NULL, TL_DOCOPT_TEXT_FIELD },
		{ "threshold",	required_argument,	NULL, OPT_THRESHOLD },
		{ "top",	required_argument,	NULL, OPT_TOP },
		{ "tsv",	no_argument,		NULL, TL_DOCOPT_TSV },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	static struct predict pr;
	const char *output = NULL, *model = NULL;
	struct tl_docs_opts docs = { 0 };
	int text = 0;
	int ch, binary = 0, eval = 0, labels = 0, no_auc = 0, no_header = 0;
	long long top = 0;
	struct tl_outfile out;
	struct tl_err e;
	double t0;

	tl_cli_init("tl-predict");
	tl_blas_filter_threads();
	pr.threshold = 0.5;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hm:o:v", longopts, NULL)) != -1)
		switch (ch) {
		case OPT_BINARY:
			binary = 1;
			break;
		case OPT_EVAL:
			eval = 1;
			break;
		case OPT_FORCE:
			pr.force = 1;
			break;
		case 'h':
			help();
		case OPT_JSON:
			pr.json = 1;
			break;
		case OPT_LABELS:
			labels = 1;
			break;
		case 'm':
			model = optarg;
			break;
		case OPT_NO_AUC:
			no_auc = 1;
			break;
		case OPT_NO_HEADER:
			no_header = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_THRESHOLD:
			pr.threshold = tl_arg_double("--threshold", optarg, 0,
			    1);
			pr.has_threshold = 1;
			break;
		case OPT_TOP:
			top = tl_arg_int("--top", optarg, 1, 1000000);
			break;
		case 'v':
			pr.verbose = 1;
			break;
		case OPT_VERSION:
			tl_print_version();
		default:
			if (tl_docopts_parse(ch, optarg, &docs)) {
				text = 1;
				break;
			}
			tl_bad_option(argv, ch, ":hm:o:v", longopts);
		}
	tl_docopts_check(&docs);
	if (model == NULL)
		tl_usage_error("no model: give -m MODEL");
	if (eval + labels + (top > 0) > 1)
		tl_usage_error("--eval, --labels and --top are different "
		    "outputs: give one");
	if ((eval || labels || top > 0) && (binary || no_header))
		tl_usage_error("--%s writes no vector stream: --binary and "
		    "--no-header do not apply", eval ? "eval" : labels ?
		    "labels" : "top");
	if (pr.has_threshold && top > 0)
		tl_usage_error("--threshold moves decisions, and --top writes "
		    "none: only probabilities, which it does not change");
	if ((pr.json || no_auc) && !eval)
		tl_usage_error("--%s goes with --eval", pr.json ? "json" :
		    "no-auc");
	pr.mode = eval ? MODE_EVAL : labels ? MODE_LABELS : top > 0 ?
	    MODE_TOP : MODE_STREAM;
	load_model(&pr, model);
	if (text && pr.pipe == NULL)
		tl_usage_error("%s is not a pipeline model: it reads vector "
		    "streams, not text (--text, --tsv, ...)", model);
	check_options(&pr);
	pr.top = (size_t)top < pr.k ? (size_t)top : pr.k;
	pr.oname = output != NULL ? output : "stdout";
	pr.iname = argc - optind <= 1 ? tl_infile_name(argv[optind]) : "";
	if (tl_outfile_open(&out, output, binary, &e) == -1)
		tl_die_err(NULL, &e);	/* its messages name the file */
	pr.f = out.f;
	if (eval)
		start_eval(&pr, no_auc);
	else if (pr.mode == MODE_STREAM)
		start_stream(&pr, binary, no_header);
	t0 = now();
	if (pr.pipe != NULL)
		predict_text(&pr, argv + optind, argc - optind, &docs,
		    BLOCK_ROWS);
	else
		tl_cli_read_streams(argv + optind, argc - optind, BLOCK_ROWS,
		    &(struct tl_cli_streams){ on_header, on_block, &pr });
	if (pr.verbose) {
		t0 = now() - t0;
		tl_warn("%llu records in %.3f s (%.0f records/s)", pr.rows, t0,
		    t0 > 0 ? (double)pr.rows / t0 : 0.0);
	}
	if (eval)
		predict_report(&pr);
	else if (pr.w != NULL && tl_vecwriter_flush(pr.w, &e) == -1)
		tl_die_err(pr.oname, &e);
	if (pr.w == NULL) {
		fflush(pr.f);
		check_written(&pr);
	}
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	tl_vecwriter_free(pr.w);
	tl_eval_free(pr.ev);
	tl_mleval_free(pr.ml);
	tl_regeval_free(pr.reg);
	tl_head_free(pr.own);
	tl_pipeline_free(pr.pipe);
	free(pr.p);
	free(pr.lbuf);
	free(pr.order);
	tl_stdout_close();
	return TL_EXIT_OK;
}
