/*
 * Unit tests of the model container (src/lib/model.c): write/load round
 * trips, byte-for-byte determinism, the digest against sha256sum(1), a
 * pipe load against a file load, and a table of damaged files that must
 * each fail with the expected message and byte offset (run under ASan by
 * `make check`, so a stray read fails the run too).
 *
 * `test_model --write PATH` writes the small softmax model that
 * tests/py/test_safetensors.py reads with its own numpy reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "t.h"

static char tmpdir[] = "/tmp/test_model.XXXXXX";

static const float weight[6] = { 0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 42.0f };
static const float bias[2] = { -0.5f, 0.25f };
static const int64_t counts[3] = { 1, -2, INT64_MAX };
static const unsigned char bytes[5] = { 'h', 'e', 'l', 'l', 'o' };
static const uint16_t halves[3] = { 0x3c00, 0xc000, 0x7bff };
static const int32_t ints[4] = { 7, -8, 9, INT32_MIN };
static const float scalar[1] = { 3.5f };

static char *
tmppath(const char *name)
{
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* The small softmax model of --write and of several tests. */
static json_t *
small_meta(void)
{
	json_t *meta = tl_meta_new("softmax", "test_model");

	json_object_set_new(meta, "classes", json_pack("[s,s]", "neg", "pos"));
	json_object_set_new(meta, "input_dim", json_integer(3));
	json_object_set_new(meta, "output_dim", json_integer(2));
	return meta;
}

/* Add every tensor of the round-trip model to W, in a mixed order. */
static int
add_all(struct tl_model_writer *w, struct tl_err *e)
{
	static const uint64_t s23[] = { 2, 3 }, s2[] = { 2 }, s3[] = { 3 },
	    s5[] = { 5 }, s22[] = { 2, 2 }, s05[] = { 0, 5 };

	return tl_model_writer_add(w, "vocab.bytes", TL_DTYPE_U8, 1, s5, bytes,
	    e) | tl_model_writer_add(w, "weight", TL_DTYPE_F32, 2, s23, weight,
	    e) | tl_model_writer_add(w, "half", TL_DTYPE_F16, 1, s3, halves,
	    e) | tl_model_writer_add(w, "bias", TL_DTYPE_F32, 1, s2, bias, e) |
	    tl_model_writer_add(w, "counts", TL_DTYPE_I64, 1, s3, counts, e) |
	    tl_model_writer_add(w, "ints", TL_DTYPE_I32, 2, s22, ints, e) |
	    tl_model_writer_add(w, "empty", TL_DTYPE_F32, 2, s05, NULL, e) |
	    tl_model_writer_add(w, "scalar", TL_DTYPE_F32, 0, NULL, scalar, e);
}

/* Write the round-trip model (or, SMALL, the --write model) to PATH. */
static int
write_model(const char *path, int small, char digest[65])
{
	static const uint64_t s23[] = { 2, 3 }, s2[] = { 2 }, s3[] = { 3 },
	    s5[] = { 5 };
	struct tl_model_writer *w = tl_model_writer_new();
	json_t *meta = small_meta();
	struct tl_err e;
	FILE *f;
	int rc;

	if (small)
		rc = tl_model_writer_add(w, "weight", TL_DTYPE_F32, 2, s23,
		    weight, &e) | tl_model_writer_add(w, "bias", TL_DTYPE_F32,
		    1, s2, bias, &e) | tl_model_writer_add(w, "counts",
		    TL_DTYPE_I64, 1, s3, counts, &e) | tl_model_writer_add(w,
		    "vocab.bytes", TL_DTYPE_U8, 1, s5, bytes, &e);
	else
		rc = add_all(w, &e);
	if (rc == 0 && (f = fopen(path, "wb")) != NULL) {
		rc = tl_model_writer_write(w, meta, f, digest, &e);
		if (fclose(f) != 0)
			rc = -1;
	} else
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "write_model: %s\n", e.msg);
	json_decref(meta);
	tl_model_writer_free(w);
	return rc;
}

