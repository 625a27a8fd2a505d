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
