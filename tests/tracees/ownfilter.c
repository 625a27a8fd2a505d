/* ownfilter PROBE...: the tracee stacks a filter of its own that answers ACTION for every
 * syscall number no kernel knows (1024 and up in its ABI's numbering, the x32 bit aside) and
 * allows the rest, then makes the call the policy denies (getppid), one it allows (getegid)
 * and an unknown one (1500). octrace denies with ERRNO by diverting the call to a reserved
 * number (docs/kernel-behaviours.md §28), which such a filter would answer itself: a denial
 * must still give the policy's errno, exactly as under the kernel's own enforcement.
 *
 * `ownfilter --exec ABI:HOW:ACTION -- CMD...` installs that filter and execs CMD (a filter
 * that is there before octrace attaches, or before the traced program's exec).
 *
 * PROBE is [thread/|vfork/]ABI:HOW:ACTION, or race/ABI:ACTION
 *   ABI     x86_64, i386 (filter installed and calls made through int $0x80) or x32 (the
 *           filter, installed natively, takes nr without the x32 bit; calls with it)
 *   HOW     seccomp, prctl (PR_SET_SECCOMP), tsync (seccomp with SECCOMP_FILTER_FLAG_TSYNC)
 *   ACTION  errno:N, trap, kill (KILL_PROCESS), killthread, or none (no filter installed)
 *   thread/ the filter is installed and the calls made by a new (non-main) thread
 *   vfork/  ... by a vfork child
 *   race/   the main thread makes RACE_CALLS denied calls; meanwhile (after a tenth of them)
 *           a second thread installs the filter with TSYNC, which reaches the main thread
 *           between two of its calls: every call must still get the policy's errno
 * Each probe runs in a forked child. Lines:
 *   PROBE getppid = RESULT            and the same for getegid, and "nr 1500"
 *   PROBE nr 1500 = SIGSYS syscall=N arch=ABI   a SIGSYS handler ran instead
 *   race/... getppid = all RESULT | N of M not RESULT (first: R)
 *   PROBE = killed SIGNAME | exit N   how the probe's child ended (kill, killthread)
 *   PROBE filter = -1 ENAME           the filter could not be installed */
#include "hostile.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNKNOWN_NR 1500
#define FIRST_UNKNOWN 1024
#define RACE_CALLS 20000

struct probe {
	const char *text;
	enum abi abi;
	int via_prctl;
	unsigned flags;
	int none;
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

static const char *field(const char *text, const char *s, char *out, size_t size)
{
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);

	if (len >= size)
		fail("%s: bad probe", text);
	memcpy(out, s, len);
	out[len] = '\0';
	return colon ? colon + 1 : s + len;
}

static uint32_t parse_action(const char *text, const char *a, int *none)
{
	*none = 0;
	if (!strncmp(a, "errno:", 6))
		return SECCOMP_RET_ERRNO | (strtoul(a + 6, NULL, 0) & SECCOMP_RET_DATA);
	if (!strcmp(a, "trap"))
		return SECCOMP_RET_TRAP;
	if (!strcmp(a, "kill"))
		return SECCOMP_RET_KILL_PROCESS;
	if (!strcmp(a, "killthread"))
		return SECCOMP_RET_KILL_THREAD;
	if (!strcmp(a, "none")) {
		*none = 1;
		return SECCOMP_RET_ALLOW;
	}
	fail("%s: unknown action %s", text, a);
}

/* text: ABI:HOW:ACTION (race: ABI:ACTION, HOW is tsync) */
static void parse(const char *text, const char *spec, int race, struct probe *p)
{
	const char *rest;
	char how[16];

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->abi = parse_abi(spec, &rest);
	if (race)
		strcpy(how, "tsync");
	else
		rest = field(text, rest, how, sizeof(how));
	if (!strcmp(how, "prctl"))
		p->via_prctl = 1;
	else if (!strcmp(how, "tsync"))
		p->flags = SECCOMP_FILTER_FLAG_TSYNC;
	else if (strcmp(how, "seccomp"))
		fail("%s: unknown HOW %s", text, how);
	p->action = parse_action(text, rest, &p->none);
}

/* ACTION for the numbers of the ABI's arch from FIRST_UNKNOWN up (x32 bit masked), ALLOW for
 * everything else. */
