/*
 * tl-embed import: make an embedding model from a word-vector file (GloVe
 * text, word2vec text or binary, fastText .vec).  The reading is
 * wordvec.c's; this file is options, naming and the atomic write.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "tokenize.h"
#include "tool.h"
#include "wordvec.h"


struct import_opts {
	const char		*name, *output, *input;
	enum tl_wordvec_format	 fmt;
	enum tl_dtype		 dtype;		/* of the vectors */
	enum tl_tok_mode	 tok;		/* stored in the model */
	int			 have_fmt, verbose;
};

static void
import_usage(FILE *f)
{
	fprintf(f, "usage: tl-embed import --format FORMAT [-v] [--dtype TYPE] "
	    "[--name NAME] [-o OUT]\n"
	    "                [--tokenizer MODE] [FILE]\n"
	    "MODE: general (the default) or tweet\n"
	    "TYPE: f32 (the default) or f16\n"
	    "FORMAT: glove, word2vec, word2vec-bin or vec\n");
}

static void
import_opts(int argc, char **argv, struct import_opts *o)
{
	enum { O_DTYPE = 256, O_TOKENIZER };
	static const struct option longopts[] = {
		{ "dtype", required_argument, NULL, O_DTYPE },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "tokenizer", required_argument, NULL, O_TOKENIZER },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->dtype = TL_DTYPE_F32;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":f:hn:o:v", longopts, NULL)) !=
	    -1)
		switch (ch) {
		case O_DTYPE:
			if (strcmp(optarg, "f32") == 0)
				o->dtype = TL_DTYPE_F32;
			else if (strcmp(optarg, "f16") == 0)
				o->dtype = TL_DTYPE_F16;
			else
				tl_usage_error("import: --dtype: unknown type "
				    "'%s' (f32, f16)", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "fasttext") == 0)
				tl_usage_error("import: --format fasttext: "
				    "give fastText's .vec file with --format vec "
				    "(its .bin model is not read)");
			if (tl_wordvec_format_parse(optarg, &o->fmt) == -1)
				tl_usage_error("import: unknown format '%s' "
				    "(glove, word2vec, word2vec-bin, vec)",
				    optarg);
			o->have_fmt = 1;
			break;
		case 'h':
			import_usage(stdout);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case 'n':
			if (*optarg == '\0')
				tl_usage_error("import: --name must not be "
				    "empty");
			o->name = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_TOKENIZER:
			if (tl_tok_mode_parse(optarg, &o->tok) == -1)
				tl_usage_error("import: --tokenizer: unknown "
				    "mode '%s' (general, tweet)", optarg);
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			tl_bad_option(argv, ch, ":f:hn:o:v", longopts);
		}
	if (!o->have_fmt)
		tl_usage_error("import: --format is required");
	if (argc - optind > 1)
		tl_usage_error("import: one input file at most");
	o->input = argv[optind];
}

/* The base name of PATH without its directory and last extension, in
 * BUF: "data/glove.6B.100d.txt" -> "glove.6B.100d". */
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

int
embed_import_main(int argc, char **argv)
{
	struct import_opts o;
	struct tl_wordvec w;
	struct tl_outfile out;
	struct tl_err e;
	const char *in = NULL, *name;
	char namebuf[4096], srcbuf[4096], tmp[4096], digest[65];
	FILE *f;
	json_t *meta;

	import_opts(argc, argv, &o);
	/* open first: a bad -o fails before the file is read */
	if (tl_outfile_open(&out, o.output, 1, &e) == -1)
		tl_die_err(NULL, &e);
	name = tl_infile_name(o.input);
	if ((f = tl_infile_open(o.input, &e)) == NULL)
		tl_die_err(name, &e);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	tl_wordvec_init(&w);
	w.f16 = o.dtype == TL_DTYPE_F16;
	if (tl_wordvec_read(&w, f, o.fmt, &e) == -1)
		tl_die_err(name, &e);
	if (f != stdin)
		fclose(f);
	if (o.input != NULL && strcmp(o.input, "-") != 0) {
		snprintf(tmp, sizeof(tmp), "%s", o.input);
		snprintf(srcbuf, sizeof(srcbuf), "%s", basename(tmp));
		in = srcbuf;
		if (o.name == NULL)
			o.name = stem(o.input, namebuf, sizeof(namebuf));
	} else if (o.name == NULL)
		o.name = o.output ? stem(o.output, namebuf, sizeof(namebuf)) :
		    "stdin";
	if ((meta = tl_wordvec_meta(&w, "tl-embed", o.name, o.fmt,
	    in ? in : "-")) == NULL ||
	    json_object_set_new(meta, "tokenizer",
	    tl_tokenizer_spec_mode(o.tok)) == -1)
		tl_die("out of memory");
	if (tl_wordvec_write_as(&w, meta, o.dtype, out.f, digest, &e) == -1) {
		tl_outfile_abort(&out);
		json_decref(meta);	/* dying: for the leak checker */
		tl_wordvec_free(&w);
		tl_die_err(o.output ? o.output : "stdout", &e);
	}
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	if (o.verbose)
		tl_warn("%s: %zu words of dimension %zu, sha256 %s",
		    o.output ? o.output : "stdout", w.n, w.dim, digest);
	json_decref(meta);
	tl_wordvec_free(&w);
	tl_stdout_close();
	return TL_EXIT_OK;
}
