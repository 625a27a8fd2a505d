/* Installing a seccomp filter in another process: the tracee calls seccomp(2) itself
 * (docs/kernel-behaviours.md §8), driven by the tracer through injected syscalls. */
#pragma once

#include "compile.h"
#include "error.h"
#include "session.h"

/* `t` is STOPPED in a PTRACE_EVENT_STOP and every other thread of its process is stopped.
 * Makes it install `filter` with SECCOMP_FILTER_FLAG_TSYNC (every thread gets it); leaves it
 * in a PTRACE_EVENT_STOP with every register and its signal mask as they were, so that an
 * interrupted blocking syscall restarts as if nothing happened. A report that is not part of
 * the injection (the task is being killed) is handed to session_dispatch() and is an error. */
int inject_filter(struct session *s, struct tracee *t, const struct oci_filter *filter,
		  struct oci_error **err);
/* The same for a task alone in its process and in the session, fresh from its exec: the
 * filter is installed with SECCOMP_FILTER_FLAG_NEW_LISTENER (no TSYNC: there is no other
 * thread), the listener is copied into the tracer and served (notify_start(), which takes
 * *filter: NULL then), and closed in the task before it runs again (tracer/notify.h, §29).
 * *installed: the filter is in the task (on failure too: the task must then be killed, it may
 * hold its listener). */
int inject_filter_listener(struct session *s, struct tracee *t, struct oci_filter **filter,
			   bool *installed, struct oci_error **err);
