/* Attaching to a live process and every descendant it has (docs/kernel-behaviours.md §7, §18).
 *
 * Rounds, until nothing changes:
 * 1. seize: every thread of every process of the tree — the target, then the children of
 *    every seized thread (/proc/PID/task/TID/children) — and PTRACE_INTERRUPT each;
 * 2. collect: wait until every task sits in a stop. Interrupt stops, new tasks' first stops,
 *    signal deliveries and group-stops are held; any other stop (a seccomp stop, an exec, a
 *    clone event) is handled as the loop would, and the task is interrupted again, since any
 *    stop consumes a pending interrupt. A process stopped this way cannot fork, so walking
 *    the children of the stopped tree again finds everything;
 * 3. inject the filter into every thread group not filtered yet, through one of its own
 *    threads (TSYNC covers the group, and only the group), after checking that none of them
 *    holds a seccomp listener (its USER_NOTIF would outrank our TRACE: §16).
 * A vfork parent cannot stop until its child execs or exits: once every other task is
 * stopped and filtered, the vfork children are let go and the round starts again.
 * Then every task's filter count in /proc is checked against what the injection should have
 * made it, and only then is anything resumed. On any failure every task is let go (detach)
 * and the attach fails: nothing stays stopped, and nothing runs unfiltered in silence. */
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "cleanup.h"
#include "divert.h"
#include "inject.h"
#include "log.h"
#include "notify.h"
#include "metrics.h"
#include "procfs.h"

/* Rounds of "let the vfork children go" before giving up on a tree that keeps vforking. */
#define MAX_ROUNDS 64
/* The attach's own bound on the tree it takes (the task table's bound applies after). */
#define MAX_CHILDREN_LINE 65536

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* 1: traced by us, 0: by someone else or nobody, -1: the thread is gone (or going: a zombie
 * cannot be attached to, EPERM, and has nothing left to trace). */
static int traced_by_us(pid_t tid)
{
	char value[32];

	if (proc_status_field(tid, "State", value, sizeof(value)) != 0 || value[0] == 'Z' ||
	    value[0] == 'X')
		return -1;
	if (proc_status_field(tid, "TracerPid", value, sizeof(value)) != 0)
		return -1;
	return strtol(value, NULL, 10) == getpid();
}

static struct tracee *adopt_seized(struct session *s, pid_t tid, pid_t tgid)
{
	struct tracee *t = tracee_get(&s->tasks, tid);

	t->tgid = tgid;
	t->flags |= TRACEE_F_CREATOR_SEEN; /* it existed before us: nothing to inherit */
	return t;
}

/* Seize and interrupt one thread. 1: seized now, 0: nothing to do, -1: error. */
static int seize_thread(struct session *s, pid_t pid, pid_t tid, struct oci_error **err)
{
	if (tracee_find(&s->tasks, tid))
		return 0;
	if (ptrace(PTRACE_SEIZE, tid, 0, session_ptrace_options(s)) < 0) {
		if (errno == ESRCH)
			return 0; /* exited meanwhile (§7) */
		if (errno == EPERM) {
			/* Created by a thread we seized already: auto-attached, first stop not
			 * collected yet. */
			int traced = traced_by_us(tid);

			if (traced < 0)
				return 0;
			if (traced) {
				adopt_seized(s, tid, pid)->flags &= ~TRACEE_F_CREATOR_SEEN;
				return 1;
			}
			errno = EPERM;
		}
		return oci_fail(err, errno, "cannot trace process %d (thread %d): %s%s", pid, tid,
				strerror(errno),
				errno == EPERM ? " (already traced, or no permission)" : "");
	}
	adopt_seized(s, tid, pid);
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH)
		return oci_fail(err, errno, "PTRACE_INTERRUPT %d: %s", tid, strerror(errno));
	return 1;
}

