/*
 * Unit tests of the metrics (metrics.c) and the evaluation accumulators
 * (eval.c).  Expected values are either counted by brute force here (ROC
 * AUC over all pairs) or were computed with sklearn.metrics 1.2 / numpy on
 * the same numbers (quoted to 12 digits); tests/py/test_metrics.py checks
 * the whole tool against sklearn.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "metrics.h"
#include "t.h"

/* AUC by counting every (positive, negative) pair. */
static double
auc_pairs(const float *s, const uint32_t *t, uint32_t cls, size_t n)
{
	double u = 0, np = 0, nn = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i] != cls)
			continue;
		np++;
		for (size_t j = 0; j < n; j++)
			if (t[j] != cls)
				u += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
	}
	for (size_t i = 0; i < n; i++)
		nn += t[i] != cls;
	return u / (np * nn);
}

static void
test_auc(void)
{
	/* roc_auc_score([0,0,1,1,1,0], [.1,.4,.35,.8,.4,-.2]) = 0.8333.. */
	float s[] = { .1f, .4f, .35f, .8f, .4f, -.2f };
	uint32_t t[] = { 0, 0, 1, 1, 1, 0 };
	float r[500];
	uint32_t tr[500];
	struct tl_err e;
	double a;

	T_CHECK(tl_metric_auc(s, 1, t, 1, 6, &a, &e) == 0);
	T_NEAR(a, 7.5 / 9.0, 1e-15);
	/* Ties across signs, -0 = 0, negative scores, random data. */
	srand(7);
	for (size_t i = 0; i < 500; i++) {
		r[i] = (float)(rand() % 41 - 20) / 8.0f;
		if (r[i] == 0 && i % 2)
			r[i] = -0.0f;
		tr[i] = (uint32_t)(rand() % 3);
	}
	for (uint32_t c = 0; c < 3; c++) {
		T_CHECK(tl_metric_auc(r, 1, tr, c, 500, &a, &e) == 0);
		T_NEAR(a, auc_pairs(r, tr, c, 500), 1e-12);
	}
	/* Stride: the second column of a 250 x 2 matrix. */
	T_CHECK(tl_metric_auc(r + 1, 2, tr, 2, 250, &a, &e) == 0);
	{
		float col[250];
		for (size_t i = 0; i < 250; i++)
			col[i] = r[2 * i + 1];
		T_NEAR(a, auc_pairs(col, tr, 2, 250), 1e-12);
	}
	/* Undefined with one kind of row only. */
	T_CHECK(tl_metric_auc(s, 1, t, 7, 6, &a, &e) == 0 && isnan(a));
	T_CHECK(tl_metric_auc(s, 1, t, 1, 0, &a, &e) == 0 && isnan(a));
}

static void
test_prf(void)
{
	struct tl_prf r;

	tl_metric_prf(3, 1, 2, &r);
	T_NEAR(r.precision, 0.75, 1e-15);
	T_NEAR(r.recall, 0.6, 1e-15);
	T_NEAR(r.f1, 2 * 0.75 * 0.6 / 1.35, 1e-15);
	T_CHECK(r.support == 5);
	tl_metric_prf(0, 0, 0, &r);	/* zero_division=0 */
	T_CHECK(r.precision == 0 && r.recall == 0 && r.f1 == 0);
	tl_metric_prf(0, 4, 0, &r);
	T_CHECK(r.precision == 0 && r.recall == 0 && r.f1 == 0);
}

