/*
 * Errors are values in the library: a call that fails returns -1 or NULL and
 * fills a struct tl_err with a message and, where it knows one, the position
 * in the input (a line number for text, a byte offset for binary data).  The
 * library never prints or exits; the tools turn a tl_err into the one-line
 * message "prog: file:line: message" (see cli.h).
 */
#ifndef TL_ERR_H
#define TL_ERR_H

#include <stdint.h>

enum tl_pos {
	TL_POS_NONE = 0,	/* no position known */
	TL_POS_LINE,		/* pos is a 1-based line number */
	TL_POS_BYTE		/* pos is a 0-based byte offset */
};

struct tl_err {
	char		msg[512];
	enum tl_pos	pos_kind;
	uint64_t	pos;
	int		errnum;	/* errno of a failed system call, else 0 */
};

/* Fill E with a formatted message and no position.  Returns -1 so that a
 * caller can write "return tl_errf(e, ...)".  E may be NULL. */
int	tl_errf(struct tl_err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* As tl_errf, with a 1-based line number LINE. */
int	tl_errf_line(struct tl_err *e, uint64_t line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* As tl_errf, with a 0-based byte offset OFF. */
int	tl_errf_byte(struct tl_err *e, uint64_t off, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* As tl_errf, for a failed system call: keeps ERRNUM in e->errnum and
 * appends ": strerror(ERRNUM)" to the message. */
int	tl_errf_sys(struct tl_err *e, int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Clear E (no message, no position). */
void	tl_err_clear(struct tl_err *e);

#endif
