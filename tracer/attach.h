/* Attaching to a live process: every thread seized, stopped, the filter armed, resumed. */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "session.h"

/* Seize every thread of `pid` (PTRACE-NOTES §7), stop them all, install the session's filter
 * (if any) through one of them, and resume them. On failure nothing stays stopped: the tasks
 * already seized are detached (or, in enforce mode, killed by the caller). */
int attach_process(struct session *s, pid_t pid, struct oci_error **err);
