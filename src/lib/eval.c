/*
 * Evaluation accumulators; see eval.h.  Known labels are found by
 * binary search over the sorted classes.  Unknown labels live in slots
 * (label, k counts) that never move, reached through an index kept in
 * strcmp order, so that lookup is a binary search and insertion moves
 * at most TL_EVAL_MAX_UNKNOWN indices.  Slot TL_EVAL_MAX_UNKNOWN is the
 * overflow row.  The scores kept for ROC AUC grow by doubling, stored in
 * chunks of TL_EVAL_CHUNK rows, class-major within a chunk, so that one
 * class's scores are read in long runs (row-major, each class would read
 * the whole matrix through the cache: 53 times 212 MB for 1M x 53).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval.h"

#define TL_EVAL_CHUNK 1024	/* divides the first capacity, 4096 */

struct tl_eval {
	char *const	*classes;
	size_t		 k;
	uint64_t	*known;		/* k x k counts */
	char		**ulabel;	/* unknown labels, by slot */
	uint64_t	*ucount;	/* (MAX_UNKNOWN + 1) x k counts */
	size_t		*order;		/* slots in strcmp order of label */
	size_t		 nunknown;	/* slots used, overflow excluded */
	int		 overflow;	/* the overflow row has counts */
	uint64_t	 total, correct, nknown;
	int		 keep;		/* keep scores for ROC AUC */
	size_t		 sdim;		/* scores kept per row: 1 or k */
	float		*scores;	/* nscored x sdim, in chunks */
	uint32_t	*strue;		/* nscored true class indices */
	size_t		 nscored, capscored;
	double		 logloss;	/* sum over scored rows */
};

struct tl_eval *
tl_eval_new(char *const *classes, size_t k)
{
	struct tl_eval *ev;

	if (k > 0 && k > SIZE_MAX / sizeof(uint64_t) / k)
		return NULL;
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->classes = classes;
	ev->k = k;
	ev->keep = 1;
	ev->sdim = k == 2 ? 1 : k;
	ev->known = calloc(k * k, sizeof(uint64_t));
	if (ev->known == NULL) {
		free(ev);
		return NULL;
	}
	return ev;
}

/* Index of S among the K sorted classes, or K. */
static size_t
find_class(char *const *classes, size_t k, const char *s)
{
	size_t lo = 0, hi = k, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(s, classes[mid])) == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return k;
}

/* The counts of the unknown label S, making a row for it when new. */
static uint64_t *
unknown_row(struct tl_eval *ev, const char *s, struct tl_err *e)
{
	size_t lo = 0, hi = ev->nunknown, mid, slot;
	int c;

	if (ev->ucount == NULL &&
	    ((ev->ucount = calloc((TL_EVAL_MAX_UNKNOWN + 1) * ev->k,
	    sizeof(uint64_t))) == NULL ||
	    (ev->ulabel = calloc(TL_EVAL_MAX_UNKNOWN, sizeof(char *))) ==
	    NULL ||
	    (ev->order = calloc(TL_EVAL_MAX_UNKNOWN, sizeof(size_t))) ==
	    NULL)) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(s, ev->ulabel[ev->order[mid]])) == 0)
			return ev->ucount + ev->order[mid] * ev->k;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (ev->nunknown == TL_EVAL_MAX_UNKNOWN) {
		ev->overflow = 1;
		return ev->ucount + TL_EVAL_MAX_UNKNOWN * ev->k;
	}
	slot = ev->nunknown;
	if ((ev->ulabel[slot] = strdup(s)) == NULL) {
		tl_errf(e, "out of memory");
		return NULL;
	}
	memmove(ev->order + lo + 1, ev->order + lo,
	    (ev->nunknown - lo) * sizeof(size_t));
	ev->order[lo] = slot;
	ev->nunknown++;
	return ev->ucount + slot * ev->k;
}

int
tl_eval_add(struct tl_eval *ev, const char *truth, size_t pred,
    struct tl_err *e)
{
	size_t t = find_class(ev->classes, ev->k, truth);
	uint64_t *row;

