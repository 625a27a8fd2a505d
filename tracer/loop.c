/* The wait loop and the per-report state transitions (docs/kernel-behaviours.md, all of it).
 *
 * One waitpid(-1, __WALL) for every task: never block on one tid, because a task held in
 * PTRACE_EVENT_EXIT can hold up the death of its whole thread group (§14). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "divert.h"
#include "enforce.h"
#include "inject.h"
#include "join.h"
#include "log.h"
#include "notify.h"
#include "metrics.h"
#include "observe.h"
#include "procfs.h"
#include "reload.h"
#include "session.h"

volatile sig_atomic_t session_stop_signal;
volatile sig_atomic_t session_reload_signal;
static volatile pid_t wake_target;
static volatile sig_atomic_t hup_reloads;

/* A vfork child's exec or death ends its parent's wait. */
static void vfork_done(struct session *s, struct tracee *child)
{
	struct tracee *parent;

	if (child == NULL || child->vfork_parent == 0)
		return;
	parent = tracee_find(&s->tasks, child->vfork_parent);
	if (parent)
		parent->flags &= ~TRACEE_F_IN_VFORK;
	child->vfork_parent = 0;
}

static void on_death(struct session *s, const struct report *r)
{
	struct tracee *t = tracee_find(&s->tasks, r->tid);

	if (t && (t->flags & (TRACEE_F_DIVERTED | TRACEE_F_INSTALL_HELD)))
		divert_seen(s, t);
	vfork_done(s, t);
	observe_death(s, t, r->tid, r->status);
	/* the root's status; a root whose leader was a zombie already when octrace attached is
	 * never traced itself: its last thread's status is the process's */
	if (r->tid == s->root ||
	    (t && t->tgid == s->root && r->tid != s->root && !tracee_find(&s->tasks, s->root) &&
	     !(s->stopped_by && s->detach_on_stop))) { /* not a thread ending as octrace lets go */
		s->root_status = r->status;
		join_close(s); /* nothing joins a container whose init is gone */
	}
	if (t && (t->flags & TRACEE_F_JOINED) && t->tid == t->tgid && s->joins)
		log_info("container %s: joined process %d exited, %s %d", s->joins->name, t->tid,
			 WIFSIGNALED(r->status) ? "signal" : "status",
			 WIFSIGNALED(r->status) ? WTERMSIG(r->status) : WEXITSTATUS(r->status));
	log_debug("task %d gone (%s %d)", r->tid, report_kind_name(r->kind), r->sig);
	tracee_remove(&s->tasks, r->tid);
}

/* A root whose leader was a zombie already when octrace attached is not traced itself, and
 * its other threads may be reaped without a status for the tracer (§3): the exit code in
 * their exit stops is the process's. */
static void note_root_exit(struct session *s, struct tracee *t)
{
	unsigned long status;

	if (t->tgid == s->root && t->tid != s->root && !tracee_find(&s->tasks, s->root) &&
	    ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &status) == 0)
		s->root_status = (int)status;
}

/* The traced task named by `field` (Tgid, PPid) of /proc/TID/status, other than itself. */
static struct tracee *family(struct session *s, pid_t tid, const char *field)
{
	char value[32];
	struct tracee *kin;

	if (proc_status_field(tid, field, value, sizeof(value)) != 0)
		return NULL;
	kin = tracee_find(&s->tasks, (pid_t)strtol(value, NULL, 10));
	return kin && kin->tid != tid ? kin : NULL;
}

/* What a task takes from the task that created it: its filters are the creator's. */
#define INHERITED_FLAGS \
	(TRACEE_F_FILTERED | TRACEE_F_ARM_FILTER | TRACEE_F_JOINING | TRACEE_F_OWN_FILTERS)

static void inherit(struct tracee *child, const struct tracee *creator)
{
	child->armed = creator->armed;
	child->policy_gen = creator->policy_gen;
	child->flags |= creator->flags & INHERITED_FLAGS;
}

/* A task's first report came before its creator's clone/fork event (§5, §14): take what its
 * thread group has, else its parent process, else the session's armed-ness. The creator's
 * event, if it comes, has the last word. */
