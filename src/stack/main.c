/*
 * tl-stack: feature stacking, the hand-over point between parties.  For
 * every input record it appends the outputs (class probabilities, or
 * regression values) of each model given with -m to the record's own
 * components (or, with --only, writes just those outputs), keeping id and
 * label, so that a sentiment model's outputs become features of the next
 * layer.  The header names each appended column NAME:CLASS, NAME being
 * the model file's base name without ".tlm" or the one given as -m
 * NAME=FILE, so that columns from several models stay apart.  Streams in
 * blocks, one sgemm per model per block, in constant memory.  A pipeline
 * model (tl-stack --freeze, freeze.c) stacks its last head's outputs
 * computed from the embedding's vectors.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "cli.h"
#include "embed.h"
#include "clidocs.h"
#include "docopts.h"
#include "digestcache.h"
#include "io.h"
#include "head.h"
#include "model.h"
#include "pipeline.h"
#include "par.h"
#include "stack.h"
#include "textpool.h"
#include "vecstream.h"

#define BLOCK_ROWS 4096
#define MAX_MODELS 64

struct stage {
	const char	*path;
	char		 prefix[MAX_PREFIX];	/* of its column names */
	const struct tl_head *head;	/* own, or the pipeline's last */
	struct tl_head	*own;		/* NULL for a pipeline */
	struct tl_pipeline *pipe;	/* NULL for a head */
	char		 digest[65];
};

struct stack {
	struct stage	 stage[MAX_MODELS];
	size_t		 nstage;
	size_t		 dim_in;	/* components of each input record */
	size_t		 dim_keep;	/* of those, written: dim_in or 0 */
	size_t		 dim_out;	/* dim_keep + every model's classes */
	struct tl_vechdr hdr;		/* of the output */
	struct tl_vecwriter *w;
	float		*out;		/* BLOCK_ROWS x dim_out */
	float		*proba;		/* BLOCK_ROWS x largest k */
	FILE		*f;		/* where the stream goes */
	const char	*oname;		/* its name in messages */
	int		 binary, no_header, only;
	int		 force;		/* heads of another embedding too */
	/* Raw text in, an embedding first: it makes the records' own
	 * components, as tl-embed would. */
	struct tl_model	*src_model;
	struct tl_embed	*src;
	struct tl_pool	*pool;
	struct tl_pool_opts pool_opts;	/* what made pool */
	struct tl_textpool *tp;		/* pools a block of texts */
	float		*pooled;	/* BLOCK_ROWS x the pool's dim */
	char		 src_digest[65];
	const char	*src_path;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tl-stack [--binary] [--force] [--no-header] [--only] "
	    "-m [NAME=]MODEL\n"
	    "                "
	    "[-m [NAME=]MODEL ...]\n"
	    "                [-o FILE] [FILE ...]\n"
	    "       tl-stack [--text | --tsv | --jsonl ...] [--binary] "
	    "[--no-header] [--only]\n"
	    "                [--pool KIND] [--normalize] [--sif-a A] "
	    "[-m EMBEDDING]\n"
	    "                -m [NAME=]PIPELINE ... [-o FILE] [FILE ...]\n"
	    "       tl-stack --freeze [--normalize] [--pool KIND] [--sif-a A] "
	    "-o FILE\n"
	    "                EMBEDDING MODEL ...\n"
	    "Append each model's class probabilities to every input vector.\n"
	    "  -m, --model [NAME=]MODEL  a classifier to apply (repeatable, in "
	    "order);\n"
	    "                     its columns are named NAME:CLASS (NAME: the "
	    "file's\n"
	    "                     base name without .tlm by default)\n"
	    "  -o, --output FILE  write the stream to FILE (atomically)\n"
	    "      --binary       write the binary vector stream\n"
	    "      --force        apply models trained on another embedding's "
	    "vectors\n"
	    "      --freeze       write the embedding and the models as one "
	    "pipeline model;\n"
	    "                     --pool, --normalize, --sif-a: the pooling "
	    "of tl-embed\n"
	    "      --no-header    write no header line (text form)\n"
	    "      --only         write only the models' outputs, not the "
	    "input's\n"
	    "      --text         the input is raw text, one document a line "
	    "(pipelines)\n"
	    "      --tsv, --jsonl, --id-field, --label-field, --text-field, "
	    "--skip-bad\n"
	    "                     raw text in, as tl-embed reads it "
	    "(pipelines)\n"
	    "  -h, --help         this help;  --version  the version\n");
}

