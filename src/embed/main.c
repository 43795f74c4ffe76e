/*
 * tl-embed: text to vectors.  Each input line is a document (plain, TSV or
 * JSON); its vector pools the word vectors of its tokens that the
 * embedding model knows, written as a vector stream whose header names the
 * model by its SHA-256.  Subcommands ("tl-embed import", ...) live in
 * files of their own, listed in the table below.  The work is in the
 * library: docs.c, tokenize.c, embed.c, pool.c, vecstream.c; this file is
 * options, model lookup and the loop.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "cli.h"
#include "docs.h"
#include "digestcache.h"
#include "embed.h"
#include "io.h"
#include "lexical.h"
#include "par.h"
#include "pipeline.h"
#include "pool.h"
#include "tokenize.h"
#include "tool.h"
#include "vecstream.h"

/* tl-embed NAME ...: one line each, sorted. */
static const struct {
	const char	*name;
	int		(*main)(int, char **);
} subcommands[] = {
	{ "fit",	embed_fit_main },
	{ "import",	embed_import_main },
	{ "learn",	embed_learn_main },
	{ "nn",		embed_nn_main },
};
#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

#define DEFAULT_MODEL	TL_DATADIR "/default.tlm"

/* Places beside the executable, tried before DEFAULT_MODEL: an install
 * under any PREFIX (bin/../share/tl), then a build tree (bin/../models). */
static const char *const beside_exe[] = {
	"/../share/tl/default.tlm",
	"/../models/default.tlm",
};
#define NBESIDE (sizeof(beside_exe) / sizeof(beside_exe[0]))

struct opts {
	const char		*model, *output;
	int			 binary, no_header, verbose;
	int			 digits;	/* text values; 0: exact */
	int			 lexical;	/* hashed n-grams too */
	int			 chars[2];	/* and character n-grams of
						 * chars[0] to [1]; 0: none */
	size_t			 threads;	/* 0: one per CPU */
	struct tl_docs_opts	 docs;
	struct tl_pool_opts	 pool;
};

struct stats {
	unsigned long long docs, tokens, known, empty, skipped;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tl-embed [-v] [--binary] [--digits N] [--no-header] "
	    "[--normalize]\n"
	    "                [--lexical] [--lexical-chars MIN-MAX] "
	    "[--pool KIND]\n"
	    "                [--text | --tsv | --jsonl] [--id-field PATH]\n"
	    "                [--label-field PATH] [--text-field PATH] "
	    "[--skip-bad]\n"
	    "                [--sif-a A] [--threads N] [-m MODEL] [-o FILE] "
	    "[FILE ...]\n"
	    "       tl-embed fit [-v] [--components R] [--counts] [--sif-a A] "
	    "[--tsv]\n"
	    "                [--jsonl] [--text-field PATH] [--skip-bad] "
	    "[-m MODEL] -o OUT\n"
	    "                [FILE ...]\n"
	    "       tl-embed nn [-k K] [-m MODEL] WORD ... | -\n"
	    "       tl-embed import --format FORMAT [-v] [--dtype TYPE] "
	    "[--name NAME] [-o OUT]\n"
	    "                [--tokenizer MODE] [FILE]\n"
	    "       tl-embed learn [-v] [--dim N] [--epochs N] [--init MODEL] "
	    "[--model skipgram|cbow]\n"
	    "                [--threads N] ... [-o OUT] [FILE ...] "
	    "(tl-embed learn -h: all options)\n"
	    "       tl-embed --print-default-model\n");
}

/* The directory of this executable + SUFFIX, in BUF; 0 or -1. */
static int
beside_exe_path(char *buf, size_t cap, const char *suffix)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap);
	char *slash;

	if (n <= 0 || (size_t)n >= cap)
		return -1;
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL ||
	    (size_t)(slash - buf) + strlen(suffix) + 1 > cap)
		return -1;
	strcpy(slash, suffix);
	return 0;
}

const char *
embed_default_model(char *buf, size_t cap)
{
	const char *env = getenv("TL_MODEL");

	if (env != NULL && *env != '\0')
		return env;
	for (size_t i = 0; i < NBESIDE; i++)
		if (beside_exe_path(buf, cap, beside_exe[i]) == 0 &&
		    access(buf, R_OK) == 0)
			return buf;
	if (access(DEFAULT_MODEL, R_OK) == 0)
		return DEFAULT_MODEL;
	return NULL;
}