void session_adopt(struct session *s, struct tracee *t)
{
	struct tracee *kin;

	t->flags &= ~TRACEE_F_NEW;
	observe_first_stop(s, t);
	if (t->flags & TRACEE_F_CREATOR_SEEN)
		return;
	kin = family(s, t->tid, "Tgid");
	if (kin == NULL)
		kin = family(s, t->tid, "PPid");
	if (kin)
		inherit(t, kin);
	else
		t->armed = s->arm_default;
}

static struct restart on_new_task(struct session *s, struct tracee *parent,
				  const struct report *r)
{
	unsigned long msg = 0;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, 0, &msg) < 0) {
		tracee_request_failed(parent, "PTRACE_GETEVENTMSG");
		return RESUME(0);
	}
	/* The child may already have reported (§5): tracee_get finds or creates it. */
	struct tracee *child = tracee_get(&s->tasks, (pid_t)msg);

	if (!(child->flags & TRACEE_F_CREATOR_SEEN))
		child->flags &= ~INHERITED_FLAGS;
	inherit(child, parent);
	child->flags |= TRACEE_F_CREATOR_SEEN;
	if (r->kind != REPORT_CLONE)
		child->tgid = child->tid; /* a new process: no need to ask /proc */
	if (r->kind == REPORT_VFORK) {
		/* it waits once resumed, until the child's exec or death: a reload does not wait
		 * for it to stop (attach.c) */
		child->flags |= TRACEE_F_VFORK_CHILD;
		child->vfork_parent = parent->tid;
		parent->flags |= TRACEE_F_IN_VFORK;
	}
	log_debug("task %d created %d (%s)", parent->tid, child->tid,
		  child->flags & TRACEE_F_NEW ? "first" : "already reported");
	observe_new_task(s, parent, r->kind, child->tid);
	return RESUME(0);
}

/* exec from a non-leader thread: it reports under the leader's tid, and the event message
 * holds its former tid (§4). Its entry (with its syscall in progress) moves to the leader's
 * tid; the old leader's entry is gone with the leader. Returns the task that exec'd. */
static struct tracee *route_exec(struct session *s, const struct report *r, pid_t *former)
{
	unsigned long msg = 0;

	*former = r->tid;
	if (ptrace(PTRACE_GETEVENTMSG, r->tid, 0, &msg) < 0)
		return tracee_get(&s->tasks, r->tid); /* dying: the handler's requests fail too */
	*former = (pid_t)msg;
	if (*former != r->tid && tracee_find(&s->tasks, *former)) {
		log_debug("exec: task %d is now %d", *former, r->tid);
		return tracee_rekey(&s->tasks, *former, r->tid);
	}
	return tracee_get(&s->tasks, r->tid);
}

/* The enforce-mode filter with its denials by notification (tracer/notify.h): 1 installed
 * and served; 0 nothing installed, the ordinary filter goes instead (the policy has no ERRNO
 * slot, or a listener exists already: EBUSY); -1 failed, the task must be killed. */
static int arm_with_listener(struct session *s, struct tracee *t, struct oci_error **err)
{
	cleanup_oci_filter struct oci_filter *nf = NULL;
	cleanup_oci_error struct oci_error *e = NULL;
	pid_t tid = t->tid;
	bool installed;

	if (!oci_filter_to_notify(s->arm_filter, &nf))
		return 0;
	if (inject_filter_listener(s, t, &nf, &installed, &e) < 0) {
		/* EBUSY: a listener exists already; EINVAL: no WAIT_KILLABLE_RECV (Linux <
		 * 5.19); EMFILE: no fd for the listener */
		if (!installed && e && (e->code == EBUSY || e->code == EINVAL || e->code == EMFILE) &&
		    tracee_find(&s->tasks, tid) == t) {
			log_debug("process %d: no seccomp listener (%s): denials stop", tid, e->msg);
			return 0;
		}
		*err = steal_pointer(&e);
		return -1;
	}
	t->flags |= TRACEE_F_NOTIFIED;
	log_debug("process %d: armed, denials by notification", tid);
	return 1;
}

/* Stack the enforce-mode filter on the task (its only thread, after the exec), so that the
 * kernel itself applies the policy's KILL and TRAP actions from the program's first
 * instruction, with their precedence over any filter the program adds (docs/kernel-
 * behaviours.md §15). A program that cannot get it — one that made its own filter refuse
 * seccomp(2) before the exec, say — would run with those actions outranked by its own
 * filters: it is killed instead (fail closed). False when the task died meanwhile: its death
 * was handled during the injection, and `t` is gone with it. */