const char *
stack_parse_name(const char *arg, const char *opt, char name[MAX_PREFIX])
{
	const char *eq = strchr(arg, '='), *slash = strchr(arg, '/');
	char tmp[4096], *base;
	size_t n;

	if (eq != NULL && eq != arg && (slash == NULL || slash > eq)) {
		n = (size_t)(eq - arg);
		if (n >= MAX_PREFIX)
			tl_usage_error("model name '%.*s...' is too long",
			    20, arg);
		memcpy(name, arg, n);
		name[n] = '\0';
		if (eq[1] == '\0')
			tl_usage_error("%s%s: no model file after '='", opt,
			    arg);
		return eq + 1;
	}
	if (strlen(arg) >= sizeof(tmp))
		tl_usage_error("model path too long");
	memcpy(tmp, arg, strlen(arg) + 1);
	base = basename(tmp);
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".tlm") == 0)
		base[n -= 4] = '\0';
	if (n >= MAX_PREFIX)
		tl_usage_error("model name '%.20s...' is too long: choose "
		    "one with -m NAME=FILE", base);
	memcpy(name, base, n + 1);
	return arg;
}

/* Load S's model from S->path. */
static void
load_stage(struct stage *s)
{
	const char *path = s->path;
	struct tl_filekey key;
	struct tl_err e;
	struct tl_model *m;

	tl_filekey_get(path, &key);	/* before the load: see digestcache.h */
	if ((m = tl_model_load(path, &e)) == NULL)
		tl_die_err(path, &e);
	if (strcmp(tl_model_kind(m) ? tl_model_kind(m) : "", "pipeline") ==
	    0) {
		if ((s->pipe = tl_pipeline_load(m, &e)) == NULL)
			tl_die_err(path, &e);
		s->head = tl_pipeline_head(s->pipe);
	} else if ((s->head = s->own = tl_head_load(m, &e)) == NULL)
		tl_die_err(path, &e);
	if (s->pipe != NULL)	/* its outputs are its last model's */
		memcpy(s->digest, tl_pipeline_head_digest(s->pipe), 65);
	else if (tl_model_digest_cached(m, path, &key, s->digest) == NULL)
		tl_die("%s: cannot compute its SHA-256", path);
	if (s->pipe == NULL)	/* a pipeline keeps its model */
		tl_model_free(m);
}

/* With raw text in, whether the model at PATH is an embedding: if so it
 * is kept in ST, pooling with O, and 1 returned. */
static int
load_source(struct stack *st, const char *path, const struct tl_pool_opts *o)
{
	struct tl_filekey key;
	struct tl_model *m;
	struct tl_err e;

	tl_filekey_get(path, &key);
	if ((m = tl_model_load(path, &e)) == NULL)
		tl_die_err(path, &e);
	if (strcmp(tl_model_kind(m) ? tl_model_kind(m) : "", "embedding")) {
		tl_model_free(m);
		return 0;
	}
	if (tl_model_digest_cached(m, path, &key, st->src_digest) == NULL)
		tl_die("%s: cannot compute its SHA-256", path);
	st->src_model = m;
	st->src_path = path;
	st->pool_opts = *o;
	if ((st->src = tl_embed_from_model(m, &e)) == NULL ||
	    (st->pool = tl_pool_new(st->src, o, &e)) == NULL ||
	    (st->tp = tl_textpool_new(st->src, o, tl_embed_tokenizer(st->src),
	    NULL, tl_par_threads(), &e)) == NULL)
		tl_die_err(path, &e);
	st->pooled = malloc(sizeof(float) * BLOCK_ROWS * tl_pool_dim(st->pool));
	if (st->pooled == NULL)
		tl_die("out of memory");
	return 1;
}

/* A new string "PREFIX:NAME". */
static char *
join_name(const char *prefix, const char *name)
{
	size_t n = strlen(prefix) + strlen(name) + 2;
	char *s;

	if ((s = malloc(n)) == NULL)
		tl_die("out of memory");
	snprintf(s, n, "%s:%s", prefix, name);
	return s;
}

/* Output header: the input's names (blank where unnamed; none with
 * --only) then each model's class names as PREFIX:CLASS; the embedding
 * digest carries over and each model's digest is recorded as stacked. */
