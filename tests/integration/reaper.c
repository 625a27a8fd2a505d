/* reaper CMD ARGS...: run CMD as a child subreaper and reap every orphan, as a container
 * engine's shim does (containerd-shim, conmon). A runtime's detached container init and
 * octrace-hook's daemon are orphans by design; without a subreaper they are reparented to
 * this machine's pid 1, which reaps them late, and their zombies then keep the container's
 * cgroup busy and show up in the tests' "nothing left" checks. Exits with CMD's status;
 * after CMD exits, waits at most 10 s for the orphans still running. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	pid_t child, p;
	int st, rc = 99;

	if (argc < 2 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("reaper");
		return 99;
	}
	child = fork();
	if (child == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	while ((p = waitpid(-1, &st, 0)) != child)
		if (p < 0 && errno != EINTR)
			return 99;
	rc = status_code(st);
	alarm(10); /* the orphans' own deadline: the test reported what was left */
	while (waitpid(-1, &st, 0) > 0 || errno == EINTR)
		;
	return rc;
}
