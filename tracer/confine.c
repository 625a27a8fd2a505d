#include "confine.h"

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>

#include "notify.h"

/* What a tracer does: wait for and steer its tracees (ptrace, wait4, kill, pidfds), read
 * their memory and /proc, write its logs, serve joins (accept4 on a socket it already
 * listens on, a doorbell thread and child), compile a reloaded policy, and what the C library and the sanitizers of
 * a debug build need for that. Nothing that opens a network connection, binds, mounts,
 * changes ids or capabilities, executes a program, or loads a filter of its own. */
static const char *const allowed[] = {
	/* the tracer's own work */
	"ptrace", "wait4", "waitid", "kill", "tgkill", "tkill", "pidfd_open",
	"pidfd_send_signal", "process_vm_readv", "process_vm_writev",
	/* denials by notification: the listener copied out of the task that made it */
	"pidfd_getfd",
	/* files: /proc, logs (already open) */
	"read", "readv", "pread64", "write", "writev", "pwrite64", "openat", "open", "close",
	"close_range", "fstat", "newfstatat", "stat", "lstat", "statx", "lseek", "getdents64",
	"readlink", "readlinkat", "fcntl", "dup", "dup2", "dup3", "fsync", "fdatasync",
	"ftruncate", "copy_file_range", "rename", "renameat", "renameat2",
	/* a policy reload compiles the new policy: libseccomp exports its program into a
	 * memfd (an anonymous file: no path, nothing shared) */
	"memfd_create",
	/* joins */
	"accept4", "getsockopt", "sendto", "sendmsg", "recvfrom", "recvmsg", "poll", "ppoll",
	"eventfd2", "shutdown",
	/* threads, processes (the doorbell), memory, signals, time */
	"clone", "set_robust_list", "rseq", "futex", "exit", "exit_group", "getpid", "gettid",
	"getppid", "getuid", "geteuid", "getgid", "getegid", "mmap", "munmap", "mprotect",
	"mremap", "brk", "madvise", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
	"sigaltstack", "restart_syscall", "clock_gettime", "clock_nanosleep", "nanosleep",
	"gettimeofday", "getrandom", "setitimer", "sched_yield", "sched_getaffinity", "prctl",
	/* the sanitizers (ASan/LSan/UBSan builds) */
	"getrlimit", "prlimit64", "setrlimit", "uname", "pipe2", "sysinfo", "getresuid",
	"getresgid",
};

/* stdio asks whether a stream is a terminal; the seccomp listener's requests (notify.h) */
static const unsigned long ioctls[] = {
	TCGETS,
	SECCOMP_IOCTL_NOTIF_RECV,
	SECCOMP_IOCTL_NOTIF_SEND,
	SECCOMP_IOCTL_NOTIF_SET_FLAGS,
};

int confine_tracer(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = -EINVAL;

	if (ctx == NULL)
		return -1;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr != __NR_SCMP_ERROR && (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			goto out;
	}
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					   SCMP_A1(SCMP_CMP_EQ, ioctls[i]))) < 0)
			goto out;
	/* glibc's pthread_create falls back to clone when clone3 is ENOSYS (its flags live in
	 * memory a filter cannot inspect) */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}
