/* sysprobe PROBE...: make each probe's syscalls in a forked child of its own and print one line
 * per syscall, so that a policy's effect can be compared line by line between the kernel
 * enforcing it (seccomp-exec) and octrace enforcing it (octrace run --policy).
 *
 * PROBE is CALL[+CALL...], made in order in one child; CALL is [i386:]NAME[:A0[,A1...]], NAME a
 * syscall name or number, Ai numbers (0x hex allowed, missing ones are 0); with i386: the call is
 * the i386 syscall of that name, made through int $0x80. Lines printed:
 *   CALL = VALUE | CALL = -1 ENAME | CALL = pid | CALL = id     the return value; pid and id stand
 *                                            for the success of a call returning a pid, a uid/gid
 *   CALL SIGSYS code= syscall= arch= errno= addr= rip= rax= args=    from the SIGSYS handler
 *   PROBE = killed SIGNAME | PROBE = exit N               how the child ended, when not exit 0
 * Proves: what octrace does at its seccomp stop is invisible to the program: same return value
 * and errno, same death signal, same siginfo and registers seen by a SECCOMP_RET_TRAP handler. */
#include "tracee.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_CALLS 8

struct call {
	char text[128];
	int i386;
	long nr;
	long a[6];
};

static const struct call *cur; /* the call in progress, for the SIGSYS handler */

static int returns_pid(const struct call *c)
{
	long nr = c->nr;

	if (c->i386) /* i386 getpid, getppid, gettid, getpgrp */
		return nr == 20 || nr == 64 || nr == 224 || nr == 65;
	return nr == SYS_getpid || nr == SYS_getppid || nr == SYS_gettid || nr == SYS_getpgrp ||
	       nr == SYS_getsid || nr == SYS_getpgid;
}

static int returns_id(const struct call *c)
{
	long nr = c->nr;

	if (c->i386) /* i386 getuid32, getgid32, geteuid32, getegid32 */
		return nr >= 199 && nr <= 202;
	return nr == SYS_getuid || nr == SYS_getgid || nr == SYS_geteuid || nr == SYS_getegid;
}

static void parse_call(char *s, struct call *c)
{
	char *args, *end;
	int i;

	snprintf(c->text, sizeof(c->text), "%s", s);
	c->i386 = !strncmp(s, "i386:", 5);
	if (c->i386)
		s += 5;
	args = strchr(s, ':');
	if (args)
		*args++ = '\0';
	c->nr = strtol(s, &end, 0);
	if (*end)
		c->nr = seccomp_syscall_resolve_name_arch(
		    c->i386 ? SCMP_ARCH_X86 : SCMP_ARCH_X86_64, s);
	if (c->nr < 0)
		fail("unknown syscall %s", s);
	memset(c->a, 0, sizeof(c->a));
	for (i = 0; args && *args && i < 6; i++) {
		c->a[i] = strtoull(args, &end, 0);
		if (*end != ',' && *end != '\0')
			fail("bad argument in %s", c->text);
		args = *end ? end + 1 : end;
	}
}

static const char *errname(long err)
{
	static char buf[16];
	const char *n = strerrorname_np(err);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%ld", err);
	return buf;
}

/* An address relative to the instruction after the syscall the current call made. */
static const char *where(const void *addr, char *buf, size_t len)
{
	const char *ret = cur->i386 ? raw_int80_ret : raw_syscall_ret;

	if (addr == ret)
		return "after-syscall";
	snprintf(buf, len, "%+ld", (long)((const char *)addr - ret));
	return buf;
}

/* Everything a SECCOMP_RET_TRAP delivers: siginfo, and the registers the kernel left. */
static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	const greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	long regs[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]};
	long regs32[6] = {g[REG_RBX], g[REG_RCX], g[REG_RDX], g[REG_RSI], g[REG_RDI], g[REG_RBP]};
	char a1[32], a2[32];

	if (cur->i386)
		memcpy(regs, regs32, sizeof(regs));

	say("%s SIG%s code=%d syscall=%d arch=%#x errno=%d addr=%s rip=%s rax=%lld args=%s",
	    cur->text, sigabbrev_np(sig), si->si_code, si->si_syscall, si->si_arch, si->si_errno,
	    where(si->si_call_addr, a1, sizeof(a1)), where((void *)g[REG_RIP], a2, sizeof(a2)),
	    (long long)g[REG_RAX], memcmp(regs, cur->a, sizeof(regs)) ? "changed" : "same");
}

static void make_call(const struct call *c)
{
	long ret;

	cur = c;
	if (c->i386)
		ret = raw_int80(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	else
		ret = raw_syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	if (ret < 0 && ret >= -4095)
		say("%s = -1 %s", c->text, errname(-ret));
	else if (ret > 0 && returns_pid(c))
		say("%s = pid", c->text);
	else if (ret >= 0 && returns_id(c))
		say("%s = id", c->text);
	else
		say("%s = %ld", c->text, ret);
}

static void run_probe(char *spec)
{
	struct call calls[MAX_CALLS];
	char text[256], *tok, *save;
	int n = 0, i, st;
	pid_t pid;

	snprintf(text, sizeof(text), "%s", spec);
	for (tok = strtok_r(spec, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (n == MAX_CALLS)
			fail("too many calls in %s", text);
		parse_call(tok, &calls[n++]);
	}
	pid = fork();
	if (pid < 0)
		fail("fork: %m");
	if (pid == 0) {
		for (i = 0; i < n; i++)
			make_call(&calls[i]);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid: %m");
	if (WIFSIGNALED(st))
		say("%s = killed SIG%s%s", text, sigabbrev_np(WTERMSIG(st)),
		    WCOREDUMP(st) ? " (core)" : "");
	else if (WEXITSTATUS(st))
		say("%s = exit %d", text, WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	struct rlimit no_core = {0, 0};
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	int i;

	setrlimit(RLIMIT_CORE, &no_core);
	umask(022);
	if (sigaction(SIGSYS, &sa, NULL))
		fail("sigaction: %m");
	for (i = 1; i < argc; i++)
		run_probe(argv[i]);
	return 0;
}
