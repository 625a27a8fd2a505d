/* ERRNO by diversion (docs/kernel-behaviours.md §28).
 *
 * A denial with errno e costs two register writes at the seccomp stop (orig_rax = -1, rax =
 * -e) — or one: the syscall number changed to OCI_NR_RESERVED_ERRNO_BASE + e, which every
 * filter octrace installs answers SECCOMP_RET_ERRNO | e when the kernel re-runs the filters.
 * The re-run runs every filter of the task, so the answer is exactly e only while each of
 * them is octrace's own: a filter of the tracee's (a tie between ERRNOs goes to the newest;
 * a KILL or TRAP for unknown numbers outranks ERRNO) or of a runtime could answer the
 * reserved number otherwise. So a process diverts only while octrace knows its filters are
 * all its own (TRACEE_F_OWN_FILTERS):
 * - set when octrace installs a filter into a process that had none, or only octrace's (the
 *   Seccomp_filters count, read before the injection), inherited across clone, fork, exec;
 * - cleared for the whole thread group at the stop of any filter install (the `filter` and
 *   `listener` guards, oci/guard.h), before the filter exists;
 * - never set after a re-attach, for a joining process, nor with SECCOMP_FILTER_FLAG_LOG.
 * A filter installed with TSYNC reaches threads that octrace has already diverted and resumed
 * but that may not have re-run the filters yet: the installer is held in its stop until each
 * of them has reported again (they are interrupted for that). */
#pragma once

#include <stdbool.h>
#include <sys/ptrace.h>

#include "compile.h"
#include "session.h"
#include "tracee.h"

/* Whether errno `e` can be given to `t` by diversion, exactly. */
static inline bool divert_exact(const struct tracee *t, unsigned e)
{
	return (t->flags & TRACEE_F_OWN_FILTERS) && e < OCI_NR_RESERVED_ERRNO_N;
}

/* After octrace installed `f` into t's process, which had `before` filters (-1: unknown):
 * whether every filter there is octrace's own now. */
void divert_after_inject(struct tracee *t, const struct oci_filter *f, int before);

/* The seccomp stop of a filter install by t (the `filter` or `listener` guard): its process
 * no longer diverts. HOLD when it installs with TSYNC while a thread of its group may still
 * be on its way out of a diverted syscall; divert_seen() resumes it later. */
struct restart divert_install_stop(struct session *s, struct tracee *t,
				   const struct __ptrace_syscall_info *info);

/* Any report of t (a stop or its death), before it is handled: a diverted task has re-run
 * the filters by now; an installer that waited for it may go. */
void divert_seen(struct session *s, struct tracee *t);
