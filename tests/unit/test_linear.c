/*
 * Unit tests of the softmax models (src/lib/linear.c): class discovery in
 * strcmp order, the objective's gradient against central finite
 * differences (binary and multinomial, C != 1), the gradient at the
 * trained optimum, the binary layout [0; w], probabilities and argmax,
 * determinism, the model file round trip with its load-time checks, and
 * the confusion matrix of eval.c (tl-predict --eval) with unknown labels;
 * training's single-precision objective against the double one (also on
 * huge logits), model bits that do not depend on the number of threads,
 * and the default stopping rule (tol 1e-4) against a tight one.
 * Data are pseudo-random from a fixed seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "eval.h"
#include "linear.h"
#include "model.h"
#include "t.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double
gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

/* N rows of D features around K class centres, labels in Y. */
static void
make_data(float *x, size_t *y, size_t n, size_t d, size_t k, double spread)
{
	for (size_t i = 0; i < n; i++) {
		y[i] = i % k;
		for (size_t j = 0; j < d; j++)
			x[i * d + j] = (float)(spread * gauss() +
			    (j % k == y[i] ? 1.0 : 0.0));
	}
}

static void
classes_sorted(void)
{
	const char *labels[] = { "pos", "neg", "neu", "neg", "B", "a",
	    "\xc3\xa9", "pos" };
	const char *want[] = { "B", "a", "neg", "neu", "pos", "\xc3\xa9" };
	size_t y[8], wanty[8] = { 4, 2, 3, 2, 0, 1, 5, 4 }, k;
	char **cl;
	struct tl_err e;

	T_CHECK(tl_linear_classes(labels, 8, &cl, &k, y, &e) == 0);
	T_CHECK(k == 6);
	for (size_t j = 0; j < k && j < 6; j++)
		T_CHECK(strcmp(cl[j], want[j]) == 0);
	for (size_t i = 0; i < 8; i++)
		T_CHECK(y[i] == wanty[i]);
	for (size_t j = 0; j < k; j++)
		free(cl[j]);
	free(cl);
}

/* Many classes (the table of distinct labels grows several times), in a
 * scrambled order, each on many rows: sorted, and every row mapped. */
static void
classes_many(void)
{
	static char names[300][8];
	const char *labels[3000];
	size_t y[3000], k;
	char **cl;
	struct tl_err e;

	for (size_t c = 0; c < 300; c++)
		snprintf(names[c], sizeof(names[c]), "c%03zu", c);
	for (size_t i = 0; i < 3000; i++)
		labels[i] = names[(i * 7919) % 300];
	T_CHECK(tl_linear_classes(labels, 3000, &cl, &k, y, &e) == 0);
	T_CHECK(k == 300);
	for (size_t j = 0; j < k; j++)
		T_CHECK(strcmp(cl[j], names[j]) == 0);
	for (size_t i = 0; i < 3000; i++)
		T_CHECK(y[i] < k && strcmp(cl[y[i]], labels[i]) == 0);
	for (size_t j = 0; j < k; j++)
		free(cl[j]);
	free(cl);
	T_CHECK(tl_linear_classes(labels, 0, &cl, &k, y, &e) == 0 && k == 0);
	free(cl);
}

/* Compare the analytic gradient with central differences at a random
 * point, for K classes (2: the binary parametrisation). */
static void
gradient_check(size_t k, double C)
{
	enum { N = 40, D = 5 };
	float xf[N * D];
	double x[N * D], th[4 * D + 4], g[4 * D + 4], gp[4 * D + 4], fp, fm;
	size_t y[N], len = k == 2 ? D + 1 : k * D + k;
	const double h = 1e-5;

	make_data(xf, y, N, D, k, 1.0);
	for (size_t i = 0; i < N * D; i++)
		x[i] = xf[i];
	for (size_t j = 0; j < len; j++)
		th[j] = 0.5 * gauss();
	T_CHECK(isfinite(tl_linear_objective(x, N, D, y, k, C, th, g)));
	for (size_t j = 0; j < len; j++) {
		double save = th[j], fd;

		th[j] = save + h;
		fp = tl_linear_objective(x, N, D, y, k, C, th, gp);
		th[j] = save - h;
		fm = tl_linear_objective(x, N, D, y, k, C, th, gp);
		th[j] = save;
		fd = (fp - fm) / (2 * h);
		T_NEAR(fd, g[j], 1e-8 * fmax(1, fabs(g[j])));
	}
	/* and the gradient is not trivially zero */
	T_CHECK(fabs(g[0]) + fabs(g[len - 1]) > 1e-3);
}

