/*
 * Multi-layer perceptrons: training by Adam on mini-batches, the batched
 * forward and backward passes (cblas_sgemm over whole batches), model
 * files and prediction; see mlp.h.  One pass routine (run_rows) serves
 * training batches, validation, the final figures and the gradient check,
 * so that what is tested is what trains.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "cv.h"
#include "mlp.h"
#include "par.h"

#define CHUNK 256	/* rows per pass of tl_mlp_apply and evaluation */

/* Buffers for passes of up to CAP rows. */
struct ws {
	size_t	  cap;
	float	 *x, *a1, *a2, *z, *d1, *d2;
	double	 *c;
};

/* One kind of pass over rows: the network, the (standardised) rows X of
 * DATA, per-row weights S (NULL: 1) and the factor making them the
 * coefficients c_i = s_i * scale of the summed loss. */
struct pass {
	const struct tl_mlp		*m;
	const float			*x;
	const struct tl_linear_data	*data;
	const double			*s;
	double				 scale;
	struct ws			*w;
};

void
tl_mlp_opts_init(struct tl_mlp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->h1 = 100;
	o->epochs = 200;
	o->batch = 64;
	o->patience = 10;
	o->lr = 1e-3;
	o->val_fraction = 0.1;
	o->C = 1;
}

static size_t
last_width(const struct tl_mlp *m)
{
	return m->h2 ? m->h2 : m->h1;
}

/* Bytes of tl_mlp_apply's buffers: a chunk's input and hidden layers. */
static size_t
scratch_size(size_t d, size_t h1, size_t h2)
{
	return CHUNK * (d + h1 + h2) * sizeof(float);
}

int
tl_mlp_alloc(struct tl_mlp *m, size_t d, size_t h1, size_t h2, size_t k,
    int regression, struct tl_err *e)
{
	size_t hl = h2 ? h2 : h1, np;

	memset(m, 0, sizeof(*m));
	if (d == 0 || h1 == 0 || k == 0 || d > 1 << 24 || h1 > 1 << 20 ||
	    h2 > 1 << 20 || k > 1 << 24)
		return tl_errf(e, "mlp: unusable shape %zu-%zu-%zu-%zu", d,
		    h1, h2, k);
	np = h1 * d + h1 + h2 * h1 + h2 + k * hl + k;
	m->p = calloc(np, sizeof(float));
	m->classes = calloc(k, sizeof(char *));
	m->scratch = malloc(scratch_size(d, h1, h2));
	if (m->p == NULL || m->classes == NULL || m->scratch == NULL) {
		tl_mlp_free(m);
		return tl_errf(e, "out of memory");
	}
	m->d = d;
	m->h1 = h1;
	m->h2 = h2;
	m->k = k;
	m->np = np;
	m->regression = regression;
	m->w1 = m->p;
	m->b1 = m->w1 + h1 * d;
	m->w2 = m->b1 + h1;
	m->b2 = m->w2 + h2 * h1;
	m->wo = m->b2 + h2;
	m->bo = m->wo + k * hl;
	return 0;
}

void
tl_mlp_free(struct tl_mlp *m)
{
	for (size_t j = 0; m->classes != NULL && j < m->k; j++)
		free(m->classes[j]);
	free(m->classes);
	free(m->p);
	free(m->mean);
	free(m->scale);
	free(m->scratch);
	memset(m, 0, sizeof(*m));
}

int
tl_mlp_share(const struct tl_mlp *m, struct tl_mlp *t)
{
	*t = *m;
	t->scratch = malloc(scratch_size(m->d, m->h1, m->h2));
	return t->scratch != NULL ? 0 : -1;
}

void
tl_mlp_unshare(struct tl_mlp *t)
{
	free(t->scratch);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* Passes                                                             */
/* ------------------------------------------------------------------ */

/* A uniform double in [0, 1) from *RNG. */
static double
uniform(uint64_t *rng)
{
	return (double)(tl_rng_next(rng) >> 11) * 0x1p-53;
}

/* OUT (b x dout) = IN (b x din) W^T + bias; then ReLU and, with DROP > 0,
 * inverted dropout: each unit zeroed with probability DROP, the others
 * scaled by 1 / (1 - DROP). */
static void
layer(const float *in, size_t b, size_t din, const float *w, const float *bias,
    size_t dout, float *out, int relu, double drop, uint64_t *rng)
{
	float keep = drop > 0 ? (float)(1 / (1 - drop)) : 1;

	for (size_t i = 0; i < b; i++)
		memcpy(out + i * dout, bias, dout * sizeof(float));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)dout,
	    (int)din, 1, in, (int)din, w, (int)din, 1, out, (int)dout);
	if (!relu)
		return;
	for (size_t i = 0; i < b * dout; i++) {
		out[i] = out[i] > 0 ? out[i] : 0;
		if (drop > 0)
			out[i] = uniform(rng) < drop ? 0 : out[i] * keep;
	}
}

/* The B rows X through M: hidden activations into W, outputs into Z. */
static void
forward(const struct tl_mlp *m, const float *x, size_t b, struct ws *w,
    float *z, double drop, uint64_t *rng)
{
	layer(x, b, m->d, m->w1, m->b1, m->h1, w->a1, 1, drop, rng);
	if (m->h2)
		layer(w->a1, b, m->h1, m->w2, m->b2, m->h2, w->a2, 1, drop,
		    rng);
	layer(m->h2 ? w->a2 : w->a1, b, last_width(m), m->wo, m->bo, m->k, z,
	    0, 0, NULL);
}

