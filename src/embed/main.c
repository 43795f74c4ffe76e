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

#include "cli.h"
#include "docs.h"
#include "digestcache.h"
#include "embed.h"
#include "io.h"
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
	    "usage: tl-embed [-v] [--binary] [--no-header] [--normalize] "
	    "[--pool KIND] [--tsv]\n"
	    "                [--jsonl] [--id-field PATH] [--label-field PATH] "
	    "[--text-field PATH]\n"
	    "                [--skip-bad] [--sif-a A] [-m MODEL] [-o FILE] "
	    "[FILE ...]\n"
	    "       tl-embed fit [-v] [--components R] [--counts] [--sif-a A] "
	    "[--tsv]\n"
	    "                [--jsonl] [--text-field PATH] [--skip-bad] "
	    "[-m MODEL] -o OUT\n"
	    "                [FILE ...]\n"
	    "       tl-embed nn [-k K] [-m MODEL] WORD ...\n"
	    "       tl-embed import --format FORMAT [-v] [--dtype TYPE] "
	    "[--name NAME] [-o OUT]\n"
	    "                [--tokenizer MODE] [FILE]\n"
	    "       tl-embed learn [-v] [--dim N] [--epochs N] [--init MODEL] "
	    "[--model skipgram|cbow]\n"
	    "                [--threads N] ... [-o OUT] [FILE ...] "
	    "(tl-embed learn -h: all options)\n"
	    "       tl-embed --print-default-model\n");
}

/* After getopt_long (with opterr 0 and ':' leading the short options)
 * returned CH, '?' or ':': the usage error that names the option.  On
 * ':' the option is the last word getopt read; on '?' optopt is 0 for an
 * unknown long option. */
_Noreturn void
embed_bad_option(char **argv, int ch)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *last = argv[optind - 1];

	if (ch == ':')
		tl_usage_error("option '%s' needs an argument",
		    strncmp(last, "--", 2) == 0 ? last : shortopt);
	tl_usage_error("unknown option '%s'", optopt > 0 && optopt < 128 ?
	    shortopt : last);
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

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_BINARY = 256, O_NO_HEADER, O_NORMALIZE, O_POOL,
	    O_PRINT_DEFAULT, O_SIF_A, O_VERSION };
	static const struct option longopts[] = {
		{ "binary", no_argument, NULL, O_BINARY },
		{ "help", no_argument, NULL, 'h' },
		{ "id-field", required_argument, NULL, EMBED_O_ID_FIELD },
		{ "jsonl", no_argument, NULL, EMBED_O_JSONL },
		{ "label-field", required_argument, NULL,
		    EMBED_O_LABEL_FIELD },
		{ "model", required_argument, NULL, 'm' },
		{ "no-header", no_argument, NULL, O_NO_HEADER },
		{ "normalize", no_argument, NULL, O_NORMALIZE },
		{ "output", required_argument, NULL, 'o' },
		{ "pool", required_argument, NULL, O_POOL },
		{ "print-default-model", no_argument, NULL, O_PRINT_DEFAULT },
		{ "sif-a", required_argument, NULL, O_SIF_A },
		{ "skip-bad", no_argument, NULL, EMBED_O_SKIP_BAD },
		{ "text-field", required_argument, NULL, EMBED_O_TEXT_FIELD },
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
		case 'h':
			usage(stdout);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case 'm':
			o->model = optarg;
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
		case 'v':
			o->verbose = 1;
			break;
		case O_VERSION:
			tl_print_version();
		default:
			if (!embed_docs_option(ch, optarg, &o->docs))
				embed_bad_option(argv, ch);
		}
	embed_docs_check(&o->docs);
}

/* Write the record of one document, dying with a message on failure. */
static void
put(struct tl_vecwriter *w, const char *out, const char *in,
    const struct tl_doc *doc, const float *x)
{
	struct tl_err e;

	if (tl_vecwriter_put(w, doc->id, doc->label, x, &e) == 0)
		return;
	if (e.errnum != 0)	/* EPIPE: exits 0, quietly */
		tl_die_err(out != NULL ? out : "stdout", &e);
	tl_die("%s:%llu: %s", in, (unsigned long long)doc->line, e.msg);
}

/* What the loop over the documents needs, allocated once. */
struct run {
	const struct opts	*o;
	struct tl_embed		*emb;
	struct tl_pool		*pool;
	struct tl_tokens	 tok;
	struct tl_vecwriter	*w;
	float			*x;		/* one document's vector */
	uint64_t		 counter;	/* plain lines' ids */
	struct stats		 st;
};