static unsigned char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	b = malloc((size_t)len + 1);
	*n = fread(b, 1, (size_t)len, f);
	fclose(f);
	return b;
}

static int
tensor_is(const struct tl_model *m, const char *name, enum tl_dtype dt,
    int ndim, const uint64_t *shape, const void *data, size_t nbytes)
{
	const struct tl_tensor *t = tl_model_tensor(m, name);

	if (t == NULL || t->dtype != dt || t->ndim != ndim ||
	    t->nbytes != nbytes || t->data == NULL ||
	    (uintptr_t)t->data % tl_dtype_size(dt) != 0)
		return 0;
	for (int i = 0; i < ndim; i++)
		if (t->shape[i] != shape[i])
			return 0;
	return nbytes == 0 || memcmp(t->data, data, nbytes) == 0;
}

static void
check_all(const struct tl_model *m)
{
	static const uint64_t s23[] = { 2, 3 }, s2[] = { 2 }, s3[] = { 3 },
	    s5[] = { 5 }, s22[] = { 2, 2 }, s05[] = { 0, 5 };

	T_CHECK(tl_model_ntensors(m) == 8);
	T_CHECK(tensor_is(m, "weight", TL_DTYPE_F32, 2, s23, weight, 24));
	T_CHECK(tensor_is(m, "bias", TL_DTYPE_F32, 1, s2, bias, 8));
	T_CHECK(tensor_is(m, "counts", TL_DTYPE_I64, 1, s3, counts, 24));
	T_CHECK(tensor_is(m, "vocab.bytes", TL_DTYPE_U8, 1, s5, bytes, 5));
	T_CHECK(tensor_is(m, "half", TL_DTYPE_F16, 1, s3, halves, 6));
	T_CHECK(tensor_is(m, "ints", TL_DTYPE_I32, 2, s22, ints, 16));
	T_CHECK(tensor_is(m, "empty", TL_DTYPE_F32, 2, s05, NULL, 0));
	T_CHECK(tensor_is(m, "scalar", TL_DTYPE_F32, 0, NULL, scalar, 4));
	T_CHECK(tl_model_tensor(m, "nope") == NULL);
	T_CHECK(tl_model_tensor_at(m, 8) == NULL);
}

static void
t_roundtrip(void)
{
	const char *path = tmppath("rt.tlm");
	char digest[65];
	struct tl_err e;
	struct tl_model *m;
	json_t *meta = small_meta();
	struct stat st;
	size_t prev = 8;

	T_CHECK(write_model(path, 0, digest) == 0);
	m = tl_model_load(path, &e);
	T_CHECK(m != NULL);
	if (m == NULL) {
		fprintf(stderr, "load: %s\n", e.msg);
		return;
	}
	check_all(m);
	T_CHECK(json_equal(tl_model_meta(m), meta));
	T_CHECK(tl_model_kind(m) != NULL &&
	    strcmp(tl_model_kind(m), "softmax") == 0);
	T_CHECK(strcmp(tl_model_digest(m), digest) == 0);
	T_CHECK(stat(path, &st) == 0 && tl_model_size(m) == (uint64_t)st.st_size);
	/* the writer's layout: element sizes never grow along the file */
	for (size_t i = 0; i < tl_model_ntensors(m); i++) {
		size_t sz = tl_dtype_size(tl_model_tensor_at(m, i)->dtype);

		T_CHECK(sz <= prev);
		prev = sz;
	}
	tl_model_free(m);
	json_decref(meta);
}

static void
t_deterministic(void)
{
	char d1[65], d2[65];
	unsigned char *a, *b;
	size_t na = 0, nb = 0;

	T_CHECK(write_model(tmppath("d1.tlm"), 0, d1) == 0);
	T_CHECK(write_model(tmppath("d2.tlm"), 0, d2) == 0);
	a = slurp(tmppath("d1.tlm"), &na);
	b = slurp(tmppath("d2.tlm"), &nb);
	T_CHECK(a != NULL && b != NULL && na == nb && na > 0 &&
	    memcmp(a, b, na) == 0);
	T_CHECK(strcmp(d1, d2) == 0);
	/* the header ends on a multiple of 8, padded with spaces */
	if (a != NULL && na >= 8) {
		uint64_t n = 0;

		for (int i = 7; i >= 0; i--)
			n = n << 8 | a[i];
		T_CHECK((8 + n) % 8 == 0 && n < na);
		T_CHECK(a[8] == '{' && a[8 + n - 1] != '\0');
	}
	free(a);
	free(b);
}

