/* Enforcement at the seccomp stop.
 *
 * The decision is taken from the syscall itself — arch, number, arguments — through the
 * policy's userspace matcher and the guards (oci/guard.h). The stop's SECCOMP_RET_DATA is only
 * a hint: a tracee's own filter answering TRACE ties with ours and its data wins
 * (docs/kernel-behaviours.md §10, §15). So:
 * - the policy denies it: its action, whatever the data said;
 * - a guard takes it (clone's CLONE_UNTRACED, clone3, ptrace attach requests, a new seccomp
 *   listener): the guard's answer;
 * - the policy allows it: the stop is the tracee's own SECCOMP_RET_TRACE, answered ENOSYS as
 *   the kernel answers a TRACE with no tracer (what the workload gets under runc);
 * - LOG and TRACE in the policy: allowed (octrace is the tracer).
 *
 * How each action is applied: ERRNO and NOTIFY skip the syscall (orig_rax = -1) and return
 * -errno, as the kernel does (NOTIFY without a listener is ENOSYS); where every filter of the
 * process is octrace's, ERRNO is one write instead: the syscall number changed to a reserved
 * one that the filters answer with that errno (tracer/divert.h, §28). In enforce mode the
 * filter stacked at the arming exec answers KILL_THREAD, KILL_PROCESS and TRAP in the kernel
 * (they never stop; enforce_fix_trap() and enforce_exit_stop() record them). When one of them
 * is decided at a stop all the same (a guard's syscall, or a task whose enforce-mode filter
 * could not be installed), the syscall number is changed to a reserved one that the filter
 * maps to that action in the kernel; the kernel re-runs the filters after a tracer changed the
 * syscall (>= 4.8) and so kills, dumps core or raises SIGSYS exactly as it would have. TRAP's
 * siginfo then carries the reserved number: fixed up at the SIGSYS delivery stop. */
#include "enforce.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "compile.h"
#include "divert.h"
#include "learn.h"
#include "log.h"
#include "notify.h"
#include "observe.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif
#ifndef ERESTARTSYS
#define ERESTARTSYS 512 /* include/linux/errno.h: never seen by a task, only by its tracer */
#endif
#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
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

/* Skip the syscall (orig_rax = -1) and make it return -errnum. At a seccomp stop rax already
 * holds -ENOSYS (the x86 entry code sets it before any syscall work), so an ENOSYS answer
 * needs one request, not two (docs/kernel-behaviours.md §14). Any other errno is one request
 * too where the process's filters are all octrace's: the call is diverted to the reserved
 * number that they answer with SECCOMP_RET_ERRNO | errnum when the kernel re-runs them
 * (docs/kernel-behaviours.md §28). */
static void skip_with_errno(struct tracee *t, unsigned errnum)
{
	if (errnum != ENOSYS && divert_exact(t, errnum)) {
		if (poke_reg(t, REG_OFFSET(orig_rax), OCI_NR_RESERVED_ERRNO_BASE + (long)errnum) == 0)
			t->flags |= TRACEE_F_DIVERTED;
		return;
	}
	if (poke_reg(t, REG_OFFSET(orig_rax), -1) == 0 && errnum != ENOSYS)
		poke_reg(t, REG_OFFSET(rax), -(long)errnum);
}

static void divert_to(struct tracee *t, long reserved_nr)
{
	poke_reg(t, REG_OFFSET(orig_rax), reserved_nr);
}

