/* ERRNO by diversion: which processes may use it, and the TSYNC hold (divert.h;
 * docs/kernel-behaviours.md §28). */
#include "divert.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/ptrace.h>

#include "log.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif

void divert_after_inject(struct tracee *t, const struct oci_filter *f, int before)
{
	bool own = oci_filter_diverts_errno(f) &&
		   (before == 0 || (before == 1 && (t->flags & TRACEE_F_OWN_FILTERS)));

	if (own)
		t->flags |= TRACEE_F_OWN_FILTERS;
	else
		t->flags &= ~TRACEE_F_OWN_FILTERS;
}

/* seccomp(SECCOMP_SET_MODE_FILTER, flags with TSYNC): the filter reaches every thread. The
 * op and the flags are unsigned ints; prctl(PR_SET_SECCOMP) has no flags. */
static bool syncs_threads(const struct __ptrace_syscall_info *info)
{
	int nr = (int)info->seccomp.nr;
	bool is_seccomp = info->arch == AUDIT_ARCH_I386 ? nr == 354 : (nr & ~0x40000000) == 317;

	return is_seccomp && (uint32_t)info->seccomp.args[0] == SECCOMP_SET_MODE_FILTER &&
	       ((uint32_t)info->seccomp.args[1] & SECCOMP_FILTER_FLAG_TSYNC);
}

struct group_scan {
	struct session *s;
	pid_t tgid;
	size_t waiting; /* diverted threads interrupted, their reports awaited */
	size_t held; /* installers still held (divert_seen) */
};

static bool in_group(struct tracee *t, pid_t tgid)
{
	return tracee_tgid(t) == tgid;
}

static void disown(struct tracee *t, void *data)
{
	struct group_scan *g = data;

	if (!(t->flags & (TRACEE_F_OWN_FILTERS | TRACEE_F_DIVERTED)) || !in_group(t, g->tgid))
		return;
	t->flags &= ~TRACEE_F_OWN_FILTERS;
	if (!(t->flags & TRACEE_F_DIVERTED) || !g->s)
		return;
	/* it reports at its return to user space at the latest: the re-run is behind it then
	 * (an interrupted blocking call restarts, §18) */
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH)
		log_warn("task %d: PTRACE_INTERRUPT: %m", t->tid);
	g->waiting++;
}

struct restart divert_install_stop(struct session *s, struct tracee *t,
				   const struct __ptrace_syscall_info *info)
{
	struct group_scan g = { syncs_threads(info) ? s : NULL, tracee_tgid(t), 0, 0 };

	tracee_for_each(&s->tasks, disown, &g);
	if (g.waiting == 0)
		return RESUME(0);
	log_debug("task %d: TSYNC filter install held for %zu diverted threads", t->tid,
		  g.waiting);
	t->flags |= TRACEE_F_INSTALL_HELD;
	s->held_installs++;
	return HOLD;
}

static void find_diverted(struct tracee *t, void *data)
{
	struct group_scan *g = data;

	if ((t->flags & TRACEE_F_DIVERTED) && in_group(t, g->tgid))
		g->waiting++;
}

/* An installer whose group has no diverted thread left goes on with its install. */
static void release(struct tracee *t, void *data)
{
	struct group_scan *g = data;
	struct group_scan others = { NULL, 0, 0, 0 };

	if (!(t->flags & TRACEE_F_INSTALL_HELD))
		return;
	others.tgid = tracee_tgid(t);
	tracee_for_each(&g->s->tasks, find_diverted, &others);
	if (others.waiting) {
		g->held++;
		return;
	}
	t->flags &= ~TRACEE_F_INSTALL_HELD;
	if (t->state == TRACEE_STOPPED)
		tracee_resume(g->s, t, 0);
}

void divert_seen(struct session *s, struct tracee *t)
{
	bool was_diverted = t->flags & TRACEE_F_DIVERTED;
	struct group_scan g = { s, 0, 0, 0 };

	t->flags &= ~TRACEE_F_DIVERTED;
	if (t->flags & TRACEE_F_INSTALL_HELD) { /* its own report: killed meanwhile */
		t->flags &= ~TRACEE_F_INSTALL_HELD;
		if (s->held_installs)
			s->held_installs--;
	}
	if (s->held_installs == 0 || !was_diverted)
		return;
	tracee_for_each(&s->tasks, release, &g);
	s->held_installs = g.held; /* recounted: an installer may have vanished unseen (§3) */
}
