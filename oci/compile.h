/* Compiling a policy into a seccomp BPF program with libseccomp.
 *
 * OCI_COMPILE_KERNEL: the filter runc/crun would build from the same JSON (real actions).
 * OCI_COMPILE_TRACER: SCMP_ACT_ALLOW stays in the kernel; every other action becomes
 *   SCMP_ACT_TRACE(slot), where slots[slot] says which real action (and errno) applies
 *   (complain mode: nothing is applied, everything is seen).
 * OCI_COMPILE_ENFORCE: the TRACER program with KILL_THREAD, KILL_PROCESS and TRAP (and the
 *   bad-arch action, KILL_THREAD) returned as real actions in the kernel, so that they keep their precedence
 *   over a tracee's own filters: an ERRNO or USER_NOTIF of the tracee's would outrank a TRACE
 *   (docs/kernel-behaviours.md §15). Their slots still exist, for the summary and the audit,
 *   which see them at the SIGSYS delivery (TRAP) or the exit stop (KILL).
 *   Slots are distinct (action, errno) pairs, so libseccomp sees exactly the same equalities
 *   between actions as under runc and builds the same decision tree; the matching rule is
 *   found for audit with oci_policy_match(). The program is prefixed with in-kernel rules on
 *   reserved syscall numbers (any arch) so that the tracer can make the kernel itself apply
 *   KILL_THREAD, KILL_PROCESS, TRAP and ERRNO(e): it rewrites the syscall number at the
 *   seccomp stop and the kernel re-runs the filter. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guard.h"
#include "policy.h"

#define OCI_NR_RESERVED_KILL_THREAD 0x3fffff01
#define OCI_NR_RESERVED_KILL_PROCESS 0x3fffff02
#define OCI_NR_RESERVED_TRAP 0x3fffff03
/* OCI_NR_RESERVED_ERRNO_BASE + e, for 0 <= e < OCI_NR_RESERVED_ERRNO_N (MAX_ERRNO + 1): the
 * prefix answers SECCOMP_RET_ERRNO | e, so that one register write at a seccomp stop denies a
 * call with errno e (docs/kernel-behaviours.md §28). */
#define OCI_NR_RESERVED_ERRNO_BASE 0x3fffe000
#define OCI_NR_RESERVED_ERRNO_N 0x1000

static inline bool oci_nr_is_reserved(long nr)
{
	return nr == OCI_NR_RESERVED_KILL_THREAD || nr == OCI_NR_RESERVED_KILL_PROCESS ||
	       nr == OCI_NR_RESERVED_TRAP ||
	       (nr >= OCI_NR_RESERVED_ERRNO_BASE &&
		nr < OCI_NR_RESERVED_ERRNO_BASE + OCI_NR_RESERVED_ERRNO_N);
}

/* TRACE data = OCI_TRACE_DATA_BASE + slot. Filters stack, and a tie between two TRACE results
 * goes to the newer filter: a container's own profile with SCMP_ACT_TRACE(errno) (small
 * numbers) must not be mistaken for one of our slots. */
#define OCI_TRACE_DATA_BASE 0x8000
/* TRACE data of the filter a runtime installs for octrace, a policy's tracer form
 * (oci_policy_to_tracer_json()) or exec barrier (oci_policy_to_barrier_json()): never one
 * of the filter's slots or guards. */
#define OCI_TRACE_DATA_RUNTIME 0x7000
#define OCI_TRACE_DATA_RUNTIME_N 0xf00
#define OCI_MAX_SLOTS (0x10000 - OCI_TRACE_DATA_BASE)
/* TRACE data of a learning filter (oci_filter_to_learn()): a syscall the policy allows, which
 * stops only so that `--profile-out` sees it. Below the runtime's, guards' and slots' data. */
#define OCI_TRACE_DATA_LEARN 0x6f00

enum oci_compile_mode {
	OCI_COMPILE_KERNEL,
	OCI_COMPILE_TRACER,
	OCI_COMPILE_ENFORCE,
};

static inline bool oci_trace_data_is_runtime(uint32_t data)
{
	return data >= OCI_TRACE_DATA_RUNTIME &&
	       data < OCI_TRACE_DATA_RUNTIME + OCI_TRACE_DATA_RUNTIME_N;
}

/* Tracer modes: ENFORCE and TRACER. */
static inline bool oci_compile_mode_traces(enum oci_compile_mode m)
{
	return m != OCI_COMPILE_KERNEL;
}

struct oci_slot {
	enum oci_action action;
	uint32_t errno_ret;
	int is_bad_arch; /* syscall of an architecture the policy does not list */
	enum oci_guard guard; /* a guard's answer (guard.h), not the policy's; OCI_GUARD_NONE */
};

struct oci_filter {
	struct sock_filter *insns; /* owned */
	size_t len;
	struct oci_slot *slots; /* owned; TRACE data == OCI_TRACE_DATA_BASE + index (TRACER mode) */
	size_t n_slots;
	uint32_t flags; /* SECCOMP_FILTER_FLAG_* requested by the policy */
};

