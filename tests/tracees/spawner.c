/* spawner: attach while a process is inside vfork (docs/kernel-behaviours.md §18).
 *
 * spawner PARENT_ROUNDS: prints "ready PID", then spawns itself ("spawner child") with
 * posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) back to back, each child probing
 * getppid(ARG_ERRNO) and exiting 0 when it got EPERM, 3 when the call ran. Between spawns the
 * parent probes too. Once the parent itself is denied (octrace attached and armed it), it
 * spawns PARENT_ROUNDS more children, and prints one line:
 *   "armed after N spawns; later children: D denied, A allowed; in flight: S"
 * where "in flight" counts children spawned before the parent was armed whose status says
 * denied (they may or may not have been reached by the attach, both are fine). Exits 0. */
#include "tracee.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int spawn_child(const char *self)
{
	char child[] = "child";
	char *argv[] = { (char *)self, child, NULL };
	pid_t pid;
	int st;

	if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0)
		fail("posix_spawn: %m");
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		fail("child %d: status %#x", pid, st);
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	int rounds, spawns = 0, denied = 0, allowed = 0, in_flight = 0;

	if (argc == 2 && strcmp(argv[1], "child") == 0)
		return probe(ARG_ERRNO) == -EPERM ? 0 : 3;
	if (argc != 2 || (rounds = atoi(argv[1])) <= 0)
		fail("usage: spawner PARENT_ROUNDS | spawner child");
	alarm(60);
	say("ready %d", getpid());
	for (;;) {
		int rc = spawn_child("/proc/self/exe");

		spawns++;
		in_flight += rc == 0;
		if (probe(ARG_ERRNO) == -EPERM)
			break;
		if (spawns > 1000000)
			fail("never armed");
	}
	for (int i = 0; i < rounds; i++)
		spawn_child("/proc/self/exe") == 0 ? denied++ : allowed++;
	say("armed after %d spawns; later children: %d denied, %d allowed; in flight: %d", spawns,
	    denied, allowed, in_flight);
	return 0;
}
