/* Learning a profile (`--profile-out`): what happens at a learning stop.
 *
 * `octrace run` and an enforcing attach learn with one stop per syscall: the filter injected
 * at the attach is a learning filter (oci_filter_to_learn()) that sends every syscall the
 * policy would allow to a seccomp stop too, with OCI_TRACE_DATA_LEARN, and learning needs no
 * return value. An attach that may let go (trace or complain mode: SIGINT detaches) cannot
 * leave such a filter behind (with no tracer every traced syscall fails with ENOSYS): it
 * learns at syscall-entry stops (PTRACE_SYSCALL, two stops per syscall) instead. */
#pragma once

#include <sys/ptrace.h>

#include "session.h"

/* Record the syscall of an armed task in the session's profile (with who made it first, for
 * --profile-stats). */
void learn_note(struct session *s, struct tracee *t, uint32_t arch, int nr, const uint64_t args[6]);

/* A seccomp stop with no policy (the learning filter's): keep the task traced through a
 * clone(CLONE_UNTRACED), answer clone3 with ENOSYS when arguments are kept
 * (PROFILE_COND_ENOSYS), record, resume. */
struct restart learn_seccomp_stop(struct session *s, struct tracee *t,
				  const struct __ptrace_syscall_info *info);

/* A syscall-entry stop of an armed task while learning without the filter: the same, at
 * entry. */
void learn_syscall_entry(struct session *s, struct tracee *t,
			 const struct __ptrace_syscall_info *info);

/* Whether a seccomp stop's data is the learning filter's (the session learns with it). */
bool learn_stop_data(const struct session *s, uint32_t data);
