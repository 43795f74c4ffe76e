/*
 * Safe output files.  Every -o FILE is written to a temporary file in the
 * same directory and renamed over FILE only when complete and synced, so a
 * failed run never leaves a half-written file and never destroys the old
 * one.  Pending temporary files are removed when the process dies through
 * tl_die() or a fatal signal (SIGINT, SIGTERM, SIGHUP).
 */
#ifndef TL_IO_H
#define TL_IO_H

#include <stdio.h>

#include "err.h"

struct tl_outfile {
	FILE	*f;		/* write here */
	char	*path;		/* final name, NULL for stdout */
	char	*tmp;		/* temporary name, NULL for stdout */
};

/* 1 when PATH is standard output (NULL or "-") and that is a terminal. */
int	tl_outfile_is_terminal(const char *path);

/* Open PATH for writing (NULL or "-": standard output).  BINARY output to
 * a terminal is refused.  0, or -1 with E filled in. */
int	tl_outfile_open(struct tl_outfile *o, const char *path, int binary,
	    struct tl_err *e);

/* Flush, check for write errors and fsync, leaving O open and not yet in
 * place: a run that writes several files syncs each before it commits
 * any, so that a full disk fails it before a file is replaced.  0, or -1
 * with E filled in (e->errnum set) and O given up (tl_outfile_abort). */
int	tl_outfile_sync(struct tl_outfile *o, struct tl_err *e);

/* tl_outfile_sync, close and rename into place (stdout: flush and check
 * only).  0, or -1 with E filled in (e->errnum set); on failure the
 * temporary file is removed. */
int	tl_outfile_commit(struct tl_outfile *o, struct tl_err *e);

/* Give up: close and remove the temporary file.  Safe after commit. */
void	tl_outfile_abort(struct tl_outfile *o);

/* Remove every pending temporary file (async-signal-safe). */
void	tl_outfile_cleanup_all(void);

/* Standard input is read by one reader: a model read from it (-m -)
 * takes it, and the next reader of it, data or another model, fails.
 * 0, or -1 with E filled in when a model already took it. */
int	tl_stdin_take_for_model(struct tl_err *e);

/* Open PATH for reading ("-" or NULL: standard input).  NULL with E
 * filled in on failure (standard input taken by a model, too). */
FILE	*tl_infile_open(const char *path, struct tl_err *e);

/* The name of PATH in messages: "stdin" for "-" or NULL. */
const char *tl_infile_name(const char *path);

#endif
