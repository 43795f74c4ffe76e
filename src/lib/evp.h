/*
 * OpenSSL's digests (libcrypto), loaded when they are first needed, as
 * OpenBLAS is (blas.h): loading libcrypto costs 1.4 ms and 2.5 million
 * instructions, most of them its relocations, while a run of tl-embed
 * finds its model's SHA-256 in the digest cache (digestcache.h) and
 * hashes nothing.  Include this header instead of <openssl/evp.h>; the
 * EVP names below are macros for the loaded functions.
 */
#ifndef TL_EVP_H
#define TL_EVP_H

#include <openssl/evp.h>

#define TL_EVP_FUNCS(X) \
	X(EVP_Digest) X(EVP_DigestInit_ex) X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex) X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) \
	X(EVP_sha256)

struct tl_evp {
#define TL_EVP_MEMBER(f) __typeof__(f) *f;
	TL_EVP_FUNCS(TL_EVP_MEMBER)
#undef TL_EVP_MEMBER
};

/* The loaded functions (loading them at the first call). */
const struct tl_evp *tl_evp(void);

/* Whether libcrypto is loaded yet. */
int	tl_evp_loaded(void);

#ifndef TL_EVP_IMPL
#define EVP_Digest		(tl_evp()->EVP_Digest)
#define EVP_DigestInit_ex	(tl_evp()->EVP_DigestInit_ex)
#define EVP_DigestUpdate	(tl_evp()->EVP_DigestUpdate)
#define EVP_DigestFinal_ex	(tl_evp()->EVP_DigestFinal_ex)
#define EVP_MD_CTX_new		(tl_evp()->EVP_MD_CTX_new)
#define EVP_MD_CTX_free		(tl_evp()->EVP_MD_CTX_free)
#define EVP_sha256		(tl_evp()->EVP_sha256)
#endif

#endif