/* D (b x n, the gradient at a layer's output) back through its ReLU and
 * dropout: A is the layer's output, positive exactly where a unit was
 * active and kept, with slope KEEP. */
static void
relu_back(float *d, const float *a, size_t len, float keep)
{
	for (size_t i = 0; i < len; i++)
		d[i] = a[i] > 0 ? d[i] * keep : 0;
}

/* Add the column sums of A (b x n) to S. */
static void
colsum(const float *a, size_t b, size_t n, float *s)
{
	for (size_t i = 0; i < b; i++)
		for (size_t j = 0; j < n; j++)
			s[j] += a[i * n + j];
}

/* Add to G (layout of m->p) the gradient of the B rows X given DZ, the
 * gradient at the outputs (b x k), using the activations in W. */
static void
backward(const struct tl_mlp *m, const float *x, size_t b, struct ws *w,
    const float *dz, double drop, float *g)
{
	size_t hl = last_width(m);
	float keep = drop > 0 ? (float)(1 / (1 - drop)) : 1;
	float *last = m->h2 ? w->a2 : w->a1, *dl = m->h2 ? w->d2 : w->d1;
	int B = (int)b;

	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m->k,
	    (int)hl, B, 1, dz, (int)m->k, last, (int)hl, 1,
	    g + (m->wo - m->p), (int)hl);
	colsum(dz, b, m->k, g + (m->bo - m->p));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)hl,
	    (int)m->k, 1, dz, (int)m->k, m->wo, (int)hl, 0, dl, (int)hl);
	relu_back(dl, last, b * hl, keep);
	if (m->h2) {
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
		    (int)m->h2, (int)m->h1, B, 1, w->d2, (int)m->h2, w->a1,
		    (int)m->h1, 1, g + (m->w2 - m->p), (int)m->h1);
		colsum(w->d2, b, m->h2, g + (m->b2 - m->p));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B,
		    (int)m->h1, (int)m->h2, 1, w->d2, (int)m->h2, m->w2,
		    (int)m->h1, 0, w->d1, (int)m->h1);
		relu_back(w->d1, w->a1, b * m->h1, keep);
	}
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m->h1,
	    (int)m->d, B, 1, w->d1, (int)m->h1, x, (int)m->d, 1,
	    g + (m->w1 - m->p), (int)m->d);
	colsum(w->d1, b, m->h1, g + (m->b1 - m->p));
}

/* The losses of the B outputs Z (rows IDX of the data) weighted by C:
 * returns sum c_i loss_i and, with GRAD, turns Z into c_i dloss_i/dz.
 * Adds the right predictions to *CORRECT (classes only). */
static double
out_loss(const struct pass *ps, float *z, size_t b, const size_t *idx,
    const double *c, int grad, size_t *correct)
{
	const struct tl_mlp *m = ps->m;
	size_t k = m->k, y, best;
	double sum = 0, mx, se, r;

	for (size_t i = 0; i < b; i++) {
		float *zi = z + i * k;

		if (m->regression) {
			r = zi[0] - ps->data->value[idx[i]];
			sum += c[i] * r * r / 2;
			if (grad)
				zi[0] = (float)(c[i] * r);
			continue;
		}
		y = ps->data->y[idx[i]];
		best = tl_linear_argmax(zi, k);
		*correct += best == y;
		mx = zi[best];
		se = 0;
		for (size_t j = 0; j < k; j++)
			se += exp(zi[j] - mx);
		sum += c[i] * (log(se) - (zi[y] - mx));
		if (!grad)
			continue;
		for (size_t j = 0; j < k; j++)
			zi[j] = (float)(c[i] * (exp(zi[j] - mx) / se -
			    (j == y)));
	}
	return sum;
}

/* One pass over the NIDX rows IDX in chunks of ps->w->cap: returns the
 * summed weighted loss; with GRAD (zeroed by the caller) adds its
 * gradient; with DROP > 0 draws dropout masks from *RNG. */
static double
run_rows(const struct pass *ps, const size_t *idx, size_t nidx, double drop,
    uint64_t *rng, float *grad, size_t *correct)
{
	struct ws *w = ps->w;
	size_t d = ps->m->d, b;
	double sum = 0;

	for (size_t off = 0; off < nidx; off += b) {
		b = nidx - off < w->cap ? nidx - off : w->cap;
		for (size_t i = 0; i < b; i++) {
			memcpy(w->x + i * d, ps->x + idx[off + i] * d,
			    d * sizeof(float));
			w->c[i] = (ps->s ? ps->s[idx[off + i]] : 1) *
			    ps->scale;
		}
		forward(ps->m, w->x, b, w, w->z, drop, rng);
		sum += out_loss(ps, w->z, b, idx + off, w->c, grad != NULL,
		    correct);
		if (grad != NULL)
			backward(ps->m, w->x, b, w, w->z, drop, grad);
	}
	return sum;
}

static void
ws_free(struct ws *w)
{
	free(w->x);
	free(w->a1);
	free(w->a2);
	free(w->z);
	free(w->d1);
	free(w->d2);
	free(w->c);
}

