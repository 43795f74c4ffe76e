/*
 * tl-info --tree and --verify: a model's lineage, the models it was built
 * on (each description's "lineage": sha256, kind, role), followed from
 * file to file.  A parent is only a digest in the description; its file is
 * looked up by digest among the files given on the command line, then the
 * *.tlm files in the model's directory (in name order; the first file of
 * a digest wins), and its own lineage is followed in turn.  Digests come
 * through the digest cache, so scanning a directory that holds a large
 * embedding does not hash it at every run.  A pipeline carries the
 * descriptions of its stages: a stage whose own file is not found is
 * known by those ("PIPE.tlm:NAME").  In the tree, a model whose parents
 * were shown already (a shared parent in a DAG) is not expanded again.
 *
 * --verify checks what a party receiving a model wants to know: that the
 * parents it was handed are the ones the model records, and that a
 * stacked or initial model was trained on vectors from the same model as
 * the model that stacks it (else stacking fed it vectors of another
 * embedding, and its outputs mean nothing).
 */
#include <dirent.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "digestcache.h"
#include "info.h"
#include "io.h"
#include "model.h"

#define MAX_DEPTH	32	/* lineages are acyclic; this bounds a bad file */
#define SHORT		12	/* hex digits of a digest shown */

/* A model file whose digest is known. */
struct mfile {
	char	*path;		/* NULL: standard input */
	char	 digest[65];
	json_t	*meta;		/* new reference; NULL without a description */
};

struct mfiles {
	struct mfile	*v;
	size_t		 n, cap;
};

/* The state of --verify. */
struct verify {
	struct mfiles	*fs;
	int		 checks, failed;
	char		**edges;	/* "child parent" digests checked */
	size_t		 nedges;
};

/* ------------------------------------------------------------------ */
/* Files                                                              */
/* ------------------------------------------------------------------ */

static const char *
name_of(const char *path)
{
	return tl_infile_name(path);
}

/* --verify reads every file whole: the digest cache trusts a file's
 * times, and a write through a shared mapping to a page already dirty
 * changes neither; an integrity check must not trust them. */
static int exact_digests;

/* Load the model at PATH ("-": standard input) into F.  0, or -1 after a
 * warning (none when QUIET). */
static int
mfile_load(struct mfile *f, const char *path, int quiet)
{
	struct tl_filekey k;
	struct tl_model *m;
	struct tl_err e;
	const char *p = path != NULL && strcmp(path, "-") == 0 ? NULL : path;

	tl_err_clear(&e);
	memset(f, 0, sizeof(*f));
	tl_filekey_get(p, &k);
	if ((m = tl_model_load(p, &e)) == NULL) {
		if (!quiet)
			info_warn_err(p, &e);
		return -1;
	}
	if ((exact_digests ? tl_model_digest_into(m, f->digest) :
	    tl_model_digest_cached(m, p, &k, f->digest)) == NULL ||
	    (p != NULL && (f->path = strdup(p)) == NULL))
		tl_die("out of memory");
	if ((f->meta = tl_model_meta(m)) != NULL)
		json_incref(f->meta);
	tl_model_free(m);
	return 0;
}

static void
mfile_free(struct mfile *f)
{
	free(f->path);
	json_decref(f->meta);
}

static struct mfile *
mfiles_find(struct mfiles *fs, const char *digest)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].digest, digest) == 0)
			return &fs->v[i];
	return NULL;
}

/* Append F (moved) to FS; returns its entry. */
static struct mfile *
mfiles_push(struct mfiles *fs, const struct mfile *f)
{
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? 2 * fs->cap : 16;
		if ((fs->v = realloc(fs->v, fs->cap * sizeof(*fs->v))) == NULL)
			tl_die("out of memory");
	}
	fs->v[fs->n] = *f;
	return &fs->v[fs->n++];
}

/* Add the model at PATH to FS unless its digest is there.  Returns its
 * entry, or NULL when it does not load (warned about unless QUIET). */
