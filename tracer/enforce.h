/* Applying the policy's real action at a seccomp stop, so that the tracee cannot tell it
 * from the kernel applying the same filter itself. */
#pragma once

#include "session.h"

/* The task is in a PTRACE_EVENT_SECCOMP stop: record, act, resume. */
void enforce_seccomp_stop(struct session *s, struct tracee *t);
/* The task is in the SIGSYS signal-delivery-stop of a SCMP_ACT_TRAP we made the kernel raise
 * on a reserved number: give the signal and registers the real syscall number. */
void enforce_fix_trap(struct session *s, struct tracee *t);
