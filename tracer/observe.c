#include "observe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "cleanup.h"
#include "decode.h"
#include "log.h"
#include "profile.h"

void observe_attach(struct session *s, pid_t pid)
{
	if (s->audit == NULL)
		return;
	struct audit_field f[] = {
		AUDIT_UINT("threads", s->tasks.count),
		AUDIT_STR("mode", session_mode_name(s->mode)),
		AUDIT_STR("level", audit_level_name(audit_level(s->audit))),
	};

	audit_event(s->audit, "attach", pid, pid, f, N_ELEMENTS(f));
}

void observe_armed(struct session *s, struct tracee *t)
{
	if (s->audit)
		audit_event(s->audit, "armed", tracee_tgid(t), t->tid, NULL, 0);
}

void observe_exec(struct session *s, struct tracee *t, pid_t former)
{
	char path[64], exe[4096];
	ssize_t n;

	t->tgid = t->tid; /* after an exec the task is its group's leader */
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

void observe_new_task(struct session *s, struct tracee *parent, int event, pid_t child)
{
	const char *name = event == PTRACE_EVENT_FORK ? "fork"
			   : event == PTRACE_EVENT_VFORK ? "vfork"
							 : "clone";

	if (s->audit == NULL)
		return;
	struct audit_field f[] = { AUDIT_INT("child", child) };

	audit_event(s->audit, name, tracee_tgid(parent), parent->tid, f, N_ELEMENTS(f));
}

void observe_exit_stop(struct session *s, struct tracee *t)
{
	unsigned long status = 0;
	long nr;

	if (s->audit == NULL)
		return;
	nr = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, orig_rax), 0);
	if (nr != SYS_exit_group || ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &status) < 0)
		return;
	struct audit_field f[] = { AUDIT_INT("status", WEXITSTATUS((int)status)) };

	audit_event(s->audit, "exit_group", tracee_tgid(t), t->tid, f, N_ELEMENTS(f));
}

void observe_death(struct session *s, struct tracee *t, pid_t tid, int status)
{
	if (s->audit == NULL)
		return;
	pid_t pid = t ? tracee_tgid(t) : tid;
	struct audit_field f[] = {
		WIFEXITED(status) ? AUDIT_INT("status", WEXITSTATUS(status))
				  : AUDIT_INT("signal", WTERMSIG(status)),
	};

	audit_event(s->audit, "exit", pid, tid, f, N_ELEMENTS(f));
}

/* The policy's decision for audit: action name, errno, and the rule that made it. */
static void fill_decision(struct session *s, const struct oci_slot *slot, uint32_t arch,
			  struct audit_syscall *ev)
{
	enum oci_action action;
	uint32_t errno_ret;

	if (slot == NULL) {
		ev->action = "SCMP_ACT_ALLOW";
		ev->rule = AUDIT_RULE_NONE;
		return;
	}
	ev->action = oci_action_name(slot->action);
	ev->errno_ret = slot->errno_ret;
	ev->complain = s->mode == MODE_COMPLAIN;
	if (slot->is_bad_arch)
		ev->rule = AUDIT_RULE_BAD_ARCH;
	else if (s->policy)
		ev->rule = oci_policy_match(s->policy, arch, ev->nr, ev->args, &action, &errno_ret);
	else
		ev->rule = AUDIT_RULE_DEFAULT;
}

static struct decoded *decode_into(struct tracee *t, uint32_t arch, int nr, const uint64_t *a)
{
	if (t->decoded == NULL && (t->decoded = malloc(sizeof(*t->decoded))) == NULL)
		return NULL;
	if (decode_syscall(t->tid, arch, nr, a, t->decoded) <= 0)
		return NULL;
	return t->decoded;
}

static void emit(struct session *s, struct tracee *t, const struct oci_slot *slot,
		 bool has_ret, int64_t ret, const struct decoded *decoded)
{
	struct audit_syscall ev = {
		.pid = tracee_tgid(t), .tid = t->tid, .arch = t->sc_arch, .nr = t->sc_nr,
		.has_ret = has_ret, .ret = ret, .decoded = decoded,
	};

	memcpy(ev.args, t->sc_args, sizeof(ev.args));
	fill_decision(s, slot, t->sc_arch, &ev);
	audit_syscall(s->audit, &ev);
}

