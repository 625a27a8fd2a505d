/* What the loop reports to the audit log, the summary and the profile being learnt. Every
 * function is a no-op for whatever is not switched on: a session without --audit,
 * --profile-out and syscall stops pays nothing but a branch. */
#pragma once

#include <sys/ptrace.h>

#include "compile.h"
#include "enforce.h"
#include "session.h"

void observe_attach(struct session *s, pid_t pid);
void observe_armed(struct session *s, struct tracee *t);
void observe_exec(struct session *s, struct tracee *t, pid_t former);
/* The first report of a task. */
void observe_first_stop(struct session *s, struct tracee *t);
void observe_new_task(struct session *s, struct tracee *parent, enum report_kind event,
		      pid_t child);
/* PTRACE_EVENT_EXIT: an exit_group is recognised by the syscall the task is in. */
void observe_exit_stop(struct session *s, struct tracee *t);
void observe_death(struct session *s, struct tracee *t, pid_t tid, int status);
/* A seccomp stop and what octrace answered. Counts it, and logs it now or, at audit level
 * all, at the syscall's exit stop with its return value. */
void observe_seccomp(struct session *s, struct tracee *t,
		     const struct __ptrace_syscall_info *info, const struct decision *d);
/* A syscall-entry or -exit stop (audit level all, profiling). */
void observe_syscall_stop(struct session *s, struct tracee *t);
void observe_detach(struct session *s, size_t tasks);
/* Write out what the audit log holds: before the tracer blocks (waitpid) or exits. */
void observe_flush(struct session *s);
void observe_teardown(struct session *s, int exit_code);
