/* escape PROBE...: the tracee tries to leave its tracer, or to become a tracer itself
 * (docs/kernel-behaviours.md §11; tricks 3, 4 and 6 of the hostile-container tests).
 *
 * PROBE is [thread/]ABI:WHAT (thread/: from a new, non-main thread; ABI x86_64, i386 through
 * int $0x80, x32 with nr | 0x40000000: the clone, clone3, ptrace and getppid calls):
 *   clone:traceme   clone(CLONE_UNTRACED | SIGCHLD); the child calls PTRACE_TRACEME and, if
 *                   that worked, stops itself; the parent (the cloning thread) sets
 *                   PTRACE_O_TRACESECCOMP and continues every seccomp stop, i.e. lets every
 *                   SECCOMP_RET_TRACE run; the child then calls getppid.
 *   clone:seize     the same, but the parent PTRACE_SEIZEs the child (options TRACESECCOMP)
 *   clone3:traceme, clone3:seize   the same with clone3({.flags = CLONE_UNTRACED})
 *   vfork:untraced  clone(CLONE_VM | CLONE_VFORK | CLONE_UNTRACED) (glibc's clone, x86_64): the
 *                   child says how it is traced and calls getppid
 *   race            a thread flips CLONE_UNTRACED in a struct clone_args that clone3 reads,
 *                   while clone3 is called RACE_TRIES times; every child reports whether it is
 *                   traced and calls getppid
 *   fork:traceme    a fork()ed child calls PTRACE_TRACEME
 *   attach:sibling, seize:sibling   PTRACE_ATTACH / PTRACE_SEIZE of a sibling process
 *   attach:thread, seize:thread     ... of another thread of the caller's own process
 * Lines (a clone child's lines come before its parent's last line):
 *   PROBE child tracer before: REL     the clone child at its start; REL is untraced, parent
 *                                      (traced by the thread that cloned it) or octrace (any
 *                                      other tracer: the one under test)
 *   PROBE traceme = RESULT             PTRACE_TRACEME in the child
 *   PROBE seize = RESULT               PTRACE_SEIZE of the child by its parent
 *   PROBE child tracer after: REL      after TRACEME / SEIZE
 *   PROBE getppid = RESULT             the denied call, in the child
 *   PROBE parent: clone RESULT, seccomp stops N, child DEATH
 *                                      N = seccomp stops the parent saw (and let run)
 *   PROBE clone3 results: LIST; children: LIST; children getppid: LIST     (race; LIST is
 *                                      the set of what was seen, sorted, or "none")
 *   PROBE = RESULT                     attach/seize
 *   PROBE = killed SIGNAME | exit N    how the probe's child ended (unless exit 0)
 * RESULT is ok or -1 ENAME, never a pid. The kernel alone lets each trick work (the policy's
 * ERRNO/KILL still stops getppid); octrace refuses every one of them (README, Limits: the untraced flag
 * is cleared, clone3 is ENOSYS, ptrace TRACEME/ATTACH/SEIZE is EPERM). Never hangs: the
 * parent only waits for its own children, bounded loops, alarm() as the outer guard. */
#include "hostile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RACE_TRIES 2000

struct probe {
	const char *text;
	enum abi abi;
	const char *what;
};

static const struct abi_nrs *N(const struct probe *p) { return abi_nrs(p->abi); }

static long ptrace_abi(const struct probe *p, long req, long pid, long addr, long data)
{
	return abi_call(p->abi, N(p)->ptrace, req, pid, addr, data);
}

static struct clone_args *clone3_args(void)
{
	struct clone_args *a = low_alloc(sizeof(*a)); /* zeroed */

	a->flags = CLONE_UNTRACED;
	a->exit_signal = SIGCHLD;
	return a;
}

static void must_pipe(int fd[2])
{
	if (pipe2(fd, O_CLOEXEC) < 0)
		fail("pipe: %m");
}

static void must_write(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(101);
}

static void must_read(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(102);
}

/* The parent's side of clone:traceme/seize: wait for the child, continuing every stop; when
 * it first stops (SIGSTOP after a successful TRACEME), set PTRACE_O_TRACESECCOMP. Returns the
 * child's wait status; *stops counts the seccomp stops. */
static int trace_child(pid_t child, int *stops)
{
	int st, opts = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

	*stops = 0;
	for (;;) {
		if (waitpid(child, &st, __WALL | WUNTRACED) != child)
			fail("waitpid: %m");
		if (!WIFSTOPPED(st))
			return st;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
			(*stops)++;
			ptrace(PTRACE_CONT, child, 0, 0); /* let it run */
			continue;
		}
		if (WSTOPSIG(st) == SIGSTOP)
			ptrace(PTRACE_SETOPTIONS, child, 0, opts);
		if (ptrace(PTRACE_CONT, child, 0,
			   WSTOPSIG(st) == SIGSTOP || st >> 16 ? 0 : WSTOPSIG(st)) < 0)
			kill(child, SIGCONT); /* a group stop of a child we do not trace */
	}
}