static bool arm_in_kernel(struct session *s, struct tracee *t)
{
	pid_t tid = t->tid;
	cleanup_oci_error struct oci_error *err = NULL;
	/* enforce mode: the enforce-mode filter; complain mode: the tracer-mode one, for a
	 * process that has none yet (one that joined a container: its runtime got none) */
	const struct oci_filter *f = s->arm_filter        ? s->arm_filter
				     : t->flags & TRACEE_F_FILTERED ? NULL
								    : s->filter;

	int before, rc = 0;

	if (f == NULL || (t->flags & TRACEE_F_ARM_FILTER))
		return true;
	before = proc_seccomp_filters(tid);
	if (f == s->arm_filter && notify_wanted(s, t))
		rc = arm_with_listener(s, t, &err);
	if (rc == 0) /* not wanted, or not possible: the ordinary filter */
		rc = inject_filter(s, t, f, &err) == 0 ? 1 : -1;
	if (rc == 1) {
		/* the enforce-mode filter has every TRACE of the tracer-mode one too */
		t->flags |= TRACEE_F_FILTERED | (f == s->arm_filter ? TRACEE_F_ARM_FILTER : 0);
		t->policy_gen = s->policy_gen;
		divert_after_inject(t, f, before);
		return true;
	}
	if (tracee_find(&s->tasks, tid) == NULL) {
		log_debug("process %d: died while its enforce-mode filter was installed", tid);
		return false; /* reaped: its tid may be anyone's now, nothing to kill */
	}
	log_warn("process %d: enforce-mode filter not installed (%s): killed", tid,
		 err ? err->msg : "?");
	metrics_failure(s->metrics, METRICS_FILTER_NOT_INSTALLED);
	kill(tid, SIGKILL);
	return true;
}

/* An exec arms the task: the policy applies to the program from its first instruction. */
static struct restart on_exec(struct session *s, struct tracee *t, pid_t former)
{
	struct proc_ns ns;

	t->flags &= ~TRACEE_F_NEW;
	t->tgid = t->tid; /* after an exec the task is its group's leader */
	vfork_done(s, t);
	if ((t->flags & TRACEE_F_JOINING) &&
	    (proc_ns_id(t->tid, "mnt", &ns) < 0 || ns.ino != s->arm_mnt.ino ||
	     ns.dev != s->arm_mnt.dev))
		return RESUME(0); /* the runtime's own exec, outside the container */
	if (!t->armed) {
		log_debug("exec by %d: policy armed", t->tid);
		if (!arm_in_kernel(s, t))
			return HOLD; /* gone: nothing left to resume */
		t->armed = true;
		s->arm_default = true;
		observe_armed(s, t); /* "join" for a joining task, which is the container's now */
		if (t->flags & TRACEE_F_JOINING)
			t->flags = (t->flags & ~TRACEE_F_JOINING) | TRACEE_F_JOINED;
	}
	observe_exec(s, t, former);
	return RESUME(0);
}

static struct restart on_signal(struct session *s, struct tracee *t)
{
	if (s->notify)
		enforce_fix_withdrawn(s, t);
	if (t->stop_sig == SIGSYS)
		enforce_fix_trap(s, t);
	return RESUME(t->stop_sig);
}

static struct restart on_stop(struct session *s, struct tracee *t, const struct report *r,
			      pid_t former)
{
	switch (r->kind) {
	case REPORT_SYSCALL:
		observe_syscall_stop(s, t);
		return RESUME(0);
	case REPORT_SIGNAL:
		return on_signal(s, t);
	case REPORT_SECCOMP:
		return enforce_seccomp_stop(s, t);
	case REPORT_CLONE:
	case REPORT_FORK:
	case REPORT_VFORK:
		return on_new_task(s, t, r);
	case REPORT_EXEC:
		return on_exec(s, t, former);
	case REPORT_EXIT:
		/* Always resumed, even for a SIGKILLed task, or it never dies (§1). */
		note_root_exit(s, t);
		enforce_exit_stop(s, t);
		observe_exit_stop(s, t);
		return RESUME(0);
	default:
		/* PTRACE_EVENT_STOP: a new task's first stop, our PTRACE_INTERRUPT, the wake-up of
		 * a LISTENed task by SIGCONT — or a group-stop, which tracee_resume() LISTENs to */
		return RESUME(0);
	}
}