static int
ws_alloc(struct ws *w, const struct tl_mlp *m, size_t cap)
{
	size_t h2 = m->h2 ? m->h2 : 1;

	w->cap = cap;
	w->x = malloc(cap * m->d * sizeof(float));
	w->a1 = malloc(cap * m->h1 * sizeof(float));
	w->d1 = malloc(cap * m->h1 * sizeof(float));
	w->a2 = malloc(cap * h2 * sizeof(float));
	w->d2 = malloc(cap * h2 * sizeof(float));
	w->z = malloc(cap * m->k * sizeof(float));
	w->c = malloc(cap * sizeof(double));
	if (w->x && w->a1 && w->d1 && w->a2 && w->d2 && w->z && w->c)
		return 0;
	ws_free(w);
	return -1;
}

/* Add the penalty's gradient, HID W / (C S) for the hidden layers' W and
 * W / (C S) for the output's, to G; return the penalty times C S. */
static double
penalty(const struct tl_mlp *m, double cs, double hid, float *g)
{
	const float *seg[3] = { m->w1, m->w2, m->wo };
	size_t len[3] = { m->h1 * m->d, m->h2 * m->h1, m->k * last_width(m) };
	double sq = 0, f;

	for (int s = 0; s < 3; s++) {
		f = s < 2 ? hid : 1;
		for (size_t j = 0; j < len[s]; j++) {
			sq += f * seg[s][j] * seg[s][j];
			if (g != NULL)
				g[seg[s] - m->p + j] += (float)(f * seg[s][j] /
				    cs);
		}
	}
	return sq / 2;
}

double
tl_mlp_objective(const struct tl_mlp *m, const struct tl_linear_data *data,
    double C, double dropout, uint64_t seed, float *grad)
{
	struct ws w;
	struct pass ps = { m, data->x, data, data->sw, 1, &w };
	size_t *idx, correct = 0;
	double S = 0, f;

	if ((idx = malloc(data->n * sizeof(*idx))) == NULL)
		return NAN;
	if (ws_alloc(&w, m, CHUNK) != 0) {
		free(idx);
		return NAN;
	}
	for (size_t i = 0; i < data->n; i++) {
		idx[i] = i;
		S += data->sw ? data->sw[i] : 1;
	}
	ps.scale = 1 / S;
	if (grad != NULL)
		memset(grad, 0, m->np * sizeof(float));
	f = run_rows(&ps, idx, data->n, dropout, &seed, grad, &correct);
	f += penalty(m, C * S, 1, grad) / (C * S);
	ws_free(&w);
	free(idx);
	return f;
}

/* ------------------------------------------------------------------ */
/* Training                                                           */
/* ------------------------------------------------------------------ */

/* Everything one fit holds. */
struct fit {
	struct tl_mlp			*m;
	const struct tl_linear_data	*data;
	const struct tl_mlp_opts	*o;
	float	 *x;		/* rows, standardised or data->x */
	float	 *xs;		/* owned copy when standardised */
	double	 *s;		/* row weights */
	size_t	 *perm;		/* [0, nval) held out, the rest trained on */
	size_t	  nval, ntr;
	double	  S;		/* sum of the training rows' weights */
	float	 *g, *am, *av, *best;	/* gradient, Adam moments, best p */
	struct ws w;
	uint64_t  rng;
	/* regression: the targets standardised, (value - ymean) / ysd, in
	 * a copy of the data that training sees; hid = 1 / ysd^2 */
	struct tl_linear_data sdata;
	double	 *ys, ymean, ysd, hid;
};

/* Learn and apply the standardisation (population sd; 1 for a constant
 * column), rounded to the floats the model stores; with an init model,
 * apply its own. */