static void
embed_file(struct run *r, const char *path)
{
	const char *name = tl_infile_name(path);
	struct tl_docs *d;
	struct tl_doc doc;
	struct tl_err e;
	size_t known;
	FILE *f;
	int got;

	if ((f = tl_infile_open(path, &e)) == NULL ||
	    (d = tl_docs_open(f, &r->o->docs, &r->counter, &e)) == NULL)
		tl_die_err(name, &e);
	while ((got = tl_docs_next(d, &doc, &e)) == 1) {
		if (tl_tokenize(&r->tok, doc.text, doc.text_len) == -1)
			tl_die("%s:%llu: out of memory", name,
			    (unsigned long long)doc.line);
		known = tl_pool_doc(r->pool, &r->tok, r->x);
		r->st.docs++;
		r->st.tokens += r->tok.n;
		r->st.known += known;
		r->st.empty += known == 0;
		put(r->w, r->o->output, name, &doc, r->x);
	}
	if (got == -1)
		tl_die_err(name, &e);
	r->st.skipped += tl_docs_skipped(d);
	tl_docs_close(d);
	if (f != stdin)
		fclose(f);
}

/* Load the model at PATH into R: vocabulary, tokenizer, pooling, vector
 * buffer. */
static void
open_model(struct run *r, const char *path)
{
	struct tl_err e;

	if ((r->emb = tl_embed_load(path, &e)) == NULL)
		tl_die_err(path, &e);
	tl_tokens_init(&r->tok);
	if (tl_tokens_configure(&r->tok, tl_embed_tokenizer(r->emb), &e) ==
	    -1 || (r->pool = tl_pool_new(r->emb, &r->o->pool, &e)) == NULL)
		tl_die_err(path, &e);
	if ((r->x = malloc(tl_pool_dim(r->pool) * sizeof(float))) == NULL)
		tl_die("out of memory");
	if (r->o->verbose && r->o->pool.kind == TL_POOL_SIF &&
	    tl_pool_components(r->pool) == 0)
		tl_warn("%s: no common components (tensor '%s'): sif only "
		    "weighs the words; make them with 'tl-embed fit'", path,
		    TL_POOL_COMPONENTS);
}

static void
report(const struct stats *st)
{
	tl_warn("%llu documents, %llu tokens (%.1f%% in the vocabulary), "
	    "%llu without a known token", st->docs, st->tokens, st->tokens ?
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
	char buf[4096], hex[65];
	struct tl_filekey key;

	tl_cli_init("tl-embed");
	for (size_t i = 0; argc > 1 && i < NSUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].main(argc - 1, argv + 1);
	parse_opts(argc, argv, &o);
	r.o = &o;
	if (o.model == NULL && (o.model = embed_default_model(buf, sizeof(buf))) ==
	    NULL)
		no_model();
	tl_filekey_get(o.model, &key);	/* before the load: see digestcache.h */
	open_model(&r, o.model);
	tl_vechdr_init(&h);
	h.dim = tl_pool_dim(r.pool);
	if ((digest = tl_model_digest_cached(tl_embed_model(r.emb), o.model,
	    &key, hex)) == NULL)
		tl_die("%s: cannot compute the SHA-256: out of memory",
		    o.model);
	snprintf(h.model, sizeof(h.model), "%s", digest);
	if (tl_outfile_open(&out, o.output, o.binary, &e) == -1 ||
	    (r.w = tl_vecwriter_new(out.f, &h, o.binary, o.no_header, &e)) ==
	    NULL)
		tl_die_err(NULL, &e);
	if (optind == argc)
		embed_file(&r, NULL);
	for (int i = optind; i < argc; i++)
		embed_file(&r, argv[i]);
	if (tl_vecwriter_flush(r.w, &e) == -1)
		tl_die_err(o.output != NULL ? o.output : "stdout", &e);
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	if (o.verbose)
		report(&r.st);
	report_skipped(&r.st);
	tl_vecwriter_free(r.w);
	tl_vechdr_free(&h);
	tl_tokens_free(&r.tok);
	tl_pool_free(r.pool);
	tl_embed_free(r.emb);
	free(r.x);
	tl_stdout_close();
	return TL_EXIT_OK;
}