/* `tracer` (OCI_COMPILE_TRACER) as OCI_COMPILE_ENFORCE compiles it, without compiling again. */
int oci_filter_to_enforce(const struct oci_filter *tracer, struct oci_filter **out);

/* The enforce-mode program `enforce` with every policy slot whose action is ERRNO answering
 * SECCOMP_RET_USER_NOTIF instead of its TRACE: denials by notification (tracer/notify.h,
 * docs/kernel-behaviours.md §29). Same slots; guards, reserved numbers and every other action
 * unchanged. False (and *out NULL) when no slot is an ERRNO one: nothing would notify. */
bool oci_filter_to_notify(const struct oci_filter *enforce, struct oci_filter **out);

/* A learning filter: every syscall stops once, at its seccomp stop, and learning needs no
 * second (exit) stop. From a tracer-mode or enforce-mode program `f`: the same program with
 * every SECCOMP_RET_ALLOW turned into SECCOMP_RET_TRACE | OCI_TRACE_DATA_LEARN (same slots, same
 * decisions otherwise). With f == NULL (no policy): one instruction tracing every syscall of
 * every architecture. */
struct oci_filter *oci_filter_to_learn(const struct oci_filter *f);

/* The setup filter: `tracer`'s reserved numbers and guards, then ALLOW, with its flags and no
 * slots. What an enforcing attach injects into a task that is not armed yet (a runtime still
 * setting the container up): before the program's exec octrace applies only the guards, so
 * the policy need not stop anything there; the enforce-mode filter brings it at the exec. */
int oci_filter_to_setup(const struct oci_filter *tracer, struct oci_filter **out);

/* Every filter octrace installs answers the reserved numbers (all but the no-policy learning
 * filter); ERRNO by diversion also needs the kernel not to log the answer: the policy's
 * SECCOMP_FILTER_FLAG_LOG would log it under the reserved number (§28). */
bool oci_filter_diverts_errno(const struct oci_filter *f);

/* The policy's own verdict on a syscall, computed by running the filter's policy program (not
 * its reserved and guard prefixes) in userspace: exactly what the kernel's copy of the same
 * program answers, whatever the tracee's own filters made the stop's data say. The raw
 * SECCOMP_RET_* value (tracer modes: ALLOW, or TRACE with a slot's data). */
uint32_t oci_filter_policy_verdict(const struct oci_filter *f, uint32_t audit_arch, int nr,
				   const uint64_t args[6], uint64_t ip);

/* The whole program's answer, prefixes included, as the kernel's copy gives it (any mode). */
uint32_t oci_filter_run(const struct oci_filter *f, uint32_t audit_arch, int nr,
			const uint64_t args[6], uint64_t ip);

/* The actions OCI_COMPILE_ENFORCE leaves to the kernel. */
static inline bool oci_action_in_kernel(enum oci_action a)
{
	return a == OCI_ACT_KILL_THREAD || a == OCI_ACT_KILL_PROCESS || a == OCI_ACT_TRAP;
}

/* Unknown syscall names are skipped with a warning line on `warn` (if not NULL), as runc does:
 *   policy.json: syscalls[3].names[1]: unknown syscall "foo" for SCMP_ARCH_X86_64, skipped */
int oci_policy_compile(const struct oci_policy *p, enum oci_compile_mode mode, FILE *warn,
		       struct oci_filter **out, struct oci_error **err);
void oci_filter_free(struct oci_filter *f);

/* The answer of a guard, as a slot: ERRNO with the guard's errno (ALLOW for UNTRACED). */
const struct oci_slot *oci_guard_slot(enum oci_guard g);

/* The slot a SECCOMP_RET_TRACE data value names (a policy slot or a guard's), or NULL when
 * it is not ours. */
static inline const struct oci_slot *oci_filter_slot(const struct oci_filter *f, uint32_t data)
{
	if (data > OCI_TRACE_DATA_GUARD && data < OCI_TRACE_DATA_GUARD + OCI_GUARD_COUNT)
		return oci_guard_slot((enum oci_guard)(data - OCI_TRACE_DATA_GUARD));
	if (f == NULL || data < OCI_TRACE_DATA_BASE || data - OCI_TRACE_DATA_BASE >= f->n_slots)
		return NULL;
	return &f->slots[data - OCI_TRACE_DATA_BASE];
}

/* The data value that names `slot` (one of f's or a guard's), the inverse of
 * oci_filter_slot(). */
uint32_t oci_filter_slot_data(const struct oci_filter *f, const struct oci_slot *slot);

static inline void cleanup_oci_filterp(struct oci_filter **f)
{
	oci_filter_free(*f);
}
#define cleanup_oci_filter __attribute__((cleanup(cleanup_oci_filterp)))