_Noreturn static void
no_model(void)
{
	char buf[4096];

	if (beside_exe_path(buf, sizeof(buf), beside_exe[1]) == -1)
		snprintf(buf, sizeof(buf), "<directory of tl-embed>%s",
		    beside_exe[1]);
	tl_die("no model: -m not given, TL_MODEL not set, and neither %s nor "
	    "%s exists (run 'make model' in the source tree)", DEFAULT_MODEL,
	    buf);
}

/* --lexical-chars S: "MIN-MAX" into RANGE, or "0" for none. */
static void
lexical_chars(const char *s, int range[2])
{
	char *end;
	long a, b;

	range[0] = range[1] = 0;
	if (strcmp(s, "0") == 0)
		return;
	errno = 0;
	a = strtol(s, &end, 10);
	if (s[0] >= '0' && s[0] <= '9' && *end == '-' && end[1] >= '0' &&
	    end[1] <= '9') {
		b = strtol(end + 1, &end, 10);
		if (*end == '\0' && errno == 0 && a >= 1 && a <= b &&
		    b <= TL_LEXICAL_MAX_CHARS) {
			range[0] = (int)a;
			range[1] = (int)b;
			return;
		}
	}
	tl_usage_error("--lexical-chars: '%s': expected MIN-MAX with 1 <= MIN "
	    "<= MAX <= %d, or 0", s, TL_LEXICAL_MAX_CHARS);
}

/* The header's "lexical": how LX makes the sparse part, which tl-train
 * records and tl-stack --freeze repeats; "chars" only when on, so that
 * streams without character n-grams read as before. */
static void
lexical_desc(const struct tl_lexical *lx, char *buf, size_t cap)
{
	char chars[32] = "";

	if (lx->chars_max > 0)
		snprintf(chars, sizeof(chars), "\"chars\":[%d,%d],",
		    lx->chars_min, lx->chars_max);
	snprintf(buf, cap, "{\"ngrams\":%d,%s\"hash\":\"%s\"}", lx->ngrams,
	    chars, TL_LEXICAL_HASH);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_BINARY = 256, O_DIGITS, O_NO_HEADER, O_NORMALIZE, O_POOL,
	    O_PRINT_DEFAULT, O_SIF_A, O_THREADS, O_VERSION, O_LEXICAL,
	    O_LEXICAL_CHARS };
	static const struct option longopts[] = {
		{ "binary", no_argument, NULL, O_BINARY },
		{ "digits", required_argument, NULL, O_DIGITS },
		{ "help", no_argument, NULL, 'h' },
		{ "id-field", required_argument, NULL, EMBED_O_ID_FIELD },
		{ "jsonl", no_argument, NULL, EMBED_O_JSONL },
		{ "label-field", required_argument, NULL,
		    EMBED_O_LABEL_FIELD },
		{ "lexical", no_argument, NULL, O_LEXICAL },
		{ "lexical-chars", required_argument, NULL, O_LEXICAL_CHARS },
		{ "model", required_argument, NULL, 'm' },
		{ "no-header", no_argument, NULL, O_NO_HEADER },
		{ "normalize", no_argument, NULL, O_NORMALIZE },
		{ "output", required_argument, NULL, 'o' },
		{ "pool", required_argument, NULL, O_POOL },
		{ "print-default-model", no_argument, NULL, O_PRINT_DEFAULT },
		{ "sif-a", required_argument, NULL, O_SIF_A },
		{ "skip-bad", no_argument, NULL, EMBED_O_SKIP_BAD },
		{ "text", no_argument, NULL, EMBED_O_TEXT },
		{ "text-field", required_argument, NULL, EMBED_O_TEXT_FIELD },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "tsv", no_argument, NULL, EMBED_O_TSV },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	char buf[4096];
	const char *m;
	int ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hm:o:v", longopts, NULL)) !=
	    -1)
		switch (ch) {
		case O_BINARY:
			o->binary = 1;
			break;
		case O_DIGITS:
			o->digits = (int)tl_arg_int("--digits", optarg, 1, 9);
			break;
		case 'h':
			usage(stdout);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case 'm':
			o->model = optarg;
			break;
		case O_LEXICAL:
			o->lexical = 1;
			break;
		case O_LEXICAL_CHARS:
			lexical_chars(optarg, o->chars);
			o->lexical |= o->chars[0] > 0;
			break;
		case O_NO_HEADER:
			o->no_header = 1;
			break;
		case O_NORMALIZE:
			o->pool.normalize = 1;
			break;
		case O_POOL:
			if (tl_pool_kind_parse(optarg, &o->pool.kind) == -1)
				tl_usage_error("--pool: unknown kind '%s' "
				    "(mean, sif, max, meanmax)", optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_PRINT_DEFAULT:
			if ((m = embed_default_model(buf, sizeof(buf))) == NULL)
				no_model();
			printf("%s\n", m);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case O_SIF_A:
			o->pool.sif_a = embed_sif_a(optarg);
			break;
		case O_THREADS:
			o->threads = (size_t)tl_arg_int("--threads", optarg, 1,
			    TL_PAR_MAX_THREADS);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case O_VERSION:
			tl_print_version();
		default:
			if (!tl_docopts_parse(ch, optarg, &o->docs))
				tl_bad_option(argv, ch, ":hm:o:v", longopts);
		}
	tl_docopts_check(&o->docs);
}

