/* The C workloads the integration tests run as a container's entrypoint. Static (the rootfs
 * holds only busybox and these), so glibc's pthreads come along. Every mode relies on
 * tests/integration/policies/deny.json: getpgid -> ERRNO(42, ENOMSG), mkdir/mkdirat ->
 * ERRNO(13, EACCES), everything else allowed. A result that is not the policy's makes the
 * program say "FAIL: ..." on stderr and exit 100, which the test sees as a wrong status.
 *
 *   probe STATUS            getpgid and mkdirat once each, print what they returned, exit
 *   threads N STATUS WHO    N threads hammer getpgid; once every one of them has been denied
 *                           at least once, WHO (main | thread) calls exit_group(STATUS) while
 *                           the others are still in (or entering) the denied syscall
 *   tree STATUS             a process tree in which one non-init process with busy threads
 *                           calls exit_group(33): only it dies; init exits with STATUS
 *   hammer N                N threads and a child process hammer getpgid; "ready" once each
 *                           of the N was denied 100 times; never returns (for `kill`)
 *   lines FIFO              for each line read from FIFO, one call: "NAME: R errno E" (R 0 on
 *                           success), whatever the result (t-death.sh: a complain-mode
 *                           container whose tracer dies and comes back). The line names it:
 *                           mseal (462, invalid flags: EINVAL when it runs; newer than
 *                           libseccomp 2.5, so no policy can name it), getpgid32 (the i386
 *                           getpgid, int 0x80), exec (a child execs /bin/true: R 0 when it
 *                           exited 0, the child's execve errno otherwise); anything else:
 *                           getpgid (t-barrier.sh: the runtime's exec barrier)
 *   flood N                 N denied getpgid calls; "flood N denied", exit 0 (for the audit
 *                           log's size and rate limits)
 *   reload FIFO N           (t-reload.sh: policies that change while it runs) N threads and a
 *                           child process with N threads loop on getppid (and a denied mkdirat
 *                           every 16384)
 *                           for load; for each line read from FIFO, getsid(0) is called by the
 *                           main thread, by a thread and a child process started at the
 *                           beginning, by a new child, by a process that waits in vfork
 *                           between two lines and by one that sits stopped (SIGSTOP) between
 *                           two lines, and by a process whose own filter makes seccomp(2) fail
 *                           (octrace cannot stack a filter on it: killed in enforce mode):
 *                           "getsid: main R E thread R E child R E new R E vfork R E stopped R E
 *                           sealed R E" (R 0 on success, E the errno; "sealed gone" once it died)
 *   churn ROUND N           (t-reload-hostile.sh: tightening under churn) N processes fork as
 *                           fast as they can children that start a thread and exec this
 *                           program again (from the thread or the leader) or exit; every
 *                           process probes as it goes: the file ROUND holds k, and the first k
 *                           of getsid, getpgrp, getresgid, sched_getscheduler must fail with
 *                           errno 71..74 ("LEAK ..." otherwise); "round k done" once the
 *                           processes have probed 20 * N times under round k
 */
#include <errno.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_INSNS(a) ((unsigned short)(sizeof(a) / sizeof((a)[0])))
#define DENIED_ERRNO 42 /* deny.json: getpgid */
#define MKDIR_ERRNO 13  /* deny.json: mkdir, mkdirat */
#define TREE_EXIT 33    /* what the tree's exit_group process exits with */

static sem_t started;
static long warmup = 1; /* denied calls a hammer makes before it posts `started` */

/* One line, one write(): lines of threads and processes never interleave. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) < 0)
		_exit(101);
}

static void __attribute__((noreturn)) fail(const char *what, long ret, int err)
{
	dprintf(STDERR_FILENO, "FAIL: %s returned %ld, errno %d\n", what, ret, err);
	_exit(100);
}

/* getpgid(0) must be denied with the policy's errno. */
static void denied_call(void)
{
	long r = syscall(SYS_getpgid, 0);

	if (r != -1 || errno != DENIED_ERRNO)
		fail("getpgid", r, errno);
}

/* arg: how many calls (0: forever). Posts `started` after `warmup` denials. */
static void *hammer(void *arg)
{
	long n = (long)arg;

	for (long i = 1; n == 0 || i <= n; i++) {
		denied_call();
		if (i == warmup)
			sem_post(&started);
	}
	return NULL;
}