/* One pass over /proc/PID/task. Returns how many threads were new, or -1. */
static int seize_process(struct session *s, pid_t pid, struct oci_error **err)
{
	__attribute__((cleanup(closedirp))) DIR *dir = NULL;
	char path[64];
	struct dirent *de;
	int added = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (dir == NULL)
		return errno == ENOENT ? 0 : oci_fail(err, errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);
		int rc = tid > 0 ? seize_thread(s, pid, tid, err) : 0;

		if (rc < 0)
			return -1;
		added += rc;
	}
	return added;
}

struct walk {
	struct session *s;
	pid_t *pids; /* processes to scan, gathered by the pass, seized after it (the table must
		      * not grow while tracee_for_each walks it) */
	size_t n, cap;
};

static void walk_add(struct walk *w, pid_t pid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->pids[i] == pid)
			return;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->pids = realloc(w->pids, w->cap * sizeof(*w->pids));
		if (w->pids == NULL)
			abort();
	}
	w->pids[w->n++] = pid;
}

/* Its own process (threads that threads not seized yet created: §7) and its children. */
static void collect_family(struct tracee *t, void *data)
{
	struct walk *w = data;
	char path[64];
	cleanup_free char *line = NULL;
	cleanup_file FILE *f = NULL;
	size_t size = 0;

	if (t->state != TRACEE_STOPPED)
		return;
	walk_add(w, tracee_tgid(t));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", tracee_tgid(t), t->tid);
	f = fopen(path, "re");
	if (f == NULL || getline(&line, &size, f) <= 0 || strlen(line) > MAX_CHILDREN_LINE)
		return;
	for (char *p = line, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0 && tracee_find(&w->s->tasks, (pid_t)pid) == NULL)
			walk_add(w, (pid_t)pid);
	}
}

/* Seize what the stopped tree has that is not seized yet: threads of its processes, and
 * children. Returns how many threads were new, or -1. */
static int seize_family(struct session *s, struct oci_error **err)
{
	struct walk w = { .s = s };
	int added = 0;

	tracee_for_each(&s->tasks, collect_family, &w);
	for (size_t i = 0; i < w.n && added >= 0; i++) {
		int rc = seize_process(s, w.pids[i], err);

		added = rc < 0 ? -1 : added + rc;
	}
	free(w.pids);
	return added;
}

static void count_unstopped(struct tracee *t, void *data)
{
	/* a vfork parent waits for its child, which we hold: it cannot stop now */
	if ((t->state == TRACEE_RUNNING && !(t->flags & TRACEE_F_IN_VFORK)) ||
	    t->state == TRACEE_DYING)
		++*(size_t *)data;
}

/* A report during the attach: held (interrupts, first stops, signals, group-stops), or
 * handled by the session and interrupted again. */
static void collect(struct session *s, const struct report *r)
{
	struct tracee *t;

	session_dispatch(s, r, true);
	t = tracee_find(&s->tasks, r->tid);
	if (t == NULL || t->state != TRACEE_RUNNING)
		return; /* a vfork parent is marked by its event (loop.c): not waited for */
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		tracee_request_failed(t, "PTRACE_INTERRUPT");
}

/* Block until every seized task sits in a stop (new ones created meanwhile included). */
static int wait_all_stopped(struct session *s, struct oci_error **err)
{
	for (;;) {
		size_t unstopped = 0;
		int status;
		pid_t tid;

		tracee_for_each(&s->tasks, count_unstopped, &unstopped);
		if (unstopped == 0)
			return 0;
		audit_flush(s->audit); /* before blocking */
		tid = session_waitpid(s, -1, &status, __WALL);
		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0)
			return oci_fail(err, errno, "waitpid: %s", strerror(errno));
		struct report r = report_classify(tid, status);

		collect(s, &r);
	}
}

/* Seize the target, then the children of the stopped tree, until a pass finds nothing new
 * and everything is stopped. */