static int
fit_standardise(struct fit *F)
{
	const float *x = F->data->x;
	size_t n = F->data->n, d = F->m->d;
	struct tl_mlp *m = F->m;

	const struct tl_mlp *m0 = F->o->init;

	m->mean = malloc(d * sizeof(float));
	m->scale = malloc(d * sizeof(float));
	F->xs = malloc(n * d * sizeof(float));
	if (m->mean == NULL || m->scale == NULL || F->xs == NULL)
		return -1;
	if (m0 != NULL) {	/* the weights expect its inputs */
		memcpy(m->mean, m0->mean, d * sizeof(float));
		memcpy(m->scale, m0->scale, d * sizeof(float));
	}
	for (size_t j = 0; m0 == NULL && j < d; j++) {
		double s = 0, ss = 0, mu;

		for (size_t i = 0; i < n; i++)
			s += x[i * d + j];
		mu = (float)(s / n);
		for (size_t i = 0; i < n; i++)
			ss += (x[i * d + j] - mu) * (x[i * d + j] - mu);
		ss = sqrt(ss / n);
		m->mean[j] = (float)mu;
		m->scale[j] = ss > 1e-10 ? (float)ss : 1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			F->xs[i * d + j] = (x[i * d + j] - m->mean[j]) /
			    m->scale[j];
	F->x = F->xs;
	return 0;
}

/* Regression trains on standardised targets, z' = (z - ymean) / ysd, so
 * that Adam's steps (of about lr each, whatever the gradient's scale)
 * need not walk the output bias to a mean of 5000 or fit a spread of
 * 1e-3: the same network with wo = ysd wo', bo = ysd bo' + ymean.  The
 * objective is then F / ysd^2 exactly when the hidden layers' penalty is
 * divided by ysd^2 (the output's scales with wo).  Classes: nothing. */
static int
fit_targets(struct fit *F)
{
	const struct tl_linear_data *D = F->data;
	double s = 0, ss = 0;

	F->ymean = 0;
	F->ysd = F->hid = 1;
	if (!F->m->regression)
		return 0;
	if ((F->ys = malloc(D->n * sizeof(double))) == NULL)
		return -1;
	for (size_t i = 0; i < D->n; i++)
		s += D->value[i];
	F->ymean = s / D->n;
	for (size_t i = 0; i < D->n; i++)
		ss += (D->value[i] - F->ymean) * (D->value[i] - F->ymean);
	F->ysd = sqrt(ss / D->n);
	if (!(F->ysd > 1e-10 * fmax(1, fabs(F->ymean))) || !isfinite(F->ysd))
		F->ysd = 1;
	F->hid = 1 / (F->ysd * F->ysd);
	for (size_t i = 0; i < D->n; i++)
		F->ys[i] = (D->value[i] - F->ymean) / F->ysd;
	F->sdata = *D;
	F->sdata.value = F->ys;
	F->data = &F->sdata;
	return 0;
}

/* Back to the targets' units (see fit_targets), and to the caller's data
 * for the report. */
static void
unscale_targets(struct fit *F, const struct tl_linear_data *data)
{
	struct tl_mlp *m = F->m;
	size_t hl = last_width(m);

	F->data = data;
	if (!m->regression)
		return;
	for (size_t j = 0; j < m->k * hl; j++)
		m->wo[j] = (float)(F->ysd * m->wo[j]);
	for (size_t c = 0; c < m->k; c++)
		m->bo[c] = (float)(F->ysd * m->bo[c] + F->ymean);
}

/* Start from the init model (o->init) instead of the random weights:
 * every hidden layer, and the output rows of the classes it knows (by
 * name; the others keep their random rows and zero biases), in the
 * targets' training units (see fit_targets). */
static void
fit_from_init(struct fit *F, char *const *classes)
{
	const struct tl_mlp *m0 = F->o->init;
	struct tl_mlp *m = F->m;
	size_t hl = last_width(m), c, j;

	if (m0 == NULL)
		return;
	memcpy(m->p, m0->p, (size_t)(m->wo - m->p) * sizeof(float));
	for (c = 0; c < m->k; c++)
		for (j = 0; j < m0->k; j++) {
			if (!m->regression &&
			    strcmp(classes[c], m0->classes[j]) != 0)
				continue;
			for (size_t h = 0; h < hl; h++)
				m->wo[c * hl + h] = (float)(m0->wo[j * hl + h] /
				    F->ysd);
			m->bo[c] = (float)((m0->bo[j] - F->ymean) / F->ysd);
			break;
		}
}

/* Row weights (data's, times n / (K n_c) when balanced), the held-out
 * split and S. */
static int
fit_rows(struct fit *F, struct tl_err *e)
{
	const struct tl_linear_data *D = F->data;
	size_t n = D->n, k = F->m->k, *cnt, j, t;

	if ((F->s = malloc(n * sizeof(double))) == NULL ||
	    (F->perm = malloc(n * sizeof(size_t))) == NULL ||
	    (cnt = calloc(k, sizeof(size_t))) == NULL)
		return tl_errf(e, "out of memory");
	for (size_t i = 0; i < n; i++) {
		F->s[i] = D->sw ? D->sw[i] : 1;
		if (!F->m->regression)
			cnt[D->y[i]]++;
	}
	for (size_t i = 0; F->o->balanced && !F->m->regression && i < n; i++)
		F->s[i] *= (double)n / ((double)k * cnt[D->y[i]]);
	free(cnt);
	for (size_t i = 0; i < n; i++)
		F->perm[i] = i;
	for (size_t i = n; i > 1; i--) {
		j = tl_rng_below(&F->rng, i);
		t = F->perm[i - 1];
		F->perm[i - 1] = F->perm[j];
		F->perm[j] = t;
	}
	F->nval = (size_t)(F->o->val_fraction * n);
	if (F->nval >= n)
		F->nval = n - 1;
	F->ntr = n - F->nval;
	F->S = 0;
	for (size_t i = F->nval; i < n; i++)
		F->S += F->s[F->perm[i]];
	if (!(F->S > 0))
		return tl_errf(e, "the training rows' weights sum to 0");
	return 0;
}

/* He-uniform weights for the ReLU layers, Glorot-uniform for the output;
 * zero biases. */
static void
fit_init(struct fit *F)
{
	struct tl_mlp *m = F->m;
	size_t hl = last_width(m);
	double a;

	a = sqrt(6.0 / m->d);
	for (size_t j = 0; j < m->h1 * m->d; j++)
		m->w1[j] = (float)(a * (2 * uniform(&F->rng) - 1));
	a = sqrt(6.0 / (m->h1 ? m->h1 : 1));
	for (size_t j = 0; j < m->h2 * m->h1; j++)
		m->w2[j] = (float)(a * (2 * uniform(&F->rng) - 1));
	a = sqrt(6.0 / (hl + m->k));
	for (size_t j = 0; j < m->k * hl; j++)
		m->wo[j] = (float)(a * (2 * uniform(&F->rng) - 1));
}

/* One Adam step (t counts from 1) with the gradient in F->g. */
static void
adam(struct fit *F, size_t t)
{
	const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
	double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);
	double lr = F->o->lr * sqrt(c2) / c1;
	float *p = F->m->p, *g = F->g, *am = F->am, *av = F->av;

	for (size_t j = 0; j < F->m->np; j++) {
		am[j] = (float)(b1 * am[j] + (1 - b1) * g[j]);
		av[j] = (float)(b2 * av[j] + (1 - b2) * (double)g[j] * g[j]);
		p[j] -= (float)(lr * am[j] / (sqrt(av[j]) + eps));
	}
}

