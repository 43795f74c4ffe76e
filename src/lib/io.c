/*
 * Safe output files (temp file + fsync + rename) and input opening; see
 * io.h.  The pending temporary names live in a small fixed table so that a
 * signal handler can unlink them without allocating.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"

#define MAX_PENDING 16

static char *volatile pending[MAX_PENDING];

static void
pending_add(char *tmp)
{
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i] == NULL) {
			pending[i] = tmp;
			return;
		}
}

static void
pending_remove(const char *tmp)
{
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i] == tmp)
			pending[i] = NULL;
}

void
tl_outfile_cleanup_all(void)
{
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (pending[i] != NULL) {
			unlink(pending[i]);
			pending[i] = NULL;
		}
}

/* Where the final file goes: PATH itself, or the file a symbolic link
 * names, so that renaming into place keeps the link.  New string or NULL. */
static char *
final_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *real = realpath(path, NULL);

		if (real != NULL)
			return real;
	}
	return strdup(path);
}

/* The mode of a file written to PATH: that of the file it replaces, so
 * that a private file stays private, or else 0666 less the umask (a model
 * is a file to hand on; mkstemp makes 0600). */
static mode_t
new_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 07777;
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* A device or FIFO (/dev/null, a named pipe) is written in place: renaming
 * over it would replace the device with a regular file. */
static int
open_in_place(struct tl_outfile *o, const char *path, int binary,
    struct tl_err *e)
{
	if ((o->f = fopen(path, "wb")) == NULL)
		return tl_errf_sys(e, errno, "%s: cannot open", path);
	if (binary && isatty(fileno(o->f))) {
		fclose(o->f);
		o->f = NULL;
		return tl_errf(e, "%s: refusing to write binary data to a "
		    "terminal", path);
	}
	if ((o->path = strdup(path)) == NULL) {
		fclose(o->f);
		o->f = NULL;
		return tl_errf(e, "out of memory");
	}
	return 0;
}

int
tl_outfile_is_terminal(const char *path)
{
	return (path == NULL || strcmp(path, "-") == 0) &&
	    isatty(STDOUT_FILENO);
}

int
tl_outfile_open(struct tl_outfile *o, const char *path, int binary,
    struct tl_err *e)
{
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	if (path == NULL || strcmp(path, "-") == 0) {
		if (binary && tl_outfile_is_terminal(path))
			return tl_errf(e, "refusing to write binary data to "
			    "a terminal (use -o FILE or a pipe)");
		o->f = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return tl_errf(e, "%s: is a directory", path);
		return open_in_place(o, path, binary, e);
	}
	if ((o->path = final_path(path)) == NULL ||
	    (o->tmp = malloc(strlen(o->path) + 16)) == NULL) {
		free(o->path);
		o->path = NULL;
		return tl_errf(e, "out of memory");
	}
	strcpy(o->tmp, o->path);
	strcat(o->tmp, ".tmp.XXXXXX");
	if ((fd = mkstemp(o->tmp)) == -1) {
		int errnum = errno;

		free(o->path);
		free(o->tmp);
		memset(o, 0, sizeof(*o));
		return tl_errf_sys(e, errnum, "%s: cannot create", path);
	}
	(void)fchmod(fd, new_mode(o->path));
	pending_add(o->tmp);
	if ((o->f = fdopen(fd, "wb")) == NULL) {
		int errnum = errno;

		close(fd);
		tl_outfile_abort(o);
		return tl_errf_sys(e, errnum, "%s", path);
	}
	return 0;
}

int
tl_outfile_sync(struct tl_outfile *o, struct tl_err *e)
{
	int errnum = 0;
	char path[4096];

	if (o->f == NULL)
		return 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		errnum = errno ? errno : EIO;
	else if (o->tmp != NULL && fsync(fileno(o->f)) != 0 &&
	    errno != EINVAL)
		errnum = errno;
	if (errnum == 0)
		return 0;
	snprintf(path, sizeof(path), "%s", o->path ? o->path : "stdout");
	tl_outfile_abort(o);
	return tl_errf_sys(e, errnum, "%s", path);
}

int
tl_outfile_commit(struct tl_outfile *o, struct tl_err *e)
{
	int errnum = 0;
	char path[4096];

	if (o->f == NULL)
		return 0;
	if (tl_outfile_sync(o, e) == -1)
		return -1;
	if (o->f != stdout && fclose(o->f) != 0)
		errnum = errno;
	o->f = NULL;
	if (!errnum && o->tmp != NULL && rename(o->tmp, o->path) != 0)
		errnum = errno;
	if (errnum) {
		snprintf(path, sizeof(path), "%s", o->path ? o->path :
		    "stdout");
		tl_outfile_abort(o);
		return tl_errf_sys(e, errnum, "%s", path);
	}
	if (o->tmp != NULL)
		pending_remove(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return 0;
}

void
tl_outfile_abort(struct tl_outfile *o)
{
	if (o->f != NULL && o->f != stdout)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp != NULL) {
		pending_remove(o->tmp);
		unlink(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}

static int stdin_model;		/* a model was read from stdin */

int
tl_stdin_take_for_model(struct tl_err *e)
{
	if (stdin_model)
		return tl_errf(e, "standard input already gave a model");
	stdin_model = 1;
	return 0;
}

FILE *
tl_infile_open(const char *path, struct tl_err *e)
{
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (stdin_model) {
			tl_errf(e, "standard input gave the model (-m -): "
			    "give the data as a file");
			return NULL;
		}
		return stdin;
	}
	if ((f = fopen(path, "rb")) == NULL)
		tl_errf_sys(e, errno, "cannot open");
	else	/* as stdin's (tl_cli_init) */
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

const char *
tl_infile_name(const char *path)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return "stdin";
	return path;
}
