/* Enforcement at the seccomp stop.
 *
 * ERRNO and NOTIFY: the syscall is skipped (orig_rax = -1) and returns -errno, as the kernel
 * does (NOTIFY without a listener is ENOSYS). KILL_THREAD, KILL_PROCESS and TRAP: the syscall
 * number is changed to a reserved one that the injected filter maps to that action in the
 * kernel; the kernel re-runs the filter after a tracer changed the syscall (>= 4.8) and so
 * kills, dumps core or raises SIGSYS exactly as it would have. TRAP's siginfo then carries the
 * reserved number: fixed up at the SIGSYS delivery stop. LOG and TRACE: allowed. */
#include "enforce.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "compile.h"
#include "log.h"
#include "observe.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

#define REG_OFFSET(reg) offsetof(struct user_regs_struct, reg)

static int poke_reg(struct tracee *t, size_t offset, long value)
{
	if (ptrace(PTRACE_POKEUSER, t->tid, offset, value) < 0) {
		tracee_request_failed(t, "PTRACE_POKEUSER");
		return -1;
	}
	return 0;
}

static void skip_with_errno(struct tracee *t, unsigned errnum)
{
	if (poke_reg(t, REG_OFFSET(orig_rax), -1) == 0)
		poke_reg(t, REG_OFFSET(rax), -(long)errnum);
}

static void divert_to(struct tracee *t, long reserved_nr)
{
	poke_reg(t, REG_OFFSET(orig_rax), reserved_nr);
}

static void apply(struct tracee *t, const struct oci_slot *slot, int nr)
{
	switch (slot->action) {
	case OCI_ACT_ERRNO:
		skip_with_errno(t, slot->errno_ret);
		break;
	case OCI_ACT_NOTIFY:
		skip_with_errno(t, ENOSYS);
		break;
	case OCI_ACT_KILL_THREAD:
		divert_to(t, OCI_NR_RESERVED_KILL_THREAD);
		break;
	case OCI_ACT_KILL_PROCESS:
		divert_to(t, OCI_NR_RESERVED_KILL_PROCESS);
		break;
	case OCI_ACT_TRAP:
		t->flags |= TRACEE_F_TRAP_PENDING;
		t->trap_nr = nr;
		divert_to(t, OCI_NR_RESERVED_TRAP);
		break;
	case OCI_ACT_ALLOW:
	case OCI_ACT_LOG:
	case OCI_ACT_TRACE:
		break;
	}
}

void enforce_seccomp_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;
	const struct oci_slot *slot;

	/* Until the traced program's own execve, the stops are the runtime's setup (runc init
	 * stops here for every mount and prctl the policy does not allow): let them through
	 * at the least cost, without even asking what they are. */
	if (!s->armed) {
		tracee_resume(s, t, 0);
		return;
	}
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) < 0) {
		tracee_request_failed(t, "PTRACE_GET_SYSCALL_INFO");
		return;
	}
	if (info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
		tracee_resume(s, t, 0);
		return;
	}
	/* A TRACE from a filter that is not ours (data out of range) is allowed, as
	 * SCMP_ACT_TRACE. */
	slot = oci_filter_slot(s->filter, info.seccomp.ret_data);
	observe_seccomp(s, t, &info, slot);
	if (slot && s->mode == MODE_ENFORCE)
		apply(t, slot, (int)info.seccomp.nr);
	tracee_resume(s, t, 0);
}

void enforce_fix_trap(struct session *s, struct tracee *t)
{
	siginfo_t si;

	(void)s;
	t->flags &= ~TRACEE_F_TRAP_PENDING;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0) {
		tracee_request_failed(t, "PTRACE_GETSIGINFO");
		return;
	}
	if (si.si_code != SYS_SECCOMP || si.si_syscall != OCI_NR_RESERVED_TRAP)
		return;
	si.si_syscall = t->trap_nr;
	if (ptrace(PTRACE_SETSIGINFO, t->tid, 0, &si) < 0) {
		tracee_request_failed(t, "PTRACE_SETSIGINFO");
		return;
	}
	/* The kernel rolls the registers back to the syscall number (rax = orig_rax). */
	if (poke_reg(t, REG_OFFSET(orig_rax), t->trap_nr) == 0)
		poke_reg(t, REG_OFFSET(rax), t->trap_nr);
}