/* The digest agrees with sha256sum(1), an independent implementation. */
static void
t_digest(void)
{
	const char *path = tmppath("dg.tlm");
	char digest[65], cmd[512], line[128] = "";
	struct tl_err e;
	struct tl_model *m;
	FILE *p;

	T_CHECK(write_model(path, 0, digest) == 0);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(line, sizeof(line), p) == NULL)
			line[0] = '\0';
		pclose(p);
	}
	T_CHECK(strlen(line) > 64 && strncmp(line, digest, 64) == 0);
	m = tl_model_load(path, &e);
	T_CHECK(m != NULL && strcmp(tl_model_digest(m), digest) == 0);
	/* cached: the same pointer the second time */
	T_CHECK(m != NULL && tl_model_digest(m) == tl_model_digest(m));
	tl_model_free(m);
}

/* Every proper prefix of a valid file is refused, with a message. */
static void
t_truncations(void)
{
	const char *path = tmppath("tr.tlm");
	char digest[65];
	unsigned char *b;
	size_t n = 0, bad = 0;
	struct tl_err e;
	struct tl_model *m;

	T_CHECK(write_model(path, 0, digest) == 0);
	T_CHECK((b = slurp(path, &n)) != NULL && n > 100);
	for (size_t len = 0; b != NULL && len < n; len++) {
		tl_err_clear(&e);
		if ((m = tl_model_load_mem(b, len, &e)) != NULL) {
			tl_model_free(m);
			fprintf(stderr, "prefix of %zu bytes loaded\n", len);
			bad++;
		} else if (e.msg[0] == '\0' || e.pos_kind != TL_POS_BYTE)
			bad++;
	}
	T_CHECK(bad == 0);
	if (b != NULL) {
		T_CHECK((m = tl_model_load_mem(b, n, &e)) != NULL);
		tl_model_free(m);
	}
	free(b);
}

/* Every byte of the header replaced by a few values: no crash, and a
 * failure always says why. */
static void
t_mutations(void)
{
	static const unsigned char vals[] = { 0, '"', '0', '9', '[', '}', 0xff };
	const char *path = tmppath("mu.tlm");
	char digest[65];
	unsigned char *b;
	size_t n = 0, hdr, silent = 0;
	struct tl_err e;
	struct tl_model *m;

	T_CHECK(write_model(path, 1, digest) == 0);
	if ((b = slurp(path, &n)) == NULL)
		return;
	hdr = 8 + (b[0] | (size_t)b[1] << 8);
	for (size_t i = 0; i < hdr && i < n; i++) {
		unsigned char old = b[i];

		for (size_t v = 0; v < sizeof(vals); v++) {
			b[i] = vals[v];
			tl_err_clear(&e);
			m = tl_model_load_mem(b, n, &e);
			if (m == NULL && e.msg[0] == '\0')
				silent++;
			tl_model_free(m);
		}
		b[i] = old;
	}
	T_CHECK(silent == 0);
	free(b);
}

/* A raw safetensors file: length word, header HDR, DATALEN bytes. */
static unsigned char *
mk(const char *hdr, size_t datalen, size_t *n)
{
	size_t h = strlen(hdr);
	unsigned char *b = malloc(8 + h + datalen + 1);

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)h >> (8 * i));
	memcpy(b + 8, hdr, h);
	for (size_t i = 0; i < datalen; i++)
		b[8 + h + i] = (unsigned char)i;
	*n = 8 + h + datalen;
	return b;
}

