/* redteam MODE [ARGS...]: the red-team attempts of tests/tracer/redteam.sh, one mode each.
 * Every mode prints stable lines ("WHAT = ok", "WHAT = -1 ENAME", "WHAT = killed SIGNAME") so
 * that its output under the kernel's own enforcement (seccomp-exec) and under octrace compare
 * as text. Every mode has an alarm(); loops are bounded; nothing sleeps to synchronise.
 *
 *   ready MODE ARGS...   print "ready PID", read one line from stdin (the test attaches octrace
 *                        meanwhile: a stopped task cannot read it before the attach is done),
 *                        then run MODE
 *   hello                print "hello"
 *   getppid              print "getppid = RES"
 *   traced               print "traced = yes|no" (TracerPid), then "getppid = RES"
 *   listener-exec        install a filter of its own sending getppid to a user-notification
 *                        listener (before any exec: not armed under `attach`), keep the fd
 *                        across the exec of "notify-stage2 FD"
 *   notify-stage2 FD     a thread supervises FD and answers CONTINUE ("supervisor: continue
 *                        getppid"); the main thread calls getppid
 *   fork-exec            fork a child that waits on a pipe, then exec "fork-stage2 WFD PID",
 *                        which releases it: the child calls getppid ("child getppid = RES")
 *   ownerr-exec          a filter of its own: seccomp() with SECCOMP_FILTER_FLAG_TSYNC ->
 *                        EPERM (what octrace injects at an arming exec), getppid -> EIO; then
 *                        exec "getppid"
 *   stop-exec N          N children each exec "hello" while this process SIGSTOPs and
 *                        SIGCONTs them during their exec; "stop-exec: N of N exec'd fine" or
 *                        one line per child that did not exit 0
 *   kill-exec N          the same with SIGKILL: "stop-exec: K of K exec'd fine, the others
 *                        killed"
 *   guard-own NAME...    per NAME (ptrace, clone3, untraced), in a child: a filter of its own
 *                        answering ERRNO(EIO) for that syscall, then the call (PTRACE_TRACEME;
 *                        clone3 of a child that exits; clone(CLONE_UNTRACED|SIGCHLD))
 *   flood N FIRST STEP   N raw syscalls numbered FIRST, FIRST+STEP, ...; "flood done", then
 *                        read one line
 *   churn N              N threads each creating and joining threads in a loop that call
 *                        getppid, until one of them is denied; "denied all" once every one of
 *                        them was denied; "escaped" if a getppid succeeded after another had
 *                        been denied
 *   zombie               (with ready) a child that has exited and is not reaped yet
 *   clone-parent         clone(CLONE_PARENT) a child (a sibling, out of this subtree) that
 *                        outlives it, calls getppid, then execs "getppid"
 *   newns                unshare(CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS), then a child (pid 1
 *                        of the new namespace) calls getppid and execs "getppid"
 *   chmod PATH MODE      fchmodat(AT_FDCWD, PATH, MODE (octal)); "fchmodat MODE = RES, mode
 *                        now MODE"
 *   patch-tracer OFFSET  open /proc/TRACER/mem (TracerPid) and write "xor %eax,%eax; ret" at
 *                        the tracer's load address + OFFSET, then call getppid
 *   zombie-leader        the leader pthread_exit()s; once it is a zombie a thread prints
 *                        "ready PID", reads a line and calls getppid
 *   exec-race N          N rounds: a child whose threads create threads in a loop while one
 *                        non-leader thread execs "getppid"
 *   exit-race N          N rounds: a thread execs "hello" while the leader calls exit_group(3)
 *   memfd-exec           exec "getppid" through execveat(memfd, "", AT_EMPTY_PATH)
 *   enoent-exec          an exec that fails (ENOENT), then exec "getppid"
 *   sigsys-self          send itself a SIGSYS whose siginfo says SYS_SECCOMP getppid (ignored
 *                        by a handler): getppid itself is never called
 *   deny-loop N          N threads calling getppid in a loop; "looping" first, "escaped" if a
 *                        call ever succeeds (for killing octrace under it) */
#include "hostile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static char self[4096];
static char **env;

static void exec_self(const char *mode, const char *a1, const char *a2)
{
	char *argv[] = {self, (char *)mode, (char *)a1, (char *)a2, NULL};

	execve(self, argv, env);
	fail("execve %s %s: %m", self, mode);
}

static void do_getppid(void) { say("getppid = %s", res(raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0))); }