static int seize_tree(struct session *s, pid_t pid, struct oci_error **err)
{
	int added = seize_process(s, pid, err);

	if (added < 0)
		return -1;
	if (s->tasks.count == 0)
		return oci_fail(err, ESRCH, "process %d: no such process", pid);
	do {
		if (wait_all_stopped(s, err) < 0)
			return -1;
		added = seize_family(s, err);
		if (added < 0)
			return -1;
	} while (added > 0);
	return 0;
}

/* --- per thread group: the listener check, the injection, the verification --- */

struct group {
	pid_t tgid;
	struct tracee *injectee; /* a thread of the group stopped by our interrupt, or NULL */
	int score;
	bool filtered; /* every thread of it has the filter already */
	bool has_vfork; /* a thread of it waits for a vfork child */
	int expected; /* Seccomp_filters every thread must show after the injection */
};

struct groups {
	struct group *v;
	size_t n, cap;
};

static struct group *group_of(struct groups *gs, pid_t tgid)
{
	for (size_t i = 0; i < gs->n; i++)
		if (gs->v[i].tgid == tgid)
			return &gs->v[i];
	if (gs->n == gs->cap) {
		gs->cap = gs->cap ? gs->cap * 2 : 16;
		gs->v = realloc(gs->v, gs->cap * sizeof(*gs->v));
		if (gs->v == NULL)
			abort();
	}
	gs->v[gs->n] = (struct group){ .tgid = tgid, .filtered = true, .expected = -1 };
	return &gs->v[gs->n++];
}

/* Prefer a thread stopped by our interrupt inside an ordinary syscall (its own `syscall`
 * instruction serves the injection), then one in user code; avoid the syscalls that swap the
 * signal mask (their restart is more delicate). */
static int injectee_score(struct tracee *t)
{
	if (t->state != TRACEE_STOPPED || t->stop != REPORT_EVENT_STOP)
		return 0;
	long nr = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, orig_rax), 0);

	if (nr == SYS_ppoll || nr == SYS_pselect6 || nr == SYS_rt_sigsuspend ||
	    nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2)
		return 1;
	return nr >= 0 ? 3 : 2;
}

static void gather(struct tracee *t, void *data)
{
	struct groups *gs = data;
	struct group *g;
	int score;

	if (t->state == TRACEE_EXITING)
		return;
	g = group_of(gs, tracee_tgid(t));
	if (!(t->flags & TRACEE_F_FILTERED))
		g->filtered = false;
	if (t->flags & TRACEE_F_IN_VFORK)
		g->has_vfork = true;
	score = injectee_score(t);
	if (score > g->score)
		g->score = score, g->injectee = t;
}

/* "anon_inode:seccomp notify" among the process's fds: a listener it supervises. */
static int holds_listener(pid_t pid, int *fd_out)
{
	__attribute__((cleanup(closedirp))) DIR *dir = NULL;
	char path[64], target[64];
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:seccomp notify") == 0) {
			*fd_out = atoi(de->d_name);
			return 1;
		}
	}
	return 0;
}

struct mark {
	pid_t tgid;
	unsigned flags;
};

static void mark_filtered(struct tracee *t, void *data)
{
	const struct mark *m = data;

	if (tracee_tgid(t) == m->tgid)
		t->flags |= m->flags;
}

static int inject_group(struct session *s, struct group *g, const struct oci_filter *filter,
			struct oci_error **err)
{
	int before;

	if (g->injectee == NULL)
		return oci_fail(err, ESRCH, "process %d: no thread left to install the filter",
				g->tgid);
	before = proc_seccomp_filters(g->injectee->tid);
	if (inject_filter(s, g->injectee, filter, err) < 0)
		return -1;
	g->expected = before < 0 ? -1 : before + 1;
	/* TSYNC succeeded: every thread has the injectee's filters now */
	divert_after_inject(g->injectee, filter, before);
	struct mark m = { g->tgid, TRACEE_F_FILTERED | (g->injectee->flags & TRACEE_F_OWN_FILTERS) |
					   (filter == s->arm_filter ? TRACEE_F_ARM_FILTER : 0) };

