/* octrace-hook's configuration: the admin's arguments, then the container's annotations
 * (set by whoever creates the container: pod authors), then defaults. An annotation can
 * pick a policy by *name* from the admin's directory, and, only when the admin allows it, name
 * the log files inside the admin's log directory or ask for complain mode. It can never name
 * a path. */
#pragma once

#include <stdbool.h>

#include "audit.h"
#include "compile.h"
#include "config.h"
#include "error.h"
#include "hook_logs.h"
#include "hook_pid.h"
#include "policy.h"
#include "session.h"
#include "state.h"

#define HOOK_ANNOTATION_POLICY "org.octrace.policy"
#define HOOK_ANNOTATION_MODE "org.octrace.mode"
#define HOOK_ANNOTATION_LOG "org.octrace.log"
#define HOOK_ANNOTATION_AUDIT_LEVEL "org.octrace.audit-level"
#define HOOK_DEFAULT_LOG_DIR OCTRACE_LOG_DIR
#define HOOK_DEFAULT_CACHE_DIR "/run/octrace/cache"
#define HOOK_DEFAULT_TIMEOUT_MS 10000
#define HOOK_DEFAULT_UID 65534 /* nobody */
#define HOOK_NAME_MAX 128

struct hook_args {
	const char *policy; /* admin: this policy file, whatever the bundle says */
	const char *policy_dir; /* admin: where annotation-named policies live */
	const char *log_dir;
	const char *cache_dir; /* compiled filters (oci/cache.h); NULL or "": none */
	const char *metrics_dir; /* DIR/ID.prom (hook_metrics.h); NULL: none */
	bool complain; /* admin: complain mode for every container */
	bool allow_complain; /* admin: the mode annotation may ask for complain */
	bool allow_log_name; /* admin: the log annotation may name the logs */
	bool audit_sandbox; /* admin: audit pods' sandbox (pause) containers at --audit-level */
	bool debug;
	unsigned timeout_ms;
	bool reattach; /* octrace attach --container: the container runs, its filter is in */
	uid_t uid; /* admin: the tracer's ids after its set-up (--user) */
	gid_t gid;
	enum audit_level audit_level; /* admin: the per-container audit log's level */
	enum audit_level max_audit_level; /* admin: the most an annotation may ask for */
	uint64_t audit_max_size; /* admin: rotate ID.jsonl at this size; 0: never */
	unsigned audit_rate; /* admin: audit events a second per container; 0: no limit */
};

/* What the hook decided for one container. */
#define HOOK_POD_LABELS 5
#define HOOK_POD_VALUE_MAX 256

struct hook_plan {
	enum session_mode mode;
	struct oci_policy *policy; /* owned; NULL: trace only */
	struct oci_filter *filter; /* owned; OCI_COMPILE_TRACER: injected at prestart */
	struct oci_filter *arm_filter; /* owned; OCI_COMPILE_ENFORCE, injected at the init's exec
					* (enforce mode only, else NULL) */
	char *shown_id; /* owned: the id for the log's own lines, escaped (oci_escape_controls) */
	char log_stem[HOOK_LOG_STEM_MAX]; /* log_dir/STEM.log and STEM.jsonl (hook_logs.h) */
	enum audit_level audit_level;
	struct hook_pid_expect pid_expect; /* what proves the state's pid is the init */
	struct audit_label pod[HOOK_POD_LABELS]; /* the Kubernetes pod, from the engine's
						  * annotations: on every audit line; values owned */
	size_t n_pod;
	bool sandbox; /* a pod's sandbox (pause) container */
	bool new_pid_ns; /* linux.namespaces asks for a new pid namespace */
	char runtime_root[4096]; /* the runtime's --root ("": its default): the record's key */
};

int hook_parse_args(int argc, char **argv, struct hook_args *a);
/* Decide policy, mode and log name for `state`, and what its pid must be (hook_pid.h); reads
 * BUNDLE/config.json. */
int hook_plan(const struct hook_args *a, const struct oci_state *state, struct hook_plan *plan,
	      struct oci_error **err);
/* The same with the bundle's config.json already parsed (config_path: where the bundle's
 * own linux.seccomp is loaded from when it is the policy). */
int hook_plan_config(const struct hook_args *a, const struct oci_state *st,
		     const struct oci_bundle_config *cfg, const char *config_path,
		     struct hook_plan *plan, struct oci_error **err);
void hook_plan_free(struct hook_plan *plan);

/* A name chosen by a container creator is a name: [A-Za-z0-9][A-Za-z0-9._-]*, at most
 * HOOK_NAME_MAX bytes. */
bool hook_name_is_safe(const char *name);
