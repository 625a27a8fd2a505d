/* The OCI state a runtime hands a hook on stdin, and what the hook needs from the bundle's
 * config.json (annotations, whether a seccomp policy is set, the namespaces). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "io.h"

struct oci_kv {
	char *key; /* owned */
	char *value; /* owned */
};

struct oci_state {
	char *id;
	pid_t pid;
	char *bundle;
	char *status;
	struct oci_kv *annotations; /* owned, may be empty */
	size_t n_annotations;
};

/* One entry of linux.namespaces. */
struct oci_namespace {
	char *type; /* owned: "pid", "network", ... as written (not checked here) */
	char *path; /* owned; NULL (or "" in the file): the runtime makes a new one */
};

struct oci_bundle_config {
	struct oci_kv *annotations; /* owned */
	size_t n_annotations;
	bool has_seccomp; /* linux.seccomp is set */
	struct oci_namespace *namespaces; /* owned, in the file's order; may be empty */
	size_t n_namespaces;
};

/* `name` is used in messages ("state"). id, pid and bundle are required. */
int oci_state_parse(const char *name, const char *buf, size_t len, struct oci_state **out,
		    struct oci_error **err);
void oci_state_free(struct oci_state *s);

/* config.json's text; `name` is used in messages. */
int oci_bundle_config_parse(const char *name, const char *buf, size_t len,
			    struct oci_bundle_config **out, struct oci_error **err);
int oci_bundle_config_load(const char *path, struct oci_bundle_config **out,
			   struct oci_error **err);
void oci_bundle_config_free(struct oci_bundle_config *c);

/* The value of annotation `key`, or NULL. */
const char *oci_annotation(const struct oci_kv *kv, size_t n, const char *key);


static inline void cleanup_oci_statep(struct oci_state **s)
{
	oci_state_free(*s);
}
#define cleanup_oci_state __attribute__((cleanup(cleanup_oci_statep)))

static inline void cleanup_oci_bundle_configp(struct oci_bundle_config **c)
{
	oci_bundle_config_free(*c);
}
#define cleanup_oci_bundle_config __attribute__((cleanup(cleanup_oci_bundle_configp)))
