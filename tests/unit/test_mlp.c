/*
 * Tests of mlp.c: the backward pass against finite differences (with and
 * without dropout, one and two hidden layers, softmax and linear outputs,
 * row weights), XOR (which no linear model fits) learnt to accuracy 1,
 * equal bits from equal seeds, and a save/load round trip.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "mlp.h"
#include "t.h"

static char *names3[] = { "a", "b", "c" };
static char *names2[] = { "neg", "pos" };
static char *value_name[] = { "value" };

/* Max relative error of M's gradient against central differences. */
static double
grad_error_seeds(struct tl_mlp *m, const struct tl_linear_data *D, double C,
    double drop, uint64_t gseed)
{
	float *g = malloc(m->np * sizeof(float));
	double worst = 0, h = 1e-3;

	tl_mlp_objective(m, D, C, drop, gseed, g);
	for (size_t j = 0; j < m->np; j++) {
		float keep = m->p[j];
		double fp, fm, num, err;

		m->p[j] = keep + (float)h;
		fp = tl_mlp_objective(m, D, C, drop, 7, NULL);
		m->p[j] = keep - (float)h;
		fm = tl_mlp_objective(m, D, C, drop, 7, NULL);
		m->p[j] = keep;
		num = (fp - fm) / (2 * h);
		err = fabs(num - g[j]) / (fabs(num) + fabs(g[j]) + 1e-2);
		if (err > worst)
			worst = err;
	}
	free(g);
	return worst;
}

static double
grad_error(struct tl_mlp *m, const struct tl_linear_data *D, double C,
    double drop)
{
	return grad_error_seeds(m, D, C, drop, 7);
}

/* The smallest |pre-activation| of M's hidden units over the N rows X:
 * finite differences across a ReLU's kink are no test of its gradient. */
static double
min_margin(const struct tl_mlp *m, const float *x, size_t n)
{
	double a1[16], pre, worst = INFINITY;

	for (size_t i = 0; i < n; i++) {
		for (size_t u = 0; u < m->h1; u++) {
			pre = m->b1[u];
			for (size_t j = 0; j < m->d; j++)
				pre += m->w1[u * m->d + j] * x[i * m->d + j];
			worst = fmin(worst, fabs(pre));
			a1[u] = pre > 0 ? pre : 0;
		}
		for (size_t u = 0; u < m->h2; u++) {
			pre = m->b2[u];
			for (size_t j = 0; j < m->h1; j++)
				pre += m->w2[u * m->h1 + j] * a1[j];
			worst = fmin(worst, fabs(pre));
		}
	}
	return worst;
}

/* A random net of the given shape and N random rows, drawn again until
 * no hidden unit is near its kink. */
static void
random_case(struct tl_mlp *m, size_t d, size_t h1, size_t h2, size_t k,
    int reg, float *x, size_t n, size_t *y, double *v, double *sw)
{
	uint64_t rng = 42 + d + h2;
	struct tl_err e;

	T_CHECK(tl_mlp_alloc(m, d, h1, h2, k, reg, &e) == 0);
	do {
		for (size_t j = 0; j < m->np; j++)
			m->p[j] = (float)((tl_rng_next(&rng) >> 11) *
			    0x1p-53 - 0.5);
		for (size_t i = 0; i < n * d; i++)
			x[i] = (float)((tl_rng_next(&rng) >> 11) * 0x1p-53 *
			    4 - 2);
	} while (min_margin(m, x, n) < 0.02);
	for (size_t i = 0; i < n; i++) {
		y[i] = i % k;
		v[i] = (double)i / n - 0.3;
		sw[i] = 0.5 + (double)(i % 3);
	}
}