static void read_line(void)
{
	char c;

	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

/* ---- a filter of our own, written out: the policy of each mode ---- */

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARG1 BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

static long install(struct sock_filter *f, unsigned short len, unsigned flags)
{
	struct sock_fprog prog = {len, f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("PR_SET_NO_NEW_PRIVS: %m");
	return raw_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, (long)&prog, 0, 0, 0);
}

/* x86_64 only: anything else (i386, x32 numbers) is allowed */
static long filter_one(long nr, uint32_t action, unsigned flags)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
	    LD_NR,
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
	    RET(action),
	    RET(SECCOMP_RET_ALLOW),
	};

	return install(f, sizeof(f) / sizeof(f[0]), flags);
}

/* ---- listener-exec / notify-stage2 ---- */

static void listener_exec(void)
{
	long fd = filter_one(SYS_getppid, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	char arg[16];
	int keep;

	say("listener = %s", res(fd));
	if (fd < 0)
		exit(0);
	keep = dup((int)fd); /* without O_CLOEXEC: it survives the exec */
	if (keep < 0)
		fail("dup: %m");
	snprintf(arg, sizeof(arg), "%d", keep);
	exec_self("notify-stage2", arg, NULL);
}

static void *supervise(void *arg)
{
	int fd = (int)(long)arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	memset(&req, 0, sizeof(req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return NULL;
	say("supervisor: continue %s", req.data.nr == SYS_getppid ? "getppid" : "other");
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	return NULL;
}

static void notify_stage2(const char *fd)
{
	start_thread(supervise, (void *)(long)atoi(fd));
	do_getppid();
	exit(0); /* the supervisor may still wait: exit_group ends it */
}

/* ---- fork-exec / fork-stage2 ---- */

static void fork_exec(void)
{
	int p[2];
	char w[16], pid[16];
	pid_t child;

	if (pipe(p) < 0)
		fail("pipe: %m");
	child = fork();
	if (child < 0)
		fail("fork: %m");
	if (child == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(3);
		say("child getppid = %s", res(raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0)));
		_exit(0);
	}
	close(p[0]);
	snprintf(w, sizeof(w), "%d", p[1]);
	snprintf(pid, sizeof(pid), "%d", child);
	exec_self("fork-stage2", w, pid);
}

static void fork_stage2(const char *w, const char *pid)
{
	int st;

	if (write(atoi(w), "x", 1) != 1)
		fail("write: %m");
	if (waitpid(atoi(pid), &st, 0) < 0)
		fail("waitpid: %m");
	if (st)
		say("child = %s", death(st));
	do_getppid();
}

/* ---- ownerr-exec ---- */

static void ownerr_exec(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
	    LD_NR,
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
	    RET(SECCOMP_RET_ERRNO | EIO),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 3),
	    LD_ARG1,
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SECCOMP_FILTER_FLAG_TSYNC, 0, 1),
	    RET(SECCOMP_RET_ERRNO | EPERM),
	    RET(SECCOMP_RET_ALLOW),
	};

	say("own filter = %s", res(install(f, sizeof(f) / sizeof(f[0]), 0)));
	exec_self("getppid", NULL, NULL);
}

/* ---- stop-exec ---- */

static void stop_exec(int n, int sig)
{
	int bad = 0, killed = 0;

	for (int i = 0; i < n; i++) {
		int p[2], st;
		char c;
		pid_t child;

		if (pipe(p) < 0)
			fail("pipe: %m");
		child = fork();
		if (child < 0)
			fail("fork: %m");
		if (child == 0) {
			char *argv[] = {self, (char *)"true", NULL};

			close(p[0]);
			if (write(p[1], "x", 1) != 1)
				_exit(3);
			execve(self, argv, env);
			_exit(4);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			fail("read: %m");
		close(p[0]);
		kill(child, sig); /* lands before, during or after its exec */
		if (waitpid(child, &st, WUNTRACED) != child)
			fail("waitpid: %m");
		if (WIFSTOPPED(st)) {
			kill(child, SIGCONT);
			if (waitpid(child, &st, 0) != child)
				fail("waitpid: %m");
		}
		if (sig == SIGKILL && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			killed++;
		} else if (st != 0) {
			say("stop-exec: child %d: %s", i, death(st));
			bad++;
		}
	}
	if (bad == 0)
		say("stop-exec: %d of %d exec'd fine%s", n - killed, n - killed,
		    sig == SIGKILL ? ", the others killed" : "");
}

/* ---- guard-own ---- */

static void guard_probe(void *arg)
{
	const char *name = arg;
	long nr = !strcmp(name, "ptrace") ? SYS_ptrace : !strcmp(name, "clone3") ? SYS_clone3 : SYS_clone;
	long own = filter_one(nr, SECCOMP_RET_ERRNO | EIO, 0), ret;

	if (own < 0)
		fail("own filter: %s", res(own));
	if (nr == SYS_ptrace) {
		ret = raw_syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0, 0);
	} else if (nr == SYS_clone3) {
		struct clone_args ca = {.exit_signal = SIGCHLD};

		ret = raw_syscall(SYS_clone3, (long)&ca, sizeof(ca), 0, 0, 0, 0);
	} else {
		ret = raw_syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0, 0);
	}
	if (ret == 0 && nr != SYS_ptrace)
		_exit(0); /* the clone's child */
	if (ret > 0)
		waitpid((pid_t)ret, NULL, 0);
	say("%s = %s", name, res(ret));
}

