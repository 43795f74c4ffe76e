/*
 * Unit tests of what tl-train does beyond plain softmax: the objective with
 * row weights, a penalty centre and binary targets (gradient against
 * central differences), the exact ridge solution (its gradient is zero;
 * the Cholesky solver on a known system), one-vs-rest and multi-label
 * fits at their optimum, stratified and seeded cross-validation folds with
 * out-of-fold outputs equal to a model fitted without the fold, stored
 * standardisation through a save/load round trip, and --init: a tiny C
 * keeps the received model's predictions, a large C adapts them, new
 * classes are added.  Data are pseudo-random from a fixed seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "linear.h"
#include "model.h"
#include "ridge.h"
#include "t.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static double
uniform(void)
{
	return ((tl_rng_next(&rng) >> 11) + 0.5) / 9007199254740992.0;
}

static double
gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

/* N rows of D features around K class centres (shifted by SHIFT), labels
 * in Y (class i % k, or unbalanced when UNBAL). */
static void
make_data(float *x, size_t *y, size_t n, size_t d, size_t k, double spread,
    double shift)
{
	for (size_t i = 0; i < n; i++) {
		y[i] = i % k;
		for (size_t j = 0; j < d; j++)
			x[i * d + j] = (float)(spread * gauss() + shift +
			    (j % k == y[i] ? 1.0 : 0.0));
	}
}

/* Central differences of tl_linear_objective_ex against its gradient. */
static void
gradient_check_ex(size_t k, int binary_t, int weights, int centre)
{
	enum { N = 30, D = 4, L = 4 * D + 4 };
	double x[N * D], th[L], g[L], gp[L], w0[L], sw[N], fp, fm;
	size_t y[N], len = binary_t || k == 2 ? D + 1 : k * D + k;
	unsigned char t[N];
	const double h = 1e-5, C = 0.7;

	for (size_t i = 0; i < N; i++) {
		y[i] = i % k;
		t[i] = (i % 3) == 0;
		sw[i] = 0.1 + 2 * uniform();
		for (size_t j = 0; j < D; j++)
			x[i * D + j] = gauss();
	}
	for (size_t j = 0; j < L; j++) {
		th[j] = 0.5 * gauss();
		w0[j] = gauss();
	}
#define OBJ(grad) tl_linear_objective_ex(x, N, D, y, binary_t ? t : NULL, \
	    weights ? sw : NULL, centre ? w0 : NULL, centre ? w0 + 1 : NULL, \
	    k, C, th, grad)
	T_CHECK(isfinite(OBJ(g)));
	for (size_t j = 0; j < len; j++) {
		double keep = th[j];

		th[j] = keep + h;
		fp = OBJ(gp);
		th[j] = keep - h;
		fm = OBJ(gp);
		th[j] = keep;
		T_NEAR(g[j], (fp - fm) / (2 * h), 1e-7);
	}
#undef OBJ
}

static void
gradients(void)
{
	gradient_check_ex(3, 0, 1, 0);	/* softmax, row weights */
	gradient_check_ex(4, 0, 1, 1);	/* softmax, weights, centre */
	gradient_check_ex(2, 0, 0, 1);	/* binary, centre */
	gradient_check_ex(3, 1, 1, 1);	/* one-vs-rest model: targets t */
}

static void
cholesky(void)
{
	/* A = [4 2 0; 2 5 1; 0 1 3], x = [1 -1 2] -> b = A x */
	double a[9] = { 4, 2, 0, 2, 5, 1, 0, 1, 3 }, b[3] = { 2, -1, 5 };
	double bad[4] = { 1, 2, 2, 1 }, rb[2] = { 1, 1 };

	T_CHECK(tl_cholesky_solve(a, 3, b) == 0);
	T_NEAR(b[0], 1, 1e-12);
	T_NEAR(b[1], -1, 1e-12);
	T_NEAR(b[2], 2, 1e-12);
	T_CHECK(tl_cholesky_solve(bad, 2, rb) == -1);	/* indefinite */
}

/* tl_ridge_solve with the intercept pulled to B0 (--l2-to-init), row
 * weights and features far from zero mean: the gradient of the whole
 * objective, the intercept's pull included, is zero at the solution (the
 * pull's rank-one term needs its diagonal). */