/* One epoch: shuffle the training rows, one Adam step per mini-batch. */
static void
fit_epoch(struct fit *F, size_t *step)
{
	size_t *tr = F->perm + F->nval, n = F->ntr, b, j, t, correct = 0;
	struct pass ps = { F->m, F->x, F->data, F->s, 0, &F->w };

	for (size_t i = n; i > 1; i--) {
		j = tl_rng_below(&F->rng, i);
		t = tr[i - 1];
		tr[i - 1] = tr[j];
		tr[j] = t;
	}
	for (size_t off = 0; off < n; off += b) {
		b = n - off < F->o->batch ? n - off : F->o->batch;
		/* the batch's mean stands for the mean over all rows */
		ps.scale = (double)n / ((double)b * F->S);
		memset(F->g, 0, F->m->np * sizeof(float));
		run_rows(&ps, tr + off, b, F->o->dropout, &F->rng, F->g,
		    &correct);
		penalty(F->m, F->o->C * F->S, F->hid, F->g);
		adam(F, ++*step);
	}
}

/* Mean loss of the held-out rows, no dropout. */
static double
fit_val_loss(struct fit *F)
{
	struct pass ps = { F->m, F->x, F->data, NULL, 1.0 / F->nval, &F->w };
	size_t correct = 0;

	return run_rows(&ps, F->perm, F->nval, 0, NULL, NULL, &correct);
}

/* The report's figures at the kept weights. */
static void
fit_figures(struct fit *F, struct tl_mlp_report *r)
{
	const struct tl_linear_data *D = F->data;
	struct pass ps = { F->m, F->x, D, F->s, 1 / F->S, &F->w };
	size_t correct = 0, *all = F->perm;
	double sse, mu = 0, sst = 0;

	r->loss = run_rows(&ps, F->perm + F->nval, F->ntr, 0, NULL, NULL,
	    &correct) + penalty(F->m, 1, 1, NULL) / (F->o->C * F->S);
	ps.s = NULL;
	ps.scale = 1;
	correct = 0;
	sse = 2 * run_rows(&ps, all, D->n, 0, NULL, NULL, &correct);
	if (!F->m->regression) {
		r->accuracy = (double)correct / D->n;
		return;
	}
	for (size_t i = 0; i < D->n; i++)
		mu += D->value[i] / D->n;
	for (size_t i = 0; i < D->n; i++)
		sst += (D->value[i] - mu) * (D->value[i] - mu);
	r->accuracy = sst > 0 ? 1 - sse / sst : 0;
}

static void
fit_free(struct fit *F)
{
	free(F->xs);
	free(F->ys);
	free(F->s);
	free(F->perm);
	free(F->g);
	free(F->am);
	free(F->av);
	free(F->best);
	ws_free(&F->w);
}

/* The training loop with early stopping; the best weights are kept. */
static void
fit_loop(struct fit *F, struct tl_mlp_report *r)
{
	size_t step = 0, wait = 0;
	double vl;

	r->val_loss = NAN;
	for (size_t ep = 1; ep <= F->o->epochs; ep++) {
		fit_epoch(F, &step);
		r->epochs = ep;
		if (F->nval == 0) {
			r->best_epoch = ep;
			continue;
		}
		vl = fit_val_loss(F);
		if (!(vl >= r->val_loss)) {	/* better, or the first */
			r->val_loss = vl;
			r->best_epoch = ep;
			memcpy(F->best, F->m->p, F->m->np * sizeof(float));
			wait = 0;
		} else if (++wait >= F->o->patience)
			break;
	}
	if (F->nval > 0)
		memcpy(F->m->p, F->best, F->m->np * sizeof(float));
}

static int
fit_check(const struct tl_linear_data *D, size_t k,
    const struct tl_mlp_opts *o, struct tl_err *e)
{
	const struct tl_mlp *m0 = o->init;

	if (D->n == 0)
		return tl_errf(e, "no rows to train on");
	if (m0 != NULL && (m0->d != D->d || m0->regression != o->regression))
		return tl_errf(e, "--init: the network takes %zu inputs to %s, "
		    "the data have %zu inputs and %s", m0->d, m0->regression ?
		    "a value" : "classes", D->d, o->regression ? "values" :
		    "classes");
	if (o->regression ? k != 1 || D->value == NULL : k < 2 || D->y == NULL)
		return tl_errf(e, "mlp: %s", o->regression ? "regression "
		    "needs one numeric target" : "classification needs at "
		    "least 2 classes");
	if (o->h1 == 0 || o->batch == 0 || o->epochs == 0 ||
	    !(o->dropout >= 0 && o->dropout < 1) ||
	    !(o->val_fraction >= 0 && o->val_fraction < 1) || !(o->C > 0) ||
	    !(o->lr > 0))
		return tl_errf(e, "mlp: options out of range");
	return 0;
}

