/*
 * tl-embed learn: word vectors from the user's own text (skip-gram or
 * CBOW with negative sampling and fastText's character n-grams), or
 * existing vectors adapted to it (--init).  The corpus is tokenised with
 * the library tokenizer (the --init model's, so that learning and applying
 * always split text alike) and held in memory as word ids; the learning is
 * w2v.c's.  This file is options, reading, progress and the atomic write.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "docs.h"
#include "embed.h"
#include "io.h"
#include "tokenize.h"
#include "tool.h"
#include "w2v.h"

struct learn_opts {
	struct tl_w2v_opts	 w;
	struct tl_docs_opts	 docs;
	const char		*output, *init, *name;
	int			 progress, verbose, dim_set, tok_set;
	enum tl_tok_mode	 tok;
};

/* Progress lines: to a terminal, rewritten in place; else one line every
 * few seconds. */
struct progress {
	int	tty;
	double	last;
};

static void
learn_usage(FILE *f)
{
	fprintf(f,
	    "usage: tl-embed learn [-v] [--bucket N] [--dim N] [--epochs N]\n"
	    "                [--init MODEL] [--jsonl] [--lr RATE] "
	    "[--maxn N] [--min-count N]\n"
	    "                [--minn N] [--model skipgram|cbow] "
	    "[--name NAME] [--neg N]\n"
	    "                [--progress] [--sample T] [--seed N] "
	    "[--subwords 1|0]\n"
	    "                [--text-field PATH] [--threads N] "
	    "[--tokenizer MODE] [--tsv]\n"
	    "                [--update pair|window] [--window N]\n"
	    "                [-o OUT] [FILE ...]\n");
}

static void
learn_opts(int argc, char **argv, struct learn_opts *o)
{
	enum { O_BUCKET = 256, O_DIM, O_EPOCHS, O_INIT, O_LR, O_MAXN,
	    O_MIN_COUNT, O_MINN, O_MODEL, O_NAME, O_NEG, O_PROGRESS, O_SAMPLE,
	    O_SEED, O_SUBWORDS, O_THREADS, O_TOKENIZER, O_UPDATE, O_WINDOW };
	static const struct option longopts[] = {
		{ "bucket", required_argument, NULL, O_BUCKET },
		{ "dim", required_argument, NULL, O_DIM },
		{ "epochs", required_argument, NULL, O_EPOCHS },
		{ "help", no_argument, NULL, 'h' },
		{ "init", required_argument, NULL, O_INIT },
		{ "jsonl", no_argument, NULL, EMBED_O_JSONL },
		{ "lr", required_argument, NULL, O_LR },
		{ "maxn", required_argument, NULL, O_MAXN },
		{ "min-count", required_argument, NULL, O_MIN_COUNT },
		{ "minn", required_argument, NULL, O_MINN },
		{ "model", required_argument, NULL, O_MODEL },
		{ "name", required_argument, NULL, O_NAME },
		{ "neg", required_argument, NULL, O_NEG },
		{ "output", required_argument, NULL, 'o' },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "subwords", required_argument, NULL, O_SUBWORDS },
		{ "text", no_argument, NULL, EMBED_O_TEXT },
		{ "text-field", required_argument, NULL, EMBED_O_TEXT_FIELD },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "tokenizer", required_argument, NULL, O_TOKENIZER },
		{ "tsv", no_argument, NULL, EMBED_O_TSV },
		{ "update", required_argument, NULL, O_UPDATE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "window", required_argument, NULL, O_WINDOW },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	tl_w2v_opts_default(&o->w);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:v", longopts, NULL)) != -1)
		switch (ch) {
		case O_BUCKET:
			o->w.sub.bucket = (uint32_t)tl_arg_int("--bucket",
			    optarg, 1, 1 << 30);
			break;
		case O_DIM:
			o->w.dim = (size_t)tl_arg_int("--dim", optarg, 1,
			    65536);
			o->dim_set = 1;
			break;
		case O_EPOCHS:
			o->w.epochs = (size_t)tl_arg_int("--epochs", optarg, 1,
			    1000000);
			break;
		case 'h':
			learn_usage(stdout);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case O_INIT:
			o->init = optarg;
			break;
		case O_LR:
			o->w.lr = tl_arg_double("--lr", optarg, 0, 10);
			break;
		case O_MAXN:
			o->w.sub.maxn = (unsigned)tl_arg_int("--maxn", optarg,
			    1, TL_SUBWORD_MAXN);
			break;
		case O_MIN_COUNT:
			o->w.min_count = (size_t)tl_arg_int("--min-count",
			    optarg, 1, 1LL << 40);
			break;
		case O_MINN:
			o->w.sub.minn = (unsigned)tl_arg_int("--minn", optarg,
			    1, TL_SUBWORD_MAXN);
			break;
		case O_MODEL:
			if (tl_w2v_arch_parse(optarg, &o->w.arch) == -1)
				tl_usage_error("learn: --model: unknown model "
				    "'%s' (skipgram, cbow)", optarg);
			break;
		case O_NAME:
			if (*optarg == '\0')
				tl_usage_error("learn: --name must not be "
				    "empty");
			o->name = optarg;
			break;
		case O_NEG:
			o->w.neg = (size_t)tl_arg_int("--neg", optarg, 0,
			    1024);
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_PROGRESS:
			o->progress = 1;
			break;
		case O_SAMPLE:
			o->w.sample = tl_arg_double("--sample", optarg, 0, 1);
			break;
		case O_SEED:
			o->w.seed = (uint64_t)tl_arg_int("--seed", optarg, 0,
			    INT64_MAX);
			break;
		case O_SUBWORDS:
			o->w.subwords = (int)tl_arg_int("--subwords", optarg,
			    0, 1);
			break;
		case O_THREADS:
			o->w.threads = (size_t)tl_arg_int("--threads", optarg,
			    1, 1024);
			break;
		case O_TOKENIZER:
			if (tl_tok_mode_parse(optarg, &o->tok) == -1)
				tl_usage_error("learn: --tokenizer: unknown "
				    "mode '%s' (general, tweet)", optarg);
			o->tok_set = 1;
			break;
		case O_UPDATE:
			if (tl_w2v_update_parse(optarg, &o->w.update) == -1)
				tl_usage_error("learn: --update: unknown order "
				    "'%s' (pair, window)", optarg);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case O_WINDOW:
			o->w.window = (size_t)tl_arg_int("--window", optarg, 1,
			    1024);
			break;
		default:
			if (!tl_docopts_parse(ch, optarg, &o->docs))
				tl_bad_option(argv, ch, ":ho:v", longopts);
		}
	tl_docopts_check(&o->docs);
	if (o->tok_set && o->init != NULL)
		tl_usage_error("learn: --tokenizer and --init: the initial "
		    "model's tokenizer is used");
	if (o->w.sub.minn > o->w.sub.maxn)
		tl_usage_error("learn: --minn %u is more than --maxn %u",
		    o->w.sub.minn, o->w.sub.maxn);
}

