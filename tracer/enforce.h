/* Applying the policy's real action at a seccomp stop, so that the tracee cannot tell it
 * from the kernel applying the same filter itself, and the guards that keep every task
 * traced and no other supervisor above octrace. */
#pragma once

#include <linux/seccomp.h>
#include <sys/ptrace.h>

#include "session.h"

#define DECISION_RULE_GUARD (-4)

/* What octrace answers one syscall at a seccomp stop. */
struct decision {
	enum oci_action action; /* the answer (a guard's, or the policy's) */
	uint32_t errno_ret;
	int rule; /* syscalls[] index, -1 default, -2 bad arch, DECISION_RULE_GUARD */
	const struct oci_slot *slot; /* the slot naming that answer (summary key); may be NULL */
	enum oci_guard guard; /* OCI_GUARD_NONE: the policy decided */
};

/* The decision for an armed task's seccomp stop, from the syscall alone. */
void enforce_decide(const struct session *s, const struct tracee *t,
		    const struct __ptrace_syscall_info *info, struct decision *d);
/* A seccomp notification of task `tid` (`t`: it, or NULL when it is not in the table): the
 * decision and the answer to send (tracer/notify.h). */
void enforce_notified(struct session *s, struct tracee *t, pid_t tid,
		      const struct __ptrace_syscall_info *info, struct decision *d,
		      struct seccomp_notif_resp *resp);
/* The task is in a PTRACE_EVENT_SECCOMP stop: decide, act, record. */
struct restart enforce_seccomp_stop(struct session *s, struct tracee *t);
/* The task is in a SIGSYS signal-delivery-stop. A SCMP_ACT_TRAP we made the kernel raise on
 * a reserved number: give the signal and registers the real syscall number. One the kernel
 * raised by itself for the policy (OCI_COMPILE_ENFORCE): record it. */
void enforce_fix_trap(struct session *s, struct tracee *t);
/* The task is in a signal-delivery-stop: a denied call that the signal took out of its
 * seccomp notification's wait before octrace read it returns the policy's errno (§29). */
void enforce_fix_withdrawn(struct session *s, struct tracee *t);
/* PTRACE_EVENT_EXIT: a death by SIGSYS in a syscall the policy kills is recorded (the kernel
 * applied the KILL itself, OCI_COMPILE_ENFORCE). */
void enforce_exit_stop(struct session *s, struct tracee *t);