static void
test_gradient(void)
{
	struct tl_mlp m;
	float x[20 * 5];
	size_t y[20];
	double v[20], sw[20];
	struct tl_linear_data D = { x, 20, 5, y, NULL, v, NULL };
	double err;

	random_case(&m, 5, 6, 0, 3, 0, x, 20, y, v, sw);
	err = grad_error(&m, &D, 0.5, 0);
	T_NEAR(err, 0, 1e-2);
	err = grad_error(&m, &D, 0.5, 0.3);	/* fixed masks */
	T_NEAR(err, 0, 1e-2);
	tl_mlp_free(&m);

	random_case(&m, 5, 6, 4, 3, 0, x, 20, y, v, sw);
	D.sw = sw;
	err = grad_error(&m, &D, 2, 0);
	T_NEAR(err, 0, 1e-2);
	err = grad_error(&m, &D, 2, 0.2);
	T_NEAR(err, 0, 1e-2);
	tl_mlp_free(&m);

	random_case(&m, 5, 6, 4, 1, 1, x, 20, y, v, sw);
	D.y = NULL;
	err = grad_error(&m, &D, 1, 0);
	T_NEAR(err, 0, 1e-2);
	tl_mlp_free(&m);
}

/* A gradient that is wrong must be caught: perturb one component. */
static void
test_gradient_can_fail(void)
{
	struct tl_mlp m;
	float x[20 * 5], g[512], g2[512];
	size_t y[20];
	double v[20], sw[20];
	struct tl_linear_data D = { x, 20, 5, y, NULL, v, NULL };

	random_case(&m, 5, 6, 0, 3, 0, x, 20, y, v, sw);
	T_CHECK(m.np <= 512);
	tl_mlp_objective(&m, &D, 1, 0, 0, g);
	tl_mlp_objective(&m, &D, 1e6, 0, 0, g2);	/* other penalty */
	T_CHECK(fabsf(g[0] - g2[0]) > 1e-6);
	/* the analytic gradient of other dropout masks is caught */
	T_CHECK(grad_error_seeds(&m, &D, 1, 0.3, 8) > 0.1);
	tl_mlp_free(&m);
}

/* XOR of the signs of two coordinates, with noise dimensions. */
static void
xor_data(float *x, size_t *y, size_t n)
{
	uint64_t rng = 3;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < 3; j++)
			x[i * 3 + j] = (float)((tl_rng_next(&rng) >> 11) *
			    0x1p-53 * 2 - 1);
		y[i] = (x[i * 3] > 0) != (x[i * 3 + 1] > 0);
	}
}

static void
test_xor(void)
{
	static float x[400 * 3];
	static size_t y[400];
	struct tl_linear_data D = { x, 400, 3, y, NULL, NULL, NULL };
	struct tl_mlp_opts o;
	struct tl_mlp_report r;
	struct tl_linear lin;
	struct tl_linear_report lr;
	struct tl_mlp m;
	struct tl_err e;

	xor_data(x, y, 400);
	tl_mlp_opts_init(&o);
	o.h1 = 32;
	o.lr = 0.01;
	o.val_fraction = 0;
	o.epochs = 300;
	o.C = 100;
	T_CHECK(tl_mlp_fit(&m, &D, names2, 2, &o, &r, &e) == 0);
	T_CHECK(r.accuracy >= 0.98);
	T_CHECK(r.epochs == 300);
	tl_mlp_free(&m);
	/* a linear model cannot: about chance */
	T_CHECK(tl_linear_train(&lin, x, 400, 3, y, names2, 2, NULL, &lr,
	    &e) == 0);
	T_CHECK(lr.accuracy < 0.7);
	tl_linear_free(&lin);
}

static void
test_deterministic(void)
{
	static float x[300 * 3];
	static size_t y[300];
	struct tl_linear_data D = { x, 300, 3, y, NULL, NULL, NULL };
	struct tl_mlp_opts o;
	struct tl_mlp_report r1, r2;
	struct tl_mlp a, b, c;
	struct tl_err e;

	xor_data(x, y, 300);
	tl_mlp_opts_init(&o);
	o.h1 = 8;
	o.h2 = 4;
	o.epochs = 30;
	o.dropout = 0.2;
	o.patience = 3;
	T_CHECK(tl_mlp_fit(&a, &D, names2, 2, &o, &r1, &e) == 0);
	T_CHECK(tl_mlp_fit(&b, &D, names2, 2, &o, &r2, &e) == 0);
	T_CHECK(a.np == b.np && memcmp(a.p, b.p, a.np * sizeof(float)) == 0);
	T_CHECK(r1.epochs == r2.epochs && r1.best_epoch == r2.best_epoch);
	T_CHECK(r1.val_rows == 30 && r1.rows == 270);
	T_CHECK(r1.best_epoch <= r1.epochs && isfinite(r1.val_loss));
	o.seed = 1;
	T_CHECK(tl_mlp_fit(&c, &D, names2, 2, &o, &r2, &e) == 0);
	T_CHECK(memcmp(a.p, c.p, a.np * sizeof(float)) != 0);
	tl_mlp_free(&a);
	tl_mlp_free(&b);
	tl_mlp_free(&c);
}

