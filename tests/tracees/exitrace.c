/* exitrace STATUS [THREADS]: THREADS threads (default 8) loop on getppid(ARG_ERRNO), which the
 * policy denies (so under octrace every call is a seccomp stop); once each of them has been
 * through it, the main thread waits a random 0-999 us and calls exit_group(STATUS).
 * Proves (docs/kernel-behaviours.md §1-3): siblings killed by exit_group while in, entering or leaving a
 * seccomp stop are handled: the process exits STATUS and no task is left behind. A sibling that
 * sees anything but EPERM ends the run with exit_group(99). */
#include "tracee.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int started;

static void *deny_loop(void *arg)
{
	int counted = 0;

	for (;;) {
		if (probe(ARG_ERRNO) != -EPERM)
			syscall(SYS_exit_group, 99);
		if (!counted) {
			counted = 1;
			atomic_fetch_add(&started, 1);
		}
	}
	return arg;
}

int main(int argc, char **argv)
{
	int status = argc > 1 ? atoi(argv[1]) : 7;
	int threads = argc > 2 ? atoi(argv[2]) : 8;
	struct timespec now, delay = {0};
	int i;

	for (i = 0; i < threads; i++)
		start_thread(deny_loop, NULL);
	while (atomic_load(&started) < threads)
		;
	clock_gettime(CLOCK_MONOTONIC, &now);
	srand(getpid() ^ now.tv_nsec);
	delay.tv_nsec = (rand() % 1000) * 1000;
	nanosleep(&delay, NULL);
	syscall(SYS_exit_group, status);
	return 98;
}