static void clone_child(const struct probe *p, pid_t tracer_tid, int seize, int ready, int go)
{
	long r;

	say("%s child tracer before: %s", p->text, tracer_relation(tracer_tid));
	if (seize) {
		must_write(ready);
		must_read(go);
	} else {
		r = ptrace_abi(p, PTRACE_TRACEME, 0, 0, 0);
		say("%s traceme = %s", p->text, res(r));
		if (r == 0)
			kill(getpid(), SIGSTOP); /* raise() would use glibc's stale tid */
	}
	say("%s child tracer after: %s", p->text, tracer_relation(tracer_tid));
	say("%s getppid = %s", p->text, res(abi_call(p->abi, N(p)->getppid, 0, 0, 0, 0)));
	_exit(0);
}

static void do_clone(const struct probe *p, int use_clone3, int seize)
{
	pid_t me = gettid();
	int ready[2], go[2], stops = 0, st;
	long pid;

	must_pipe(ready);
	must_pipe(go);
	if (use_clone3)
		pid = abi_call(p->abi, N(p)->clone3, (long)clone3_args(), sizeof(struct clone_args),
			       0, 0);
	else
		pid = abi_call(p->abi, N(p)->clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0);
	if (pid == 0)
		clone_child(p, me, seize, ready[1], go[0]);
	if (pid < 0) {
		say("%s parent: clone %s", p->text, res(pid));
		return;
	}
	if (seize) {
		must_read(ready[0]);
		say("%s seize = %s", p->text,
		    res(ptrace_abi(p, PTRACE_SEIZE, pid, 0,
				   PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)));
		must_write(go[1]);
	}
	st = trace_child((pid_t)pid, &stops);
	say("%s parent: clone ok, seccomp stops %d, child %s", p->text, stops, death(st));
}

static pid_t vfork_tracer;

static int vfork_child(void *arg)
{
	const struct probe *p = arg;

	say("%s child tracer before: %s", p->text, tracer_relation(vfork_tracer));
	say("%s getppid = %s", p->text, res(abi_call(p->abi, N(p)->getppid, 0, 0, 0, 0)));
	_exit(0);
}

static void do_vfork(const struct probe *p)
{
	size_t size = 256 * 1024;
	char *stack = malloc(size);
	int st;
	pid_t pid;

	if (!stack)
		fail("malloc");
	vfork_tracer = gettid();
	pid = clone(vfork_child, stack + size, CLONE_VM | CLONE_VFORK | CLONE_UNTRACED | SIGCHLD,
		    (void *)p);
	if (pid < 0) {
		say("%s parent: clone -1 %s", p->text, strerrorname_np(errno));
		return;
	}
	if (waitpid(pid, &st, __WALL) != pid)
		fail("waitpid: %m");
	say("%s parent: clone ok, child %s", p->text, death(st));
	free(stack);
}

/* A small set of strings, printed sorted and comma-separated ("none" when empty). */
struct set {
	char items[8][32];
	int n;
};

static void set_add(struct set *s, const char *item)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->items[i], item))
			return;
	if (s->n < 8)
		snprintf(s->items[s->n++], 32, "%s", item);
}

static int cmp_items(const void *a, const void *b) { return strcmp(a, b); }

static const char *set_text(struct set *s, char *buf, size_t len)
{
	size_t off = 0;

	if (s->n == 0)
		return "none";
	qsort(s->items, s->n, sizeof(s->items[0]), cmp_items);
	buf[0] = '\0';
	for (int i = 0; i < s->n; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "", s->items[i]);
	return buf;
}

static struct clone_args *race_args;
static atomic_int race_stop;

static void *flipper(void *arg)
{
	volatile __u64 *flags = &race_args->flags;

	(void)arg;
	while (!atomic_load_explicit(&race_stop, memory_order_relaxed))
		*flags ^= CLONE_UNTRACED;
	return NULL;
}

static void do_race(const struct probe *p)
{
	struct set results = {0}, children = {0}, getppids = {0};
	char b1[256], b2[256], b3[256];
	int fd[2], st;
	pthread_t t;

	race_args = clone3_args();
	must_pipe(fd);
	if (fcntl(fd[0], F_SETFL, O_NONBLOCK) < 0)
		fail("fcntl: %m");
	t = start_thread(flipper, NULL);
	for (int i = 0; i < RACE_TRIES; i++) {
		long pid = abi_call(p->abi, N(p)->clone3, (long)race_args,
				    sizeof(struct clone_args), 0, 0);
		char msg[2];

		if (pid == 0) { /* only this thread runs here: raw syscalls, write, _exit */
			long r;

			msg[0] = tracer_pid() == 0 ? 'U' : 'T';
			if (write(fd[1], msg, 1) != 1)
				_exit(101);
			r = abi_call(p->abi, N(p)->getppid, 0, 0, 0, 0);
			msg[0] = r >= 0 ? 'O' : r == -EPERM ? 'P' : r == -ENOSYS ? 'N' : 'X';
			if (write(fd[1], msg, 1) != 1)
				_exit(101);
			_exit(0);
		}
		set_add(&results, res(pid));
		if (pid < 0)
			continue;
		if (waitpid((pid_t)pid, &st, __WALL) != pid)
			fail("waitpid: %m");
		ssize_t n = read(fd[0], msg, 2);

		if (n >= 1)
			set_add(&children, msg[0] == 'T' ? "traced" : "untraced");
		if (n == 2)
			set_add(&getppids, msg[1] == 'O'   ? "ok"
					   : msg[1] == 'P' ? "-1 EPERM"
					   : msg[1] == 'N' ? "-1 ENOSYS"
							   : "-1 other");
		if (st != 0)
			set_add(&getppids, death(st));
	}
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	say("%s clone3 results: %s; children: %s; children getppid: %s", p->text,
	    set_text(&results, b1, sizeof(b1)), set_text(&children, b2, sizeof(b2)),
	    set_text(&getppids, b3, sizeof(b3)));
}