/* ---- flood ---- */

static void flood(long n, long first, long step)
{
	for (long i = 0; i < n; i++)
		raw_syscall(first + i * step, 0, 0, 0, 0, 0, 0);
	say("flood done");
	read_line();
}

/* ---- churn ---- */

static atomic_int denied_seen, escaped_seen, n_denied, churn_quit;
static int n_churn;

static void *churn_once(void *arg)
{
	int after = atomic_load(&denied_seen);
	long r = raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);

	if (r == -EPERM)
		atomic_store(&denied_seen, 1);
	else if (after && r >= 0 && atomic_exchange(&escaped_seen, 1) == 0)
		say("escaped: getppid succeeded after the policy was enforced");
	*(long *)arg = r;
	return NULL;
}

static void *churner(void *arg)
{
	int mine = 0;
	long r;

	while (!atomic_load(&churn_quit)) {
		pthread_t t;

		if (pthread_create(&t, NULL, churn_once, &r) != 0)
			continue; /* out of threads for a moment */
		pthread_join(t, NULL);
		if (r == -EPERM && !mine) {
			mine = 1;
			if (atomic_fetch_add(&n_denied, 1) + 1 == n_churn)
				say("denied all");
			break; /* denied: stop loading the CPUs octrace needs for the others */
		}
	}
	return arg;
}

static void churn(int n)
{
	pthread_t *t = calloc(n, sizeof(*t));

	n_churn = n;
	for (int i = 0; i < n; i++)
		t[i] = start_thread(churner, NULL);
	say("churning %d", n);
	read_line();
	atomic_store(&churn_quit, 1);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	say("churn: %d of %d denied", atomic_load(&n_denied), n);
}

/* ---- exec-race / exit-race ---- */

static pthread_barrier_t barrier;
static atomic_int race_quit;

static void *noop(void *arg) { return arg; }

static void *cloner(void *arg)
{
	while (!atomic_load(&race_quit)) {
		pthread_t t;

		if (pthread_create(&t, NULL, noop, NULL) == 0)
			pthread_join(t, NULL);
	}
	return arg;
}

static void *execer(void *arg)
{
	const char *mode = arg;

	pthread_barrier_wait(&barrier);
	exec_self(mode, NULL, NULL);
	return NULL;
}

static void race_round(int exit_race)
{
	if (!exit_race) {
		for (int i = 0; i < 4; i++)
			start_thread(cloner, NULL);
		start_thread(execer, (void *)"getppid");
		pthread_barrier_wait(&barrier);
		pthread_exit(NULL); /* the leader too: the exec takes a zombie leader's tid */
	}
	start_thread(execer, (void *)"hello");
	pthread_barrier_wait(&barrier);
	syscall(SYS_exit_group, 3);
}

