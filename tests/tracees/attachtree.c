/* attachtree MODE ...: process trees for `octrace attach --arm-now` to take whole (issue 9).
 *
 * Every process of the tree (grow and tree modes) is a "member": each of its threads blocks in
 * read() on stdin, the gate, until EOF (the test closes its end of the fifo: one event that
 * reaches every process, whenever it was forked), then calls getppid(ARG_ERRNO) and prints
 *   probe PID TID RET        RET: the raw return value (-1 is -EPERM, else the parent's pid)
 * The member then joins its threads, reaps every child it forked and prints
 *   end PID THREADS CHILDREN
 * ("lost PID CHILD STATUS" for a child that did not exit 0) and exits 0. The test checks that
 * every process has an `end` line, exactly THREADS probe lines, all -EPERM, and that the
 * CHILDREN add up (every process but the target is reaped by its parent: no process escaped).
 *
 *   grow CAP READY_AT PACE_US MEM_MB
 *                      the target (MEM_MB MiB of touched memory: each fork copies the page
 *                      tables, the longer it takes the wider its race with a seize) forks
 *                      from its leader and a second thread, back to back (PACE_US
 *                      microseconds apart, 0: none), CAP children each, until the gate closes;
 *                      odd children fork a grandchild at once, every third child starts a
 *                      second thread. "ready PID" once READY_AT children exist (0: before the
 *                      first fork): the test attaches then, while the tree keeps growing.
 *                      "full" once both forkers made CAP children.
 *   tree N             the target (two threads) forks N children, half from each thread (a
 *                      child of a non-leader thread is listed only in that thread's
 *                      /proc/PID/task/TID/children); every 4th child forks a grandchild (every
 *                      8th: with a second thread), every 5th child has 3 threads. "ready PID"
 *                      once every process is set up: the tree is quiescent until the gate.
 *   listener self|child  the target (self) or its one child (child) installs its own filter
 *                      with SECCOMP_FILTER_FLAG_NEW_LISTENER on its main thread, sending
 *                      getppid(ARG_NOTIFY) to a supervisor thread of the same process that
 *                      answers SECCOMP_USER_NOTIF_FLAG_CONTINUE. "ready PID" once the notify
 *                      path answered. On SIGUSR1 each process prints
 *                        alive PID notify=RET deny=RET answered=N
 *                      (getppid(ARG_NOTIFY) through the listener, getppid(ARG_ERRNO), how
 *                      many calls the supervisor answered: 0 in a process without one); on EOF on stdin it exits 0 (the target after its
 *                      child).
 *   idle               pause() until killed: a process outside any tree (a sibling).
 * Proves: attach takes every existing descendant and every process forked during the attach,
 * arms every thread group of the tree and no other; it refuses a tree holding a listener. */
#include "tracee.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>

#define ARG_NOTIFY 0xbeef /* getppid: the tracee's own SECCOMP_RET_USER_NOTIF */
#define MAX_THREADS 4

/* ---- members ---------------------------------------------------------------------------- */

/* Block until EOF on stdin. Data (there should be none) is ignored, EINTR retried. */
static void gate_wait(void)
{
	char buf[64];

	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n == 0)
			return;
		if (n < 0 && errno != EINTR)
			fail("read gate: %m");
	}
}

static void probe_and_say(void)
{
	long ret = probe(ARG_ERRNO);

	say("probe %d %d %ld", getpid(), gettid(), ret);
}

static void *waiter(void *arg)
{
	gate_wait();
	probe_and_say();
	return arg;
}

struct member {
	pthread_t threads[MAX_THREADS];
	int n_threads; /* besides the main thread */
};

static void member_thread(struct member *m, void *(*fn)(void *), void *arg)
{
	if (m->n_threads == MAX_THREADS)
		fail("too many threads");
	m->threads[m->n_threads++] = start_thread(fn, arg);
}

/* The main thread's part: gate, probe, join, reap, report, exit 0. */
static noreturn void member_finish(struct member *m, int main_waits)
{
	int i, st, children = 0;
	pid_t c;

	if (main_waits) {
		gate_wait();
		probe_and_say();
	}
	for (i = 0; i < m->n_threads; i++)
		pthread_join(m->threads[i], NULL);
	while ((c = waitpid(-1, &st, 0)) > 0 || (c < 0 && errno == EINTR)) {
		if (c < 0)
			continue;
		children++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			say("lost %d %d %#x", getpid(), c, st);
	}
	if (errno != ECHILD)
		fail("waitpid: %m");
	say("end %d %d %d", getpid(), m->n_threads + 1, children);
	exit(0);
}

