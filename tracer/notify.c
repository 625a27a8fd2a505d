/* Denials by seccomp user notification (notify.h; docs/kernel-behaviours.md §29). */
#include "notify.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enforce.h"
#include "log.h"
#include "metrics.h"
#include "observe.h"
#include "procfs.h"

struct notifier {
	int fd; /* the listener */
	struct oci_filter *filter; /* owned: the program it listens to */
	int quit; /* eventfd: notify_stop() */
	pthread_t thread;
	struct session *s;
	unsigned long served, lost;
};

static void notifier_free(struct notifier *n)
{
	if (n->quit >= 0)
		close(n->quit);
	close(n->fd);
	oci_filter_free(n->filter);
	free(n);
}

/* One session per process: the lock is the process's. */
static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;

pid_t session_waitpid(const struct session *s, pid_t pid, int *status, int options)
{
	bool let_in = s->notify && !(options & WNOHANG);
	pid_t rc;
	int saved;

	if (let_in)
		pthread_mutex_unlock(&session_lock);
	rc = waitpid(pid, status, options);
	saved = errno;
	if (let_in)
		pthread_mutex_lock(&session_lock);
	errno = saved;
	return rc;
}

/* The last of NSpid is 1 and there is more than one: the init of a pid namespace of its own.
 * Nothing outside the session can then address the task while it holds its listener but
 * the host's processes, which are trusted. */
static bool pid_ns_init(pid_t tid)
{
	char value[256], *last;

	if (proc_status_field(tid, "NSpid", value, sizeof(value)) != 0)
		return false;
	last = strrchr(value, '\t');
	if (last == NULL)
		last = strrchr(value, ' ');
	return last && strcmp(last + 1, "1") == 0;
}

/* pidfd_getfd needs ptrace access to the task: a process of its user (uid, euid and suid
 * its caller's), or one with CAP_SYS_PTRACE. A task all root's can lose its listener only to
 * root's processes, trusted; under an unprivileged `octrace run`, any process of that user
 * outside the session could take it in the moment the task holds it, and answer CONTINUE. */
static bool only_root_reaches(pid_t tid)
{
	char value[256];
	unsigned r, e, saved, fs;

	return proc_status_field(tid, "Uid", value, sizeof(value)) == 0 &&
	       sscanf(value, "%u %u %u %u", &r, &e, &saved, &fs) == 4 && r == 0 && e == 0 &&
	       saved == 0 && fs == 0;
}

bool notify_wanted(const struct session *s, const struct tracee *t)
{
	const char *by = getenv("OCTRACE_DENY_BY");

	if (by && strcmp(by, "stop") == 0)
		return false;
	/* alone: no other task can take the listener from the task's fd table or through a
	 * pidfd in the moment it holds it (§29). Not at audit level all: every call stops at
	 * its entry and exit there anyway, and a notification between the two costs more than
	 * the denial's own stop (its thread and the tracer's take turns at the session lock) */
	return s->mode == MODE_ENFORCE && !s->syscall_stops && s->notify == NULL &&
	       s->arm_filter && s->filter &&
	       s->policy && !s->policy->listener_path && s->tasks.count == 1 &&
	       t->stop == REPORT_EXEC && !(t->flags & TRACEE_F_JOINING) &&
	       ((s->forward_stop && only_root_reaches(t->tid)) || pid_ns_init(t->tid));
}

/* A notification: the syscall as a seccomp stop would show it, decided, recorded, answered.
 * Recorded first: its arguments are decoded from the task's memory, and its comm read, while
 * it still waits. Once read, only its death takes the task out of the wait (the filter has
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV); a signal before that withdraws the notification,
 * and enforce_fix_withdrawn() answers and records the call at the signal's delivery stop. */