static const struct bad {
	const char	*hdr;
	size_t		 datalen;
	const char	*msg;		/* expected message (a substring) */
	uint64_t	 pos;
} bads[] = {
	{ "", 0, "header: ", 8 },
	{ "[]", 0, "expected a JSON object, found an array", 8 },
	{ "{\"a\":", 0, "header: ", 13 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	  "\"a\":{}}", 4, "duplicate object key", 0 },
	{ "{\"a\":7}", 0, "tensor 'a': expected an object", 8 },
	{ "{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2,
	  "tensor 'a': unsupported dtype 'BF16', expected F32, F16, I32, I64 "
	  "or U8", 8 },
	{ "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
	  "unsupported dtype 'F64'", 8 },
	{ "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
	  "tensor 'a': dtype: expected a string", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
	  "shape: expected an array of non-negative integers, found none", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],"
	  "\"data_offsets\":[0,4]}}", 4,
	  "shape has 5 dimensions, expected at most 4", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
	  "shape[0]: expected a non-negative integer", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4,
	  "shape[0]: expected a non-negative integer", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
	  "data_offsets: expected [BEGIN, END]", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4,
	  "data_offsets [4, 0]: expected BEGIN <= END", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 7,
	  "data_offsets [0, 8]: expected END <= 7, the size of the data", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}",
	  24, "tensor 'a': data_offsets span 20 bytes, expected 24 for shape "
	  "[2,3] of F32", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}",
	  8, "tensor 'a': data_offsets span 8 bytes, expected 4 for shape [1] "
	  "of F32", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
	  "\"data_offsets\":[0,0]}}", 0, "tensor 'a': shape "
	  "[4294967296,4294967296] of F32 is too large (its size overflows 64 "
	  "bits)", 8 },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[4611686018427387904,4],"
	  "\"data_offsets\":[0,0]}}", 0, "overflows 64 bits", 8 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	  "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8,
	  "tensor 'b' [4, 8) overlaps tensor 'a' [0, 8)", 0 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	  "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}", 12,
	  "data bytes [4, 8) belong to no tensor", 0 },
	{ "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6,
	  "2 bytes after the last tensor's data", 0 },
	{ "{\"__metadata__\":[]}", 0,
	  "__metadata__: expected an object of strings", 8 },
	{ "{\"__metadata__\":{\"x\":1}}", 0,
	  "__metadata__[\"x\"]: expected a string", 8 },
	{ "{\"__metadata__\":{\"tl\":\"{nope\"}}", 0,
	  "__metadata__[\"tl\"]: not valid JSON", 8 },
	{ "{\"__metadata__\":{\"tl\":\"[1]\"}}", 0,
	  "__metadata__[\"tl\"]: expected a JSON object", 8 },
	{ "{\"__metadata__\":{\"tl\":\"{\\\"format_version\\\":2}\"}}", 0,
	  "format_version is not 1", 8 },
	{ "{\"__metadata__\":{\"tl\":\"{\\\"a\\\":1,\\\"a\\\":2}\"}}", 0,
	  "duplicate object key", 8 },
	{ "{\"a\\u0000b\":{}}", 0, "NUL byte", 0 },
	{ "{\"a\nb\":{}}", 0, "header: ", 0 },
	{ "{\"\\u0001bad\":{\"dtype\":\"X\"}}", 0, "tensor '?bad'", 8 },
};

static void
t_bad_headers(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *t = &bads[i];
		size_t n;
		unsigned char *b = mk(t->hdr, t->datalen, &n);
		struct tl_err e;
		struct tl_model *m;
		int ok;

		tl_err_clear(&e);
		m = tl_model_load_mem(b, n, &e);
		ok = m == NULL && strstr(e.msg, t->msg) != NULL &&
		    e.pos_kind == TL_POS_BYTE && (t->pos == 0 || e.pos == t->pos);
		/* an overlap names the later tensor's first byte */
		if (t->pos == 0 && strstr(t->msg, "overlaps") != NULL)
			ok = ok && e.pos == 8 + strlen(t->hdr) + 4;
		/* a gap or trailing bytes: the first byte of no tensor */
		if (t->pos == 0 && (strstr(t->msg, "no tensor") != NULL ||
		    strstr(t->msg, "after the last") != NULL))
			ok = ok && e.pos == 8 + strlen(t->hdr) + 4;
		if (!ok)
			fprintf(stderr, "bads[%zu]: got byte %llu: %s\n", i,
			    (unsigned long long)e.pos,
			    m != NULL ? "(loaded)" : e.msg);
		T_CHECK(ok);
		tl_model_free(m);
		free(b);
	}
}

