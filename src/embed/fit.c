/*
 * tl-embed fit: learn SIF's common components (Arora, Liang and Ma, "A
 * simple but tough-to-beat baseline for sentence embeddings", ICLR 2017)
 * from the user's unlabeled in-domain text, and write a new model: the
 * input model's tensors plus "sif.components" (F32 [R, d]) and, with
 * --counts, "counts" (I64 [n]: each word's occurrences in this text plus
 * one).  The components are the top R right singular vectors of the
 * matrix X of the SIF-weighted sentence vectors, uncentred, as in the
 * paper's code (TruncatedSVD): the eigenvectors of X'X, accumulated BLOCK
 * rows at a time with dsyrk and decomposed with LAPACK's dsyev.  Memory is
 * constant in the length of the text; --counts reads it twice (count,
 * then pool with the new frequencies), so it needs files, not stdin.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blas.h"
#include "cli.h"
#include "docs.h"
#include "embed.h"
#include "io.h"
#include "pool.h"
#include "tokenize.h"
#include "tool.h"

#define BLOCK	256	/* sentence vectors per dsyrk */

struct fit_opts {
	const char		*model, *output;
	size_t			 ncomp;
	int			 counts, verbose;
	struct tl_docs_opts	 docs;
	struct tl_pool_opts	 pool;
};

struct fit {
	const struct fit_opts	*o;
	struct tl_embed		*emb;
	struct tl_pool		*pool;
	struct tl_tokens	 tok;
	size_t			 d, nrows;	/* rows in x */
	float			*v;		/* one sentence vector */
	double			*x;		/* BLOCK x d */
	double			*c;		/* d x d: X'X */
	int64_t			*counts;	/* --counts */
	struct tl_outfile	 out;		/* opened first */
	uint64_t		 counter, docs, used, tokens, skipped;
};

static void
fit_usage(FILE *f)
{
	fprintf(f, "usage: tl-embed fit [-v] [--components R] [--counts] "
	    "[--sif-a A] [--tsv]\n"
	    "                [--jsonl] [--text-field PATH] [--skip-bad] "
	    "[-m MODEL] -o OUT\n"
	    "                [FILE ...]\n");
}

double
embed_sif_a(const char *arg)
{
	double a = tl_arg_double("--sif-a", arg, 0, 1);

	if (a <= 0)
		tl_usage_error("--sif-a: %s is not positive", arg);
	return a;
}

static void
fit_opts(int argc, char **argv, struct fit_opts *o)
{
	enum { O_COMPONENTS = 256, O_COUNTS, O_SIF_A };
	static const struct option longopts[] = {
		{ "components", required_argument, NULL, O_COMPONENTS },
		{ "counts", no_argument, NULL, O_COUNTS },
		{ "help", no_argument, NULL, 'h' },
		{ "jsonl", no_argument, NULL, EMBED_O_JSONL },
		{ "model", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "sif-a", required_argument, NULL, O_SIF_A },
		{ "skip-bad", no_argument, NULL, EMBED_O_SKIP_BAD },
		{ "text", no_argument, NULL, EMBED_O_TEXT },
		{ "text-field", required_argument, NULL, EMBED_O_TEXT_FIELD },
		{ "tsv", no_argument, NULL, EMBED_O_TSV },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->ncomp = 1;
	o->pool.kind = TL_POOL_SIF;
	o->pool.no_components = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hm:o:v", longopts, NULL)) !=
	    -1)
		switch (ch) {
		case O_COMPONENTS:
			o->ncomp = (size_t)tl_arg_int("--components", optarg,
			    1, 1000);
			break;
		case O_COUNTS:
			o->counts = 1;
			break;
		case 'h':
			fit_usage(stdout);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case 'm':
			o->model = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_SIF_A:
			o->pool.sif_a = embed_sif_a(optarg);
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			if (!tl_docopts_parse(ch, optarg, &o->docs))
				tl_bad_option(argv, ch, ":hm:o:v", longopts);
		}
	if (o->output == NULL)
		tl_usage_error("fit: -o OUT is required (a model file)");
	tl_docopts_check(&o->docs);
	if (o->counts && optind == argc)
		tl_usage_error("fit: --counts reads the text twice: name "
		    "files, not standard input");
	for (int i = optind; o->counts && i < argc; i++) {
		struct stat st;

		if (strcmp(argv[i], "-") == 0)
			tl_usage_error("fit: --counts reads the text twice: "
			    "name files, not standard input");
		/* a pipe named as a file (<(...), a FIFO) reads once */
		if (stat(argv[i], &st) == 0 && !S_ISREG(st.st_mode))
			tl_usage_error("fit: --counts reads the text twice: "
			    "%s is not a regular file", argv[i]);
	}
}