static void
ridge_pulled_optimum(void)
{
	enum { N = 40, D = 3 };
	double x[N * D], xs[N * D], y[N], sw[N], w0[D] = { 1, -1, 0.5 };
	double w[D], b, b0 = 2, g[D + 1], r, C = 0.05;
	const double mean[D] = { 5, -3, 2 };
	struct tl_err e;

	for (size_t i = 0; i < N; i++) {
		for (size_t j = 0; j < D; j++)
			x[i * D + j] = mean[j] + gauss();
		y[i] = x[i * D] - 2 * x[i * D + 1] + 3 + 0.5 * gauss();
		sw[i] = 0.2 + 2.8 * uniform();
	}
	memcpy(xs, x, sizeof(x));
	T_CHECK(tl_ridge_solve(xs, N, D, y, sw, C, NULL, w0, &b0, w, &b,
	    &e) == 0);
	for (size_t j = 0; j < D; j++)
		g[j] = w[j] - w0[j];
	g[D] = b - b0;
	for (size_t i = 0; i < N; i++) {
		r = y[i] - b;
		for (size_t j = 0; j < D; j++)
			r -= w[j] * x[i * D + j];
		for (size_t j = 0; j < D; j++)
			g[j] -= 2 * C * sw[i] * r * x[i * D + j];
		g[D] -= 2 * C * sw[i] * r;
	}
	for (size_t j = 0; j <= D; j++)
		T_NEAR(g[j], 0, 1e-9);
}

/* The ridge objective's gradient at the solution is zero, in the raw
 * coordinates of the stored float weights (up to float rounding). */
static void
ridge_optimum(void)
{
	enum { N = 80, D = 5 };
	float x[N * D];
	double v[N], sw[N], g[D + 1], C = 3, r, ymax = 0;
	size_t y[N];
	char *name[1] = { "value" };
	struct tl_linear lin;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_linear_data data;
	struct tl_err e;

	make_data(x, y, N, D, 3, 2, 3);
	for (size_t i = 0; i < N; i++) {
		v[i] = 2 * x[i * D] - x[i * D + 3] + 0.3 * gauss() + 7;
		sw[i] = 0.5 + uniform();
		ymax = fmax(ymax, fabs(v[i]));
	}
	data = (struct tl_linear_data){ x, N, D, NULL, NULL, v, sw };
	tl_linear_opts_init(&o);
	o.kind = TL_LINEAR_RIDGE;
	o.C = C;
	T_CHECK(tl_linear_fit(&lin, &data, name, 1, &o, &rep, &e) == 0);
	T_CHECK(lin.k == 1 && rep.accuracy > 0.5 && rep.accuracy <= 1);
	/* d/dw: w - 2C sum sw r x; d/db: -2C sum sw r */
	for (size_t j = 0; j <= D; j++)
		g[j] = j < D ? lin.w[j] : 0;
	for (size_t i = 0; i < N; i++) {
		r = v[i] - lin.b[0];
		for (size_t j = 0; j < D; j++)
			r -= (double)lin.w[j] * x[i * D + j];
		for (size_t j = 0; j < D; j++)
			g[j] -= 2 * C * sw[i] * r * x[i * D + j];
		g[D] -= 2 * C * sw[i] * r;
	}
	for (size_t j = 0; j <= D; j++)
		T_NEAR(g[j] / (2 * C * N * ymax), 0, 1e-5);
	/* l2-to-init with a huge pull keeps the init weights */
	o.init = &lin;
	o.l2_to_init = 1;
	o.C = 1e-9;
	{
		struct tl_linear lin2;

		T_CHECK(tl_linear_fit(&lin2, &data, name, 1, &o, &rep,
		    &e) == 0);
		for (size_t j = 0; j < D; j++)
			T_NEAR(lin2.w[j], lin.w[j], 1e-4);
		T_NEAR(lin2.b[0], lin.b[0], 1e-3);	/* the intercept too */
		tl_linear_free(&lin2);
	}
	tl_linear_free(&lin);
}

