/* attachme [exec CMD [ARGS...]]: a busy multi-threaded program for `octrace attach` to seize.
 * The leader blocks in read() on stdin; "spin" runs in user space (no syscall to stop in);
 * "cond" waits on a condition variable (futex); "sleeper" is in a one-hour nanosleep; "churn"
 * creates and joins threads in a loop, each calling getppid(ARG_ERRNO) once: allowed before
 * the policy is armed, EPERM after.
 * Prints "ready PID", then "denied" the first time a churn thread gets EPERM, "unexpected RET"
 * for any other failure, "sleeper woke RET" if the nanosleep ever returns. Reads one line:
 *   quit  prints "read ok" if read() returned exactly that line (an injected syscall must not
 *         leak EINTR or ERESTARTSYS into it), stops the threads and exits 23;
 *   exec  (exec mode) prints "before exec: allowed|denied" for its own getppid(ARG_ERRNO) and
 *         execs CMD, where `attach` without --arm-now starts enforcing.
 * Proves (docs/kernel-behaviours.md §7, 8): attaching to a live process whose threads come and go, and arming
 * it in place, is transparent to every thread whatever it was doing. */
#include "tracee.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int quit, denied;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static void *once(void *arg)
{
	*(long *)arg = probe(ARG_ERRNO);
	return NULL;
}

static void *churn(void *arg)
{
	long ret;

	while (!atomic_load(&quit)) {
		pthread_join(start_thread(once, &ret), NULL);
		if (ret == -EPERM && atomic_exchange(&denied, 1) == 0)
			say("denied");
		else if (ret < 0 && ret != -EPERM)
			say("unexpected %ld", ret);
	}
	return arg;
}

static void *spin(void *arg)
{
	volatile unsigned long n = 0;

	while (!atomic_load_explicit(&quit, memory_order_relaxed))
		n++;
	return arg;
}

static void *cond_wait(void *arg)
{
	pthread_mutex_lock(&lock);
	while (!atomic_load(&quit))
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return arg;
}

static void *sleeper(void *arg)
{
	struct timespec hour = {.tv_sec = 3600};
	int ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, NULL);

	say("sleeper woke %d", ret);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t threads[3];
	char buf[64];
	ssize_t n;

	start_thread(sleeper, NULL);
	threads[0] = start_thread(churn, NULL);
	threads[1] = start_thread(spin, NULL);
	threads[2] = start_thread(cond_wait, NULL);
	say("ready %d", getpid());
	n = read(0, buf, sizeof(buf) - 1);
	if (n < 0)
		fail("read: %m (errno %d)", errno);
	buf[n] = '\0';
	/* Stop churning first: a clone racing with the exec fails with EAGAIN. The threads in
	 * the futex and in nanosleep are still there when the leader execs. */
	atomic_store(&quit, 1);
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	if (argc > 2 && !strcmp(argv[1], "exec") && !strcmp(buf, "exec\n")) {
		say("before exec: %s", probe(ARG_ERRNO) == -EPERM ? "denied" : "allowed");
		execv(argv[2], argv + 2);
		fail("execv %s: %m", argv[2]);
	}
	if (strcmp(buf, "quit\n"))
		fail("read returned %zd bytes \"%s\", expected \"quit\\n\"", n, buf);
	say("read ok");
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(threads[2], NULL);
	return 23;
}