static void start_hammers(int n, long calls, pthread_t *out)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		int rc = pthread_create(&t, NULL, hammer, (void *)calls);

		if (rc)
			fail("pthread_create", rc, rc);
		if (out)
			out[i] = t;
	}
}

static void wait_started(int n)
{
	for (int i = 0; i < n; i++)
		while (sem_wait(&started) < 0)
			if (errno != EINTR)
				fail("sem_wait", -1, errno);
}

static int probe(int status)
{
	long r = syscall(SYS_getpgid, 0);
	int e = errno;

	say("getpgid: %ld errno %d", r, r == -1 ? e : 0);
	r = syscall(SYS_mkdirat, AT_FDCWD, "/probe-dir", 0755);
	e = errno;
	say("mkdirat: %ld errno %d", r, r == -1 ? e : 0);
	return status;
}

static int flood(int n)
{
	int denied = 0;

	for (int i = 0; i < n; i++)
		denied += syscall(SYS_getpgid, 0) == -1 && errno == DENIED_ERRNO;
	say("flood %d denied", denied);
	return 0;
}

struct exiter {
	int n, status;
};

static void *exiter(void *arg)
{
	struct exiter *x = arg;

	wait_started(x->n);
	syscall(SYS_exit_group, x->status);
	return NULL;
}

static int threads(int n, int status, const char *who)
{
	static struct exiter x;

	x = (struct exiter){ .n = n, .status = status };
	start_hammers(n, 0, NULL);
	if (strcmp(who, "main") == 0)
		exiter(&x);
	pthread_t t;

	if (pthread_create(&t, NULL, exiter, &x))
		fail("pthread_create", -1, errno);
	hammer(0); /* the leader is in the denied syscall too */
	return 99;
}

static pid_t fork_or_fail(void)
{
	pid_t p = fork();

	if (p < 0)
		fail("fork", p, errno);
	return p;
}

