/* The shared edges of every tl tool; see cli.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"

const char *tl_progname = "tl";

static void
on_fatal_signal(int sig)
{
	tl_outfile_cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A standard descriptor the caller closed (prog <&-) would be the next
 * file opened, so that -o FILE became standard input.  Hold each closed
 * one on /dev/null opened the other way round, so that using it fails
 * (EBADF) as using the closed one would, as gnulib's stdopen does. */
static void
hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (got != fd) {	/* not the lowest free one: give up */
			if (got >= 0)
				close(got);
			_exit(TL_EXIT_FAIL);
		}
	}
}

void
tl_cli_init(const char *progname)
{
	/* 64 KiB both ways: stdio's 4 KiB cost a system call per 4 KiB of
	 * a stream, 600 reads for 50,000 short lines */
	static char inbuf[1 << 16], outbuf[1 << 16];

	tl_progname = progname;
	hold_std_fds();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	setvbuf(stdin, inbuf, _IOFBF, sizeof(inbuf));
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
}

/* Write S to stderr with its control bytes escaped (\r, \x1b): messages
 * quote input, and a tweet's bytes must not move the cursor or recolour
 * the user's terminal. */
static void
put_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != 0x7f)
			putc(c, stderr);
		else if (c == '\t' || c == '\r' || c == '\n')
			fprintf(stderr, "\\%c", c == '\t' ? 't' : c == '\r' ?
			    'r' : 'n');
		else
			fprintf(stderr, "\\x%02x", c);
	}
}

static void
vwarn(const char *fmt, va_list ap)
{
	char buf[1024], *msg = buf;
	va_list again;
	int n;

	fflush(stdout);
	va_copy(again, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf) && (msg = malloc((size_t)n + 1)) != NULL)
		vsnprintf(msg, (size_t)n + 1, fmt, again);
	va_end(again);
	fprintf(stderr, "%s: ", tl_progname);
	put_escaped(n < 0 ? fmt : msg != NULL ? msg : buf);
	fputc('\n', stderr);
	if (msg != buf)
		free(msg);
}

void
tl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

_Noreturn void
tl_die(const char *fmt, ...)
{
	va_list ap;

	tl_outfile_cleanup_all();
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(TL_EXIT_FAIL);
}

_Noreturn void
tl_die_err(const char *file, const struct tl_err *e)
{
	tl_outfile_cleanup_all();
	if (e->errnum == EPIPE)
		exit(TL_EXIT_OK);
	if (file == NULL)
		tl_die("%s", e->msg);
	switch (e->pos_kind) {
	case TL_POS_LINE:
		tl_die("%s:%llu: %s", file, (unsigned long long)e->pos,
		    e->msg);
	case TL_POS_BYTE:
		tl_die("%s: byte %llu: %s", file, (unsigned long long)e->pos,
		    e->msg);
	case TL_POS_NONE:
		break;
	}
	tl_die("%s: %s", file, e->msg);
}

_Noreturn void
tl_usage_error(const char *fmt, ...)
{
	va_list ap;

	tl_outfile_cleanup_all();	/* an output opened before the check */
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    tl_progname);
	exit(TL_EXIT_USAGE);
}

/* The long option NAME (LEN bytes, no "--") names, exactly or as the only
 * option it begins: its entry, or NULL; *MATCHES counts the options it
 * begins. */
static const struct option *
long_named(const struct option *lo, const char *name, size_t len,
    int *matches)
{
	const struct option *hit = NULL;

	*matches = 0;
	for (; lo->name != NULL; lo++) {
		if (strncmp(lo->name, name, len) != 0)
			continue;
		if (lo->name[len] == '\0') {
			*matches = 1;
			return lo;
		}
		++*matches;
		hit = lo;
	}
	return *matches == 1 ? hit : NULL;
}

/* "--label" begins --label-field and --labels: list them. */
static _Noreturn void
ambiguous(const struct option *lo, const char *arg, size_t len)
{
	char list[256] = "";
	size_t at = 0;

	for (; lo->name != NULL && at < sizeof(list) - 1; lo++)
		if (strncmp(lo->name, arg + 2, len) == 0)
			at += (size_t)snprintf(list + at, sizeof(list) - at,
			    "%s--%s", at ? ", " : "", lo->name);
	tl_usage_error("ambiguous option '%.*s' (%s)", (int)len + 2, arg,
	    list);
}

_Noreturn void
tl_bad_option(char **argv, int ch, const char *opts,
    const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const struct option *lo = NULL;
	size_t len;
	int matches = 0, other;

	/* a bad letter inside "-qx" leaves optind on its cluster, so ARG may
	 * be an earlier long option: it is the culprit only if it names the
	 * option getopt complained about (optopt is 0 for an unknown one) */
	if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0') {
		len = strcspn(arg + 2, "=");
		lo = long_named(longopts, arg + 2, len, &matches);
		if (matches > 1)
			ambiguous(longopts, arg, len);
		if (lo == NULL && optopt == 0)
			tl_usage_error("unknown option '%.*s'", (int)len + 2,
			    arg);
	}
	if (lo != NULL && lo->val == optopt)
		tl_usage_error(ch == ':' ? "option '--%s' needs an argument" :
		    "option '--%s' takes no argument", lo->name);
	if (optopt <= 0 || optopt >= 128)	/* not a letter: say ARG */
		tl_usage_error("bad option '%s'", arg);
	if (ch == ':')
		tl_usage_error("option '-%c' needs an argument", optopt);
	other = islower(optopt) ? toupper(optopt) : tolower(optopt);
	if (isalpha(optopt) && strchr(opts, other) != NULL)
		tl_usage_error("unknown option '-%c' (did you mean '-%c'?)",
		    optopt, other);
	tl_usage_error("unknown option '-%c'", optopt);
}

_Noreturn void
tl_print_version(void)
{
	printf("%s (tl) %s\n", tl_progname, TL_VERSION);
	tl_stdout_close();
	exit(TL_EXIT_OK);
}

void
tl_stdout_close(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int errnum = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		errnum = errno;
	}
	if (!failed)
		return;
	tl_outfile_cleanup_all();
	if (errnum == EPIPE)
		exit(TL_EXIT_OK);
	fprintf(stderr, "%s: stdout: %s\n", tl_progname, strerror(errnum));
	exit(TL_EXIT_FAIL);
}

double
tl_arg_double(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
		tl_usage_error("%s: '%s' is not a number", opt, s);
	if (v < min || v > max)
		tl_usage_error("%s: %s is out of range [%g, %g]", opt, s, min,
		    max);
	return v;
}

long long
tl_arg_int(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end != s && *end == '\0' && errno == ERANGE)
		tl_usage_error("%s: %s is out of range [%lld, %lld]", opt, s,
		    min, max);
	if (end == s || *end != '\0' || errno == ERANGE)
		tl_usage_error("%s: '%s' is not an integer", opt, s);
	if (v < min || v > max)
		tl_usage_error("%s: %s is out of range [%lld, %lld]", opt, s,
		    min, max);
	return v;
}
