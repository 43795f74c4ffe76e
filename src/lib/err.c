/* tl_err constructors; see err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static int
fill(struct tl_err *e, enum tl_pos kind, uint64_t pos, const char *fmt,
    va_list ap)
{
	if (e == NULL)
		return -1;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	e->pos_kind = kind;
	e->pos = pos;
	e->errnum = 0;
	return -1;
}

int
tl_errf(struct tl_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(e, TL_POS_NONE, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
tl_errf_line(struct tl_err *e, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(e, TL_POS_LINE, line, fmt, ap);
	va_end(ap);
	return -1;
}

int
tl_errf_byte(struct tl_err *e, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(e, TL_POS_BYTE, off, fmt, ap);
	va_end(ap);
	return -1;
}

int
tl_errf_sys(struct tl_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	fill(e, TL_POS_NONE, 0, fmt, ap);
	va_end(ap);
	if (e == NULL)
		return -1;
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(errnum));
	e->errnum = errnum;
	return -1;
}

void
tl_err_clear(struct tl_err *e)
{
	memset(e, 0, sizeof(*e));
}
