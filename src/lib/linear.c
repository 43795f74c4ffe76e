/*
 * Softmax models: training (L-BFGS over the objective of linear.h, in
 * double), the model file (kind "softmax": tensors "weight" [K,d] and
 * "bias" [K], F32) and batched float prediction.  tl-train, tl-predict and
 * tl-stack are thin front ends over this file.
 *
 * The optimiser sees F / (C n): values of order 1 whatever C and n are, and
 * a gradient whose max-norm is compared with tol directly.  L-BFGS steps
 * and its relative stopping tests do not depend on that scaling, so the
 * minimiser is the one of F.
 *
 * It also sees standardised features: x'_j = (x_j - mean_j) / sd_j, with
 * weights w'_j = w_j sd_j and biases b' = b + w.mean, so the penalty
 * becomes sum_j w'_j^2 / sd_j^2.  That is the same problem in other
 * coordinates (the optimum maps back exactly), but a much better
 * conditioned one when the features are not centred - word-vector means
 * share a large common component - and L-BFGS needs about half the
 * iterations.  The stopping test thus reads the gradient with respect to
 * the weights of standardised features, which makes tol independent of
 * the scale of the features too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "linear.h"

/* ------------------------------------------------------------------ */
/* Classes                                                            */
/* ------------------------------------------------------------------ */

struct labelref {
	const char	*s;
	size_t		 row;
};

static int
labelref_cmp(const void *a, const void *b)
{
	const struct labelref *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return (x->row > y->row) - (x->row < y->row);
}

static void
free_strings(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
tl_linear_classes(const char *const *labels, size_t n, char ***classes,
    size_t *k, size_t *y, struct tl_err *e)
{
	struct labelref *ref;
	char **cl = NULL;
	size_t nk = 0, i;

	*classes = NULL;
	*k = 0;
	if ((ref = calloc(n ? n : 1, sizeof(*ref))) == NULL)
		return tl_errf(e, "out of memory");
	for (i = 0; i < n; i++) {
		ref[i].s = labels[i];
		ref[i].row = i;
	}
	qsort(ref, n, sizeof(*ref), labelref_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(ref[i].s, ref[i - 1].s) != 0)
			nk++;
	if ((cl = calloc(nk ? nk : 1, sizeof(*cl))) == NULL)
		goto nomem;
	nk = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(ref[i].s, ref[i - 1].s) != 0)
			if ((cl[nk++] = strdup(ref[i].s)) == NULL)
				goto nomem;
		y[ref[i].row] = nk - 1;
	}
	free(ref);
	*classes = cl;
	*k = nk;
	return 0;
nomem:
	free_strings(cl, nk);
	free(ref);
	return tl_errf(e, "out of memory");
}

/* ------------------------------------------------------------------ */
/* The objective                                                      */
/* ------------------------------------------------------------------ */

/* The data and scratch space of one training run. */
struct problem {
	const double	*x;	/* n x d rows */
	const size_t	*y;	/* n class indices */
	size_t		 n, d, k;
	double		 scale;	/* 1 / (C n): weight of 1/2 ||W||^2 */
	const double	*pen;	/* d penalty weights 1 / sd_j^2, or NULL
				   for all 1 */
	double		*z;	/* n x k logits (n when k == 2) */
};

