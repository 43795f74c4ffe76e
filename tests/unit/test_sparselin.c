/* Dense + sparse linear models: the gradient of the objective against
 * central differences, and a fit saved and loaded predicting the same. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sparselin.h"
#include "t.h"

#define N 12
#define D 3
#define M 5

/* A deterministic value in [-1, 1). */
static double
rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (double)((*s >> 8) & 0xffff) / 32768.0 - 1;
}

static void
gradcheck(size_t k)
{
	static const size_t off[N + 1] = { 0, 2, 2, 5, 6, 8, 9, 9, 11, 12,
	    14, 15, 17 };
	static const uint32_t col[17] = { 0, 3, 1, 2, 4, 0, 1, 3, 2, 0, 4,
	    3, 1, 2, 0, 2, 4 };
	size_t kk = k == 2 ? 1 : k, nth = kk * (D + M) + kk, y[N];
	double u[N * D], v[17], th[64], g[64], h = 1e-6, fp, fm, worst = 0;
	unsigned s = 7;

	for (size_t i = 0; i < N * D; i++)
		u[i] = rnd(&s);
	for (size_t j = 0; j < 17; j++)
		v[j] = rnd(&s);
	for (size_t i = 0; i < N; i++)
		y[i] = i % k;
	for (size_t j = 0; j < nth; j++)
		th[j] = rnd(&s);
	T_CHECK(isfinite(tl_sparselin_objective(u, N, D, off, col, v, M, y,
	    k, 0.7, th, g, 1)));
	for (size_t j = 0; j < nth; j++) {
		double t = th[j];

		th[j] = t + h;
		fp = tl_sparselin_objective(u, N, D, off, col, v, M, y, k, 0.7,
		    th, NULL, 1);
		th[j] = t - h;
		fm = tl_sparselin_objective(u, N, D, off, col, v, M, y, k, 0.7,
		    th, NULL, 1);
		th[j] = t;
		worst = fmax(worst, fabs((fp - fm) / (2 * h) - g[j]));
	}
	T_NEAR(worst, 0, 1e-7);
}

static void
test_gradient_multinomial(void)
{
	gradcheck(3);
}

static void
test_gradient_binary(void)
{
	gradcheck(2);
}

/* On a problem large enough for threads, the objective and its gradient
 * are the same bits on 1 to 4 threads, the gradient agrees with central
 * differences, and without a gradient the value is the same. */
static void
test_threads_same_bits(void)
{
	enum { BN = 5000, BD = 40, BM = 3000, BK = 5, PER = 12 };
	size_t nth = BK * (BD + BM) + BK, *off = malloc((BN + 1) *
	    sizeof(size_t)), *y = malloc(BN * sizeof(size_t));
	uint32_t *col = malloc(BN * PER * sizeof(uint32_t));
	double *u = malloc(BN * BD * sizeof(double)), *v = malloc(BN * PER *
	    sizeof(double)), *th = malloc(nth * sizeof(double)),
	    *g1 = malloc(nth * sizeof(double)), *g = malloc(nth *
	    sizeof(double)), f1, f, h = 1e-5;
	unsigned s = 11;

	for (size_t i = 0; i < BN * BD; i++)
		u[i] = rnd(&s);
	off[0] = 0;
	for (size_t i = 0; i < BN; i++) {
		/* increasing columns, as the rows are prepared */
		for (size_t j = 0; j < PER; j++) {
			col[i * PER + j] = (uint32_t)(j * (BM / PER) +
			    (size_t)(rnd(&s) + 1) * (BM / PER / 2 - 1) / 2);
			v[i * PER + j] = rnd(&s);
		}
		off[i + 1] = (i + 1) * PER;
		y[i] = (i * 7) % BK;
	}
	for (size_t j = 0; j < nth; j++)
		th[j] = rnd(&s) / 10;
	f1 = tl_sparselin_objective(u, BN, BD, off, col, v, BM, y, BK, 0.7,
	    th, g1, 1);
	T_CHECK(isfinite(f1));
	for (size_t t = 2; t <= 4; t++) {
		f = tl_sparselin_objective(u, BN, BD, off, col, v, BM, y, BK,
		    0.7, th, g, t);
		T_CHECK(f == f1 && memcmp(g, g1, nth * sizeof(double)) == 0);
	}
	T_CHECK(tl_sparselin_objective(u, BN, BD, off, col, v, BM, y, BK, 0.7,
	    th, NULL, 2) == f1);
	/* a dense weight, sparse weights of both ends and a bias */
	for (size_t j = 0; j < nth; j += nth / 7) {
		double t = th[j], fp, fm;

		th[j] = t + h;
		fp = tl_sparselin_objective(u, BN, BD, off, col, v, BM, y, BK,
		    0.7, th, NULL, 2);
		th[j] = t - h;
		fm = tl_sparselin_objective(u, BN, BD, off, col, v, BM, y, BK,
		    0.7, th, NULL, 2);
		th[j] = t;
		T_NEAR((fp - fm) / (2 * h), g1[j], 1e-7);
	}
	free(off);
	free(y);
	free(col);
	free(u);
	free(v);
	free(th);
	free(g1);
	free(g);
}