static struct mfile *
mfiles_add(struct mfiles *fs, const char *path, int quiet)
{
	struct mfile f, *old;

	if (mfile_load(&f, path, quiet) == -1)
		return NULL;
	if ((old = mfiles_find(fs, f.digest)) != NULL) {
		mfile_free(&f);
		return old;
	}
	return mfiles_push(fs, &f);
}

static int
is_tlm(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".tlm") == 0;
}

/* Add the *.tlm files of the directory of PATH, quietly: a file there
 * that is not a model is none of our business. */
static void
mfiles_scan(struct mfiles *fs, const char *path)
{
	struct dirent **ents;
	char tmp[4096], file[8192], *dir;
	int n;

	if (path == NULL || strcmp(path, "-") == 0 ||
	    strlen(path) >= sizeof(tmp))
		return;
	memcpy(tmp, path, strlen(path) + 1);
	dir = dirname(tmp);
	if ((n = scandir(dir, &ents, is_tlm, alphasort)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (strcmp(dir, ".") == 0)
			snprintf(file, sizeof(file), "%s", ents[i]->d_name);
		else
			snprintf(file, sizeof(file), "%s/%s", dir,
			    ents[i]->d_name);
		/* regular files only: a FIFO or a device would block or
		 * never end */
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
			(void)mfiles_add(fs, file, 1);
		free(ents[i]);
	}
	free(ents);
}

static void
mfiles_free(struct mfiles *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		mfile_free(&fs->v[i]);
	free(fs->v);
}

/* ------------------------------------------------------------------ */
/* Descriptions                                                       */
/* ------------------------------------------------------------------ */

static const char *
jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

/* A usable lineage entry I of META: its digest, kind and role, or -1. */
static int
parent_at(const json_t *meta, size_t i, const char **digest,
    const char **kind, const char **role)
{
	json_t *p = json_array_get(json_object_get(meta, "lineage"), i);

	*digest = jstr(p, "sha256", "");
	*kind = jstr(p, "kind", "?");
	*role = jstr(p, "role", "?");
	if (strlen(*digest) != 64 ||
	    strspn(*digest, "0123456789abcdef") != 64)
		return -1;
	return 0;
}

static size_t
nparents(const json_t *meta)
{
	return json_array_size(json_object_get(meta, "lineage"));
}

/* The digest of the model that made META's training vectors, or NULL. */
static const char *
input_model(const json_t *meta)
{
	const char *s = jstr(json_object_get(meta, "input"), "model", "");

	return strlen(s) == 64 ? s : NULL;
}

/* Add the stages of META, when it is a pipeline (named NAME), as models known by their
 * descriptions, unless their files were found. */
static void
mfiles_add_stages(struct mfiles *fs, const json_t *meta, const char *name)
{
	json_t *stages = json_object_get(meta, "stages"), *s;
	struct mfile f;
	char path[4096];
	size_t i;

	if (strcmp(jstr(meta, "kind", ""), "pipeline") != 0)
		return;
	json_array_foreach(stages, i, s) {
		const char *d = jstr(s, "sha256", "");
		json_t *desc = json_object_get(s, "description");

		if (strlen(d) != 64 || !json_is_object(desc) ||
		    mfiles_find(fs, d) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s:%s", name, jstr(s, "name",
		    "?"));
		memset(&f, 0, sizeof(f));
		memcpy(f.digest, d, 65);
		if ((f.path = strdup(path)) == NULL)
			tl_die("out of memory");
		f.meta = json_incref(desc);
		mfiles_push(fs, &f);
	}
}

/* ------------------------------------------------------------------ */
/* --tree                                                             */
/* ------------------------------------------------------------------ */

/* " rows=N data=HEX" when META records its training data. */
static void
print_training(const json_t *meta)
{
	json_t *t = json_object_get(meta, "training");
	json_t *rows = json_object_get(t, "rows");
	const char *data = jstr(t, "data_sha256", NULL);

	if (json_is_integer(rows))
		printf(" rows=%lld", (long long)json_integer_value(rows));
	if (data != NULL)
		printf(" data=%.*s", SHORT, data);
}

/* The models whose parents the tree has shown. */
struct shown {
	char	(*d)[65];
	size_t	  n, cap;
};