static void apply(struct tracee *t, enum oci_action action, uint32_t errno_ret, int nr)
{
	switch (action) {
	case OCI_ACT_ERRNO:
		skip_with_errno(t, errno_ret);
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

static bool allows(enum oci_action a)
{
	return a == OCI_ACT_ALLOW || a == OCI_ACT_LOG || a == OCI_ACT_TRACE;
}

/* The rule that made the decision, for the audit log: the matcher names it; when it does not
 * agree with the filter (libseccomp's known miscompilations, see oci/match.c) the filter's
 * answer stands and the rule is reported as the default. */
static int rule_of(const struct session *s, uint32_t arch, int nr, const uint64_t args[6],
		   const struct decision *d)
{
	enum oci_action action;
	uint32_t errno_ret;
	int rule;

	if (s->audit == NULL)
		return -1;
	rule = oci_policy_match(s->policy, arch, nr, args, &action, &errno_ret);
	return action == d->action && errno_ret == d->errno_ret ? rule : -1;
}

/* The policy's verdict on the syscall as it stands: its compiled program, run in userspace on
 * the syscall's arch, number, arguments and address — exactly the kernel's answer. */
static void policy_verdict(const struct session *s, const struct __ptrace_syscall_info *info,
			   const uint64_t args[6], struct decision *d)
{
	int nr = (int)info->seccomp.nr;
	uint32_t ret = oci_filter_policy_verdict(s->filter, info->arch, nr, args,
						 info->instruction_pointer);
	const struct oci_slot *slot = oci_filter_slot(s->filter, ret & SECCOMP_RET_DATA);

	d->guard = OCI_GUARD_NONE;
	if ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE && slot) {
		d->slot = slot;
		d->action = slot->action;
		d->errno_ret = slot->errno_ret;
		d->rule = slot->is_bad_arch ? -2 : rule_of(s, info->arch, nr, args, d);
		return;
	}
	/* ALLOW (nothing else comes out of a tracer-mode program; an invalid program allows
	 * nothing: it is treated as the strictest answer there is) */
	d->slot = NULL;
	d->action = (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW ? OCI_ACT_ALLOW
									 : OCI_ACT_KILL_PROCESS;
	d->errno_ret = 0;
	d->rule = -1;
}

/* Which guard applies. Every guard applies before the task's program is armed too: a
 * listener made then survives the exec (docs/kernel-behaviours.md §16) — except when the
 * policy itself names a listenerPath, for which the runtime makes one before the exec. */
static enum oci_guard guard_for(const struct session *s, const struct tracee *t,
				const struct __ptrace_syscall_info *info)
{
	enum oci_guard g = oci_guard_of(info->arch, (int)info->seccomp.nr, info->seccomp.args);

	if (g == OCI_GUARD_LISTENER && !t->armed && s->policy->listener_path)
		return OCI_GUARD_NONE;
	return g;
}

/* The data of the filter octrace-runtime has the runtime install (the policy's exec barrier
 * or tracer form): a stop from it is octrace's own, never a tracee's TRACE to be answered
 * ENOSYS. (A tracee can forge this data too: it then gets a syscall the policy allows,
 * nothing more.) */
static bool runtime_copy(uint32_t data)
{
	return oci_trace_data_is_runtime(data);
}

/* The data of a filter of octrace's that a policy reload replaced (tracer/reload.h): it still
 * stops what the old policy acted on, and the new one may allow it now (§27). */
static bool older_own_data(const struct session *s, uint32_t data)
{
	return data >= OCI_TRACE_DATA_BASE && data < s->own_data_end;
}

static void set_guard(struct decision *d, enum oci_guard g)
{
	d->guard = g;
	d->slot = oci_guard_slot(g);
	d->action = d->slot->action;
	d->errno_ret = d->slot->errno_ret;
	d->rule = DECISION_RULE_GUARD;
}

void enforce_decide(const struct session *s, const struct tracee *t,
		    const struct __ptrace_syscall_info *info, struct decision *d)
{
	enum oci_guard g;

	policy_verdict(s, info, info->seccomp.args, d);
	if (!allows(d->action))
		return;
	g = guard_for(s, t, info);
	if (g != OCI_GUARD_NONE)
		set_guard(d, g);
	else if (d->action == OCI_ACT_ALLOW && !runtime_copy(info->seccomp.ret_data) &&
		 !learn_stop_data(s, info->seccomp.ret_data) &&
		 !older_own_data(s, info->seccomp.ret_data))
		set_guard(d, OCI_GUARD_OWN_TRACE);
}

/* A notification (tracer/notify.h, §29): what the filter's ERRNO slot notified, answered
 * from the policy in force. Once a reload loosened the policy, the old filter still notifies
 * what the new one allows: the syscall continues then, unless a guard watches it — a guard
 * needs the task stopped, which it is not: its syscall is denied (stricter). What the policy
 * kills or traps now is answered by the newer filter in the kernel, which outranks this one;
 * should it get here all the same, the process is killed. */
void enforce_notified(struct session *s, struct tracee *t, pid_t tid,
		      const struct __ptrace_syscall_info *info, struct decision *d,
		      struct seccomp_notif_resp *resp)
{
	enum oci_guard g;

	policy_verdict(s, info, info->seccomp.args, d);
	resp->val = 0;
	resp->flags = 0;
	if (d->action == OCI_ACT_ERRNO) {
		resp->error = -(int32_t)d->errno_ret;
		return;
	}
	if (!allows(d->action)) {
		resp->error = -ENOSYS;
		if (d->action != OCI_ACT_NOTIFY)
			kill(t ? tracee_tgid(t) : tid, SIGKILL);
		return;
	}
	g = t ? guard_for(s, t, info) : OCI_GUARD_NONE;
	if (g != OCI_GUARD_NONE) {
		set_guard(d, g);
		d->action = OCI_ACT_ERRNO;
		d->errno_ret = d->errno_ret ? d->errno_ret : EPERM;
		resp->error = -(int32_t)d->errno_ret;
		return;
	}
	resp->error = 0;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
}

/* clone(CLONE_UNTRACED): clear the flag in its register and let the kernel re-run the
 * filters. A re-run that ends in TRACE is allowed without a second stop, so the policy is
 * asked about the new flags here, and its denial applied if it has one. */
static void strip_untraced(const struct session *s, struct tracee *t,
			   const struct __ptrace_syscall_info *info, struct decision *d)
{
	uint64_t args[6];
	size_t reg = info->arch == AUDIT_ARCH_I386 ? REG_OFFSET(rbx) : REG_OFFSET(rdi);

	memcpy(args, info->seccomp.args, sizeof(args));
	args[0] &= ~(uint64_t)CLONE_UNTRACED;
	if (poke_reg(t, reg, (long)args[0]) < 0)
		return;
	policy_verdict(s, info, args, d);
	if (allows(d->action))
		set_guard(d, OCI_GUARD_UNTRACED);
	else if (s->mode == MODE_ENFORCE)
		apply(t, d->action, d->errno_ret, (int)info->seccomp.nr);
}

static void carry_out(const struct session *s, struct tracee *t,
		      const struct __ptrace_syscall_info *info, struct decision *d)
{
	if (d->guard == OCI_GUARD_UNTRACED)
		strip_untraced(s, t, info, d);
	else if (d->guard == OCI_GUARD_FILTER)
		; /* allowed: divert_install_stop() takes note */
	else if (d->guard != OCI_GUARD_NONE)
		skip_with_errno(t, d->errno_ret);
	else if (s->mode == MODE_ENFORCE)
		apply(t, d->action, d->errno_ret, (int)info->seccomp.nr);
}

/* Before its program's exec a task is the runtime's, setting it up: only the guards apply,
 * not the policy. d->guard stays OCI_GUARD_NONE when there is nothing to do. */
static void setup_decide(const struct session *s, const struct tracee *t,
			 const struct __ptrace_syscall_info *info, struct decision *d)
{
	enum oci_guard g = guard_for(s, t, info);

	d->guard = OCI_GUARD_NONE;
	if (g == OCI_GUARD_NONE)
		return;
	policy_verdict(s, info, info->seccomp.args, d);
	set_guard(d, g);
}

struct restart enforce_seccomp_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;
	struct decision d;
	enum oci_guard raw;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) < 0) {
		tracee_request_failed(t, "PTRACE_GET_SYSCALL_INFO");
		return RESUME(0);
	}
	if (info.op != PTRACE_SYSCALL_INFO_SECCOMP)
		return RESUME(0);
	if (s->policy == NULL)
		return learn_seccomp_stop(s, t, &info);
	if (t->armed)
		enforce_decide(s, t, &info, &d);
	else
		setup_decide(s, t, &info, &d);
	if (t->armed || d.guard != OCI_GUARD_NONE) {
		carry_out(s, t, &info, &d);
		observe_seccomp(s, t, &info, &d);
	}
	/* a filter install, whether octrace lets it happen or not */
	raw = oci_guard_of(info.arch, (int)info.seccomp.nr, info.seccomp.args);
	if (raw == OCI_GUARD_FILTER || raw == OCI_GUARD_LISTENER)
		return divert_install_stop(s, t, &info);
	return RESUME(0);
}

