/*
 * tl-train on rows with a sparse part (tl-embed --lexical): the dense and
 * sparse parts in one softmax model (sparselin.h), cross-validated over
 * the -C list like the dense models (sparsecv.c).
 * The cross-validation also chooses how the sparse part is weighted,
 * min_df 2 or 1 and smooth IDF or none (sparselin.h says why neither
 * suits every data set): on training splits of e-mails it chose min_df 2
 * and mostly no IDF, on package descriptions min_df 1 and IDF, each
 * choice beating the other on held-out rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sparselin.h"
#include "train.h"

void
rows_add_sparse(struct rows *r, const struct tl_vecblock *b)
{
	size_t base = r->sp_off != NULL ? r->sp_off[r->n] : 0,
	    more = b->sp_off[b->n], cap;

	if (r->n + b->n + 1 > r->sp_rows) {
		cap = r->cap + 1;	/* reserve() has grown the rows */
		if ((r->sp_off = realloc(r->sp_off, cap * sizeof(size_t))) ==
		    NULL)
			tl_die("out of memory");
		if (r->sp_rows == 0)
			r->sp_off[0] = 0;
		r->sp_rows = cap;
	}
	if (base + more > r->sp_cap) {
		for (cap = r->sp_cap ? r->sp_cap : 1 << 16; cap < base + more;)
			cap *= 2;
		r->sp_idx = realloc(r->sp_idx, cap * sizeof(uint32_t));
		r->sp_val = realloc(r->sp_val, cap * sizeof(float));
		if (r->sp_idx == NULL || r->sp_val == NULL)
			tl_die("out of memory");
		r->sp_cap = cap;
	}
	memcpy(r->sp_idx + base, b->sp_idx, more * sizeof(uint32_t));
	memcpy(r->sp_val + base, b->sp_val, more * sizeof(float));
	for (size_t i = 0; i < b->n; i++)
		r->sp_off[r->n + i + 1] = base + b->sp_off[i + 1];
}

/* The hex SHA-256 of R's sparse parts into OUT: per record its pair
 * count (u32) and pairs (u32 index, f32 value), little-endian. */
static void
sparse_digest(const struct rows *r, char out[65])
{
	EVP_MD_CTX *c = sha256_start();
	uint32_t cnt;
	int ok = 1;

	for (size_t i = 0; ok && i < r->n; i++) {
		cnt = (uint32_t)(r->sp_off[i + 1] - r->sp_off[i]);
		ok = EVP_DigestUpdate(c, &cnt, sizeof(cnt));
		for (size_t j = r->sp_off[i]; ok && j < r->sp_off[i + 1]; j++)
			ok = EVP_DigestUpdate(c, &r->sp_idx[j], 4) &&
			    EVP_DigestUpdate(c, &r->sp_val[j], 4);
	}
	sha256_finish(c, ok, out);
}

/* Write S, described, to OUT and commit it. */
static void
save(const struct sparse_job *j, const struct tl_sparselin *s,
    const struct tl_linear_opts *lo, const struct tl_linear_report *rep,
    const struct rows *r, json_t *cv, struct tl_outfile *out)
{
	char digest[65], data[65], sparse[65];
	struct tl_err e;
	json_t *meta, *tr;

	meta = tl_sparselin_meta(s, lo, rep, r->hdr.model, r->hdr.stacked,
	    r->hdr.nstacked);
	rows_digest(r, data);
	sparse_digest(r, sparse);
	rows_record_pool(r, meta);
	tr = json_object_get(meta, "training");
	if (meta == NULL || (cv != NULL && json_object_set_new(meta,
	    "cross_validation", cv) != 0) || json_object_set_new(tr,
	    "data_sha256", json_string(data)) != 0 || json_object_set_new(tr,
	    "sparse_sha256", json_string(sparse)) != 0)
		tl_die("out of memory");
	if (tl_sparselin_save(s, meta, out->f, digest, &e) != 0)
		tl_die_err(j->oname != NULL ? j->oname : "stdout", &e);
	json_decref(meta);
	if (tl_outfile_sync(out, &e) != 0)	/* committed after --oof */
		tl_die_err(NULL, &e);
}

#define MAX_WEIGHTS 16

/* The --dense-weight list S (NULL: the one weight 1) into W. */
static size_t
parse_weights(const char *s, double *w)
{
	char buf[64];
	size_t n = 0, len;
	const char *q;

	if (s == NULL) {
		w[0] = 1;
		return 1;
	}
	for (;; s = q + 1) {
		q = strchr(s, ',');
		len = q != NULL ? (size_t)(q - s) : strlen(s);
		if (len >= sizeof(buf) || n == MAX_WEIGHTS)
			tl_usage_error("--dense-weight: at most %d values of "
			    "at most 63 characters", MAX_WEIGHTS);
		memcpy(buf, s, len);
		buf[len] = '\0';
		w[n++] = tl_arg_double("--dense-weight", buf, 1e-6, 1e6);
		if (q == NULL)
			return n;
	}
}

void
train_sparse(const struct sparse_job *j, const struct rows *r,
    const struct targets *t, const double *sw, float *oof,
    struct tl_outfile *out)
{
	struct tl_sparse_data D = { r->x, r->n, r->dim, r->sp_off, r->sp_idx,
	    r->sp_val, r->sparse, t->y, NULL, 0 };
	struct tl_linear_opts lo = j->lo;
	struct tl_linear_report rep;
	struct tl_sparselin s;
	struct tl_err e;
	json_t *cv = NULL;
	double w[MAX_WEIGHTS];
	size_t nw = parse_weights(j->weights, w);
	struct tl_sparse_opts so;

	if (j->mlp || t->y == NULL || sw != NULL)
		tl_die("input with a sparse part trains -t softmax only, one "
		    "label per row, without --weights");
	if (nw > 1 && j->folds == 0)
		tl_usage_error("--dense-weight: a list of values needs --cv K "
		    "to choose among them");
	so = sparse_default(w[0]);
	if (j->folds > 0)
		cv = sparse_cross_validate(j, &lo, w, nw, &so, &D, t, oof);
	if (tl_sparselin_fit(&s, &D, t->classes, t->k, &so, &lo, &rep,
	    &e) != 0)
		tl_die_err(NULL, &e);
	if (rep.status == TL_LBFGS_MAX_ITER)
		tl_warn("warning: not converged after %zu iterations: %s; "
		    "raise --max-iter or --tol", rep.iterations, rep.msg);
	else if (rep.status == TL_LBFGS_LINESEARCH)
		tl_warn("warning: optimisation stopped early: %s", rep.msg);
	save(j, &s, &lo, &rep, r, cv, out);
	if (!j->quiet)
		fprintf(stderr, "%s: %zu rows, %zu dense + %zu sparse features "
		    "(of %llu buckets), %zu classes: %zu iterations (%s), "
		    "objective %.9g, training accuracy %.4f, %.2f s\n",
		    tl_progname, r->n, r->dim, s.m, (unsigned long long)
		    r->sparse, t->k, rep.iterations,
		    tl_lbfgs_status_name(rep.status), rep.loss, rep.accuracy,
		    rep.seconds);
	tl_sparselin_free(&s);
}