/* Documents per block, and the text bytes after which a block is full:
 * enough to make a thread's share of work outweigh the hand-over. */
#define BLOCK_DOCS	512
#define BLOCK_BYTES	((size_t)1 << 20)

/* Documents pooled together (tl_pool_docs): enough for their lookups'
 * cache misses to overlap.  A group's texts hold at most GROUP_BYTES
 * together, unless it is one text: each tokeniser keeps scratch for the
 * longest text it has seen (~26 bytes per byte), and 32 of them holding
 * long texts would multiply the memory a long line needs by 32. */
#define GROUP_DOCS	32
#define GROUP_BYTES	((size_t)8 << 10)

/* One thread's scratch: tokens, pooling and vectors of a group of
 * documents. */
struct worker {
	struct tl_tokens	 tok[GROUP_DOCS];
	struct tl_pool		*pool;
	float			*x;	/* GROUP_DOCS vectors */
	size_t			 known[GROUP_DOCS];
	struct tl_lexical	 lex;	/* --lexical (else lex.nnz 0) */
};

/* Documents read in order (from one input), embedded by any thread into
 * records in a buffer writer of their own. */
struct block {
	const char		*name;		/* the input, for messages */
	size_t			 n;		/* documents held */
	uint64_t		 first;		/* records before the block */
	uint64_t		*line;		/* n lines in the input */
	size_t			*id, *label, *text, *len; /* into arena */
	char			*arena;
	size_t			 arena_len, arena_cap;
	struct tl_vecwriter	*out;		/* the records */
	struct stats		 st;
	struct tl_err		 err;		/* what failed, of name */
};

/* What the pipeline needs, allocated once. */
struct run {
	const struct opts	*o;
	struct tl_embed		*emb;
	struct worker		*wk;
	size_t			 nthreads;
	struct block		*blocks;
	size_t			 nblocks;
	struct tl_vecwriter	*w;
	char			**argv;		/* argc inputs (NULL: stdin) */
	int			 argc, arg;	/* the next: argv[arg] */
	struct tl_docs		*docs;		/* the open input, or NULL */
	FILE			*f;
	const char		*name;
	uint64_t		 counter;	/* plain lines' ids */
	uint64_t		 records;	/* records read */
	struct stats		 st;
};

/* The vectors of B's documents [FIRST, FIRST + N) into w->x (N <=
 * GROUP_DOCS); adds to b->st.  0, or -1 with b->err. */
static int
embed_group(struct worker *w, struct block *b, size_t first, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (tl_tokenize(&w->tok[k], b->arena + b->text[first + k],
		    b->len[first + k]) == -1)
			return tl_errf_line(&b->err, b->line[first + k],
			    "out of memory");
	tl_pool_docs(w->pool, w->tok, n, w->x, w->known);
	for (size_t k = 0; k < n; k++) {
		b->st.docs++;
		b->st.tokens += w->tok[k].n;
		b->st.known += w->known[k];
		b->st.empty += w->known[k] == 0;
	}
	return 0;
}

/* Open the next input into R: 1, 0 when there is none, -1 with E. */
static int
next_input(struct run *r, struct tl_err *e)
{
	const char *path;

	if (r->arg >= r->argc)
		return 0;
	path = r->argv[r->arg++];	/* NULL: standard input */
	r->name = tl_infile_name(path);
	if ((r->f = tl_infile_open(path, e)) == NULL ||
	    (r->docs = tl_docs_open(r->f, &r->o->docs, &r->counter, e)) ==
	    NULL)
		return -1;
	return 1;
}