/* The length word itself: flipped, one too many, short files. */
static void
t_bad_length(void)
{
	char digest[65];
	unsigned char *b;
	size_t n = 0;
	struct tl_err e;
	struct tl_model *m;
	char want[128];

	T_CHECK(write_model(tmppath("len.tlm"), 1, digest) == 0);
	if ((b = slurp(tmppath("len.tlm"), &n)) == NULL)
		return;
	b[7] ^= 0x80;
	m = tl_model_load_mem(b, n, &e);
	T_CHECK(m == NULL && e.pos_kind == TL_POS_BYTE && e.pos == 0 &&
	    strstr(e.msg, "exceeds the") != NULL);
	b[7] ^= 0x80;
	/* one more than the file holds */
	{
		uint64_t h = 0;

		for (int i = 7; i >= 0; i--)
			h = h << 8 | b[i];
		h = n - 8 + 1;
		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)(h >> (8 * i));
		snprintf(want, sizeof(want), "header length %llu exceeds the "
		    "%llu bytes that follow it", (unsigned long long)h,
		    (unsigned long long)(n - 8));
		m = tl_model_load_mem(b, n, &e);
		T_CHECK(m == NULL && strcmp(e.msg, want) == 0);
	}
	m = tl_model_load_mem(b, 3, &e);
	T_CHECK(m == NULL && e.pos == 3 && strcmp(e.msg, "file ends after 3 "
	    "bytes, expected at least 8 (the header length)") == 0);
	m = tl_model_load_mem("", 0, &e);
	T_CHECK(m == NULL && e.pos == 0);
	free(b);
}

/* A header length over the 100 MiB limit, in a sparse file that is big
 * enough to hold it (so the size check does not answer first). */
static void
t_header_limit(void)
{
	const char *path = tmppath("sparse.tlm");
	unsigned char len[8] = { 0, 0, 0, 0x10, 0, 0, 0, 0 };	/* 256 MiB */
	struct tl_err e;
	struct tl_model *m;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	T_CHECK(fd != -1 && write(fd, len, 8) == 8 &&
	    ftruncate(fd, ((off_t)256 << 20) + 8) == 0);
	close(fd);
	m = tl_model_load(path, &e);
	T_CHECK(m == NULL && e.pos == 0 && strcmp(e.msg, "header length "
	    "268435456 exceeds the limit of 104857600") == 0);
	unlink(path);
}

/* What foreign writers may do and tl must accept. */
static void
t_foreign(void)
{
	static const char *hdr = "{\"b\":{\"dtype\":\"U8\",\"shape\":[3],"
	    "\"data_offsets\":[0,3]},\"f\":{\"dtype\":\"F32\",\"shape\":[2],"
	    "\"data_offsets\":[3,11]},\"g\":{\"dtype\":\"I64\",\"shape\":[1],"
	    "\"data_offsets\":[11,19]},\"z\":{\"dtype\":\"F16\",\"shape\":[0],"
	    "\"data_offsets\":[3,3]},\"__metadata__\":{\"format\":\"pt\"}}";
	size_t n;
	unsigned char *b = mk(hdr, 19, &n);
	struct tl_err e;
	struct tl_model *m;
	const struct tl_tensor *f;
	float want[2];

	/* F32 and I64 at odd offsets, an empty tensor sharing an offset, no
	 * tl description */
	m = tl_model_load_mem(b, n, &e);
	T_CHECK(m != NULL);
	if (m == NULL) {
		fprintf(stderr, "t_foreign: %s\n", e.msg);
		free(b);
		return;
	}
	f = tl_model_tensor(m, "f");
	memcpy(want, b + 8 + strlen(hdr) + 3, sizeof(want));
	T_CHECK(f != NULL && (uintptr_t)f->data % 4 == 0 &&
	    memcmp(f->data, want, 8) == 0);
	T_CHECK(tl_model_meta(m) == NULL && tl_model_kind(m) == NULL);
	T_CHECK(tl_model_ntensors(m) == 4);
	/* file order: by offset, then by end */
	T_CHECK(strcmp(tl_model_tensor_at(m, 0)->name, "b") == 0);
	T_CHECK(strcmp(tl_model_tensor_at(m, 1)->name, "z") == 0);
	T_CHECK(strcmp(tl_model_tensor_at(m, 3)->name, "g") == 0);
	tl_model_free(m);
	free(b);
}

