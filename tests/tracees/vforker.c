/* vforker: three vfork()s, each checked from the parent's side:
 *   1. the child makes a denied syscall (getppid(ARG_ERRNO)) while the parent is suspended in
 *      vfork, and _exit()s 5 when it saw EPERM;
 *   2. the child execs this program again ("vforker exit 6"), which checks the policy still
 *      applies and exits 6;
 *   3. the child execs a file that does not exist and _exit()s 127.
 * Prints "vfork ok" and exits 0 when every status is right.
 * Proves: PTRACE_EVENT_VFORK/VFORK_DONE and a traced syscall in a vfork child are handled, and
 * the parent sees each child's own status. */
#include "tracee.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_of(pid_t pid)
{
	int st;

	if (pid < 0)
		fail("vfork: %m");
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid: %m");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	static char exit_arg[] = "exit", six[] = "6", nowhere[] = "/nonexistent/octrace-test";
	char *again[] = {argv[0], exit_arg, six, NULL};
	char *missing[] = {nowhere, NULL};
	pid_t pid;
	int st;

	if (argc == 3 && !strcmp(argv[1], "exit"))
		return probe(ARG_ERRNO) == -EPERM ? atoi(argv[2]) : 99;

	pid = vfork();
	if (pid == 0)
		_exit(probe(ARG_ERRNO) == -EPERM ? 5 : 99);
	if ((st = status_of(pid)) != 5)
		fail("vfork child with a denied syscall: status %d, expected 5", st);

	pid = vfork();
	if (pid == 0) {
		execv(again[0], again);
		_exit(126);
	}
	if ((st = status_of(pid)) != 6)
		fail("vfork child exec'ing itself: status %d, expected 6", st);

	pid = vfork();
	if (pid == 0) {
		execv(missing[0], missing);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if ((st = status_of(pid)) != 127)
		fail("vfork child exec'ing a missing file: status %d, expected 127", st);
	say("vfork ok");
	return 0;
}
