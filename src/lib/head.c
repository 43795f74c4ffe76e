/* One interface over the kinds of trained models; see head.h. */
#include <stdlib.h>
#include <string.h>

#include "head.h"
#include "linear.h"
#include "mlp.h"
#include "sparselin.h"

struct tl_head {
	char			 kind[32];
	enum tl_head_output	 output;
	char			 input_model[65];
	json_t			*input_lexical;	/* input.lexical, or NULL */
	json_t			*input_stacked;	/* input.stacked, or NULL */
	char			*lexical_text;	/* it as compact JSON */
	struct tl_linear	 lin;		/* softmax, logistic, ridge */
	struct tl_mlp		 mlp;		/* mlp (mlp.p != NULL) */
	struct tl_sparselin	 sp;		/* sparse-softmax (sp.w) */
	int			 shared;	/* tl_head_share's: the
						   parameters are borrowed */
};

/* The description's input.model, when it is a digest. */
static void
read_input_model(struct tl_head *h, struct tl_model *m)
{
	json_t *in = json_object_get(tl_model_meta(m), "input");
	const char *s = json_string_value(json_object_get(in, "model"));

	if (s != NULL && strlen(s) == 64)
		memcpy(h->input_model, s, 65);
	h->input_lexical = json_deep_copy(json_object_get(in, "lexical"));
	h->input_stacked = json_deep_copy(json_object_get(in, "stacked"));
	if (h->input_lexical != NULL)
		h->lexical_text = json_dumps(h->input_lexical, JSON_COMPACT);
}