static void
t_f32(void)
{
	const char *path = tmppath("f32.tlm");
	char digest[65];
	struct tl_err e;
	struct tl_model *m;
	uint64_t shape[2] = { 0, 0 };
	const float *w;

	T_CHECK(write_model(path, 0, digest) == 0);
	if ((m = tl_model_load(path, &e)) == NULL)
		return;
	w = tl_model_f32(m, "weight", 2, shape, &e);
	T_CHECK(w != NULL && shape[0] == 2 && shape[1] == 3 && w[5] == 42.0f);
	T_CHECK(tl_model_f32(m, "counts", 2, shape, &e) == NULL &&
	    strcmp(e.msg, "tensor 'counts': expected F32 with 2 dimensions, "
	    "found I64 with 1") == 0);
	T_CHECK(tl_model_f32(m, "bias", 2, shape, &e) == NULL &&
	    strcmp(e.msg, "tensor 'bias': expected F32 with 2 dimensions, "
	    "found F32 with 1") == 0);
	T_CHECK(tl_model_f32(m, "missing", 1, shape, &e) == NULL &&
	    strcmp(e.msg, "tensor 'missing': expected F32 with 1 dimension, "
	    "found no such tensor") == 0);
	tl_model_free(m);
}

struct feeder {
	int		 fd;
	unsigned char	*b;
	size_t		 n;
};

static void *
feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;
	ssize_t r;

	while (off < f->n && (r = write(f->fd, f->b + off, f->n - off)) > 0)
		off += (size_t)r;
	close(f->fd);
	return NULL;
}

/* A pipe is read into memory and gives what the mapped file gives; big
 * enough to need several reads and buffer growths. */
static void
t_pipe(void)
{
	static float big[300000];
	static const uint64_t shape[2] = { 1000, 300 };
	const char *path = tmppath("big.tlm");
	struct tl_model_writer *w = tl_model_writer_new();
	json_t *meta = small_meta();
	struct tl_model *mf = NULL, *mp = NULL;
	struct feeder fd;
	pthread_t th;
	char digest[65], dev[64];
	struct tl_err e;
	int p[2];
	FILE *f;

	for (size_t i = 0; i < 300000; i++)
		big[i] = (float)i * 0.5f;
	T_CHECK(tl_model_writer_add(w, "vectors", TL_DTYPE_F32, 2, shape, big,
	    &e) == 0);
	T_CHECK((f = fopen(path, "wb")) != NULL &&
	    tl_model_writer_write(w, meta, f, digest, &e) == 0);
	fclose(f);
	fd.b = slurp(path, &fd.n);
	T_CHECK(fd.b != NULL && pipe(p) == 0);
	fd.fd = p[1];
	pthread_create(&th, NULL, feed, &fd);
	snprintf(dev, sizeof(dev), "/dev/fd/%d", p[0]);
	mp = tl_model_load(dev, &e);
	pthread_join(th, NULL);
	close(p[0]);
	mf = tl_model_load(path, &e);
	T_CHECK(mp != NULL && mf != NULL);
	if (mp != NULL && mf != NULL) {
		const struct tl_tensor *a = tl_model_tensor(mp, "vectors"),
		    *b = tl_model_tensor(mf, "vectors");

		T_CHECK(a != NULL && b != NULL && a->nbytes == b->nbytes &&
		    memcmp(a->data, b->data, a->nbytes) == 0);
		T_CHECK(strcmp(tl_model_digest(mp), tl_model_digest(mf)) == 0);
		T_CHECK(strcmp(tl_model_digest(mp), digest) == 0);
		T_CHECK(json_equal(tl_model_meta(mp), tl_model_meta(mf)));
		T_CHECK(tl_model_size(mp) == fd.n);
	}
	tl_model_free(mp);
	tl_model_free(mf);
	free(fd.b);
	json_decref(meta);
	tl_model_writer_free(w);
}