/* A process of the tree with EXTRA more threads; READY_FD (if >= 0) gets one byte once set up. */
static noreturn void member_leaf(int extra, int ready_fd)
{
	struct member m = { 0 };
	char one = 1;

	for (int i = 0; i < extra; i++)
		member_thread(&m, waiter, NULL);
	if (ready_fd >= 0 && write(ready_fd, &one, 1) != 1)
		fail("write ready: %m");
	member_finish(&m, 1);
}

/* A forked child of the target: it may fork a grandchild (GRANDCHILD_EXTRA more threads). */
static noreturn void member_child(int grandchild, int grandchild_extra, int extra, int ready_fd)
{
	if (grandchild) {
		pid_t g = fork();

		if (g < 0)
			fail("fork grandchild: %m");
		if (g == 0)
			member_leaf(grandchild_extra, ready_fd);
	}
	member_leaf(extra, ready_fd);
}

/* ---- grow ------------------------------------------------------------------------------- */

static int grow_cap, grow_ready_at, grow_pace_us;
static atomic_int grow_forked, grow_full;

static int gate_closed(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void grow_say_ready(int forked)
{
	if (forked == grow_ready_at)
		say("ready %d", getpid());
}

/* Fork back to back until the gate closes or CAP children; then wait for the gate, probe. */
static void *grow_forker(void *arg)
{
	int i;

	for (i = 0; i < grow_cap && !gate_closed(); i++) {
		int n = atomic_fetch_add(&grow_forked, 1);
		pid_t c = fork();

		if (c < 0)
			fail("fork %d: %m", n);
		if (c == 0)
			member_child(n % 2, 0, n % 3 == 0, -1);
		grow_say_ready(n + 1);
		if (grow_pace_us > 0) {
			struct timespec ts = { .tv_nsec = grow_pace_us * 1000L };

			nanosleep(&ts, NULL);
		}
	}
	if (i == grow_cap && atomic_fetch_add(&grow_full, 1) == 1)
		say("full");
	gate_wait();
	probe_and_say();
	return arg;
}

static noreturn void grow(int cap, int ready_at, int pace_us, int mem_mb)
{
	struct member m = { 0 };

	if (cap < 1 || cap > 2000 || ready_at < 0 || ready_at > cap || pace_us < 0 ||
	    pace_us > 100000 || mem_mb < 0 || mem_mb > 256)
		fail("grow CAP READY_AT PACE_US MEM_MB: 1 <= CAP <= 2000, 0 <= READY_AT <= CAP, "
		     "0 <= PACE_US <= 100000, 0 <= MEM_MB <= 256");
	if (mem_mb > 0) {
		/* touched memory: every fork copies its page tables, which makes each fork last
		 * longer (the window in which a fork races with the parent's seize) */
		char *mem = malloc((size_t)mem_mb << 20);

		if (mem == NULL)
			fail("malloc %d MiB", mem_mb);
		memset(mem, 1, (size_t)mem_mb << 20);
	}
	grow_cap = cap;
	grow_pace_us = pace_us;
	grow_ready_at = ready_at;
	grow_say_ready(0);
	member_thread(&m, grow_forker, NULL);
	grow_forker(NULL);
	member_finish(&m, 0);
}

/* ---- tree ------------------------------------------------------------------------------- */

static int tree_n, tree_ready[2];
static pthread_barrier_t tree_forked;

static void *tree_forker(void *arg)
{
	for (int i = (int)(long)arg; i < tree_n; i += 2) {
		pid_t c = fork();

		if (c < 0)
			fail("fork %d: %m", i);
		if (c == 0) {
			close(tree_ready[0]);
			member_child(i % 4 == 0, i % 8 == 0, i % 5 == 0 ? 2 : 0, tree_ready[1]);
		}
	}
	pthread_barrier_wait(&tree_forked);
	gate_wait();
	probe_and_say();
	return NULL;
}

static noreturn void tree(int n)
{
	struct member m = { 0 };
	int expected = 0, got = 0;
	char buf[256];

	if (n < 1 || n > 1000)
		fail("tree N: 1 <= N <= 1000");
	tree_n = n;
	for (int i = 0; i < n; i++)
		expected += 1 + (i % 4 == 0);
	if (pipe(tree_ready))
		fail("pipe: %m");
	pthread_barrier_init(&tree_forked, NULL, 2);
	member_thread(&m, tree_forker, (void *)1L); /* odd children: from the second thread */
	/* even children: from the leader, then wait until every process is set up */
	for (int i = 0; i < n; i += 2) {
		pid_t c = fork();

		if (c < 0)
			fail("fork %d: %m", i);
		if (c == 0) {
			close(tree_ready[0]);
			member_child(i % 4 == 0, i % 8 == 0, i % 5 == 0 ? 2 : 0, tree_ready[1]);
		}
	}
	pthread_barrier_wait(&tree_forked); /* then no fork needs the write end any more */
	close(tree_ready[1]);
	while (got < expected) {
		ssize_t r = read(tree_ready[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("ready pipe: %zd after %d of %d", r, got, expected);
		got += (int)r;
	}
	close(tree_ready[0]);
	say("ready %d", getpid());
	member_finish(&m, 1);
}

/* ---- listener --------------------------------------------------------------------------- */

static int notify_pipe[2];
static atomic_long answered;
static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static void *supervisor(void *arg)
{
	int fd;

	if (read(notify_pipe[0], &fd, sizeof(fd)) != sizeof(fd))
		fail("supervisor: read fd: %m");
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;

		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			fail("SECCOMP_IOCTL_NOTIF_RECV: %m");
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		atomic_fetch_add(&answered, 1); /* before: the caller may run as soon as it is sent */
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			fail("SECCOMP_IOCTL_NOTIF_SEND: %m");
	}
	return arg;
}

/* The supervisor thread first (it must not be under the filter), then the filter on the
 * main thread only (no TSYNC), then one call through the listener. */
static void install_listener(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARG_NOTIFY, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	int fd;
	long ret;

	if (pipe(notify_pipe))
		fail("pipe: %m");
	start_thread(supervisor, NULL);
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			  &prog);
	if (fd < 0)
		fail("seccomp NEW_LISTENER: %m");
	if (write(notify_pipe[1], &fd, sizeof(fd)) != sizeof(fd))
		fail("write fd: %m");
	ret = probe(ARG_NOTIFY);
	/* not glibc's getppid(): it leaves whatever is in rdi, possibly ARG_NOTIFY */
	if (ret != raw_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0) || atomic_load(&answered) != 1)
		fail("the listener did not answer: getppid(ARG_NOTIFY) = %ld, answered %ld", ret,
		     atomic_load(&answered));
}

