/* The tracer runs as root next to untrusted processes: it keeps only what it uses. */
#pragma once

#include <sys/types.h>

/* Drop every capability but CAP_SYS_PTRACE (ptrace and process_vm_readv/writev on tasks
 * whose credentials differ from ours, e.g. after a setuid exec or in a user namespace) and
 * CAP_KILL (the SIGKILL of an enforce-mode shutdown across uids), from the effective,
 * permitted, inheritable and bounding sets, then set no_new_privs. Call after forking any
 * child that must keep the caller's privileges. Returns 0, or -1 with errno. */
int caps_drop_to_tracer(void);

/* Only CAP_SYS_PTRACE and CAP_KILL effective; the others stay permitted, for
 * caps_become_tracer(). */
int caps_limit_effective(void);
/* The same, and first become uid:gid (no supplementary groups) keeping those two
 * capabilities: the daemon next to a container runs unprivileged (0:0 keeps root's ids). */
int caps_become_tracer(uid_t uid, gid_t gid);
/* No capability at all (every set), no_new_privs: root's ids only, for file ownership. */
int caps_drop_all(void);