static void races(int n, int exit_race)
{
	int ok = 0, other = 0;

	for (int i = 0; i < n; i++) {
		int p[2], st;
		char buf[256];
		ssize_t got, len = 0;
		pid_t child;

		if (pipe(p) < 0)
			fail("pipe: %m");
		child = fork();
		if (child < 0)
			fail("fork: %m");
		if (child == 0) {
			close(p[0]);
			dup2(p[1], 1);
			pthread_barrier_init(&barrier, NULL, 2);
			race_round(exit_race);
			_exit(5);
		}
		close(p[1]);
		while ((got = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
			len += got;
		buf[len] = '\0';
		close(p[0]);
		if (waitpid(child, &st, 0) != child)
			fail("waitpid: %m");
		if (!exit_race && st == 0 && !strcmp(buf, "getppid = -1 EPERM\n"))
			ok++;
		else if (exit_race && ((st == 0 && !strcmp(buf, "hello\n")) ||
				       (WIFEXITED(st) && WEXITSTATUS(st) == 3 && len == 0)))
			ok++;
		else if (other++ < 3)
			say("round %d: %s, output '%.*s'", i, death(st), (int)strcspn(buf, "\n"), buf);
	}
	say("%s: %d of %d rounds as expected", exit_race ? "exit-race" : "exec-race", ok, n);
}

/* ---- memfd-exec / enoent-exec ---- */

static void memfd_exec(void)
{
	int in = open(self, O_RDONLY | O_CLOEXEC), fd = memfd_create("rt", MFD_CLOEXEC);
	char buf[65536];
	ssize_t n;
	char *argv[] = {(char *)"redteam", (char *)"getppid", NULL};

	if (in < 0 || fd < 0)
		fail("open/memfd_create: %m");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			fail("write: %m");
	/* MFD_CLOEXEC on a memfd: the kernel still execs it (it opens the file first) */
	syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
	fail("execveat: %m");
}

static void enoent_exec(void)
{
	char *argv[] = {(char *)"nothing", NULL};

	say("exec missing = %s", res(raw_syscall(SYS_execve, (long)"/nonexistent/redteam",
						 (long)argv, (long)env, 0, 0, 0)));
	exec_self("getppid", NULL, NULL);
}

/* ---- sigsys-self ---- */

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	say("handler: SIGSYS code=%d syscall=%d", si->si_code, si->si_syscall);
}

static void sigsys_self(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	siginfo_t si;

	sigaction(SIGSYS, &sa, NULL);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSYS;
	si.si_code = SYS_SECCOMP;
	si.si_syscall = SYS_getppid;
	si.si_arch = AUDIT_ARCH_X86_64;
	say("sigqueue = %s", res(raw_syscall(SYS_rt_tgsigqueueinfo, getpid(),
					     raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSYS,
					     (long)&si, 0, 0)));
}

/* ---- clone-parent / newns ---- */

static void clone_parent(void)
{
	int p[2];
	long child;

	if (pipe(p) < 0)
		fail("pipe: %m");
	child = raw_syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0, 0);
	if (child < 0)
		fail("clone(CLONE_PARENT): %s", res(child));
	if (child == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 0) /* EOF: the process that cloned it is gone */
			_exit(3);
		say("orphan getppid = %s", res(raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0)));
		exec_self("getppid", NULL, NULL);
	}
	exit(0);
}

static void newns(void)
{
	pid_t child;
	int st;

	say("unshare = %s", res(unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS) < 0 ? -errno : 0));
	child = fork();
	if (child < 0)
		fail("fork: %m");
	if (child == 0) {
		say("pid 1 getppid = %s", res(raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0)));
		exec_self("getppid", NULL, NULL);
	}
	waitpid(child, &st, 0);
	if (st)
		say("child = %s", death(st));
}

/* ---- chmod ---- */

static void do_chmod(const char *path, const char *mode)
{
	struct stat st;
	long r = raw_syscall(SYS_fchmodat, AT_FDCWD, (long)path, strtol(mode, NULL, 8), 0, 0, 0);

	if (stat(path, &st) < 0)
		fail("stat %s: %m", path);
	say("fchmodat %s = %s, mode now %04o", mode, res(r), st.st_mode & 07777);
}

/* ---- patch-tracer ---- */

static long status_field(const char *path, const char *key)
{
	char buf[4096], *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* The tracer is a process like any other: with the same uid (and no Yama) its memory is
 * writable through /proc/PID/mem. Overwrite the first bytes of its function at OFFSET (from
 * its load address) with "xor %eax,%eax; ret", then call getppid. */
static void patch_tracer(const char *offset)
{
	char path[64], line[512], exe[4096], target[4096];
	long tracer = status_field("/proc/self/status", "TracerPid:");
	unsigned long base = 0, start;
	unsigned long long off;
	FILE *maps;
	ssize_t n;
	int fd;

	say("tracer = %s", tracer > 0 ? "found" : "none");
	if (tracer <= 0)
		exit(0);
	snprintf(path, sizeof(path), "/proc/%ld/exe", tracer);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		fail("readlink %s: %m", path);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/maps", tracer);
	maps = fopen(path, "re");
	if (maps == NULL)
		fail("%s: %m", path);
	while (fgets(line, sizeof(line), maps))
		if (sscanf(line, "%lx-%*x %*s %llx %*s %*s %4095s", &start, &off, target) == 3 &&
		    off == 0 && strcmp(target, exe) == 0) {
			base = start;
			break;
		}
	fclose(maps);
	if (base == 0)
		fail("no mapping of %s in the tracer", exe);
	snprintf(path, sizeof(path), "/proc/%ld/mem", tracer);
	fd = open(path, O_RDWR | O_CLOEXEC);
	say("open tracer mem = %s", res(fd < 0 ? -errno : 0));
	if (fd < 0)
		exit(0);
	n = pwrite(fd, "\x31\xc0\xc3", 3, (off_t)(base + strtoul(offset, NULL, 0)));
	say("patch tracer = %s", res(n == 3 ? 0 : -errno));
	close(fd);
	do_getppid();
}

/* ---- zombie-leader ---- */

static pid_t leader_tid;

static char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

static void *zombie_worker(void *arg)
{
	long spins = 0;

	while (task_state(leader_tid) != 'Z')
		if (++spins > 100000000)
			fail("the leader never became a zombie");
		else
			sched_yield();
	say("ready %d", leader_tid);
	read_line();
	do_getppid();
	exit(0);
	return arg;
}

static void zombie_leader(void)
{
	leader_tid = getpid();
	start_thread(zombie_worker, NULL);
	pthread_exit(NULL);
}

/* ---- deny-loop ---- */

static void *deny_loop(void *arg)
{
	for (long i = 0; i < 100000000; i++)
		if (raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0) >= 0) {
			say("escaped: getppid succeeded");
			break;
		}
	return arg;
}