static void
t_load_errors(void)
{
	struct tl_err e;

	T_CHECK(tl_model_load(tmppath("absent.tlm"), &e) == NULL &&
	    e.errnum == ENOENT && strncmp(e.msg, "cannot open", 11) == 0);
	T_CHECK(tl_model_load(tmpdir, &e) == NULL && e.errnum == EISDIR);
}

static void
t_writer_errors(void)
{
	static const uint64_t s1[] = { 1 }, s5[] = { 1, 1, 1, 1, 1 },
	    huge[] = { (uint64_t)1 << 62, 8 };
	struct tl_model_writer *w = tl_model_writer_new();
	struct tl_err e;
	char digest[65];
	json_t *arr = json_array();
	FILE *f;
	int p[2];

	T_CHECK(tl_model_writer_add(w, "a", TL_DTYPE_F32, 1, s1, bias, &e) == 0);
	T_CHECK(tl_model_writer_add(w, "a", TL_DTYPE_F32, 1, s1, bias, &e) ==
	    -1 && strcmp(e.msg, "tensor 'a': duplicate name") == 0);
	T_CHECK(tl_model_writer_add(w, "b", TL_DTYPE_F32, 5, s5, bias, &e) ==
	    -1 && strstr(e.msg, "5 dimensions") != NULL);
	T_CHECK(tl_model_writer_add(w, "__metadata__", TL_DTYPE_F32, 1, s1,
	    bias, &e) == -1);
	T_CHECK(tl_model_writer_add(w, "\xff", TL_DTYPE_F32, 1, s1, bias, &e)
	    == -1 && strstr(e.msg, "UTF-8") != NULL);
	T_CHECK(tl_model_writer_add(w, "c", TL_DTYPE_U8, 2, huge, bias, &e) ==
	    -1 && strstr(e.msg, "too large") != NULL);
	T_CHECK(tl_model_writer_write(w, arr, stdout, digest, &e) == -1);
	/* a full disk and a closed pipe come back with their errno */
	if ((f = fopen("/dev/full", "wb")) != NULL) {
		T_CHECK(tl_model_writer_write(w, NULL, f, digest, &e) == -1 &&
		    e.errnum == ENOSPC);
		fclose(f);
	}
	signal(SIGPIPE, SIG_IGN);
	T_CHECK(pipe(p) == 0);
	close(p[0]);
	f = fdopen(p[1], "wb");
	T_CHECK(tl_model_writer_write(w, NULL, f, digest, &e) == -1 &&
	    e.errnum == EPIPE);
	fclose(f);
	json_decref(arr);
	tl_model_writer_free(w);
}

static void
t_meta(void)
{
	json_t *m = tl_meta_new("softmax", "tl-train");
	json_t *l;

	T_CHECK(m != NULL);
	if (m == NULL)
		return;
	T_CHECK(strcmp(json_string_value(json_object_get(m, "format")), "tl")
	    == 0);
	T_CHECK(json_integer_value(json_object_get(m, "format_version")) == 1);
	T_CHECK(strcmp(json_string_value(json_object_get(m, "tool")),
	    "tl-train " TL_VERSION) == 0);
	T_CHECK(tl_meta_add_parent(m, "ab12", "embedding", "features") == 0);
	T_CHECK(tl_meta_add_parent(m, "cd34", NULL, "stacked") == 0);
	l = json_object_get(m, "lineage");
	T_CHECK(json_array_size(l) == 2);
	T_CHECK(strcmp(json_string_value(json_object_get(json_array_get(l, 0),
	    "kind")), "embedding") == 0);
	T_CHECK(json_is_null(json_object_get(json_array_get(l, 1), "kind")));
	json_object_set_new(m, "lineage", json_integer(3));
	T_CHECK(tl_meta_add_parent(m, "ab12", "x", "y") == -1);
	json_decref(m);
}

