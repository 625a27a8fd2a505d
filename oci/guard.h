/* Guards: what octrace's filter always sends to the tracer, whatever the policy allows,
 * because letting it run would let a task escape tracing or outrank enforcement
 * (docs/kernel-behaviours.md §10, §11, §15–§17):
 *
 *   clone with CLONE_UNTRACED      the flag is cleared (it is in a register) and the clone runs
 *   clone3                         refused with ENOSYS (its flags are in memory that another
 *                                  thread can change after the tracer has read it)
 *   ptrace TRACEME/ATTACH/SEIZE    refused with EPERM (no task octrace does not trace ever
 *                                  gets a tracer)
 *   seccomp(SET_MODE_FILTER, NEW_LISTENER)  refused with EBUSY once the task is armed: a
 *                                  listener's USER_NOTIF outranks the tracer's TRACE
 *   seccomp(SET_MODE_FILTER), prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)  allowed; noted:
 *                                  the process may now hold a filter that is not octrace's,
 *                                  and ERRNO by diversion stops for it (§28)
 *
 * The same conditions exist twice: as a BPF prefix of the tracer-mode filter and as
 * oci_guard_of() in userspace, which the tracer asks at every stop (the stop's
 * SECCOMP_RET_DATA is only a hint: a tracee's own filter can forge it). They must agree
 * exactly; test_guards() in tests/unit/test-compile.c runs the BPF against the function. */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

enum oci_guard {
	OCI_GUARD_NONE,
	OCI_GUARD_UNTRACED, /* clone(CLONE_UNTRACED) */
	OCI_GUARD_CLONE3,
	OCI_GUARD_PTRACE, /* ptrace(PTRACE_TRACEME | PTRACE_ATTACH | PTRACE_SEIZE) */
	OCI_GUARD_LISTENER, /* seccomp(SECCOMP_SET_MODE_FILTER, ...NEW_LISTENER...) */
	OCI_GUARD_OWN_TRACE, /* not a filter guard: a TRACE stop for a syscall the policy allows */
	OCI_GUARD_FILTER, /* seccomp(SECCOMP_SET_MODE_FILTER) without NEW_LISTENER, prctl(
			   * PR_SET_SECCOMP, SECCOMP_MODE_FILTER): a filter of the task's own */
	OCI_GUARD_COUNT,
};

/* SECCOMP_RET_DATA of a guard's TRACE: below every policy slot (compile.h). */
#define OCI_TRACE_DATA_GUARD 0x7f00

/* Which guard of the filter prefix the syscall hits (OCI_GUARD_NONE: none). */
enum oci_guard oci_guard_of(uint32_t audit_arch, int nr, const uint64_t args[6]);

/* "untraced", "clone3", "ptrace", "listener", "own-trace", "filter" (the audit log's
 * "guard"). */
const char *oci_guard_name(enum oci_guard g);

/* The errno a refusing guard answers (0 for UNTRACED and FILTER, which let the call run). */
int oci_guard_errno(enum oci_guard g);

/* The index of the argument that carries clone's flags for this arch (always 0 on x86). */
#define OCI_CLONE_FLAGS_ARG 0

/* The BPF prefix: *len instructions, a static program. It jumps past its end for every
 * syscall no guard takes. */
const struct sock_filter *oci_guard_prefix(size_t *len);
