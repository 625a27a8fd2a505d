/* Compiling a policy into a seccomp BPF program with libseccomp.
 *
 * OCI_COMPILE_KERNEL: the filter runc/crun would build from the same JSON (real actions).
 * OCI_COMPILE_TRACER: SCMP_ACT_ALLOW stays in the kernel; every other action becomes
 *   SCMP_ACT_TRACE(slot), where slots[slot] says which real action (and errno) applies.
 *   Slots are distinct (action, errno) pairs, so libseccomp sees exactly the same equalities
 *   between actions as under runc and builds the same decision tree; the matching rule is
 *   found for audit with oci_policy_match(). The program is prefixed with three in-kernel
 *   rules on reserved syscall numbers (any arch) so that the tracer can make the kernel
 *   itself apply KILL_THREAD, KILL_PROCESS and TRAP: it rewrites the syscall number at the
 *   seccomp stop and the kernel re-runs the filter. */
#pragma once

#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#define OCI_NR_RESERVED_KILL_THREAD 0x3fffff01
#define OCI_NR_RESERVED_KILL_PROCESS 0x3fffff02
#define OCI_NR_RESERVED_TRAP 0x3fffff03

enum oci_compile_mode {
	OCI_COMPILE_KERNEL,
	OCI_COMPILE_TRACER,
};

struct oci_slot {
	enum oci_action action;
	uint32_t errno_ret;
	int is_bad_arch; /* syscall of an architecture the policy does not list */
};

struct oci_filter {
	struct sock_filter *insns; /* owned */
	size_t len;
	struct oci_slot *slots; /* owned; TRACE data == index (OCI_COMPILE_TRACER only) */
	size_t n_slots;
	uint32_t flags; /* SECCOMP_FILTER_FLAG_* requested by the policy */
};

/* Unknown syscall names are skipped with a warning line on `warn` (if not NULL), as runc does:
 *   policy.json: syscalls[3].names[1]: unknown syscall "foo" for SCMP_ARCH_X86_64, skipped */
int oci_policy_compile(const struct oci_policy *p, enum oci_compile_mode mode, FILE *warn,
		       struct oci_filter **out, struct oci_error **err);
void oci_filter_free(struct oci_filter *f);

static inline void cleanup_oci_filterp(struct oci_filter **f)
{
	oci_filter_free(*f);
}
#define cleanup_oci_filter __attribute__((cleanup(cleanup_oci_filterp)))
