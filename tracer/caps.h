/* The tracer runs as root next to untrusted processes: it keeps only what it uses. */
#pragma once

/* Drop every capability but CAP_SYS_PTRACE (ptrace and process_vm_readv/writev on tasks
 * whose credentials differ from ours, e.g. after a setuid exec or in a user namespace) and
 * CAP_KILL (the SIGKILL of an enforce-mode shutdown across uids), from the effective,
 * permitted, inheritable and bounding sets, then set no_new_privs. Call after forking any
 * child that must keep the caller's privileges. Returns 0, or -1 with errno. */
int caps_drop_to_tracer(void);
