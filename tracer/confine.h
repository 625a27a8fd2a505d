/* The tracer's own seccomp filter (docs/kernel-behaviours.md §24). */
#pragma once

/* Load a filter that allows only the syscalls a tracer makes; any other kills the tracer
 * (SCMP_ACT_KILL_PROCESS) — and, in enforce mode, its tracees with it (PTRACE_O_EXITKILL):
 * a tracer that was made to do something else fails closed. Needs no_new_privs (or
 * CAP_SYS_ADMIN). Returns 0, or -1 with errno. */
int confine_tracer(void);
