/*
 * Cached model digests; see digestcache.h.  An entry is the file
 * DIGESTS/<dev>-<ino> holding one line:
 *	"tl-digest 1 SIZE MTIME_S.MTIME_NS CTIME_S.CTIME_NS HEX\n"
 * read whole and compared field by field with the file's identity.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digestcache.h"

/* Smaller files are hashed at once (1 MiB: half a millisecond), so that
 * the many small models of a test run or a pipeline leave no entries;
 * a 15 MB model of word vectors, hashed at each start, took a quarter of
 * tl-embed's time on 50,000 short lines. */
#define CACHE_MIN	((uint64_t)1 << 20)

void
tl_filekey_get(const char *path, struct tl_filekey *k)
{
	struct stat st;

	memset(k, 0, sizeof(*k));
	if (path == NULL || strcmp(path, "-") == 0 || stat(path, &st) == -1 ||
	    !S_ISREG(st.st_mode))
		return;
	k->ok = 1;
	k->dev = (uint64_t)st.st_dev;
	k->ino = (uint64_t)st.st_ino;
	k->size = (uint64_t)st.st_size;
	k->mtime_s = (int64_t)st.st_mtim.tv_sec;
	k->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
	k->ctime_s = (int64_t)st.st_ctim.tv_sec;
	k->ctime_ns = (int64_t)st.st_ctim.tv_nsec;
}

static int
same_key(const struct tl_filekey *a, const struct tl_filekey *b)
{
	return a->ok && b->ok && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime_s == b->mtime_s &&
	    a->mtime_ns == b->mtime_ns && a->ctime_s == b->ctime_s &&
	    a->ctime_ns == b->ctime_ns;
}

/* The cache directory for a file of SIZE bytes in BUF; 0, or -1 when
 * there is none or the file is not worth caching. */
static int
cache_dir(uint64_t size, char *buf, size_t cap)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME"),
	    *mode = getenv("TL_DIGEST_CACHE");
	int n;

	if (mode != NULL && strcmp(mode, "0") == 0)
		return -1;
	if (size < CACHE_MIN && (mode == NULL || strcmp(mode, "all") != 0))
		return -1;
	if (x != NULL && x[0] == '/')
		n = snprintf(buf, cap, "%s/tl/digests", x);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, cap, "%s/.cache/tl/digests", home);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The entry line for K and HEX in BUF. */
static void
entry_line(const struct tl_filekey *k, const char *hex, char *buf,
    size_t cap)
{
	snprintf(buf, cap, "tl-digest 1 %llu %lld.%09lld %lld.%09lld %s\n",
	    (unsigned long long)k->size, (long long)k->mtime_s,
	    (long long)k->mtime_ns, (long long)k->ctime_s,
	    (long long)k->ctime_ns, hex);
}

static int
is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The cached digest of K into OUT: 0, or -1 when there is none. */
static int
cache_get(const char *path, const struct tl_filekey *k, char out[65])
{
	char want[256], got[256];
	ssize_t n;
	size_t len;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	if (n <= 64)
		return -1;
	got[n] = '\0';
	entry_line(k, "", want, sizeof(want));
	len = strlen(want) - 1;		/* up to the digest */
	if ((size_t)n != len + 65 || memcmp(got, want, len) != 0 ||
	    got[n - 1] != '\n' || !is_hex64(got + len))
		return -1;
	memcpy(out, got + len, 64);
	out[64] = '\0';
	return 0;
}

/* Write the entry atomically; failures are ignored (a cache). */
static void
cache_put(const char *dir, const char *path, const struct tl_filekey *k,
    const char *hex)
{
	char tmp[4200], line[256], *p;
	size_t len;
	int fd;

	/* mkdir -p DIR (an absolute path) */
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(tmp, 0700);
		*p = '/';
	}
	(void)mkdir(dir, 0700);
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600))
	    == -1)
		return;
	entry_line(k, hex, line, sizeof(line));
	len = strlen(line);
	if (write(fd, line, len) != (ssize_t)len || close(fd) == -1 ||
	    rename(tmp, path) == -1)
		(void)unlink(tmp);
}

const char *
tl_model_digest_cached(struct tl_model *m, const char *path,
    const struct tl_filekey *k, char out[65])
{
	struct tl_filekey now;
	char dir[4096], entry[4200];
	int usable;

	tl_filekey_get(path, &now);
	usable = same_key(k, &now) && now.size == tl_model_size(m) &&
	    cache_dir(now.size, dir, sizeof(dir)) == 0 && snprintf(entry, sizeof(entry),
	    "%s/%llu-%llu", dir, (unsigned long long)now.dev,
	    (unsigned long long)now.ino) < (int)sizeof(entry);
	if (usable && cache_get(entry, &now, out) == 0)
		return out;
	if (tl_model_digest_into(m, out) == NULL)
		return NULL;
	if (usable)
		cache_put(dir, entry, &now, out);
	return out;
}
