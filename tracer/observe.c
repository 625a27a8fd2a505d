#include "observe.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "audit.h"
#include "cleanup.h"
#include "decode.h"
#include "log.h"
#include "metrics.h"
#include "metrics_pub.h"
#include "procfs.h"
#include "learn.h"

/* The runtime's own tasks around a process joining the container are not the container's:
 * nothing of them goes to its audit log. */
static bool runtimes(const struct tracee *t)
{
	return t && (t->flags & TRACEE_F_JOINING);
}

void observe_attach(struct session *s, pid_t pid)
{
	if (s->audit == NULL)
		return;
	struct audit_field f[] = {
		AUDIT_UINT("processes", attach_count_processes(s)),
		AUDIT_UINT("threads", s->tasks.count),
		AUDIT_STR("mode", session_mode_name(s->mode)),
		AUDIT_STR("level", audit_level_name(audit_level(s->audit))),
	};

	audit_event(s->audit, "attach", pid, pid, f, N_ELEMENTS(f));
}

#define ARGV_MAX 32
#define CMDLINE_MAX 4096

static uint64_t status_id(pid_t pid, const char *key)
{
	char value[64];

	/* the real id: the first of "real effective saved fs" */
	if (proc_status_field(pid, key, value, sizeof(value)) != 0)
		return (uint64_t)-1;
	return strtoull(value, NULL, 10);
}

/* Who the armed process is: its argv, real uid and gid, cwd, read from /proc (bounded) right
 * after its exec, before it ran an instruction. */
void observe_armed(struct session *s, struct tracee *t)
{
	char cmdline[CMDLINE_MAX], path[64], cwd[4096];
	const char *argv[ARGV_MAX];
	size_t argc = 0;
	ssize_t n;

	t->comm_at = 0;
	if (t->flags & TRACEE_F_JOINING)
		metrics_join(s->metrics);
	if (s->audit == NULL)
		return;
	proc_cmdline(t->tid, cmdline, sizeof(cmdline), argv, ARGV_MAX, &argc);
	snprintf(path, sizeof(path), "/proc/%d/cwd", t->tid);
	n = readlink(path, cwd, sizeof(cwd) - 1);
	cwd[n > 0 ? n : 0] = '\0';
	struct audit_field f[] = {
		AUDIT_STRV("argv", argv, argc),
		AUDIT_UINT("uid", status_id(t->tid, "Uid")),
		AUDIT_UINT("gid", status_id(t->tid, "Gid")),
		AUDIT_STR("cwd", n > 0 ? cwd : NULL),
		/* how the policy's errno denials reach octrace (§29); enforce mode only */
		AUDIT_STR("denials", t->flags & TRACEE_F_NOTIFIED ? "notification" : "stop"),
	};

	audit_event(s->audit, t->flags & TRACEE_F_JOINING ? "join" : "armed", tracee_tgid(t), t->tid, f,
		    N_ELEMENTS(f) - (s->mode == MODE_ENFORCE ? 0 : 1));
}

void observe_exec(struct session *s, struct tracee *t, pid_t former)
{
	char path[64], exe[4096];
	ssize_t n;

	t->comm_at = 0; /* an exec names the task after its program */
	if (s->audit == NULL)
		return;
	/* readlink only reads the link's text: nothing a container chose is followed */
	snprintf(path, sizeof(path), "/proc/%d/exe", t->tid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	struct audit_field f[] = {
		AUDIT_STR("path", n > 0 ? exe : NULL),
		AUDIT_INT("former_tid", former),
	};

	audit_event(s->audit, "exec", t->tid, t->tid, f, N_ELEMENTS(f));
}

void observe_first_stop(struct session *s, struct tracee *t)
{
	/* its pid must be known before it is reaped: /proc forgets it then */
	if (s->audit)
		tracee_tgid(t);
}

void observe_new_task(struct session *s, struct tracee *parent, enum report_kind event,
		      pid_t child)
{
	const char *name = event == REPORT_FORK ? "fork" : event == REPORT_VFORK ? "vfork" : "clone";

	if (s->audit == NULL || runtimes(parent))
		return;
	struct audit_field f[] = { AUDIT_INT("child", child) };

	audit_event(s->audit, name, tracee_tgid(parent), parent->tid, f, N_ELEMENTS(f));
}

void observe_exit_stop(struct session *s, struct tracee *t)
{
	unsigned long status = 0;
	long nr;

	if (s->audit == NULL || runtimes(t))
		return;
	nr = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, orig_rax), 0);
	if (nr != SYS_exit_group || ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &status) < 0)
		return;
	struct audit_field f[] = { AUDIT_INT("status", WEXITSTATUS((int)status)) };

	audit_event(s->audit, "exit_group", tracee_tgid(t), t->tid, f, N_ELEMENTS(f));
}

