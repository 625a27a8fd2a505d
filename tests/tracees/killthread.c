/* killthread thread|process: a victim thread calls getppid(ARG_KILL_THREAD) or
 * getppid(ARG_KILL_PROCESS) while another thread loops on an allowed syscall.
 *   thread   only the victim dies: the leader's join returns, the victim never ran past the
 *            call, the other thread is still making progress; prints "victim killed, others
 *            alive" and exits 42 (the program's own status, not a signal).
 *   process  the whole process dies of SIGSYS before printing anything (status 128+31).
 * Proves: KILL_THREAD and KILL_PROCESS applied by octrace hit exactly what the kernel's hit. */
#include "tracee.h"

#include <dirent.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_long progress;
static atomic_int stop, survived;

static void *worker(void *arg)
{
	while (!atomic_load(&stop)) {
		syscall(SYS_getppid);
		atomic_fetch_add(&progress, 1);
	}
	return arg;
}

static void *victim(void *arg)
{
	probe((long)arg);
	atomic_store(&survived, 1);
	return NULL;
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		fail("opendir /proc/self/task: %m");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The victim's join returns as soon as it left its mm; it leaves /proc/self/task when it is
 * reaped (by the tracer, if traced): wait (bounded, 10 s) for that. */
static void wait_tasks(int n)
{
	time_t deadline = time(NULL) + 10;

	while (count_tasks() != n)
		if (time(NULL) > deadline)
			fail("%d tasks left, expected %d", count_tasks(), n);
}

/* The worker must still advance: wait (bounded, 10 s) for 100 more calls. */
static void check_progress(void)
{
	long start = atomic_load(&progress);
	time_t deadline = time(NULL) + 10;

	while (atomic_load(&progress) < start + 100)
		if (time(NULL) > deadline)
			fail("the other thread stopped making progress");
}

int main(int argc, char **argv)
{
	int process = argc > 1 && !strcmp(argv[1], "process");
	pthread_t w, v;

	w = start_thread(worker, NULL);
	v = start_thread(victim, (void *)(long)(process ? ARG_KILL_PROCESS : ARG_KILL_THREAD));
	pthread_join(v, NULL);
	if (process)
		fail("still alive after KILL_PROCESS");
	if (atomic_load(&survived))
		fail("the victim returned from its KILL_THREAD syscall");
	wait_tasks(2);
	check_progress();
	atomic_store(&stop, 1);
	pthread_join(w, NULL);
	say("victim killed, others alive");
	return 42;
}