static void
gradient_check_binary(void)
{
	gradient_check(2, 0.3);
	gradient_check(2, 7.0);
}

static void
gradient_check_multinomial(void)
{
	gradient_check(4, 0.3);
	gradient_check(4, 7.0);
}

/* The objective at zero is log K (mean cross-entropy of the uniform
 * prediction); for K == 2 log 2 as well. */
static void
objective_at_zero(void)
{
	double x[6] = { 1, 2, 3, 4, 5, 6 }, th[3 * 2 + 3] = { 0 };
	size_t y[3] = { 0, 1, 2 }, y2[3] = { 0, 1, 1 };

	T_NEAR(tl_linear_objective(x, 3, 2, y, 3, 1, th, NULL), log(3), 1e-15);
	T_NEAR(tl_linear_objective(x, 3, 2, y2, 2, 5, th, NULL), log(2),
	    1e-15);
}

/* Train, then check that the gradient at the stored float weights is ~0
 * and that the report is consistent. */
static void
optimum(size_t k, double C)
{
	enum { N = 200, D = 6 };
	float x[N * D];
	double xd[N * D], th[4 * D + 4], g[4 * D + 4], gnorm = 0;
	size_t y[N], len = k == 2 ? D + 1 : k * D + k;
	char *names[4] = { "a", "b", "c", "d" };
	struct tl_linear lin;
	struct tl_linear_opts o;
	struct tl_linear_report r;
	struct tl_err e;

	make_data(x, y, N, D, k, 1.5);
	for (size_t i = 0; i < N * D; i++)
		xd[i] = x[i];
	tl_linear_opts_init(&o);
	o.C = C;
	o.tol = 1e-10;
	T_CHECK(tl_linear_train(&lin, x, N, D, y, names, k, &o, &r, &e) == 0);
	T_CHECK(r.status == TL_LBFGS_CONVERGED ||
	    r.status == TL_LBFGS_STALLED);
	/* stalled: rounding stops progress a little short of 1e-10 */
	T_CHECK(r.gnorm <= 1e-8);
	T_CHECK(r.rows == N && r.iterations > 0);
	T_CHECK(r.accuracy > 1.2 / k && r.accuracy <= 1);
	T_CHECK(lin.k == k && lin.d == D);
	T_CHECK(strcmp(lin.classes[k - 1], names[k - 1]) == 0);
	if (k == 2) {
		for (size_t j = 0; j < D; j++)
			th[j] = lin.w[D + j];
		th[D] = lin.b[1];
	} else {
		for (size_t j = 0; j < k * D; j++)
			th[j] = lin.w[j];
		for (size_t j = 0; j < k; j++)
			th[k * D + j] = lin.b[j];
	}
	/* the float weights: F differs from the report by rounding only */
	T_NEAR(tl_linear_objective(xd, N, D, y, k, C, th, g) * C * N, r.loss,
	    1e-5 * r.loss);
	for (size_t j = 0; j < len; j++)
		gnorm = fmax(gnorm, fabs(g[j]));
	T_NEAR(gnorm, 0, 1e-6);
	/* multinomial: the weights of each feature sum to 0 over classes */
	for (size_t j = 0; k > 2 && j < D; j++) {
		double s = 0;

		for (size_t c = 0; c < k; c++)
			s += lin.w[c * D + j];
		T_NEAR(s, 0, 1e-5);
	}
	tl_linear_free(&lin);
}

static void
optimum_binary(void)
{
	optimum(2, 1);
	optimum(2, 0.05);
}

static void
optimum_multinomial(void)
{
	optimum(4, 1);
	optimum(4, 20);
}