int main(int argc, char **argv, char **envp)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		fail("readlink /proc/self/exe: %m");
	self[n] = '\0';
	env = envp;
	hostile_setup(60);
	if (argc < 2)
		fail("usage: redteam MODE [ARGS...]");
	if (!strcmp(argv[1], "ready")) {
		if (argc > 2 && !strcmp(argv[2], "zombie")) {
			siginfo_t si;
			pid_t z = fork();

			if (z == 0)
				_exit(0);
			/* exited, not reaped (WNOWAIT): a zombie in the tree */
			if (z < 0 || waitid(P_PID, z, &si, WEXITED | WNOWAIT) < 0)
				fail("zombie: %m");
		}
		say("ready %d", getpid());
		read_line();
		argv++, argc--;
		if (!strcmp(argv[1], "zombie")) {
			do_getppid();
			return 0;
		}
	}
	const char *m = argv[1];

	if (!strcmp(m, "hello"))
		say("hello");
	else if (!strcmp(m, "true"))
		return 0;
	else if (!strcmp(m, "getppid"))
		do_getppid();
	else if (!strcmp(m, "traced")) {
		say("traced = %s", status_field("/proc/self/status", "TracerPid:") > 0 ? "yes" : "no");
		do_getppid();
	}
	else if (!strcmp(m, "listener-exec"))
		listener_exec();
	else if (!strcmp(m, "notify-stage2") && argc == 3)
		notify_stage2(argv[2]);
	else if (!strcmp(m, "fork-exec"))
		fork_exec();
	else if (!strcmp(m, "fork-stage2") && argc == 4)
		fork_stage2(argv[2], argv[3]);
	else if (!strcmp(m, "ownerr-exec"))
		ownerr_exec();
	else if (!strcmp(m, "stop-exec") && argc == 3)
		stop_exec(atoi(argv[2]), SIGSTOP);
	else if (!strcmp(m, "kill-exec") && argc == 3)
		stop_exec(atoi(argv[2]), SIGKILL);
	else if (!strcmp(m, "guard-own"))
		for (int i = 2; i < argc; i++)
			probe_child(argv[i], guard_probe, argv[i], 10);
	else if (!strcmp(m, "flood") && argc == 5)
		flood(strtol(argv[2], NULL, 0), strtol(argv[3], NULL, 0), strtol(argv[4], NULL, 0));
	else if (!strcmp(m, "churn") && argc == 3)
		churn(atoi(argv[2]));
	else if (!strcmp(m, "exec-race") && argc == 3)
		races(atoi(argv[2]), 0);
	else if (!strcmp(m, "exit-race") && argc == 3)
		races(atoi(argv[2]), 1);
	else if (!strcmp(m, "clone-parent"))
		clone_parent();
	else if (!strcmp(m, "newns"))
		newns();
	else if (!strcmp(m, "chmod") && argc == 4)
		do_chmod(argv[2], argv[3]);
	else if (!strcmp(m, "patch-tracer") && argc == 3)
		patch_tracer(argv[2]);
	else if (!strcmp(m, "zombie-leader"))
		zombie_leader();
	else if (!strcmp(m, "memfd-exec"))
		memfd_exec();
	else if (!strcmp(m, "enoent-exec"))
		enoent_exec();
	else if (!strcmp(m, "sigsys-self"))
		sigsys_self();
	else if (!strcmp(m, "deny-loop") && argc == 3) {
		int k = atoi(argv[2]);

		for (int i = 0; i < k; i++)
			start_thread(deny_loop, NULL);
		say("looping");
		deny_loop(NULL);
	} else
		fail("unknown mode %s", m);
	return 0;
}
