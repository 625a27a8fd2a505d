/* learnload PROCS THREADS ROUNDS: a workload for learning a profile that must lose nothing.
 * PROCS forked processes of THREADS threads each start together (a pipe releases them) and
 * make, as fast as they can, a battery of ~200 different calls: ~160 x86_64 syscalls with
 * arguments that make their result deterministic (-1 fds, NULL pointers, queries), socket
 * with five families, unshare with and without a namespace, personality queries, ~30 i386
 * syscalls through int $0x80 (getppid is i386 number 64) and an x32 one. Probe j is made by
 * task j % (PROCS * THREADS) only, ROUNDS times in a row, so that a task whose stops went
 * unseen leaves syscalls out of the profile. Thread creation goes through glibc (clone3, or
 * clone when clone3 fails with ENOSYS), each process through fork().
 *
 * Output, one line per probe (order varies: compare sorted): "LABEL = ok" or "LABEL = -1
 * ENAME", the same in every round ("LABEL = varies" otherwise). LABEL is [i386:|x32:]NAME
 * [:VALUE]. `learnload --list ROUNDS` prints instead "ABI NAME CALLS" per syscall of the
 * battery, ABI as in a profile's architectures (SCMP_ARCH_X86, ...), CALLS the number of
 * times the battery makes it (exact for the i386 and x32 ones, which libc never makes).
 * Exit status 0 when every process and thread ran its share; 1 otherwise.
 * Proves (tests/tracer/profile-load.sh): a profile learnt from a busy multi-threaded,
 * multi-process run allows every syscall of it, and the kernel enforcing it re-runs it with
 * the same results. */
#include "tracee.h"

#include <errno.h>
#include <linux/personality.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ABI_X86_64 0
#define ABI_I386 1
#define ABI_X32 2
#define X32_BIT 0x40000000L
#define NO (-1L) /* a file descriptor that is not open */
#define MAX_PROCS 64
#define MAX_THREADS 64

struct probe {
	const char *label; /* also the syscall's name, before any ':VALUE' */
	int abi;
	long nr;
	long a[6];
	int close_result; /* the result is a new fd: close it (natively) */
};

#define X(name, ...) { #name, ABI_X86_64, SYS_##name, { __VA_ARGS__ }, 0 }
#define XF(name, ...) { #name, ABI_X86_64, SYS_##name, { __VA_ARGS__ }, 1 }
#define I(name, nr, ...) { "i386:" #name, ABI_I386, nr, { __VA_ARGS__ }, 0 }

