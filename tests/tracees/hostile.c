#include "hostile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct abi_nrs nrs[] = {
    [ABI_X86_64] = {.getppid = 110,
		    .getegid = 108,
		    .clone = 56,
		    .clone3 = 435,
		    .ptrace = 101,
		    .seccomp = 317,
		    .prctl = 157,
		    .audit_arch = AUDIT_ARCH_X86_64},
    [ABI_I386] = {.getppid = 64,
		  .getegid = 202 /* getegid32 */,
		  .clone = 120,
		  .clone3 = 435,
		  .ptrace = 26,
		  .seccomp = 354,
		  .prctl = 172,
		  .audit_arch = AUDIT_ARCH_I386},
    [ABI_X32] = {.getppid = 110 | X32_BIT,
		 .getegid = 108 | X32_BIT,
		 .clone = 56 | X32_BIT,
		 .clone3 = 435 | X32_BIT,
		 .ptrace = 521 | X32_BIT /* compat ptrace */,
		 .seccomp = 317 | X32_BIT,
		 .prctl = 157 | X32_BIT,
		 .audit_arch = AUDIT_ARCH_X86_64},
};
static const char *const names[] = {"x86_64", "i386", "x32"};

const struct abi_nrs *abi_nrs(enum abi abi) { return &nrs[abi]; }

const char *abi_name(enum abi abi) { return names[abi]; }

enum abi parse_abi(const char *spec, const char **rest)
{
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(names[i]);

		if (!strncmp(spec, names[i], len) && spec[len] == ':') {
			*rest = spec + len + 1;
			return (enum abi)i;
		}
	}
	fail("%s: no ABI prefix (x86_64:, i386:, x32:)", spec);
}

long abi_call(enum abi abi, long nr, long a0, long a1, long a2, long a3)
{
	if (abi == ABI_I386)
		return raw_int80(nr, a0, a1, a2, a3, 0, 0);
	return raw_syscall(nr, a0, a1, a2, a3, 0, 0);
}

static char *next_buf(void)
{
	static __thread char bufs[4][48];
	static __thread unsigned k;

	return bufs[k++ % 4];
}

const char *res(long ret)
{
	char *buf;
	const char *name;

	if (ret >= 0 || ret < -4095)
		return "ok";
	buf = next_buf();
	name = strerrorname_np(-ret);
	if (name)
		snprintf(buf, 48, "-1 %s", name);
	else
		snprintf(buf, 48, "-1 E%ld", -ret);
	return buf;
}

const char *death(int status)
{
	char *buf = next_buf();

	if (WIFSIGNALED(status))
		snprintf(buf, 48, "killed SIG%s", sigabbrev_np(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, 48, "exit %d", WEXITSTATUS(status));
	else
		snprintf(buf, 48, "status %#x", status);
	return buf;
}

void *low_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);

	if (p == MAP_FAILED)
		fail("mmap(MAP_32BIT): %m");
	return p;
}

/* struct sock_fprog as an i386 process passes it: 16-bit length, 32-bit pointer. */
struct compat_fprog {
	uint16_t len;
	uint32_t filter;
};

long own_filter(enum abi abi, const long *list, int n, uint32_t action, unsigned flags)
{
	const struct abi_nrs *a = abi_nrs(abi);
	struct sock_filter *f;
	int i, len = n + 5;

	if (n < 1 || n > 8)
		fail("own_filter: %d syscalls", n);
	f = low_alloc(len * sizeof(*f));
	f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, arch));
	f[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a->audit_arch, 0, n + 1);
	f[2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, nr));
	for (i = 0; i < n; i++)
		f[3 + i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							(uint32_t)list[i], n - i, 0);
	f[3 + n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[4 + n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	return install_filter(abi, f, len, flags, 0);
}

long install_filter(enum abi abi, struct sock_filter *f, int len, unsigned flags, int via_prctl)
{
	const struct abi_nrs *a = abi_nrs(abi);
	long prog;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("PR_SET_NO_NEW_PRIVS: %m");
	if (abi == ABI_I386) {
		struct compat_fprog *p = low_alloc(sizeof(*p));

		p->len = len;
		p->filter = (uint32_t)(uintptr_t)f;
		prog = (long)p;
	} else {
		struct sock_fprog *p = low_alloc(sizeof(*p));

		p->len = len;
		p->filter = f;
		prog = (long)p;
	}
	if (via_prctl)
		return abi_call(abi, a->prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0);
	return abi_call(abi, a->seccomp, SECCOMP_SET_MODE_FILTER, flags, prog, 0);
}

int tracer_pid(void)
{
	char buf[4096], *p;
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nTracerPid:");
	return p ? atoi(p + 11) : -1;
}

const char *tracer_relation(pid_t parent_tid)
{
	int t = tracer_pid();

	if (t < 0)
		return "unknown";
	if (t == 0)
		return "untraced";
	return t == parent_tid ? "parent" : "octrace";
}

void hostile_setup(unsigned secs)
{
	struct rlimit no_core = {0, 0};

	setrlimit(RLIMIT_CORE, &no_core);
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(secs);
}

void probe_child(const char *name, void (*fn)(void *), void *arg, unsigned secs)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork: %m");
	if (pid == 0) {
		alarm(secs);
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid: %m");
	if (st != 0)
		say("%s = %s", name, death(st));
}

struct thread_call {
	void (*fn)(void *);
	void *arg;
};

static void *thread_main(void *p)
{
	struct thread_call *c = p;

	c->fn(c->arg);
	return NULL;
}

void in_thread(void (*fn)(void *), void *arg)
{
	struct thread_call c = {fn, arg};

	pthread_join(start_thread(thread_main, &c), NULL);
}
