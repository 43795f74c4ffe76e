/*
 * tl-info: say what a model file is.  By default each MODEL becomes one
 * pretty-printed JSON object: tl's description of the model (kind, classes,
 * hyperparameters, lineage, ...) plus the file's SHA-256, its size and its
 * tensors, so that `tl-info m.tlm | jq .classes` works.  --digest prints
 * sha256sum(1) lines and --tensors a tab-separated table of the tensors.
 * Every MODEL is fully validated by tl_model_load; a bad one is reported,
 * sets the exit status, and the run goes on with the next.  --tree and
 * --verify follow one model's lineage (lineage.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "embed.h"
#include "head.h"
#include "info.h"
#include "io.h"
#include "model.h"
#include "pipeline.h"

enum mode { MODE_JSON, MODE_DIGEST, MODE_TENSORS, MODE_TREE, MODE_VERIFY };

/* Long options only: values outside the range of option characters. */
enum { OPT_DIGEST = 256, OPT_TENSORS, OPT_TREE, OPT_VERIFY, OPT_VERSION };

static void
usage(FILE *f)
{
	fprintf(f, "usage: tl-info [--digest | --tensors] [MODEL ...]\n"
	    "       tl-info --tree MODEL [PARENT ...]\n"
	    "       tl-info --verify MODEL PARENT ...\n");
}

static _Noreturn void
help(void)
{
	usage(stdout);
	printf("Print a tl model's description, digest and tensors as JSON.\n"
	    "  --digest   print \"SHA256  MODEL\" lines, as sha256sum does\n"
	    "  --tensors  print NAME, DTYPE, SHAPE and BYTES of each tensor\n"
	    "  --tree     print MODEL's lineage as a tree, finding parents "
	    "among the\n"
	    "             PARENTs and the *.tlm files next to MODEL\n"
	    "  --verify   check that each PARENT is in MODEL's lineage and that "
	    "the\n"
	    "             lineages agree; exit 1 on a mismatch\n"
	    "  -h, --help, --version\n");
	tl_stdout_close();
	exit(TL_EXIT_OK);
}

void
info_warn_err(const char *path, const struct tl_err *e)
{
	const char *name = tl_infile_name(path);

	switch (e->pos_kind) {
	case TL_POS_LINE:
		tl_warn("%s:%llu: %s", name, (unsigned long long)e->pos,
		    e->msg);
		break;
	case TL_POS_BYTE:
		tl_warn("%s: byte %llu: %s", name, (unsigned long long)e->pos,
		    e->msg);
		break;
	case TL_POS_NONE:
		tl_warn("%s: %s", name, e->msg);
		break;
	}
}

