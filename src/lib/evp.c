/* libcrypto's digests, loaded at their first use; see evp.h. */
#include <pthread.h>

#define TL_EVP_IMPL	/* the names below are the library's, not macros */
#include "dl.h"
#include "evp.h"

#define SONAME	"libcrypto.so." OPENSSL_MSTR(OPENSSL_VERSION_MAJOR)

static struct tl_evp	 evp;
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static int		 loaded;

static void
load(void)
{
	void *h = tl_dl_open("libcrypto", SONAME);

#define TL_EVP_LOAD(f) \
	evp.f = (__typeof__(evp.f))tl_dl_sym(h, "libcrypto", SONAME, #f);
	TL_EVP_FUNCS(TL_EVP_LOAD)
#undef TL_EVP_LOAD
	loaded = 1;
}

const struct tl_evp *
tl_evp(void)
{
	pthread_once(&once, load);
	return &evp;
}

int
tl_evp_loaded(void)
{
	return loaded;
}
