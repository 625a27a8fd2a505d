#include "join.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "metrics.h"
#include "procfs.h"
#include "reload.h"
#include "session.h"

#define JOIN_BACKLOG 64
#define JOIN_REPLY_MAX 512

int join_listen(struct join_service *j, const char *name, const char *path,
		struct oci_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc;

	j->name = name;
	j->fd = j->ack = j->quit = j->extra = -1;
	j->doorbell = 0;
	j->running = false;
	if (strlen(path) >= sizeof(addr.sun_path) || strlen(path) >= sizeof(j->path))
		return oci_fail(err, ENAMETOOLONG, "join socket %s: name too long", path);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	j->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (j->fd < 0)
		return oci_fail(err, errno, "join socket: %s", strerror(errno));
	/* a socket file left by a daemon that died: nobody listens there any more */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	old = umask(0177);
	rc = bind(j->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0 || listen(j->fd, JOIN_BACKLOG) < 0 || lstat(path, &st) < 0) {
		int saved = errno;

		close(j->fd);
		j->fd = -1;
		return oci_fail(err, saved, "join socket %s: %s", path, strerror(saved));
	}
	snprintf(j->path, sizeof(j->path), "%s", path);
	j->ino = st.st_ino;
	j->dev = st.st_dev;
	return 0;
}

/* The doorbell (join.h): a thread that blocks in poll() on the listening socket. When a
 * connection waits it forks a child that exits at once — a report for the loop's waitpid(),
 * which the loop cannot miss — and waits until the loop has served the connections (`ack`),
 * or until join_close() (`quit`). The child is made with a bare clone(): no atfork handler
 * runs, and it only exits. */
static void *doorbell_thread(void *arg)
{
	struct join_service *j = arg;
	/* a negative fd is ignored by poll(): a socket closed or never opened */
	struct pollfd p[3] = { { .fd = j->quit, .events = POLLIN },
			       { .fd = j->fd, .events = POLLIN },
			       { .fd = j->extra, .events = POLLIN } };

	for (;;) {
		uint64_t n;
		long pid;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		/* the janitor's end closed: one last ring, then it is not watched any more */
		if (p[2].revents & (POLLHUP | POLLERR | POLLNVAL))
			p[2].fd = -1;
		/* the kernel stores the child's pid in j->doorbell before the child runs (so before
		 * the loop can see it exit); x86-64 order: flags, stack, parent_tid, child_tid */
		pid = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &j->doorbell, NULL, 0);
		if (pid == 0)
			syscall(SYS_exit_group, 0);
		if (pid < 0)
			break;
		p[1].revents = p[2].revents = 0;
		struct pollfd w[2] = { { .fd = j->ack, .events = POLLIN },
				       { .fd = j->quit, .events = POLLIN } };
		while (poll(w, 2, -1) < 0 && errno == EINTR)
			;
		if (w[1].revents || read(j->ack, &n, sizeof(n)) < 0)
			break;
	}
	return NULL;
}