/* log(1 + exp(u)) without overflow. */
static double
softplus(double u)
{
	return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

static double
sigmoid(double u)
{
	double t;

	if (u >= 0)
		return 1 / (1 + exp(-u));
	t = exp(u);
	return t / (1 + t);
}

/* Binary: theta = (w [d], b).  f = scale/2 sum pen_j w_j^2 + mean
 * softplus(-t z). */
static double
objective_binary(void *ctx, const double *th, double *g, size_t len)
{
	struct problem *P = ctx;
	size_t n = P->n, d = P->d;
	double loss = 0, gb = 0, ww = 0, *z = P->z;

	(void)len;
	for (size_t i = 0; i < n; i++)
		z[i] = th[d];
	cblas_dgemv(CblasRowMajor, CblasNoTrans, n, d, 1, P->x, d, th, 1, 1,
	    z, 1);
	for (size_t i = 0; i < n; i++) {
		int pos = P->y[i] == 1;

		loss += softplus(pos ? -z[i] : z[i]);
		z[i] = sigmoid(z[i]) - pos;	/* d loss / d z */
		gb += z[i];
	}
	for (size_t j = 0; j < d; j++) {
		double pj = P->pen != NULL ? P->pen[j] : 1;

		g[j] = P->scale * pj * th[j];
		ww += pj * th[j] * th[j];
	}
	cblas_dgemv(CblasRowMajor, CblasTrans, n, d, 1.0 / n, P->x, d, z, 1,
	    1, g, 1);
	g[d] = gb / n;
	return 0.5 * P->scale * ww + loss / n;
}

/* Cross-entropy of one row of logits Z (K), turned in place into
 * softmax(z) - onehot(y), the gradient with respect to z. */
static double
row_xent(double *z, size_t k, size_t y)
{
	double m = z[0], zy = z[y], s = 0;

	for (size_t j = 1; j < k; j++)
		m = fmax(m, z[j]);
	for (size_t j = 0; j < k; j++)
		s += (z[j] = exp(z[j] - m));
	for (size_t j = 0; j < k; j++)
		z[j] /= s;
	z[y] -= 1;
	return m + log(s) - zy;
}

/* Multinomial: theta = (W [k x d], b [k]).  f = scale/2 sum pen_j W_kj^2 +
 * mean CE; dW = scale pen W + (P - Y)^T X / n, db = column sums of
 * (P - Y) / n. */
static double
objective_softmax(void *ctx, const double *th, double *g, size_t len)
{
	struct problem *P = ctx;
	size_t n = P->n, d = P->d, k = P->k, kd = k * d;
	const double *b = th + kd;
	double loss = 0, ww = 0, *z = P->z;

	(void)len;
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1,
	    P->x, d, th, d, 0, z, k);
	for (size_t j = 0; j < k; j++)
		g[kd + j] = 0;
	for (size_t i = 0; i < n; i++) {
		double *zi = z + i * k;

		for (size_t j = 0; j < k; j++)
			zi[j] += b[j];
		loss += row_xent(zi, k, P->y[i]);
		for (size_t j = 0; j < k; j++)
			g[kd + j] += zi[j];
	}
	for (size_t j = 0; j < k; j++)
		g[kd + j] /= n;
	for (size_t j = 0; j < kd; j++) {
		double pj = P->pen != NULL ? P->pen[j % d] : 1;

		g[j] = P->scale * pj * th[j];
		ww += pj * th[j] * th[j];
	}
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, n,
	    1.0 / n, z, k, P->x, d, 1, g, d);
	return 0.5 * P->scale * ww + loss / n;
}

double
tl_linear_objective(const double *x, size_t n, size_t d, const size_t *y,
    size_t k, double C, const double *theta, double *grad)
{
	struct problem P = { x, y, n, d, k, 1 / (C * (double)n), NULL, NULL };
	size_t len = k == 2 ? d + 1 : k * d + k;
	double *g = grad, f;

	P.z = malloc((k == 2 ? n : n * k) * sizeof(double));
	if (g == NULL)
		g = malloc(len * sizeof(double));
	if (P.z == NULL || g == NULL)
		f = NAN;
	else if (k == 2)
		f = objective_binary(&P, theta, g, len);
	else
		f = objective_softmax(&P, theta, g, len);
	if (g != grad)
		free(g);
	free(P.z);
	return f;
}

/* Fraction of rows whose largest logit (first on ties) is the true class,
 * at the parameters TH. */