static void
binary_layout(void)
{
	float x[40 * 3], p[2];
	size_t y[40];
	char *names[2] = { "ham", "spam" };
	struct tl_linear lin;
	struct tl_linear_report r;
	struct tl_err e;

	make_data(x, y, 40, 3, 2, 1.0);
	T_CHECK(tl_linear_train(&lin, x, 40, 3, y, names, 2, NULL, &r,
	    &e) == 0);
	T_CHECK(lin.b[0] == 0);
	for (size_t j = 0; j < 3; j++)
		T_CHECK(lin.w[j] == 0);
	for (size_t i = 0; i < 40; i++) {
		double z = lin.b[1];

		for (size_t j = 0; j < 3; j++)
			z += (double)lin.w[3 + j] * x[i * 3 + j];
		tl_linear_proba(&lin, x + i * 3, 1, p);
		T_NEAR(p[1], 1 / (1 + exp(-z)), 1e-6);
		T_NEAR(p[0] + p[1], 1, 1e-6);
	}
	tl_linear_free(&lin);
}

static void
proba_and_argmax(void)
{
	float w[3 * 2] = { 1000, 0, 0, 1000, -1000, -1000 }, b[3] = { 0 };
	char *cl[3] = { "a", "b", "c" };
	struct tl_linear lin = { .k = 3, .d = 2, .w = w, .b = b,
	    .classes = cl };
	float x[3 * 2] = { 1, 0, 0, 1, 0.5, 0.5 }, p[9], t[3] = { 1, 1, 0 };

	tl_linear_proba(&lin, x, 3, p);
	for (size_t i = 0; i < 9; i++)
		T_CHECK(isfinite(p[i]));
	T_NEAR(p[0], 1, 1e-6);
	T_NEAR(p[4], 1, 1e-6);
	T_NEAR(p[6], 0.5, 1e-6);	/* a tie between a and b */
	T_NEAR(p[7], 0.5, 1e-6);
	T_CHECK(tl_linear_argmax(p, 3) == 0);
	T_CHECK(tl_linear_argmax(p + 3, 3) == 1);
	T_CHECK(tl_linear_argmax(p + 6, 3) == 0);	/* first on ties */
	T_CHECK(tl_linear_argmax(t, 3) == 0);
	tl_linear_proba(&lin, x, 0, p);	/* no rows: no call into BLAS */
}

static void
bad_input(void)
{
	float x[4] = { 1, 2, 3, 4 };
	size_t y[4] = { 0, 0, 0, 0 };
	char *names[2] = { "a", "b" };
	struct tl_linear lin;
	struct tl_linear_report r;
	struct tl_linear_opts o;
	struct tl_err e;

	T_CHECK(tl_linear_train(&lin, x, 4, 1, y, names, 1, NULL, &r,
	    &e) == -1);
	T_CHECK(strstr(e.msg, "at least 2 classes") != NULL);
	T_CHECK(tl_linear_train(&lin, x, 0, 1, y, names, 2, NULL, &r,
	    &e) == -1);
	tl_linear_opts_init(&o);
	o.C = 0;
	T_CHECK(tl_linear_train(&lin, x, 4, 1, y, names, 2, &o, &r,
	    &e) == -1);
	/* one class present among two names: legal, and finite */
	T_CHECK(tl_linear_train(&lin, x, 4, 1, y, names, 2, NULL, &r,
	    &e) == 0);
	T_CHECK(isfinite(lin.w[1]) && isfinite(lin.b[1]));
	tl_linear_free(&lin);
}

/* Train and serialise; returns the bytes (malloc'd) and their length. */
static char *
train_bytes(size_t *len, struct tl_linear *lin, char digest[65])
{
	float x[60 * 4];
	size_t y[60];
	char *names[3] = { "neg", "neu", "pos" }, *stacked[1] = { "ab12" };
	char *buf = NULL;
	struct tl_linear_opts o;
	struct tl_linear_report r;
	struct tl_err e;
	json_t *meta;
	FILE *f;

	rng = 42;
	make_data(x, y, 60, 4, 3, 1.0);
	tl_linear_opts_init(&o);
	o.C = 2.5;
	if (tl_linear_train(lin, x, 60, 4, y, names, 3, &o, &r, &e) != 0)
		return NULL;
	meta = tl_linear_meta(lin, &o, &r, "cafe", stacked, 1);
	f = open_memstream(&buf, len);
	if (meta == NULL || f == NULL ||
	    tl_linear_save(lin, meta, f, digest, &e) != 0) {
		fprintf(stderr, "save: %s\n", e.msg);
		*len = 0;
	}
	if (f != NULL)
		fclose(f);
	json_decref(meta);
	return buf;
}