static json_t *
shape_json(const struct tl_tensor *t)
{
	json_t *a = json_array();

	for (int i = 0; i < t->ndim && a != NULL; i++)
		if (json_array_append_new(a,
		    json_integer((json_int_t)t->shape[i])) == -1) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

/* The object tl-info prints for M: a copy of the description with the
 * file's facts added.  New reference, or NULL when out of memory. */
static json_t *
info_json(struct tl_model *m)
{
	json_t *meta = tl_model_meta(m), *o, *tensors;
	const char *digest = tl_model_digest(m);
	int bad;

	o = meta != NULL ? json_deep_copy(meta) : json_object();
	tensors = json_object();
	if (o == NULL || tensors == NULL || digest == NULL)
		goto oom;
	bad = json_object_get(o, "kind") == NULL &&
	    json_object_set_new(o, "kind", json_null()) == -1;
	bad |= json_object_set_new(o, "sha256", json_string(digest)) == -1;
	bad |= json_object_set_new(o, "size",
	    json_integer((json_int_t)tl_model_size(m))) == -1;
	for (size_t i = 0; i < tl_model_ntensors(m); i++) {
		const struct tl_tensor *t = tl_model_tensor_at(m, i);

		bad |= json_object_set_new(tensors, t->name, json_pack("{s:s,s:o}",
		    "dtype", tl_dtype_name(t->dtype), "shape", shape_json(t)))
		    == -1;
	}
	bad |= json_object_set(o, "tensors", tensors) == -1;
	json_decref(tensors);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
oom:
	json_decref(o);
	json_decref(tensors);
	return NULL;
}

/* One line of sha256sum(1) output; names that would break the line are
 * escaped as sha256sum does, so that `sha256sum -c` reads them back. */
static void
print_digest(const char *digest, const char *path)
{
	const char *name = path == NULL ? "-" : path;

	if (strpbrk(name, "\\\n\r") == NULL) {
		printf("%s  %s\n", digest, name);
		return;
	}
	printf("\\%s  ", digest);
	for (const char *p = name; *p != '\0'; p++)
		switch (*p) {
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default: putchar(*p); break;
		}
	putchar('\n');
}

/* NAME<TAB>DTYPE<TAB>[d0,d1]<TAB>BYTES for each tensor, in file order,
 * after PATH<TAB> when more than one model is listed (as grep does). */
static void
print_tensors(const struct tl_model *m, const char *path, int prefix)
{
	for (size_t i = 0; i < tl_model_ntensors(m); i++) {
		const struct tl_tensor *t = tl_model_tensor_at(m, i);

		if (prefix)
			printf("%s\t", path == NULL ? "-" : path);
		printf("%s\t%s\t[", t->name, tl_dtype_name(t->dtype));
		for (int d = 0; d < t->ndim; d++)
			printf("%s%llu", d ? "," : "",
			    (unsigned long long)t->shape[d]);
		printf("]\t%zu\n", t->nbytes);
	}
}

/* What the tools that use M check when they load it, by its kind: the
 * embedding's vocabulary and tokenizer, a head's shapes and classes, a
 * pipeline's wiring.  A plain safetensors file (no kind) has nothing
 * more.  M is borrowed; a pipeline takes a model of its own, so it is
 * loaded again from PATH (mapped: cheap).  0, or -1 with E filled in. */
static int
deep_check(struct tl_model *m, const char *path, struct tl_err *e)
{
	const char *kind = tl_model_kind(m);
	struct tl_model *again;
	struct tl_pipeline *p;
	struct tl_embed *emb;
	struct tl_head *h;

	if (kind == NULL)
		return 0;
	if (strcmp(kind, "embedding") == 0) {
		if ((emb = tl_embed_from_model(m, e)) == NULL)
			return -1;
		tl_embed_free(emb);
		return 0;
	}
	if (strcmp(kind, "pipeline") == 0) {
		if ((again = tl_model_load(path, e)) == NULL)
			return -1;
		if ((p = tl_pipeline_load(again, e)) == NULL) {
			tl_model_free(again);
			return -1;
		}
		tl_pipeline_free(p);
		return 0;
	}
	if ((h = tl_head_load(m, e)) == NULL)
		return -1;
	tl_head_free(h);
	return 0;
}

/* Report on the model at PATH.  0, or -1 after a warning. */
static int
info(const char *path, enum mode mode, int prefix)
{
	struct tl_err e;
	struct tl_model *m;
	json_t *o;
	int rc = 0;

	tl_err_clear(&e);
	if ((m = tl_model_load(path, &e)) == NULL) {
		info_warn_err(path, &e);
		return -1;
	}
	switch (mode) {
	case MODE_DIGEST:
		if (tl_model_digest(m) == NULL)
			goto oom;
		print_digest(tl_model_digest(m), path);
		break;
	case MODE_TENSORS:
		print_tensors(m, path, prefix);
		break;
	case MODE_TREE:		/* handled by lineage.c */
	case MODE_VERIFY:
	case MODE_JSON:
		if (deep_check(m, path, &e) == -1) {
			info_warn_err(path, &e);
			tl_model_free(m);
			return -1;
		}
		if ((o = info_json(m)) == NULL)
			goto oom;
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(o);
		break;
	}
	tl_model_free(m);
	return rc;
oom:
	tl_model_free(m);
	tl_warn("%s: out of memory", tl_infile_name(path));
	return -1;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "digest",	no_argument,	NULL,	OPT_DIGEST },
		{ "help",	no_argument,	NULL,	'h' },
		{ "tensors",	no_argument,	NULL,	OPT_TENSORS },
		{ "tree",	no_argument,	NULL,	OPT_TREE },
		{ "verify",	no_argument,	NULL,	OPT_VERIFY },
		{ "version",	no_argument,	NULL,	OPT_VERSION },
		{ NULL,		0,		NULL,	0 }
	};
	enum mode mode = MODE_JSON;
	int ch, status = TL_EXIT_OK;

	tl_cli_init("tl-info");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIGEST:
		case OPT_TENSORS:
		case OPT_TREE:
		case OPT_VERIFY:
			if (mode != MODE_JSON)
				tl_usage_error("--digest, --tensors, --tree and "
				    "--verify exclude each other");
			mode = ch == OPT_DIGEST ? MODE_DIGEST :
			    ch == OPT_TENSORS ? MODE_TENSORS :
			    ch == OPT_TREE ? MODE_TREE : MODE_VERIFY;
			break;
		case 'h':
			help();
		case OPT_VERSION:
			tl_print_version();
		default:
			tl_bad_option(argv, ch, ":h", longopts);
		}
	}
	argc -= optind;
	argv += optind;
	if (mode == MODE_TREE || mode == MODE_VERIFY) {
		if (argc < (mode == MODE_TREE ? 1 : 2))
			tl_usage_error(mode == MODE_TREE ? "--tree needs a "
			    "MODEL" : "--verify needs a MODEL and its PARENTs");
		status = mode == MODE_TREE ?
		    lineage_tree(argv[0], argv + 1, argc - 1) :
		    lineage_verify(argv[0], argv + 1, argc - 1);
		tl_stdout_close();
		return status;
	}

	if (argc == 0 && info(NULL, mode, 0) == -1)
		status = TL_EXIT_FAIL;
	for (int i = 0; i < argc && !ferror(stdout); i++)
		if (info(argv[i], mode, argc > 1) == -1)
			status = TL_EXIT_FAIL;
	tl_stdout_close();
	return status;
}