static void
make_header(struct stack *st, const struct tl_vechdr *in)
{
	struct tl_err e;
	char **names;
	size_t i, j, at = 0, nown;

	if ((names = calloc(st->dim_out, sizeof(*names))) == NULL)
		tl_die("out of memory");
	for (i = 0; i < st->dim_keep; i++)
		names[at++] = in->names != NULL ? in->names[i] : "";
	nown = at;
	for (i = 0; i < st->nstage; i++)
		for (j = 0; j < tl_head_out_dim(st->stage[i].head); j++)
			names[at++] = join_name(st->stage[i].prefix,
			    tl_head_names(st->stage[i].head)[j]);
	/* With --only the input's stacked outputs are gone: so are their
	 * digests. */
	struct tl_vechdr kept = *in;

	if (st->only) {		/* and so is the sparse part */
		kept.stacked = NULL;
		kept.nstacked = 0;
		kept.sparse = 0;
		kept.lexical[0] = '\0';
	}
	tl_vechdr_init(&st->hdr);
	/* Nothing named (an embedding alone): no names, as tl-embed. */
	if (tl_vechdr_copy(&st->hdr, &kept, &e) == -1 ||
	    tl_vechdr_set_names(&st->hdr, st->dim_out, st->nstage == 0 &&
	    in->names == NULL ? NULL : (const char *const *)names, &e) == -1)
		tl_die_err(NULL, &e);
	for (i = 0; i < st->nstage; i++)
		if (tl_vechdr_add_stacked(&st->hdr, st->stage[i].digest,
		    &e) == -1)
			tl_die_err(NULL, &e);
	for (i = nown; i < st->dim_out; i++)
		free(names[i]);
	free(names);
}

/* Stage S must get vectors made as it was trained on, as IN (of NAME)
 * says they were (as tl-predict checks; --force skips it): the same
 * embedding, a sparse part hashed the same way, the same stacked models
 * after them, and for a pipeline the same pooling. */
static void
check_origin(const struct stack *st, const struct stage *s,
    const struct tl_vechdr *in, const char *name)
{
	const char *want = s->pipe != NULL ? tl_pipeline_embedding(s->pipe) :
	    tl_head_input_model(s->head);
	struct tl_err e;

	if (st->force)
		return;
	if (s->pipe == NULL &&
	    tl_head_lexical_check(s->head, in->lexical, s->path, &e) == -1)
		tl_die_err(name, &e);
	if (in->model[0] != '\0' && want[0] != '\0' &&
	    strcmp(in->model, want) != 0)
		tl_die("%s: vectors made by embedding %.12s..., but %s was "
		    "trained on vectors from %.12s...; use --force to apply it "
		    "anyway", name, in->model, s->path, want);
	if (s->pipe == NULL &&	/* a pipeline's first model takes none */
	    tl_head_stacked_check(s->head, in, s->path, &e) == -1)
		tl_die("%s: %s; use --force to apply it anyway", name, e.msg);
	if (s->pipe != NULL &&
	    tl_pipeline_pool_check(s->pipe, in->pool, &e) == -1)
		tl_die("%s: %s: %s; use --force to apply it anyway", name,
		    s->path, e.msg);
}

/* Every head must take records of this dimension, with the sparse part
 * it needs, made as it was trained on (check_origin). */
static void
check_input(const struct stack *st, const char *name,
    const struct tl_vechdr *in)
{
	struct tl_err e;

	for (size_t i = 0; i < st->nstage; i++) {
		const struct stage *s = &st->stage[i];
		size_t d = s->pipe != NULL ? tl_pipeline_in_dim(s->pipe) :
		    tl_head_in_dim(s->head);

		if (d != in->dim && s->pipe == NULL &&
		    tl_head_stacked_check(s->head, in, s->path, &e) == -1)
			tl_die("%s: records have %zu values but %s expects "
			    "%zu: %s (stack that model first)", name, in->dim,
			    s->path, d, e.msg);
		if (d != in->dim)
			tl_die("%s: records have %zu values but %s expects "
			    "%zu", name, in->dim, s->path, d);
		if (s->pipe == NULL && tl_head_sparse(s->head) != 0 &&
		    in->sparse != tl_head_sparse(s->head))
			tl_die("%s: %s needs a sparse part of %llu buckets "
			    "(tl-embed --lexical), the stream has %llu", name,
			    s->path, (unsigned long long)tl_head_sparse(s->head),
			    (unsigned long long)in->sparse);
		check_origin(st, s, in, name);
	}
}

