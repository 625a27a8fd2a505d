/* The OCI `linux.seccomp` policy model and its parser.
 *
 * Parsing goes through yajl (oci/json.c); nothing outside oci/ includes <yajl/...>.
 * A policy file is either a bare `linux.seccomp` object or a whole config.json, whose
 * `linux.seccomp` is taken (error messages then use the path `linux.seccomp.xxx`). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Filter flags newer than some headers (linux/seccomp.h). */
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

enum oci_action {
	OCI_ACT_KILL_THREAD, /* SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD */
	OCI_ACT_KILL_PROCESS,
	OCI_ACT_TRAP,
	OCI_ACT_ERRNO,
	OCI_ACT_TRACE,
	OCI_ACT_ALLOW,
	OCI_ACT_LOG,
	OCI_ACT_NOTIFY,
};

enum oci_op {
	OCI_OP_NE,
	OCI_OP_LT,
	OCI_OP_LE,
	OCI_OP_EQ,
	OCI_OP_GE,
	OCI_OP_GT,
	OCI_OP_MASKED_EQ, /* (arg & value) == value_two */
};

struct oci_arg {
	unsigned index; /* 0..5 */
	uint64_t value;
	uint64_t value_two;
	enum oci_op op;
};

struct oci_rule {
	char **names; /* owned, n_names >= 1 */
	size_t n_names;
	enum oci_action action;
	bool has_errno_ret;
	uint32_t errno_ret; /* effective value: runc's default (EPERM) when absent; 0 for
			     * actions other than ERRNO and TRACE, which carry no data */
	struct oci_arg *args; /* owned */
	size_t n_args;
};

struct oci_policy {
	char *source; /* file name as given, for messages */
	char *json_prefix; /* "" for a bare policy, "linux.seccomp." inside a config.json */
	enum oci_action default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret; /* effective value for ERRNO/TRACE (EPERM when absent), else 0 */
	uint32_t *archs; /* AUDIT_ARCH_* / SCMP_ARCH_* values, as libseccomp's token */
	size_t n_archs;
	uint32_t filter_flags; /* SECCOMP_FILTER_FLAG_* bits from "flags" */
	char *listener_path; /* may be NULL */
	char *listener_metadata; /* may be NULL */
	struct oci_rule *rules; /* owned; index == position in syscalls[] */
	size_t n_rules;
	struct oci_match_memo *memo; /* owned: oci_policy_match()'s cache, filled on use */
};

struct oci_match_memo;
void oci_match_memo_free(struct oci_match_memo *m);

/* Parse `buf` (len bytes); `name` is used in messages. Exit status for errors: 2. */
int oci_policy_parse(const char *name, const char *buf, size_t len, struct oci_policy **out,
		     struct oci_error **err);
/* Read and parse a file; a missing/unreadable file is an error naming it. */
int oci_policy_load(const char *path, struct oci_policy **out, struct oci_error **err);
void oci_policy_free(struct oci_policy *p);

const char *oci_action_name(enum oci_action a); /* "SCMP_ACT_ERRNO", ... */
const char *oci_op_name(enum oci_op op);

/* Userspace evaluation with exactly the semantics of the compiled filter (runc's rules):
 * which action applies to syscall `nr` of `audit_arch` with `args`. Returns the index of
 * the rule (syscalls[] position) that decided it, or -1 when the default action applies,
 * or -2 (action KILL_THREAD) when the policy does not cover `audit_arch` (libseccomp's
 * bad-arch action, as runc leaves it). See match.c for libseccomp's precedence rules. */
int oci_policy_match(const struct oci_policy *p, uint32_t audit_arch, int nr,
		     const uint64_t args[6], enum oci_action *action, uint32_t *errno_ret);

/* True when two conditions of the rule test the same argument: runc and crun then make every
 * condition of the rule a rule of its own (ORed) instead of ANDing them. */
bool oci_rule_repeats_index(const struct oci_rule *r);
/* True when runc skips the rule because its action (and errno) is the default one. */
bool oci_rule_is_default(const struct oci_policy *p, const struct oci_rule *r);
/* True for the native architecture and for every listed one (libseccomp token). */
bool oci_policy_has_arch(const struct oci_policy *p, uint32_t token);

static inline void cleanup_oci_policyp(struct oci_policy **p)
{
	oci_policy_free(*p);
}
#define cleanup_oci_policy __attribute__((cleanup(cleanup_oci_policyp)))