/* Early stopping keeps the best epoch's weights: with patience 1 and
 * many epochs, training stops before the end. */
static void
test_early_stop(void)
{
	static float x[200 * 3];
	static size_t y[200];
	struct tl_linear_data D = { x, 200, 3, y, NULL, NULL, NULL };
	struct tl_mlp_opts o;
	struct tl_mlp_report r;
	struct tl_mlp m;
	struct tl_err e;

	xor_data(x, y, 200);
	for (size_t i = 0; i < 200; i += 3)	/* label noise */
		y[i] = (size_t)(i % 2);
	tl_mlp_opts_init(&o);
	o.h1 = 64;
	o.lr = 0.05;
	o.epochs = 1000;
	o.patience = 2;
	o.val_fraction = 0.3;
	T_CHECK(tl_mlp_fit(&m, &D, names2, 2, &o, &r, &e) == 0);
	T_CHECK(r.epochs < 1000);
	T_CHECK(r.epochs == r.best_epoch + 2);
	tl_mlp_free(&m);
}

static void
test_regression(void)
{
	static float x[300 * 3];
	static double v[300];
	static size_t y[300];
	struct tl_linear_data D = { x, 300, 3, NULL, NULL, v, NULL };
	struct tl_mlp_opts o;
	struct tl_mlp_report r;
	struct tl_mlp m;
	struct tl_err e;
	float out[3];

	xor_data(x, y, 300);
	for (size_t i = 0; i < 300; i++)	/* |x0| + x1^2: not linear */
		v[i] = fabs(x[i * 3]) + x[i * 3 + 1] * x[i * 3 + 1];
	tl_mlp_opts_init(&o);
	o.regression = 1;
	o.h1 = 32;
	o.lr = 0.01;
	o.val_fraction = 0;
	o.epochs = 200;
	o.C = 100;
	o.standardize = 1;
	T_CHECK(tl_mlp_fit(&m, &D, value_name, 1, &o, &r, &e) == 0);
	T_CHECK(r.accuracy > 0.95);
	tl_mlp_apply(&m, x, 3, out);
	for (size_t i = 0; i < 3; i++)
		T_NEAR(out[i], v[i], 0.2);
	tl_mlp_free(&m);
}

/* Whether M saved with META fails to load with a message holding WHY. */
static int
load_error(const struct tl_mlp *m, json_t *meta, const char *why)
{
	struct tl_model *mod;
	struct tl_mlp m2;
	struct tl_err e;
	char digest[65], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	f = open_memstream(&buf, &len);
	if (tl_mlp_save(m, meta, f, digest, &e) == 0 && fclose(f) == 0 &&
	    (mod = tl_model_load_mem(buf, len, &e)) != NULL) {
		rc = tl_mlp_load(mod, &m2, &e) == -1 &&
		    strstr(e.msg, why) != NULL;
		if (!rc)
			fprintf(stderr, "load error: %s\n", e.msg);
		tl_model_free(mod);
	}
	free(buf);
	return rc;
}