	if (t < ev->k) {
		row = ev->known + t * ev->k;
		ev->correct += t == pred;
		ev->nknown++;
	} else if ((row = unknown_row(ev, truth, e)) == NULL)
		return -1;
	row[pred]++;
	ev->total++;
	return 0;
}

uint64_t
tl_eval_total(const struct tl_eval *ev)
{
	return ev->total;
}

uint64_t
tl_eval_correct(const struct tl_eval *ev)
{
	return ev->correct;
}

size_t
tl_eval_nrows(const struct tl_eval *ev)
{
	return ev->k + ev->nunknown + (ev->overflow ? 1 : 0);
}

const char *
tl_eval_row_label(const struct tl_eval *ev, size_t i, int *known)
{
	if (known != NULL)
		*known = i < ev->k;
	if (i < ev->k)
		return ev->classes[i];
	i -= ev->k;
	return i < ev->nunknown ? ev->ulabel[ev->order[i]] : NULL;
}

const uint64_t *
tl_eval_row(const struct tl_eval *ev, size_t i)
{
	if (i < ev->k)
		return ev->known + i * ev->k;
	i -= ev->k;
	if (i < ev->nunknown)
		return ev->ucount + ev->order[i] * ev->k;
	return ev->ucount + TL_EVAL_MAX_UNKNOWN * ev->k;
}

void
tl_eval_keep_scores(struct tl_eval *ev, int keep)
{
	ev->keep = keep;
}

/* Room for one more row of kept scores. */
static int
grow_scores(struct tl_eval *ev, struct tl_err *e)
{
	size_t cap = ev->capscored ? 2 * ev->capscored : 4096;
	float *s;
	uint32_t *t;

	if (cap > SIZE_MAX / sizeof(float) / ev->sdim || cap > UINT32_MAX)
		return tl_errf(e, "too many rows to keep for ROC AUC; "
		    "turn it off");
	if ((s = realloc(ev->scores, cap * ev->sdim * sizeof(float))) == NULL)
		return tl_errf(e, "out of memory keeping scores for ROC AUC");
	ev->scores = s;
	if ((t = realloc(ev->strue, cap * sizeof(uint32_t))) == NULL)
		return tl_errf(e, "out of memory keeping scores for ROC AUC");
	ev->strue = t;
	ev->capscored = cap;
	return 0;
}

/* Keep the sdim scores S of row ev->nscored: in its chunk, score c of
 * the chunk's row r is at c * TL_EVAL_CHUNK + r. */
static void
store_scores(struct tl_eval *ev, const float *s)
{
	size_t r = ev->nscored % TL_EVAL_CHUNK;
	float *chunk = ev->scores + (ev->nscored - r) * ev->sdim;

	for (size_t c = 0; c < ev->sdim; c++)
		chunk[c * TL_EVAL_CHUNK + r] = s[c];
}

/* The scores of class C of every kept row, in order, into OUT. */
static void
gather_scores(const struct tl_eval *ev, size_t c, float *out)
{
	size_t at, len;

	for (at = 0; at < ev->nscored; at += TL_EVAL_CHUNK) {
		len = ev->nscored - at < TL_EVAL_CHUNK ? ev->nscored - at :
		    TL_EVAL_CHUNK;
		memcpy(out + at, ev->scores + at * ev->sdim +
		    c * TL_EVAL_CHUNK, len * sizeof(float));
	}
}

/* -log of P[T] after clipping each of the K values to [eps, 1 - eps] and
 * scaling them to sum 1. */
static double
row_log_loss(const float *p, size_t k, size_t t)
{
	double sum = 0, v, pt = 0;

	for (size_t c = 0; c < k; c++) {
		v = p[c];
		if (v < DBL_EPSILON)
			v = DBL_EPSILON;
		else if (v > 1 - DBL_EPSILON)
			v = 1 - DBL_EPSILON;
		sum += v;
		if (c == t)
			pt = v;
	}
	return -log(pt / sum);
}

