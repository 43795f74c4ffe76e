/*
 * tl-embed nn: the nearest neighbours of words by cosine similarity, for
 * inspecting a model; a word the vocabulary lacks gets its vector from
 * its character n-grams when the model has them, as fastText's nn does.
 * The norms of all rows are computed once (n floats:
 * no normalised copy of the n x d matrix is made); each query is then one
 * cblas_sgemv per block of rows (F16 rows are widened a block at a time),
 * the dot products divided by the norms, and the best K kept in a heap.
 * Ties keep the earlier (more frequent) row.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "cli.h"
#include "embed.h"
#include "fmt.h"
#include "tokenize.h"
#include "tool.h"

#define NN_BLOCK	4096	/* rows per sgemv */

struct hit {
	size_t	row;
	float	cos;
};

struct nn {
	const struct tl_embed	*e;
	size_t			 n, d, k;
	float			*norm;	/* n */
	float			*block;	/* NN_BLOCK x d: widened F16 rows */
	float			*dot;	/* NN_BLOCK */
	struct hit		*best;	/* k: a heap, then a list */
	size_t			 nbest;
};

static void
nn_usage(FILE *f)
{
	fprintf(f, "usage: tl-embed nn [-k K] [-m MODEL] WORD ... | -\n");
}

/* Rows [B, B + N) as a contiguous float matrix. */
static const float *
rows(struct nn *s, size_t b, size_t n)
{
	const float *v = tl_embed_vector(s->e, b);

	if (v != NULL)
		return v;
	for (size_t i = 0; i < n; i++)
		tl_embed_row(s->e, b + i, s->block + i * s->d);
	return s->block;
}

static void
compute_norms(struct nn *s)
{
	for (size_t b = 0; b < s->n; b += NN_BLOCK) {
		size_t m = s->n - b < NN_BLOCK ? s->n - b : NN_BLOCK;
		const float *x = rows(s, b, m);

		for (size_t i = 0; i < m; i++)
			s->norm[b + i] = cblas_snrm2((int)s->d, x + i * s->d,
			    1);
	}
}

/* Is A nearer than B?  Ties: the earlier (more frequent) row. */
static int
nearer(struct hit a, struct hit b)
{
	return a.cos > b.cos || (a.cos == b.cos && a.row < b.row);
}

/* Move the entry at I of the heap of the first N hits (farthest at its
 * top) down to its place. */
static void
sift_down(struct hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct hit t;

		if (l < n && nearer(h[m], h[l]))
			m = l;
		if (l + 1 < n && nearer(h[m], h[l + 1]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Offer row R with cosine C to the best K, a heap with the farthest at
 * its top: O(log K) a row, so that K near the vocabulary size stays a
 * sort's cost. */
static void
offer(struct nn *s, size_t r, float c)
{
	struct hit x = { r, c };
	size_t i;

	if (isnan(c))
		return;
	if (s->nbest == s->k) {
		if (nearer(x, s->best[0])) {
			s->best[0] = x;
			sift_down(s->best, s->k, 0);
		}
		return;
	}
	for (i = s->nbest++; i > 0 && nearer(s->best[(i - 1) / 2], x);
	    i = (i - 1) / 2)
		s->best[i] = s->best[(i - 1) / 2];
	s->best[i] = x;
}

/* Turn the heap into a list, nearest first (heap sort in place). */
static void
sort_best(struct nn *s)
{
	for (size_t n = s->nbest; n > 1; n--) {
		struct hit t = s->best[0];

		s->best[0] = s->best[n - 1];
		s->best[n - 1] = t;
		sift_down(s->best, n - 1, 0);
	}
}

/* The K rows nearest the vector QV into s->best, row SKIP (the query's
 * own; SIZE_MAX: none) left out. */
static void
search(struct nn *s, size_t skip, const float *qv)
{
	float qn = cblas_snrm2((int)s->d, qv, 1);

	s->nbest = 0;
	for (size_t b = 0; b < s->n; b += NN_BLOCK) {
		size_t m = s->n - b < NN_BLOCK ? s->n - b : NN_BLOCK;
		const float *x = rows(s, b, m);

		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)s->d,
		    1.0f, x, (int)s->d, qv, 1, 0.0f, s->dot, 1);
		for (size_t i = 0; i < m; i++) {
			float den = qn * s->norm[b + i];

			if (b + i != skip)
				offer(s, b + i, den > 0 ? s->dot[i] / den : 0);
		}
	}
	sort_best(s);
}

/* WORD as the model's tokenizer writes it (lower-cased, normalised; in
 * the tweet mode without the markers that annotate it), *LEN bytes, when
 * that is one word; else NULL. */
static const char *
one_word(struct tl_tokens *tok, const char *word, size_t *len)
{
	const char *t, *w = NULL;
	size_t n;

	if (tl_tokenize(tok, word, strlen(word)) < 0)
		tl_die("out of memory");
	for (size_t i = 0; i < tok->n; i++) {
		t = tl_tokens_at(tok, i, &n);
		if (tl_token_annotates(t, n))
			continue;
		if (w != NULL)
			return NULL;	/* several words */
		w = t;
		*len = n;
	}
	return w;
}

/* The vector of WORD into OUT (dim floats): its row, as given or as the
 * tokenizer writes it, whose number goes to *SKIP; with subwords, for a
 * word the vocabulary lacks, the mean of its n-gram rows, as tl-embed
 * gives it (*SKIP SIZE_MAX).  -1 when it gets none, -2 when the tokenizer
 * makes several words of it. */
static int
query(const struct nn *s, struct tl_tokens *tok, const char *word,
    float *out, size_t *skip)
{
	size_t len = strlen(word);
	long r = tl_embed_lookup(s->e, word, len);
	const float *x;

	if (r < 0 && (word = one_word(tok, word, &len)) == NULL)
		return tok->n > 1 ? -2 : -1;
	if (r < 0)
		r = tl_embed_lookup(s->e, word, len);
	*skip = r >= 0 ? (size_t)r : SIZE_MAX;
	if ((x = tl_embed_word_vector(s->e, word, len, out)) == NULL)
		return -1;
	if (x != out)
		memcpy(out, x, s->d * sizeof(float));
	return 0;
}

static void
print_word(const struct tl_embed *e, size_t r)
{
	size_t len;
	const char *w = tl_embed_word(e, r, &len);

	fwrite(w, 1, len, stdout);
}

/* The vector of WORD into QV and its row into *SKIP (query), or exit 1
 * naming it (and LINE of the standard input, when not 0). */
static void
query_or_die(struct nn *s, struct tl_tokens *tok, const char *model,
    uint64_t line, const char *word, float *qv, size_t *skip)
{
	int rc = query(s, tok, word, qv, skip);
	char where[32];
	const char *at = model, *in = "";

	if (rc == 0)
		return;
	if (line > 0) {	/* the line first, then the model */
		snprintf(where, sizeof(where), "stdin:%llu",
		    (unsigned long long)line);
		at = where;
		in = model;
	}
	if (rc == -2)
		tl_die("%s: '%s' is several words to %s%s; nn takes one", at,
		    word, line > 0 ? "the tokenizer of " : "its tokenizer", in);
	tl_die("%s: unknown word '%s'%s%s", at, word, line > 0 ? " in " : "",
	    in);
}

/* The lines "WORD<TAB>NEIGHBOUR<TAB>COSINE" of the search just made. */
static void
print_answer(const struct nn *s, const char *word)
{
	char num[TL_FMT_FLOAT_MAX + 1];

	for (size_t j = 0; j < s->nbest && s->n > 1; j++) {
		*tl_fmt_float(num, s->best[j].cos) = '\0';
		fputs(word, stdout);
		putchar('\t');
		print_word(s->e, s->best[j].row);
		printf("\t%s\n", num);
	}
}

/* "nn -": a word a line from the standard input, each answered as it
 * comes (a pipeline can ask and read); blank lines are skipped. */
static void
answer_stdin(struct nn *s, struct tl_tokens *tok, const char *model,
    float *qv)
{
	char *line = NULL;
	size_t cap = 0, skip;
	uint64_t lineno = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		query_or_die(s, tok, model, lineno, line, qv, &skip);
		search(s, skip, qv);
		print_answer(s, line);
		fflush(stdout);	/* answered before the next is read */
	}
	if (ferror(stdin))
		tl_die("stdin: read error");
	free(line);
}

