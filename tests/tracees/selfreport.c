/* selfreport [STATUS]: prints what a program can see of its own execution context, then exits
 * STATUS (default 0): /proc/self/status lines (ids, capabilities, no_new_privs, seccomp mode and
 * filter count, signal mask and ignored signals, umask), open fds, rlimits, personality,
 * dumpable, scheduling, process-group leadership, cwd, argv, environment. The tracer is
 * printed on its own line, "tracer: none" or "tracer: EXE".
 * Proves: `octrace run` without a policy changes nothing but TracerPid, and with a policy
 * nothing that seccomp-exec would not change too (compare the reports line by line). */
#include "tracee.h"

#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

/* The /proc/self/status lines reported (SigQ is per user, not per process: left out). */
static const char status_keys[] = " Umask Uid Gid Groups NoNewPrivs Seccomp Seccomp_filters CapInh "
				  "CapPrm CapEff CapBnd CapAmb SigPnd ShdPnd SigBlk SigIgn SigCgt ";

static int reported(const char *line)
{
	char key[40];
	size_t n = strcspn(line, ":");

	if (line[n] != ':' || n + 3 > sizeof(key))
		return 0;
	snprintf(key, sizeof(key), " %.*s ", (int)n, line);
	return strstr(status_keys, key) != NULL;
}

static void tracer(int pid)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	if (pid == 0) {
		say("tracer: none");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	say("tracer: %s", exe);
}

static void status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];

	if (!f)
		fail("/proc/self/status: %m");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "TracerPid:", 10))
			tracer(atoi(line + 10));
		else if (reported(line))
			say("%s", line);
	}
	fclose(f);
}

/* Open fds with what they are (pipe and socket inode numbers dropped). */
static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	char path[300], target[PATH_MAX];
	struct dirent *e;
	ssize_t n;

	if (!d)
		fail("/proc/self/fd: %m");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		target[strcspn(target, ":")] = '\0';
		say("fd %s: %s", e->d_name, target);
	}
	closedir(d);
}

static void misc(void)
{
	struct rlimit rl;
	cpu_set_t cpus;
	char cwd[PATH_MAX];
	int r;

	for (r = 0; r < RLIM_NLIMITS; r++) {
		getrlimit(r, &rl);
		say("rlimit %d: %llu %llu", r, (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_max);
	}
	say("personality: %#x", personality(0xffffffff));
	say("dumpable: %d", prctl(PR_GET_DUMPABLE));
	say("keepcaps: %d", prctl(PR_GET_KEEPCAPS));
	say("timerslack: %d", prctl(PR_GET_TIMERSLACK));
	say("sched: policy %d nice %d", sched_getscheduler(0), getpriority(PRIO_PROCESS, 0));
	sched_getaffinity(0, sizeof(cpus), &cpus);
	say("cpus: %d", CPU_COUNT(&cpus));
	say("pgrp leader: %s", getpgrp() == getpid() ? "yes" : "no");
	say("cwd: %s", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
}

int main(int argc, char **argv)
{
	char **e;
	int i;

	status();
	fds();
	misc();
	for (i = 0; i < argc; i++)
		say("argv[%d]: %s", i, argv[i]);
	for (e = environ; *e; e++)
		say("env: %s", *e);
	return argc > 1 ? atoi(argv[1]) : 0;
}
