/* Helpers shared by the hostile-container tracees (owntrace, ownnotify, escape): programs
 * that try to get round a tracer's enforcement from inside (docs/kernel-behaviours.md §10, §11).
 *
 * Each program takes probes on its command line and runs every probe in a forked child of its
 * own (so that a KILL_PROCESS ends only that probe), printing one stable line per result:
 * "PROBE WHAT = RESULT" where RESULT is "ok" (success: never a pid or an id, so that the
 * outputs of two runs, one under octrace and one under the kernel alone, compare as text),
 * "-1 ENAME", or, for the probe's child, "killed SIGNAME" / "exit N".
 *
 * A probe's ABI says how its syscalls are made: "x86_64" (the `syscall` instruction), "i386"
 * (int $0x80, i386 numbers: seccomp sees AUDIT_ARCH_I386), "x32" (the `syscall` instruction
 * with nr | 0x40000000: seccomp sees AUDIT_ARCH_X86_64 and the x32 bit; a kernel without
 * CONFIG_X86_X32_ABI runs the filters and then answers ENOSYS). */
#pragma once

#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracee.h"

#define X32_BIT 0x40000000L

enum abi { ABI_X86_64, ABI_I386, ABI_X32 };

/* Syscall numbers of one ABI (the x32 ones with X32_BIT). */
struct abi_nrs {
	long getppid, getegid, clone, clone3, ptrace, seccomp, prctl;
	uint32_t audit_arch; /* what seccomp_data.arch says */
};

const struct abi_nrs *abi_nrs(enum abi abi);
const char *abi_name(enum abi abi);
/* "x86_64:rest" -> ABI_X86_64 and *rest = "rest"; fail() if no ABI prefix. */
enum abi parse_abi(const char *spec, const char **rest);

/* The syscall nr (already the ABI's number) through the ABI's instruction; -errno on failure. */
long abi_call(enum abi abi, long nr, long a0, long a1, long a2, long a3);

/* "ok" for ret >= 0, else "-1 ENAME". A few rotating static buffers: several may be used
 * in one say(). */
const char *res(long ret);
/* "exit N" or "killed SIGNAME" for a wait status. */
const char *death(int status);

/* Memory below 4 GiB (MAP_32BIT): for pointers passed to i386 syscalls. */
void *low_alloc(size_t size);

/* Install a filter of our own for the calling thread only (no TSYNC), through ABI: the
 * syscalls nrs[0..n-1] of ABI's arch get `action`, everything else ALLOW. no_new_privs is set
 * first (what an unprivileged process must do). Returns seccomp()'s raw result (a listener
 * fd with SECCOMP_FILTER_FLAG_NEW_LISTENER). */
long own_filter(enum abi abi, const long *nrs, int n, uint32_t action, unsigned flags);

/* Install the program f[0..len-1] (in low memory: low_alloc) for the calling thread through
 * ABI, after setting no_new_privs: seccomp(SECCOMP_SET_MODE_FILTER, flags), or with
 * `via_prctl` prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) (flags must be 0). Returns the
 * call's raw result. */
long install_filter(enum abi abi, struct sock_filter *f, int len, unsigned flags, int via_prctl);

/* TracerPid of the calling task, from /proc/thread-self/status (-1 if unreadable). */
int tracer_pid(void);
/* How the calling task is traced, as stable text: "untraced", "parent" (its tracer is the
 * task `parent_tid`) or "octrace" (any other tracer: under a test, the tracer in charge). */
const char *tracer_relation(pid_t parent_tid);

/* Outer guards and common setup of a hostile program: alarm(secs), no core files (the KILL
 * actions dump core), stdout unbuffered. */
void hostile_setup(unsigned secs);

/* Run fn(arg) in a forked child (which gets its own alarm(secs) and _exits 0 after fn) and
 * wait for it; unless it exited 0, print "NAME = exit N" or "NAME = killed SIGNAME". */
void probe_child(const char *name, void (*fn)(void *), void *arg, unsigned secs);

/* Run fn(arg) in a new thread and join it. */
void in_thread(void (*fn)(void *), void *arg);