static void
test_regacc(void)
{
	/* y = [3, -0.5, 2, 7], p = [2.5, 0, 2, 8]: sklearn's
	 * mean_squared_error(squared=False) 0.612372435696,
	 * mean_absolute_error 0.5, r2_score 0.948608137045. */
	double y[] = { 3, -0.5, 2, 7 }, p[] = { 2.5, 0, 2, 8 };
	struct tl_regacc a = { 0 }, c = { 0 };

	T_CHECK(isnan(tl_regacc_rmse(&a)) && isnan(tl_regacc_r2(&a)));
	for (int i = 0; i < 4; i++)
		tl_regacc_add(&a, y[i], p[i]);
	T_NEAR(tl_regacc_rmse(&a), 0.612372435696, 1e-12);
	T_NEAR(tl_regacc_mae(&a), 0.5, 1e-15);
	T_NEAR(tl_regacc_r2(&a), 0.948608137045, 1e-12);
	/* Constant truth: r2_score gives 1 when exact, else 0. */
	tl_regacc_add(&c, 2, 2);
	tl_regacc_add(&c, 2, 2);
	T_CHECK(tl_regacc_r2(&c) == 1);
	tl_regacc_add(&c, 2, 3);
	T_CHECK(tl_regacc_r2(&c) == 0);
}

static void
test_eval_proba(void)
{
	char *cl[] = { "a", "b", "c" };
	/* Rows: truth, probabilities; "x" is unknown. */
	const char *tr[] = { "a", "b", "c", "a", "x", "b" };
	float p[] = {
		.7f, .2f, .1f,	.1f, .8f, .1f,	.3f, .4f, .3f,
		.2f, .5f, .3f,	.6f, .3f, .1f,	0, 1, 0,
	};
	struct tl_eval *ev = tl_eval_new(cl, 3);
	struct tl_prf r;
	struct tl_err e;
	double auc, per[3], ll;

	for (int i = 0; i < 6; i++) {
		float *q = p + 3 * i;
		size_t pred = q[1] > q[0] && q[1] >= q[2] ? 1 : q[2] > q[0] ?
		    2 : 0;
		T_CHECK(tl_eval_add_proba(ev, tr[i], q, pred, &e) == 0);
	}
	T_CHECK(tl_eval_total(ev) == 6 && tl_eval_known(ev) == 5);
	T_CHECK(tl_eval_scored(ev) == 5 && tl_eval_correct(ev) == 3);
	/* log-loss over the known rows, clipped at DBL_EPSILON: -(log .7 +
	 * log .8 + log .3 + log .2 + log(1 - eps)) / 5 */
	ll = -(log(.7f) + log(.8f) + log(.3f) + log(.2f)) / 5;
	T_NEAR(tl_eval_log_loss(ev), ll, 1e-6);
	/* Class b: tp 2, fp 2 (rows 2 and 3, true c and a), fn 0. */
	tl_eval_prf(ev, 1, &r);
	T_NEAR(r.precision, 0.5, 1e-15);
	T_NEAR(r.recall, 1, 1e-15);
	T_CHECK(r.support == 2);
	/* Class c: never predicted. */
	tl_eval_prf(ev, 2, &r);
	T_CHECK(r.precision == 0 && r.f1 == 0 && r.support == 1);
	tl_eval_prf_avg(ev, 1, &r);
	T_CHECK(r.support == 5);
	T_CHECK(tl_eval_auc(ev, &auc, per, &e) == 0);
	/* class a: scores of a-rows .7, .2 vs others .1, .3, 0: 5/6 */
	T_NEAR(per[0], 5.0 / 6.0, 1e-12);
	T_NEAR(auc, (per[0] + per[1] + per[2]) / 3, 1e-12);
	tl_eval_free(ev);

	/* Without scores kept: no AUC, the log-loss stays. */
	ev = tl_eval_new(cl, 3);
	tl_eval_keep_scores(ev, 0);
	T_CHECK(tl_eval_add_proba(ev, "a", p, 0, &e) == 0);
	T_CHECK(tl_eval_auc(ev, &auc, NULL, &e) == 0 && isnan(auc));
	T_NEAR(tl_eval_log_loss(ev), -log(.7f), 1e-7);
	tl_eval_free(ev);
}