static int status_of(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid", -1, errno);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A1: four busy threads, then exit_group from the main thread while they are denied. */
static void __attribute__((noreturn)) tree_a1(void)
{
	start_hammers(4, 0, NULL);
	wait_started(4);
	say("A1: exit_group(%d)", TREE_EXIT);
	syscall(SYS_exit_group, TREE_EXIT);
	_exit(98);
}

/* A2 outlives A1: blocked in read() until A has reaped A1, then still works. */
static void __attribute__((noreturn)) tree_a2(int rfd)
{
	char c;

	if (read(rfd, &c, 1) != 0)
		fail("read", -1, errno);
	denied_call();
	say("A2: alive after A1");
	_exit(0);
}

static void __attribute__((noreturn)) tree_a(void)
{
	int p[2];
	pid_t a1, a2;

	if (pipe(p) < 0)
		fail("pipe", -1, errno);
	a2 = fork_or_fail();
	if (a2 == 0) {
		close(p[1]);
		tree_a2(p[0]);
	}
	close(p[0]);
	a1 = fork_or_fail();
	if (a1 == 0)
		tree_a1();
	int s1 = status_of(a1);

	close(p[1]);
	int s2 = status_of(a2);

	say("A: A1 exited %d, A2 exited %d", s1, s2);
	_exit(s1 == TREE_EXIT && s2 == 0 ? 0 : 1);
}

/* B: busy threads that end by themselves, concurrent with A's subtree. */
static void __attribute__((noreturn)) tree_b(void)
{
	pthread_t t[3];

	start_hammers(3, 2000, t);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	say("B: done");
	_exit(0);
}

static int tree(int status)
{
	pid_t a = fork_or_fail();

	if (a == 0)
		tree_a();
	pid_t b = fork_or_fail();

	if (b == 0)
		tree_b();
	int sa = status_of(a), sb = status_of(b);

	denied_call();
	say("init: A exited %d, B exited %d", sa, sb);
	return sa == 0 && sb == 0 ? status : 1;
}

static int hammer_forever(int n)
{
	pid_t child = fork_or_fail();

	if (child == 0) {
		start_hammers(2, 0, NULL);
		hammer(0);
	}
	warmup = 100;
	start_hammers(n, 0, NULL);
	wait_started(n);
	say("ready");
	hammer(0);
	return 99;
}

#define NR_MSEAL 462
#define NR_GETPGID_I386 132

/* The i386 entry from 64-bit code: the compat syscall table, AUDIT_ARCH_I386 for seccomp.
 * Returns the raw value (-errno on failure). */
static long int80(long nr, long arg)
{
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(arg)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

/* 0 when a child's exec of /bin/true exited 0, else -1 with errno: execve's in the child,
 * which exits with it (or the child's status, had it run and failed) */
static long exec_true(void)
{
	pid_t c = fork_or_fail();
	int st;

	if (c == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(errno);
	}
	st = status_of(c);
	if (st == 0)
		return 0;
	errno = st;
	return -1;
}

static long line_call(const char *line, const char **name)
{
	long r;

	if (strcmp(line, "mseal\n") == 0) {
		*name = "mseal";
		return syscall(NR_MSEAL, 0, 0, 1);
	}
	if (strcmp(line, "getpgid32\n") == 0) {
		*name = "getpgid32";
		r = int80(NR_GETPGID_I386, 0);
		if (r < 0 && r > -4096) {
			errno = (int)-r;
			return -1;
		}
		return r;
	}
	if (strcmp(line, "exec\n") == 0) {
		*name = "exec";
		return exec_true();
	}
	*name = "getpgid";
	return syscall(SYS_getpgid, 0);
}

static int lines(const char *fifo)
{
	char line[256];
	FILE *f = fopen(fifo, "r+"); /* r+: the fifo stays open between the test's writers */

	if (f == NULL) {
		dprintf(STDERR_FILENO, "FAIL: %s: %s\n", fifo, strerror(errno));
		return 100;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *name;
		long r = line_call(line, &name);

		printf("%s: %d errno %d\n", name, r < 0 ? -1 : 0, r < 0 ? errno : 0);
		fflush(stdout);
	}
	return 0;
}

/* reload: a getsid on request, its answer back, in a thread or a process made at the start */
struct asker {
	int req[2], ans[2];
};

static void answer_getsid(struct asker *a)
{
	char c;

	while (read(a->req[0], &c, 1) == 1) {
		long r = syscall(SYS_getsid, 0);
		int e[2] = { r < 0 ? -1 : 0, r < 0 ? errno : 0 };

		if (write(a->ans[1], e, sizeof(e)) != sizeof(e))
			break;
	}
}

/* Between two requests it waits in vfork: its child reads the request. */
static void vfork_asker(struct asker *a)
{
	for (;;) {
		pid_t c = vfork();
		char ch;

		if (c == 0) {
			syscall(SYS_read, a->req[0], &ch, 1);
			syscall(SYS_exit, 0);
		}
		if (c < 0 || waitpid(c, NULL, 0) != c)
			_exit(1);
		long r = syscall(SYS_getsid, 0);
		int e[2] = { r < 0 ? -1 : 0, r < 0 ? errno : 0 };

		if (write(a->ans[1], e, sizeof(e)) != sizeof(e))
			_exit(1);
	}
}

/* Between two requests it sits stopped: SIGCONT, then the request. */
static void stopped_asker(struct asker *a)
{
	for (;;) {
		char ch;

		kill(getpid(), SIGSTOP);
		if (read(a->req[0], &ch, 1) != 1)
			_exit(0);
		long r = syscall(SYS_getsid, 0);
		int e[2] = { r < 0 ? -1 : 0, r < 0 ? errno : 0 };

		if (write(a->ans[1], e, sizeof(e)) != sizeof(e))
			_exit(1);
	}
}

/* 'T' or 't' in /proc/PID/stat: in a group-stop (traced or not). */
static void wait_stopped(pid_t pid)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 10000; i++) {
		FILE *f = fopen(path, "re");
		char *p = NULL;

		if (f && fgets(buf, sizeof(buf), f))
			p = strrchr(buf, ')');
		if (f)
			fclose(f);
		if (p && (p[2] == 'T' || p[2] == 't'))
			return;
		usleep(1000); /* nothing to wait on: the kernel says it stopped only in /proc */
	}
	fail("stopped asker never stopped", -1, 0);
}