/* The syscall a task is in, from its registers (for the actions the kernel applied alone). */
static int syscall_from_regs(struct tracee *t, uint32_t arch, long nr,
			     struct __ptrace_syscall_info *info)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0) {
		tracee_request_failed(t, "PTRACE_GETREGS");
		return -1;
	}
	memset(info, 0, sizeof(*info));
	info->op = PTRACE_SYSCALL_INFO_SECCOMP;
	info->arch = arch;
	info->seccomp.nr = nr;
	if (arch == AUDIT_ARCH_I386) {
		const uint32_t a[6] = { r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp };

		for (int i = 0; i < 6; i++)
			info->seccomp.args[i] = a[i];
	} else {
		const uint64_t a[6] = { r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9 };

		memcpy(info->seccomp.args, a, sizeof(a));
	}
	return 0;
}

/* The kernel applied an action of the policy by itself (OCI_COMPILE_ENFORCE): record it as
 * if it had stopped, when the policy's verdict on that syscall is indeed such an action. */
static void record_kernel_action(struct session *s, struct tracee *t, uint32_t arch, long nr,
				 bool (*is_it)(enum oci_action))
{
	struct __ptrace_syscall_info info;
	struct decision d;

	if (s->mode != MODE_ENFORCE || !t->armed || nr < 0 || oci_nr_is_reserved(nr) ||
	    syscall_from_regs(t, arch, nr, &info) < 0)
		return;
	policy_verdict(s, &info, info.seccomp.args, &d);
	if (is_it(d.action))
		observe_seccomp(s, t, &info, &d);
}