/* The dense parts of six records of two values. */
static const float x6[6 * 2] = { 1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.8f, 0.5f,
    0.5f, 0.4f, 0.6f };

/* S saved to memory and loaded back as a model; *BUF holds its bytes
 * (the caller frees it and the model). */
static struct tl_model *
saved(const struct tl_sparselin *s, const struct tl_linear_opts *o,
    const struct tl_linear_report *r, char **buf)
{
	json_t *meta = tl_sparselin_meta(s, o, r, "", NULL, 0);
	FILE *f;
	char digest[65];
	struct tl_err e;
	size_t len;

	f = open_memstream(buf, &len);
	T_CHECK(tl_sparselin_save(s, meta, f, digest, &e) == 0);
	fclose(f);
	json_decref(meta);
	return tl_model_load_mem(*buf, len, &e);
}

/* S saved with its description's KEY (in its "sparse" object when SPARSE)
 * set to V: the load fails with a message holding WHY. */
static int
lying(const struct tl_sparselin *s, const struct tl_linear_opts *o,
    const struct tl_linear_report *r, int sparse, const char *key,
    json_int_t v, const char *why)
{
	json_t *meta = tl_sparselin_meta(s, o, r, "", NULL, 0);
	struct tl_sparselin s2;
	struct tl_model *m;
	struct tl_err e;
	char digest[65], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ok;

	json_object_set_new(sparse ? json_object_get(meta, "sparse") : meta,
	    key, json_integer(v));
	T_CHECK(tl_sparselin_save(s, meta, f, digest, &e) == 0);
	fclose(f);
	json_decref(meta);
	T_CHECK((m = tl_model_load_mem(buf, len, &e)) != NULL);
	ok = tl_sparselin_load(m, &s2, &e) == -1 && strstr(e.msg, why);
	if (!ok)
		fprintf(stderr, "%s = %lld: %s\n", key, (long long)v, e.msg);
	tl_model_free(m);
	free(buf);
	return ok;
}

