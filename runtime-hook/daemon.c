/* The daemon: setsid, stdio to the container's log, only CAP_SYS_PTRACE and CAP_KILL left,
 * no_new_privs; it verifies the pid (a pidfd, then hook_pid.h: the runtime's child, in
 * config.json's namespaces, pid 1 of a new pid namespace), seizes every thread
 * through the core's attach path, arms the policy, then writes "ok" to the handshake pipe
 * and follows the container to its end. The hook returns when it reads "ok" (or an error,
 * or nothing before the timeout). */
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "caps.h"
#include "cleanup.h"
#include "join.h"
#include "log.h"
#include "procfs.h"
#include "record.h"
#include "observe.h"

#define HANDSHAKE_MAX 1024

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_alive(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
}

/* The pid must be the container's init (hook_pid.h). The pidfd, opened before the checks,
 * makes them hold for the process seized afterwards: it is checked alive after the attach. */
static int verify_pid(const struct oci_state *st, const struct hook_plan *plan, int *pidfd,
		      struct oci_error **err)
{
	*pidfd = pidfd_open_(st->pid);
	if (*pidfd < 0)
		return oci_fail(err, errno, "container %s: pid %d: %s", st->id, st->pid,
				errno == ESRCH ? "no such process" : strerror(errno));
	if (hook_pid_verify(&plan->pid_expect, st->pid, err) < 0)
		return oci_error_wrap(err, "container %s", st->id);
	return 0;
}

static void timestamp(FILE *f)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%09ldZ ", buf, ts.tv_nsec);
}

/* Keep only the fds the daemon uses: nothing of the runtime's stays open. */
static void close_other_fds(int keep1, int keep2, int keep3, int keep4)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (fd > 2 && fd != dirfd(d) && fd != keep1 && fd != keep2 && fd != keep3 &&
		    fd != keep4)
			close(fd);
	}
	closedir(d);
}

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char buf[HANDSHAKE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(fd, buf, n) < 0)
		log_warn_errno("handshake");
}

static void __attribute__((noreturn))
run_daemon(const struct oci_state *st, struct hook_plan *plan, int ready, int log_fd,
	   struct audit *audit, int audit_fd)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct session s;
	struct join_service joins;
	char join_path[sizeof(joins.path)];
	int pidfd = -1, null = open("/dev/null", O_RDWR | O_CLOEXEC);

	dup2(null, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	close_other_fds(ready, log_fd, null, audit_fd);
	setvbuf(stderr, NULL, _IOLBF, 0);
	report(ready, "pid %d\n", getpid());
	if (caps_drop_to_tracer() < 0)
		log_warn_errno("dropping capabilities");
	struct session_config c = {
		.mode = plan->mode, .policy = plan->policy, .filter = plan->filter,
		.arm_filter = plan->arm_filter, .audit = audit,
		.root = st->pid, .detach_on_stop = plan->mode != MODE_ENFORCE,
	};

	session_start(&s, &c);
	/* processes that join the container (runc exec) ask here; they arm at their exec in
	 * the init's mount namespace. Without the socket, such an exec fails (closed). */
	oci_record_socket_path(OCI_RECORD_DIR, plan->runtime_root, st->id, join_path,
			       sizeof(join_path));
	if (join_listen(&joins, st->id, join_path, &err) == 0)
		s.joins = &joins;
	else
		log_warn("%s: joining processes are refused", err->msg);
	oci_error_free(err);
	err = NULL;
	if (verify_pid(st, plan, &pidfd, &err) < 0 ||
	    (proc_ns_id(st->pid, "mnt", &s.arm_mnt) < 0 &&
	     oci_fail(&err, errno, "container %s: pid %d: %s", st->id, st->pid,
		      strerror(errno)) < 0) ||
	    attach_process(&s, st->pid, false, &err) < 0 ||
	    (pidfd_alive(pidfd) < 0 &&
	     oci_fail(&err, errno, "container %s: pid %d exited while octrace attached", st->id,
		      st->pid) < 0)) {
		timestamp(stderr);
		fprintf(stderr, "octrace-hook: %s\n", err->msg);
		report(ready, "error %s\n", err->msg);
		join_close(&s);
		_exit(1);
	}
	timestamp(stderr);
	fprintf(stderr, "octrace: container %s: attached to pid %d, %zu threads, mode %s\n",
		plan->shown_id, st->pid, s.tasks.count, session_mode_name(plan->mode));
	observe_attach(&s, st->pid);
	report(ready, "ok\n");
	close(ready);
	session_run_to_end(&s, stderr);
	join_close(&s);
	oci_record_remove(OCI_RECORD_DIR, plan->runtime_root, st->id, st->pid);
	timestamp(stderr);
	fprintf(stderr, "octrace: container %s: init exited, status %d\n", plan->shown_id,
		session_exit_code(&s));
	_exit(0);
}