int
tl_eval_add_proba(struct tl_eval *ev, const char *truth, const float *p,
    size_t pred, struct tl_err *e)
{
	size_t t = find_class(ev->classes, ev->k, truth);

	if (tl_eval_add(ev, truth, pred, e) == -1)
		return -1;
	if (t == ev->k)
		return 0;
	ev->logloss += row_log_loss(p, ev->k, t);
	if (ev->keep) {
		if (ev->nscored == ev->capscored && grow_scores(ev, e) == -1)
			return -1;
		store_scores(ev, ev->sdim == 1 ? p + 1 : p);
		ev->strue[ev->nscored] = (uint32_t)t;
	}
	ev->nscored++;
	return 0;
}

uint64_t
tl_eval_known(const struct tl_eval *ev)
{
	return ev->nknown;
}

uint64_t
tl_eval_scored(const struct tl_eval *ev)
{
	return ev->nscored;
}

double
tl_eval_log_loss(const struct tl_eval *ev)
{
	return ev->nscored > 0 ? ev->logloss / (double)ev->nscored : NAN;
}

/* One thread's share of the one-vs-rest AUCs: classes [lo, hi). */
struct auc_slice {
	const struct tl_eval *ev;
	size_t		 lo, hi;
	double		*out;		/* k values */
	int		 failed;
	struct tl_err	 err;
};

static void *
auc_slice_run(void *arg)
{
	struct auc_slice *sl = arg;
	const struct tl_eval *ev = sl->ev;
	float *col;

	if ((col = malloc(ev->nscored * sizeof(float))) == NULL) {
		sl->failed = tl_errf(&sl->err, "out of memory computing ROC "
		    "AUC");
		return NULL;
	}
	for (size_t c = sl->lo; c < sl->hi && !sl->failed; c++) {
		gather_scores(ev, c, col);
		sl->failed = tl_metric_auc(col, 1, ev->strue, (uint32_t)c,
		    ev->nscored, &sl->out[c], &sl->err);
	}
	free(col);
	return NULL;
}

/* Threads for the one-vs-rest AUCs: one per online CPU, at most 8 and at
 * most one per class (each holds 20 bytes of scratch per row). */
static size_t
auc_threads(size_t k)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (n > 8)
		n = 8;
	return (size_t)n < k ? (size_t)n : k;
}

int
tl_eval_auc(const struct tl_eval *ev, double *macro, double *per_class,
    struct tl_err *e)
{
	struct auc_slice sl[8];
	pthread_t tid[8];
	size_t c, defined = 0, nth, i;
	double sum = 0, *out;
	int started[8] = { 0 }, rc = 0;

	*macro = NAN;
	for (c = 0; per_class != NULL && c < ev->k; c++)
		per_class[c] = NAN;
	if (!ev->keep || ev->nscored == 0)
		return 0;
	if (ev->k == 2)
		return tl_metric_auc(ev->scores, 1, ev->strue, 1, ev->nscored,
		    macro, e);
	if ((out = calloc(ev->k, sizeof(double))) == NULL)
		return tl_errf(e, "out of memory computing ROC AUC");
	/* Contiguous slices of the classes; the first runs here. */
	nth = auc_threads(ev->k);
	for (i = 0; i < nth; i++) {
		memset(&sl[i], 0, sizeof(sl[i]));
		sl[i].ev = ev;
		sl[i].lo = ev->k * i / nth;
		sl[i].hi = ev->k * (i + 1) / nth;
		sl[i].out = out;
		if (i > 0)
			started[i] = pthread_create(&tid[i], NULL,
			    auc_slice_run, &sl[i]) == 0;
	}
	auc_slice_run(&sl[0]);
	for (i = 1; i < nth; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			auc_slice_run(&sl[i]);	/* no thread: do it here */
	for (i = 0; i < nth && rc == 0; i++)
		if (sl[i].failed) {
			*e = sl[i].err;
			rc = -1;
		}
	for (c = 0; rc == 0 && c < ev->k; c++) {
		if (per_class != NULL)
			per_class[c] = out[c];
		if (!isnan(out[c])) {
			sum += out[c];
			defined++;
		}
	}
	free(out);
	if (rc == 0 && defined > 0)
		*macro = sum / (double)defined;
	return rc;
}

void
tl_eval_prf(const struct tl_eval *ev, size_t c, struct tl_prf *r)
{
	uint64_t tp = ev->known[c * ev->k + c], col = 0, row = 0;
	size_t i, rows = tl_eval_nrows(ev);

	for (i = 0; i < rows; i++)
		col += tl_eval_row(ev, i)[c];
	for (i = 0; i < ev->k; i++)
		row += ev->known[c * ev->k + i];
	tl_metric_prf(tp, col - tp, row - tp, r);
}

void
tl_eval_prf_avg(const struct tl_eval *ev, int weighted, struct tl_prf *r)
{
	struct tl_prf c;
	double w, wsum = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ev->k; i++) {
		tl_eval_prf(ev, i, &c);
		w = weighted ? (double)c.support : 1;
		r->precision += w * c.precision;
		r->recall += w * c.recall;
		r->f1 += w * c.f1;
		r->support += c.support;
		wsum += w;
	}
	if (wsum > 0) {
		r->precision /= wsum;
		r->recall /= wsum;
		r->f1 /= wsum;
	}
}