static const struct probe battery[] = {
	/* identity and scheduling */
	X(getpid), X(getppid), X(gettid), X(getuid), X(geteuid), X(getgid), X(getegid),
	X(getpgrp), X(getpgid, 0), X(getsid, 0), X(getresuid, 0, 0, 0), X(getresgid, 0, 0, 0),
	X(getgroups, 0, 0), X(sched_yield), X(sched_getscheduler, 0),
	X(sched_get_priority_max, SCHED_FIFO), X(sched_get_priority_min, SCHED_FIFO),
	X(getpriority, 0, 0), X(sched_getaffinity, 0, 0, 0), X(sched_getparam, 0, 0),
	X(sched_setparam, 0, 0), X(sched_rr_get_interval, 0, 0), X(sched_getattr, 0, 0, 0, 0),
	X(ioprio_get, 1, 0), X(getcpu, 0, 0, 0), X(capget, 0, 0), X(capset, 0, 0),
	/* time */
	X(times, 0), X(gettimeofday, 0, 0), X(time, 0), X(clock_gettime, 1, 0),
	X(clock_getres, 1, 0), X(nanosleep, 0, 0), X(clock_nanosleep, 1, 0, 0, 0),
	X(getitimer, 0, 0), X(alarm, 0), X(adjtimex, 0), X(clock_adjtime, 0, 0),
	X(timer_create, 1, 0, 0), X(timer_getoverrun, NO), X(timer_delete, NO),
	X(timer_settime, NO, 0, 0, 0), X(timer_gettime, NO, 0),
	/* resources, process */
	X(sysinfo, 0), X(uname, 0), X(getcwd, 0, 0), X(getrlimit, 7, 0), X(prlimit64, 0, 7, 0, 0),
	X(getrusage, 0, 0), X(prctl, 3), X(arch_prctl, 0x1003, 0), X(syslog, 10, 0, 0),
	X(modify_ldt, 0, 0, 0), X(kill, 0, 0), X(membarrier, 0, 0, 0), X(getrandom, 0, 0, 0),
	X(seccomp, 2, 0, 0), X(get_robust_list, 0, 0, 0), X(set_robust_list, 0, 0),
	X(pidfd_open, 0, 0), X(pidfd_send_signal, NO, 0, 0, 0), X(pidfd_getfd, NO, 0, 0),
	X(process_vm_readv, 0, 0, 0, 0, 0, 0), X(kcmp, 0, 0, 0, 0, 0),
	/* signals */
	X(rt_sigpending, 0, 8), X(rt_sigprocmask, 0, 0, 0, 8), X(sigaltstack, 0, 0),
	X(rt_sigaction, 12, 0, 0, 8), X(rt_sigtimedwait, 0, 0, 0, 8),
	/* file descriptors that are not open */
	X(lseek, NO, 0, 0), X(fcntl, NO, 1), X(dup, NO), X(dup3, NO, NO, 0), X(close, NO),
	X(fsync, NO), X(fdatasync, NO), X(fstat, NO, 0), X(fstatfs, NO, 0), X(ftruncate, NO, 0),
	X(fchdir, NO), X(fchmod, NO, 0), X(fchown, NO, 0, 0), X(flock, NO, 0),
	X(read, NO, 0, 0), X(write, NO, 0, 0), X(pread64, NO, 0, 0, 0), X(pwrite64, NO, 0, 0, 0),
	X(readv, NO, 0, 0), X(writev, NO, 0, 0), X(preadv, NO, 0, 0, 0), X(pwritev, NO, 0, 0, 0),
	X(sendfile, NO, NO, 0, 0), X(getdents64, NO, 0, 0), X(ioctl, NO, 0x541b, 0),
	X(epoll_ctl, NO, 1, NO, 0), X(epoll_wait, NO, 0, 1, 0), X(epoll_pwait, NO, 0, 1, 0, 0, 8),
	X(shutdown, NO, 0), X(listen, NO, 0), X(accept, NO, 0, 0), X(accept4, NO, 0, 0, 0),
	X(connect, NO, 0, 0), X(bind, NO, 0, 0), X(getsockname, NO, 0, 0),
	X(getpeername, NO, 0, 0), X(setsockopt, NO, 0, 0, 0, 0), X(getsockopt, NO, 0, 0, 0, 0),
	X(sendto, NO, 0, 0, 0, 0, 0), X(recvfrom, NO, 0, 0, 0, 0, 0), X(sendmsg, NO, 0, 0),
	X(recvmsg, NO, 0, 0), X(sendmmsg, NO, 0, 0, 0), X(recvmmsg, NO, 0, 0, 0, 0),
	X(inotify_rm_watch, NO, 0), X(timerfd_settime, NO, 0, 0, 0), X(timerfd_gettime, NO, 0),
	X(fadvise64, NO, 0, 0, 0), X(readahead, NO, 0, 0), X(fallocate, NO, 0, 0, 0),
	X(sync_file_range, NO, 0, 0, 0), X(splice, NO, 0, NO, 0, 0, 0), X(tee, NO, NO, 0, 0),
	X(vmsplice, NO, 0, 0, 0), X(copy_file_range, NO, 0, NO, 0, 0, 0),
	X(fgetxattr, NO, 0, 0, 0), X(flistxattr, NO, 0, 0), X(fremovexattr, NO, 0),
	X(fsetxattr, NO, 0, 0, 0, 0), X(syncfs, NO), X(mq_getsetattr, NO, 0, 0), X(setns, NO, 0),
	X(utimensat, NO, 0, 0, 0),
	/* paths that are NULL */
	X(openat, -100, 0, 0), X(access, 0, 0), X(faccessat, -100, 0, 0),
	X(faccessat2, -100, 0, 0, 0), X(stat, 0, 0), X(lstat, 0, 0), X(newfstatat, -100, 0, 0, 0),
	X(statx, -100, 0, 0, 0, 0), X(readlink, 0, 0, 0), X(readlinkat, -100, 0, 0, 0),
	X(chdir, 0), X(mkdir, 0, 0), X(rmdir, 0), X(unlink, 0), X(unlinkat, -100, 0, 0),
	X(rename, 0, 0), X(link, 0, 0), X(symlink, 0, 0), X(chmod, 0, 0), X(chown, 0, 0, 0),
	X(lchown, 0, 0, 0), X(truncate, 0, 0), X(statfs, 0, 0), X(utimes, 0, 0),
	X(getxattr, 0, 0, 0, 0), X(lgetxattr, 0, 0, 0, 0), X(listxattr, 0, 0, 0),
	X(llistxattr, 0, 0, 0), X(removexattr, 0, 0), X(chroot, 0), X(mq_open, 0, 0, 0, 0),
	X(mq_unlink, 0), X(memfd_create, 0, 0), X(pipe2, 0, 0), X(pipe, 0),
	X(socketpair, AF_UNIX, SOCK_STREAM, 0, 0), X(add_key, 0, 0, 0, 0, 0),
	X(request_key, 0, 0, 0, 0), X(perf_event_open, 0, 0, 0, 0, 0),
	/* new file descriptors (closed again) */
	XF(inotify_init1, 02000000), XF(eventfd2, 0, 02000000), XF(timerfd_create, 1, 02000000),
	XF(epoll_create1, 02000000),
	/* memory */
	X(mmap, 0, 0, 3, 0x22, NO, 0), X(munmap, 0, 0), X(mprotect, 0, 0, 0), X(madvise, 0, 0, 0),
	X(mincore, 0, 0, 0), X(msync, 0, 0, 0), X(mlock, 0, 0), X(munlock, 0, 0),
	X(mremap, 0, 0, 0, 0, 0), X(brk, 0), X(futex, 0, 1, 0, 0, 0, 0), X(mlockall, 0),
	X(pkey_free, NO),
	/* IPC (no object is created) */
	X(shmget, 0, 0, 0), X(semget, 0, NO, 0), X(msgctl, NO, 2, 0), X(shmctl, NO, 2, 0),
	X(semctl, NO, 0, 2, 0), X(shmat, NO, 0, 0), X(shmdt, 0), X(semop, NO, 0, 0),
	X(msgsnd, NO, 0, 0, 0), X(msgrcv, NO, 0, 0, 0, 0),
	/* asynchronous I/O and more */
	X(io_setup, 0, 0), X(io_destroy, 0), X(io_getevents, 0, 0, 0, 0, 0), X(io_submit, 0, 0, 0),
	X(io_uring_setup, 0, 0), X(userfaultfd, NO), X(fanotify_init, NO, 0), X(bpf, NO, 0, 0),
	X(keyctl, NO, 0, 0, 0, 0), X(getpmsg), X(putpmsg), X(afs_syscall), X(tuxcall),
	X(security), X(vserver), X(close_range, NO, NO, 0),
	/* arguments that learning keeps */
	{ "socket:AF_UNIX", ABI_X86_64, SYS_socket, { AF_UNIX, SOCK_STREAM }, 1 },
	{ "socket:AF_INET", ABI_X86_64, SYS_socket, { AF_INET, SOCK_DGRAM }, 1 },
	{ "socket:AF_INET6", ABI_X86_64, SYS_socket, { AF_INET6, SOCK_DGRAM }, 1 },
	{ "socket:AF_NETLINK", ABI_X86_64, SYS_socket, { AF_NETLINK, SOCK_RAW, 0 }, 1 },
	{ "socket:AF_PACKET", ABI_X86_64, SYS_socket, { AF_PACKET, SOCK_DGRAM, 0 }, 1 },
	{ "unshare:0", ABI_X86_64, SYS_unshare, { 0 }, 0 },
	{ "unshare:CLONE_NEWUTS", ABI_X86_64, SYS_unshare, { CLONE_NEWUTS }, 0 },
	{ "personality:0xffffffff", ABI_X86_64, SYS_personality, { 0xffffffff }, 0 },
	/* i386, through int $0x80 */
	I(getpid, 20), I(getppid, 64), I(gettid, 224), I(getuid32, 199), I(getgid32, 200),
	I(geteuid32, 201), I(getegid32, 202), I(getpgrp, 65), I(sched_yield, 158),
	I(getpriority, 96, 0, 0), I(time, 13, 0), I(close, 6, NO), I(dup, 41, NO),
	I(read, 3, NO, 0, 0), I(write, 4, NO, 0, 0), I(getcpu, 318, 0, 0, 0),
	I(sysinfo, 116, 0), I(uname, 122, 0), I(ugetrlimit, 191, 7, 0), I(fcntl64, 221, NO, 1),
	I(fstat64, 197, NO, 0), I(lseek, 19, NO, 0, 0), I(sched_getscheduler, 157, 0),
	I(alarm, 27, 0), I(getgroups32, 205, 0, 0), I(getresuid32, 209, 0, 0, 0),
	I(capget, 184, 0, 0), I(getrandom, 355, 0, 0, 0), I(membarrier, 375, 0, 0),
	I(gettimeofday, 78, 0, 0), I(clock_getres, 266, 1, 0), I(prctl, 172, 3),
	{ "i386:personality:0xffffffff", ABI_I386, 136, { 0xffffffff }, 0 },
	{ "i386:socket:AF_UNIX", ABI_I386, 359, { AF_UNIX, SOCK_STREAM }, 1 },
	/* x32 (a kernel without it answers ENOSYS, after its filters saw the call) */
	{ "x32:getpid", ABI_X32, X32_BIT | SYS_getpid, { 0 }, 0 },
};