static double
train_accuracy(struct problem *P, const double *th)
{
	size_t n = P->n, d = P->d, k = P->k, hits = 0, best;
	double *z = P->z;

	if (k == 2) {
		for (size_t i = 0; i < n; i++)
			z[i] = th[d];
		cblas_dgemv(CblasRowMajor, CblasNoTrans, n, d, 1, P->x, d,
		    th, 1, 1, z, 1);
		for (size_t i = 0; i < n; i++)
			hits += (size_t)(z[i] > 0) == P->y[i];
		return (double)hits / n;
	}
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1,
	    P->x, d, th, d, 0, z, k);
	for (size_t i = 0; i < n; i++) {
		const double *zi = z + i * k;

		best = 0;
		for (size_t j = 1; j < k; j++)
			if (zi[j] + th[k * d + j] > zi[best] + th[k * d + best])
				best = j;
		hits += best == P->y[i];
	}
	return (double)hits / n;
}

/* ------------------------------------------------------------------ */
/* Training                                                           */
/* ------------------------------------------------------------------ */

void
tl_linear_opts_init(struct tl_linear_opts *o)
{
	o->C = 1;
	o->tol = 1e-8;
	o->max_iter = 1000;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Allocate LIN for K classes of D inputs, copying CLASSES. */
static int
linear_alloc(struct tl_linear *lin, size_t k, size_t d,
    char *const *classes, struct tl_err *e)
{
	memset(lin, 0, sizeof(*lin));
	if (k == 0 || d == 0 || k > SIZE_MAX / sizeof(float) / d)
		return tl_errf(e, "model too large: %zu classes x %zu inputs",
		    k, d);
	lin->w = calloc(k * d, sizeof(float));
	lin->b = calloc(k, sizeof(float));
	lin->classes = calloc(k, sizeof(char *));
	if (lin->w == NULL || lin->b == NULL || lin->classes == NULL)
		goto nomem;
	lin->k = k;
	lin->d = d;
	for (size_t j = 0; j < k; j++)
		if ((lin->classes[j] = strdup(classes[j])) == NULL)
			goto nomem;
	return 0;
nomem:
	tl_linear_free(lin);
	return tl_errf(e, "out of memory");
}

/* Copy the solution TH into LIN's float weights. */
static void
store_solution(struct tl_linear *lin, const double *th)
{
	size_t k = lin->k, d = lin->d;

	if (k == 2) {		/* rows [0; w], biases [0; b] */
		for (size_t j = 0; j < d; j++) {
			lin->w[j] = 0;
			lin->w[d + j] = (float)th[j];
		}
		lin->b[0] = 0;
		lin->b[1] = (float)th[d];
		return;
	}
	for (size_t j = 0; j < k * d; j++)
		lin->w[j] = (float)th[j];
	for (size_t j = 0; j < k; j++)
		lin->b[j] = (float)th[k * d + j];
}

static void
run_lbfgs(struct problem *P, double *th, size_t len,
    const struct tl_linear_opts *o, struct tl_linear_report *r)
{
	struct tl_lbfgs_param lp;
	struct tl_lbfgs_result lr;
	double t0 = now();

	tl_lbfgs_param_init(&lp);
	lp.gtol = o->tol;
	lp.max_iter = o->max_iter;
	tl_lbfgs_minimize(P->k == 2 ? objective_binary : objective_softmax, P,
	    th, len, &lp, &lr);
	r->seconds = now() - t0;
	r->iterations = lr.iterations;
	r->evaluations = lr.evaluations;
	r->loss = lr.f / P->scale;
	r->gnorm = lr.gnorm;
	r->status = lr.status;
	snprintf(r->msg, sizeof(r->msg), "%s", lr.msg);
}

/* Standardise the N rows X into XD: column j centred on MEAN[j] and
 * divided by SD[j] (1 for a constant column, which needs no scaling);
 * PEN[j] = 1 / SD[j]^2 carries the penalty into the new coordinates. */
static void
standardise(const float *x, size_t n, size_t d, double *xd, double *mean,
    double *sd, double *pen)
{
	size_t i, j;

	for (j = 0; j < d; j++)
		mean[j] = sd[j] = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			mean[j] += x[i * d + j];
	for (j = 0; j < d; j++)
		mean[j] /= n;
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++) {
			xd[i * d + j] = x[i * d + j] - mean[j];
			sd[j] += xd[i * d + j] * xd[i * d + j];
		}
	for (j = 0; j < d; j++) {
		sd[j] = sqrt(sd[j] / n);
		if (!(sd[j] > 1e-10))
			sd[j] = 1;
		pen[j] = 1 / (sd[j] * sd[j]);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			xd[i * d + j] /= sd[j];
}

/* Map the solution TH for standardised features back to the original
 * ones: w = w' / sd, b = b' - w.mean, for each of the ROWS weight rows. */
static void
unstandardise(double *th, size_t rows, size_t d, const double *mean,
    const double *sd)
{
	double *b = th + rows * d;

	for (size_t c = 0; c < rows; c++)
		for (size_t j = 0; j < d; j++) {
			th[c * d + j] /= sd[j];
			b[c] -= th[c * d + j] * mean[j];
		}
}

int
tl_linear_train(struct tl_linear *lin, const float *x, size_t n, size_t d,
    const size_t *y, char *const *classes, size_t k,
    const struct tl_linear_opts *o, struct tl_linear_report *r,
    struct tl_err *e)
{
	struct tl_linear_opts defaults;
	struct problem P;
	double *xd = NULL, *th = NULL, *mean = NULL;
	size_t len, rows;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&P, 0, sizeof(P));
	if (o == NULL) {
		tl_linear_opts_init(&defaults);
		o = &defaults;
	}
	if (k < 2 || n == 0)
		return tl_errf(e, "training needs at least 2 classes and 1 "
		    "row, found %zu and %zu", k, n);
	if (!(o->C > 0) || !(o->tol >= 0))
		return tl_errf(e, "C must be > 0 and tol >= 0");
	if (linear_alloc(lin, k, d, classes, e) != 0)
		return -1;
	rows = k == 2 ? 1 : k;		/* weight rows optimised */
	len = rows * d + rows;
	if (n > SIZE_MAX / sizeof(double) / d || n > SIZE_MAX / 8 / k ||
	    (xd = malloc(n * d * sizeof(double))) == NULL ||
	    (mean = malloc(3 * d * sizeof(double))) == NULL ||
	    (th = calloc(len, sizeof(double))) == NULL ||
	    (P.z = malloc((k == 2 ? n : n * k) * sizeof(double))) == NULL) {
		tl_errf(e, "out of memory for %zu rows x %zu values", n, d);
		goto out;
	}
	standardise(x, n, d, xd, mean, mean + d, mean + 2 * d);
	P.x = xd;
	P.y = y;
	P.n = n;
	P.d = d;
	P.k = k;
	P.scale = 1 / (o->C * (double)n);
	P.pen = mean + 2 * d;
	run_lbfgs(&P, th, len, o, r);
	if (r->status == TL_LBFGS_ERROR) {
		tl_errf(e, "training failed: %s", r->msg);
		goto out;
	}
	r->rows = n;
	r->accuracy = train_accuracy(&P, th);
	unstandardise(th, rows, d, mean, mean + d);
	store_solution(lin, th);
	rc = 0;
out:
	if (rc != 0)
		tl_linear_free(lin);
	free(P.z);
	free(th);
	free(mean);
	free(xd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Model files                                                        */
/* ------------------------------------------------------------------ */

json_t *
tl_linear_meta(const struct tl_linear *lin, const struct tl_linear_opts *o,
    const struct tl_linear_report *r, const char *input_model,
    char *const *stacked, size_t nstacked)
{
	json_t *meta, *classes, *st;
	const char *im = input_model ? input_model : "";

	if ((meta = tl_meta_new("softmax", "tl-train")) == NULL)
		return NULL;
	classes = json_array();
	st = json_array();
	for (size_t j = 0; j < lin->k && classes; j++)
		if (json_array_append_new(classes,
		    json_string(lin->classes[j])) != 0)
			goto fail;
	for (size_t j = 0; j < nstacked && st; j++)
		if (json_array_append_new(st, json_string(stacked[j])) != 0)
			goto fail;
	if (classes == NULL || st == NULL ||
	    json_object_set_new(meta, "input_dim",
	    json_integer((json_int_t)lin->d)) != 0 ||
	    json_object_set_new(meta, "output_dim",
	    json_integer((json_int_t)lin->k)) != 0 ||
	    json_object_set(meta, "classes", classes) != 0 ||
	    json_object_set_new(meta, "hyperparameters",
	    json_pack("{s:f,s:f,s:I}", "C", o->C, "tol", o->tol, "max_iter",
	    (json_int_t)o->max_iter)) != 0 ||
	    json_object_set_new(meta, "training",
	    json_pack("{s:I,s:I,s:f,s:f}", "rows", (json_int_t)r->rows,
	    "iterations", (json_int_t)r->iterations, "loss", r->loss,
	    "accuracy", r->accuracy)) != 0 ||
	    json_object_set_new(meta, "input", json_pack("{s:s,s:O}", "model",
	    im, "stacked", st)) != 0)
		goto fail;
	if (*im != '\0' &&
	    tl_meta_add_parent(meta, im, "embedding", "input-embedding") != 0)
		goto fail;
	for (size_t j = 0; j < nstacked; j++)
		if (tl_meta_add_parent(meta, stacked[j], "softmax",
		    "stacked") != 0)
			goto fail;
	json_decref(classes);
	json_decref(st);
	return meta;
fail:
	json_decref(classes);
	json_decref(st);
	json_decref(meta);
	return NULL;
}

int
tl_linear_save(const struct tl_linear *lin, json_t *meta, FILE *f,
    char digest[65], struct tl_err *e)
{
	struct tl_model_writer *w;
	uint64_t wshape[2] = { lin->k, lin->d }, bshape[1] = { lin->k };
	int rc = -1;

	if ((w = tl_model_writer_new()) == NULL)
		return tl_errf(e, "out of memory");
	if (tl_model_writer_add(w, "weight", TL_DTYPE_F32, 2, wshape, lin->w,
	    e) == 0 &&
	    tl_model_writer_add(w, "bias", TL_DTYPE_F32, 1, bshape, lin->b,
	    e) == 0)
		rc = tl_model_writer_write(w, meta, f, digest, e);
	tl_model_writer_free(w);
	return rc;
}

/* Check that CL is an array of K usable, strictly increasing class names
 * and copy them into LIN. */
static int
load_classes(struct tl_linear *lin, json_t *cl, size_t k, struct tl_err *e)
{
	const char *s, *prev = NULL;

	if (!json_is_array(cl) || json_array_size(cl) != k)
		return tl_errf(e, "model description: \"classes\" must be an "
		    "array of output_dim (%zu) strings", k);
	for (size_t j = 0; j < k; j++) {
		if ((s = json_string_value(json_array_get(cl, j))) == NULL ||
		    *s == '\0' || strpbrk(s, "\t\n\r") != NULL)
			return tl_errf(e, "model description: class %zu: "
			    "expected a non-empty string without TAB or "
			    "newline", j + 1);
		if (prev != NULL && strcmp(prev, s) >= 0)
			return tl_errf(e, "model description: classes not "
			    "distinct and sorted: \"%s\" after \"%s\"", s,
			    prev);
		if ((lin->classes[j] = strdup(s)) == NULL)
			return tl_errf(e, "out of memory");
		prev = s;
	}
	return 0;
}

/* The unsigned integer field NAME of META, or -1 with E. */
static int
meta_size(json_t *meta, const char *name, size_t *out, struct tl_err *e)
{
	json_t *v = json_object_get(meta, name);

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (uint64_t)json_integer_value(v) > SIZE_MAX / 16)
		return tl_errf(e, "model description: \"%s\" must be a "
		    "positive integer", name);
	*out = (size_t)json_integer_value(v);
	return 0;
}

int
tl_linear_load(struct tl_model *m, struct tl_linear *lin, struct tl_err *e)
{
	const char *kind = tl_model_kind(m);
	json_t *meta = tl_model_meta(m);
	const float *w, *b;
	uint64_t ws[2], bs[1];
	size_t k, d;

	memset(lin, 0, sizeof(*lin));
	if (meta == NULL)
		return tl_errf(e, "not a softmax model (a plain safetensors "
		    "file without a tl description)");
	if (kind == NULL)
		return tl_errf(e, "not a softmax model (no \"kind\" in its "
		    "description)");
	if (strcmp(kind, "softmax") != 0)
		return tl_errf(e, "not a softmax model (kind \"%s\")", kind);
	if (meta_size(meta, "input_dim", &d, e) != 0 ||
	    meta_size(meta, "output_dim", &k, e) != 0)
		return -1;
	if (k < 2)
		return tl_errf(e, "model description: output_dim %zu: a "
		    "softmax model needs at least 2 classes", k);
	if ((w = tl_model_f32(m, "weight", 2, ws, e)) == NULL ||
	    (b = tl_model_f32(m, "bias", 1, bs, e)) == NULL)
		return -1;
	if (ws[0] != k || ws[1] != d || bs[0] != k)
		return tl_errf(e, "tensor shapes weight [%llu,%llu], bias "
		    "[%llu] do not match output_dim %zu, input_dim %zu",
		    (unsigned long long)ws[0], (unsigned long long)ws[1],
		    (unsigned long long)bs[0], k, d);
	if ((lin->w = malloc(k * d * sizeof(float))) == NULL ||
	    (lin->b = malloc(k * sizeof(float))) == NULL ||
	    (lin->classes = calloc(k, sizeof(char *))) == NULL) {
		tl_linear_free(lin);
		return tl_errf(e, "out of memory");
	}
	lin->k = k;
	lin->d = d;
	if (load_classes(lin, json_object_get(meta, "classes"), k, e) != 0) {
		tl_linear_free(lin);
		return -1;
	}
	memcpy(lin->w, w, k * d * sizeof(float));
	memcpy(lin->b, b, k * sizeof(float));
	for (size_t j = 0; j < k * d; j++)
		if (!isfinite(lin->w[j]) || (j < k && !isfinite(lin->b[j]))) {
			tl_linear_free(lin);
			return tl_errf(e, "model has non-finite weights");
		}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Prediction                                                         */
/* ------------------------------------------------------------------ */

void
tl_linear_proba(const struct tl_linear *lin, const float *x, size_t n,
    float *p)
{
	size_t k = lin->k;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * k, lin->b, k * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, lin->d, 1,
	    x, lin->d, lin->w, lin->d, 1, p, k);
	for (size_t i = 0; i < n; i++) {
		float *pi = p + i * k, m = pi[0], s = 0;

		for (size_t j = 1; j < k; j++)
			m = fmaxf(m, pi[j]);
		for (size_t j = 0; j < k; j++)
			s += (pi[j] = expf(pi[j] - m));
		for (size_t j = 0; j < k; j++)
			pi[j] /= s;
	}
}

size_t
tl_linear_argmax(const float *p, size_t k)
{
	size_t best = 0;

	for (size_t j = 1; j < k; j++)
		if (p[j] > p[best])
			best = j;
	return best;
}

void
tl_linear_free(struct tl_linear *lin)
{
	free_strings(lin->classes, lin->k);
	free(lin->w);
	free(lin->b);
	memset(lin, 0, sizeof(*lin));
}
