/* execthread CMD [ARGS...]: four threads; the leader and two others loop on getppid(ARG_ERRNO)
 * (denied, so they keep entering seccomp stops) and the fourth, once the three have been through
 * it, execve()s CMD.
 * Proves (docs/kernel-behaviours.md §4): an exec from a non-leader thread while siblings sit in traced
 * syscalls: they die, the exec'ing thread takes over the leader's tid, the exit status is CMD's,
 * and the policy is still enforced after the exec (run with CMD = sysprobe). */
#include "tracee.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int started;
static char **cmd;

static void *deny_loop(void *arg)
{
	int counted = 0;

	for (;;) {
		if (probe(ARG_ERRNO) != -EPERM)
			fail("getppid(ARG_ERRNO) was not denied");
		if (!counted) {
			counted = 1;
			atomic_fetch_add(&started, 1);
		}
	}
	return arg;
}

static void *exec_thread(void *arg)
{
	(void)arg;
	while (atomic_load(&started) < 3)
		;
	execv(cmd[0], cmd);
	fail("execv %s: %m", cmd[0]);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		fail("usage: execthread CMD [ARGS...]");
	cmd = argv + 1;
	start_thread(deny_loop, NULL);
	start_thread(deny_loop, NULL);
	start_thread(exec_thread, NULL);
	deny_loop(NULL);
	return 1;
}