void observe_death(struct session *s, struct tracee *t, pid_t tid, int status)
{
	if (s->audit == NULL || runtimes(t))
		return;
	pid_t pid = t ? tracee_tgid(t) : tid;
	struct audit_field f[] = {
		WIFEXITED(status) ? AUDIT_INT("status", WEXITSTATUS(status))
				  : AUDIT_INT("signal", WTERMSIG(status)),
	};

	audit_event(s->audit, "exit", pid, tid, f, N_ELEMENTS(f));
	/* the process that joined is gone (its leader is reported last: §3) */
	if (t && (t->flags & TRACEE_F_JOINED) && t->tid == pid)
		audit_event(s->audit, "leave", pid, tid, f, N_ELEMENTS(f));
}

static int audit_rule(int rule)
{
	switch (rule) {
	case -1:
		return AUDIT_RULE_DEFAULT;
	case -2:
		return AUDIT_RULE_BAD_ARCH;
	case DECISION_RULE_GUARD:
		return AUDIT_RULE_GUARD;
	default:
		return rule;
	}
}

/* The decision for audit: action name, errno, the rule or guard that made it. */
static void fill_decision(struct session *s, const struct tracee *t, struct audit_syscall *ev)
{
	const struct oci_slot_value *v = &t->sc_verdict;

	if (!t->sc_decided) {
		ev->action = "SCMP_ACT_ALLOW";
		ev->rule = AUDIT_RULE_NONE;
		return;
	}
	ev->action = oci_action_name((enum oci_action)v->action);
	ev->errno_ret = v->errno_ret;
	/* guards answer in every mode; complain only spares the policy's denials */
	ev->complain = s->mode == MODE_COMPLAIN && v->guard == OCI_GUARD_NONE;
	ev->rule = audit_rule(t->sc_rule);
	ev->guard = v->guard != OCI_GUARD_NONE ? oci_guard_name((enum oci_guard)v->guard) : NULL;
}

/* One decode at a time (the tracer is single-threaded): decoding needs no memory per task. */
static struct decoded scratch;

static const struct decoded *decode_now(struct tracee *t, uint32_t arch, int nr,
					const uint64_t *a)
{
	return decode_syscall(t->tid, arch, nr, a, &scratch) > 0 ? &scratch : NULL;
}

/* At level all a syscall is decoded at its entry (an execve's argv is gone by its exit) and
 * logged at its exit: the task keeps what was decoded, only the bytes in use, until then. */
static bool keep_decoded(struct tracee *t, const struct decoded *d)
{
	size_t size = offsetof(struct decoded, store) + d->used;

	free(t->decoded);
	t->decoded = malloc(size);
	if (t->decoded == NULL)
		return false;
	memcpy(t->decoded, d, size);
	return true;
}

static void drop_decoded(struct tracee *t)
{
	free(t->decoded);
	t->decoded = NULL;
	t->sc_decoded = false;
}

/* /proc/TID/comm, cached per task: reading it (open, read, close) was most of the cost of an
 * audit event. The name changes at an exec and with prctl(PR_SET_NAME), which reset the
 * cache when octrace sees them (the exec always; the prctl at level all, or when the policy
 * stops it); a write to /proc/.../comm, which any thread of the group can do, and a prctl
 * octrace does not see are picked up within COMM_TTL_MS. The name is the task's own choice
 * anyway: it identifies nothing (pid and tid do). */