	tracee_for_each(&s->tasks, mark_filtered, &m);
	g->filtered = true;
	return 0;
}

/* Before any filter goes in (a filter cannot be taken out again): no process of the tree may
 * supervise a listener, whose USER_NOTIF would outrank octrace's TRACE (§16). */
static int check_listeners(const struct session *s, const struct groups *gs,
			   struct oci_error **err)
{
	int fd = -1;

	if (s->mode != MODE_ENFORCE)
		return 0;
	for (size_t i = 0; i < gs->n; i++)
		if (holds_listener(gs->v[i].tgid, &fd))
			return oci_fail(err, EBUSY,
					"process %d holds a seccomp user-notification listener "
					"(fd %d): its supervisor would outrank octrace's enforcement",
					gs->v[i].tgid, fd);
	return 0;
}

/* Inject into every group that has no filter yet and can take it now (a group whose threads
 * all wait in vfork cannot: its turn comes in a later round). */
static int inject_groups(struct session *s, struct groups *gs, const struct oci_filter *filter,
			 struct oci_error **err)
{
	for (size_t i = 0; i < gs->n; i++) {
		struct group *g = &gs->v[i];

		if (g->filtered || (g->injectee == NULL && g->has_vfork))
			continue;
		if (inject_group(s, g, filter, err) < 0)
			return -1;
	}
	return 0;
}

struct verify {
	const struct groups *gs;
	pid_t bad;
	int seen, expected;
};

static void verify_one(struct tracee *t, void *data)
{
	struct verify *v = data;
	int n;

	if (v->bad || t->state == TRACEE_EXITING || t->state == TRACEE_DYING)
		return;
	n = proc_seccomp_filters(t->tid);
	if (n < 0)
		return; /* gone meanwhile */
	for (size_t i = 0; i < v->gs->n; i++) {
		const struct group *g = &v->gs->v[i];

		if (g->tgid != tracee_tgid(t))
			continue;
		/* a group filtered in this round must show exactly one more filter; one that
		 * inherited it (created by a filtered task) at least one */
		if ((t->flags & TRACEE_F_FILTERED) && (g->expected < 0 ? n >= 1 : n == g->expected))
			return;
		break;
	}
	v->bad = t->tid, v->seen = n;
}

/* Before anything runs again: /proc says every task has the filter. */
static int verify_filters(struct session *s, struct groups *gs, struct oci_error **err)
{
	struct verify v = { .gs = gs };

	tracee_for_each(&s->tasks, verify_one, &v);
	if (v.bad)
		return oci_fail(err, EPROTO, "task %d: not armed after the injection "
				"(Seccomp_filters: %d)", v.bad, v.seen);
	return 0;
}

static void release_vfork_child(struct tracee *t, void *data)
{
	struct session *s = data;

	if ((t->flags & TRACEE_F_VFORK_CHILD) && t->state == TRACEE_STOPPED &&
	    (t->flags & TRACEE_F_FILTERED)) {
		t->flags &= ~TRACEE_F_VFORK_CHILD;
		tracee_resume(s, t, t->stop == REPORT_SIGNAL ? t->stop_sig : 0);
	}
}

static void resume_one(struct tracee *t, void *data)
{
	const struct session *s = data;

	/* a vfork parent still waiting stays marked: the loop clears it (loop.c) */
	t->flags &= ~TRACEE_F_VFORK_CHILD;
	if (t->state == TRACEE_STOPPED)
		tracee_resume(s, t, t->stop == REPORT_SIGNAL ? t->stop_sig : 0);
}

static void arm_one(struct tracee *t, void *data)
{
	(void)data;
	t->armed = true;
}

static void count_groups(struct tracee *t, void *data)
{
	struct groups *gs = data;

	group_of(gs, tracee_tgid(t));
}