/* Read the handshake until "ok", "error ..." or EOF, within the deadline. */
static int read_handshake(int fd, unsigned timeout_ms, char *buf, size_t size)
{
	struct timespec start, now;
	size_t len = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long elapsed;

		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= (long)timeout_ms)
			return -ETIMEDOUT;
		int rc = poll(&p, 1, (int)(timeout_ms - elapsed));

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -ETIMEDOUT;
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "ok\n") || (strstr(buf, "error ") && strchr(strstr(buf, "error "), '\n')))
			break;
	}
	buf[len] = '\0';
	return 0;
}

static int handshake(int fd, unsigned timeout_ms, pid_t *daemon, struct oci_error **err)
{
	char buf[HANDSHAKE_MAX * 2];
	int rc = read_handshake(fd, timeout_ms, buf, sizeof(buf));
	char *e;

	if (sscanf(buf, "pid %d", daemon) != 1)
		*daemon = 0;
	if (rc == -ETIMEDOUT)
		return oci_fail(err, ETIMEDOUT, "octrace daemon did not attach within %u ms",
				timeout_ms);
	if (rc < 0)
		return oci_fail(err, -rc, "handshake with the octrace daemon: %s", strerror(-rc));
	if (strstr(buf, "ok\n"))
		return 0;
	e = strstr(buf, "error ");
	if (e) {
		e[strcspn(e, "\n")] = '\0';
		return oci_fail(err, EPROTO, "%s", e + 6);
	}
	return oci_fail(err, EPROTO, "the octrace daemon exited before attaching");
}

int daemon_start(const struct hook_args *a, const struct oci_state *st, struct hook_plan *plan,
		 struct oci_error **err)
{
	cleanup_close int log_fd = -1;
	cleanup_close int audit_fd = -1;
	cleanup_audit struct audit *audit = NULL;
	int ready[2];
	pid_t mid, daemon = 0;

	if (hook_logs_open(a->log_dir, plan->log_stem, &log_fd, &audit_fd, err) < 0 ||
	    audit_open(NULL, audit_fd, plan->audit_level, st->id, &audit, err) < 0)
		return -1;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return oci_fail(err, errno, "pipe: %s", strerror(errno));
	/* crun, a child subreaper, waits for a hook with sigtimedwait(SIGCHLD) and takes only the
	 * signal from the hook's pid: a daemon orphaned to crun that exits just before the hook
	 * merges into the same SIGCHLD (standard signals do not queue), and crun waits out the
	 * hook's timeout before failing the start. As a subreaper, the hook gets the orphaned
	 * daemon while it runs, and reaps a failed one before it exits. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	mid = fork();
	if (mid < 0)
		return oci_fail(err, errno, "fork: %s", strerror(errno));
	if (mid == 0) {
		close(ready[0]);
		setsid();
		pid_t d = fork(); /* the daemon is not the runtime's grandchild's child */

		if (d == 0)
			run_daemon(st, plan, ready[1], log_fd, audit, audit_fd);
		_exit(d < 0 ? 1 : 0);
	}
	close(ready[1]);
	waitpid(mid, NULL, 0);
	int rc = handshake(ready[0], a->timeout_ms, &daemon, err);

	close(ready[0]);
	if (rc < 0 && daemon > 0) {
		kill(daemon, SIGKILL); /* EXITKILL takes an enforced init with it */
		waitpid(daemon, NULL, 0);
	}
	return rc;
}