/* Add the rows of f->x to X'X (the upper triangle, row-major). */
static void
flush_block(struct fit *f)
{
	if (f->nrows == 0)
		return;
	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)f->d,
	    (int)f->nrows, 1.0, f->x, (int)f->d, 1.0, f->c, (int)f->d);
	f->nrows = 0;
}

/* One document: count its words, or pool it into the block. */
static void
take(struct fit *f, int counting)
{
	if (counting) {
		for (size_t i = 0; i < f->tok.n; i++) {
			long r = tl_embed_lookup(f->emb, f->tok.bytes +
			    f->tok.off[i], f->tok.len[i]);

			if (r >= 0)
				f->counts[r]++;
		}
		return;
	}
	f->docs++;
	f->tokens += f->tok.n;
	if (tl_pool_doc(f->pool, &f->tok, f->v) == 0)
		return;
	f->used++;
	for (size_t j = 0; j < f->d; j++)
		f->x[f->nrows * f->d + j] = f->v[j];
	if (++f->nrows == BLOCK)
		flush_block(f);
}

static void
read_file(struct fit *f, const char *path, int counting)
{
	const char *name = tl_infile_name(path);
	struct tl_docs *d;
	struct tl_doc doc;
	struct tl_err e;
	FILE *in;
	int got;

	if ((in = tl_infile_open(path, &e)) == NULL ||
	    (d = tl_docs_open(in, &f->o->docs, &f->counter, &e)) == NULL)
		tl_die_err(name, &e);
	while ((got = tl_docs_next(d, &doc, &e)) == 1) {
		if (tl_tokenize(&f->tok, doc.text, doc.text_len) == -1)
			tl_die("%s:%llu: out of memory", name,
			    (unsigned long long)doc.line);
		take(f, counting);
	}
	if (got == -1)
		tl_die_err(name, &e);
	if (!counting)
		f->skipped += tl_docs_skipped(d);
	tl_docs_close(d);
	if (in != stdin)
		fclose(in);
}

static void
read_all(struct fit *f, int argc, char **argv, int counting)
{
	if (optind == argc)
		read_file(f, NULL, counting);
	for (int i = optind; i < argc; i++)
		read_file(f, argv[i], counting);
}

/* The new description: the input's, with this tool, the input as the
 * only parent, and what fit did under "sif". */
static json_t *
fit_meta(struct fit *f, const double *lambda)
{
	struct tl_model *m = tl_embed_model(f->emb);
	json_t *meta = json_deep_copy(tl_model_meta(m)), *ev, *sif;
	const char *digest = tl_model_digest(m);
	char tool[256];

	if (meta == NULL || digest == NULL || (ev = json_array()) == NULL)
		tl_die("out of memory");
	for (size_t k = 0; k < f->o->ncomp; k++)
		json_array_append_new(ev, json_real(lambda[k] /
		    (double)f->used));
	snprintf(tool, sizeof(tool), "tl-embed %s", TL_VERSION);
	sif = json_pack("{s:f,s:I,s:b,s:I,s:I,s:o}", "a",
	    tl_pool_sif_a(f->pool), "components", (json_int_t)f->o->ncomp,
	    "counts", f->o->counts, "documents", (json_int_t)f->docs,
	    "tokens", (json_int_t)f->tokens, "eigenvalues", ev);
	if (sif == NULL || json_object_set_new(meta, "sif", sif) == -1 ||
	    json_object_set_new(meta, "tool", json_string(tool)) == -1 ||
	    json_object_set_new(meta, "lineage", json_array()) == -1 ||
	    tl_meta_add_parent(meta, digest, "embedding", "base") == -1)
		tl_die("out of memory");
	return meta;
}

/* The input's tensors (but those fit replaces), the stored lookup table
 * when the input lacks one, the components and the counts. */
