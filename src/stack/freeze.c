/*
 * tl-stack --freeze: load the embedding and the heads named on the
 * command line and write them as one pipeline model (see pipeline.h); the
 * checks that they fit together are the library's.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "pipeline.h"
#include "stack.h"

struct fstage {
	char		 name[MAX_PREFIX];
	const char	*path;
	char		 digest[65];
};

void
stack_freeze(char *const *args, int n, const struct tl_pool_opts *pool,
    const char *output)
{
	static struct fstage fs[TL_PIPELINE_MAX_STAGES];
	struct tl_pipeline_stage s[TL_PIPELINE_MAX_STAGES];
	struct tl_pool_opts recorded = { 0 };
	struct tl_outfile out;
	struct tl_err e;
	char digest[65];

	if (n < 2 || n > TL_PIPELINE_MAX_STAGES)
		tl_usage_error("--freeze: give the embedding and 1 to %d "
		    "heads, in order", TL_PIPELINE_MAX_STAGES - 1);
	if (output == NULL)
		tl_usage_error("--freeze: -o FILE is required (a model file)");
	for (int i = 0; i < n; i++) {
		fs[i].path = stack_parse_name(args[i], "", fs[i].name);
		if ((s[i].model = tl_model_load(fs[i].path, &e)) == NULL)
			tl_die_err(fs[i].path, &e);
		/* read whole, not from the digest cache: the lineage a
		 * pipeline records is what --verify checks */
		if (tl_model_digest_into(s[i].model, fs[i].digest) == NULL)
			tl_die("%s: cannot compute its SHA-256", fs[i].path);
		s[i].name = fs[i].name;
		s[i].digest = fs[i].digest;
		for (int j = 0; j < i; j++)	/* --tree shows PIPE:NAME */
			if (strcmp(fs[i].name, fs[j].name) == 0 &&
			    strcmp(fs[i].digest, fs[j].digest) != 0)
				tl_usage_error("--freeze: two stages named "
				    "'%s' (give NAME=MODEL)", fs[i].name);
	}
	if (pool == NULL) {	/* none given: the one the heads recorded */
		if (tl_pipeline_recorded_pool(s, (size_t)n, &recorded, &e) ==
		    -1)
			tl_die_err(NULL, &e);
		pool = &recorded;
	}
	if (tl_outfile_open(&out, output, 1, &e) == -1)
		tl_die_err(NULL, &e);	/* its messages name the file */
	if (tl_pipeline_freeze(s, (size_t)n, pool, "tl-stack", out.f, digest,
	    &e) == -1) {
		tl_outfile_abort(&out);
		/* a stage that does not fit is the stages' fault, a failed
		 * write the output's */
		tl_die_err(e.errnum ? output : NULL, &e);
	}
	if (tl_outfile_commit(&out, &e) == -1)
		tl_die_err(NULL, &e);
	for (int i = 0; i < n; i++)
		tl_model_free(s[i].model);
}