/* Fit on a tiny separable-ish set; save, load, same probabilities. */
static void
test_fit_save_load(void)
{
	const float *x = x6;
	static const size_t off[7] = { 0, 1, 2, 3, 4, 5, 6 }, y[6] = { 0, 0,
	    1, 1, 0, 1 };
	static const uint32_t idx[6] = { 10, 10, 20, 20, 10, 30 };
	static const float val[6] = { 1, 1, 1, 1, 1, 1 };
	char *classes[2] = { "a", "b" }, *buf;
	struct tl_sparse_data D6 = { x, 6, 2, off, idx, val, 100, y, NULL, 0 };
	struct tl_sparse_opts so = { 1, 2, 1 };
	struct tl_linear_opts o;
	struct tl_linear_report r;
	struct tl_sparselin s, s2;
	struct tl_model *m;
	struct tl_err e;
	float p[2], q[2];

	tl_linear_opts_init(&o);
	T_CHECK(tl_sparselin_fit(&s, &D6, classes, 2, &so, &o, &r, &e) == 0);
	T_CHECK(s.m == 2 && s.col[0] == 10 && s.col[1] == 20);	/* df >= 2 */
	T_NEAR(s.idf[0], log(7.0 / 4) + 1, 1e-6);
	T_CHECK(r.accuracy == 1 && r.status == TL_LBFGS_CONVERGED);
	T_CHECK((m = saved(&s, &o, &r, &buf)) != NULL);
	T_CHECK(tl_sparselin_load(m, &s2, &e) == 0);
	tl_sparselin_proba(&s, x, 1, idx, val, p);
	tl_sparselin_proba(&s2, x, 1, idx, val, q);
	T_CHECK(p[0] == q[0] && p[1] == q[1] && p[0] > 0.5f);
	/* an unknown bucket counts for nothing */
	tl_sparselin_proba(&s2, x + 4, 1, idx + 5, val, q);
	tl_sparselin_proba(&s2, x + 4, 0, NULL, NULL, p);
	T_CHECK(p[0] == q[0]);
	/* sizes the tensors do not have are refused before anything is
	 * allocated for them (2^62 inputs of 2 classes overflow the size of
	 * the weights: the sanitizer build would abort on the calloc) */
	T_CHECK(lying(&s, &o, &r, 0, "input_dim", (json_int_t)1 << 62,
	    "tensor weight: shape [2,2], expected [2,4611686018427387904]"));
	T_CHECK(lying(&s, &o, &r, 1, "columns", 7, "tensor sparse.weight: "
	    "shape [2,2], expected [2,7]"));
	tl_sparselin_free(&s);
	tl_sparselin_free(&s2);
	tl_model_free(m);
	free(buf);
	/* no bucket in two rows: no columns, and still a model */
	D6.idx = (const uint32_t[]){ 1, 2, 3, 4, 5, 6 };
	T_CHECK(tl_sparselin_fit(&s, &D6, classes, 2, &so, &o, &r, &e) == 0 &&
	    s.m == 0);
	T_CHECK((m = saved(&s, &o, &r, &buf)) != NULL &&
	    tl_sparselin_load(m, &s2, &e) == 0 && s2.m == 0);
	tl_sparselin_free(&s);
	tl_sparselin_free(&s2);
	tl_model_free(m);
	free(buf);
	/* other kinds and options are refused */
	o.kind = TL_LINEAR_LOGISTIC;
	T_CHECK(tl_sparselin_fit(&s, &D6, classes, 2, &so, &o, &r, &e) == -1);
}

/* Without IDF every column weighs 1, the description says "none", and a
 * loaded model says so too; the columns are the same as with IDF.  With
 * min_df 1 a bucket of one row is a column too. */
static void
test_no_idf(void)
{
	static const float x[4 * 2] = { 1, 0, 0.9f, 0.1f, 0, 1, 0.1f, 0.8f };
	static const size_t off[5] = { 0, 2, 3, 5, 6 }, y[4] = { 0, 0, 1,
	    1 };
	static const uint32_t idx[6] = { 10, 20, 10, 20, 30, 20 };
	static const float val[6] = { 1, 1.5f, 1, 1, 1, 1 };
	struct tl_sparse_data D4 = { x, 4, 2, off, idx, val, 100, y, NULL, 0 };
	struct tl_sparse_opts so = { 1, 2, 1 }, none = { 1, 2, 0 },
	    once = { 1, 1, 1 };
	char *classes[2] = { "a", "b" }, *buf;
	struct tl_linear_opts o;
	struct tl_linear_report r;
	struct tl_sparselin s, s2;
	struct tl_model *m;
	struct tl_err e;
	json_t *meta;

	tl_linear_opts_init(&o);
	T_CHECK(tl_sparselin_fit(&s, &D4, classes, 2, &so, &o, &r, &e) == 0);
	T_CHECK(s.m == 2 && s.smooth_idf == 1);
	T_NEAR(s.idf[1], log(5.0 / 4) + 1, 1e-6);	/* bucket 20: df 3 */
	tl_sparselin_free(&s);
	T_CHECK(tl_sparselin_fit(&s, &D4, classes, 2, &once, &o, &r, &e) == 0);
	T_CHECK(s.m == 3 && s.col[2] == 30 && s.min_df == 1);
	T_NEAR(s.idf[2], log(5.0 / 2) + 1, 1e-6);
	tl_sparselin_free(&s);
	T_CHECK(tl_sparselin_fit(&s, &D4, classes, 2, &none, &o, &r, &e) == 0);
	T_CHECK(s.m == 2 && s.col[0] == 10 && s.col[1] == 20 &&
	    s.smooth_idf == 0 && s.idf[0] == 1 && s.idf[1] == 1);
	meta = tl_sparselin_meta(&s, &o, &r, "", NULL, 0);
	T_CHECK(strcmp(json_string_value(json_object_get(json_object_get(
	    meta, "sparse"), "idf")), "none") == 0);
	json_decref(meta);
	T_CHECK((m = saved(&s, &o, &r, &buf)) != NULL &&
	    tl_sparselin_load(m, &s2, &e) == 0 && s2.smooth_idf == 0 &&
	    s2.idf[0] == 1 && s2.idf[1] == 1);
	tl_sparselin_free(&s);
	tl_sparselin_free(&s2);
	tl_model_free(m);
	free(buf);
}