int
tl_mlp_fit(struct tl_mlp *m, const struct tl_linear_data *data,
    char *const *classes, size_t k, const struct tl_mlp_opts *o,
    struct tl_mlp_report *r, struct tl_err *e)
{
	struct fit F = { .m = m, .data = data, .o = o, .x = (float *)data->x,
	    .rng = o->seed };
	struct timespec t0, t1;
	size_t np;
	int threads;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(r, 0, sizeof(*r));
	if (fit_check(data, k, o, e) != 0 ||
	    tl_mlp_alloc(m, data->d, o->init ? o->init->h1 : o->h1,
	    o->init ? o->init->h2 : o->h2, k, o->regression, e) != 0)
		return -1;
	for (size_t j = 0; j < k; j++)
		if ((m->classes[j] = strdup(classes[j])) == NULL)
			goto oom;
	np = m->np;
	if (((o->init ? o->init->mean != NULL : o->standardize) &&
	    fit_standardise(&F) != 0) ||
	    fit_targets(&F) != 0 ||
	    (F.g = malloc(np * sizeof(float))) == NULL ||
	    (F.am = calloc(np, sizeof(float))) == NULL ||
	    (F.av = calloc(np, sizeof(float))) == NULL ||
	    (F.best = malloc(np * sizeof(float))) == NULL ||
	    ws_alloc(&F.w, m, o->batch > CHUNK ? o->batch : CHUNK) != 0)
		goto oom;
	if (fit_rows(&F, e) != 0) {
		fit_free(&F);
		tl_mlp_free(m);
		return -1;
	}
	fit_init(&F);
	fit_from_init(&F, classes);
	/* one thread: batches are too small for OpenBLAS's threads to pay
	 * (three times slower on 2 cores), and the sums' order, hence the
	 * model's bits, must not depend on OPENBLAS_NUM_THREADS */
	threads = openblas_get_num_threads();
	tl_blas_threads(1);
	fit_loop(&F, r);
	r->val_loss *= F.ysd * F.ysd;
	unscale_targets(&F, data);
	fit_figures(&F, r);
	tl_blas_threads(threads);
	for (size_t j = 0; j < np; j++)
		if (!isfinite(m->p[j])) {
			fit_free(&F);
			tl_mlp_free(m);
			return tl_errf(e, "training diverged: the weights are "
			    "not finite (input values too large?)");
		}
	r->rows = F.ntr;
	r->val_rows = F.nval;
	fit_free(&F);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
oom:
	fit_free(&F);
	tl_mlp_free(m);
	return tl_errf(e, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Prediction                                                         */
/* ------------------------------------------------------------------ */

void
tl_mlp_apply(const struct tl_mlp *m, const float *x, size_t n, float *out)
{
	struct ws w = { CHUNK, m->scratch, m->scratch + CHUNK * m->d,
	    m->scratch + CHUNK * (m->d + m->h1), NULL, NULL, NULL, NULL };
	size_t b, d = m->d, k = m->k;
	const float *in;

	for (size_t off = 0; off < n; off += b) {
		b = n - off < CHUNK ? n - off : CHUNK;
		in = x + off * d;
		if (m->mean != NULL) {
			for (size_t i = 0; i < b * d; i++)
				w.x[i] = (in[i] - m->mean[i % d]) /
				    m->scale[i % d];
			in = w.x;
		}
		forward(m, in, b, &w, out + off * k, 0, NULL);
		for (size_t i = 0; !m->regression && i < b; i++) {
			float *z = out + (off + i) * k, mx, s = 0;

			mx = z[tl_linear_argmax(z, k)];
			for (size_t j = 0; j < k; j++)
				s += z[j] = expf(z[j] - mx);
			for (size_t j = 0; j < k; j++)
				z[j] /= s;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Model files                                                        */
/* ------------------------------------------------------------------ */

json_t *
tl_mlp_meta(const struct tl_mlp *m, const struct tl_mlp_opts *o,
    const struct tl_mlp_report *r, const char *input_model,
    char *const *stacked, size_t nstacked)
{
	struct tl_linear lin = { .k = m->k, .d = m->d,
	    .classes = m->classes, .kind = m->regression ? TL_LINEAR_RIDGE :
	    TL_LINEAR_SOFTMAX };
	struct tl_linear_opts lo;
	struct tl_linear_report lr = { .rows = r->rows };
	json_t *meta, *hidden, *hyper, *train;

	/* the linear models' description, then what differs */
	tl_linear_opts_init(&lo);
	if ((meta = tl_linear_meta(&lin, &lo, &lr, input_model, stacked,
	    nstacked)) == NULL)
		return NULL;
	hidden = m->h2 ? json_pack("[I,I]", (json_int_t)m->h1,
	    (json_int_t)m->h2) : json_pack("[I]", (json_int_t)m->h1);
	hyper = json_pack("{s:f,s:O,s:I,s:I,s:f,s:f,s:f,s:I,s:I}", "C", o->C,
	    "hidden", hidden, "epochs", (json_int_t)o->epochs, "batch",
	    (json_int_t)o->batch, "lr", o->lr, "dropout", o->dropout,
	    "val_fraction", o->val_fraction, "patience",
	    (json_int_t)o->patience, "seed", (json_int_t)o->seed);
	train = json_pack("{s:I,s:I,s:I,s:I,s:f,s:f}", "rows",
	    (json_int_t)r->rows, "validation_rows", (json_int_t)r->val_rows,
	    "epochs", (json_int_t)r->epochs, "best_epoch",
	    (json_int_t)r->best_epoch, "loss", r->loss, m->regression ? "r2" :
	    "accuracy", r->accuracy);
	if (hidden == NULL || hyper == NULL || train == NULL ||
	    (o->balanced && json_object_set_new(hyper, "class_weight",
	    json_string("balanced")) != 0) ||
	    (m->mean != NULL && json_object_set_new(hyper, "standardize",
	    json_true()) != 0) ||
	    (r->val_rows > 0 && json_object_set_new(train,
	    "best_validation_loss", json_real(r->val_loss)) != 0) ||
	    json_object_set_new(meta, "kind", json_string("mlp")) != 0 ||
	    json_object_set(meta, "hidden", hidden) != 0 ||
	    json_object_set_new(meta, "output", json_string(m->regression ?
	    "linear" : "softmax")) != 0 ||
	    json_object_set_new(meta, "hyperparameters", hyper) != 0 ||
	    json_object_set_new(meta, "training", train) != 0) {
		json_decref(hidden);
		json_decref(meta);
		return NULL;
	}
	json_decref(hidden);
	if (o->init != NULL && o->init_digest != NULL &&
	    tl_meta_add_parent(meta, o->init_digest, "mlp", "init") != 0) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

int
tl_mlp_save(const struct tl_mlp *m, json_t *meta, FILE *f, char digest[65],
    struct tl_err *e)
{
	struct tl_model_writer *w;
	size_t hl = last_width(m);
	uint64_t s1[2] = { m->h1, m->d }, sb1[1] = { m->h1 };
	uint64_t s2[2] = { m->h2, m->h1 }, sb2[1] = { m->h2 };
	uint64_t so[2] = { m->k, hl }, sbo[1] = { m->k }, sd[1] = { m->d };
	int rc = -1;

	if ((w = tl_model_writer_new()) == NULL)
		return tl_errf(e, "out of memory");
	if (tl_model_writer_add(w, "mlp.w1", TL_DTYPE_F32, 2, s1, m->w1,
	    e) == 0 &&
	    tl_model_writer_add(w, "mlp.b1", TL_DTYPE_F32, 1, sb1, m->b1,
	    e) == 0 &&
	    (m->h2 == 0 || (tl_model_writer_add(w, "mlp.w2", TL_DTYPE_F32, 2,
	    s2, m->w2, e) == 0 && tl_model_writer_add(w, "mlp.b2",
	    TL_DTYPE_F32, 1, sb2, m->b2, e) == 0)) &&
	    tl_model_writer_add(w, "mlp.wo", TL_DTYPE_F32, 2, so, m->wo,
	    e) == 0 &&
	    tl_model_writer_add(w, "mlp.bo", TL_DTYPE_F32, 1, sbo, m->bo,
	    e) == 0 &&
	    (m->mean == NULL || (tl_model_writer_add(w, "standardize.mean",
	    TL_DTYPE_F32, 1, sd, m->mean, e) == 0 &&
	    tl_model_writer_add(w, "standardize.scale", TL_DTYPE_F32, 1, sd,
	    m->scale, e) == 0)))
		rc = tl_model_writer_write(w, meta, f, digest, e);
	tl_model_writer_free(w);
	return rc;
}

/* Copy the F32 tensor NAME of MOD, checked to be [R, C] (C 0: [R]), to
 * DST. */
static int
load_tensor(struct tl_model *mod, const char *name, size_t r, size_t c,
    float *dst, struct tl_err *e)
{
	uint64_t sh[2];
	const float *src;
	int nd = c ? 2 : 1;

	if ((src = tl_model_f32(mod, name, nd, sh, e)) == NULL)
		return -1;
	if (sh[0] != r || (nd == 2 && sh[1] != c))
		return tl_errf(e, "tensor %s: shape [%llu%s%llu], expected "
		    "[%zu%s%zu]", name, (unsigned long long)sh[0], nd == 2 ?
		    "," : "", nd == 2 ? (unsigned long long)sh[1] : 0ULL, r,
		    c ? "," : "", c);
	for (size_t j = 0; j < r * (c ? c : 1); j++)
		if (!isfinite(src[j]))
			return tl_errf(e, "tensor %s: non-finite value", name);
	memcpy(dst, src, r * (c ? c : 1) * sizeof(float));
	return 0;
}

/* The rows of NAME when it is a 2-d tensor of COLS columns, or 0. */
static size_t
rows_of(struct tl_model *mod, const char *name, size_t cols)
{
	const struct tl_tensor *t = tl_model_tensor(mod, name);

	return t != NULL && t->ndim == 2 && t->shape[1] == cols &&
	    t->shape[0] <= 1 << 20 ? (size_t)t->shape[0] : 0;
}

/* The hidden widths *H1 and *H2 (0: one layer) of MOD's matrices, checked
 * against D inputs and K outputs before anything is allocated: the
 * matrices' bytes are in the file, so they bound the sizes, where the
 * description alone could ask for any amount. */
static int
widths(struct tl_model *mod, size_t d, size_t k, size_t *h1, size_t *h2,
    struct tl_err *e)
{
	*h2 = 0;
	if ((*h1 = rows_of(mod, "mlp.w1", d)) == 0)
		return tl_errf(e, "tensor mlp.w1: missing, or not a matrix "
		    "of input_dim (%zu) columns", d);
	*h2 = rows_of(mod, "mlp.w2", *h1);
	if (*h2 == 0 && (tl_model_tensor(mod, "mlp.w2") != NULL ||
	    tl_model_tensor(mod, "mlp.b2") != NULL))
		return tl_errf(e, "tensor mlp.w2: not a matrix of %zu columns "
		    "(mlp.w1's rows), or mlp.b2 without it", *h1);
	if (rows_of(mod, "mlp.wo", *h2 ? *h2 : *h1) != k)
		return tl_errf(e, "tensor mlp.wo: missing, or not a matrix "
		    "of output_dim (%zu) rows and %zu columns", k,
		    *h2 ? *h2 : *h1);
	return 0;
}

/* The class (or target) names of META into M. */
static int
load_names(json_t *meta, struct tl_mlp *m, struct tl_err *e)
{
	json_t *cl = json_object_get(meta, m->regression ? "targets" :
	    "classes");
	const char *s, *prev = NULL;

	if (!json_is_array(cl) || json_array_size(cl) != m->k)
		return tl_errf(e, "model description: \"%s\" must be an array "
		    "of output_dim (%zu) strings", m->regression ? "targets" :
		    "classes", m->k);
	for (size_t j = 0; j < m->k; j++) {
		if ((s = json_string_value(json_array_get(cl, j))) == NULL ||
		    *s == '\0' || strpbrk(s, "\t\n\r") != NULL)
			return tl_errf(e, "model description: class %zu: "
			    "expected a non-empty string without TAB or "
			    "newline", j + 1);
		if (prev != NULL && strcmp(prev, s) >= 0)
			return tl_errf(e, "model description: classes not "
			    "distinct and sorted: \"%s\" after \"%s\"", s, prev);
		if ((m->classes[j] = strdup(s)) == NULL)
			return tl_errf(e, "out of memory");
		prev = s;
	}
	return 0;
}

/* The optional standardisation tensors. */
static int
load_standardize(struct tl_model *mod, struct tl_mlp *m, struct tl_err *e)
{
	if (tl_model_tensor(mod, "standardize.mean") == NULL &&
	    tl_model_tensor(mod, "standardize.scale") == NULL)
		return 0;
	if ((m->mean = malloc(m->d * sizeof(float))) == NULL ||
	    (m->scale = malloc(m->d * sizeof(float))) == NULL)
		return tl_errf(e, "out of memory");
	if (load_tensor(mod, "standardize.mean", m->d, 0, m->mean, e) != 0 ||
	    load_tensor(mod, "standardize.scale", m->d, 0, m->scale, e) != 0)
		return -1;
	for (size_t j = 0; j < m->d; j++)
		if (!(m->scale[j] > 0))
			return tl_errf(e, "standardize.scale: input %zu: "
			    "scale %g, expected > 0", j + 1, m->scale[j]);
	return 0;
}

int
tl_mlp_load(struct tl_model *mod, struct tl_mlp *m, struct tl_err *e)
{
	json_t *meta = tl_model_meta(mod), *jd, *jk;
	const char *kind = tl_model_kind(mod), *out;
	size_t d, k, h1, h2;
	int reg;

	memset(m, 0, sizeof(*m));
	if (kind == NULL || strcmp(kind, "mlp") != 0)
		return tl_errf(e, "not an mlp model");
	jd = json_object_get(meta, "input_dim");
	jk = json_object_get(meta, "output_dim");
	out = json_string_value(json_object_get(meta, "output"));
	if (!json_is_integer(jd) || json_integer_value(jd) < 1 ||
	    json_integer_value(jd) > 1 << 24 || !json_is_integer(jk) ||
	    json_integer_value(jk) < 1 || json_integer_value(jk) > 1 << 24)
		return tl_errf(e, "model description: input_dim and "
		    "output_dim must be positive integers");
	if (out == NULL || (strcmp(out, "softmax") != 0 &&
	    strcmp(out, "linear") != 0))
		return tl_errf(e, "model description: \"output\" must be "
		    "\"softmax\" or \"linear\"");
	d = (size_t)json_integer_value(jd);
	k = (size_t)json_integer_value(jk);
	reg = strcmp(out, "linear") == 0;
	if (reg ? k != 1 : k < 2)
		return tl_errf(e, "model description: output_dim %zu: %s", k,
		    reg ? "a linear output has 1 target" : "a softmax needs "
		    "at least 2 classes");
	if (widths(mod, d, k, &h1, &h2, e) != 0)
		return -1;
	if (tl_mlp_alloc(m, d, h1, h2, k, reg, e) != 0)
		return -1;
	if (load_names(meta, m, e) != 0 ||
	    load_tensor(mod, "mlp.w1", h1, d, m->w1, e) != 0 ||
	    load_tensor(mod, "mlp.b1", h1, 0, m->b1, e) != 0 ||
	    (h2 && (load_tensor(mod, "mlp.w2", h2, h1, m->w2, e) != 0 ||
	    load_tensor(mod, "mlp.b2", h2, 0, m->b2, e) != 0)) ||
	    load_tensor(mod, "mlp.wo", k, last_width(m), m->wo, e) != 0 ||
	    load_tensor(mod, "mlp.bo", k, 0, m->bo, e) != 0 ||
	    load_standardize(mod, m, e) != 0) {
		tl_mlp_free(m);
		return -1;
	}
	return 0;
}