#define COMM_TTL_MS 100

static const char *task_comm(struct tracee *t)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1; /* never 0 */
	if (t->comm_at == 0 || now - t->comm_at >= COMM_TTL_MS) {
		proc_comm(t->tid, t->comm, sizeof(t->comm));
		t->comm_at = now;
	}
	return t->comm;
}

/* prctl (PR_SET_NAME among its options) may have renamed the task: read comm again. */
static void note_prctl(struct tracee *t)
{
	int prctl_nr = t->sc_arch == AUDIT_ARCH_I386 ? 172 : 157; /* x32: 157 | bit 30 */

	if ((t->sc_nr & ~0x40000000) == prctl_nr)
		t->comm_at = 0;
}

static void emit(struct session *s, struct tracee *t, bool has_ret, int64_t ret,
		 const struct decoded *decoded)
{
	struct audit_syscall ev = {
		.pid = tracee_tgid(t), .tid = t->tid, .arch = t->sc_arch, .nr = t->sc_nr,
		.has_ret = has_ret, .ret = ret, .decoded = decoded,
	};

	memcpy(ev.args, t->sc_args, sizeof(ev.args));
	fill_decision(s, t, &ev);
	/* dropped by the rate limit: nothing to look up */
	if (!audit_saturated(s->audit))
		ev.comm = task_comm(t);
	audit_syscall(s->audit, &ev);
}

/* The decision makes this syscall fail with an errno (counted as an error when decided). */
static bool denies(const struct session *s, const struct oci_slot_value *v)
{
	return (s->mode == MODE_ENFORCE || v->guard != OCI_GUARD_NONE) &&
	       (v->action == OCI_ACT_ERRNO || v->action == OCI_ACT_NOTIFY);
}

/* The decision denies the syscall, and octrace applied it: an errno, a kill, a trap. */
static bool applies_denial(const struct session *s, const struct decision *d)
{
	return (s->mode == MODE_ENFORCE || d->guard != OCI_GUARD_NONE) &&
	       d->action != OCI_ACT_ALLOW && d->action != OCI_ACT_LOG && d->action != OCI_ACT_TRACE;
}

static bool acts_without_return(const struct oci_slot_value *v)
{
	return v->action == OCI_ACT_KILL_THREAD || v->action == OCI_ACT_KILL_PROCESS ||
	       v->action == OCI_ACT_TRAP;
}

/* The summary's key: the slot's data, or one past the guards for an answer no slot names
 * (the matcher and libseccomp disagreeing: see oci/match.c). */
static uint32_t summary_key(const struct session *s, const struct decision *d)
{
	return d->slot ? oci_filter_slot_data(s->filter, d->slot)
		       : OCI_TRACE_DATA_GUARD + OCI_GUARD_COUNT;
}

void observe_seccomp(struct session *s, struct tracee *t,
		     const struct __ptrace_syscall_info *info, const struct decision *d)
{
	uint32_t data = summary_key(s, d);

	if (s->learn_filter && t->armed)
		learn_note(s, t, info->arch, (int)info->seccomp.nr, info->seccomp.args);
	/* a syscall the policy allows, stopped only by the learning filter or the runtime's
	 * (its exec barrier): nothing to count or log (at level all, its exit stop logs it as
	 * allowed in the kernel) */
	if (d->action == OCI_ACT_ALLOW && d->guard == OCI_GUARD_NONE &&
	    (learn_stop_data(s, info->seccomp.ret_data) ||
	     oci_trace_data_is_runtime(info->seccomp.ret_data)))
		return;
	t->sc_nr = (int)info->seccomp.nr;
	t->sc_arch = info->arch;
	memcpy(t->sc_args, info->seccomp.args, sizeof(t->sc_args));
	t->sc_decided = true;
	t->sc_rule = d->rule;
	t->sc_verdict = (struct oci_slot_value){ d->action, d->errno_ret, d->guard };
	t->sc_data = data;
	t->sc_logged = false;
	/* before its program's exec a task is the runtime's: its guard answers are not the
	 * container's doing, and stay out of the container's log and counts */
	if (!t->armed) {
		t->sc_logged = true;
		return;
	}
	summary_add(&s->summary, info->arch, t->sc_nr, data);
	if (denies(s, &t->sc_verdict))
		summary_add_error(&s->summary, info->arch, t->sc_nr, data);
	metrics_syscall(s->metrics, info->arch, t->sc_nr, d->action, applies_denial(s, d));
	if (s->audit == NULL)
		return;
	/* at level all the exit stop logs it, with the return value; a kill or trap has none */
	if (s->syscall_stops && t->in_syscall && !acts_without_return(&t->sc_verdict))
		return;
	t->sc_logged = true;
	if (audit_wants(s->audit, oci_action_name(d->action), audit_rule(d->rule)))
		emit(s, t, false, 0,
		     audit_saturated(s->audit) ? NULL
					       : decode_now(t, t->sc_arch, t->sc_nr, t->sc_args));
	note_prctl(t);
}