/* Allocate the block buffers once the input dimension is known (NAME:
 * the input, NULL for raw text). */
static void
start(struct stack *st, const char *name, const struct tl_vechdr *in)
{
	struct tl_err e;
	size_t kmax = 0;

	if (name != NULL)
		check_input(st, name, in);
	st->dim_in = in->dim;
	st->dim_keep = st->only ? 0 : in->dim;
	st->dim_out = st->dim_keep;
	for (size_t i = 0; i < st->nstage; i++) {
		size_t k = tl_head_out_dim(st->stage[i].head);

		st->dim_out += k;
		if (k > kmax)
			kmax = k;
	}
	make_header(st, in);
	st->out = malloc(sizeof(float) * BLOCK_ROWS * st->dim_out);
	st->proba = malloc(sizeof(float) * BLOCK_ROWS * (kmax ? kmax : 1));
	if (st->out == NULL || st->proba == NULL)
		tl_die("out of memory");
	if ((st->w = tl_vecwriter_new(st->f, &st->hdr, st->binary,
	    st->no_header, &e)) == NULL)
		tl_die_err(st->oname, &e);
}

/* Copy the N rows of K outputs in st->proba to the columns of st->out
 * that begin at AT; returns the column after them. */
static size_t
place(struct stack *st, size_t n, size_t at, size_t k)
{
	for (size_t r = 0; r < n; r++)
		memcpy(st->out + r * st->dim_out + at, st->proba + r * k,
		    sizeof(float) * k);
	return at + k;
}

/* A model's outputs that are not finite: the record at POS of NAME (a
 * line, or a byte offset when BINARY) overflowed its arithmetic. */
static _Noreturn void
die_overflow(const char *name, int binary, uint64_t pos)
{
	struct tl_err e;

	if (binary)
		tl_errf_byte(&e, pos, TL_HEAD_OVERFLOW);
	else
		tl_errf_line(&e, pos, TL_HEAD_OVERFLOW);
	tl_die_err(name, &e);
}

/* Write the N rows of st->out with their ids and labels, and with the
 * sparse parts of B (NULL: none) when the output keeps them.  The input
 * was read finite, so a row the writer refuses as not finite holds a
 * model's overflowed outputs: named by the record's position POS in NAME
 * (checked only then, off the path of every record). */
static void
put_rows(struct stack *st, size_t n, char *const *id, char *const *label,
    const struct tl_vecblock *b, const uint64_t *pos, const char *name,
    int binary)
{
	struct tl_err e;
	int rc;

	for (size_t r = 0; r < n; r++) {
		const float *x = st->out + r * st->dim_out;

		if (b != NULL && st->hdr.sparse != 0) {
			size_t j = b->sp_off[r];

			rc = tl_vecwriter_put_sparse(st->w, id[r], label[r], x,
			    b->sp_off[r + 1] - j, b->sp_idx + j, b->sp_val + j,
			    &e);
		} else
			rc = tl_vecwriter_put(st->w, id[r], label[r], x, &e);
		if (rc == -1 && e.errnum == 0 &&
		    tl_vec_first_nonfinite(x, 1, st->dim_out) == 0)
			die_overflow(name, binary, pos[r]);
		if (rc == -1)
			tl_die_err(st->oname, &e);
	}
}

static void
on_block(void *ctx, const struct tl_vecblock *b, const char *name,
    int binary)
{
	struct stack *st = ctx;
	size_t r, i, at = st->dim_keep;
	struct tl_err e;

	for (r = 0; r < b->n && st->dim_keep > 0; r++)
		memcpy(st->out + r * st->dim_out, b->x + r * b->dim,
		    sizeof(float) * b->dim);
	for (i = 0; i < st->nstage; i++) {
		const struct tl_head *h = st->stage[i].head;

		if (st->stage[i].pipe == NULL)	/* sparse heads: checked */
			tl_head_apply_block(h, b, st->proba);
		else if (tl_pipeline_apply(st->stage[i].pipe, b->x, b->n,
		    st->proba, &e) == -1)
			tl_die_err(st->stage[i].path, &e);
		at = place(st, b->n, at, tl_head_out_dim(h));
	}
	put_rows(st, b->n, b->id, b->label, b, b->pos, name, binary);
}

