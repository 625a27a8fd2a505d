/* ownnotify PROBE...: the tracee installs a filter of its own that sends getegid and getppid
 * to a seccomp user-notification listener it supervises itself, and answers every
 * notification SECCOMP_USER_NOTIF_FLAG_CONTINUE (docs/kernel-behaviours.md §10; trick 2 of the
 * hostile-container tests). USER_NOTIF outranks TRACE: a tracer enforcing with
 * SECCOMP_RET_TRACE never sees a call the listener takes, and CONTINUE runs it.
 *
 * PROBE is [thread/]ABI:SUPERVISOR
 *   ABI         x86_64, i386 or x32: how seccomp() is called (the filter matches that ABI's
 *               getegid and getppid) and how the two calls are made
 *   SUPERVISOR  thread (a thread of the caller's process) or fork (a child process: it
 *               inherits the listener fd)
 *   thread/     the filter is installed and the calls are made by a new (non-main) thread
 * Lines, in this order (each probe in a forked child):
 *   PROBE listener = ok | -1 ENAME     seccomp(SET_MODE_FILTER, NEW_LISTENER)
 *   PROBE supervisor: continue NAME    the supervisor got NAME's notification, answers CONTINUE
 *                                      (printed before the answer: ordered before the result)
 *   PROBE getegid = RESULT             an allowed call: the supervisor's control (CONTINUE works)
 *   PROBE getppid = RESULT             the denied call
 *   PROBE = killed SIGNAME | exit N    how the probe's child ended (unless exit 0)
 * The kernel alone: listener ok, getegid continued (ok), getppid EPERM (the policy's ERRNO
 * outranks USER_NOTIF: no notification). octrace: listener -1 EBUSY (a task it enforces may
 * not create one: documented, stricter), no supervisor, getegid ok, getppid EPERM.
 * Never hangs: no supervisor runs unless the listener exists; a supervisor thread dies with
 * the process, a supervisor process is SIGKILLed by the caller (and by PR_SET_PDEATHSIG if
 * the caller is killed); alarm() is the outer guard. */
#include "hostile.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe {
	const char *text;
	enum abi abi;
	int fork_supervisor;
	int listener;
	pid_t caller; /* the supervisor process's parent */
};

static const char *call_name(const struct probe *p, long nr)
{
	const struct abi_nrs *n = abi_nrs(p->abi);

	return nr == n->getppid ? "getppid" : nr == n->getegid ? "getegid" : "other";
}

/* Answer every notification with CONTINUE until the listener goes away. */
static void supervise(const struct probe *p)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(p->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return; /* ENOENT/EBADF...: the filter's users are gone */
		}
		say("%s supervisor: continue %s", p->text, call_name(p, req.data.nr));
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (ioctl(p->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			fail("SECCOMP_IOCTL_NOTIF_SEND: %m");
	}
}

static void *supervisor_thread(void *arg)
{
	supervise(arg);
	return NULL;
}

/* The parent pid, from /proc (getppid is what the policy denies). */
static pid_t parent_from_proc(void)
{
	char buf[512], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p ? (pid_t)strtol(p + 4, NULL, 10) : -1; /* ") S PPID" */
}

static void run(void *arg)
{
	struct probe *p = arg;
	const struct abi_nrs *n = abi_nrs(p->abi);
	long calls[2] = {n->getegid, n->getppid};
	long ret;
	pid_t sup = 0;
	int st;

	p->caller = getpid();
	ret =
	    own_filter(p->abi, calls, 2, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	say("%s listener = %s", p->text, res(ret));
	if (ret >= 0) {
		p->listener = (int)ret;
		if (!p->fork_supervisor) {
			pthread_t t = start_thread(supervisor_thread, p);

			pthread_detach(t); /* blocked in RECV until the process exits */
		} else {
			sup = fork();
			if (sup < 0)
				fail("fork: %m");
			if (sup == 0) {
				alarm(20);
				if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
				    parent_from_proc() != p->caller)
					_exit(0); /* the caller is already gone */
				supervise(p);
				_exit(0);
			}
			close(p->listener);
		}
	}
	say("%s getegid = %s", p->text, res(abi_call(p->abi, n->getegid, 0, 0, 0, 0)));
	say("%s getppid = %s", p->text, res(abi_call(p->abi, n->getppid, 0, 0, 0, 0)));
	if (sup > 0) {
		kill(sup, SIGKILL);
		if (waitpid(sup, &st, 0) != sup)
			fail("waitpid: %m");
	}
}

static void run_thread(void *arg) { in_thread(run, arg); }

int main(int argc, char **argv)
{
	hostile_setup(120);
	for (int i = 1; i < argc; i++) {
		struct probe p = {.text = argv[i]};
		const char *spec = argv[i], *rest;
		int thread = !strncmp(spec, "thread/", 7);

		p.abi = parse_abi(thread ? spec + 7 : spec, &rest);
		if (!strcmp(rest, "fork"))
			p.fork_supervisor = 1;
		else if (strcmp(rest, "thread"))
			fail("%s: SUPERVISOR is thread or fork", spec);
		probe_child(spec, thread ? run_thread : run, &p, 20);
	}
	return 0;
}
