/*
 * Accuracy and confusion matrix; see eval.h.  Known labels are found by
 * binary search over the sorted classes.  Unknown labels live in slots
 * (label, k counts) that never move, reached through an index kept in
 * strcmp order, so that lookup is a binary search and insertion moves
 * at most TL_EVAL_MAX_UNKNOWN indices.  Slot TL_EVAL_MAX_UNKNOWN is the
 * overflow row.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

struct tl_eval {
	char *const	*classes;
	size_t		 k;
	uint64_t	*known;		/* k x k counts */
	char		**ulabel;	/* unknown labels, by slot */
	uint64_t	*ucount;	/* (MAX_UNKNOWN + 1) x k counts */
	size_t		*order;		/* slots in strcmp order of label */
	size_t		 nunknown;	/* slots used, overflow excluded */
	int		 overflow;	/* the overflow row has counts */
	uint64_t	 total, correct;
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
tl_eval_free(struct tl_eval *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->nunknown; i++)
		free(ev->ulabel[i]);
	free(ev->ulabel);
	free(ev->ucount);
	free(ev->order);
	free(ev->known);
	free(ev);
}
