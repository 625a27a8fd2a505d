/* Denials by seccomp user notification (docs/kernel-behaviours.md §29).
 *
 * A process armed alone (the only task of the session, fresh from its exec) gets the
 * enforce-mode filter with its ERRNO slots answering SECCOMP_RET_USER_NOTIF, installed with a
 * listener that the tracer copies and the task closes before it runs again. A denied syscall
 * then never stops in ptrace: the kernel queues a notification, a thread of the tracer reads
 * it, decides from the syscall (the same userspace verdict as a seccomp stop), answers the
 * errno, and records it. Every process the armed one creates inherits the filter and its
 * listener. Everything else (joins, restacks, attaches, complain mode) stays on seccomp stops.
 *
 * The session lock: the notification thread takes it for each notification; the tracer's own
 * thread holds it always, except while it blocks in waitpid() (session_waitpid()), which
 * is the only place it waits for a tracee. So the rest of the tracer stays single-threaded
 * code, and a tracee blocked in a notification is answered while the tracer waits for it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <linux/seccomp.h>

#include "session.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS /* Linux >= 6.6; uapi headers may be older */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Whether `t`, about to be armed with the enforce-mode filter, gets it with a listener. */
bool notify_wanted(const struct session *s, const struct tracee *t);
/* Serve the listener `fd` of `filter` (both taken over) from a thread of the tracer's. 0, or
 * -1 (both freed). */
int notify_start(struct session *s, int fd, struct oci_filter *filter);
/* Stop serving: the thread ends, the listener is closed (a notification still queued, or
 * raised later, fails with ENOSYS: denied). Idempotent. */
void notify_stop(struct session *s);
/* Whether the listener's filter notifies this syscall (false when there is no listener). */
bool notify_covers(const struct session *s, uint32_t arch, int nr, const uint64_t args[6]);
/* waitpid() for the tracer's own thread: the notification thread may take the session lock
 * while it blocks (never with WNOHANG). */
pid_t session_waitpid(const struct session *s, pid_t pid, int *status, int options);