static void
save_load(void)
{
	struct tl_linear lin, lin2, lin3;
	struct tl_model *m;
	struct tl_err e;
	char *a, *b, da[65], db[65];
	size_t la, lb;
	json_t *meta;

	a = train_bytes(&la, &lin, da);
	b = train_bytes(&lb, &lin3, db);
	T_CHECK(a != NULL && b != NULL && la > 0);
	T_CHECK(la == lb && memcmp(a, b, la) == 0);	/* deterministic */
	T_CHECK(strcmp(da, db) == 0);
	m = tl_model_load_mem(a, la, &e);
	T_CHECK(m != NULL);
	if (m == NULL)
		goto out;
	T_CHECK(strcmp(tl_model_digest(m), da) == 0);
	meta = tl_model_meta(m);
	T_CHECK(strcmp(tl_model_kind(m), "softmax") == 0);
	T_CHECK(json_integer_value(json_object_get(meta, "input_dim")) == 4);
	T_CHECK(json_integer_value(json_object_get(meta, "output_dim")) == 3);
	T_CHECK(json_real_value(json_object_get(json_object_get(meta,
	    "hyperparameters"), "C")) == 2.5);
	T_CHECK(json_object_get(json_object_get(meta, "training"),
	    "seconds") == NULL);
	T_CHECK(strcmp(json_string_value(json_object_get(json_object_get(meta,
	    "input"), "model")), "cafe") == 0);
	T_CHECK(json_array_size(json_object_get(meta, "lineage")) == 2);
	T_CHECK(tl_linear_load(m, &lin2, &e) == 0);
	T_CHECK(lin2.k == 3 && lin2.d == 4);
	T_CHECK(memcmp(lin.w, lin2.w, 12 * sizeof(float)) == 0);
	T_CHECK(memcmp(lin.b, lin2.b, 3 * sizeof(float)) == 0);
	T_CHECK(strcmp(lin2.classes[2], "pos") == 0);
	tl_linear_free(&lin2);
	tl_model_free(m);
out:
	tl_linear_free(&lin);
	tl_linear_free(&lin3);
	free(a);
	free(b);
}

/* Write a model with description META and tensors of the given shapes;
 * try to load it as a softmax model; return the error message. */
static const char *
load_error(json_t *meta, uint64_t wk, uint64_t wd, uint64_t bk)
{
	static struct tl_err e;
	static float zeros[64];
	struct tl_model_writer *w = tl_model_writer_new();
	struct tl_linear lin;
	struct tl_model *m = NULL;
	uint64_t ws[2] = { wk, wd }, bs[1] = { bk };
	char *buf = NULL, dg[65];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tl_err_clear(&e);
	tl_model_writer_add(w, "weight", TL_DTYPE_F32, 2, ws, zeros, &e);
	tl_model_writer_add(w, "bias", TL_DTYPE_F32, 1, bs, zeros, &e);
	tl_model_writer_write(w, meta, f, dg, &e);
	fclose(f);
	tl_model_writer_free(w);
	json_decref(meta);
	if ((m = tl_model_load_mem(buf, len, &e)) != NULL &&
	    tl_linear_load(m, &lin, &e) == 0) {
		tl_linear_free(&lin);
		snprintf(e.msg, sizeof(e.msg), "(loaded)");
	}
	tl_model_free(m);
	free(buf);
	return e.msg;
}

static json_t *
meta_of(const char *kind, int din, int dout, json_t *classes)
{
	json_t *m = tl_meta_new(kind, "test");

	json_object_set_new(m, "input_dim", json_integer(din));
	json_object_set_new(m, "output_dim", json_integer(dout));
	json_object_set_new(m, "classes", classes);
	return m;
}