/* One-vs-rest: every binary model is at its optimum; multi-label rows. */
static void
ovr_optimum(void)
{
	enum { N = 120, D = 4, K = 3 };
	float x[N * D];
	double xd[N * D], th[D + 1], g[D + 1];
	size_t y[N];
	unsigned char t[N * K], tc[N];
	char *names[K] = { "a", "b", "c" };
	struct tl_linear lin;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_linear_data data;
	struct tl_err e;
	float p[K];

	make_data(x, y, N, D, K, 1.0, 0);
	for (size_t i = 0; i < N * D; i++)
		xd[i] = x[i];
	for (size_t i = 0; i < N; i++)
		for (size_t c = 0; c < K; c++)
			t[i * K + c] = y[i] == c || (c == 2 && x[i * D] > 0.8);
	data = (struct tl_linear_data){ x, N, D, NULL, t, NULL, NULL };
	tl_linear_opts_init(&o);
	o.kind = TL_LINEAR_LOGISTIC;
	o.tol = 1e-10;
	T_CHECK(tl_linear_fit(&lin, &data, names, K, &o, &rep, &e) == 0);
	T_CHECK(lin.multilabel == 1 && lin.kind == TL_LINEAR_LOGISTIC);
	for (size_t c = 0; c < K; c++) {
		double gn = 0;

		for (size_t i = 0; i < N; i++)
			tc[i] = t[i * K + c];
		for (size_t j = 0; j < D; j++)
			th[j] = lin.w[c * D + j];
		th[D] = lin.b[c];
		tl_linear_objective_ex(xd, N, D, NULL, tc, NULL, NULL, NULL, 2,
		    1, th, g);
		for (size_t j = 0; j <= D; j++)
			gn = fmax(gn, fabs(g[j]));
		T_NEAR(gn, 0, 1e-6);
	}
	/* independent sigmoids: they need not sum to 1 */
	tl_linear_proba(&lin, x, 1, p);
	for (size_t c = 0; c < K; c++) {
		double z = lin.b[c];

		for (size_t j = 0; j < D; j++)
			z += (double)lin.w[c * D + j] * x[j];
		T_NEAR(p[c], 1 / (1 + exp(-z)), 1e-6);
	}
	tl_linear_free(&lin);
}

/* Folds: each class spread evenly (floor or ceil of n_c / K per fold),
 * the same for the same seed, different for another. */
static void
folds_stratified(void)
{
	enum { N = 103, K = 5, C = 4 };
	size_t y[N], f[N], f2[N], f3[N], cnt[C][K], sizes[K];
	size_t nc[C] = { 0 }, differ = 0;
	struct tl_err e;

	for (size_t i = 0; i < N; i++) {
		y[i] = i < 50 ? 0 : i < 80 ? 1 : i < 97 ? 2 : 3;
		nc[y[i]]++;
	}
	T_CHECK(tl_cv_folds(y, N, K, 42, f, &e) == 0);
	T_CHECK(tl_cv_folds(y, N, K, 42, f2, &e) == 0);
	T_CHECK(tl_cv_folds(y, N, K, 43, f3, &e) == 0);
	memset(cnt, 0, sizeof(cnt));
	memset(sizes, 0, sizeof(sizes));
	for (size_t i = 0; i < N; i++) {
		T_CHECK(f[i] < K && f[i] == f2[i]);
		cnt[y[i]][f[i]]++;
		sizes[f[i]]++;
		differ += f[i] != f3[i];
	}
	for (size_t c = 0; c < C; c++)
		for (size_t k = 0; k < K; k++)
			T_CHECK(cnt[c][k] == nc[c] / K ||
			    cnt[c][k] == (nc[c] + K - 1) / K);
	for (size_t k = 0; k < K; k++)
		T_CHECK(sizes[k] == N / K || sizes[k] == N / K + 1);
	T_CHECK(differ > N / 2);
	T_CHECK(tl_cv_folds(y, 3, 5, 1, f, &e) == -1);	/* folds > rows */
	T_CHECK(tl_cv_folds(y, 3, 1, 1, f, &e) == -1);
}

