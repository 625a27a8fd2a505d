/* notifyhostile MODE ...: a workload that attacks octrace's denials by seccomp user
 * notification (docs/kernel-behaviours.md §29): octrace arms the program with a filter whose
 * denials notify a listener that octrace holds, and that the task held for a moment. Under
 * tests/policies/deny.json: getppid(0xdead) is ERRNO(EPERM), mkdir ERRNO(EACCES). Every line
 * is stable text (no pid, no fd number where it could differ from the kernel's own
 * enforcement), so that outputs under octrace and under seccomp-exec compare as text.
 *
 *   hunt                 look for a listener among fds 0..1023 (/proc/self/fd links, fdinfo,
 *                        SECCOMP_IOCTL_NOTIF_ID_VALID and _SEND with CONTINUE) from a
 *                        constructor and again at the first line of main:
 *                          hunt ctor = none | fd N: WHAT      and the same for "hunt main"
 *                          mkdir = RESULT
 *                        then waits for its children (a helper forked before its exec)
 *   getfd-exec CMD...    fork a child that takes the parent's fds 0..1023 (pidfd_getfd) in a
 *                        loop until the parent's exec is over and 200 rounds more, while the
 *                        parent execs CMD:  getfd = none | listener
 *   getfd-parent PID COMM  the same against PID (`sh -c 'notifyhostile getfd-parent $$ CMD &
 *                        exec CMD'`), until PID's comm is COMM and 200 rounds more
 *   hammer N CALLS       N threads make CALLS denied getppid each while 4 others fork, exec
 *                        /bin/true and exit in a loop; then exit_group(3):
 *                          hammer = all -1 EPERM | K of M not -1 EPERM (first: R)
 *   signals HOW CALLS    a thread makes CALLS denied getppid while the main thread sends it
 *                        SIGUSR1 (HOW restart: SA_RESTART handler, norestart: without) or a
 *                        child stops and continues the whole process (HOW stop):
 *                          signals HOW = all -1 EPERM | K of M not -1 EPERM (first: R)
 *   flood N TOTAL        N threads make TOTAL denied getppid between them:  flood = ...
 *   sequence CALLS       mkdir("/nonexistent-octrace/I") for I = 0..CALLS-1, a second thread
 *                        scribbling over the path buffer after each call returns:
 *                          sequence = all -1 EACCES | ...
 *   thief TRACER         a process outside the session takes fds 3..7 of the command that
 *                        `octrace run` (pid TRACER) forks, from before its exec until well
 *                        after: thief = none | listener (and with one, its first
 *                        notification answered CONTINUE: thief continued syscall NR: RESULT)
 *   ownfilter PROBE...   each probe in a forked child: install a filter of the program's own
 *                        for getppid, then call getppid(0xdead) and getegid; PROBE is errno5,
 *                        trap, kill, trace, notif (USER_NOTIF without a listener):
 *                          PROBE filter = RESULT, PROBE getppid = RESULT, ...
 *                        and listener: seccomp(NEW_LISTENER) for getegid (octrace: EBUSY). */
#include "hostile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FD 1024
#define ARG_DENY 0xdead /* deny.json: getppid(0xdead) is ERRNO(EPERM) */

/* ---- hunt ---- */

static char ctor_result[256] = "not run";

/* What fd `fd` is, if it is or may be a listener; NULL for an ordinary fd. */
static const char *suspect(int fd, char *buf, size_t size)
{
	char path[64], link[256] = "", info[4096];
	struct seccomp_notif_resp resp = { .id = 0, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	uint64_t id = 0;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0)
		link[n] = '\0';
	if (strstr(link, "seccomp")) {
		snprintf(buf, size, "link %s", link);
		return buf;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f >= 0) {
		n = read(f, info, sizeof(info) - 1);
		close(f);
		info[n > 0 ? n : 0] = '\0';
		if (strstr(info, "seccomp")) {
			snprintf(buf, size, "fdinfo names seccomp");
			return buf;
		}
	}
	/* on a listener: ENOENT (no such notification); on anything else ENOTTY, EINVAL... */
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 || errno == ENOENT) {
		snprintf(buf, size, "ID_VALID answered (%s)", res(-errno));
		return buf;
	}
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 || errno == ENOENT) {
		snprintf(buf, size, "SEND answered (%s)", res(-errno));
		return buf;
	}
	return NULL;
}

