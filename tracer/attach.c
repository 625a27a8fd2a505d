#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "inject.h"
#include "log.h"
#include "procfs.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* 1: traced by us, 0: by someone else or nobody, -1: the thread is gone (or going). */
static int traced_by_us(pid_t tid)
{
	char value[32];

	if (proc_status_field(tid, "TracerPid", value, sizeof(value)) != 0)
		return -1;
	return strtol(value, NULL, 10) == getpid();
}

/* One pass over /proc/PID/task: seize and interrupt every thread not seized yet.
 * Returns how many were new, or -1. A thread that exits meanwhile (ESRCH) is skipped. */
static int seize_pass(struct session *s, pid_t pid, struct oci_error **err)
{
	__attribute__((cleanup(closedirp))) DIR *dir = NULL;
	char path[64];
	struct dirent *de;
	int added = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (dir == NULL)
		return oci_fail(err, errno, "process %d: %s", pid,
				errno == ENOENT ? "no such process" : strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);

		if (tid <= 0 || tracee_find(&s->tasks, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, session_ptrace_options(s)) < 0) {
			if (errno == ESRCH)
				continue;
			/* Created by a thread we seized already: auto-attached, first stop
			 * not collected yet. */
			if (errno == EPERM) {
				int traced = traced_by_us(tid);

				if (traced < 0) /* exited meanwhile (§7) */
					continue;
				if (traced) {
					tracee_get(&s->tasks, tid)->tgid = pid;
					added++;
					continue;
				}
				errno = EPERM;
			}
			return oci_fail(err, errno, "cannot trace process %d (thread %d): %s%s", pid,
					tid, strerror(errno),
					errno == EPERM ? " (already traced, or no permission)" : "");
		}
		tracee_get(&s->tasks, tid)->tgid = pid;
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH)
			return oci_fail(err, errno, "PTRACE_INTERRUPT %d: %s", tid, strerror(errno));
		added++;
	}
	return added;
}

static void count_running(struct tracee *t, void *data)
{
	if (t->state == TRACEE_RUNNING || t->state == TRACEE_DYING)
		++*(size_t *)data;
}

/* Record a stop without resuming it; exits and deaths go through the session. */
static void hold_stop(struct session *s, pid_t tid, int status)
{
	int event = (unsigned)status >> 16;

	if (!WIFSTOPPED(status) || event == PTRACE_EVENT_EXIT) {
		session_dispatch(s, tid, status);
		return;
	}
	struct tracee *t = tracee_get(&s->tasks, tid);

	tracee_set_stop(t, status);
	if (t->flags & TRACEE_F_NEW)
		tracee_tgid(t); /* a thread or child created while we attach */
	t->flags &= ~TRACEE_F_NEW;
	if (t->stop == STOP_CLONE) {
		unsigned long child = 0;

		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0)
			tracee_get(&s->tasks, (pid_t)child);
	} else if (t->stop != STOP_EVENT_STOP && t->stop != STOP_GROUP &&
		   t->stop != STOP_SIGNAL) {
		/* seccomp, exec, syscall stops: resumed later exactly like the loop does */
		session_dispatch(s, tid, status);
	}
}

/* Block until every seized task sits in a stop (new ones created meanwhile included). */
static int wait_all_stopped(struct session *s, struct oci_error **err)
{
	for (;;) {
		size_t running = 0;
		int status;
		pid_t tid;

		tracee_for_each(&s->tasks, count_running, &running);
		if (running == 0)
			return 0;
		tid = waitpid(-1, &status, __WALL);
		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0)
			return oci_fail(err, errno, "waitpid: %s", strerror(errno));
		hold_stop(s, tid, status);
	}
}

struct pick {
	struct tracee *best;
	int score;
};

/* Prefer a thread stopped by our interrupt inside an ordinary syscall; avoid the syscalls
 * that swap the signal mask (their restart is more delicate) and anything else. */
static void pick_injectee(struct tracee *t, void *data)
{
	struct pick *p = data;
	int score = 0;

	if (t->state != TRACEE_STOPPED || t->stop != STOP_EVENT_STOP)
		return;
	score = 1;
	long nr = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, orig_rax), 0);

	if (nr != SYS_ppoll && nr != SYS_pselect6 && nr != SYS_rt_sigsuspend &&
	    nr != SYS_epoll_pwait && nr != SYS_epoll_pwait2)
		score = 2;
	if (score > p->score)
		*p = (struct pick){ .best = t, .score = score };
}

static void resume_one(struct tracee *t, void *data)
{
	const struct session *s = data;

	if (t->state == TRACEE_STOPPED)
		tracee_resume(s, t, t->stop == STOP_SIGNAL ? t->stop_sig : 0);
}

static int attach_stop_arm_resume(struct session *s, pid_t pid, struct oci_error **err);

static int seize_all(struct session *s, pid_t pid, struct oci_error **err)
{
	int added;

	do {
		added = seize_pass(s, pid, err);
		if (added < 0)
			return -1;
	} while (added > 0);
	if (s->tasks.count == 0)
		return oci_fail(err, ESRCH, "process %d: no such process", pid);
	return 0;
}

int attach_process(struct session *s, pid_t pid, struct oci_error **err)
{
	struct audit *audit = s->audit;
	int rc;

	/* nothing is logged before the attach event: a thread that dies while we seize is
	 * the process's past, not what we traced */
	s->audit = NULL;
	rc = attach_stop_arm_resume(s, pid, err);
	s->audit = audit;
	return rc;
}

static int attach_stop_arm_resume(struct session *s, pid_t pid, struct oci_error **err)
{
	if (seize_all(s, pid, err) < 0 || wait_all_stopped(s, err) < 0)
		goto fail;
	if (s->filter) {
		struct pick p = { 0 };

		tracee_for_each(&s->tasks, pick_injectee, &p);
		if (p.best == NULL) {
			oci_fail(err, ESRCH, "process %d: no thread left to install the filter", pid);
			goto fail;
		}
		if (inject_filter(s, p.best, s->filter, err) < 0)
			goto fail;
	}
	tracee_for_each(&s->tasks, resume_one, s);
	return 0;
fail:
	session_detach_all(s);
	return -1;
}