/* Out-of-fold outputs equal those of a model fitted without the fold. */
static void
cv_oof(void)
{
	enum { N = 90, D = 3, K = 3, F = 3 };
	float x[N * D], xs[N * D], oof[N * K], p[K];
	size_t y[N], ys[N], fold[N], m = 0;
	char *names[K] = { "a", "b", "c" };
	struct tl_linear_score sc[F];
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_linear_data data;
	struct tl_linear lin;
	struct tl_err e;

	make_data(x, y, N, D, K, 1.2, 0);
	data = (struct tl_linear_data){ x, N, D, y, NULL, NULL, NULL };
	tl_linear_opts_init(&o);
	T_CHECK(tl_cv_folds(y, N, F, 7, fold, &e) == 0);
	T_CHECK(tl_cv_linear(&data, names, K, &o, fold, F, sc, oof, NULL,
	    &e) == 0);
	for (size_t f = 0; f < F; f++)
		T_CHECK(sc[f].accuracy > 0.4 && sc[f].logloss > 0 &&
		    sc[f].logloss < 1.1);
	for (size_t i = 0; i < N; i++)
		if (fold[i] != 1) {
			memcpy(xs + m * D, x + i * D, D * sizeof(float));
			ys[m++] = y[i];
		}
	T_CHECK(tl_linear_train(&lin, xs, m, D, ys, names, K, &o, &rep,
	    &e) == 0);
	for (size_t i = 0; i < N; i++)
		if (fold[i] == 1) {
			tl_linear_proba(&lin, x + i * D, 1, p);
			for (size_t c = 0; c < K; c++)
				T_CHECK(p[c] == oof[i * K + c]);
		}
	tl_linear_free(&lin);
}

/* A model saved with --standardize loads with the same outputs, which
 * are those of the weights applied to (x - mean) / scale. */
static void
standardize_roundtrip(void)
{
	enum { N = 60, D = 3, K = 3 };
	float x[N * D], p[K], q[K];
	size_t y[N], len = 0;
	char *names[K] = { "a", "b", "c" }, *buf = NULL, dg[65];
	struct tl_linear lin, lin2;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_model *m;
	struct tl_err e;
	json_t *meta;
	FILE *f;

	make_data(x, y, N, D, K, 1.0, 50);
	for (size_t i = 0; i < N; i++)
		x[i * D + 1] *= 1000;
	tl_linear_opts_init(&o);
	o.standardize = 1;
	T_CHECK(tl_linear_train(&lin, x, N, D, y, names, K, &o, &rep,
	    &e) == 0);
	T_CHECK(lin.mean != NULL && lin.scale[1] > 100);
	meta = tl_linear_meta(&lin, &o, &rep, NULL, NULL, 0);
	f = open_memstream(&buf, &len);
	T_CHECK(tl_linear_save(&lin, meta, f, dg, &e) == 0);
	fclose(f);
	json_decref(meta);
	T_CHECK((m = tl_model_load_mem(buf, len, &e)) != NULL);
	T_CHECK(m != NULL && tl_linear_load(m, &lin2, &e) == 0);
	for (size_t i = 0; m != NULL && i < N; i += 7) {
		double z[K], mx = -INFINITY, s = 0;

		tl_linear_proba(&lin, x + i * D, 1, p);
		tl_linear_proba(&lin2, x + i * D, 1, q);
		for (size_t c = 0; c < K; c++) {
			z[c] = lin.b[c];
			for (size_t j = 0; j < D; j++)
				z[c] += (double)lin.w[c * D + j] *
				    ((x[i * D + j] - lin.mean[j]) /
				    lin.scale[j]);
			mx = fmax(mx, z[c]);
		}
		for (size_t c = 0; c < K; c++)
			s += exp(z[c] - mx);
		for (size_t c = 0; c < K; c++) {
			T_CHECK(p[c] == q[c]);
			T_NEAR(p[c], exp(z[c] - mx) / s, 1e-5);
		}
	}
	if (m != NULL)
		tl_linear_free(&lin2);
	tl_model_free(m);
	tl_linear_free(&lin);
	free(buf);
}

/* Largest |p - q| over N rows of K outputs of two models. */
static double
max_diff(const struct tl_linear *a, const struct tl_linear *b,
    const float *x, size_t n)
{
	float p[8], q[8];
	double m = 0;

	for (size_t i = 0; i < n; i++) {
		tl_linear_proba(a, x + i * a->d, 1, p);
		tl_linear_proba(b, x + i * b->d, 1, q);
		for (size_t c = 0; c < a->k; c++)
			m = fmax(m, fabs(p[c] - q[c]));
	}
	return m;
}

