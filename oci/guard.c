#include "guard.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

#define X32_BIT 0x40000000u
#define LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define HI(i) (LO(i) + 4)

/* Syscall numbers per ABI. x32 calls ptrace through its compat entry (521). */
enum { X64_CLONE = 56, X64_CLONE3 = 435, X64_PTRACE = 101, X64_SECCOMP = 317, X64_PRCTL = 157 };
enum { X32_CLONE = 56, X32_CLONE3 = 435, X32_PTRACE = 521, X32_SECCOMP = 317, X32_PRCTL = 157 };
enum { I386_CLONE = 120, I386_CLONE3 = 435, I386_PTRACE = 26, I386_SECCOMP = 354,
       I386_PRCTL = 172 };

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

static bool ptrace_request_guarded(uint64_t req)
{
	return req == PTRACE_TRACEME || req == PTRACE_ATTACH || req == PTRACE_SEIZE;
}

static bool adds_listener(const uint64_t args[6])
{
	return (uint32_t)args[0] == SECCOMP_SET_MODE_FILTER &&
	       ((uint32_t)args[1] & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

/* prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog). Both words are compared in their low 32
 * bits only: the kernel compares the mode as a long, so a 64-bit call with high bits set is
 * taken here and installs nothing (a stop too many, never one too few). */
static bool prctl_filter(const uint64_t args[6])
{
	return (uint32_t)args[0] == PR_SET_SECCOMP && (uint32_t)args[1] == SECCOMP_MODE_FILTER;
}

/* nr, per call, in the ABI's numbering: clone, clone3, ptrace, seccomp, prctl;
 * `wide_ptrace`: ptrace's request is a 64-bit long. */
static enum oci_guard guard_abi(int nr, const int nrs[5], bool wide_ptrace, const uint64_t a[6])
{
	if (nr == nrs[0])
		return ((uint32_t)a[0] & CLONE_UNTRACED) ? OCI_GUARD_UNTRACED : OCI_GUARD_NONE;
	if (nr == nrs[1])
		return OCI_GUARD_CLONE3;
	if (nr == nrs[2])
		return ptrace_request_guarded(wide_ptrace ? a[0] : (uint32_t)a[0]) ? OCI_GUARD_PTRACE
										  : OCI_GUARD_NONE;
	if (nr == nrs[3] && (uint32_t)a[0] == SECCOMP_SET_MODE_FILTER)
		return adds_listener(a) ? OCI_GUARD_LISTENER : OCI_GUARD_FILTER;
	if (nr == nrs[4])
		return prctl_filter(a) ? OCI_GUARD_FILTER : OCI_GUARD_NONE;
	return OCI_GUARD_NONE;
}

enum oci_guard oci_guard_of(uint32_t audit_arch, int nr, const uint64_t args[6])
{
	static const int x64[5] = { X64_CLONE, X64_CLONE3, X64_PTRACE, X64_SECCOMP, X64_PRCTL };
	static const int x32[5] = { X32_CLONE | X32_BIT, X32_CLONE3 | X32_BIT,
				    X32_PTRACE | X32_BIT, X32_SECCOMP | X32_BIT,
				    X32_PRCTL | X32_BIT };
	static const int i386[5] = { I386_CLONE, I386_CLONE3, I386_PTRACE, I386_SECCOMP,
				     I386_PRCTL };

	if (audit_arch == AUDIT_ARCH_X86_64)
		return (uint32_t)nr >= X32_BIT ? guard_abi(nr, x32, false, args)
					       : guard_abi(nr, x64, true, args);
	if (audit_arch == AUDIT_ARCH_I386)
		return guard_abi(nr, i386, false, args);
	return OCI_GUARD_NONE;
}

const char *oci_guard_name(enum oci_guard g)
{
	static const char *const names[] = {
		[OCI_GUARD_NONE] = "none",	   [OCI_GUARD_UNTRACED] = "untraced",
		[OCI_GUARD_CLONE3] = "clone3",	   [OCI_GUARD_PTRACE] = "ptrace",
		[OCI_GUARD_LISTENER] = "listener", [OCI_GUARD_OWN_TRACE] = "own-trace",
		[OCI_GUARD_FILTER] = "filter",
	};

	return (unsigned)g < OCI_GUARD_COUNT ? names[g] : "?";
}

int oci_guard_errno(enum oci_guard g)
{
	switch (g) {
	case OCI_GUARD_CLONE3:
	case OCI_GUARD_OWN_TRACE:
		return ENOSYS;
	case OCI_GUARD_PTRACE:
		return EPERM;
	case OCI_GUARD_LISTENER:
		return EBUSY;
	default:
		return 0;
	}
}

/* A tiny assembler: jumps name labels, resolved once into relative offsets. */
enum label {
	L_NEXT, /* the following instruction */
	L_X64, L_X32, L_I386, L_CLONE, L_PTRACE64, L_PTRACE32, L_SECCOMP, L_PRCTL,
	L_T_UNTRACED, L_T_CLONE3, L_T_PTRACE, L_T_LISTENER, L_T_FILTER, L_OUT, L_COUNT,
};

struct ins {
	enum label at; /* label of this instruction, or L_NEXT */
	uint16_t code;
	uint32_t k;
	enum label jt, jf;
};

#define LD(off) { L_NEXT, BPF_LD | BPF_W | BPF_ABS, (off), L_NEXT, L_NEXT }
#define JEQ(v, t, f) { L_NEXT, BPF_JMP | BPF_JEQ | BPF_K, (v), (t), (f) }
#define JGE(v, t, f) { L_NEXT, BPF_JMP | BPF_JGE | BPF_K, (v), (t), (f) }
#define JSET(v, t, f) { L_NEXT, BPF_JMP | BPF_JSET | BPF_K, (v), (t), (f) }

static const struct ins source[] = {
	LD(offsetof(struct seccomp_data, arch)),
	JEQ(AUDIT_ARCH_X86_64, L_X64, L_NEXT),
	JEQ(AUDIT_ARCH_I386, L_I386, L_OUT),
	/* L_X64 */ { L_X64, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), L_NEXT, L_NEXT },
	JGE(X32_BIT, L_X32, L_NEXT),
	JEQ(X64_CLONE, L_CLONE, L_NEXT),
	JEQ(X64_CLONE3, L_T_CLONE3, L_NEXT),
	JEQ(X64_PTRACE, L_PTRACE64, L_NEXT),
	JEQ(X64_SECCOMP, L_SECCOMP, L_NEXT),
	JEQ(X64_PRCTL, L_PRCTL, L_OUT),
	/* L_X32 */ { L_X32, BPF_JMP | BPF_JEQ | BPF_K, X32_CLONE | X32_BIT, L_CLONE, L_NEXT },
	JEQ(X32_CLONE3 | X32_BIT, L_T_CLONE3, L_NEXT),
	JEQ(X32_PTRACE | X32_BIT, L_PTRACE32, L_NEXT),
	JEQ(X32_SECCOMP | X32_BIT, L_SECCOMP, L_NEXT),
	JEQ(X32_PRCTL | X32_BIT, L_PRCTL, L_OUT),
	/* L_I386 */ { L_I386, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), L_NEXT, L_NEXT },
	JEQ(I386_CLONE, L_CLONE, L_NEXT),
	JEQ(I386_CLONE3, L_T_CLONE3, L_NEXT),
	JEQ(I386_PTRACE, L_PTRACE32, L_NEXT),
	JEQ(I386_SECCOMP, L_SECCOMP, L_NEXT),
	JEQ(I386_PRCTL, L_PRCTL, L_OUT),
	/* L_CLONE */ { L_CLONE, BPF_LD | BPF_W | BPF_ABS, LO(0), L_NEXT, L_NEXT },
	JSET(CLONE_UNTRACED, L_T_UNTRACED, L_OUT),
	/* L_PTRACE64: a 64-bit request: its high word must be 0 too */
	{ L_PTRACE64, BPF_LD | BPF_W | BPF_ABS, HI(0), L_NEXT, L_NEXT },
	JEQ(0, L_PTRACE32, L_OUT),
	/* L_PTRACE32 */ { L_PTRACE32, BPF_LD | BPF_W | BPF_ABS, LO(0), L_NEXT, L_NEXT },
	JEQ(PTRACE_TRACEME, L_T_PTRACE, L_NEXT),
	JEQ(PTRACE_ATTACH, L_T_PTRACE, L_NEXT),
	JEQ(PTRACE_SEIZE, L_T_PTRACE, L_OUT),
	/* L_SECCOMP */ { L_SECCOMP, BPF_LD | BPF_W | BPF_ABS, LO(0), L_NEXT, L_NEXT },
	JEQ(SECCOMP_SET_MODE_FILTER, L_NEXT, L_OUT),
	LD(LO(1)),
	JSET(SECCOMP_FILTER_FLAG_NEW_LISTENER, L_T_LISTENER, L_T_FILTER),
	/* L_PRCTL */ { L_PRCTL, BPF_LD | BPF_W | BPF_ABS, LO(0), L_NEXT, L_NEXT },
	JEQ(PR_SET_SECCOMP, L_NEXT, L_OUT),
	LD(LO(1)),
	JEQ(SECCOMP_MODE_FILTER, L_T_FILTER, L_OUT),
	{ L_T_UNTRACED, BPF_RET | BPF_K, SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_UNTRACED), L_NEXT, L_NEXT },
	{ L_T_CLONE3, BPF_RET | BPF_K, SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_CLONE3), L_NEXT, L_NEXT },
	{ L_T_PTRACE, BPF_RET | BPF_K, SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_PTRACE), L_NEXT, L_NEXT },
	{ L_T_LISTENER, BPF_RET | BPF_K, SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_LISTENER), L_NEXT, L_NEXT },
	{ L_T_FILTER, BPF_RET | BPF_K, SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_FILTER), L_NEXT, L_NEXT },
};

#define N_SOURCE (sizeof(source) / sizeof(source[0]))

static struct sock_filter program[N_SOURCE];
static bool assembled;

static uint8_t offset_to(const size_t pos[L_COUNT], enum label l, size_t i)
{
	return l == L_NEXT ? 0 : (uint8_t)(pos[l] - (i + 1));
}

static void assemble(void)
{
	size_t pos[L_COUNT] = { 0 };

	for (size_t i = 0; i < N_SOURCE; i++)
		if (source[i].at != L_NEXT)
			pos[source[i].at] = i;
	pos[L_OUT] = N_SOURCE;
	for (size_t i = 0; i < N_SOURCE; i++)
		program[i] = (struct sock_filter){ source[i].code, offset_to(pos, source[i].jt, i),
						   offset_to(pos, source[i].jf, i), source[i].k };
	assembled = true;
}

const struct sock_filter *oci_guard_prefix(size_t *len)
{
	if (!assembled)
		assemble();
	*len = N_SOURCE;
	return program;
}
