/* octrace-runtime's own configuration: one JSON file written by the admin, so that which
 * runtime runs, how the hook is called and which containers are traced never need a
 * rebuild. Every key is optional; a missing file means every default:
 *
 *   { "runtime": "runc",                     runc | crun | a name in PATH | an absolute path
 *     "hook": { "path": "BINDIR/octrace-hook",  default: next to octrace-runtime
 *               "args": ["octrace-hook", "--log-dir", "/var/log/octrace"],
 *               "timeout": 10 },                        seconds; default: none
 *     "trace": "all",                        all | annotated
 *     "annotation": "org.octrace.trace" }    annotated: traced iff set and not "false"/"0"
 *
 * Unknown keys are refused: a misspelt "anotation" must not silently trace everything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

#define RUNTIME_CONFIG_ENV "OCTRACE_RUNTIME_CONFIG"
#define RUNTIME_CONFIG_DEFAULT OCTRACE_RUNTIME_CONFIG /* config.h: SYSCONFDIR/octrace */
#define RUNTIME_DEFAULT_RUNTIME "runc"
#define RUNTIME_HOOK_NAME "octrace-hook"
#define RUNTIME_DEFAULT_ANNOTATION "org.octrace.trace"

struct runtime_config {
	char *runtime;	  /* owned: a bare name (looked up in PATH) or an absolute path */
	char *hook_path;  /* owned, absolute; NULL: no default could be found, none given */
	char **hook_args; /* owned, NULL-terminated; hook_args[0] is the hook's argv[0] */
	size_t n_hook_args;
	uint64_t hook_timeout; /* seconds; 0: no "timeout" in the hook entry */
	bool annotated;	       /* trace only containers that carry the annotation */
	char *annotation;      /* owned */
};

/* Parse the configuration text; `source` names it in messages, default_hook (may be NULL)
 * is the hook path when the file gives none. */
int runtime_config_parse(const char *source, const char *buf, size_t len, const char *default_hook,
			 struct runtime_config **out, struct oci_error **err);
/* Load `path`; a file that does not exist gives the defaults. */
int runtime_config_load(const char *path, const char *default_hook, struct runtime_config **out,
			struct oci_error **err);
void runtime_config_free(struct runtime_config *c);

static inline void cleanup_runtime_configp(struct runtime_config **c) { runtime_config_free(*c); }
#define cleanup_runtime_config __attribute__((cleanup(cleanup_runtime_configp)))