#define N_PROBES (sizeof(battery) / sizeof(battery[0]))

static long make(const struct probe *p)
{
	const long *a = p->a;
	long r;

	if (p->abi == ABI_I386)
		r = raw_int80(p->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	else
		r = raw_syscall(p->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (p->close_result && r >= 0)
		raw_syscall(SYS_close, r, 0, 0, 0, 0, 0);
	return r;
}

static int n_tasks, rounds;

/* Task k's share, ROUNDS times, then one line per probe. */
static void run_share(int k)
{
	for (size_t j = (size_t)k; j < N_PROBES; j += (size_t)n_tasks) {
		long first = make(&battery[j]);
		int same = 1;

		for (int r = 1; r < rounds; r++) {
			long again = make(&battery[j]);

			same &= (again < 0) == (first < 0) && (first >= 0 || again == first);
		}
		if (!same)
			say("%s = varies", battery[j].label);
		else if (first >= 0)
			say("%s = ok", battery[j].label);
		else
			say("%s = -1 %s", battery[j].label, strerrorname_np((int)-first));
	}
}

struct thread_arg {
	int k;
	pthread_barrier_t *ready;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;

	pthread_barrier_wait(t->ready);
	run_share(t->k);
	return NULL;
}

/* One process: THREADS - 1 threads and itself, released together by the go pipe. */
static noreturn void process_main(int proc, int threads, int go)
{
	pthread_barrier_t ready;
	struct thread_arg args[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	char c;

	pthread_barrier_init(&ready, NULL, (unsigned)threads);
	for (int i = 1; i < threads; i++) {
		args[i] = (struct thread_arg){ proc * threads + i, &ready };
		tids[i] = start_thread(thread_main, &args[i]);
	}
	if (read(go, &c, 1) != 1)
		fail("process %d: no go byte", proc);
	pthread_barrier_wait(&ready);
	run_share(proc * threads);
	for (int i = 1; i < threads; i++)
		pthread_join(tids[i], NULL);
	_exit(0);
}

static const char *abi_name(int abi)
{
	return abi == ABI_I386 ? "SCMP_ARCH_X86" : abi == ABI_X32 ? "SCMP_ARCH_X32"
								  : "SCMP_ARCH_X86_64";
}

/* --list: per (abi, syscall name), how many calls the battery makes. */
static void list(void)
{
	for (size_t j = 0; j < N_PROBES; j++) {
		const char *l = battery[j].label, *name = strchr(l, ':');
		int len, calls = 0;

		name = battery[j].abi == ABI_X86_64 ? l : name + 1;
		len = (int)strcspn(name, ":");
		for (size_t i = 0; i < j; i++)
			if (battery[i].abi == battery[j].abi && battery[i].nr == battery[j].nr)
				goto seen;
		for (size_t i = j; i < N_PROBES; i++)
			calls += battery[i].abi == battery[j].abi && battery[i].nr == battery[j].nr;
		say("%s %.*s %d", abi_name(battery[j].abi), len, name, calls * rounds);
seen:;
	}
}

int main(int argc, char **argv)
{
	int procs, threads, go[2], status, bad = 0;
	pid_t pids[MAX_PROCS];

	if (argc == 3 && strcmp(argv[1], "--list") == 0) {
		rounds = atoi(argv[2]);
		list();
		return 0;
	}
	if (argc != 4)
		fail("usage: learnload PROCS THREADS ROUNDS | learnload --list ROUNDS");
	procs = atoi(argv[1]);
	threads = atoi(argv[2]);
	rounds = atoi(argv[3]);
	if (procs < 1 || procs > MAX_PROCS || threads < 1 || threads > MAX_THREADS || rounds < 1)
		fail("bad PROCS, THREADS or ROUNDS");
	n_tasks = procs * threads;
	if (pipe(go) < 0)
		fail("pipe: %s", strerror(errno));
	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			fail("fork: %s", strerror(errno));
		if (pids[p] == 0) {
			close(go[1]);
			process_main(p, threads, go[0]);
		}
	}
	close(go[0]);
	for (int p = 0; p < procs; p++)
		if (write(go[1], "g", 1) != 1)
			fail("write: %s", strerror(errno));
	for (int p = 0; p < procs; p++)
		if (waitpid(pids[p], &status, 0) != pids[p] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad++;
	return bad ? 1 : 0;
}