/* Raw text in: the embedding's vectors, unless dropped, then each
 * pipeline's outputs. */
static void
on_docs(void *ctx, const struct tl_docblock *b, const char *name)
{
	struct stack *st = ctx;
	struct tl_err e;
	size_t at = st->dim_keep;

	if (at > 0) {
		if (tl_textpool_run(st->tp, b->text, b->len, b->n, st->pooled,
		    &e) == -1)
			tl_die_err(name, &e);
		for (size_t r = 0; r < b->n; r++)
			memcpy(st->out + r * st->dim_out,
			    st->pooled + r * st->dim_keep,
			    sizeof(float) * st->dim_keep);
	}
	for (size_t i = 0; i < st->nstage; i++) {
		if (tl_pipeline_apply_texts(st->stage[i].pipe, b->text, b->len,
		    b->n, st->proba, &e) == -1)
			tl_die_err(name, &e);
		at = place(st, b->n, at, tl_head_out_dim(st->stage[i].head));
	}
	put_rows(st, b->n, b->id, b->label, NULL, b->line, name, 0);
}

/* With raw text in, the records' own components are the vectors of the
 * embedding given first, whose digest the header carries, or none.  A
 * pipeline over another embedding, or pooling otherwise, would stack
 * outputs that a model trained on the records could not be frozen with:
 * checked as on vectors (check_origin). */
static void
start_text(struct stack *st)
{
	struct tl_vechdr in;

	for (size_t i = 0; i < st->nstage; i++)
		if (st->stage[i].pipe == NULL)
			tl_usage_error("%s: not a pipeline; with raw text in "
			    "(--text, --tsv, --jsonl) every model must be one "
			    "(tl-stack --freeze), or an embedding given first",
			    st->stage[i].path);
	if (st->only && st->nstage == 0)
		tl_usage_error("--only with no pipeline leaves nothing to "
		    "write");
	tl_vechdr_init(&in);
	if (st->src != NULL) {
		in.dim = tl_pool_dim(st->pool);
		memcpy(in.model, st->src_digest, sizeof(in.model));
		if (tl_pipeline_pool_desc(st->pool, &st->pool_opts, in.pool,
		    sizeof(in.pool)) == -1)
			tl_die("out of memory");
		for (size_t i = 0; i < st->nstage; i++)
			check_origin(st, &st->stage[i], &in, st->src_path);
	} else
		st->only = 1;
	start(st, NULL, &in);
}

