/*
 * A cache of model files' SHA-256, so that a tool that names its model in
 * its output header (tl-embed) need not read every page of a 150 MB model
 * at each start.  An entry is keyed by what identifies one version of a
 * file: device, inode, size, and modification and change times to the
 * nanosecond; the change time cannot be set by a user, so a file rewritten
 * in place never matches a stale entry.  Entries are small files under
 * $XDG_CACHE_HOME/tl/digests (default ~/.cache/tl/digests), written
 * atomically; a missing, stale or unreadable entry means the digest is
 * computed and the entry rewritten; failing to write is not an error.
 * Files under 1 MiB are always hashed (half a millisecond, plus 1.4 ms to
 * load libcrypto: evp.h).  In the environment, TL_DIGEST_CACHE=0 turns
 * the cache off and TL_DIGEST_CACHE=all caches files of any size (for
 * tests).
 */
#ifndef TL_DIGESTCACHE_H
#define TL_DIGESTCACHE_H

#include <stdint.h>

#include "model.h"

struct tl_filekey {
	int		ok;		/* 0: unknown (stat failed, not a file) */
	uint64_t	dev, ino, size;
	int64_t		mtime_s, mtime_ns, ctime_s, ctime_ns;
};

/* Identify the regular file at PATH into K; call it before loading the
 * model, so that a file replaced during the load is noticed. */
void		 tl_filekey_get(const char *path, struct tl_filekey *k);

/* The hex SHA-256 of model M, loaded from PATH, which K identified before
 * the load: from the cache when PATH is still that same file version and
 * the cache holds it, else computed (and cached).  Written to OUT;
 * returns OUT, or NULL when out of memory. */
const char	*tl_model_digest_cached(struct tl_model *m, const char *path,
		    const struct tl_filekey *k, char out[65]);

#endif