static void
load_checks(void)
{
	const char *msg;

	msg = load_error(meta_of("softmax", 3, 2, json_pack("[ss]", "a",
	    "b")), 2, 3, 2);
	T_CHECK(strcmp(msg, "(loaded)") == 0);
	msg = load_error(meta_of("embedding", 3, 2, json_pack("[ss]", "a",
	    "b")), 2, 3, 2);
	T_CHECK(strstr(msg, "not a softmax model (kind \"embedding\")"));
	msg = load_error(meta_of("softmax", 4, 2, json_pack("[ss]", "a",
	    "b")), 2, 3, 2);
	T_CHECK(strstr(msg, "do not match output_dim 2, input_dim 4"));
	msg = load_error(meta_of("softmax", 3, 2, json_pack("[ss]", "a",
	    "b")), 2, 3, 3);
	T_CHECK(strstr(msg, "bias [3]") != NULL);
	msg = load_error(meta_of("softmax", 3, 2, json_pack("[ss]", "b",
	    "a")), 2, 3, 2);
	T_CHECK(strstr(msg, "not distinct and sorted") != NULL);
	msg = load_error(meta_of("softmax", 3, 2, json_pack("[ss]", "a",
	    "a\tb")), 2, 3, 2);
	T_CHECK(strstr(msg, "class 2") != NULL);
	msg = load_error(meta_of("softmax", 3, 2, json_pack("[s]", "a")), 2, 3,
	    2);
	T_CHECK(strstr(msg, "array of output_dim (2)") != NULL);
	msg = load_error(meta_of("softmax", 3, 1, json_pack("[s]", "a")), 1, 3,
	    1);
	T_CHECK(strstr(msg, "at least 2 classes") != NULL);
	msg = load_error(meta_of("softmax", -3, 2, json_pack("[ss]", "a",
	    "b")), 2, 3, 2);
	T_CHECK(strstr(msg, "\"input_dim\" must be a positive") != NULL);
}

static void
eval_confusion(void)
{
	char *cl[3] = { "a", "b", "c" };
	struct tl_eval *ev = tl_eval_new(cl, 3);
	struct tl_err e;
	char lab[32];
	int known;
	/* true, predicted */
	const char *tr[] = { "a", "a", "b", "c", "c", "zz", "x", "zz", "b" };
	size_t pr[] = { 0, 1, 1, 2, 0, 2, 0, 2, 1 };

	T_CHECK(ev != NULL);
	if (ev == NULL)
		return;
	for (size_t i = 0; i < 9; i++)
		T_CHECK(tl_eval_add(ev, tr[i], pr[i], &e) == 0);
	T_CHECK(tl_eval_total(ev) == 9);
	T_CHECK(tl_eval_correct(ev) == 4);
	T_CHECK(tl_eval_nrows(ev) == 5);
	T_CHECK(tl_eval_row(ev, 0)[0] == 1 && tl_eval_row(ev, 0)[1] == 1);
	T_CHECK(tl_eval_row(ev, 1)[1] == 2);
	T_CHECK(tl_eval_row(ev, 2)[0] == 1 && tl_eval_row(ev, 2)[2] == 1);
	T_CHECK(strcmp(tl_eval_row_label(ev, 3, &known), "x") == 0);
	T_CHECK(!known);
	T_CHECK(tl_eval_row(ev, 3)[0] == 1);
	T_CHECK(strcmp(tl_eval_row_label(ev, 4, NULL), "zz") == 0);
	T_CHECK(tl_eval_row(ev, 4)[2] == 2);
	tl_eval_row_label(ev, 1, &known);
	T_CHECK(known);
	/* past the limit, unknown labels share one row */
	for (int i = 0; i < TL_EVAL_MAX_UNKNOWN + 5; i++) {
		snprintf(lab, sizeof(lab), "u%05d", i);
		T_CHECK(tl_eval_add(ev, lab, 1, &e) == 0);
	}
	T_CHECK(tl_eval_nrows(ev) == 3 + TL_EVAL_MAX_UNKNOWN + 1);
	T_CHECK(tl_eval_row_label(ev, 3 + TL_EVAL_MAX_UNKNOWN, NULL) == NULL);
	T_CHECK(tl_eval_row(ev, 3 + TL_EVAL_MAX_UNKNOWN)[1] == 7);
	T_CHECK(tl_eval_total(ev) == 9 + TL_EVAL_MAX_UNKNOWN + 5);
	tl_eval_free(ev);
}

