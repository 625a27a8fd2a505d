/* untraced: docs/kernel-behaviours.md §11.
 * 1. clone(CLONE_UNTRACED | SIGCHLD): prints "clone untraced: = -1 ENAME" if the policy refused
 *    it, else the child prints "child: tracer=PID getppid(ARG_ERRNO)=RESULT": the child is not
 *    traced (tracer=0), and its denied call must fail closed: EPERM from the kernel, or ENOSYS
 *    when the action was SECCOMP_RET_TRACE with no tracer, never success.
 * 2. pthread_create and fork still work (glibc falls back to clone when clone3 is refused with
 *    ENOSYS): prints "thread ok" and "fork ok".
 * 3. The parent's own denied call: "parent: getppid(ARG_ERRNO)=-1 EPERM". Exits 0. */
#include "tracee.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *result(long ret)
{
	static char buf[32];

	if (ret >= 0)
		return "allowed";
	snprintf(buf, sizeof(buf), "-1 %s", strerrorname_np(-ret));
	return buf;
}

static int tracer_pid(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int pid = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			pid = atoi(line + 10);
	if (f)
		fclose(f);
	return pid;
}

static void *nothing(void *arg) { return arg; }

int main(void)
{
	long pid = raw_syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0, 0);
	int st;

	if (pid == 0) {
		int tracer = tracer_pid();

		say("child: tracer=%d getppid(ARG_ERRNO)=%s", tracer, result(probe(ARG_ERRNO)));
		_exit(0);
	}
	if (pid < 0)
		say("clone untraced: = %s", result(pid));
	else if (waitpid(pid, &st, 0) != pid || st != 0)
		fail("untraced child: wait status %#x", st);
	pthread_join(start_thread(nothing, NULL), NULL);
	say("thread ok");
	pid = fork();
	if (pid == 0)
		_exit(3);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 3)
		fail("fork: %m");
	say("fork ok");
	say("parent: getppid(ARG_ERRNO)=%s", result(probe(ARG_ERRNO)));
	return 0;
}
