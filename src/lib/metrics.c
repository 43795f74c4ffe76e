/*
 * Metrics as sklearn.metrics defines them; see metrics.h.  ROC AUC sorts
 * (score, positive) pairs packed in 64-bit words by an LSD radix sort on
 * the score's order-preserving bit pattern, then counts, for each group of
 * equal scores, the negatives below it: exact integer arithmetic, so the
 * only rounding is the final division.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

void
tl_metric_prf(uint64_t tp, uint64_t fp, uint64_t fn, struct tl_prf *r)
{
	r->precision = tp + fp > 0 ? (double)tp / (double)(tp + fp) : 0;
	r->recall = tp + fn > 0 ? (double)tp / (double)(tp + fn) : 0;
	r->f1 = r->precision + r->recall > 0 ? 2 * r->precision * r->recall /
	    (r->precision + r->recall) : 0;
	r->support = tp + fn;
}

/* A float's bits as an unsigned key in the order of the values; -0 and 0
 * are one key, as they are one value. */
static uint32_t
order_key(float x)
{
	uint32_t u;

	if (x == 0)
		x = 0;
	memcpy(&u, &x, sizeof(u));
	return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

/* Sort the N words at A by their high 32 bits, in three passes of 11,
 * 11 and 10 bits, through the scratch T of N words.  Returns the buffer
 * that holds the result (T: an odd number of passes). */
static uint64_t *
radix_sort_high(uint64_t *a, uint64_t *t, size_t n)
{
	static const int shift[3] = { 32, 43, 54 };
	size_t count[2048], i, sum, c, b;
	uint64_t *src = a, *dst = t, *tmp;

	for (int pass = 0; pass < 3; pass++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i] >> shift[pass]) & 0x7ff]++;
		/* A pass where every word falls in one bucket moves
		 * nothing: skip it (high bits of probabilities often). */
		if (count[(src[0] >> shift[pass]) & 0x7ff] == n)
			continue;
		for (sum = 0, b = 0; b < 2048; b++) {
			c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> shift[pass]) & 0x7ff]++] = src[i];
		tmp = src;
		src = dst;
		dst = tmp;
	}
	return src;
}

int
tl_metric_auc(const float *score, size_t stride, const uint32_t *truth,
    uint32_t cls, size_t n, double *auc, struct tl_err *e)
{
	uint64_t *a, *t, npos = 0, neg_below = 0, twice_u = 0, gp, gn;
	size_t i, j;

	*auc = NAN;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / 2 / sizeof(uint64_t) ||
	    (a = malloc(2 * n * sizeof(uint64_t))) == NULL) {
		tl_errf(e, "out of memory");
		return -1;
	}
	t = a + n;
	for (i = 0; i < n; i++) {
		a[i] = (uint64_t)order_key(score[i * stride]) << 32 |
		    (truth[i] == cls);
		npos += truth[i] == cls;
	}
	if (npos == 0 || npos == n) {
		free(a);
		return 0;
	}
	t = radix_sort_high(a, t, n);
	/* Each positive beats the negatives below its group and ties half
	 * of those in it: 2U = sum over groups of pos * (2 below + neg). */
	for (i = 0; i < n; i = j) {
		gp = 0;
		for (j = i; j < n && t[j] >> 32 == t[i] >> 32; j++)
			gp += t[j] & 1;
		gn = (j - i) - gp;
		twice_u += gp * (2 * neg_below + gn);
		neg_below += gn;
	}
	*auc = (double)twice_u / (2.0 * (double)npos * (double)(n - npos));
	free(a);
	return 0;
}

void
tl_regacc_add(struct tl_regacc *a, double y, double p)
{
	double d = y - a->mean;

	a->n++;
	a->sae += fabs(y - p);
	a->sse += (y - p) * (y - p);
	a->mean += d / (double)a->n;
	a->m2 += d * (y - a->mean);
}

double
tl_regacc_rmse(const struct tl_regacc *a)
{
	return a->n > 0 ? sqrt(a->sse / (double)a->n) : NAN;
}

double
tl_regacc_mae(const struct tl_regacc *a)
{
	return a->n > 0 ? a->sae / (double)a->n : NAN;
}

double
tl_regacc_r2(const struct tl_regacc *a)
{
	if (a->n == 0)
		return NAN;
	if (a->m2 == 0)
		return a->sse == 0 ? 1 : 0;
	return 1 - a->sse / a->m2;
}
