/* sigtest MODE: signals keep their meaning under the tracer.
 *   stop   two threads loop on a denied syscall (with every signal blocked: handlers run in the
 *          leader); the leader answers "ping" lines on stdin with "pong cont=N" (N: SIGCONT
 *          handler runs so far). The test sends SIGSTOP/SIGCONT from
 *          outside: no pong while stopped, one right after SIGCONT, and the handler ran.
 *   usr1   like stop, and a SIGUSR1 handler prints "usr1 code=C pid=P" from its siginfo: the
 *          test sends SIGUSR1 from outside and checks its own pid and SI_USER arrive.
 *   queue  a child sigqueue()s SIGUSR2 (value 4242) and SIGRTMIN x5 (values 1..5) while they are
 *          blocked; after unblocking, every handler run must show the sender's pid, SI_QUEUE and
 *          the values in order: a tracer that re-creates signals (tgkill) or drops queued
 *          real-time signals fails here.
 *   chld   SIGCHLD reaches the parent with the right siginfo for a child that exits 7 and one
 *          killed by SIGTERM.
 * Every mode prints "ready PID" first; stop and usr1 exit 0 on "quit". */
#include "tracee.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int cont_seen;
static atomic_int nrec;
static siginfo_t rec[8];

static void on_cont(int sig)
{
	(void)sig;
	atomic_fetch_add(&cont_seen, 1);
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	say("usr1 code=%d pid=%d", si->si_code, si->si_pid);
}

static void record(int sig, siginfo_t *si, void *uc)
{
	int i = atomic_fetch_add(&nrec, 1);

	(void)sig;
	(void)uc;
	if (i < 8)
		rec[i] = *si;
}

/* Handlers block every signal, so that pending signals run one at a time, in the kernel's
 * delivery order (lowest number first, real-time ones in queue order). */
static void handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | SA_RESTART};

	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		fail("sigaction %d: %m", sig);
}

/* Workers block every signal, so handlers run in the leader, deterministically. */
static void *deny_loop(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;)
		if (probe(ARG_ERRNO) != -EPERM)
			fail("getppid(ARG_ERRNO) was not denied");
	return NULL;
}

/* One line from stdin without stdio buffering; 0 at EOF. */
static int read_line(char *buf, size_t len)
{
	size_t n = 0;

	while (n < len - 1) {
		ssize_t r = read(0, buf + n, 1);

		if (r < 0)
			fail("read: %m");
		if (r == 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return n > 0;
}

static int serve(void)
{
	char line[64];

	start_thread(deny_loop, NULL);
	start_thread(deny_loop, NULL);
	say("ready %d", getpid());
	while (read_line(line, sizeof(line))) {
		if (!strcmp(line, "quit"))
			return 0;
		if (!strcmp(line, "ping"))
			say("pong cont=%d", atomic_load(&cont_seen));
	}
	fail("stdin closed before quit");
}

static void wait_records(int n, const sigset_t *mask)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	while (atomic_load(&nrec) < n)
		sigsuspend(&none);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

static int queue(void)
{
	sigset_t block;
	union sigval v;
	pid_t parent = getpid(), child;
	int i, st;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &block, NULL);
	handle(SIGUSR2, record);
	handle(SIGRTMIN, record);
	say("ready %d", parent);
	child = fork();
	if (child == 0) {
		v.sival_int = 4242;
		if (sigqueue(parent, SIGUSR2, v))
			_exit(1);
		for (i = 1; i <= 5; i++) {
			v.sival_int = i;
			if (sigqueue(parent, SIGRTMIN, v))
				_exit(1);
		}
		_exit(0);
	}
	if (child < 0 || waitpid(child, &st, 0) != child || st != 0)
		fail("sender child failed");
	wait_records(6, &block);
	for (i = 0; i < 6; i++) {
		int want = i == 0 ? 4242 : i;

		if (rec[i].si_signo != (i == 0 ? SIGUSR2 : SIGRTMIN) ||
		    rec[i].si_code != SI_QUEUE || rec[i].si_pid != child ||
		    rec[i].si_value.sival_int != want)
			fail("signal %d: signo %d code %d pid %d value %d", i, rec[i].si_signo,
			     rec[i].si_code, rec[i].si_pid, rec[i].si_value.sival_int);
	}
	say("queue ok");
	return 0;
}

static void check_chld(int n, pid_t pid, int code, int status)
{
	if (rec[n].si_signo != SIGCHLD || rec[n].si_pid != pid || rec[n].si_code != code ||
	    rec[n].si_status != status)
		fail("SIGCHLD %d: signo %d pid %d (want %d) code %d (want %d) status %d (want %d)",
		     n, rec[n].si_signo, rec[n].si_pid, pid, rec[n].si_code, code, rec[n].si_status,
		     status);
}

static int chld(void)
{
	sigset_t block;
	pid_t pid;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	handle(SIGCHLD, record);
	say("ready %d", getpid());
	pid = fork();
	if (pid == 0)
		_exit(7);
	wait_records(1, &block);
	check_chld(0, pid, CLD_EXITED, 7);
	waitpid(pid, NULL, 0);
	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(1);
	}
	wait_records(2, &block);
	check_chld(1, pid, CLD_KILLED, SIGTERM);
	waitpid(pid, NULL, 0);
	say("sigchld ok");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "stop")) {
		signal(SIGCONT, on_cont);
		return serve();
	}
	if (!strcmp(mode, "usr1")) {
		handle(SIGUSR1, on_usr1);
		return serve();
	}
	if (!strcmp(mode, "queue"))
		return queue();
	if (!strcmp(mode, "chld"))
		return chld();
	fail("usage: sigtest stop|usr1|queue|chld");
}