static long install(const struct probe *p)
{
	enum abi via = p->abi == ABI_X32 ? ABI_X86_64 : p->abi;
	struct sock_filter *f = low_alloc(8 * sizeof(*f));
	int n = 0;

	if (p->none)
		return 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      abi_nrs(via)->audit_arch, 0, 3);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)X32_BIT);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FIRST_UNKNOWN, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, p->action);
	return install_filter(via, f, n, p->flags, p->via_prctl);
}

static long unknown_nr(enum abi abi)
{
	return abi == ABI_X32 ? UNKNOWN_NR | X32_BIT : UNKNOWN_NR;
}

static void say_trap(const char *text, const char *what)
{
	say("%s %s = SIGSYS syscall=%d arch=%s", text, what, trap_syscall,
	    trap_arch == AUDIT_ARCH_I386 ? "i386" : trap_arch == AUDIT_ARCH_X86_64 ? "x86_64"
										: "other");
}

/* One call through the probe's ABI, printed. */
static void call(const struct probe *p, const char *what, long nr)
{
	long ret;

	trapped = 0;
	ret = abi_call(p->abi, nr, 0, 0, 0, 0);
	if (trapped)
		say_trap(p->text, what);
	else
		say("%s %s = %s", p->text, what, res(ret));
}

static void run(void *arg)
{
	const struct probe *p = arg;
	long ret = install(p);

	if (ret < 0) {
		say("%s filter = %s", p->text, res(ret));
		return;
	}
	call(p, "getppid", abi_nrs(p->abi)->getppid);
	call(p, "getegid", abi_nrs(p->abi)->getegid);
	call(p, "nr 1500", unknown_nr(p->abi));
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

static atomic_long race_done;

static void *race_installer(void *arg)
{
	const struct probe *p = arg;
	long ret;

	while (atomic_load(&race_done) < RACE_CALLS / 10)
		sched_yield();
	ret = install(p);
	if (ret < 0)
		say("%s filter = %s", p->text, res(ret));
	return NULL;
}

static void run_race(void *arg)
{
	const struct probe *p = arg;
	long nr = abi_nrs(p->abi)->getppid, first = 0, bad = 0, expect;
	int first_trapped = 0;
	pthread_t th;

	expect = abi_call(p->abi, nr, 0, 0, 0, 0);
	atomic_store(&race_done, 1);
	if (pthread_create(&th, NULL, race_installer, arg))
		fail("pthread_create");
	for (long i = 1; i < RACE_CALLS; i++) {
		long ret;

		trapped = 0;
		ret = abi_call(p->abi, nr, 0, 0, 0, 0);
		if ((ret != expect || trapped) && bad++ == 0) {
			first = ret;
			first_trapped = trapped;
		}
		atomic_fetch_add(&race_done, 1);
	}
	pthread_join(th, NULL);
	if (bad == 0)
		say("%s getppid = all %s", p->text, res(expect));
	else
		say("%s getppid = %ld of %d not %s (first: %s)", p->text, bad, RACE_CALLS,
		    res(expect), first_trapped ? "SIGSYS" : res(first));
	call(p, "nr 1500", unknown_nr(p->abi));
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	struct probe p;

	if (argc > 3 && !strcmp(argv[1], "--exec") && !strcmp(argv[3], "--")) {
		long ret;

		parse(argv[2], argv[2], 0, &p);
		ret = install(&p);
		if (ret < 0)
			fail("%s: %s", argv[2], res(ret));
		execvp(argv[4], argv + 4);
		fail("%s: %m", argv[4]);
	}
	hostile_setup(120);
	if (sigaction(SIGSYS, &sa, NULL))
		fail("sigaction: %m");
	for (int i = 1; i < argc; i++) {
		const char *spec = argv[i];

		if (!strncmp(spec, "thread/", 7)) {
			parse(spec, spec + 7, 0, &p);
			probe_child(spec, run_thread, &p, 20);
		} else if (!strncmp(spec, "vfork/", 6)) {
			parse(spec, spec + 6, 0, &p);
			probe_child(spec, run_vfork, &p, 20);
		} else if (!strncmp(spec, "race/", 5)) {
			parse(spec, spec + 5, 1, &p);
			probe_child(spec, run_race, &p, 60);
		} else {
			parse(spec, spec, 0, &p);
			probe_child(spec, run, &p, 20);
		}
	}
	return 0;
}