static bool is_trap(enum oci_action a)
{
	return a == OCI_ACT_TRAP;
}

static bool is_kill(enum oci_action a)
{
	return a == OCI_ACT_KILL_THREAD || a == OCI_ACT_KILL_PROCESS;
}

void enforce_exit_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;
	unsigned long status = 0;
	long nr;

	if (s->policy == NULL || !t->armed)
		return;
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &status) < 0 || !WIFSIGNALED((int)status) ||
	    WTERMSIG((int)status) != SIGSYS)
		return;
	nr = ptrace(PTRACE_PEEKUSER, t->tid, REG_OFFSET(orig_rax), 0);
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) < 0)
		return;
	record_kernel_action(s, t, info.arch, nr, is_kill);
}

/* A denial by notification (§29) that a signal took the task out of before octrace read
 * it: the kernel left the call with -ERESTARTSYS, which a handler without SA_RESTART turns
 * into EINTR — where the kernel's own ERRNO never waits, and the call returns the errno
 * before the handler runs. At the signal's delivery stop the call returns the policy's errno
 * instead, and is recorded here: octrace never read its notification (once read, the task
 * waits for the answer whatever comes, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV). A call
 * that is not restarted is then never notified twice. */
void enforce_fix_withdrawn(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;
	struct decision d;
	long nr, ret;

	if (s->mode != MODE_ENFORCE || !t->armed)
		return;
	errno = 0;
	ret = ptrace(PTRACE_PEEKUSER, t->tid, REG_OFFSET(rax), 0);
	if (errno != 0 || ret != -ERESTARTSYS)
		return;
	nr = ptrace(PTRACE_PEEKUSER, t->tid, REG_OFFSET(orig_rax), 0);
	if (nr < 0 || oci_nr_is_reserved(nr) ||
	    ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) < 0 ||
	    syscall_from_regs(t, info.arch, nr, &info) < 0 ||
	    !notify_covers(s, info.arch, (int)nr, info.seccomp.args))
		return;
	/* the notifying filter is the one armed; the policy in force may be newer */
	policy_verdict(s, &info, info.seccomp.args, &d);
	if (d.action != OCI_ACT_ERRNO)
		return; /* allowed since: restarted, it is answered CONTINUE */
	if (poke_reg(t, REG_OFFSET(rax), -(long)d.errno_ret) == 0)
		observe_seccomp(s, t, &info, &d);
}

void enforce_fix_trap(struct session *s, struct tracee *t)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0) {
		tracee_request_failed(t, "PTRACE_GETSIGINFO");
		return;
	}
	if (si.si_code != SYS_SECCOMP)
		return;
	if (si.si_syscall != OCI_NR_RESERVED_TRAP || !(t->flags & TRACEE_F_TRAP_PENDING)) {
		/* the kernel trapped by itself: the policy's TRAP, or the tracee's own. A SIGSYS
		 * a task queued to itself can say anything: only one whose syscall is the one
		 * the task is in (the kernel rolls its registers back to it) is recorded */
		long nr = ptrace(PTRACE_PEEKUSER, t->tid, REG_OFFSET(orig_rax), 0);

		if (nr == si.si_syscall)
			record_kernel_action(s, t, si.si_arch, si.si_syscall, is_trap);
		return;
	}
	t->flags &= ~TRACEE_F_TRAP_PENDING;
	si.si_syscall = t->trap_nr;
	if (ptrace(PTRACE_SETSIGINFO, t->tid, 0, &si) < 0) {
		tracee_request_failed(t, "PTRACE_SETSIGINFO");
		return;
	}
	/* The kernel rolls the registers back to the syscall number (rax = orig_rax). */
	if (poke_reg(t, REG_OFFSET(orig_rax), t->trap_nr) == 0)
		poke_reg(t, REG_OFFSET(rax), t->trap_nr);
}
