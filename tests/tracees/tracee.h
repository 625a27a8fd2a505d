/* Helpers and constants shared by the tracee programs (the programs the tracer tests run).
 *
 * The ARG_* values are the first argument of getppid() that tests/policies/deny.json turns
 * into each action: seccomp matches the registers even for a syscall that ignores them, so
 * getppid(ARG_x) is a harmless probe that the policy can single out. */
#pragma once

#include <pthread.h>
#include <stdnoreturn.h>

#define ARG_ERRNO 0xdead	/* getppid: SCMP_ACT_ERRNO (EPERM) */
#define ARG_KILL_THREAD 0xd1e1	/* getppid: SCMP_ACT_KILL_THREAD */
#define ARG_KILL_PROCESS 0xd1e2 /* getppid: SCMP_ACT_KILL_PROCESS */
#define ARG_TRAP 0xd1e3		/* getppid: SCMP_ACT_TRAP */
/* mkdir and mkdirat: SCMP_ACT_ERRNO(EACCES), whatever the arguments */

/* The bare `syscall` instruction: returns the kernel's raw value (-errno on failure), never
 * touches errno. raw_syscall_ret is the address right after that instruction, which is what
 * a SIGSYS from SECCOMP_RET_TRAP reports as si_call_addr. */
long raw_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char raw_syscall_ret[];

/* The same through `int $0x80`: an i386 (compat) syscall of this 64-bit process, which seccomp
 * sees with arch AUDIT_ARCH_I386 and i386 numbering. */
long raw_int80(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char raw_int80_ret[];

/* getppid(arg), raw. */
long probe(long arg);

/* One line on stdout (a newline is added), written with a single write() so that lines of
 * concurrent threads and processes never interleave. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "FAIL: ..." on stderr and exit(1): the tracee's own checks. */
noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Start a thread or fail. */
pthread_t start_thread(void *(*fn)(void *), void *arg);