static void do_fork_traceme(const struct probe *p)
{
	int st, stops;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork: %m");
	if (pid == 0) {
		say("%s traceme = %s", p->text, res(ptrace_abi(p, PTRACE_TRACEME, 0, 0, 0)));
		_exit(0);
	}
	st = trace_child(pid, &stops);
	say("%s parent: child %s", p->text, death(st));
}

static void do_attach_sibling(const struct probe *p, long req)
{
	int fd[2], st;
	pid_t sib, att;

	must_pipe(fd);
	sib = fork();
	if (sib < 0)
		fail("fork: %m");
	if (sib == 0) {
		char c;

		close(fd[1]);
		(void)!read(fd[0], &c, 1); /* until EOF or SIGKILL */
		_exit(0);
	}
	att = fork();
	if (att < 0)
		fail("fork: %m");
	if (att == 0) { /* exits at once: the kernel detaches whatever it attached */
		say("%s = %s", p->text, res(ptrace_abi(p, req, sib, 0, 0)));
		_exit(0);
	}
	if (waitpid(att, &st, 0) != att || st != 0)
		fail("attacher: %s", death(st));
	close(fd[1]);
	kill(sib, SIGKILL); /* a successful ATTACH may have left it stopped */
	if (waitpid(sib, &st, 0) != sib)
		fail("waitpid: %m");
}

static int up[2], hold[2]; /* the blocker thread: "up" when its tid is known; waits on hold */
static pid_t blocker_tid;

static void *blocker(void *arg)
{
	char c;

	(void)arg;
	blocker_tid = gettid();
	must_write(up[1]);
	(void)!read(hold[0], &c, 1); /* until the caller writes */
	return NULL;
}

static void do_attach_thread(const struct probe *p, long req)
{
	pthread_t t;

	must_pipe(up);
	must_pipe(hold);
	t = start_thread(blocker, NULL);
	must_read(up[0]);
	say("%s = %s", p->text, res(ptrace_abi(p, req, blocker_tid, 0, 0)));
	must_write(hold[1]);
	pthread_join(t, NULL);
}

static void run(void *arg)
{
	const struct probe *p = arg;
	const char *w = p->what;

	if (!strcmp(w, "clone:traceme"))
		do_clone(p, 0, 0);
	else if (!strcmp(w, "clone:seize"))
		do_clone(p, 0, 1);
	else if (!strcmp(w, "clone3:traceme"))
		do_clone(p, 1, 0);
	else if (!strcmp(w, "clone3:seize"))
		do_clone(p, 1, 1);
	else if (!strcmp(w, "vfork:untraced"))
		do_vfork(p);
	else if (!strcmp(w, "race"))
		do_race(p);
	else if (!strcmp(w, "fork:traceme"))
		do_fork_traceme(p);
	else if (!strcmp(w, "attach:sibling"))
		do_attach_sibling(p, PTRACE_ATTACH);
	else if (!strcmp(w, "seize:sibling"))
		do_attach_sibling(p, PTRACE_SEIZE);
	else if (!strcmp(w, "attach:thread"))
		do_attach_thread(p, PTRACE_ATTACH);
	else if (!strcmp(w, "seize:thread"))
		do_attach_thread(p, PTRACE_SEIZE);
	else
		fail("%s: unknown probe", p->text);
}

static void run_thread(void *arg) { in_thread(run, arg); }

int main(int argc, char **argv)
{
	hostile_setup(300);
	for (int i = 1; i < argc; i++) {
		struct probe p = {.text = argv[i]};
		int thread = !strncmp(argv[i], "thread/", 7);

		p.abi = parse_abi(thread ? argv[i] + 7 : argv[i], &p.what);
		if (!strcmp(p.what, "vfork:untraced") && p.abi != ABI_X86_64)
			fail("%s: vfork:untraced is x86_64 only", argv[i]);
		probe_child(argv[i], thread ? run_thread : run, &p, 60);
	}
	return 0;
}