void
tl_eval_free(struct tl_eval *ev)
{
	if (ev == NULL)
		return;
	free(ev->scores);
	free(ev->strue);
	for (size_t i = 0; i < ev->nunknown; i++)
		free(ev->ulabel[i]);
	free(ev->ulabel);
	free(ev->ucount);
	free(ev->order);
	free(ev->known);
	free(ev);
}

/* ---- multi-label ---- */

struct tl_mleval {
	char *const	*classes;
	size_t		 k;
	uint64_t	*tp, *fp, *fn;	/* k counts each */
	unsigned char	*truth;		/* k flags of the current row */
	uint64_t	 total, exact, wrong_pairs;
	uint64_t	 unknown, unknown_rows;
};

struct tl_mleval *
tl_mleval_new(char *const *classes, size_t k)
{
	struct tl_mleval *ev;

	if (k > SIZE_MAX / 3 / sizeof(uint64_t) ||
	    (ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->classes = classes;
	ev->k = k;
	ev->tp = calloc(3 * k + 1, sizeof(uint64_t));
	ev->truth = calloc(k + 1, 1);
	if (ev->tp == NULL || ev->truth == NULL) {
		tl_mleval_free(ev);
		return NULL;
	}
	ev->fp = ev->tp + k;
	ev->fn = ev->fp + k;
	return ev;
}

/* Mark the labels of TRUTH in ev->truth; the number of unknown ones. */
static uint64_t
mark_truth(struct tl_mleval *ev, const char *truth)
{
	char buf[1024];
	const char *p = truth, *q;
	uint64_t unknown = 0;
	size_t len, c;

	memset(ev->truth, 0, ev->k);
	while (*p != '\0') {
		q = strchr(p, ',');
		len = q != NULL ? (size_t)(q - p) : strlen(p);
		if (len > 0 && len < sizeof(buf)) {
			memcpy(buf, p, len);
			buf[len] = '\0';
			if ((c = find_class(ev->classes, ev->k, buf)) < ev->k)
				ev->truth[c] = 1;
			else
				unknown++;
		} else if (len > 0)
			unknown++;	/* longer than any label can be */
		if (q == NULL)
			break;
		p = q + 1;
	}
	return unknown;
}

int
tl_mleval_add(struct tl_mleval *ev, const char *truth, const float *score,
    double threshold)
{
	uint64_t unknown = mark_truth(ev, truth), wrong = 0;
	int pred;

	for (size_t c = 0; c < ev->k; c++) {
		pred = score[c] >= threshold;
		ev->tp[c] += pred && ev->truth[c];
		ev->fp[c] += pred && !ev->truth[c];
		ev->fn[c] += !pred && ev->truth[c];
		wrong += pred != ev->truth[c];
	}
	ev->wrong_pairs += wrong;
	ev->exact += wrong == 0 && unknown == 0;
	ev->unknown += unknown;
	ev->unknown_rows += unknown > 0;
	ev->total++;
	return 0;
}

uint64_t
tl_mleval_total(const struct tl_mleval *ev)
{
	return ev->total;
}

uint64_t
tl_mleval_exact(const struct tl_mleval *ev)
{
	return ev->exact;
}

uint64_t
tl_mleval_unknown(const struct tl_mleval *ev, uint64_t *rows)
{
	if (rows != NULL)
		*rows = ev->unknown_rows;
	return ev->unknown;
}

double
tl_mleval_hamming(const struct tl_mleval *ev)
{
	if (ev->total == 0 || ev->k == 0)
		return NAN;
	return (double)ev->wrong_pairs / ((double)ev->total * (double)ev->k);
}

void
tl_mleval_prf(const struct tl_mleval *ev, size_t c, struct tl_prf *r)
{
	tl_metric_prf(ev->tp[c], ev->fp[c], ev->fn[c], r);
}

void
tl_mleval_prf_avg(const struct tl_mleval *ev, int micro, struct tl_prf *r)
{
	uint64_t tp = 0, fp = 0, fn = 0;
	struct tl_prf c;
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ev->k; i++) {
		tp += ev->tp[i];
		fp += ev->fp[i];
		fn += ev->fn[i];
		tl_mleval_prf(ev, i, &c);
		r->precision += c.precision;
		r->recall += c.recall;
		r->f1 += c.f1;
	}
	if (micro)
		tl_metric_prf(tp, fp, fn, r);
	else if (ev->k > 0) {
		r->precision /= (double)ev->k;
		r->recall /= (double)ev->k;
		r->f1 /= (double)ev->k;
	}
	r->support = tp + fn;
}

void
tl_mleval_free(struct tl_mleval *ev)
{
	if (ev == NULL)
		return;
	free(ev->tp);
	free(ev->truth);
	free(ev);
}

/* ---- regression ---- */

struct tl_regeval {
	size_t		 k;
	struct tl_regacc *acc;
};

struct tl_regeval *
tl_regeval_new(size_t k)
{
	struct tl_regeval *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->k = k;
	if ((ev->acc = calloc(k + 1, sizeof(*ev->acc))) == NULL) {
		free(ev);
		return NULL;
	}
	return ev;
}

/* The true value at *P, which must end at ',' or the end of the label;
 * *P moves past it.  0, or -1 with E filled in. */
static int
parse_value(const char **p, const char *truth, size_t i, size_t k,
    double *v, struct tl_err *e)
{
	char *end;

	errno = 0;
	*v = strtod(*p, &end);
	if (end == *p || (*end != ',' && *end != '\0') ||
	    (*end == ',') != (i + 1 < k) || !isfinite(*v) || errno == ERANGE ||
	    **p == ' ' || **p == '\t')
		return k == 1 ? tl_errf(e, "label '%.40s' is not a number",
		    truth) : tl_errf(e, "label '%.40s': expected %zu numbers "
		    "separated by ','", truth, k);
	*p = *end == ',' ? end + 1 : end;
	return 0;
}

int
tl_regeval_add(struct tl_regeval *ev, const char *truth, const float *pred,
    struct tl_err *e)
{
	const char *p = truth;
	double y;
	size_t i;

	/* Parse all first, so that a bad label adds nothing. */
	for (i = 0; i < ev->k; i++)
		if (parse_value(&p, truth, i, ev->k, &y, e) == -1)
			return -1;
	for (p = truth, i = 0; i < ev->k; i++) {
		parse_value(&p, truth, i, ev->k, &y, e);
		tl_regacc_add(&ev->acc[i], y, pred[i]);
	}
	return 0;
}

const struct tl_regacc *
tl_regeval_target(const struct tl_regeval *ev, size_t i)
{
	return &ev->acc[i];
}

void
tl_regeval_free(struct tl_regeval *ev)
{
	if (ev == NULL)
		return;
	free(ev->acc);
	free(ev);
}