/* Save, load, apply: the same outputs; a bad option is refused. */
static void
test_roundtrip(void)
{
	static float x[300 * 3], p1[300 * 3], p2[300 * 3];
	static size_t y[300];
	struct tl_linear_data D = { x, 300, 3, y, NULL, NULL, NULL };
	struct tl_mlp_opts o;
	struct tl_mlp_report r;
	struct tl_mlp m, m2;
	struct tl_model *mod;
	struct tl_err e;
	char digest[65], *buf = NULL;
	size_t len = 0;
	json_t *meta, *cl;
	FILE *f;

	xor_data(x, y, 300);
	for (size_t i = 0; i < 300; i++)
		y[i] += x[i * 3 + 2] > 0.5;	/* three classes */
	tl_mlp_opts_init(&o);
	o.h1 = 10;
	o.h2 = 5;
	o.epochs = 5;
	o.standardize = 1;
	T_CHECK(tl_mlp_fit(&m, &D, names3, 3, &o, &r, &e) == 0);
	tl_mlp_apply(&m, x, 300, p1);
	meta = tl_mlp_meta(&m, &o, &r, "", NULL, 0);
	T_CHECK(meta != NULL);
	f = open_memstream(&buf, &len);
	T_CHECK(tl_mlp_save(&m, meta, f, digest, &e) == 0);
	fclose(f);
	mod = tl_model_load_mem(buf, len, &e);
	T_CHECK(mod != NULL && strcmp(tl_model_kind(mod), "mlp") == 0);
	T_CHECK(tl_mlp_load(mod, &m2, &e) == 0);
	T_CHECK(m2.h1 == 10 && m2.h2 == 5 && m2.k == 3 && m2.mean != NULL);
	tl_mlp_apply(&m2, x, 300, p2);
	T_CHECK(memcmp(p1, p2, sizeof(p1)) == 0);
	for (size_t i = 0; i < 300; i++)
		T_NEAR(p1[i * 3] + p1[i * 3 + 1] + p1[i * 3 + 2], 1, 1e-5);
	tl_mlp_free(&m2);
	/* a share (another thread's applier) gives the same outputs from
	 * scratch of its own; releasing it leaves the model whole */
	T_CHECK(tl_mlp_share(&m, &m2) == 0 && m2.scratch != m.scratch &&
	    m2.p == m.p);
	memset(p2, 0, sizeof(p2));
	tl_mlp_apply(&m2, x, 300, p2);
	tl_mlp_unshare(&m2);
	T_CHECK(memcmp(p1, p2, sizeof(p1)) == 0);
	tl_mlp_apply(&m, x, 300, p2);
	T_CHECK(memcmp(p1, p2, sizeof(p1)) == 0);
	tl_model_free(mod);
	free(buf);
	/* descriptions that do not match the tensors are refused */
	json_object_set_new(meta, "output_dim", json_integer(4));
	T_CHECK(load_error(&m, meta, "mlp.wo: missing, or not a matrix of "
	    "output_dim (4) rows and 5 columns"));
	json_object_set_new(meta, "output_dim", json_integer(3));
	cl = json_incref(json_object_get(meta, "classes"));
	json_object_set_new(meta, "classes", json_pack("[s,s]", "a", "b"));
	T_CHECK(load_error(&m, meta, "array of output_dim (3) strings"));
	json_object_set_new(meta, "classes", cl);
	json_object_set_new(meta, "output", json_string("sigmoid"));
	T_CHECK(load_error(&m, meta, "\"output\" must be"));
	json_object_set_new(meta, "output", json_string("softmax"));
	json_object_set_new(meta, "input_dim", json_integer(5));
	T_CHECK(load_error(&m, meta, "mlp.w1: missing, or not a matrix of "
	    "input_dim (5) columns"));
	/* the matrices bound the sizes before any allocation: a description
	 * of 2^24 classes over 2^24 inputs is refused, not allocated */
	json_object_set_new(meta, "output_dim", json_integer(1 << 24));
	T_CHECK(load_error(&m, meta, "mlp.w1: missing, or not a matrix of "
	    "input_dim (5) columns"));
	json_object_set_new(meta, "input_dim", json_integer(3));
	T_CHECK(load_error(&m, meta, "mlp.wo: missing, or not a matrix of "
	    "output_dim (16777216) rows and 5 columns"));
	json_decref(meta);
	tl_mlp_free(&m);
	o.dropout = 1;
	T_CHECK(tl_mlp_fit(&m, &D, names3, 3, &o, &r, &e) == -1);
}

int
main(void)
{
	T_RUN(test_gradient);
	T_RUN(test_gradient_can_fail);
	T_RUN(test_xor);
	T_RUN(test_deterministic);
	T_RUN(test_early_stop);
	T_RUN(test_regression);
	T_RUN(test_roundtrip);
	return t_done();
}