/* Add every document of the input PATH to W. */
static void
read_corpus(struct tl_w2v *w, struct tl_tokens *tok, const char *path,
    const struct tl_docs_opts *dopts, uint64_t *counter)
{
	const char *name = tl_infile_name(path);
	struct tl_docs *d;
	struct tl_doc doc;
	struct tl_err e;
	FILE *f;
	int got;

	if ((f = tl_infile_open(path, &e)) == NULL ||
	    (d = tl_docs_open(f, dopts, counter, &e)) == NULL)
		tl_die_err(name, &e);
	while ((got = tl_docs_next(d, &doc, &e)) == 1) {
		if (tl_tokenize(tok, doc.text, doc.text_len) == -1)
			tl_die("%s:%llu: out of memory", name,
			    (unsigned long long)doc.line);
		if (tl_w2v_add(w, tok, &e) == -1)
			tl_die("%s:%llu: %s", name,
			    (unsigned long long)doc.line, e.msg);
	}
	if (got == -1)
		tl_die_err(name, &e);
	if (tl_docs_skipped(d) > 0)
		tl_warn("%s: skipped %llu malformed line%s", name,
		    (unsigned long long)tl_docs_skipped(d),
		    tl_docs_skipped(d) == 1 ? "" : "s");
	tl_docs_close(d);
	if (f != stdin)
		fclose(f);
}

static void
show_progress(void *ctx, const struct tl_w2v_stats *st)
{
	struct progress *p = ctx;
	int done = st->progress >= 1.0 && st->eta == 0;
	unsigned eta = (unsigned)(st->eta + 0.5);

	if (!p->tty && !done && st->seconds - p->last < 5.0)
		return;
	p->last = st->seconds;
	fprintf(stderr, "%s%s: learn: %5.1f%%  %.0f words/s/thread  loss "
	    "%.4f  lr %.6f  ETA %um%02us%s", p->tty ? "\r" : "", tl_progname,
	    100.0 * st->progress, st->words_per_sec, st->loss, st->lr,
	    eta / 60, eta % 60, p->tty && !done ? "" : "\n");
	fflush(stderr);
}

