/* spin MARKER [churn]: the leader and three threads loop on mkdir(MARKER), which the policy
 * denies (EACCES), so they spend their time in seccomp stops; with "churn" a fifth thread keeps
 * creating and joining short threads that make the same call. Prints "ready PID" once every
 * looping thread has been through the call, then runs until killed. Prints "ESCAPED" if mkdir
 * ever succeeds, "unexpected RET" once for any other result.
 * Used to kill the tracee (kill -9: octrace must exit 137 and leave nothing stopped) and to kill
 * octrace itself (docs/kernel-behaviours.md §14: with EXITKILL the pending denied mkdir must never run, so
 * MARKER must not exist afterwards). */
#include "tracee.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *marker;
static atomic_int started, unexpected;

static void try_mkdir(void)
{
	long ret = raw_syscall(SYS_mkdir, (long)marker, 0700, 0, 0, 0, 0);

	if (ret == 0)
		say("ESCAPED");
	else if (ret != -EACCES && atomic_exchange(&unexpected, 1) == 0)
		say("unexpected %ld", ret);
}

static void *mkdir_loop(void *arg)
{
	try_mkdir();
	atomic_fetch_add(&started, 1);
	for (;;)
		try_mkdir();
	return arg;
}

static void *once(void *arg)
{
	try_mkdir();
	return arg;
}

static void *churn(void *arg)
{
	for (;;)
		pthread_join(start_thread(once, NULL), NULL);
	return arg;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2)
		fail("usage: spin MARKER [churn]");
	marker = argv[1];
	for (i = 0; i < 3; i++)
		start_thread(mkdir_loop, NULL);
	if (argc > 2 && !strcmp(argv[2], "churn"))
		start_thread(churn, NULL);
	try_mkdir();
	while (atomic_load(&started) < 3)
		try_mkdir();
	say("ready %d", getpid());
	for (;;)
		try_mkdir();
}