/* A view of a pipeline's stage: the stage's tensors under their own names,
 * the parent's very bytes (nothing copied), the digest it is given. */
static void
t_view(void)
{
	static const uint64_t s23[] = { 2, 3 }, s2[] = { 2 };
	static const char d[] = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	struct tl_model_writer *w = tl_model_writer_new();
	json_t *meta = small_meta();
	struct tl_model *m = NULL, *v;
	struct tl_err e;
	char digest[65], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	T_CHECK(tl_model_writer_add(w, "stage0.weight", TL_DTYPE_F32, 2, s23,
	    weight, &e) == 0 && tl_model_writer_add(w, "stage1.bias",
	    TL_DTYPE_F32, 1, s2, bias, &e) == 0 && tl_model_writer_add(w,
	    "stage0.bias", TL_DTYPE_F32, 1, s2, bias, &e) == 0);
	T_CHECK(tl_model_writer_write(w, meta, f, digest, &e) == 0);
	T_CHECK(fclose(f) == 0 && (m = tl_model_load_mem(buf, len, &e)) !=
	    NULL);
	if (m == NULL)
		goto out;
	v = tl_model_view(m, "stage0.", meta, d, &e);
	T_CHECK(v != NULL && tl_model_ntensors(v) == 2);
	T_CHECK(tl_model_tensor(v, "stage1.bias") == NULL &&
	    tl_model_tensor(v, "bias") != NULL);
	T_CHECK(tensor_is(v, "weight", TL_DTYPE_F32, 2, s23, weight,
	    sizeof(weight)) && tensor_is(v, "bias", TL_DTYPE_F32, 1, s2, bias,
	    sizeof(bias)));
	T_CHECK(tl_model_tensor(v, "weight")->data ==
	    tl_model_tensor(m, "stage0.weight")->data);
	T_CHECK(strcmp(tl_model_digest(v), d) == 0 &&
	    strcmp(tl_model_kind(v), "softmax") == 0);
	tl_model_free(v);
	v = tl_model_view(m, "stage9.", NULL, d, &e);
	T_CHECK(v != NULL && tl_model_ntensors(v) == 0 &&
	    tl_model_meta(v) == NULL);
	tl_model_free(v);
	T_CHECK(tl_model_view(m, "stage0.", meta, "abc", &e) == NULL &&
	    strstr(e.msg, "SHA-256") != NULL);
	T_CHECK(tl_model_view(m, "stage0.", json_true(), d, &e) == NULL);
	/* the parent is whole after its views are gone */
	T_CHECK(tensor_is(m, "stage0.weight", TL_DTYPE_F32, 2, s23, weight,
	    sizeof(weight)));
out:
	tl_model_free(m);
	free(buf);
	json_decref(meta);
	tl_model_writer_free(w);
}

static void
cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

int
main(int argc, char *argv[])
{
	char digest[65];

	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_model(argv[2], 1, digest) == 0 ? 0 : 1;
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(t_roundtrip);
	T_RUN(t_deterministic);
	T_RUN(t_digest);
	T_RUN(t_truncations);
	T_RUN(t_mutations);
	T_RUN(t_bad_headers);
	T_RUN(t_bad_length);
	T_RUN(t_header_limit);
	T_RUN(t_foreign);
	T_RUN(t_f32);
	T_RUN(t_pipe);
	T_RUN(t_load_errors);
	T_RUN(t_writer_errors);
	T_RUN(t_meta);
	T_RUN(t_view);
	cleanup();
	return t_done();
}