static void
on_header(void *ctx, const struct tl_vechdr *h, const char *name)
{
	struct stack *st = ctx;

	if (st->w == NULL)
		start(st, name, h);
	else if (h->dim != st->dim_in)
		tl_die("%s: records have %zu values, earlier input had %zu",
		    name, h->dim, st->dim_in);
	else if (h->sparse != st->hdr.sparse && !st->only)
		tl_die("%s: records have a sparse part of %llu buckets, earlier "
		    "input had %llu", name, (unsigned long long)h->sparse,
		    (unsigned long long)st->hdr.sparse);
	else
		check_input(st, name, h);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "binary",	no_argument,		NULL, 'B' },
		{ "force",	no_argument,		NULL, 'F' },
		{ "freeze",	no_argument,		NULL, 'Z' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "id-field",	required_argument,	NULL, TL_DOCOPT_ID_FIELD },
		{ "jsonl",	no_argument,		NULL, TL_DOCOPT_JSONL },
		{ "label-field", required_argument,	NULL,
		    TL_DOCOPT_LABEL_FIELD },
		{ "model",	required_argument,	NULL, 'm' },
		{ "no-header",	no_argument,		NULL, 'H' },
		{ "normalize",	no_argument,		NULL, 'N' },
		{ "only",	no_argument,		NULL, 'O' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "pool",	required_argument,	NULL, 'P' },
		{ "sif-a",	required_argument,	NULL, 'S' },
		{ "skip-bad",	no_argument,		NULL, TL_DOCOPT_SKIP_BAD },
		{ "text",	no_argument,		NULL, TL_DOCOPT_TEXT },
		{ "text-field",	required_argument,	NULL, TL_DOCOPT_TEXT_FIELD },
		{ "tsv",	no_argument,		NULL, TL_DOCOPT_TSV },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	static struct stack st;
	const char *models[MAX_MODELS], *output = NULL;
	int ch, binary = 0, no_header = 0, only = 0, freeze = 0, pooled = 0;
	struct tl_pool_opts pool = { 0 };
	struct tl_docs_opts docs = { 0 };
	int text = 0;
	size_t first = 0;	/* 1: models[0] is the text's embedding */
	size_t nmodels = 0;
	struct tl_outfile out;
	struct tl_err e;

	tl_cli_init("tl-stack");
	tl_blas_filter_threads();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hm:o:", longopts, NULL)) != -1)
		switch (ch) {
		case 'B':
			binary = 1;
			break;
		case 'F':
			st.force = 1;
			break;
		case 'H':
			no_header = 1;
			break;
		case 'N':
			pool.normalize = pooled = 1;
			break;
		case 'h':
			usage(stdout);
			tl_stdout_close();
			return TL_EXIT_OK;
		case 'm':
			if (nmodels == MAX_MODELS)
				tl_usage_error("at most %d models", MAX_MODELS);
			models[nmodels++] = optarg;
			break;
		case 'O':
			only = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case 'P':
			if (tl_pool_kind_parse(optarg, &pool.kind) == -1)
				tl_usage_error("--pool: unknown kind '%s' "
				    "(mean, sif, max, meanmax)", optarg);
			pooled = 1;
			break;
		case 'S':
			if ((pool.sif_a = tl_arg_double("--sif-a", optarg, 0,
			    1)) <= 0)
				tl_usage_error("--sif-a: %s is not positive",
				    optarg);
			pooled = 1;
			break;
		case 'Z':
			freeze = 1;
			break;
		case 'V':
			tl_print_version();
		default:
			if (tl_docopts_parse(ch, optarg, &docs)) {
				text = 1;
				break;
			}
			tl_bad_option(argv, ch, ":hm:o:", longopts);
		}
	tl_docopts_check(&docs);
	if (freeze) {
		if (nmodels > 0 || binary || no_header || only || st.force ||
		    text)
			tl_usage_error("--freeze takes the models as arguments "
			    "and -o, --pool, --normalize, --sif-a only");
		stack_freeze(argv + optind, argc - optind, pooled ? &pool :
		    NULL, output);
		tl_stdout_close();
		return TL_EXIT_OK;
	}
	if (nmodels == 0)
		tl_usage_error("no model: give at least one -m MODEL");
	if (text && load_source(&st, stack_parse_name(models[0], "-m ",
	    st.stage[0].prefix), &pool))
		first = 1;
	if (pooled && st.src == NULL)
		tl_usage_error("--pool, --normalize and --sif-a go with "
		    "--freeze, or with raw text in and an embedding first");
	for (size_t k = first; k < nmodels; k++) {
		st.stage[st.nstage].path = stack_parse_name(models[k], "-m ",
		    st.stage[st.nstage].prefix);
		load_stage(&st.stage[st.nstage++]);
	}
	if (tl_outfile_open(&out, output, binary, &e) == -1)
		tl_die_err(NULL, &e);	/* its messages name the file */
	st.f = out.f;
	st.oname = output != NULL ? output : "stdout";
	st.binary = binary;
	st.no_header = no_header;
	st.only = only;
	if (text) {
		start_text(&st);
		tl_cli_read_docs(argv + optind, argc - optind, &docs,
		    BLOCK_ROWS, on_docs, &st);
	} else
		tl_cli_read_streams(argv + optind, argc - optind, BLOCK_ROWS,
		    &(struct tl_cli_streams){ on_header, on_block, &st });
	if (st.w != NULL && tl_vecwriter_flush(st.w, &e) == -1)
		tl_die_err(st.oname, &e);
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	tl_vecwriter_free(st.w);
	tl_vechdr_free(&st.hdr);
	for (size_t k = 0; k < st.nstage; k++) {
		tl_pipeline_free(st.stage[k].pipe);
		tl_head_free(st.stage[k].own);
	}
	tl_textpool_free(st.tp);
	free(st.pooled);
	tl_pool_free(st.pool);
	tl_embed_free(st.src);
	tl_model_free(st.src_model);
	free(st.out);
	free(st.proba);
	tl_stdout_close();
	return TL_EXIT_OK;
}
