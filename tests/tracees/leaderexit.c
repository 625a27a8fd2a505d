/* leaderexit: the leader pthread_exit()s (its own exit code is 0) while a worker keeps making
 * denied syscalls; once the leader is a zombie, the worker calls exit(9).
 * Proves (docs/kernel-behaviours.md §3, 14): the process's status is the leader's final wait status (9), not
 * the value seen in the leader's own exit stop, and a zombie leader does not hang the tracer. */
#include "tracee.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pid_t leader;

static char leader_state(void)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", leader, leader);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] && p[2] ? p[2] : '?';
}

static void *worker(void *arg)
{
	time_t deadline = time(NULL) + 10;
	int i;

	for (i = 0; i < 100 || leader_state() != 'Z'; i++) {
		if (probe(ARG_ERRNO) != -EPERM)
			fail("getppid(ARG_ERRNO) was not denied");
		if (time(NULL) > deadline)
			fail("leader never became a zombie (state %c)", leader_state());
	}
	say("leader gone, worker exits 9");
	exit(9);
	return arg;
}

int main(void)
{
	leader = getpid();
	start_thread(worker, NULL);
	pthread_exit(NULL);
}