/* During the attach, the stops it collects stay stopped: interrupts, first stops, signal
 * deliveries (their signal is injected at the final resume) and group-stops. */
static bool held_by_attach(const struct report *r)
{
	return r->kind == REPORT_EVENT_STOP || r->kind == REPORT_GROUP_STOP ||
	       r->kind == REPORT_SIGNAL;
}

void session_dispatch(struct session *s, const struct report *r, bool hold_interrupts)
{
	struct tracee *t;
	struct restart rs;
	pid_t former = r->tid;

	if (report_is_death(r)) {
		if (!join_on_report(s, r))
			on_death(s, r);
		return;
	}
	if (r->kind == REPORT_EXEC)
		t = route_exec(s, r, &former);
	else
		t = tracee_get(&s->tasks, r->tid);
	tracee_stopped(t, r);
	if (t->flags & (TRACEE_F_DIVERTED | TRACEE_F_INSTALL_HELD))
		divert_seen(s, t);
	if (t->flags & TRACEE_F_NEW)
		session_adopt(s, t);
	if ((t->flags & TRACEE_F_RESTACK) && r->kind == REPORT_EVENT_STOP) {
		/* held: the loop's top stacks the reloaded policy's filter on its process */
		s->restack_pending = true;
		return;
	}
	rs = hold_interrupts && held_by_attach(r) ? HOLD : on_stop(s, t, r, former);
	if (rs.op == RESTART_RESUME)
		tracee_resume(s, t, rs.sig);
	metrics_resumed(s->metrics); /* the time of a stop whose syscall was counted */
}

static void kill_one(struct tracee *t, void *data)
{
	(void)data;
	kill(t->tid, SIGKILL);
}

/* Let go of a stopped task, passing on the signal of a signal-delivery-stop. A pending
 * seccomp stop is denied first (ENOSYS, as with no tracer): detaching would run it (§14). */
static void detach_stopped(struct session *s, struct tracee *t)
{
	int sig = t->stop == REPORT_SIGNAL ? t->stop_sig : 0;

	if (t->stop == REPORT_SECCOMP && s->mode == MODE_ENFORCE &&
	    ptrace(PTRACE_POKEUSER, t->tid, offsetof(struct user_regs_struct, orig_rax), -1) == 0)
		ptrace(PTRACE_POKEUSER, t->tid, offsetof(struct user_regs_struct, rax), -ENOSYS);
	if (t->stop == REPORT_EXIT) {
		tracee_resume(s, t, 0);
		return;
	}
	if (ptrace(PTRACE_DETACH, t->tid, 0, sig) < 0 && errno != ESRCH) {
		log_warn_errno("detach %d", t->tid);
		tracee_resume(s, t, sig);
		return;
	}
	tracee_remove(&s->tasks, t->tid);
}

static void detach_one(struct tracee *t, void *data)
{
	struct session *s = data;

	if (t->state == TRACEE_STOPPED)
		detach_stopped(s, t);
	else if (t->state == TRACEE_RUNNING && ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		tracee_request_failed(t, "PTRACE_INTERRUPT");
	else if (t->state == TRACEE_EXITING)
		/* past its exit stop, maybe a zombie leader whose status waits for the other
		 * threads: nothing to detach, and octrace's exit releases it */
		tracee_remove(&s->tasks, t->tid);
}

/* Detach from every task, leaving none in a ptrace-stop: running ones are interrupted and
 * let go at their next stop; dying ones are waited for. */
void session_detach_all(struct session *s)
{
	observe_detach(s, s->tasks.count);
	tracee_for_each(&s->tasks, detach_one, s);
	while (s->tasks.count > 0) {
		int status;

		observe_flush(s);
		pid_t tid = session_waitpid(s, -1, &status, __WALL);

		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0)
			break;
		struct report r = report_classify(tid, status);

		if (report_is_death(&r)) {
			on_death(s, &r);
			continue;
		}
		struct tracee *t = tracee_get(&s->tasks, tid);

		tracee_stopped(t, &r);
		detach_stopped(s, t);
	}
}