/* The base name of PATH without directory and extension, in BUF. */
static const char *
stem(const char *path, char *buf, size_t cap)
{
	char tmp[4096], *dot;

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(buf, cap, "%s", basename(tmp));
	if ((dot = strrchr(buf, '.')) != NULL && dot != buf)
		*dot = '\0';
	return buf;
}

/* Write the model learned by W to OUT, opened on O's output. */
static void
write_model(struct tl_w2v *w, const struct learn_opts *o,
    const json_t *tokenizer, struct tl_embed *init,
    const struct tl_w2v_stats *st, struct tl_outfile *out)
{
	struct tl_err e;
	char namebuf[4096], digest[65];
	const char *name = o->name;
	json_t *meta;

	if (name == NULL)
		name = o->output ? stem(o->output, namebuf, sizeof(namebuf)) :
		    "learned";
	if ((meta = tl_w2v_meta(w, "tl-embed", name, tokenizer, st)) == NULL)
		tl_die("out of memory");
	if (init != NULL) {
		const char *d = tl_model_digest(tl_embed_model(init));

		if (d == NULL || tl_meta_add_parent(meta, d, "embedding",
		    "init") == -1)
			tl_die("out of memory");
	}
	if (tl_w2v_write(w, meta, out->f, digest, &e) == -1) {
		tl_outfile_abort(out);
		json_decref(meta);	/* dying: for the leak checker */
		tl_die_err(o->output ? o->output : "stdout", &e);
	}
	if (tl_outfile_commit(out, &e) == -1)
		tl_die_err(NULL, &e);
	if (o->verbose)
		tl_warn("%s: %zu words of dimension %zu from %llu tokens, "
		    "loss %.4f, %.1f s, %.0f words/s/thread, sha256 %s",
		    o->output ? o->output : "stdout", tl_w2v_size(w), o->w.dim,
		    (unsigned long long)tl_w2v_tokens(w), st->loss, st->seconds,
		    st->words_per_sec, digest);
	json_decref(meta);
}

int
embed_learn_main(int argc, char **argv)
{
	struct learn_opts o;
	struct tl_embed *init = NULL;
	struct tl_tokens tok;
	struct tl_w2v_stats st;
	struct tl_outfile out;
	struct progress prog = { isatty(2), 0 };
	const json_t *tokenizer = NULL;
	json_t *spec = NULL;
	struct tl_w2v *w;
	struct tl_err e;
	uint64_t counter = 0;

	learn_opts(argc, argv, &o);
	/* open first: a bad -o fails before minutes of learning */
	if (tl_outfile_open(&out, o.output, 1, &e) == -1)
		tl_die_err(NULL, &e);
	if (o.init != NULL) {
		if ((init = tl_embed_load(o.init, &e)) == NULL)
			tl_die_err(o.init, &e);
		tokenizer = tl_embed_tokenizer(init);
		if (!o.dim_set)
			o.w.dim = tl_embed_dim(init);
	}
	if (o.tok_set) {
		if ((spec = tl_tokenizer_spec_mode(o.tok)) == NULL)
			tl_die("out of memory");
		tokenizer = spec;
	}
	tl_tokens_init(&tok);
	if (tl_tokens_configure(&tok, tokenizer, &e) == -1)
		tl_die_err(o.init, &e);
	if ((w = tl_w2v_new(&o.w, &e)) == NULL)
		tl_die("learn: %s", e.msg);
	if (init != NULL && tl_w2v_init_from(w, init, &e) == -1)
		tl_die_err(o.init, &e);
	if (optind == argc)
		read_corpus(w, &tok, NULL, &o.docs, &counter);
	for (int i = optind; i < argc; i++)
		read_corpus(w, &tok, argv[i], &o.docs, &counter);
	tl_tokens_free(&tok);
	if (tl_w2v_prepare(w, &e) == -1)
		tl_die("learn: %s", e.msg);
	if (tl_w2v_train(w, o.progress || prog.tty ? show_progress : NULL,
	    &prog, &st, &e) == -1)
		tl_die("learn: %s", e.msg);
	write_model(w, &o, tokenizer, init, &st, &out);
	tl_w2v_free(w);
	tl_embed_free(init);
	json_decref(spec);
	tl_stdout_close();
	return TL_EXIT_OK;
}