/* Whether DIGEST's parents were shown already; marks them shown. */
static int
seen(struct shown *sh, const char *digest)
{
	for (size_t i = 0; i < sh->n; i++)
		if (strcmp(sh->d[i], digest) == 0)
			return 1;
	if (sh->n == sh->cap) {
		sh->cap = sh->cap ? 2 * sh->cap : 16;
		if ((sh->d = realloc(sh->d, sh->cap * sizeof(*sh->d))) == NULL)
			tl_die("out of memory");
	}
	memcpy(sh->d[sh->n++], digest, 65);
	return 0;
}

static void
tree_node(struct mfiles *fs, struct shown *sh, const json_t *meta,
    const char *prefix, int depth)
{
	size_t n = nparents(meta);
	const char *digest, *kind, *role;
	struct mfile *f;
	char *sub;

	for (size_t i = 0; i < n; i++) {
		int last = i + 1 == n;

		printf("%s%s", prefix, last ? "`-- " : "|-- ");
		if (parent_at(meta, i, &digest, &kind, &role) == -1) {
			printf("(bad lineage entry %zu)\n", i + 1);
			continue;
		}
		f = mfiles_find(fs, digest);
		printf("%s %s %.*s", role, f != NULL ?
		    jstr(f->meta, "kind", "?") : kind, SHORT, digest);
		if (f != NULL)
			print_training(f->meta);
		printf(" %s", f != NULL ? name_of(f->path) : "(not found)");
		if (f != NULL && nparents(f->meta) > 0 && seen(sh, digest)) {
			printf(" (see above)\n");
			continue;
		}
		putchar('\n');
		if (f == NULL || depth >= MAX_DEPTH)
			continue;
		if ((sub = malloc(strlen(prefix) + 5)) == NULL)
			tl_die("out of memory");
		sprintf(sub, "%s%s", prefix, last ? "    " : "|   ");
		tree_node(fs, sh, f->meta, sub, depth + 1);
		free(sub);
	}
}

/* Load MODEL and the candidate parents: the PARENTS, then the model's
 * directory; the digest of each parent goes to PD (when not NULL; "" for
 * one that does not load).  Returns -1 when MODEL does not load; *STATUS
 * becomes 1 when a given parent does not. */
static int
load_all(struct mfile *root, struct mfiles *fs, const char *model,
    char *const *parents, int np, char (*pd)[65], int *status)
{
	struct mfile *f;

	if (mfile_load(root, model, 0) == -1)
		return -1;
	for (int i = 0; i < np; i++) {
		if ((f = mfiles_add(fs, parents[i], 0)) == NULL)
			*status = TL_EXIT_FAIL;
		if (pd != NULL)
			snprintf(pd[i], 65, "%s", f != NULL ? f->digest : "");
	}
	mfiles_scan(fs, model);
	mfiles_add_stages(fs, root->meta, name_of(root->path));
	for (size_t i = 0, n = fs->n; i < n; i++)
		mfiles_add_stages(fs, fs->v[i].meta, name_of(fs->v[i].path));
	return 0;
}

int
lineage_tree(const char *model, char *const *parents, int np)
{
	struct mfiles fs = { NULL, 0, 0 };
	struct shown sh = { NULL, 0, 0 };
	struct mfile root;
	int status = TL_EXIT_OK;

	if (load_all(&root, &fs, model, parents, np, NULL, &status) == -1)
		return TL_EXIT_FAIL;
	printf("model %s %.*s", jstr(root.meta, "kind", "?"), SHORT,
	    root.digest);
	print_training(root.meta);
	printf(" %s\n", name_of(root.path));
	tree_node(&fs, &sh, root.meta, "", 0);
	free(sh.d);
	mfile_free(&root);
	mfiles_free(&fs);
	return status;
}

/* ------------------------------------------------------------------ */
/* --verify                                                           */
/* ------------------------------------------------------------------ */