/* Until EOF on stdin: on SIGUSR1, report. SIGUSR1 is blocked everywhere but in this ppoll
 * (no report is missed, and the supervisor thread never takes it). */
static void listener_loop(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	sigset_t unblocked;
	char buf[64];

	sigprocmask(SIG_SETMASK, NULL, &unblocked);
	sigdelset(&unblocked, SIGUSR1);
	for (;;) {
		int n = ppoll(&p, 1, NULL, &unblocked);

		if (usr1) {
			long notify, deny;

			usr1 = 0;
			notify = probe(ARG_NOTIFY);
			deny = probe(ARG_ERRNO);
			say("alive %d notify=%ld deny=%ld answered=%ld", getpid(), notify, deny,
			    atomic_load(&answered));
		}
		if (n < 0 && errno != EINTR)
			fail("ppoll: %m");
		if (n > 0) {
			ssize_t r = read(0, buf, sizeof(buf));

			if (r == 0)
				return;
			if (r < 0 && errno != EINTR)
				fail("read: %m");
		}
	}
}

static noreturn void listener(const char *who)
{
	struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART: read() returns */
	int self = !strcmp(who, "self"), ready[2], st;
	pid_t c = 0;
	char one;

	if (!self && strcmp(who, "child"))
		fail("listener self|child");
	sigset_t usr1_set;

	sigemptyset(&usr1_set);
	sigaddset(&usr1_set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1_set, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (self) {
		install_listener();
	} else {
		if (pipe(ready))
			fail("pipe: %m");
		c = fork();
		if (c < 0)
			fail("fork: %m");
		if (c == 0) {
			close(ready[0]);
			install_listener();
			if (write(ready[1], "x", 1) != 1)
				fail("write ready: %m");
			listener_loop();
			exit(0);
		}
		close(ready[1]);
		if (read(ready[0], &one, 1) != 1)
			fail("the child did not get its listener");
		close(ready[0]);
	}
	say("ready %d", getpid());
	listener_loop();
	if (c > 0) {
		while (waitpid(c, &st, 0) < 0)
			if (errno != EINTR)
				fail("waitpid: %m");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail("child %d: wait status %#x", c, st);
	}
	exit(0);
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "grow"))
		grow(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "tree"))
		tree(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "listener"))
		listener(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "idle"))
		for (;;)
			pause();
	fail("usage: attachtree grow CAP READY_AT PACE_US MEM_MB | tree N | listener self|child | idle");
}
