/* owntrace PROBE...: the tracee stacks a seccomp filter of its own on top of the enforcement
 * (docs/kernel-behaviours.md §10, tricks 1 and 5 of the hostile-container tests).
 *
 * PROBE is [thread/|vfork/]ABI:SYSCALL:ACTION[:VALUE]
 *   ABI      x86_64, i386 (filter installed and syscall made through int $0x80) or x32 (the
 *            filter, installed natively, matches nr | 0x40000000; the call is made with it)
 *   SYSCALL  getppid (what the tests' policy denies) or getegid (what it allows)
 *   ACTION   trace:DATA   own filter answers SECCOMP_RET_TRACE | DATA. The kernel alone: the
 *                         policy's ERRNO/KILL outranks TRACE; an allowed call gets ENOSYS (TRACE
 *                         with no tracer). A tracer that believes the data it reads at the stop
 *                         (the newest filter's, i.e. ours) can be told "allow" (DATA 0, or a
 *                         value past its slots) or another slot's action (DATA 0x8000 =
 *                         OCI_TRACE_DATA_BASE, 0x8001).
 *            errno:N      own filter answers ERRNO(N): with the policy's ERRNO the newest
 *                         filter's errno wins (ours); the policy's KILL outranks it.
 *            trap         own filter answers TRAP: the handler prints what SIGSYS said.
 *            kill         own filter answers KILL_PROCESS.
 *   thread/  the filter is installed and the call made by a new (non-main) thread
 *   vfork/   ... by a vfork child (clone(CLONE_VM | CLONE_VFORK), a stack of its own)
 * Each probe runs in a forked child. Lines:
 *   PROBE = ok | -1 ENAME                   the syscall's result
 *   PROBE = SIGSYS syscall=N arch=ABI       a SIGSYS handler ran instead (the call was skipped)
 *   PROBE = killed SIGNAME | exit N         how the probe's child (or vfork child) ended
 *   PROBE filter = -1 ENAME                 the own filter could not be installed
 * Proves (tests/tracer/hostile.sh): octrace decides from the syscall, not from the data of a
 * filter it did not write: the policy's denial holds, an allowed call the tracee sent to TRACE
 * gets ENOSYS as from the kernel. */
#include "hostile.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe {
	const char *text;
	enum abi abi;
	long nr;
	uint32_t action;
};

static volatile sig_atomic_t trapped;
static volatile int trap_syscall;
static volatile unsigned trap_arch;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	trapped = 1;
	trap_syscall = si->si_syscall;
	trap_arch = si->si_arch;
}

static void parse(const char *text, struct probe *p)
{
	const char *rest, *value;
	char call[16];
	size_t len;

	p->text = text;
	p->abi = parse_abi(text, &rest);
	value = strchr(rest, ':');
	if (!value || (len = (size_t)(value - rest)) >= sizeof(call))
		fail("%s: no SYSCALL:ACTION", text);
	memcpy(call, rest, len);
	call[len] = '\0';
	value++;
	if (!strcmp(call, "getppid"))
		p->nr = abi_nrs(p->abi)->getppid;
	else if (!strcmp(call, "getegid"))
		p->nr = abi_nrs(p->abi)->getegid;
	else
		fail("%s: unknown syscall %s", text, call);
	if (!strncmp(value, "trace:", 6))
		p->action = SECCOMP_RET_TRACE | (strtoul(value + 6, NULL, 0) & SECCOMP_RET_DATA);
	else if (!strncmp(value, "errno:", 6))
		p->action = SECCOMP_RET_ERRNO | (strtoul(value + 6, NULL, 0) & SECCOMP_RET_DATA);
	else if (!strcmp(value, "trap"))
		p->action = SECCOMP_RET_TRAP;
	else if (!strcmp(value, "kill"))
		p->action = SECCOMP_RET_KILL_PROCESS;
	else
		fail("%s: unknown action %s", text, value);
}

static void run(void *arg)
{
	const struct probe *p = arg;
	/* x32: installed with the native seccomp (an x32 seccomp() is ENOSYS on kernels without
	 * CONFIG_X86_X32_ABI); the filter matches the x32 number. */
	enum abi via = p->abi == ABI_X32 ? ABI_X86_64 : p->abi;
	long ret = own_filter(via, &p->nr, 1, p->action, 0);

	if (ret < 0) {
		say("%s filter = %s", p->text, res(ret));
		return;
	}
	trapped = 0;
	ret = abi_call(p->abi, p->nr, 0, 0, 0, 0);
	if (trapped)
		say("%s = SIGSYS syscall=%d arch=%s", p->text, trap_syscall,
		    trap_arch == AUDIT_ARCH_I386     ? "i386"
		    : trap_arch == AUDIT_ARCH_X86_64 ? "x86_64"
						     : "other");
	else
		say("%s = %s", p->text, res(ret));
}

static int vfork_child(void *arg)
{
	run(arg);
	_exit(0);
}

static void run_vfork(void *arg)
{
	const struct probe *p = arg;
	size_t size = 256 * 1024;
	char *stack = malloc(size);
	int st;
	pid_t pid;

	if (!stack)
		fail("malloc");
	pid = clone(vfork_child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
	if (pid < 0) {
		say("%s vfork = -1 %s", p->text, strerrorname_np(errno));
		return;
	}
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid: %m");
	if (st != 0)
		say("%s = %s", p->text, death(st));
	free(stack);
}

static void run_thread(void *arg) { in_thread(run, arg); }

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	struct probe p;

	hostile_setup(120);
	if (sigaction(SIGSYS, &sa, NULL))
		fail("sigaction: %m");
	for (int i = 1; i < argc; i++) {
		const char *spec = argv[i];

		if (!strncmp(spec, "thread/", 7)) {
			parse(spec + 7, &p);
			p.text = spec;
			probe_child(spec, run_thread, &p, 20);
		} else if (!strncmp(spec, "vfork/", 6)) {
			parse(spec + 6, &p);
			p.text = spec;
			probe_child(spec, run_vfork, &p, 20);
		} else {
			parse(spec, &p);
			probe_child(spec, run, &p, 20);
		}
	}
	return 0;
}