size_t attach_count_processes(struct session *s)
{
	struct groups gs = { 0 };
	size_t n;

	tracee_for_each(&s->tasks, count_groups, &gs);
	n = gs.n;
	free(gs.v);
	return n;
}

/* One round: the tree stopped, every group that can be filtered filtered. Returns 1 when a
 * vfork is pending (another round is needed), 0 when done, -1 on error. */
static int attach_round(struct session *s, pid_t pid, const struct oci_filter *filter,
			struct oci_error **err)
{
	struct groups gs = { 0 };
	int rc;

	if (seize_tree(s, pid, err) < 0)
		return -1;
	tracee_for_each(&s->tasks, gather, &gs);
	rc = filter ? check_listeners(s, &gs, err) : 0;
	if (rc == 0 && filter)
		rc = inject_groups(s, &gs, filter, err);
	if (rc == 0) {
		bool pending = false;

		for (size_t i = 0; i < gs.n; i++)
			pending |= !gs.v[i].filtered && filter;
		if (!pending && filter)
			rc = verify_filters(s, &gs, err);
		else if (pending)
			rc = 1;
	}
	free(gs.v);
	return rc;
}

static int attach_tree(struct session *s, pid_t pid, const struct oci_filter *filter,
		       struct oci_error **err)
{
	for (int round = 0; round < MAX_ROUNDS; round++) {
		int rc = attach_round(s, pid, filter, err);

		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		/* a vfork parent cannot stop before its child execs or exits: let the (filtered)
		 * vfork children go and take the parents in the next round */
		tracee_for_each(&s->tasks, release_vfork_child, s);
	}
	return oci_fail(err, EAGAIN, "process %d: the tree kept vforking while octrace attached",
			pid);
}

static void mark_reattached(struct tracee *t, void *data)
{
	(void)data;
	t->flags |= TRACEE_F_FILTERED; /* its filter is the one octrace injected before */
}

/* The filter an attach injects. A re-attach: none (the one in place is octrace's, §25).
 * Learning: the learning forms. Armed at once: the enforce-mode filter (its slots are the
 * tracer-mode one's). An enforcing attach that arms at the exec gets the setup filter, the
 * guards alone: until then octrace applies nothing else, and the enforce-mode filter stacked
 * at the exec has the whole policy (a runtime's ~25 setup calls that the policy denies no
 * longer stop). Complain mode keeps the tracer-mode filter: nothing is stacked at its exec. */
static const struct oci_filter *attach_filter(const struct session *s, bool arm,
					      struct oci_filter **setup)
{
	if (s->reattach)
		return NULL;
	if (s->learn_filter || s->learn_arm_filter)
		return session_attach_filter(s, arm);
	if (s->filter == NULL)
		return NULL;
	if (s->arm_filter == NULL)
		return s->filter;
	if (arm)
		return s->arm_filter;
	oci_filter_to_setup(s->filter, setup);
	return *setup;
}

int attach_process(struct session *s, pid_t pid, bool arm, struct oci_error **err)
{
	cleanup_oci_filter struct oci_filter *setup = NULL;
	struct audit *audit = s->audit;
	int rc;

	/* nothing is logged before the attach event: a thread that dies while we seize is
	 * the process's past, not what we traced */
	s->audit = NULL;
	rc = attach_tree(s, pid, attach_filter(s, arm, &setup), err);
	s->audit = audit;
	if (rc < 0) {
		session_detach_all(s);
		return -1;
	}
	if (arm) {
		tracee_for_each(&s->tasks, arm_one, NULL);
		s->arm_default = true;
	}
	if (s->reattach)
		tracee_for_each(&s->tasks, mark_reattached, NULL);
	tracee_for_each(&s->tasks, resume_one, s);
	return 0;
}

/* Policy reloads (tracer/reload.h). */

struct restack {
	struct session *s;
	struct groups gs;
	unsigned gen;
};