static void syscall_entry(struct session *s, struct tracee *t,
			  const struct __ptrace_syscall_info *info)
{
	t->in_syscall = true;
	t->sc_nr = (int)info->entry.nr;
	t->sc_arch = info->arch;
	memcpy(t->sc_args, info->entry.args, sizeof(t->sc_args));
	t->sc_decided = false;
	t->sc_logged = false;
	t->sc_decoded = false;
	if (s->profile && !s->learn_filter)
		learn_syscall_entry(s, t, info);
	/* memory is read at entry: an execve's argv is gone by its exit */
	const struct decoded *d = s->audit && !audit_saturated(s->audit)
					  ? decode_now(t, t->sc_arch, t->sc_nr, t->sc_args)
					  : NULL;

	if (d && keep_decoded(t, d))
		t->sc_decoded = true;
}

static void syscall_exit(struct session *s, struct tracee *t,
			 const struct __ptrace_syscall_info *info)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	if (t->sc_logged) {
		drop_decoded(t);
		return;
	}
	if (!t->sc_decided) {
		summary_add(&s->summary, t->sc_arch, t->sc_nr, SUMMARY_ALLOWED);
		if (info->exit.rval < 0)
			summary_add_error(&s->summary, t->sc_arch, t->sc_nr, SUMMARY_ALLOWED);
	} else if (info->exit.rval < 0 && !denies(s, &t->sc_verdict)) {
		/* LOG, TRACE (or complain) that failed by themselves; denials counted already */
		summary_add_error(&s->summary, t->sc_arch, t->sc_nr, t->sc_data);
	}
	if (s->audit)
		emit(s, t, true, info->exit.rval, t->sc_decoded ? t->decoded : NULL);
	drop_decoded(t);
	note_prctl(t);
}

void observe_syscall_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;

	if (!t->armed)
		return;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) < 0) {
		tracee_request_failed(t, "PTRACE_GET_SYSCALL_INFO");
		return;
	}
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
		syscall_entry(s, t, &info);
	else if (info.op == PTRACE_SYSCALL_INFO_EXIT)
		syscall_exit(s, t, &info);
}

void observe_detach(struct session *s, size_t tasks)
{
	if (s->audit == NULL)
		return;
	struct audit_field f[] = { AUDIT_UINT("tasks", tasks) };

	audit_event(s->audit, "detach", s->root, s->root, f, N_ELEMENTS(f));
}

void observe_flush(struct session *s)
{
	audit_flush(s->audit);
	if (s->metrics) {
		metrics_audit(s->metrics, audit_written(s->audit), audit_suppressed(s->audit));
		metrics_publish(s->metrics, false);
	}
}

void observe_teardown(struct session *s, int exit_code)
{
	if (s->audit)
		audit_teardown(s->audit, 0, exit_code, &s->summary,
			       s->filter);
	if (s->metrics) {
		metrics_audit(s->metrics, audit_written(s->audit), audit_suppressed(s->audit));
		metrics_publish(s->metrics, true);
	}
}
