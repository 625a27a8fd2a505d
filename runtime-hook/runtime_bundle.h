/* Adding octrace-hook to a bundle's config.json, the one change octrace-runtime makes. The
 * document is parsed, extended and written back whole (every member kept, in order), through
 * a temporary file renamed over the original: the runtime, or a crash, sees the old file or
 * the new one, never half of one; on any error the bundle is left as it was. A config.json
 * that is a symlink is replaced by a regular file: the link's target (perhaps a template
 * shared by several bundles) is never written. */
#pragma once

#include <sys/stat.h>

#include "error.h"
#include "json.h"
#include "runtime_config.h"

#define RUNTIME_BUNDLE_CONFIG "config.json"

/* Whether the container described by `doc` is to be traced under cfg: always in "all"
 * mode; in "annotated" mode iff its annotations hold cfg->annotation with a value other
 * than "false" or "0". 1 yes, 0 no, -1 on a malformed annotations object. */
int runtime_bundle_traced(const struct runtime_config *cfg, const struct json *doc,
			  struct oci_error **err);

/* Append cfg's hook to doc's hooks.prestart (creating hooks and prestart when missing),
 * unless a prestart or createRuntime hook with the same path is already there: the hook
 * runs once per container, and a second tracer could not attach anyway. 1 added, 0 already
 * there, -1 when hooks has the wrong shape (doc is then unchanged). */
int runtime_bundle_add_hook(struct json *doc, const struct runtime_config *cfg,
			    struct oci_error **err);

/* The whole job for `create`/`run`: bundle NULL is the current directory, config_name
 * (crun's --config; NULL: config.json) is relative to the bundle unless absolute. 1 when the
 * file was rewritten, 0 when nothing had to change, -1 with the bundle untouched. */
/* Read and parse a config.json (bounded); errors name the file. */
int runtime_bundle_read(const char *path, struct stat *st, struct json **doc,
			struct oci_error **err);
/* The hooks.prestart entry whose path is hook_path, or any octrace-hook (the configuration
 * may have moved the hook since the container started), or NULL. */
const struct json *runtime_bundle_hook(const struct json *doc, const char *hook_path);

int runtime_bundle_prepare(const struct runtime_config *cfg, const char *bundle,
			   const char *config_name, struct oci_error **err);
