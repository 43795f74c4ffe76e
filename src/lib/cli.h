/*
 * What every tl tool shares at its edges: the program name in messages,
 * the exit statuses (0 success, 1 bad data or runtime failure, 2 usage
 * error), --version, argument parsing, and the final check of stdout.
 * A closed downstream pipe (EPIPE) ends a tool quietly with status 0.
 */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "err.h"
#include "vecstream.h"

#define TL_VERSION "0.1.0"

enum { TL_EXIT_OK = 0, TL_EXIT_FAIL = 1, TL_EXIT_USAGE = 2 };

extern const char *tl_progname;

/* Set the program name, ignore SIGPIPE (EPIPE is handled where writes
 * fail), install the temporary-file cleanup on fatal signals, give
 * stdout a large buffer and stop OpenBLAS's idle threads (par.h). */
void	tl_cli_init(const char *progname);

/* "prog: message" on stderr, remove pending temporary files, exit 1. */
_Noreturn void tl_die(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* "prog: FILE:LINE: message" (or "FILE: byte N:", or "FILE:") from E, exit
 * 1; when e->errnum is EPIPE, exit 0 quietly.  FILE may be NULL. */
_Noreturn void tl_die_err(const char *file, const struct tl_err *e);

/* "prog: message" on stderr, nothing else. */
void	tl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "prog: message" and "Try 'prog --help'." on stderr, exit 2. */
_Noreturn void tl_usage_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* After getopt_long (opterr 0, OPTS led by ':') returned CH, '?' or ':',
 * for the option at ARGV[optind - 1]: exit 2 saying what was wrong with it
 * (unknown, with "did you mean" for a letter of the other case; ambiguous,
 * with the candidates; needing an argument; taking none). */
_Noreturn void tl_bad_option(char **argv, int ch, const char *opts,
	    const struct option *longopts);

/* Print "prog (tl) VERSION" to stdout and exit 0. */
_Noreturn void tl_print_version(void);

/* Flush and close stdout, dying with a message on a write error (quietly
 * on EPIPE).  Call once, at the end of main. */
void	tl_stdout_close(void);

/* Parse the option argument S of option OPT as a finite double in
 * [MIN, MAX], or exit 2 with a message. */
double	tl_arg_double(const char *opt, const char *s, double min, double max);

/* Parse S as an integer in [MIN, MAX], or exit 2 with a message. */
long long tl_arg_int(const char *opt, const char *s, long long min,
	    long long max);

/* What a tool does with the vector streams it reads. */
struct tl_cli_streams {
	/* Called once per input whose dimension is known (not for an empty
	 * input), before its blocks. */
	void	(*header)(void *ctx, const struct tl_vechdr *h,
		    const char *name);
	/* Called for each block of records; BINARY says whether block
	 * positions are byte offsets (1) or line numbers (0). */
	void	(*block)(void *ctx, const struct tl_vecblock *b,
		    const char *name, int binary);
	void	*ctx;
};

/* Read the N vector streams PATHS (standard input when N is 0) in blocks
 * of BLOCK_ROWS records, calling CB's functions; any error of opening or
 * reading dies with its file and line. */
void	tl_cli_read_streams(char *const *paths, int n, size_t block_rows,
	    const struct tl_cli_streams *cb);

#endif
