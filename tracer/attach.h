/* Attaching to a live process: every thread seized, stopped, the filter armed, resumed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "session.h"

/* Seize every thread of `pid` and of every descendant it has (docs/kernel-behaviours.md §7,
 * §18), stop them all, install the session's filter (if any) in every thread group through
 * one of its own threads, check in /proc that each task has it, arm them all if `arm`
 * (else each arms at its next exec), and resume them. On failure nothing stays stopped: the
 * tasks already seized are detached (or, in enforce mode, killed by the caller). */
int attach_process(struct session *s, pid_t pid, bool arm, struct oci_error **err);
/* How many thread groups the session traces (the attach event's "processes"). */
size_t attach_count_processes(struct session *s);

/* What attach_restack() did. */
struct restack_result {
	size_t processes; /* got the filter */
	size_t deferred; /* will get it at their next event-stop (TRACEE_F_RESTACK) */
	size_t failed; /* could not take it (killed in enforce mode) */
};

/* A policy reload (tracer/reload.h): stop every task, stack `filter` on every process that
 * carries octrace's filter and has no filter of generation `gen` yet (through one of its
 * own threads, TSYNC), and resume them all. A process that cannot stop now (all its threads
 * wait in vfork or sit in a group-stop) is marked TRACEE_F_RESTACK. -1 only when waiting
 * failed; every task is resumed whatever happened. */
int attach_restack(struct session *s, const struct oci_filter *filter, unsigned gen,
		   struct restack_result *res, struct oci_error **err);