#define NB_MAX 4000

/* The probabilities of a record of NB <= NB_MAX pairs (buckets 0 to
 * NB - 1) under S (at most 8 classes and dense values), against the
 * model's formula in double with WS the sparse weights as the file has
 * them (k x m). */
static void
long_record(const struct tl_sparselin *s, const float *ws, uint32_t nb)
{
	static const float x[8] = { 0.3f, 0.7f, -0.2f, 1.1f, 0.05f, -0.9f,
	    0.4f, 2.0f };
	static uint32_t idx[NB_MAX];
	static float val[NB_MAX];
	static double v[NB_MAX];
	float p[8];
	double z[8], ss = 0, mx = -INFINITY, se = 0;
	size_t K = s->k, d = s->d;

	T_CHECK(K <= 8 && d <= 8 && nb <= NB_MAX && s->m <= NB_MAX);
	for (uint32_t j = 0; j < nb; j++) {
		idx[j] = j;
		val[j] = 1 + (float)(j % 7) / 4;
	}
	for (size_t c = 0; c < s->m; c++) {
		v[c] = s->col[c] < nb ? val[s->col[c]] * (double)s->idf[c] : 0;
		ss += v[c] * v[c];
	}
	for (size_t k = 0; k < K; k++) {
		z[k] = s->b[k];
		for (size_t j = 0; j < d; j++)
			z[k] += s->w[k * d + j] * ((x[j] - (double)s->mean[j]) /
			    s->scale[j]);
		for (size_t c = 0; c < s->m; c++)
			z[k] += ws[k * s->m + c] * v[c] / sqrt(ss);
		mx = z[k] > mx ? z[k] : mx;
	}
	for (size_t k = 0; k < K; k++)
		se += exp(z[k] - mx);
	tl_sparselin_proba(s, x, nb, idx, val, p);
	for (size_t k = 0; k < K; k++)
		T_NEAR(p[k], exp(z[k] - mx) / se, 1e-6);
}

/* Three classes: the file keeps sparse.weight as [k, m], whatever the
 * layout in memory, and a block of records gets the probabilities each
 * gets alone, bit for bit, unknown buckets and empty sparse parts too. */
static void
test_layout_and_rows(void)
{
	const float *x = x6;
	static const size_t off[7] = { 0, 2, 3, 5, 6, 6, 8 }, y[6] = { 0, 1,
	    2, 0, 1, 2 };
	static const uint32_t idx[8] = { 10, 20, 20, 10, 150, 150, 20, 99 };
	static const float val[8] = { 1, 2, 1, 1.5f, 1, 1, 1, 1 };
	char *classes[3] = { "a", "b", "c" }, *buf;
	struct tl_sparse_data D3 = { x, 6, 2, off, idx, val, 1000, y, NULL,
	    0 };
	struct tl_sparse_opts so = { 1, 2, 1 };
	struct tl_linear_opts o;
	struct tl_linear_report r;
	struct tl_sparselin s, s2;
	const struct tl_tensor *t;
	struct tl_model *m;
	struct tl_err e;
	float p[6 * 3], q[3];
	int same = 1;

	tl_linear_opts_init(&o);
	T_CHECK(tl_sparselin_fit(&s, &D3, classes, 3, &so, &o, &r, &e) == 0);
	T_CHECK(s.k == 3 && s.m == 3);
	T_CHECK((m = saved(&s, &o, &r, &buf)) != NULL);
	t = tl_model_tensor(m, "sparse.weight");
	T_CHECK(t != NULL && t->ndim == 2 && t->shape[0] == 3 &&
	    t->shape[1] == 3);
	for (size_t c = 0; t != NULL && c < 3; c++)
		for (size_t j = 0; j < 3; j++)
			same &= ((const float *)t->data)[c * 3 + j] ==
			    s.ws[j * 8 + c]	/* rows padded to 8 */;
	T_CHECK(same);
	T_CHECK(tl_sparselin_load(m, &s2, &e) == 0);
	tl_sparselin_proba_rows(&s2, x, 6, off, idx, val, p);
	for (size_t i = 0; i < 6; i++) {
		tl_sparselin_proba(&s, x + 2 * i, off[i + 1] - off[i],
		    idx + off[i], val + off[i], q);
		same &= memcmp(q, p + 3 * i, sizeof(q)) == 0;
	}
	T_CHECK(same);
	/* a record of 200 pairs, a column among the last: the formula */
	T_CHECK(t != NULL && s.m == 3 && s.col[2] == 150);
	if (t != NULL)
		long_record(&s, (const float *)t->data, 200);
	/* no sparse part at all: the records' dense scores alone */
	tl_sparselin_proba_rows(&s2, x, 6, NULL, NULL, NULL, p);
	for (size_t i = 0; i < 6; i++) {
		tl_sparselin_proba(&s, x + 2 * i, 0, NULL, NULL, q);
		same &= memcmp(q, p + 3 * i, sizeof(q)) == 0;
	}
	T_CHECK(same);
	tl_sparselin_free(&s);
	tl_sparselin_free(&s2);
	tl_model_free(m);
	free(buf);
}