/* Its own filter answers seccomp(2) with EPERM: no filter can be stacked on it any more. */
static void sealed_asker(struct asker *a)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { N_INSNS(insns), insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		fail("sealed: its own filter", -1, errno);
	answer_getsid(a);
	_exit(0);
}

static void *asker_thread(void *arg)
{
	answer_getsid(arg);
	return NULL;
}

static void ask(struct asker *a, int out[2])
{
	if (write(a->req[1], "?", 1) != 1 || read(a->ans[0], out, 2 * sizeof(int)) != 2 * sizeof(int))
		fail("asker", -1, errno);
}

/* The same with an asker that may be gone: 0, or -1. */
static int ask_maybe(struct asker *a, int out[2])
{
	return write(a->req[1], "?", 1) == 1 &&
			       read(a->ans[0], out, 2 * sizeof(int)) == 2 * sizeof(int)
		       ? 0
		       : -1;
}

static void *load_thread(void *arg)
{
	(void)arg;
	for (unsigned i = 0;; i++) {
		syscall(SYS_getppid);
		if (i % 16384 == 0) /* a stop in the tracer, and a bounded audit log */
			syscall(SYS_mkdirat, AT_FDCWD, "/reload-dir", 0755);
	}
	return NULL;
}

static void start_load(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, load_thread, NULL))
			fail("pthread_create", -1, errno);
	}
}

static int reload(const char *fifo, int n)
{
	struct asker th, ch, vf, st, se;
	char line[256];
	FILE *f = fopen(fifo, "r+");
	pthread_t t;
	pid_t stopped;

	if (f == NULL || pipe(th.req) || pipe(th.ans) || pipe(ch.req) || pipe(ch.ans) ||
	    pipe(vf.req) || pipe(vf.ans) || pipe(st.req) || pipe(st.ans) || pipe(se.req) ||
	    pipe(se.ans))
		fail("reload: setup", -1, errno);
	signal(SIGPIPE, SIG_IGN); /* the sealed asker's pipe, once it is gone */
	if (fork_or_fail() == 0)
		sealed_asker(&se);
	close(se.req[0]);
	close(se.ans[1]);
	if (fork_or_fail() == 0) {
		start_load(n);
		answer_getsid(&ch);
		_exit(0);
	}
	if (fork_or_fail() == 0)
		vfork_asker(&vf);
	if ((stopped = fork_or_fail()) == 0)
		stopped_asker(&st);
	if (pthread_create(&t, NULL, asker_thread, &th))
		fail("pthread_create", -1, errno);
	start_load(n);
	while (fgets(line, sizeof(line), f)) {
		int m[2], a[2], c[2], v[2], z[2], w[2] = { 0, 0 }, q[2];
		char sealed[32];
		long r = syscall(SYS_getsid, 0);
		pid_t pid;
		int p[2];

		m[0] = r < 0 ? -1 : 0;
		m[1] = r < 0 ? errno : 0;
		ask(&th, a);
		ask(&ch, c);
		ask(&vf, v);
		wait_stopped(stopped);
		kill(stopped, SIGCONT);
		ask(&st, z);
		if (ask_maybe(&se, q) == 0)
			snprintf(sealed, sizeof(sealed), "%d %d", q[0], q[1]);
		else
			snprintf(sealed, sizeof(sealed), "gone");
		if (pipe(p) || (pid = fork_or_fail()) < 0)
			fail("pipe", -1, errno);
		if (pid == 0) {
			r = syscall(SYS_getsid, 0);
			w[0] = r < 0 ? -1 : 0;
			w[1] = r < 0 ? errno : 0;
			_exit(write(p[1], w, sizeof(w)) == sizeof(w) ? 0 : 1);
		}
		close(p[1]);
		if (read(p[0], w, sizeof(w)) != sizeof(w))
			fail("new child", -1, errno);
		close(p[0]);
		waitpid(pid, NULL, 0);
		say("getsid: main %d %d thread %d %d child %d %d new %d %d vfork %d %d stopped %d %d "
		    "sealed %s",
		    m[0], m[1], a[0], a[1], c[0], c[1], w[0], w[1], v[0], v[1], z[0], z[1], sealed);
	}
	return 0;
}

/* churn: the calls a round k tightening denies, the first k of these (errno 70 + i) */
static const long churn_calls[] = { SYS_getsid, SYS_getpgrp, SYS_getresgid,
				    SYS_sched_getscheduler };