/* SIGTERM/SIGINT to octrace (§13): `run` passes it to its command; an enforcing attach kills
 * what it enforces; an auditing one detaches, leaving no task in a ptrace-stop. */
static void handle_stop_request(struct session *s, int sig)
{
	s->stopped_by = sig;
	if (s->forward_stop) {
		if (s->root_status < 0)
			kill(s->root, sig);
		return;
	}
	join_close(s);
	if (s->detach_on_stop) {
		session_detach_all(s);
		return;
	}
	log_warn("signal %d: killing the traced processes (enforce mode)", sig);
	tracee_for_each(&s->tasks, kill_one, NULL);
}

/* Block for one report, then take every other one already waiting, and only then dispatch
 * them: waitpid(-1) favours the newest tracees, and dispatching one report at a time would
 * starve the oldest threads of a busy process (strace's next_event() batches for the same
 * reason). Once there are as many reports as tasks that can report, the batch is complete: a
 * task reports once until it is resumed, and the extra WNOHANG would cost every stop of a
 * single-threaded program one more syscall. The tasks that can report are the known ones,
 * and the creator of a task not known yet, whose event is most likely on its way (§5).
 * Returns the number collected, 0 when no traced task is left, -1 on EINTR. */
static int next_batch(const struct session *s, struct report *batch, int max)
{
	size_t can_report = s->tasks.count;
	int n = 0;

	for (;;) {
		int status;
		pid_t tid = session_waitpid(s, -1, &status, __WALL | (n ? WNOHANG : 0));

		if (tid < 0 && errno == EINTR && n == 0)
			return -1;
		if (tid <= 0) {
			if (tid < 0 && n == 0 && errno != ECHILD)
				log_warn_errno("waitpid");
			return n;
		}
		batch[n++] = report_classify(tid, status);
		if (!tracee_find(&s->tasks, tid))
			can_report++;
		if (n == max || (size_t)n >= can_report)
			return n;
	}
}

/* A batch is dispatched creators first: a new task's first stop often comes before its
 * creator's clone, fork or vfork event (§5); handled after it, the task takes its armed-ness
 * and filter from its creator instead of from /proc (session_adopt()). */
static void dispatch_batch(struct session *s, const struct report *batch, int n)
{
	for (int i = 0; i < n; i++)
		if (report_is_new_task(batch[i].kind))
			session_dispatch(s, &batch[i], false);
	for (int i = 0; i < n; i++)
		if (!report_is_new_task(batch[i].kind))
			session_dispatch(s, &batch[i], false);
}

void session_loop(struct session *s)
{
	struct report batch[64];

	/* from now on a stop request may interrupt a task to wake the loop; not during the
	 * attach, where an interrupt would cut an injection short */
	wake_target = s->root;
	join_open(s);
	for (;;) {
		int n;

		if (session_stop_signal) {
			int sig = session_stop_signal;

			session_stop_signal = 0;
			handle_stop_request(s, sig);
		}
		if (session_reload_signal) {
			session_reload_signal = 0;
			reload_ask(s);
		}
		/* between two batches: every report dispatched, no task held but these */
		if (s->reload)
			reload_apply_pending(s);
		observe_flush(s); /* nothing waits in memory while octrace sleeps */
		n = next_batch(s, batch, (int)N_ELEMENTS(batch));
		if (n == 0)
			return;
		metrics_batch(s->metrics);
		dispatch_batch(s, batch, n);
	}
}

static void stop_handler(int sig)
{
	int saved = errno;

	if (sig == SIGHUP && hup_reloads)
		session_reload_signal = 1;
	else
		session_stop_signal = sig;
	/* Wake the loop out of waitpid() even if every task sleeps: an interrupt stop. */
	if (wake_target > 0)
		ptrace(PTRACE_INTERRUPT, wake_target, 0, 0);
	errno = saved;
}

void session_install_signal_handlers(bool reloads)
{
	struct sigaction sa = { .sa_handler = stop_handler }; /* no SA_RESTART: EINTR wakes */
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

	wake_target = 0;
	hup_reloads = reloads;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