static void
check(struct verify *v, int ok, const char *fmt, ...)
{
	va_list ap;

	v->checks++;
	v->failed += !ok;
	fputs(ok ? "ok: " : "FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Find DIGEST in the lineage under META (named NAME): its direct parents
 * first, then theirs.  Sets *OWNER to the name of the model that lists it
 * and *ROLE; returns 1 when found. */
static int
find_parent(struct mfiles *fs, const json_t *meta, const char *name,
    const char *digest, int depth, const char **owner, const char **role)
{
	const char *d, *k, *r;
	struct mfile *f;

	for (size_t i = 0; i < nparents(meta); i++)
		if (parent_at(meta, i, &d, &k, &r) == 0 &&
		    strcmp(d, digest) == 0) {
			*owner = name;
			*role = r;
			return 1;
		}
	for (size_t i = 0; depth < MAX_DEPTH && i < nparents(meta); i++)
		if (parent_at(meta, i, &d, &k, &r) == 0 &&
		    (f = mfiles_find(fs, d)) != NULL &&
		    find_parent(fs, f->meta, name_of(f->path), digest,
		    depth + 1, owner, role))
			return 1;
	return 0;
}

/* Whether the edge CHILD -> PARENT was checked already; marks it. */
static int
seen_edge(struct verify *v, const char *child, const char *parent)
{
	char key[130];

	snprintf(key, sizeof(key), "%s %s", child, parent);
	for (size_t i = 0; i < v->nedges; i++)
		if (strcmp(v->edges[i], key) == 0)
			return 1;
	if ((v->edges = realloc(v->edges, (v->nedges + 1) *
	    sizeof(*v->edges))) == NULL ||
	    (v->edges[v->nedges] = strdup(key)) == NULL)
		tl_die("out of memory");
	v->nedges++;
	return 0;
}

/* Check each found parent of the model C (NAME, digest CD) that was
 * applied to C's input vectors, stacked or as the initial model: it must
 * have been trained on vectors of the same model as C.  Then its own. */
static void
verify_node(struct verify *v, const json_t *c, const char *name,
    const char *cd, int depth)
{
	const char *d, *k, *r, *want = input_model(c), *got;
	struct mfile *f;

	for (size_t i = 0; i < nparents(c); i++) {
		if (parent_at(c, i, &d, &k, &r) == -1 ||
		    (f = mfiles_find(v->fs, d)) == NULL ||
		    seen_edge(v, cd, d))
			continue;
		got = input_model(f->meta);
		if ((strcmp(r, "stacked") == 0 || strcmp(r, "init") == 0) &&
		    want != NULL && got != NULL) {
			if (strcmp(want, got) == 0)
				check(v, 1, "%s, %s in %s, was trained on "
				    "vectors of the same model (%.*s)",
				    name_of(f->path), r, name, SHORT, got);
			else
				check(v, 0, "%s, %s in %s, was trained on "
				    "vectors of model %.*s, but %s on vectors "
				    "of model %.*s", name_of(f->path), r, name,
				    SHORT, got, name, SHORT, want);
		}
		if (depth < MAX_DEPTH)
			verify_node(v, f->meta, name_of(f->path), d,
			    depth + 1);
	}
}

/* How stage I of pipeline P differs from PAR, the file whose digest it
 * records: a tensor not copied byte for byte, one more or less, or
 * another description (NULL when none: freezing copies them whole).
 * Written to WHY (N bytes). */
static const char *
stage_differs(const struct tl_model *p, size_t i, const json_t *desc,
    const struct tl_model *par, char *why, size_t n)
{
	char prefix[32], name[1100];
	size_t own = 0, plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "stage%zu.", i);
	for (size_t k = 0; k < tl_model_ntensors(p); k++)
		own += strncmp(tl_model_tensor_at(p, k)->name, prefix, plen) ==
		    0;
	if (own != tl_model_ntensors(par))
		return snprintf(why, n, "%zu tensors, the file %zu", own,
		    tl_model_ntensors(par)), why;
	for (size_t k = 0; k < tl_model_ntensors(par); k++) {
		const struct tl_tensor *a = tl_model_tensor_at(par, k), *b;

		snprintf(name, sizeof(name), "%s%s", prefix, a->name);
		b = tl_model_tensor(p, name);
		if (b == NULL || b->dtype != a->dtype || b->ndim != a->ndim ||
		    b->nbytes != a->nbytes || memcmp(b->shape, a->shape,
		    sizeof(a->shape[0]) * (size_t)a->ndim) != 0 ||
		    memcmp(b->data, a->data, a->nbytes) != 0)
			return snprintf(why, n, "tensor '%.200s' differs",
			    a->name), why;
	}
	if (!json_equal((json_t *)desc, tl_model_meta(par)))
		return snprintf(why, n, "the description differs"), why;
	return NULL;
}

/* A frozen pipeline names its stages by digest but holds copies of
 * them: each stage whose file is among PARENTS (digests PD) must hold
 * exactly that file's tensors and description, or the pipeline applies
 * something else than the lineage says. */
static void
verify_stages(struct verify *v, const char *model, const json_t *meta,
    char *const *parents, char (*pd)[65], int np)
{
	const json_t *stages = json_object_get(meta, "stages");
	struct tl_model *p = NULL, *par;
	struct tl_err e;
	char why[256];
	const char *d, *bad;

	if (!json_is_array(stages) || json_array_size(stages) == 0 ||
	    model == NULL || strcmp(model, "-") == 0)
		return;		/* standard input cannot be read again */
	for (size_t i = 0; i < json_array_size(stages); i++) {
		const json_t *st = json_array_get(stages, i);

		d = json_string_value(json_object_get(st, "sha256"));
		for (int j = 0; d != NULL && j < np; j++) {
			if (strcmp(pd[j], d) != 0 || strcmp(parents[j], "-") == 0)
				continue;
			if ((p == NULL && (p = tl_model_load(model, &e)) ==
			    NULL) || (par = tl_model_load(parents[j], &e)) ==
			    NULL)
				tl_die_err(name_of(p == NULL ? model :
				    parents[j]), &e);
			bad = stage_differs(p, i, json_object_get(st,
			    "description"), par, why, sizeof(why));
			check(v, bad == NULL, "%s: stage %zu %s %s, as its "
			    "digest says%s%s", name_of(model), i, bad ?
			    "does not hold" : "holds", name_of(parents[j]),
			    bad ? ": " : "", bad ? bad : "");
			tl_model_free(par);
			break;
		}
	}
	tl_model_free(p);
}

int
lineage_verify(const char *model, char *const *parents, int np)
{
	struct mfiles fs = { NULL, 0, 0 };
	struct verify v = { &fs, 0, 0, NULL, 0 };
	struct mfile root;
	const char *name, *owner, *role;
	char (*pd)[65];
	int status = TL_EXIT_OK;

	if ((pd = calloc((size_t)np, sizeof(*pd))) == NULL)
		tl_die("out of memory");
	exact_digests = 1;
	if (load_all(&root, &fs, model, parents, np, pd, &status) == -1) {
		free(pd);
		return TL_EXIT_FAIL;
	}
	name = name_of(root.path);
	for (int i = 0; i < np; i++) {
		if (pd[i][0] == '\0')
			continue;	/* warned about */
		if (find_parent(&fs, root.meta, name, pd[i], 0, &owner,
		    &role))
			check(&v, 1, "%s (%.*s) is a parent of %s, role %s",
			    name_of(parents[i]), SHORT, pd[i], owner, role);
		else
			check(&v, 0, "%s (%.*s) is not in the lineage of %s",
			    name_of(parents[i]), SHORT, pd[i], name);
	}
	verify_stages(&v, model, root.meta, parents, pd, np);
	free(pd);
	verify_node(&v, root.meta, name, root.digest, 0);
	if (v.failed > 0) {
		tl_warn("%s: %d of %d lineage checks failed", name, v.failed,
		    v.checks);
		status = TL_EXIT_FAIL;
	}
	for (size_t i = 0; i < v.nedges; i++)
		free(v.edges[i]);
	free(v.edges);
	mfile_free(&root);
	mfiles_free(&fs);
	return status;
}