/* The policy makes this syscall fail with an errno (counted as an error when decided). */
static bool denies(const struct session *s, const struct oci_slot *slot)
{
	return s->mode == MODE_ENFORCE &&
	       (slot->action == OCI_ACT_ERRNO || slot->action == OCI_ACT_NOTIFY);
}

static bool acts_without_return(const struct oci_slot *slot)
{
	return slot->action == OCI_ACT_KILL_THREAD || slot->action == OCI_ACT_KILL_PROCESS ||
	       slot->action == OCI_ACT_TRAP;
}

void observe_seccomp(struct session *s, struct tracee *t,
		     const struct __ptrace_syscall_info *info, const struct oci_slot *slot)
{
	uint32_t data = info->seccomp.ret_data;

	summary_add(&s->summary, info->arch, (int)info->seccomp.nr, data);
	if (slot && denies(s, slot))
		summary_add_error(&s->summary, info->arch, (int)info->seccomp.nr, data);
	t->sc_nr = (int)info->seccomp.nr;
	t->sc_arch = info->arch;
	memcpy(t->sc_args, info->seccomp.args, sizeof(t->sc_args));
	t->sc_slot = slot;
	t->sc_data = data;
	t->sc_logged = slot == NULL; /* counted above: not again at the exit stop */
	if (s->audit == NULL)
		return;
	/* at level all the exit stop logs it, with the return value; a kill or trap has none */
	if (s->syscall_stops && t->in_syscall && !(slot && acts_without_return(slot)))
		return;
	const char *action = slot ? oci_action_name(slot->action) : "SCMP_ACT_TRACE";
	int rule = slot && slot->is_bad_arch ? AUDIT_RULE_BAD_ARCH : AUDIT_RULE_DEFAULT;

	if (!audit_wants(s->audit, action, rule))
		return;
	t->sc_logged = true;
	emit(s, t, slot, false, 0, decode_into(t, t->sc_arch, t->sc_nr, t->sc_args));
}

static void syscall_entry(struct session *s, struct tracee *t,
			  const struct __ptrace_syscall_info *info)
{
	t->in_syscall = true;
	t->sc_nr = (int)info->entry.nr;
	t->sc_arch = info->arch;
	memcpy(t->sc_args, info->entry.args, sizeof(t->sc_args));
	t->sc_slot = NULL;
	t->sc_logged = false;
	t->sc_decoded = false;
	if (s->profile)
		profile_add(s->profile, info->arch, t->sc_nr);
	/* memory is read at entry: an execve's argv is gone by its exit */
	if (s->audit && decode_into(t, t->sc_arch, t->sc_nr, t->sc_args))
		t->sc_decoded = true;
}

static void syscall_exit(struct session *s, struct tracee *t,
			 const struct __ptrace_syscall_info *info)
{
	if (!t->in_syscall)
		return;
	t->in_syscall = false;
	if (t->sc_logged)
		return;
	if (t->sc_slot == NULL) {
		summary_add(&s->summary, t->sc_arch, t->sc_nr, SUMMARY_ALLOWED);
		if (info->exit.rval < 0)
			summary_add_error(&s->summary, t->sc_arch, t->sc_nr, SUMMARY_ALLOWED);
	} else if (info->exit.rval < 0 && !denies(s, t->sc_slot)) {
		/* LOG, TRACE (or complain) that failed by themselves; denials counted already */
		summary_add_error(&s->summary, t->sc_arch, t->sc_nr, t->sc_data);
	}
	if (s->audit)
		emit(s, t, t->sc_slot, true, info->exit.rval, t->sc_decoded ? t->decoded : NULL);
}

void observe_syscall_stop(struct session *s, struct tracee *t)
{
	struct __ptrace_syscall_info info;

	if (!s->armed)
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

void observe_teardown(struct session *s, int exit_code)
{
	if (s->audit)
		audit_teardown(s->audit, exit_code, &s->summary, s->filter);
}