static void
close_input(struct run *r)
{
	r->st.skipped += tl_docs_skipped(r->docs);
	tl_docs_close(r->docs);
	if (r->f != stdin)
		fclose(r->f);
	r->docs = NULL;
}

/* Copy the id, label and text of DOC, each NUL-terminated, to B's arena,
 * as document b->n.  0 or -1 (out of memory). */
static int
block_add(struct block *b, const struct tl_doc *doc)
{
	size_t idn = strlen(doc->id), labn = strlen(doc->label), i = b->n;
	size_t need = idn + labn + doc->text_len + 3, cap = b->arena_cap;
	char *p;

	if (doc->text_len > SIZE_MAX / 4 || need > SIZE_MAX / 4 - b->arena_len)
		return -1;
	for (cap = cap ? cap : 4096; cap < b->arena_len + need; cap *= 2)
		;
	if (cap > b->arena_cap) {
		if ((p = realloc(b->arena, cap)) == NULL)
			return -1;
		b->arena = p;
		b->arena_cap = cap;
	}
	p = b->arena + b->arena_len;
	b->id[i] = b->arena_len;
	b->label[i] = b->id[i] + idn + 1;
	b->text[i] = b->label[i] + labn + 1;
	memcpy(p, doc->id, idn + 1);
	memcpy(p + idn + 1, doc->label, labn + 1);
	memcpy(p + idn + labn + 2, doc->text, doc->text_len);
	p[need - 1] = '\0';
	b->arena_len += need;
	b->len[i] = doc->text_len;
	b->line[i] = doc->line;
	b->n++;
	return 0;
}

/* tl_par_job.read: the next documents of one input into BLK. */
static int
read_block(void *ctx, void *blk)
{
	struct run *r = ctx;
	struct block *b = blk;
	struct tl_doc doc;
	int got;

	b->n = 0;
	b->arena_len = 0;
	b->first = r->records;
	memset(&b->st, 0, sizeof(b->st));
	while (b->n < BLOCK_DOCS && b->arena_len < BLOCK_BYTES) {
		if (r->docs == NULL && (got = next_input(r, &b->err)) != 1) {
			b->name = r->name;
			return got;
		}
		b->name = r->name;
		if ((got = tl_docs_next(r->docs, &doc, &b->err)) == -1)
			return -1;
		if (got == 0) {
			close_input(r);
			if (b->n > 0)
				break;	/* a block holds one input's */
			continue;
		}
		if (block_add(b, &doc) == -1)
			return tl_errf_line(&b->err, doc.line, "out of memory");
		r->records++;
	}
	return 1;
}

/* Record I of B, vector X of DIM values, refused by the writer with E:
 * text cannot make a value that is not finite, the model's vectors can
 * (a damaged file), so that is what to say then.  -1. */
static int
put_failed(struct block *b, size_t i, const float *x, size_t dim,
    const struct tl_err *e)
{
	if (tl_vec_first_nonfinite(x, 1, dim) == 0)
		return tl_errf_line(&b->err, b->line[i], "the model's vectors "
		    "for this document's words are not finite (a damaged "
		    "model file?)");
	return tl_errf_line(&b->err, b->line[i], "%s", e->msg);
}

/* tl_par_job.work: embed the documents of BLK into its records. */
static int
work_block(void *ctx, void *blk, size_t worker)
{
	struct run *r = ctx;
	struct block *b = blk;
	struct worker *w = &r->wk[worker];
	size_t dim = tl_pool_dim(w->pool);
	struct tl_err e;

	tl_vecwriter_buffer_reset(b->out, b->first);
	for (size_t g = 0, n; g < b->n; g += n) {
		size_t bytes = b->len[g];

		for (n = 1; n < GROUP_DOCS && g + n < b->n && bytes +
		    b->len[g + n] <= GROUP_BYTES; n++)
			bytes += b->len[g + n];
		if (embed_group(w, b, g, n) == -1)
			return -1;
		for (size_t k = 0, i = g; k < n; k++, i++) {
			if (w->lex.buckets > 0 && tl_lexical_doc(&w->lex,
			    &w->tok[k], &e) == -1)
				return tl_errf_line(&b->err, b->line[i],
				    "out of memory");
			if (tl_vecwriter_put_sparse(b->out, b->arena +
			    b->id[i], b->arena + b->label[i], w->x + k * dim,
			    w->lex.nnz, w->lex.idx, w->lex.val, &e) == -1)
				return put_failed(b, i, w->x + k * dim, dim,
				    &e);
		}
	}
	return 0;
}