static void hunt(char *out, size_t size)
{
	char what[300];

	snprintf(out, size, "none");
	for (int fd = 0; fd < MAX_FD; fd++) {
		const char *w;

		if (fcntl(fd, F_GETFD) < 0)
			continue;
		w = suspect(fd, what, sizeof(what));
		if (w) {
			snprintf(out, size, "fd %d: %s", fd, w);
			return;
		}
	}
}

__attribute__((constructor)) static void hunt_early(void)
{
	hunt(ctor_result, sizeof(ctor_result));
}

static int run_hunt(void)
{
	char main_result[256];

	hunt(main_result, sizeof(main_result));
	say("hunt ctor = %s", ctor_result);
	say("hunt main = %s", main_result);
	say("mkdir = %s", res(raw_syscall(SYS_mkdir, (long)"/nonexistent-octrace", 0700, 0, 0, 0, 0)));
	while (wait(NULL) > 0) /* a helper the shell started before its exec into us */
		;
	return 0;
}

/* ---- getfd ---- */

/* One round over fds 0..MAX_FD-1 of `pid`: true if one of them is a listener. */
static bool grab_round(pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool found = false;
	char what[300];

	if (pidfd < 0)
		return false;
	for (int fd = 0; fd < MAX_FD && !found; fd++) {
		int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

		if (mine < 0)
			continue;
		found = suspect(mine, what, sizeof(what)) != NULL;
		close(mine);
	}
	close(pidfd);
	return found;
}