/* The single-precision objective of training agrees with the double one:
 * values to 1e-6 relative, gradients to 1e-5 (plus the relative rounding
 * of huge logits), for K classes (2: binary; other K exercise the padding
 * of rows to whole lanes) and binary 0/1 targets; SCALE spreads theta;
 * CENTRE: the penalty pulls towards random weights and biases, as with
 * --l2-to-init. */
static void
f32_agrees(size_t k, double scale, int targets, int centre)
{
	enum { N = 300, D = 7, KMAX = 11 };
	float xf[N * D];
	double x[N * D], th[KMAX * (D + 1)], g[KMAX * (D + 1)];
	double w0[KMAX * (D + 1)], *b0 = NULL;
	double g32[KMAX * (D + 1)], sw[N], f, f32, gmax = 0;
	size_t y[N], len = k == 2 || targets ? D + 1 : k * D + k;
	unsigned char t[N];

	make_data(xf, y, N, D, k, 1.0);
	for (size_t i = 0; i < N * D; i++)
		x[i] = xf[i];
	for (size_t i = 0; i < N; i++) {
		sw[i] = 0.5 + uniform();
		t[i] = y[i] == 1;
	}
	for (size_t j = 0; j < len; j++) {
		th[j] = scale * gauss();
		w0[j] = gauss();
	}
	if (centre)	/* the biases follow the weights in theta */
		b0 = w0 + len - (k == 2 || targets ? 1 : k);
	f = tl_linear_objective_ex(x, N, D, y, targets ? t : NULL, sw,
	    centre ? w0 : NULL, b0, k, 0.7, th, g);
	f32 = tl_linear_objective_f32(x, N, D, y, targets ? t : NULL, sw,
	    centre ? w0 : NULL, b0, k, 0.7, th, g32);
	T_CHECK(isfinite(f) && isfinite(f32));
	T_NEAR(f32, f, 1e-6 * fmax(1, fabs(f)));
	for (size_t j = 0; j < len; j++)
		gmax = fmax(gmax, fabs(g[j]));
	for (size_t j = 0; j < len; j++)
		T_NEAR(g32[j], g[j], 1e-5 * fmax(1, gmax));
}

/* Weights that float cannot hold make the objective infinite, as a line
 * search needs, instead of logits silently clamped. */
static void
f32_overflow(void)
{
	double x[6] = { 1, 2, 3, 4, 5, 6 }, th[3 * 2 + 3] = { 0 }, g[9];
	size_t y[3] = { 0, 1, 2 };

	th[1] = 1e39;
	T_CHECK(isinf(tl_linear_objective_f32(x, 3, 2, y, NULL, NULL, NULL,
	    NULL, 3, 1, th, g)));
	T_CHECK(isinf(tl_linear_objective_f32(x, 3, 2, y, NULL, NULL, NULL,
	    NULL, 2, 1, th, g)));
}

static void
f32_objective(void)
{
	f32_agrees(2, 0.5, 0, 0);
	f32_agrees(3, 0.5, 1, 0);
	f32_agrees(4, 0.5, 0, 0);
	f32_agrees(9, 0.5, 0, 0);
	f32_agrees(11, 1.0, 0, 0);
	f32_agrees(4, 0.5, 0, 1);
	f32_agrees(2, 0.5, 0, 1);
	/* logits in the hundreds: e^(z - max) underflows for most classes */
	f32_agrees(9, 60, 0, 0);
	f32_agrees(2, 60, 0, 0);
	f32_overflow();
}

/* N rows of D correlated features (whitened by training: D >= 16) in K
 * classes, as word vectors are. */
static void
make_correlated(float *x, size_t *y, size_t n, size_t d, size_t k)
{
	make_data(x, y, n, d, k, 1.5);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 1; j < d; j++)
			x[i * d + j] += 0.8f * x[i * d + j - 1];
}

/* Training's threads take fixed slices of the rows and add them in a fixed
 * order: one thread and several give the same bits.  (Enough rows that
 * even the binary model's evaluations are worth threads.) */