/* tl_par_job.write: BLK's records to the output, in order. */
static int
write_block(void *ctx, void *blk)
{
	struct run *r = ctx;
	struct block *b = blk;
	const char *p;
	size_t n;

	p = tl_vecwriter_buffer(b->out, &n);
	if (tl_vecwriter_put_raw(r->w, p, n, b->n, &b->err) == -1) {
		b->name = r->o->output != NULL ? r->o->output : "stdout";
		return -1;
	}
	r->st.docs += b->st.docs;
	r->st.tokens += b->st.tokens;
	r->st.known += b->st.known;
	r->st.empty += b->st.empty;
	return 0;
}

/* Embed every input through the pipeline, dying on the first error (in
 * input order) after writing every record before it. */
static void
embed_all(struct run *r)
{
	void *blocks[2 * TL_PAR_MAX_THREADS + 2], *failed;
	struct tl_par_job job = { .ctx = r, .blocks = blocks,
	    .nblocks = r->nblocks, .read = read_block, .work = work_block,
	    .write = write_block };
	struct block *b;
	struct tl_err e;

	for (size_t i = 0; i < r->nblocks; i++)
		blocks[i] = &r->blocks[i];
	if (tl_par_run(&job, r->nthreads, &failed) == 0)
		return;
	b = failed;
	if (b->err.errnum == 0)	/* a data error: what came before, out */
		(void)tl_vecwriter_flush(r->w, &e);
	tl_die_err(b->name, &b->err);
}

/* Load the model at PATH into R: vocabulary, then each thread's
 * tokenizer, pooling and vector. */
static void
open_model(struct run *r, const char *path)
{
	struct tl_err e;

	if ((r->emb = tl_embed_load(path, &e)) == NULL)
		tl_die_err(path, &e);
	if ((r->wk = calloc(r->nthreads, sizeof(*r->wk))) == NULL)
		tl_die("out of memory");
	for (size_t i = 0; i < r->nthreads; i++) {
		struct worker *w = &r->wk[i];

		for (size_t k = 0; k < GROUP_DOCS; k++) {
			tl_tokens_init(&w->tok[k]);
			if (tl_tokens_configure(&w->tok[k],
			    tl_embed_tokenizer(r->emb), &e) == -1)
				tl_die_err(path, &e);
		}
		if ((w->pool = tl_pool_new(r->emb, &r->o->pool, &e)) == NULL)
			tl_die_err(path, &e);
		if ((w->x = malloc(GROUP_DOCS * tl_pool_dim(w->pool) *
		    sizeof(float))) == NULL)
			tl_die("out of memory");
		if (r->o->lexical && (tl_lexical_init(&w->lex,
		    TL_LEXICAL_BUCKETS, 2, &e) == -1 || tl_lexical_chars(
		    &w->lex, r->o->chars[0], r->o->chars[1], &e) == -1))
			tl_die_err(NULL, &e);
	}
	if (r->o->verbose && r->o->pool.kind == TL_POOL_SIF &&
	    tl_pool_components(r->wk[0].pool) == 0)
		tl_warn("%s: no common components (tensor '%s'): sif only "
		    "weighs the words; make them with 'tl-embed fit'", path,
		    TL_POOL_COMPONENTS);
}

/* The blocks of the pipeline, each with a buffer writer for the stream
 * of header H. */
static void
open_blocks(struct run *r, const struct tl_vechdr *h)
{
	struct tl_err e;

	r->nblocks = r->nthreads > 1 ? 2 * r->nthreads + 2 : 1;
	if ((r->blocks = calloc(r->nblocks, sizeof(*r->blocks))) == NULL)
		tl_die("out of memory");
	for (size_t i = 0; i < r->nblocks; i++) {
		struct block *b = &r->blocks[i];

		b->line = malloc(BLOCK_DOCS * sizeof(*b->line));
		b->id = malloc(BLOCK_DOCS * sizeof(*b->id));
		b->label = malloc(BLOCK_DOCS * sizeof(*b->label));
		b->text = malloc(BLOCK_DOCS * sizeof(*b->text));
		b->len = malloc(BLOCK_DOCS * sizeof(*b->len));
		if (b->line == NULL || b->id == NULL || b->label == NULL ||
		    b->text == NULL || b->len == NULL)
			tl_die("out of memory");
		if ((b->out = tl_vecwriter_new_buffer(h, r->o->binary, &e)) ==
		    NULL)
			tl_die_err(NULL, &e);
		tl_vecwriter_set_digits(b->out, r->o->digits);
	}
}