static void
write_model(struct fit *f, const float *u, json_t *meta)
{
	struct tl_model *m = tl_embed_model(f->emb);
	struct tl_model_writer *w = tl_model_writer_new();
	struct tl_err e;
	uint64_t cshape[2] = { f->o->ncomp, f->d }, nshape[1];
	size_t nslots;
	const uint64_t *table = tl_embed_table(f->emb, &nslots);
	char digest[65];
	int rc = 0;

	if (w == NULL)
		tl_die("out of memory");
	for (size_t i = 0; i < tl_model_ntensors(m) && rc == 0; i++) {
		const struct tl_tensor *t = tl_model_tensor_at(m, i);

		if (strcmp(t->name, TL_POOL_COMPONENTS) == 0 ||
		    (f->o->counts && strcmp(t->name, "counts") == 0))
			continue;
		rc = tl_model_writer_add(w, t->name, t->dtype, t->ndim,
		    t->shape, t->data, &e);
	}
	nshape[0] = nslots;
	if (rc == 0 && tl_model_tensor(m, "vocab.hash") == NULL)
		rc = tl_model_writer_add(w, "vocab.hash", TL_DTYPE_I64, 1,
		    nshape, table, &e);
	nshape[0] = tl_embed_size(f->emb);
	if (rc == 0 && f->o->counts)
		rc = tl_model_writer_add(w, "counts", TL_DTYPE_I64, 1, nshape,
		    f->counts, &e);
	if (rc == 0)
		rc = tl_model_writer_add(w, TL_POOL_COMPONENTS, TL_DTYPE_F32,
		    2, cshape, u, &e);
	if (rc == -1)
		tl_die_err(f->o->output, &e);
	if (tl_model_writer_write(w, meta, f->out.f, digest, &e) == -1) {
		tl_outfile_abort(&f->out);
		json_decref(meta);	/* dying: for the leak checker */
		tl_die_err(f->o->output, &e);
	}
	if (tl_outfile_commit(&f->out, &e) == -1)
		tl_die_err(NULL, &e);
	if (f->o->verbose)
		tl_warn("%s: %zu component%s from %llu of %llu documents, "
		    "sha256 %s", f->o->output, f->o->ncomp,
		    f->o->ncomp == 1 ? "" : "s",
		    (unsigned long long)f->used, (unsigned long long)f->docs,
		    digest);
	tl_model_writer_free(w);
}

int
embed_fit_main(int argc, char **argv)
{
	struct fit_opts o;
	struct fit f = { 0 };
	struct tl_err e;
	char buf[4096];
	float *u;
	double *lambda;
	json_t *meta;

	fit_opts(argc, argv, &o);
	f.o = &o;
	/* open first: a bad -o fails before the text is read */
	if (tl_outfile_open(&f.out, o.output, 1, &e) == -1)
		tl_die_err(NULL, &e);
	if (o.model == NULL && (o.model = embed_default_model(buf,
	    sizeof(buf))) == NULL)
		tl_die("no model: give one with -m (or set TL_MODEL)");
	if ((f.emb = tl_embed_load(o.model, &e)) == NULL)
		tl_die_err(o.model, &e);
	f.d = tl_embed_dim(f.emb);
	if (o.ncomp > f.d)
		tl_usage_error("fit: --components %zu exceeds the dimension "
		    "%zu", o.ncomp, f.d);
	tl_tokens_init(&f.tok);
	if (tl_tokens_configure(&f.tok, tl_embed_tokenizer(f.emb), &e) == -1)
		tl_die_err(o.model, &e);
	if (o.counts) {
		if ((f.counts = malloc(tl_embed_size(f.emb) *
		    sizeof(*f.counts))) == NULL)
			tl_die("out of memory");
		for (size_t i = 0; i < tl_embed_size(f.emb); i++)
			f.counts[i] = 1;	/* add-one */
		read_all(&f, argc, argv, 1);
		o.pool.counts = f.counts;
	}
	if ((f.pool = tl_pool_new(f.emb, &o.pool, &e)) == NULL)
		tl_die_err(o.model, &e);
	f.v = malloc(f.d * sizeof(*f.v));
	f.x = malloc(BLOCK * f.d * sizeof(*f.x));
	f.c = calloc(f.d * f.d, sizeof(*f.c));
	u = malloc(o.ncomp * f.d * sizeof(*u));
	lambda = malloc(o.ncomp * sizeof(*lambda));
	if (f.v == NULL || f.x == NULL || f.c == NULL || u == NULL ||
	    lambda == NULL)
		tl_die("out of memory");
	read_all(&f, argc, argv, 0);
	flush_block(&f);
	if (f.used < o.ncomp)
		tl_die("fit: %llu document%s with a known word, need at least "
		    "%zu", (unsigned long long)f.used, f.used == 1 ? "" : "s",
		    o.ncomp);
	for (size_t i = 0; i < f.d; i++)	/* the lower triangle too */
		for (size_t j = 0; j < i; j++)
			f.c[i * f.d + j] = f.c[j * f.d + i];
	if (tl_pool_eigen(f.c, f.d, o.ncomp, u, lambda, &e) == -1)
		tl_die_err(NULL, &e);
	if (f.skipped > 0)
		tl_warn("skipped %llu malformed line%s",
		    (unsigned long long)f.skipped, f.skipped == 1 ? "" : "s");
	meta = fit_meta(&f, lambda);
	write_model(&f, u, meta);
	json_decref(meta);
	free(u);
	free(lambda);
	free(f.v);
	free(f.x);
	free(f.c);
	free(f.counts);
	tl_pool_free(f.pool);
	tl_tokens_free(&f.tok);
	tl_embed_free(f.emb);
	tl_stdout_close();
	return TL_EXIT_OK;
}