/* --init --l2-to-init: a tiny C on new data (labels flipped) keeps the
 * received model's predictions nearly unchanged; a large C adapts. */
static void
init_transfer(void)
{
	enum { N = 150, M = 30, D = 4, K = 3 };
	float x[N * D], xn[M * D];
	size_t y[N], yn[M];
	char *names[K] = { "a", "b", "c" };
	struct tl_linear base, tiny, large, warm;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_err e;
	size_t agree = 0, agree_base = 0;
	float p[K];

	make_data(x, y, N, D, K, 1.0, 0);
	make_data(xn, yn, M, D, K, 1.0, 0);
	for (size_t i = 0; i < M; i++)
		yn[i] = (yn[i] + 1) % K;	/* the new party disagrees */
	tl_linear_opts_init(&o);
	T_CHECK(tl_linear_train(&base, x, N, D, y, names, K, &o, &rep,
	    &e) == 0);
	o.init = &base;
	o.l2_to_init = 1;
	o.C = 1e-4;
	T_CHECK(tl_linear_train(&tiny, xn, M, D, yn, names, K, &o, &rep,
	    &e) == 0);
	o.C = 100;
	T_CHECK(tl_linear_train(&large, xn, M, D, yn, names, K, &o, &rep,
	    &e) == 0);
	T_CHECK(max_diff(&base, &tiny, x, N) < 0.01);
	T_CHECK(max_diff(&base, &large, x, N) > 0.3);
	/* the adapted model follows the new labels, the received one not */
	for (size_t i = 0; i < M; i++) {
		tl_linear_proba(&large, xn + i * D, 1, p);
		agree += tl_linear_argmax(p, K) == yn[i];
		tl_linear_proba(&base, xn + i * D, 1, p);
		agree_base += tl_linear_argmax(p, K) == yn[i];
	}
	T_CHECK(agree >= agree_base + M / 4);
	/* warm start without the pull converges to the plain optimum */
	o.l2_to_init = 0;
	o.C = 1;
	o.tol = 1e-10;
	T_CHECK(tl_linear_train(&warm, xn, M, D, yn, names, K, &o, &rep,
	    &e) == 0);
	o.init = NULL;
	tl_linear_free(&tiny);
	T_CHECK(tl_linear_train(&tiny, xn, M, D, yn, names, K, &o, &rep,
	    &e) == 0);
	T_CHECK(max_diff(&warm, &tiny, xn, M) < 1e-4);
	tl_linear_free(&base);
	tl_linear_free(&tiny);
	tl_linear_free(&large);
	tl_linear_free(&warm);
}

/* New classes: the shared rows start from the received model; with a
 * strong pull they stay, the new class is learnt. */
static void
init_new_class(void)
{
	enum { N = 120, D = 4 };
	float x[N * D];
	size_t y[N], y2[N];
	char *two[2] = { "a", "b" }, *three[3] = { "a", "b", "c" };
	struct tl_linear base, grown;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_err e;

	make_data(x, y, N, D, 3, 0.5, 0);
	for (size_t i = 0; i < N; i++)
		y2[i] = y[i] == 2 ? 0 : y[i];
	tl_linear_opts_init(&o);
	T_CHECK(tl_linear_train(&base, x, N, D, y2, two, 2, &o, &rep,
	    &e) == 0);
	o.init = &base;
	o.l2_to_init = 1;
	T_CHECK(tl_linear_train(&grown, x, N, D, y, three, 3, &o, &rep,
	    &e) == 0);
	T_CHECK(grown.k == 3 && rep.accuracy > 0.8);
	tl_linear_free(&grown);
	/* wrong kind or dimension: refused */
	o.kind = TL_LINEAR_LOGISTIC;
	T_CHECK(tl_linear_train(&grown, x, N, D, y, three, 3, &o, &rep,
	    &e) == -1 && strstr(e.msg, "kind") != NULL);
	o.kind = TL_LINEAR_SOFTMAX;
	T_CHECK(tl_linear_train(&grown, x, N / 2, D / 2, y, three, 3, &o,
	    &rep, &e) == -1 && strstr(e.msg, "inputs") != NULL);
	tl_linear_free(&base);
}

/* Twenty correlated features (each a mix of the class signal and a
 * shared component), as word vectors are: the optimiser whitens them.
 * The gradient at the stored weights is ~0, for softmax, for
 * one-vs-rest with --standardize, and --init with a tiny C stays put
 * (the closer, the tinier). */