static void
free_run(struct run *r)
{
	for (size_t i = 0; i < r->nblocks; i++) {
		struct block *b = &r->blocks[i];

		free(b->line);
		free(b->id);
		free(b->label);
		free(b->text);
		free(b->len);
		free(b->arena);
		tl_vecwriter_free(b->out);
	}
	free(r->blocks);
	for (size_t i = 0; i < r->nthreads; i++) {
		for (size_t k = 0; k < GROUP_DOCS; k++)
			tl_tokens_free(&r->wk[i].tok[k]);
		tl_pool_free(r->wk[i].pool);
		free(r->wk[i].x);
		tl_lexical_free(&r->wk[i].lex);
	}
	free(r->wk);
	tl_vecwriter_free(r->w);
	tl_embed_free(r->emb);
}

static void
report(const struct stats *st)
{
	tl_warn("%llu document%s, %llu token%s (%.1f%% in the vocabulary), "
	    "%llu without a known token", st->docs, st->docs == 1 ? "" : "s",
	    st->tokens, st->tokens == 1 ? "" : "s", st->tokens ?
	    100.0 * (double)st->known / (double)st->tokens : 0.0, st->empty);
}

/* Lines skipped as malformed are always reported: nothing is lost
 * silently. */
static void
report_skipped(const struct stats *st)
{
	if (st->skipped > 0)
		tl_warn("skipped %llu malformed line%s", st->skipped,
		    st->skipped == 1 ? "" : "s");
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct run r = { 0 };
	struct tl_outfile out;
	struct tl_vechdr h;
	struct tl_err e;
	const char *digest;
	char buf[4096], hex[65], *stdin_only[1] = { NULL };
	struct tl_filekey key;

	tl_cli_init("tl-embed");
	for (size_t i = 0; argc > 1 && i < NSUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].main(argc - 1, argv + 1);
	parse_opts(argc, argv, &o);
	/* no BLAS call worth a thread here (a norm per document at most) */
	tl_blas_threads(1);
	r.o = &o;
	r.nthreads = o.threads ? o.threads : tl_par_threads();
	r.argv = optind < argc ? argv + optind : stdin_only;
	r.argc = optind < argc ? argc - optind : 1;
	if (o.model == NULL && (o.model = embed_default_model(buf, sizeof(buf))) ==
	    NULL)
		no_model();
	tl_filekey_get(o.model, &key);	/* before the load: see digestcache.h */
	open_model(&r, o.model);
	tl_vechdr_init(&h);
	h.dim = tl_pool_dim(r.wk[0].pool);
	h.sparse = o.lexical ? TL_LEXICAL_BUCKETS : 0;
	/* what tl-train records and tl-stack --freeze checks */
	if (tl_pipeline_pool_desc(r.wk[0].pool, &o.pool, h.pool,
	    sizeof(h.pool)) == -1)
		tl_die("out of memory");
	if (o.lexical)	/* how the sparse part was made, likewise */
		lexical_desc(&r.wk[0].lex, h.lexical, sizeof(h.lexical));
	if ((digest = tl_model_digest_cached(tl_embed_model(r.emb), o.model,
	    &key, hex)) == NULL)
		tl_die("%s: cannot compute the SHA-256: out of memory",
		    o.model);
	snprintf(h.model, sizeof(h.model), "%s", digest);
	if (tl_outfile_open(&out, o.output, o.binary, &e) == -1 ||
	    (r.w = tl_vecwriter_new(out.f, &h, o.binary, o.no_header, &e)) ==
	    NULL)
		tl_die_err(NULL, &e);
	open_blocks(&r, &h);
	embed_all(&r);
	if (tl_vecwriter_flush(r.w, &e) == -1)
		tl_die_err(o.output != NULL ? o.output : "stdout", &e);
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	if (o.verbose)
		report(&r.st);
	report_skipped(&r.st);
	tl_vechdr_free(&h);
	free_run(&r);
	tl_stdout_close();
	return TL_EXIT_OK;
}