static void
test_eval_binary(void)
{
	char *cl[] = { "neg", "pos" };
	float p[] = { .9f, .1f, .4f, .6f, .3f, .7f, .8f, .2f };
	const char *tr[] = { "neg", "neg", "pos", "pos" };
	struct tl_eval *ev = tl_eval_new(cl, 2);
	struct tl_err e;
	double auc;

	for (int i = 0; i < 4; i++)
		T_CHECK(tl_eval_add_proba(ev, tr[i], p + 2 * i,
		    p[2 * i + 1] >= 0.5, &e) == 0);
	/* pos scores .7, .2 vs neg .1, .6: 3 of 4 pairs */
	T_CHECK(tl_eval_auc(ev, &auc, NULL, &e) == 0);
	T_NEAR(auc, 0.75, 1e-15);
	tl_eval_free(ev);
}

static void
test_mleval(void)
{
	char *cl[] = { "a", "b", "c" };
	float s[] = { .9f, .6f, .1f,	.2f, .4f, .8f,	.5f, .5f, .5f,
	    .1f, .1f, .1f };
	const char *tr[] = { "a,b", "c,zz", "a,a,b", "" };
	struct tl_mleval *ev = tl_mleval_new(cl, 3);
	struct tl_prf r;
	uint64_t rows;

	for (int i = 0; i < 4; i++)
		T_CHECK(tl_mleval_add(ev, tr[i], s + 3 * i, 0.5) == 0);
	/* Y = [110, 001, 110, 000], P = [110, 001, 111, 000]: sklearn's
	 * accuracy_score 0.75 (but row 2 has an unknown label: 0.5),
	 * hamming_loss 1/12, micro F1 2*5/(2*5+1) = 0.909090909091,
	 * macro F1 mean(1, 1, 2/3) = 0.888888888889. */
	T_CHECK(tl_mleval_total(ev) == 4 && tl_mleval_exact(ev) == 2);
	T_CHECK(tl_mleval_unknown(ev, &rows) == 1 && rows == 1);
	T_NEAR(tl_mleval_hamming(ev), 1.0 / 12, 1e-15);
	tl_mleval_prf_avg(ev, 1, &r);
	T_NEAR(r.f1, 10.0 / 11, 1e-12);
	T_CHECK(r.support == 5);
	tl_mleval_prf_avg(ev, 0, &r);
	T_NEAR(r.f1, (1 + 1 + 2.0 / 3) / 3, 1e-12);
	tl_mleval_prf(ev, 2, &r);
	T_NEAR(r.precision, 0.5, 1e-15);
	tl_mleval_free(ev);
}

static void
test_regeval(void)
{
	struct tl_regeval *ev = tl_regeval_new(2);
	float p[] = { 1, 2 };
	struct tl_err e;

	T_CHECK(tl_regeval_add(ev, "1.5,2", p, &e) == 0);
	T_CHECK(tl_regeval_add(ev, "0.5,-1e1", p, &e) == 0);
	T_NEAR(tl_regacc_mae(tl_regeval_target(ev, 0)), 0.5, 1e-15);
	T_NEAR(tl_regacc_rmse(tl_regeval_target(ev, 1)), sqrt(72), 1e-12);
	T_CHECK(tl_regeval_add(ev, "1", p, &e) == -1);
	T_CHECK(strstr(e.msg, "expected 2 numbers") != NULL);
	T_CHECK(tl_regeval_add(ev, "1,2,3", p, &e) == -1);
	T_CHECK(tl_regeval_add(ev, "1,abc", p, &e) == -1);
	T_CHECK(tl_regeval_add(ev, "1,nan", p, &e) == -1);
	T_CHECK(tl_regeval_add(ev, "1,1e999", p, &e) == -1);
	T_CHECK(tl_regeval_add(ev, " 1,2", p, &e) == -1);
	T_CHECK(tl_regeval_add(ev, "", p, &e) == -1);
	/* Bad labels added nothing. */
	T_CHECK(tl_regeval_target(ev, 0)->n == 2);
	tl_regeval_free(ev);
}

int
main(void)
{
	T_RUN(test_auc);
	T_RUN(test_prf);
	T_RUN(test_regacc);
	T_RUN(test_eval_proba);
	T_RUN(test_eval_binary);
	T_RUN(test_mleval);
	T_RUN(test_regeval);
	return t_done();
}