int
embed_nn_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "model", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct nn s = { 0 };
	struct tl_tokens tok;
	struct tl_err e;
	struct tl_embed *emb;
	const char *model = NULL;
	char buf[4096];
	size_t *skip, nq;
	float *qv;
	int ch, from_stdin;

	s.k = 10;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hk:m:", longopts, NULL)) != -1)
		switch (ch) {
		case 'h':
			nn_usage(stdout);
			tl_stdout_close();
			exit(TL_EXIT_OK);
		case 'k':
			s.k = (size_t)tl_arg_int("-k", optarg, 1, 1000000);
			break;
		case 'm':
			model = optarg;
			break;
		default:
			tl_bad_option(argv, ch, ":hk:m:", longopts);
		}
	if (optind == argc)
		tl_usage_error("nn: no word given");
	if (model == NULL && (model = embed_default_model(buf, sizeof(buf)))
	    == NULL)
		tl_die("no model: give one with -m (or set TL_MODEL)");
	if ((emb = tl_embed_load(model, &e)) == NULL)
		tl_die_err(model, &e);
	tl_tokens_init(&tok);
	if (tl_tokens_configure(&tok, tl_embed_tokenizer(emb), &e) == -1)
		tl_die_err(model, &e);
	s.e = emb;
	s.n = tl_embed_size(emb);
	s.d = tl_embed_dim(emb);
	if (s.k > s.n - 1)
		s.k = s.n > 1 ? s.n - 1 : 1;
	from_stdin = argc - optind == 1 && strcmp(argv[optind], "-") == 0;
	nq = from_stdin ? 1 : (size_t)(argc - optind);
	if ((skip = calloc(nq, sizeof(*skip))) == NULL ||
	    (qv = malloc(nq * s.d * sizeof(float))) == NULL)
		tl_die("out of memory");
	/* every word given is checked before any output */
	for (size_t i = 0; i < nq && !from_stdin; i++)
		query_or_die(&s, &tok, model, 0, argv[optind + (int)i],
		    qv + i * s.d, &skip[i]);
	s.norm = malloc(s.n * sizeof(*s.norm));
	s.block = tl_embed_is_f16(emb) ? malloc(NN_BLOCK * s.d *
	    sizeof(float)) : NULL;
	s.dot = malloc(NN_BLOCK * sizeof(*s.dot));
	s.best = malloc(s.k * sizeof(*s.best));
	if (s.norm == NULL || s.dot == NULL || s.best == NULL ||
	    (tl_embed_is_f16(emb) && s.block == NULL))
		tl_die("out of memory");
	compute_norms(&s);
	if (from_stdin)
		answer_stdin(&s, &tok, model, qv);
	for (size_t i = 0; i < nq && !from_stdin; i++) {
		search(&s, skip[i], qv + i * s.d);
		print_answer(&s, argv[optind + (int)i]);
	}
	free(skip);
	free(qv);
	free(s.norm);
	free(s.block);
	free(s.dot);
	free(s.best);
	tl_tokens_free(&tok);
	tl_embed_free(emb);
	tl_stdout_close();
	return TL_EXIT_OK;
}
