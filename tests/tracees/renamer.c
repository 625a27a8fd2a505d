/* renamer: a task that renames itself the two ways a program can, between denied calls, for
 * the audit log's "comm" (cached per task by octrace, see tracer/observe.c):
 *   getppid(ARG_ERRNO)                         named "renamer"
 *   prctl(PR_SET_NAME, "by-prctl"); getppid    seen by octrace at level all: "by-prctl"
 *   "by-proc" written to /proc/self/task/TID/comm (what pthread_setname_np does for another
 *   thread), then 300 ms of sleep; getppid     past the cache's 100 ms: "by-proc"
 * One line per step on stdout ("renamed ok" at the end, or FAIL). Under tests/policies/
 * deny.json every getppid(ARG_ERRNO) is an ERRNO event of the audit log. */
#include "tracee.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void denied(const char *step)
{
	long r = probe(ARG_ERRNO);

	if (r != -EPERM)
		fail("%s: getppid = %ld, not -EPERM", step, r);
	say("%s denied", step);
}

int main(void)
{
	char path[64];
	struct timespec pause = {0, 300 * 1000 * 1000};
	int fd;

	denied("first");
	if (prctl(PR_SET_NAME, "by-prctl") < 0)
		fail("prctl: %s", strerror(errno));
	denied("prctl");
	snprintf(path, sizeof(path), "/proc/self/task/%ld/comm", (long)syscall(SYS_gettid));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "by-proc", 7) != 7)
		fail("%s: %s", path, strerror(errno));
	close(fd);
	nanosleep(&pause, NULL);
	denied("proc");
	say("renamed ok");
	return 0;
}