#define CHURN_ROUNDS 4
static const char *churn_round;
static unsigned long *churn_cycles; /* shared: probes per round */

static int churn_read_round(void)
{
	char c = '0';
	int fd = open(churn_round, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c >= '0' && c <= '0' + CHURN_ROUNDS ? c - '0' : 0;
}

/* The round in force, then its calls: 0, or 1 (and a LEAK line) when one ran. */
static int churn_probe(const char *who)
{
	int k = churn_read_round();
	gid_t g[3];

	for (int i = 0; i < k; i++) {
		long r = churn_calls[i] == SYS_getresgid ? syscall(SYS_getresgid, &g[0], &g[1], &g[2])
							  : syscall(churn_calls[i], 0);
		/* a newer round's errno is fine: the file was read before the call */
		if (r >= 0 || errno < 71 + i || errno > 70 + CHURN_ROUNDS) {
			say("LEAK %s %d: round %d, call %d returned %ld errno %d", who, getpid(),
			    k, i + 1, r, r < 0 ? errno : 0);
			return 1;
		}
	}
	if (churn_cycles)
		__atomic_add_fetch(&churn_cycles[k], 1, __ATOMIC_RELAXED);
	return 0;
}

static void churn_exec(void)
{
	const char *argv[] = { "integ-prog", "churn-child", churn_round, NULL };

	execv("/bin/integ-prog", (char *const *)argv);
	_exit(102);
}

static void *churn_thread(void *arg)
{
	if ((long)arg % 3 == 0)
		churn_exec(); /* from a thread that is not the leader */
	return (void *)(long)churn_probe("thread");
}

static int __attribute__((noreturn)) churn_worker(void)
{
	for (long n = 0;; n++) {
		pid_t pid = fork_or_fail();
		int st;

		if (pid == 0) {
			pthread_t th;
			void *leak = NULL;

			if (pthread_create(&th, NULL, churn_thread, (void *)n) == 0)
				pthread_join(th, &leak);
			if (n % 3 == 1)
				churn_exec();
			_exit(churn_probe("child") || leak ? 1 : 0);
		}
		churn_probe("worker");
		st = status_of(pid);
		if (st != 0 && st != 1)
			say("LEAK? child %d: status %d", pid, st);
	}
}

static int churn(const char *round, int n)
{
	int done = 0;

	churn_round = round;
	churn_cycles = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (churn_cycles == MAP_FAILED)
		fail("mmap", -1, errno);
	for (int i = 0; i < n; i++)
		if (fork_or_fail() == 0)
			churn_worker();
	say("churning");
	for (;;) {
		int k = churn_read_round();

		churn_probe("init");
		if (k > done &&
		    __atomic_load_n(&churn_cycles[k], __ATOMIC_RELAXED) >= 20ul * (unsigned)n) {
			say("round %d done", k);
			done = k;
		}
		usleep(1000);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	sem_init(&started, 0, 0);
	if (strcmp(mode, "probe") == 0 && argc == 3)
		return probe(atoi(argv[2]));
	if (strcmp(mode, "threads") == 0 && argc == 5)
		return threads(atoi(argv[2]), atoi(argv[3]), argv[4]);
	if (strcmp(mode, "tree") == 0 && argc == 3)
		return tree(atoi(argv[2]));
	if (strcmp(mode, "hammer") == 0 && argc == 3)
		return hammer_forever(atoi(argv[2]));
	if (strcmp(mode, "lines") == 0 && argc == 3)
		return lines(argv[2]);
	if (strcmp(mode, "flood") == 0 && argc == 3)
		return flood(atoi(argv[2]));
	if (strcmp(mode, "reload") == 0 && argc == 4)
		return reload(argv[2], atoi(argv[3]));
	if (strcmp(mode, "churn") == 0 && argc == 4)
		return churn(argv[2], atoi(argv[3]));
	if (strcmp(mode, "churn-child") == 0 && argc == 3) {
		churn_round = argv[2];
		return churn_probe("exec");
	}
	dprintf(STDERR_FILENO, "usage: integ-prog probe STATUS | threads N STATUS main|thread | "
			       "tree STATUS | hammer N | flood N\n");
	return 2;
}