struct tl_head *
tl_head_load(struct tl_model *m, struct tl_err *e)
{
	const char *kind = tl_model_kind(m);
	struct tl_head *h;

	if (kind == NULL) {
		tl_errf(e, "not a tl model (no tl description)");
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	read_input_model(h, m);
	if (tl_linear_kind_parse(kind) >= 0) {	/* softmax, logistic, ridge */
		if (tl_linear_load(m, &h->lin, e) == 0) {
			h->output = h->lin.kind == TL_LINEAR_RIDGE ?
			    TL_HEAD_VALUES : h->lin.multilabel ?
			    TL_HEAD_SCORES : TL_HEAD_PROBA;
			return h;
		}
	} else if (strcmp(kind, "sparse-softmax") == 0) {
		if (tl_sparselin_load(m, &h->sp, e) == 0) {
			h->output = TL_HEAD_PROBA;
			return h;
		}
	} else if (strcmp(kind, "mlp") == 0) {
		if (tl_mlp_load(m, &h->mlp, e) == 0) {
			h->output = h->mlp.regression ? TL_HEAD_VALUES :
			    TL_HEAD_PROBA;
			return h;
		}
	} else
		tl_errf(e, "not a classifier or regressor (kind \"%s\")",
		    kind);
	json_decref(h->input_lexical);
	json_decref(h->input_stacked);
	free(h->lexical_text);
	free(h);
	return NULL;
}

const char *
tl_head_kind(const struct tl_head *h)
{
	return h->kind;
}

size_t
tl_head_in_dim(const struct tl_head *h)
{
	return h->sp.w != NULL ? h->sp.d : h->mlp.p != NULL ? h->mlp.d :
	    h->lin.d;
}

size_t
tl_head_out_dim(const struct tl_head *h)
{
	return h->sp.w != NULL ? h->sp.k : h->mlp.p != NULL ? h->mlp.k :
	    h->lin.k;
}

char *const *
tl_head_names(const struct tl_head *h)
{
	return h->sp.w != NULL ? h->sp.classes : h->mlp.p != NULL ?
	    h->mlp.classes : h->lin.classes;
}

enum tl_head_output
tl_head_output(const struct tl_head *h)
{
	return h->output;
}

const char *
tl_head_input_model(const struct tl_head *h)
{
	return h->input_model;
}

void
tl_head_apply(const struct tl_head *h, const float *x, size_t n, float *out)
{
	if (h->sp.w != NULL)
		tl_sparselin_proba_rows(&h->sp, x, n, NULL, NULL, NULL, out);
	else if (h->mlp.p != NULL)
		tl_mlp_apply(&h->mlp, x, n, out);
	else
		tl_linear_proba(&h->lin, x, n, out);
}

uint64_t
tl_head_sparse(const struct tl_head *h)
{
	return h->sp.w != NULL ? h->sp.buckets : 0;
}

void
tl_head_apply_block(const struct tl_head *h, const struct tl_vecblock *b,
    float *out)
{
	if (h->sp.w == NULL || b->sparse == 0) {
		tl_head_apply(h, b->x, b->n, out);
		return;
	}
	tl_sparselin_proba_rows(&h->sp, b->x, b->n, b->sp_off, b->sp_idx,
	    b->sp_val, out);
}

int
tl_head_lexical_check(const struct tl_head *h, const char *desc,
    const char *path, struct tl_err *e)
{
	json_t *got;
	int differs;

	if (tl_head_sparse(h) == 0 || h->lexical_text == NULL ||
	    desc[0] == '\0')
		return 0;
	got = json_loads(desc, 0, NULL);
	differs = got == NULL || !json_equal(got, h->input_lexical);
	json_decref(got);
	if (differs)
		return tl_errf(e, "sparse part made as %s, but %s was trained "
		    "on one made as %s; use --force to apply it anyway", desc,
		    path, h->lexical_text);
	return 0;
}

int
tl_head_by_record(const struct tl_head *h)
{
	return h->sp.w != NULL;
}

struct tl_head *
tl_head_share(const struct tl_head *h, struct tl_err *e)
{
	struct tl_head *t;

	if ((t = malloc(sizeof(*t))) == NULL)
		return tl_errf(e, "out of memory"), NULL;
	*t = *h;
	t->shared = 1;
	t->input_lexical = NULL;	/* the checks are the original's */
	t->input_stacked = NULL;
	t->lexical_text = NULL;
	memset(&t->sp, 0, sizeof(t->sp));
	memset(&t->mlp, 0, sizeof(t->mlp));
	if ((h->sp.w != NULL && tl_sparselin_share(&h->sp, &t->sp) == -1) ||
	    (h->mlp.p != NULL && tl_mlp_share(&h->mlp, &t->mlp) == -1)) {
		tl_head_free(t);
		return tl_errf(e, "out of memory"), NULL;
	}
	return t;
}

void
tl_head_free(struct tl_head *h)
{
	if (h == NULL)
		return;
	if (h->shared) {
		tl_sparselin_unshare(&h->sp);
		tl_mlp_unshare(&h->mlp);
		free(h);
		return;
	}
	tl_linear_free(&h->lin);
	tl_mlp_free(&h->mlp);
	tl_sparselin_free(&h->sp);
	json_decref(h->input_lexical);
	json_decref(h->input_stacked);
	free(h->lexical_text);
	free(h);
}

int
tl_head_stacked_check(const struct tl_head *h, const struct tl_vechdr *in,
    const char *path, struct tl_err *e)
{
	size_t n = json_array_size(h->input_stacked), i;
	const char *want = NULL, *got = NULL;

	if (in->model[0] == '\0' && in->nstacked == 0)
		return 0;	/* a stream that says nothing of its origin */
	for (i = 0; i < n || i < in->nstacked; i++) {
		want = i < n ? json_string_value(json_array_get(
		    h->input_stacked, i)) : NULL;
		got = i < in->nstacked ? in->stacked[i] : NULL;
		if (want == NULL || got == NULL || strcmp(want, got) != 0)
			break;
	}
	if (i == n && i == in->nstacked)
		return 0;
	return tl_errf(e, "vectors with the outputs of %zu model%s stacked "
	    "(at %zu: %.12s%s), but %s was trained with %zu (at %zu: %.12s%s)",
	    in->nstacked, in->nstacked == 1 ? "" : "s", i + 1,
	    got != NULL ? got : "none", got != NULL ? "..." : "", path, n,
	    i + 1, want != NULL ? want : "none", want != NULL ? "..." : "");
}