/* A share of S (tl_sparselin_share: another thread's scorer) gives S's
 * probabilities, bit for bit, with buffers of its own, for the N records
 * X, OFF, IDX, VAL; releasing it leaves S whole. */
static void
same_share(const struct tl_sparselin *s, const float *x, size_t n,
    const size_t *off, const uint32_t *idx, const float *val)
{
	float *p = calloc(n * s->k, sizeof(float)), *q = calloc(n * s->k,
	    sizeof(float));
	struct tl_sparselin t;

	T_CHECK(p != NULL && q != NULL && tl_sparselin_share(s, &t) == 0);
	T_CHECK(t.su != s->su && t.scol != s->scol && t.ws == s->ws);
	tl_sparselin_proba_rows(&t, x, n, off, idx, val, q);
	tl_sparselin_unshare(&t);
	tl_sparselin_proba_rows(s, x, n, off, idx, val, p);
	T_CHECK(memcmp(p, q, n * s->k * sizeof(float)) == 0);
	free(p);
	free(q);
}

/* Hundreds of columns among 3000 buckets, most buckets of a record
 * without a column: each bucket finds its own column's weights. */
static void
many_columns(size_t K, size_t d)
{
	enum { n = 400, per = 12, nb = 3000 };
	static float x[n * 8];
	static size_t off[n + 1], y[n];
	static uint32_t idx[n * per];
	static float val[n * per];
	char *classes[8] = { "a", "b", "c", "d", "e", "f", "g", "h" }, *buf;
	struct tl_sparse_data Dm = { x, n, d, off, idx, val, 5000, y, NULL,
	    0 };
	struct tl_sparse_opts so = { 1, 2, 1 };
	struct tl_linear_opts o;
	struct tl_linear_report r;
	struct tl_sparselin s;
	struct tl_model *m;
	struct tl_err e;
	unsigned seed = 11;

	for (size_t i = 0; i < n; i++) {
		uint32_t b = (uint32_t)((rnd(&seed) + 1) * 100);

		for (size_t j = 0; j < d; j++)
			x[d * i + j] = (float)rnd(&seed);
		y[i] = i % K;
		off[i + 1] = off[i] + per;
		for (size_t j = 0; j < per; j++) {	/* increasing, < nb */
			b += 1 + (uint32_t)((rnd(&seed) + 1) * 116);
			idx[i * per + j] = b;
			val[i * per + j] = 1;
		}
	}
	tl_linear_opts_init(&o);
	T_CHECK(K <= 8 && d <= 8 &&
	    tl_sparselin_fit(&s, &Dm, classes, K, &so, &o, &r, &e) == 0);
	T_CHECK(s.m > 300 && s.m < nb);
	T_CHECK((m = saved(&s, &o, &r, &buf)) != NULL);
	if (m != NULL && tl_model_tensor(m, "sparse.weight") != NULL)
		long_record(&s, tl_model_tensor(m, "sparse.weight")->data, nb);
	same_share(&s, x, n, off, idx, val);
	tl_sparselin_free(&s);
	tl_model_free(m);
	free(buf);
}

/* With 3 classes and 2 dense values, and with 6 and 7, which scoring
 * takes partly four at a time. */
static void
test_many_columns(void)
{
	many_columns(3, 2);
	many_columns(6, 7);
}

int
main(void)
{
	T_RUN(test_gradient_multinomial);
	T_RUN(test_gradient_binary);
	T_RUN(test_threads_same_bits);
	T_RUN(test_fit_save_load);
	T_RUN(test_no_idf);
	T_RUN(test_layout_and_rows);
	T_RUN(test_many_columns);
	return t_done();
}