static void
threads_same_bits(void)
{
	enum { N = 50000, D = 20, K = 5 };
	static float x[N * D];
	size_t y[N], k;
	char *names[K] = { "a", "b", "c", "d", "e" };
	struct tl_linear lin[3];
	struct tl_linear_report r;
	struct tl_err e;
	int saved = openblas_get_num_threads();

	make_correlated(x, y, N, D, K);
	for (int run = 0; run < 3; run++) {
		openblas_set_num_threads(run == 0 ? 1 : run == 1 ? 2 : 4);
		k = run == 2 ? 2 : K;	/* binary too: the labels 0 and 1 */
		if (run == 2)
			for (size_t i = 0; i < N; i++)
				y[i] %= 2;
		T_CHECK(tl_linear_train(&lin[run], x, N, D, y, names, k, NULL,
		    &r, &e) == 0);
	}
	openblas_set_num_threads(saved);
	T_CHECK(memcmp(lin[0].w, lin[1].w, K * D * sizeof(float)) == 0);
	T_CHECK(memcmp(lin[0].b, lin[1].b, K * sizeof(float)) == 0);
	/* and the binary run again, single-threaded */
	openblas_set_num_threads(1);
	tl_linear_free(&lin[1]);
	T_CHECK(tl_linear_train(&lin[1], x, N, D, y, names, 2, NULL, &r,
	    &e) == 0);
	openblas_set_num_threads(saved);
	T_CHECK(memcmp(lin[1].w, lin[2].w, 2 * D * sizeof(float)) == 0);
	T_CHECK(memcmp(lin[1].b, lin[2].b, 2 * sizeof(float)) == 0);
	for (int run = 0; run < 3; run++)
		tl_linear_free(&lin[run]);
}

/* The default stopping rule: gradient max-norm 1e-4 (scikit-learn's tol),
 * met in single precision; a tight tol goes on in double to 1e-10, in
 * more iterations, and moves the probabilities little. */
static void
default_stop(void)
{
	enum { N = 600, D = 24, K = 4 };
	static float x[N * D], p0[N * K], p1[N * K];
	size_t y[N];
	char *names[K] = { "a", "b", "c", "d" };
	struct tl_linear lin0, lin1;
	struct tl_linear_opts o;
	struct tl_linear_report r0, r1;
	struct tl_err e;
	double worst = 0;

	make_correlated(x, y, N, D, K);
	tl_linear_opts_init(&o);
	T_NEAR(o.tol, 1e-4, 0);
	T_CHECK(tl_linear_train(&lin0, x, N, D, y, names, K, &o, &r0, &e) ==
	    0);
	o.tol = 1e-10;
	T_CHECK(tl_linear_train(&lin1, x, N, D, y, names, K, &o, &r1, &e) ==
	    0);
	T_CHECK(r0.status == TL_LBFGS_CONVERGED && r0.gnorm <= 1e-4);
	T_CHECK(r0.gnorm > 1e-10);
	T_CHECK((r1.status == TL_LBFGS_CONVERGED ||
	    r1.status == TL_LBFGS_STALLED) && r1.gnorm <= 1e-9);
	T_CHECK(r1.iterations > r0.iterations);
	T_CHECK(r0.loss >= r1.loss * (1 - 1e-12));
	tl_linear_proba(&lin0, x, N, p0);
	tl_linear_proba(&lin1, x, N, p1);
	for (size_t i = 0; i < N * K; i++)
		worst = fmax(worst, fabs(p0[i] - p1[i]));
	T_CHECK(worst > 0 && worst < 0.01);
	tl_linear_free(&lin0);
	tl_linear_free(&lin1);
}

int
main(void)
{
	T_RUN(classes_sorted);
	T_RUN(classes_many);
	T_RUN(gradient_check_binary);
	T_RUN(gradient_check_multinomial);
	T_RUN(objective_at_zero);
	T_RUN(optimum_binary);
	T_RUN(optimum_multinomial);
	T_RUN(binary_layout);
	T_RUN(proba_and_argmax);
	T_RUN(bad_input);
	T_RUN(save_load);
	T_RUN(load_checks);
	T_RUN(eval_confusion);
	T_RUN(f32_objective);
	T_RUN(threads_same_bits);
	T_RUN(default_stop);
	return t_done();
}