static void serve(struct notifier *n, const struct seccomp_notif *req, uint64_t t0)
{
	struct session *s = n->s;
	struct __ptrace_syscall_info info = {
		.op = PTRACE_SYSCALL_INFO_SECCOMP,
		.arch = req->data.arch,
		.instruction_pointer = req->data.instruction_pointer,
	};
	struct seccomp_notif_resp resp = { .id = req->id };
	struct tracee *t = tracee_find(&s->tasks, (pid_t)req->pid);
	struct decision d;

	info.seccomp.nr = (uint64_t)req->data.nr;
	memcpy(info.seccomp.args, req->data.args, sizeof(info.seccomp.args));
	if ((pid_t)req->pid == s->injecting) {
		/* a call octrace injected (tracer/inject.h): its own, not the program's; the
		 * program runs no instruction meanwhile */
		t = NULL;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		enforce_notified(s, t, (pid_t)req->pid, &info, &d, &resp);
	}
	if (t)
		observe_seccomp(s, t, &info, &d);
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
		/* ENOENT: the task left the wait (a signal, a ptrace interrupt, its death) */
		if (errno != ENOENT)
			log_warn_errno("seccomp notification: SEND");
		n->lost++;
	} else {
		n->served++;
	}
	if (t)
		metrics_notified(s->metrics, t0);
}

static void *notify_thread(void *arg)
{
	struct notifier *n = arg;
	struct pollfd p[2] = { { .fd = n->fd, .events = POLLIN }, { .fd = n->quit, .events = POLLIN } };

	for (;;) {
		struct seccomp_notif req;
		uint64_t t0;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn_errno("seccomp notification: poll");
			break;
		}
		if (p[1].revents)
			break;
		/* POLLHUP: no task is left under the filter */
		if (!(p[0].revents & POLLIN))
			break;
		memset(&req, 0, sizeof(req));
		t0 = metrics_clock(n->s->metrics);
		if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			log_warn_errno("seccomp notification: RECV");
			break;
		}
		pthread_mutex_lock(&session_lock);
		serve(n, &req, t0);
		observe_flush(n->s); /* nothing waits in memory while this thread sleeps */
		pthread_mutex_unlock(&session_lock);
	}
	return NULL;
}

int notify_start(struct session *s, int fd, struct oci_filter *filter)
{
	struct notifier *n = calloc(1, sizeof(*n));
	sigset_t all, old;
	int rc;

	if (n == NULL)
		abort();
	n->fd = fd;
	n->filter = filter;
	n->s = s;
	n->quit = eventfd(0, EFD_CLOEXEC);
	if (n->quit < 0) {
		log_warn_errno("seccomp notification: eventfd");
		notifier_free(n);
		return -1;
	}
	/* the task's wake-up runs the tracer's thread on the task's CPU (Linux >= 6.6): the
	 * two take turns like coroutines; older kernels: an ordinary wake-up */
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
		log_debug("seccomp notification: no synchronous wake-up (%m)");
	pthread_mutex_lock(&session_lock); /* the tracer's thread holds it from now on */
	s->notify = n;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&n->thread, NULL, notify_thread, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		s->notify = NULL;
		pthread_mutex_unlock(&session_lock);
		log_warn("seccomp notification: cannot start its thread: %s", strerror(rc));
		notifier_free(n);
		return -1;
	}
	return 0;
}

void notify_stop(struct session *s)
{
	struct notifier *n = s->notify;
	uint64_t one = 1;

	if (n == NULL)
		return;
	if (write(n->quit, &one, sizeof(one)) < 0)
		log_warn_errno("seccomp notification: eventfd write");
	pthread_mutex_unlock(&session_lock); /* the thread may be waiting for it */
	pthread_join(n->thread, NULL);
	s->notify = NULL;
	log_debug("seccomp notification: %lu answered, %lu withdrawn by their task", n->served,
		  n->lost);
	notifier_free(n);
}

bool notify_covers(const struct session *s, uint32_t arch, int nr, const uint64_t args[6])
{
	uint32_t ret;

	if (s->notify == NULL)
		return false;
	ret = oci_filter_run(s->notify->filter, arch, nr, args, 0);
	return (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
}