void join_open(struct session *s)
{
	struct join_service *j = s->joins;
	sigset_t all, old;

	if (j == NULL || (j->fd < 0 && j->extra < 0) || j->running)
		return;
	j->ack = eventfd(0, EFD_CLOEXEC);
	j->quit = eventfd(0, EFD_CLOEXEC);
	if (j->ack < 0 || j->quit < 0) {
		log_warn_errno("join: eventfd");
		return;
	}
	/* the thread takes no signal: the tracer's handlers run in the tracer's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	j->running = pthread_create(&j->thread, NULL, doorbell_thread, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!j->running)
		log_warn("join: cannot start the doorbell thread");
}

/* "ok", or "error MESSAGE": one packet, never blocking (the peer waits for it). */
static void reply(int fd, const char *error)
{
	char buf[JOIN_REPLY_MAX];
	int n = error ? snprintf(buf, sizeof(buf), "error %s\n", error)
		      : snprintf(buf, sizeof(buf), "ok\n");

	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_warn_errno("join: reply");
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Seize the process at the other end of `conn`: it blocks reading our reply, so it is
 * single-threaded and at a known place. It is the runtime's (not armed, no filter) until an
 * exec inside the container arms it. */
static int seize_peer(struct session *s, int conn, pid_t *out, struct oci_error **err)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	cleanup_close int pidfd = -1;
	char threads[16];
	struct tracee *t;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return oci_fail(err, errno, "SO_PEERCRED: %s", strerror(errno));
	*out = cred.pid;
	if (cred.uid != 0)
		return oci_fail(err, EPERM, "uid %u may not join", (unsigned)cred.uid);
	if (s->root_status >= 0)
		return oci_fail(err, ESRCH, "the container's init has exited");
	pidfd = pidfd_open_(cred.pid);
	if (pidfd < 0)
		return oci_fail(err, errno, "pid %d: %s", cred.pid, strerror(errno));
	if (proc_status_field(cred.pid, "Threads", threads, sizeof(threads)) != 0 ||
	    strcmp(threads, "1") != 0)
		return oci_fail(err, EINVAL, "pid %d: not a single-threaded process", cred.pid);
	if (tracee_find(&s->tasks, cred.pid))
		return oci_fail(err, EEXIST, "pid %d: traced already", cred.pid);
	if (ptrace(PTRACE_SEIZE, cred.pid, 0, session_ptrace_options(s)) < 0)
		return oci_fail(err, errno, "cannot trace pid %d: %s%s", cred.pid, strerror(errno),
				errno == EPERM ? " (already traced?)" : "");
	t = tracee_get(&s->tasks, cred.pid);
	t->tgid = cred.pid;
	t->armed = false;
	t->flags |= TRACEE_F_CREATOR_SEEN | TRACEE_F_JOINING;
	/* the pid still names the process that connected (not one that reused its pid) */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return oci_fail(err, ESRCH, "pid %d exited while octrace attached", cred.pid);
	return 0;
}

static void serve(struct session *s)
{
	for (;;) {
		cleanup_oci_error struct oci_error *err = NULL;
		cleanup_close int conn = accept4(s->joins->fd, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid = 0;

		if (conn < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn_errno("join: accept");
			if (errno == EAGAIN || errno == EBADF)
				return;
			continue;
		}
		if (seize_peer(s, conn, &pid, &err) < 0) {
			log_warn("container %s: process %d may not join: %s", s->joins->name, pid,
				 err->msg);
			metrics_failure(s->metrics, METRICS_JOIN_REFUSED);
			reply(conn, err->msg);
			continue;
		}
		log_info("container %s: process %d joins", s->joins->name, pid);
		reply(conn, NULL);
	}
}

bool join_on_report(struct session *s, const struct report *r)
{
	struct join_service *j = s->joins;
	uint64_t one = 1;

	if (j == NULL || r->tid <= 0 || r->tid != __atomic_load_n(&j->doorbell, __ATOMIC_ACQUIRE) ||
	    !report_is_death(r))
		return false;
	__atomic_store_n(&j->doorbell, 0, __ATOMIC_RELEASE);
	if (!j->running)
		return true; /* rung just before join_close() */
	if (j->fd >= 0)
		serve(s);
	reload_receive(s);
	if (write(j->ack, &one, sizeof(one)) < 0)
		log_warn_errno("join: doorbell");
	return true;
}

void join_unlink(const struct join_service *j)
{
	struct stat st;

	if (j->path[0] && lstat(j->path, &st) == 0 && st.st_ino == j->ino && st.st_dev == j->dev)
		unlink(j->path);
}

void join_close(struct session *s)
{
	struct join_service *j = s->joins;

	if (j == NULL || (j->fd < 0 && !j->running))
		return;
	join_unlink(j); /* fails in an unprivileged tracer: the janitor does it then */
	if (j->running) {
		uint64_t one = 1;

		if (write(j->quit, &one, sizeof(one)) < 0)
			log_warn_errno("join: doorbell");
		pthread_join(j->thread, NULL);
		j->running = false;
		/* a doorbell child it rang is reaped by the loop as an unknown task */
	}
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (j->ack >= 0)
		close(j->ack);
	if (j->quit >= 0)
		close(j->quit);
	j->ack = j->quit = -1;
}
