/* forktree [N]: forks N children (default 200) that all wait on one pipe, then releases them at
 * once; child i makes a denied syscall (getppid(ARG_ERRNO)) and exits with status i + 1 if it
 * saw EPERM (else 255). The parent reaps every child and checks each status against the child's
 * pid; prints "N children ok" and exits 0.
 * Proves (docs/kernel-behaviours.md §5): a storm of new children whose first stops may come before their
 * parent's fork events; every child is traced and every status reaches the parent. */
#include "tracee.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 250

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	pid_t pids[MAX_CHILDREN];
	int gate[2], i, st, bad = 0;
	char c;

	if (n < 1 || n > MAX_CHILDREN)
		fail("N must be 1..%d", MAX_CHILDREN);
	if (pipe(gate))
		fail("pipe: %m");
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			fail("fork %d: %m", i);
		if (pids[i] == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) != 0)
				_exit(254);
			_exit(probe(ARG_ERRNO) == -EPERM ? i + 1 : 255);
		}
	}
	close(gate[1]); /* EOF releases every child at once */
	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &st, 0) != pids[i])
			fail("waitpid %d: %m", pids[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != i + 1) {
			say("child %d: wait status %#x, expected exit %d", i, st, i + 1);
			bad++;
		}
	}
	if (bad)
		fail("%d of %d children had a wrong status", bad, n);
	say("%d children ok", n);
	return 0;
}