static bool comm_is(pid_t pid, const char *comm)
{
	char path[64], buf[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strcmp(buf, comm) == 0;
}

/* Grab until `done_fd` (EOF) or the comm of `pid` says its exec is over, then 200 rounds
 * more. */
static void grab(pid_t pid, int done_fd, const char *comm)
{
	bool found = false;
	int after = 200;

	while (!found && after > 0) {
		bool over;

		if (done_fd >= 0) {
			char c;

			over = read(done_fd, &c, 1) == 0; /* the close-on-exec end went with the exec */
		} else {
			over = comm_is(pid, comm);
		}
		found = grab_round(pid);
		if (over)
			after--;
	}
	say("getfd = %s", found ? "listener" : "none");
}

static int run_getfd_exec(char **cmd)
{
	int p[2];
	pid_t me = getpid(), child;

	if (pipe2(p, O_CLOEXEC) < 0)
		fail("pipe2: %m");
	child = fork();
	if (child < 0)
		fail("fork: %m");
	if (child == 0) {
		close(p[1]);
		fcntl(p[0], F_SETFL, O_NONBLOCK); /* EAGAIN while the parent has not exec'd */
		grab(me, p[0], NULL);
		_exit(0);
	}
	close(p[0]);
	execvp(cmd[0], cmd);
	fail("exec %s: %m", cmd[0]);
}

/* A child of `parent`, or 0. */
static pid_t child_of(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	if (d == NULL)
		return 0;
	while (found == 0 && (de = readdir(d)) != NULL) {
		char path[300], stat[512], *close_paren;
		pid_t pid = (pid_t)atoi(de->d_name), ppid;
		ssize_t n;
		int fd;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		stat[n > 0 ? n : 0] = '\0';
		close_paren = strrchr(stat, ')');
		if (close_paren && sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == parent)
			found = pid;
	}
	closedir(d);
	return found;
}

/* thief TRACER: a process outside the session (of the same user) takes fds 3..7 of the
 * command TRACER (octrace run) forks, from before its exec until 2000 rounds after; with a
 * listener, it answers its first notification CONTINUE. */
static int run_thief(pid_t tracer)
{
	pid_t victim = 0;
	int pidfd, after = 2000, got = -1;
	char what[300];

	for (long i = 0; victim == 0 && i < 100000; i++)
		victim = child_of(tracer);
	pidfd = victim ? (int)syscall(SYS_pidfd_open, victim, 0) : -1;
	if (pidfd < 0) {
		say("thief = no victim");
		return 0;
	}
	while (got < 0 && after > 0) {
		for (int fd = 3; fd < 8 && got < 0; fd++) {
			int mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

			if (mine < 0)
				continue;
			if (suspect(mine, what, sizeof(what)))
				got = mine;
			else
				close(mine);
		}
		struct pollfd exited = { .fd = pidfd, .events = POLLIN };

		if (comm_is(victim, "notifyhostile") || poll(&exited, 1, 0) == 1)
			after--;
	}
	if (got < 0) {
		say("thief = none");
		return 0;
	}
	struct seccomp_notif req = { 0 };
	struct seccomp_notif_resp resp = { .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

	struct pollfd pfd = { .fd = got, .events = POLLIN };

	say("thief = listener");
	/* POLLHUP, or nothing in 5 s: no notification left to take */
	if (poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN) &&
	    ioctl(got, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
		resp.id = req.id;
		say("thief continued syscall %d: %s", req.data.nr,
		    res(ioctl(got, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? -errno : 0));
	}
	return 0;
}

/* ---- threads making denied calls ---- */

struct tally {
	atomic_long wrong, total;
	atomic_long first;
	long expect;
};

static void count(struct tally *t, long ret)
{
	long none = 0;

	atomic_fetch_add(&t->total, 1);
	if (ret != t->expect) {
		atomic_fetch_add(&t->wrong, 1);
		atomic_compare_exchange_strong(&t->first, &none, ret);
	}
}

static void report(const char *what, struct tally *t)
{
	long wrong = atomic_load(&t->wrong), total = atomic_load(&t->total);

	if (wrong == 0)
		say("%s = all %s", what, res(t->expect));
	else
		say("%s = %ld of %ld not %s (first: %s)", what, wrong, total, res(t->expect),
		    res(atomic_load(&t->first)));
}

struct caller {
	struct tally *tally;
	long calls;
	atomic_int *running;
};

static void *deny_loop(void *p)
{
	struct caller *c = p;

	for (long i = 0; i < c->calls; i++)
		count(c->tally, probe(ARG_DENY));
	if (c->running)
		atomic_fetch_sub(c->running, 1);
	return NULL;
}

static atomic_int churning = 1;

static void *churn(void *p)
{
	static char prog[] = "/bin/true";
	char *const argv[] = { prog, NULL };
	long n = 0;

	(void)p;
	while (atomic_load(&churning)) {
		pid_t c = fork();

		if (c == 0) {
			if (n % 2)
				execv(argv[0], argv);
			_exit(0);
		}
		if (c > 0)
			waitpid(c, NULL, 0);
		n++;
	}
	return NULL;
}

static int run_hammer(int n, long calls)
{
	struct tally t = { .expect = -EPERM };
	struct caller c = { .tally = &t, .calls = calls };
	pthread_t th[256];

	if (n < 1 || n > 256)
		fail("hammer: 1..256 threads");
	for (int i = 0; i < 4; i++)
		start_thread(churn, NULL); /* never joined: exit_group ends them */
	for (int i = 0; i < n; i++)
		th[i] = start_thread(deny_loop, &c);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	report("hammer", &t);
	/* exit_group with threads still forking */
	syscall(SYS_exit_group, 3);
	return 3;
}

static int run_flood(int n, long total)
{
	struct tally t = { .expect = -EPERM };
	struct caller c = { .tally = &t, .calls = total / n };
	pthread_t th[256];

	if (n < 1 || n > 256 || total % n)
		fail("flood: 1..256 threads that divide TOTAL");
	for (int i = 0; i < n; i++)
		th[i] = start_thread(deny_loop, &c);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	report("flood", &t);
	return 0;
}

/* ---- signals ---- */

static atomic_long handled;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static int run_signals(const char *how, long calls)
{
	struct tally t = { .expect = -EPERM };
	atomic_int running = 1;
	struct caller c = { .tally = &t, .calls = calls, .running = &running };
	struct sigaction sa = { .sa_handler = on_usr1 };
	pid_t stopper = -1, me = getpid();
	int stop_pipe = -1;
	pthread_t th;

	if (strcmp(how, "restart") == 0)
		sa.sa_flags = SA_RESTART;
	else if (strcmp(how, "norestart") != 0 && strcmp(how, "stop") != 0)
		fail("signals: restart, norestart or stop");
	sigaction(SIGUSR1, &sa, NULL);
	th = start_thread(deny_loop, &c);
	if (strcmp(how, "stop") == 0) {
		int p[2];

		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
			fail("pipe2: %m");
		stopper = fork();
		if (stopper == 0) {
			char b;

			close(p[1]);
			while (read(p[0], &b, 1) < 0) { /* EOF: the calls are over */
				kill(me, SIGSTOP);
				usleep(200);
				kill(me, SIGCONT);
				usleep(200);
			}
			/* a SIGSTOP that a tracer holds in its signal-delivery-stop is not
			 * cancelled by a SIGCONT sent meanwhile: continue until it is surely in */
			for (int i = 0; i < 200; i++) {
				kill(me, SIGCONT);
				usleep(500);
			}
			_exit(0);
		}
		close(p[0]);
		stop_pipe = p[1];
	}
	while (atomic_load(&running)) {
		if (stopper < 0)
			pthread_kill(th, SIGUSR1);
		sched_yield();
	}
	pthread_join(th, NULL);
	if (stopper > 0) {
		close(stop_pipe);
		waitpid(stopper, NULL, 0);
	}
	report(strcmp(how, "restart") == 0 ? "signals restart" :
	       strcmp(how, "norestart") == 0 ? "signals norestart" : "signals stop", &t);
	return 0;
}

/* ---- a path rewritten after each call ---- */

static char path_buf[64];
static atomic_int turn; /* 0: the caller's, 1: the scribbler's, 2: done */

static void *scribble(void *p)
{
	(void)p;
	for (;;) {
		int v;

		while ((v = atomic_load(&turn)) == 0)
			;
		if (v == 2)
			return NULL;
		memset(path_buf, 'X', sizeof(path_buf) - 1); /* the syscall is over: anything goes */
		atomic_store(&turn, 0);
	}
}

static int run_sequence(long calls)
{
	struct tally t = { .expect = -EACCES };
	pthread_t th = start_thread(scribble, NULL);

	for (long i = 0; i < calls; i++) {
		while (atomic_load(&turn) != 0)
			;
		snprintf(path_buf, sizeof(path_buf), "/nonexistent-octrace/%ld", i);
		count(&t, raw_syscall(SYS_mkdir, (long)path_buf, 0700, 0, 0, 0, 0));
		atomic_store(&turn, 1);
	}
	while (atomic_load(&turn) != 0)
		;
	atomic_store(&turn, 2);
	pthread_join(th, NULL);
	report("sequence", &t);
	return 0;
}

/* ---- filters of the program's own ---- */

static void own(void *arg)
{
	const char *p = arg;
	const struct abi_nrs *nr = abi_nrs(ABI_X86_64);
	uint32_t action;
	long rc;

	if (strcmp(p, "listener") == 0) {
		long one[] = { nr->getegid };

		rc = own_filter(ABI_X86_64, one, 1, SECCOMP_RET_USER_NOTIF,
				SECCOMP_FILTER_FLAG_NEW_LISTENER);
		say("%s filter = %s", p, res(rc));
		say("%s getppid = %s", p, res(probe(ARG_DENY)));
		return; /* getegid would wait for a supervisor: not called */
	}
	if (strcmp(p, "errno5") == 0)
		action = SECCOMP_RET_ERRNO | 5;
	else if (strcmp(p, "trap") == 0)
		action = SECCOMP_RET_TRAP;
	else if (strcmp(p, "kill") == 0)
		action = SECCOMP_RET_KILL_PROCESS;
	else if (strcmp(p, "trace") == 0)
		action = SECCOMP_RET_TRACE | 7;
	else if (strcmp(p, "notif") == 0)
		action = SECCOMP_RET_USER_NOTIF;
	else
		fail("ownfilter: unknown probe %s", p);
	long one[] = { nr->getppid };

	signal(SIGSYS, SIG_DFL);
	rc = own_filter(ABI_X86_64, one, 1, action, 0);
	say("%s filter = %s", p, res(rc));
	say("%s getppid = %s", p, res(probe(ARG_DENY)));
	say("%s getegid = %s", p, res(raw_syscall(SYS_getegid, 0, 0, 0, 0, 0, 0)));
}

int main(int argc, char **argv)
{
	hostile_setup(120);
	if (argc >= 2 && strcmp(argv[1], "hunt") == 0)
		return run_hunt();
	if (argc >= 3 && strcmp(argv[1], "getfd-exec") == 0)
		return run_getfd_exec(argv + 2);
	if (argc == 4 && strcmp(argv[1], "getfd-parent") == 0) {
		grab((pid_t)atoi(argv[2]), -1, argv[3]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "thief") == 0)
		return run_thief((pid_t)atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "hammer") == 0)
		return run_hammer(atoi(argv[2]), atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "signals") == 0)
		return run_signals(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "flood") == 0)
		return run_flood(atoi(argv[2]), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "sequence") == 0)
		return run_sequence(atol(argv[2]));
	if (argc >= 3 && strcmp(argv[1], "ownfilter") == 0) {
		for (int i = 2; i < argc; i++)
			probe_child(argv[i], own, argv[i], 20);
		return 0;
	}
	fail("usage: notifyhostile hunt | getfd-exec CMD... | getfd-parent PID COMM | hammer N CALLS | "
	     "signals HOW CALLS | flood N TOTAL | sequence CALLS | ownfilter PROBE...");
}