static void
whitened(void)
{
	enum { N = 300, D = 20, K = 4, L = K * D + K };
	static float x[N * D], x2[N * D];
	static double xd[N * D], th[L], g[L];
	size_t y[N];
	char *names[K] = { "a", "b", "c", "d" };
	struct tl_linear lin, ovr, tuned;
	struct tl_linear_opts o;
	struct tl_linear_report rep;
	struct tl_err e;
	double gn = 0, far;

	make_data(x, y, N, D, K, 1.0, 0);
	for (size_t i = 0; i < N; i++) {
		double common = 3 * gauss();

		for (size_t j = 0; j < D; j++) {
			x[i * D + j] += (float)(common + 0.1 * j * x[i * D]);
			xd[i * D + j] = x[i * D + j];
		}
	}
	tl_linear_opts_init(&o);
	o.tol = 1e-10;
	T_CHECK(tl_linear_train(&lin, x, N, D, y, names, K, &o, &rep,
	    &e) == 0);
	T_CHECK(rep.status == TL_LBFGS_CONVERGED ||
	    rep.status == TL_LBFGS_STALLED);
	for (size_t j = 0; j < K * D; j++)
		th[j] = lin.w[j];
	for (size_t c = 0; c < K; c++)
		th[K * D + c] = lin.b[c];
	tl_linear_objective(xd, N, D, y, K, 1, th, g);
	for (size_t j = 0; j < L; j++)
		gn = fmax(gn, fabs(g[j]));
	T_NEAR(gn, 0, 1e-6);
	/* one-vs-rest on standardised features: rows at their optimum */
	o.kind = TL_LINEAR_LOGISTIC;
	o.standardize = 1;
	T_CHECK(tl_linear_train(&ovr, x, N, D, y, names, K, &o, &rep,
	    &e) == 0);
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < D; j++)
			xd[i * D + j] = (x[i * D + j] - ovr.mean[j]) /
			    ovr.scale[j];
	for (size_t c = 0; c < K; c++) {
		unsigned char t[N];

		gn = 0;
		for (size_t i = 0; i < N; i++)
			t[i] = y[i] == c;
		for (size_t j = 0; j < D; j++)
			th[j] = ovr.w[c * D + j];
		th[D] = ovr.b[c];
		tl_linear_objective_ex(xd, N, D, NULL, t, NULL, NULL, NULL, 2,
		    1, th, g);
		for (size_t j = 0; j <= D; j++)
			gn = fmax(gn, fabs(g[j]));
		T_NEAR(gn, 0, 1e-5);
	}
	/* fine-tuning on other rows with a tiny C keeps the model */
	for (size_t i = 0; i < N * D; i++)
		x2[i] = x[i] + (float)(0.5 * gauss());
	o.kind = TL_LINEAR_SOFTMAX;
	o.standardize = 0;
	o.init = &lin;
	o.l2_to_init = 1;
	o.C = 1e-4;
	T_CHECK(tl_linear_train(&tuned, x2, N / 3, D, y, names, K, &o, &rep,
	    &e) == 0);
	far = max_diff(&lin, &tuned, x, N);
	tl_linear_free(&tuned);
	o.C = 1e-6;		/* features of size ~10: C must be smaller */
	T_CHECK(tl_linear_train(&tuned, x2, N / 3, D, y, names, K, &o, &rep,
	    &e) == 0);
	T_CHECK(max_diff(&lin, &tuned, x, N) < 0.01);
	T_CHECK(max_diff(&lin, &tuned, x, N) < far / 10);
	tl_linear_free(&lin);
	tl_linear_free(&ovr);
	tl_linear_free(&tuned);
}

int
main(void)
{
	T_RUN(gradients);
	T_RUN(cholesky);
	T_RUN(ridge_optimum);
	T_RUN(ovr_optimum);
	T_RUN(folds_stratified);
	T_RUN(cv_oof);
	T_RUN(standardize_roundtrip);
	T_RUN(init_transfer);
	T_RUN(init_new_class);
	T_RUN(whitened);
	T_RUN(ridge_pulled_optimum);	/* last: it draws from the shared generator */
	return t_done();
}