/* Whether a task carries octrace's filter, to which a reload stacks the new one: in enforce
 * mode an armed task (one not armed yet gets the new enforce-mode filter at its exec), in
 * complain mode any task with the tracer-mode filter. A joining task has none yet. */
static bool restack_wanted(const struct session *s, const struct tracee *t)
{
	if (t->flags & TRACEE_F_JOINING)
		return false;
	if (s->mode == MODE_ENFORCE)
		return t->armed && (t->flags & (TRACEE_F_FILTERED | TRACEE_F_ARM_FILTER));
	return t->flags & TRACEE_F_FILTERED;
}

static void interrupt_running(struct tracee *t, void *data)
{
	(void)data;
	if (t->state == TRACEE_RUNNING && ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		tracee_request_failed(t, "PTRACE_INTERRUPT");
}

static void gather_restack(struct tracee *t, void *data)
{
	struct restack *r = data;
	struct group *g;
	int score;

	if (t->state == TRACEE_EXITING || t->state == TRACEE_DYING)
		return;
	g = group_of(&r->gs, tracee_tgid(t));
	if (restack_wanted(r->s, t) && t->policy_gen != r->gen)
		g->filtered = false;
	score = injectee_score(t);
	if (score > g->score)
		g->score = score, g->injectee = t;
}

struct restacked {
	pid_t tgid;
	unsigned gen;
	unsigned flags; /* added (0: deferred) */
	bool diverts; /* the new filter answers the reserved ERRNO range too (§28) */
};

static void mark_restacked(struct tracee *t, void *data)
{
	const struct restacked *m = data;

	if (tracee_tgid(t) != m->tgid)
		return;
	if (m->flags == 0) {
		if (t->state != TRACEE_EXITING && t->state != TRACEE_DYING)
			t->flags |= TRACEE_F_RESTACK;
		return;
	}
	t->flags = (t->flags & ~TRACEE_F_RESTACK) | m->flags;
	if (!m->diverts)
		t->flags &= ~TRACEE_F_OWN_FILTERS;
	t->policy_gen = m->gen;
}

int attach_restack(struct session *s, const struct oci_filter *filter, unsigned gen,
		   struct restack_result *res, struct oci_error **err)
{
	struct restack r = { .s = s, .gen = gen };
	int rc;

	memset(res, 0, sizeof(*res));
	tracee_for_each(&s->tasks, interrupt_running, NULL);
	rc = wait_all_stopped(s, err);
	if (rc == 0) {
		tracee_for_each(&s->tasks, gather_restack, &r);
		for (size_t i = 0; i < r.gs.n; i++) {
			cleanup_oci_error struct oci_error *e = NULL;
			struct group *g = &r.gs.v[i];
			struct restacked m = { g->tgid, gen, TRACEE_F_FILTERED,
					       oci_filter_diverts_errno(filter) };

			if (g->filtered)
				continue;
			if (filter == s->arm_filter)
				m.flags |= TRACEE_F_ARM_FILTER;
			if (g->injectee == NULL) {
				/* every thread waits in vfork, or sits in a group-stop: at its next
				 * event-stop (loop.c) */
				m.flags = 0;
				res->deferred++;
			} else if (inject_filter(s, g->injectee, filter, &e) == 0) {
				res->processes++;
			} else {
				/* the process keeps only the filters it had: in enforce mode it
				 * cannot run on under a policy it escaped (fail closed) */
				log_warn("process %d: the new policy's filter not installed (%s)%s",
					 g->tgid, e ? e->msg : "?",
					 s->mode == MODE_ENFORCE ? ": killed" : "");
				if (s->mode == MODE_ENFORCE)
					kill(g->tgid, SIGKILL);
				metrics_failure(s->metrics, METRICS_FILTER_NOT_INSTALLED);
				res->failed++;
			}
			tracee_for_each(&s->tasks, mark_restacked, &m);
		}
	}
	free(r.gs.v);
	tracee_for_each(&s->tasks, resume_one, s);
	return rc;
}
