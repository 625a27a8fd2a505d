/* syscall-loop SYSCALL N [EXPECT]: N calls of one cheap syscall, prints ns per call.
 *
 * The number printed (one line, nothing else on stdout) is what bench/run collects, so
 * anything a tracer or a filter adds per call shows up in it; the timer runs around the loop
 * only, so process start, filter injection and tracer attach are not counted. EXPECT, when
 * given, is the errno every call must fail with (0: every call must succeed): a "denied"
 * number from a tracer that forgot to deny is worthless, so a mismatch fails the run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 200

struct loop_syscall {
	const char *name;
	long nr;
	long arg0, arg1;
};

/* Cheap, side-effect free, and distinct numbers so a policy can allow one and deny another. */
static const struct loop_syscall syscalls[] = {
	{ "getppid", SYS_getppid, 0, 0 },
	{ "getpgid", SYS_getpgid, 0, 0 },
	{ "getpriority", SYS_getpriority, PRIO_PROCESS, 0 },
	{ "getuid", SYS_getuid, 0, 0 },
};

static const struct loop_syscall *find_syscall(const char *name)
{
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (strcmp(syscalls[i].name, name) == 0)
			return &syscalls[i];
	return NULL;
}

/* Returns how many calls did not end the way `expect` says (expect < 0: not checked). */
static long run(const struct loop_syscall *s, long n, int expect)
{
	long bad = 0;

	for (long i = 0; i < n; i++) {
		long r = syscall(s->nr, s->arg0, s->arg1);

		if (expect >= 0 && (expect == 0 ? r < 0 : r != -1 || errno != expect))
			bad++;
	}
	return bad;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	const struct loop_syscall *s = argc >= 3 ? find_syscall(argv[1]) : NULL;
	long n = argc >= 3 ? atol(argv[2]) : 0;
	int expect = argc >= 4 ? atoi(argv[3]) : -1;
	double start, ns;
	long bad;

	if (s == NULL || n <= 0) {
		fprintf(stderr, "usage: syscall-loop SYSCALL N [ERRNO]\n"
				"SYSCALL: getppid, getpgid, getpriority or getuid\n");
		return 2;
	}
	bad = run(s, WARMUP, expect);
	start = now_ns();
	bad += run(s, n, expect);
	ns = now_ns() - start;
	if (bad) {
		fprintf(stderr, "syscall-loop: %ld of %ld %s calls did not %s\n", bad, n + WARMUP,
			s->name, expect ? strerror(expect) : "succeed");
		return 1;
	}
	printf("%.1f\n", ns / n);
	return 0;
}
