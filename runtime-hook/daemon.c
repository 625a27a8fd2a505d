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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "caps.h"
#include "confine.h"
#include "cleanup.h"
#include "janitor_control.h"
#include "join.h"
#include "hook_metrics.h"
#include "log.h"
#include "metrics.h"
#include "procfs.h"
#include "record.h"
#include "observe.h"
#include "reload.h"

#define HANDSHAKE_MAX 1024

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_alive(int pidfd)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
}

/* The admin's log directory (created if missing). */
static int open_log_dir(const struct hook_args *a, struct oci_error **err)
{
	int dir = open(a->log_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (dir < 0 && errno == ENOENT && mkdir(a->log_dir, 0750) == 0)
		dir = open(a->log_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir < 0)
		return oci_fail(err, errno, "log directory %s: %s", a->log_dir, strerror(errno));
	return dir;
}

/* The container's two logs in it. Never through a symlink: their name may come from an
 * annotation. The audit log's size and rate limits are the admin's (no annotation sets
 * them). */
static int open_logs(const struct hook_args *a, const struct oci_state *st,
		     struct hook_plan *plan, int *log_fd, struct audit **audit,
		     struct oci_error **err)
{
	cleanup_close int dir = -1, other = -1;
	cleanup_free char *display = NULL, *audit_name = NULL;
	struct audit_config c = { .level = plan->audit_level, .container = st->id,
				  .labels = plan->pod, .n_labels = plan->n_pod,
				  .max_size = a->audit_max_size, .rate = a->audit_rate };
	/* a re-attach continues the container's own logs (found by their first event: the
	 * stem may be another); else new files (hook_logs.h) */
	int found = a->reattach ? hook_logs_continue(a->log_dir, plan->log_stem,
						      sizeof(plan->log_stem), st->id, st->pid,
						      log_fd, &other, err)
				: 0;

	if (found < 0 ||
	    (found == 0 && hook_logs_open(a->log_dir, plan->log_stem, log_fd, &other, err) < 0))
		return -1;
	if (asprintf(&audit_name, "%s.jsonl", plan->log_stem) < 0 ||
	    asprintf(&display, "%s/%s", a->log_dir, audit_name) < 0)
		abort();
	/* the tracer is the log's one writer and cannot rename in the directory once it runs
	 * unprivileged: the audit log is opened by name in the directory, then rotates through
	 * files held from now (copytruncate) */
	if ((dir = open_log_dir(a, err)) < 0 ||
	    audit_open_at(dir, audit_name, display, &c, audit, err) < 0 ||
	    audit_hold(*audit, err) < 0) {
		close(*log_fd);
		*log_fd = -1;
		return -1;
	}
	return 0;
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

static bool kept(int fd, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* Keep only the fds the daemon uses: nothing of the runtime's stays open. */
static void close_other_fds(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (fd > 2 && fd != dirfd(d) && !kept(fd, keep, n))
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

/* Ask the kernel to pick the tracer last when memory runs out: lowering oom_score_adj needs
 * CAP_SYS_RESOURCE, which some hosts do not give (then it stays as the runtime's). */
static void prefer_to_survive(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "-1000", 5) < 0)
		log_debug("oom_score_adj -1000: %s (kept)", strerror(errno));
	close(fd);
}

/* The janitor (docs/kernel-behaviours.md §24): the daemon's parent, root's ids and no
 * capability (the owner of the record directory, nothing more). It waits for the tracer,
 * then removes the container's record and join socket; a tracer that died while it traced
 * (an OOM kill, a crash, its own filter) is written to both logs, and the record stays while
 * the container runs: `octrace attach --container` finds the container there. */
static void __attribute__((noreturn))
run_janitor(const struct oci_state *st, const struct hook_plan *plan, pid_t tracer,
	    int traced_fd, int pidfd, struct audit *audit, const struct join_service *joins,
	    struct janitor_control *ctl)
{
	char byte;
	int status;
	bool traced, died, alive;

	if (caps_drop_all() < 0)
		log_warn_errno("janitor: dropping capabilities");
	/* policy reloads and the metrics file, until the tracer exits */
	control_serve(ctl, tracer);
	control_close(ctl);
	hook_metrics_serve(ctl->metrics); /* what it sent last, up to its end's close */
	while (waitpid(tracer, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	traced = read(traced_fd, &byte, 1) == 1; /* it had attached, and said so */
	died = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > 1);
	/* a pidfd polls readable once its process has exited (a zombie too, which a signal 0
	 * would still reach); enforcing, PTRACE_O_EXITKILL has sent the init SIGKILL: wait */
	alive = false;
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int wait_ms = traced && died && plan->mode == MODE_ENFORCE ? 5000 : 0;
		int rc;

		while ((rc = poll(&p, 1, wait_ms)) < 0 && errno == EINTR)
			;
		alive = rc == 0;
	}
	if (traced && died) {
		const char *what = plan->mode == MODE_ENFORCE
					   ? "its processes were killed with it (enforce mode)"
				   : alive ? "its processes run on untraced: the syscalls the policy acts "
					     "on fail with ENOSYS; `octrace attach --container ID` "
					     "traces it again"
					   : "the container is gone";
		struct audit_field f[] = {
			AUDIT_INT("tracer", tracer),
			WIFSIGNALED(status) ? AUDIT_INT("signal", WTERMSIG(status))
					    : AUDIT_INT("status", WEXITSTATUS(status)),
			AUDIT_STR("mode", session_mode_name(plan->mode)),
		};

		timestamp(stderr);
		fprintf(stderr, "octrace: container %s: the tracer (pid %d) died (%s %d): %s\n",
			plan->shown_id, tracer, WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), what);
		audit_event(audit, "tracer_died", st->pid, st->pid, f, N_ELEMENTS(f));
		audit_flush(audit);
	}
	if (!(traced && died && alive)) {
		join_unlink(joins);
		oci_record_remove(OCI_RECORD_DIR, plan->runtime_root, st->id, st->pid);
	}
	hook_metrics_remove(ctl->metrics); /* a dead tracer's counts are no longer counted */
	_exit(0);
}

/* --reattach: the time of the last tracer_died event in the container's audit log (its last
 * MiB), where the gap the reattach event names began; "" when there is none. */
#define SINCE_SCAN (1u << 20)
static char reattach_since[64];

static void find_since(const struct hook_args *a, const struct hook_plan *plan)
{
	cleanup_close int dir = open(a->log_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	cleanup_close int fd = -1;
	cleanup_free char *buf = malloc(SINCE_SCAN + 1);
	const char *key = "\"event\":\"tracer_died\"", *hit = NULL, *t;
	char name[HOOK_LOG_STEM_MAX + 8];
	struct stat sb;
	ssize_t n;

	reattach_since[0] = '\0';
	snprintf(name, sizeof(name), "%s.jsonl", plan->log_stem);
	if (buf == NULL || dir < 0 ||
	    (fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) < 0)
		return;
	n = pread(fd, buf, SINCE_SCAN, sb.st_size > SINCE_SCAN ? sb.st_size - SINCE_SCAN : 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (const char *p = buf; (p = strstr(p, key)) != NULL; p++)
		hit = p;
	if (hit == NULL)
		return;
	while (hit > buf && hit[-1] != '\n')
		hit--;
	t = strstr(hit, "\"time\":\"");
	if (t && t < hit + 16)
		snprintf(reattach_since, sizeof(reattach_since), "%.*s",
			 (int)strcspn(t + 8, "\""), t + 8);
}

/* --reattach in a new pid namespace: every process of it not traced yet (one that joined
 * the container has the runtime, not the init, for its parent). */
static int attach_namespace(struct session *s, pid_t init, struct oci_error **err)
{
	struct stat want, st;
	char path[64];
	DIR *d;
	struct dirent *de;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", init);
	if (stat(path, &want) < 0 || stat("/proc/self/ns/pid", &st) < 0)
		return oci_fail(err, errno, "%s: %s", path, strerror(errno));
	if (st.st_ino == want.st_ino && st.st_dev == want.st_dev)
		return 0; /* no pid namespace of its own: the init's tree only (README, Limits) */
	if ((d = opendir("/proc")) == NULL)
		return oci_fail(err, errno, "/proc: %s", strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);

		if (pid <= 0 || pid == init || tracee_find(&s->tasks, pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
		if (stat(path, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev)
			rc = attach_process(s, pid, true, err);
	}
	closedir(d);
	return rc;
}

/* The value of a pod label ("pod", "namespace"), or NULL. */
static const char *pod_label(const struct hook_plan *plan, const char *key)
{
	for (size_t i = 0; i < plan->n_pod; i++)
		if (strcmp(plan->pod[i].key, key) == 0)
			return plan->pod[i].value;
	return NULL;
}

/* The tracer's counters, sent to the janitor over metrics_fd (owned; -1: no metrics). */
static struct metrics *tracer_metrics(const struct oci_state *st, const struct hook_plan *plan,
				      int metrics_fd)
{
	struct metrics *m;

	if (metrics_fd < 0)
		return NULL;
	m = metrics_new(st->id, pod_label(plan, "pod"), pod_label(plan, "namespace"),
			session_mode_name(plan->mode), metrics_fd);
	if (m == NULL) {
		log_warn("container %s: no metrics (out of memory)", plan->shown_id);
		close(metrics_fd);
	}
	return m;
}

/* DIR/ID.prom (--metrics-dir): a container starts without it when it cannot be had. */
static void open_metrics(const struct hook_args *a, const struct oci_state *st,
			 struct hook_metrics *m)
{
	cleanup_oci_error struct oci_error *err = NULL;

	if (hook_metrics_open(a->metrics_dir, st->id, m, &err) < 0)
		log_warn("container %s: %s: no metrics", st->id, err->msg);
}

/* The tracer: unprivileged (hook --user, default nobody) with CAP_SYS_PTRACE and CAP_KILL
 * only, no_new_privs and its own seccomp filter, it seizes every thread of the init, arms
 * the policy, writes "ok" to the hook and follows the container to its end. Exit status 0
 * at the end, 1 when it could not attach. */
static void __attribute__((noreturn))
run_tracer(const struct hook_args *a, const struct oci_state *st, struct hook_plan *plan,
	   int ready, int traced_fd, struct audit *audit, struct join_service *joins, int chan,
	   int metrics_fd)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct reload_channel reload;
	struct session s;
	int pidfd = -1;

	report(ready, "pid %d\n", getpid());
	prefer_to_survive();
	struct session_config c = {
		.mode = plan->mode, .policy = plan->policy, .filter = plan->filter,
		.arm_filter = plan->arm_filter, .audit = audit, .reload = &reload,
		.metrics = tracer_metrics(st, plan, metrics_fd),
		.root = st->pid, .detach_on_stop = plan->mode != MODE_ENFORCE,
	};

	reload_channel_init(&reload, plan->shown_id, chan);
	session_start(&s, &c);
	/* the doorbell rings for joins and for the janitor's reloads */
	joins->extra = chan;
	s.joins = joins;
	s.reattach = a->reattach;
	/* The attach reads /proc/PID/auxv (mode 0400, root's) for its injections: it runs with
	 * root's ids, CAP_SYS_PTRACE and CAP_KILL; then the tracer becomes --user for good, and
	 * confines itself (docs/kernel-behaviours.md §24) before the container's first
	 * instruction */
	if (caps_limit_effective() < 0)
		oci_fail(&err, errno, "container %s: dropping capabilities: %s", st->id,
			 strerror(errno));
	if (err != NULL || verify_pid(st, plan, &pidfd, &err) < 0 ||
	    (proc_ns_id(st->pid, "mnt", &s.arm_mnt) < 0 &&
	     oci_fail(&err, errno, "container %s: pid %d: %s", st->id, st->pid,
		      strerror(errno)) < 0) ||
	    attach_process(&s, st->pid, a->reattach, &err) < 0 ||
	    (a->reattach && attach_namespace(&s, st->pid, &err) < 0) ||
	    (pidfd_alive(pidfd) < 0 &&
	     oci_fail(&err, errno, "container %s: pid %d exited while octrace attached", st->id,
		      st->pid) < 0) ||
	    (caps_become_tracer(a->uid, a->gid) < 0 &&
	     oci_fail(&err, errno, "container %s: becoming uid %u with CAP_SYS_PTRACE and "
		      "CAP_KILL only: %s", st->id, (unsigned)a->uid, strerror(errno)) < 0) ||
	    (confine_tracer() < 0 &&
	     oci_fail(&err, errno, "container %s: the tracer's own seccomp filter: %s", st->id,
		      strerror(errno)) < 0)) {
		timestamp(stderr);
		fprintf(stderr, "octrace-hook: %s\n", err->msg);
		report(ready, "error %s\n", err->msg);
		_exit(1);
	}
	timestamp(stderr);
	fprintf(stderr, "octrace: container %s: attached to pid %d, %zu threads, mode %s, uid %u\n",
		plan->shown_id, st->pid, s.tasks.count, session_mode_name(plan->mode),
		(unsigned)getuid());
	if (a->reattach) {
		struct audit_field f[] = {
			AUDIT_UINT("processes", attach_count_processes(&s)),
			AUDIT_UINT("threads", s.tasks.count),
			AUDIT_STR("mode", session_mode_name(s.mode)),
			AUDIT_STR("since", reattach_since[0] ? reattach_since : NULL),
		};

		fprintf(stderr, "octrace: container %s: traced again (reattach) after its tracer "
				"died%s%s\n",
			plan->shown_id, reattach_since[0] ? " at " : "", reattach_since);
		audit_event(audit, "reattach", st->pid, st->pid, f, N_ELEMENTS(f));
	} else {
		observe_attach(&s, st->pid);
	}
	if (write(traced_fd, "t", 1) < 0)
		log_warn_errno("janitor pipe");
	close(traced_fd);
	report(ready, "ok\n");
	close(ready);
	session_run_to_end(&s, stderr);
	join_close(&s);
	timestamp(stderr);
	fprintf(stderr, "octrace: container %s: init exited, status %d\n", plan->shown_id,
		session_exit_code(&s));
	_exit(0);
}

/* The daemon's process (the hook's grandchild, in its own session): its files, the join
 * socket, then the janitor (this process) and the tracer (its child). */
static void __attribute__((noreturn))
run_daemon(const struct hook_args *a, const struct oci_state *st, struct hook_plan *plan,
	   int ready, int log_fd, struct audit *audit)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct join_service joins = { .fd = -1 };
	struct hook_metrics metrics;
	struct janitor_control ctl = {
		.chan = -1, .name = plan->shown_id, .metrics = &metrics,
		.policy_path = plan->policy ? plan->policy->source : NULL,
	};
	char join_path[sizeof(joins.path)];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), traced[2], chan[2], pidfd;
	int keep[7] = { ready, log_fd, null };
	pid_t tracer;

	dup2(null, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	audit_fds(audit, keep + 3);
	close_other_fds(keep, N_ELEMENTS(keep));
	setvbuf(stderr, NULL, _IOLBF, 0);
	/* processes that join the container (runc exec) ask here; they arm at their exec in
	 * the init's mount namespace. Without the socket, such an exec fails (closed). */
	oci_record_socket_path(OCI_RECORD_DIR, plan->runtime_root, st->id, join_path,
			       sizeof(join_path));
	if (join_listen(&joins, st->id, join_path, &err) < 0) {
		log_warn("%s: joining processes are refused", err->msg);
		joins.fd = -1;
	}
	/* `octrace reload --container ID` asks the janitor there; SIGHUP does too */
	oci_error_free(err);
	err = NULL;
	oci_record_control_path(OCI_RECORD_DIR, plan->runtime_root, st->id, join_path,
				sizeof(join_path));
	if (control_listen(&ctl, join_path, &err) < 0) {
		log_warn("%s: policy reloads on SIGHUP only", err->msg);
		ctl.listener.fd = -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0)
		chan[0] = chan[1] = -1;
	ctl.chan = chan[0];
	open_metrics(a, st, &metrics);
	pidfd = pidfd_open_(st->pid);
	if (pipe2(traced, O_CLOEXEC) < 0 || (tracer = fork()) < 0) {
		report(ready, "error container %s: cannot start the tracer: %s\n", plan->shown_id,
		       strerror(errno));
		_exit(1);
	}
	if (tracer == 0) {
		close(traced[0]);
		if (pidfd >= 0)
			close(pidfd);
		int metrics_fd = metrics.tracer_end;

		if (chan[0] >= 0)
			close(chan[0]);
		if (ctl.listener.fd >= 0)
			close(ctl.listener.fd);
		metrics.tracer_end = -1;
		hook_metrics_close(&metrics);
		run_tracer(a, st, plan, ready, traced[1], audit, &joins, chan[1], metrics_fd);
	}
	close(traced[1]);
	if (metrics.tracer_end >= 0)
		close(metrics.tracer_end); /* the tracer's: its exit closes the socket */
	metrics.tracer_end = -1;
	close(ready);
	if (chan[1] >= 0)
		close(chan[1]);
	if (joins.fd >= 0)
		close(joins.fd);
	run_janitor(st, plan, tracer, traced[0], pidfd, audit, &joins, &ctl);
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
	cleanup_audit struct audit *audit = NULL;
	int ready[2];
	pid_t mid, daemon = 0;

	if (open_logs(a, st, plan, &log_fd, &audit, err) < 0)
		return -1;
	if (a->reattach)
		find_since(a, plan);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return oci_fail(err, errno, "pipe: %s", strerror(errno));
	/* crun, a child subreaper, waits for a hook with sigtimedwait(SIGCHLD) and takes only the
	 * signal from the hook's pid: a daemon orphaned to crun that exits just before the hook
	 * merges into the same SIGCHLD (standard signals do not queue), and crun waits out the
	 * hook's timeout before failing the start. As a subreaper, the hook gets the orphaned
	 * daemon (the janitor) while it runs, and reaps a failed one before it exits: all of
	 * mid's process group (its session), none of the hook's other children. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	mid = fork();
	if (mid < 0)
		return oci_fail(err, errno, "fork: %s", strerror(errno));
	if (mid == 0) {
		close(ready[0]);
		setsid();
		pid_t d = fork(); /* the daemon is not the runtime's grandchild's child */

		if (d == 0)
			run_daemon(a, st, plan, ready[1], log_fd, audit);
		_exit(d < 0 ? 1 : 0);
	}
	close(ready[1]);
	waitpid(mid, NULL, 0);
	int rc = handshake(ready[0], a->timeout_ms, &daemon, err);

	close(ready[0]);
	if (rc < 0 && daemon > 0)
		kill(daemon, SIGKILL); /* EXITKILL takes an enforced init with it */
	while (rc < 0 && (waitpid(-mid, NULL, 0) > 0 || errno == EINTR))
		;
	return rc;
}
