/* Syscall injection on x86-64.
 *
 * Entry: registers and signal mask saved, every signal blocked (PTRACE_SETSIGMASK) so no
 * signal-delivery-stop interleaves; rip pointed at a `syscall` instruction (the one the task
 * is stopped in, or one borrowed from the vDSO) with orig_rax = -1, so the kernel's restart
 * logic leaves our registers alone. Each injected syscall is stepped with PTRACE_SYSCALL from
 * its entry to its exit stop. Exit: PTRACE_INTERRUPT + PTRACE_CONT from the last exit stop,
 * and the saved registers put back at the resulting PTRACE_EVENT_STOP: resumed from there,
 * the kernel itself restarts an interrupted syscall (-ERESTARTSYS & co.) with the right
 * semantics — restoring at the exit stop instead leaks -512 to user space (§8).
 *
 * ppoll/pselect/sigsuspend leave a temporary mask in place and the real one saved; the first
 * resume restores the real one. We see that at the first entry stop (the mask is no longer
 * "all blocked") and restore *that* mask at the end: the restarted call re-installs its own. */
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "cleanup.h"
#include "log.h"
#include "notify.h"
#include "mem.h"

#define X86_64_USER_CS 0x33
#define VDSO_SCAN_MAX (64u * 1024)

struct injector {
	struct session *s;
	struct tracee *t;
	struct user_regs_struct saved;
	uint64_t saved_mask;
	uint64_t restore_mask;
	uint64_t all_mask;
	uint64_t syscall_ip;
	bool mask_checked;
	bool regs_saved; /* `saved` holds the task's own registers */
	int resume_req; /* how the task was last resumed: PTRACE_SYSCALL or PTRACE_CONT */
	int held_stop_sig; /* a stop signal that arrived meanwhile, raised again at the end */
	bool fresh; /* at its exec event: no instruction of the new program has run */
	struct oci_filter **listened; /* the filter with a listener: notify_start() takes it */
	bool gone; /* its death was handled meanwhile: `t` is freed */
};

static int fail_request(struct injector *in, const char *what, struct oci_error **err)
{
	int saved = errno;

	tracee_request_failed(in->t, what);
	return oci_fail(err, saved, "task %d: %s: %s", in->t->tid, what, strerror(saved));
}

/* Wait for the injection's next stop. Anything else (PTRACE_EVENT_EXIT, death) means the
 * task is being killed: the session handles the report, the injection is over. */
/* Job control during the injection (every other signal is blocked): a SIGSTOP delivery is
 * held back and the task resumed the way it was; a group-stop (another thread took the
 * SIGSTOP) is left the same way. Both stops consume a pending interrupt: it is sent again.
 * The signal is raised again once the task's own registers are back. */
static int hold_job_control(struct injector *in, const struct report *r)
{
	pid_t tid = in->t->tid;

	in->held_stop_sig = r->kind == REPORT_SIGNAL ? r->sig : SIGSTOP;
	if (in->resume_req == PTRACE_CONT && ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return -1;
	return (int)ptrace(in->resume_req, tid, 0, 0);
}

static int wait_stop(struct injector *in, int *status, struct oci_error **err)
{
	pid_t tid = in->t->tid;
	struct report r;

	for (;;) {
		pid_t w = session_waitpid(in->s, tid, status, __WALL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w != tid)
			return oci_fail(err, errno, "task %d: waitpid: %s", tid, strerror(errno));
		r = report_classify(tid, *status);
		if (!((r.kind == REPORT_SIGNAL && tracee_is_stop_signal(r.sig)) ||
		      r.kind == REPORT_GROUP_STOP) ||
		    hold_job_control(in, &r) < 0)
			break;
	}
	if (!report_is_death(&r) && r.kind != REPORT_EXIT) {
		tracee_stopped(in->t, &r);
		return 0;
	}
	in->gone = report_is_death(&r); /* (a SIGKILL can supersede the exit stop, §14) */
	session_dispatch(in->s, &r, false);
	return oci_fail(err, ESRCH, "task %d was killed while octrace installed its filter", tid);
}

static int unexpected(struct injector *in, int status, struct oci_error **err)
{
	struct report r = report_classify(in->t->tid, status);

	/* Its own registers and mask back (never our injected ones), then let the session
	 * resume it normally; the injection cannot go on. */
	if (in->regs_saved) {
		ptrace(PTRACE_SETREGS, in->t->tid, 0, &in->saved);
		ptrace(PTRACE_SETSIGMASK, in->t->tid, sizeof(in->restore_mask), &in->restore_mask);
	}
	session_dispatch(in->s, &r, false);
	return oci_fail(err, EPROTO, "task %d: unexpected stop 0x%x during filter injection",
			in->t->tid, status);
}

/* A PTRACE_INTERRUPT sent to a task sitting in a stop the tracer had not reaped yet outlives
 * that stop (only a later trap clears it): the task takes it as soon as it is resumed, before
 * its next instruction. A reload's interrupts (attach_restack) can leave one on the task they
 * then pick to inject through: that stop is passed over, once. */
static int step(struct injector *in, struct oci_error **err)
{
	int status;

	for (int stale = 0;; stale++) {
		in->resume_req = PTRACE_SYSCALL;
		if (ptrace(PTRACE_SYSCALL, in->t->tid, 0, 0) < 0)
			return fail_request(in, "PTRACE_SYSCALL", err);
		tracee_set_state(in->t, TRACEE_RUNNING, REPORT_NONE);
		if (wait_stop(in, &status, err) < 0)
			return -1;
		if (in->t->stop == REPORT_SYSCALL)
			return 0;
		if (in->t->stop == REPORT_SECCOMP)
			return 1; /* an older filter traces it: resuming lets it through */
		if (in->t->stop != REPORT_EVENT_STOP || stale > 0)
			return unexpected(in, status, err);
	}
}

static int syscall_op(struct injector *in, struct __ptrace_syscall_info *info,
		      struct oci_error **err)
{
	if (ptrace(PTRACE_GET_SYSCALL_INFO, in->t->tid, sizeof(*info), info) < 0)
		return fail_request(in, "PTRACE_GET_SYSCALL_INFO", err);
	return info->op;
}

/* At the first entry stop: has the kernel put back a mask saved by ppoll & co.? */
static int check_mask(struct injector *in, struct oci_error **err)
{
	uint64_t mask;

	if (in->mask_checked)
		return 0;
	in->mask_checked = true;
	if (ptrace(PTRACE_GETSIGMASK, in->t->tid, sizeof(mask), &mask) < 0)
		return fail_request(in, "PTRACE_GETSIGMASK", err);
	if (mask == in->all_mask)
		return 0;
	in->restore_mask = mask;
	if (ptrace(PTRACE_SETSIGMASK, in->t->tid, sizeof(in->all_mask), &in->all_mask) < 0)
		return fail_request(in, "PTRACE_SETSIGMASK", err);
	return 0;
}

static int run_syscall(struct injector *in, long nr, const uint64_t a[6], long *ret,
		       struct oci_error **err)
{
	struct user_regs_struct r = in->saved;
	struct __ptrace_syscall_info info;
	int rc, op;

	r.rip = in->syscall_ip;
	r.rax = nr;
	r.orig_rax = (unsigned long long)-1;
	r.rdi = a[0], r.rsi = a[1], r.rdx = a[2], r.r10 = a[3], r.r8 = a[4], r.r9 = a[5];
	if (ptrace(PTRACE_SETREGS, in->t->tid, 0, &r) < 0)
		return fail_request(in, "PTRACE_SETREGS", err);
	do {
		rc = step(in, err);
		if (rc < 0)
			return -1;
		op = rc ? PTRACE_SYSCALL_INFO_SECCOMP : syscall_op(in, &info, err);
		if (op < 0)
			return -1;
		if (op == PTRACE_SYSCALL_INFO_ENTRY && check_mask(in, err) < 0)
			return -1;
	} while (op != PTRACE_SYSCALL_INFO_EXIT);
	*ret = info.exit.rval;
	return 0;
}

/* Leave the task in a PTRACE_EVENT_STOP with its own registers and mask back. */
/* PTRACE_INTERRUPT + PTRACE_CONT: the task stops in a PTRACE_EVENT_STOP on its way back to
 * user space, before its next instruction. */
static int interrupt_stop(struct injector *in, struct oci_error **err)
{
	int status;

	if (ptrace(PTRACE_INTERRUPT, in->t->tid, 0, 0) < 0)
		return fail_request(in, "PTRACE_INTERRUPT", err);
	in->resume_req = PTRACE_CONT;
	if (ptrace(PTRACE_CONT, in->t->tid, 0, 0) < 0)
		return fail_request(in, "PTRACE_CONT", err);
	tracee_set_state(in->t, TRACEE_RUNNING, REPORT_NONE);
	if (wait_stop(in, &status, err) < 0)
		return -1;
	if (in->t->stop != REPORT_EVENT_STOP)
		return unexpected(in, status, err);
	return 0;
}

static int finish(struct injector *in, struct oci_error **err)
{
	if (interrupt_stop(in, err) < 0)
		return -1;
	if (ptrace(PTRACE_SETREGS, in->t->tid, 0, &in->saved) < 0)
		return fail_request(in, "PTRACE_SETREGS", err);
	if (ptrace(PTRACE_SETSIGMASK, in->t->tid, sizeof(in->restore_mask), &in->restore_mask) < 0)
		return fail_request(in, "PTRACE_SETSIGMASK", err);
	return 0;
}

/* The vDSO's address from the kernel's own record, the auxiliary vector (AT_SYSINFO_EHDR), not
 * from a text search in /proc/PID/maps, where a file a program maps can be named "[vdso]". Its
 * size: the ELF program headers' extent, bounded. */
static int auxv_vdso(const uint64_t *auxv, size_t words, uint64_t *base)
{
	for (size_t i = 0; i + 1 < words && auxv[i] != AT_NULL; i += 2)
		if (auxv[i] == AT_SYSINFO_EHDR && auxv[i + 1] != 0) {
			*base = auxv[i + 1];
			return 0;
		}
	return -1;
}

/* The auxiliary vector the kernel put on the stack at the exec, read at the exec's event
 * stop, before the program ran an instruction (so as the kernel wrote it): argc, argv[],
 * NULL, envp[], NULL, then the pairs. Bounded: a program with more than STACK_WORDS_MAX
 * argument and environment pointers gets no injection (and is killed: fail closed). */
#define STACK_WORDS_MAX (1u << 20)
static int stack_vdso(pid_t tid, uint64_t sp, uint64_t *base)
{
	uint64_t chunk[512], argc, auxv[2 * 64];
	uint64_t addr;
	size_t seen = 0, words = 0;
	bool end = false;

	if (mem_read(tid, sp, &argc, sizeof(argc)) < 0 || argc > STACK_WORDS_MAX)
		return -1;
	addr = sp + 8 * (1 + argc + 1); /* argc, argv[] and its NULL */
	/* envp[] up to its NULL, a page at a time: the stack's top may be the next page */
	while (!end && seen < STACK_WORDS_MAX) {
		size_t n = (4096 - (addr & 4095)) / 8, i;

		if (n == 0 || mem_read(tid, addr, chunk, n * 8) < 0)
			return -1;
		for (i = 0; i < n && chunk[i] != 0; i++)
			;
		end = i < n;
		addr += 8 * (i + (end ? 1 : 0));
		seen += i;
	}
	if (!end)
		return -1;
	/* the pairs, up to the end of their page, and of the next when they cross it */
	words = (4096 - (addr & 4095)) / 8;
	if (words > N_ELEMENTS(auxv))
		words = N_ELEMENTS(auxv);
	if (mem_read(tid, addr, auxv, words * 8) < 0)
		return -1;
	if (auxv_vdso(auxv, words, base) == 0)
		return 0;
	if (words < N_ELEMENTS(auxv) &&
	    mem_read(tid, addr + 8 * words, auxv + words, (N_ELEMENTS(auxv) - words) * 8) == 0)
		return auxv_vdso(auxv, N_ELEMENTS(auxv), base);
	return -1;
}

/* The "[vdso]" mapping of /proc/PID/maps (readable with CAP_SYS_PTRACE whatever the owner).
 * The name is the kernel's: a file or memfd a program maps shows as a path, an anonymous
 * region named by prctl as "[anon:...]". Even a forged one would only lend bytes that
 * vdso_syscall_ip() checks are a `syscall` instruction, run by a task of that process. */
static int maps_vdso(pid_t tid, uint64_t *base)
{
	char path[64], line[512];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/maps", tid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8];
		size_t n = strlen(line);

		if (n < 8 || strcmp(line + n - 8, " [vdso]\n") != 0)
			continue;
		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) == 3 && perms[2] == 'x') {
			*base = start;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* The vDSO's address: AT_SYSINFO_EHDR from the kernel's copy of the auxiliary vector
 * (/proc/PID/auxv: never a text the process chose), or — for a tracer that runs
 * unprivileged, which that file's mode (0400, the task's owner) keeps out — from the stack
 * at an exec stop, else from /proc/PID/maps (a policy reload, §27). */
static int vdso_base(const struct injector *in, uint64_t *base)
{
	char path[64];
	uint64_t auxv[2 * 64];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/auxv", in->t->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (n = read(fd, auxv, sizeof(auxv))) > 0)
		return auxv_vdso(auxv, (size_t)n / sizeof(*auxv), base);
	if (in->fresh)
		return stack_vdso(in->t->tid, in->saved.rsp, base);
	return maps_vdso(in->t->tid, base);
}

static int vdso_syscall_ip(const struct injector *in, uint64_t *ip)
{
	cleanup_free unsigned char *buf = malloc(VDSO_SCAN_MAX);
	pid_t tid = in->t->tid;
	uint64_t start;
	size_t len = 0;

	if (buf == NULL || vdso_base(in, &start) < 0)
		return -1;
	/* read page by page: the vDSO is two pages or so, the rest of the window unmapped */
	while (len < VDSO_SCAN_MAX && mem_read(tid, start + len, buf + len, 4096) == 0)
		len += 4096;
	unsigned char *hit = len ? memmem(buf, len, "\x0f\x05", 2) : NULL;

	if (hit == NULL)
		return -1;
	*ip = start + (uint64_t)(hit - buf);
	return 0;
}

/* A task stopped in a syscall has its `syscall` instruction just before rip; otherwise
 * (in user code, in a signal handler) borrow one from the vDSO. */
static int find_syscall_ip(struct injector *in, struct oci_error **err)
{
	unsigned char insn[2];
	uint64_t rip = in->saved.rip;

	if ((long long)in->saved.orig_rax >= 0 && rip >= 2 &&
	    mem_read(in->t->tid, rip - 2, insn, 2) == 0 && insn[0] == 0x0f && insn[1] == 0x05) {
		in->syscall_ip = rip - 2;
		return 0;
	}
	if (vdso_syscall_ip(in, &in->syscall_ip) == 0)
		return 0;
	return oci_fail(err, ENOEXEC, "task %d: no syscall instruction found to inject through",
			in->t->tid);
}

static int begin(struct injector *in, struct oci_error **err)
{
	pid_t tid = in->t->tid;

	if (ptrace(PTRACE_GETREGS, tid, 0, &in->saved) < 0)
		return fail_request(in, "PTRACE_GETREGS", err);
	if (in->saved.cs != X86_64_USER_CS)
		return oci_fail(err, ENOEXEC, "task %d: not a 64-bit task; not supported", tid);
	if (find_syscall_ip(in, err) < 0)
		return -1;
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(in->saved_mask), &in->saved_mask) < 0)
		return fail_request(in, "PTRACE_GETSIGMASK", err);
	in->restore_mask = in->saved_mask;
	in->regs_saved = true;
	in->all_mask = ~0ull;
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(in->all_mask), &in->all_mask) < 0 ||
	    ptrace(PTRACE_GETSIGMASK, tid, sizeof(in->all_mask), &in->all_mask) < 0)
		return fail_request(in, "PTRACE_SETSIGMASK", err);
	return 0;
}

static int syscall_failed(long ret, const char *what, pid_t tid, struct oci_error **err)
{
	return oci_fail(err, (int)-ret, "task %d: injected %s failed: %s", tid, what,
			strerror((int)-ret));
}

/* Whether the enforce-mode filter would kill or trap this native syscall in the kernel. */
static bool kernel_acts_on(const struct session *s, long nr, const uint64_t args[6])
{
	uint32_t ret;
	const struct oci_slot *slot;

	if (s->filter == NULL || s->arm_filter == NULL)
		return false;
	ret = oci_filter_policy_verdict(s->filter, AUDIT_ARCH_X86_64, (int)nr, args, 0);
	slot = oci_filter_slot(s->filter, ret & SECCOMP_RET_DATA);
	return (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE && slot &&
	       oci_action_in_kernel(slot->action);
}

/* Where the program goes: on the stack when the task is fresh from an exec (nothing of the
 * program has run, it is alone in its new address space, and the kernel's exec mapped at
 * least 128 KiB of stack below the arguments, fs/exec.c setup_arg_pages()): below the red
 * zone under rsp, no mmap and munmap to inject, four stops fewer. Anywhere else (a running
 * thread's stack may be a Go goroutine's, inside the heap) in a page mapped for it. */
struct scratch {
	uint64_t addr;
	size_t len; /* bytes written (stack) or mapped (page) */
	bool on_stack;
};

#define RED_ZONE 128

/* buf: a struct sock_fprog (filled in here: its pointer depends on addr), then n insns. */
static int put_prog(pid_t tid, uint64_t addr, unsigned char *buf, size_t len, size_t n)
{
	struct sock_fprog prog = { .len = (unsigned short)n,
				   .filter = (void *)(addr + sizeof(struct sock_fprog)) };

	memcpy(buf, &prog, sizeof(prog));
	return mem_write(tid, addr, buf, len);
}

static int scratch_place(struct injector *in, unsigned char *buf, size_t len, size_t n,
			 struct scratch *sc, struct oci_error **err)
{
	size_t map_len = (len + 4095) & ~4095ul;
	uint64_t a[6] = { 0, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  (uint64_t)-1, 0 };
	long addr;

	if (in->fresh && in->saved.rsp > RED_ZONE + len) {
		sc->addr = (in->saved.rsp - RED_ZONE - len) & ~15ull;
		sc->len = len;
		sc->on_stack = true;
		if (put_prog(in->t->tid, sc->addr, buf, len, n) == 0) {
			log_debug("task %d: the filter goes below its stack", in->t->tid);
			return 0;
		}
		log_debug("task %d: no room below its stack (%s): a page is mapped", in->t->tid,
			  strerror(errno));
	}
	sc->on_stack = false;
	if (run_syscall(in, SYS_mmap, a, &addr, err) < 0)
		return -1;
	if (addr < 0 && addr > -4096)
		return syscall_failed(addr, "mmap", in->t->tid, err);
	sc->addr = (uint64_t)addr;
	sc->len = map_len;
	if (put_prog(in->t->tid, sc->addr, buf, len, n) < 0)
		return oci_fail(err, errno, "task %d: writing the filter: %s", in->t->tid,
				strerror(errno));
	return 0;
}

/* The stack gets its zeroes back; the page is unmapped — the munmap runs under the new
 * filter: if that kills or traps munmap, the page stays. -1 only when the task is gone. */
static int scratch_release(struct injector *in, const struct scratch *sc, struct oci_error **err)
{
	uint64_t ua[6] = { sc->addr, sc->len, 0, 0, 0, 0 };
	long ret;

	if (sc->on_stack) {
		cleanup_free void *zero = calloc(1, sc->len);

		if (zero == NULL || mem_write(in->t->tid, sc->addr, zero, sc->len) < 0)
			log_warn("task %d: the filter's copy below its stack not cleared",
				 in->t->tid);
		return 0;
	}
	if (kernel_acts_on(in->s, SYS_munmap, ua)) {
		log_debug("task %d: the policy kills munmap: page %#lx left mapped", in->t->tid,
			  (unsigned long)sc->addr);
		return 0;
	}
	if (run_syscall(in, SYS_munmap, ua, &ret, err) < 0)
		return -1;
	if (ret < 0)
		log_warn("task %d: injected munmap failed: %s", in->t->tid, strerror((int)-ret));
	return 0;
}

/* The listener the task's seccomp() returned as its fd `remote`: a copy for the tracer
 * (pidfd_getfd), served from then on (notify_start(): what the task's next injected calls
 * meet in its new filter is answered), and the task's own closed before it runs again — a
 * task holding the listener of its own filter could answer its own denials (§29). -1 (the
 * task is then killed by the caller) when any of it fails. */
static int take_listener(struct injector *in, long remote, struct oci_error **err)
{
	uint64_t ca[6] = { (uint64_t)remote, 0, 0, 0, 0, 0 };
	int pidfd = (int)syscall(SYS_pidfd_open, in->t->tid, 0), fd = -1, saved = 0;
	long ret = 0;

	if (pidfd >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)remote, 0);
		saved = errno;
		close(pidfd);
	} else {
		saved = errno;
	}
	if (fd >= 0 && notify_start(in->s, fd, steal_pointer(in->listened)) < 0) { /* fd closed */
		fd = -1;
		saved = EAGAIN;
	}
	if (run_syscall(in, SYS_close, ca, &ret, err) < 0)
		return -1;
	if (ret < 0)
		return syscall_failed(ret, "close", in->t->tid, err);
	if (fd < 0)
		return oci_fail(err, saved, "task %d: its listener not taken: %s", in->t->tid,
				strerror(saved));
	return 0;
}

/* Write the program to the scratch, seccomp(TSYNC), release the scratch. With `listener`:
 * seccomp(NEW_LISTENER) instead, which the kernel refuses with TSYNC (its return value would
 * be ambiguous): the caller makes sure the task is alone, fresh from its exec. */
static int install(struct injector *in, const struct oci_filter *filter, bool *listener,
		   struct oci_error **err)
{
	size_t prog_bytes = filter->len * sizeof(struct sock_filter);
	size_t len = sizeof(struct sock_fprog) + prog_bytes;
	/* WAIT_KILLABLE_RECV: once octrace has read a notification, a signal no longer takes
	 * the task out of its wait (it would leave with -ERESTARTSYS: EINTR for a handler
	 * without SA_RESTART, where the kernel's own ERRNO gives the errno) */
	unsigned flags = (listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER |
					     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV :
				     SECCOMP_FILTER_FLAG_TSYNC) |
			 (filter->flags & (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
	cleanup_free unsigned char *buf = calloc(1, len);
	struct scratch sc = { 0 };
	long ret;

	if (buf == NULL)
		return oci_fail(err, ENOMEM, "out of memory");
	memcpy(buf + sizeof(struct sock_fprog), filter->insns, prog_bytes);
	if (scratch_place(in, buf, len, filter->len, &sc, err) < 0)
		return -1;
	uint64_t sa[6] = { SECCOMP_SET_MODE_FILTER, flags, sc.addr, 0, 0, 0 };
	uint64_t nnp[6] = { PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0 };

	if (run_syscall(in, SYS_seccomp, sa, &ret, err) < 0)
		return -1;
	/* EACCES: the task has neither CAP_SYS_ADMIN nor no_new_privs (a process a runtime
	 * exec'd without them). It could set no_new_privs itself and stack filters of its own
	 * above a TRACE, so it gets no_new_privs now, and the filter (README, Limits). */
	if (ret == -EACCES) {
		if (run_syscall(in, SYS_prctl, nnp, &ret, err) < 0)
			return -1;
		if (ret == 0 && run_syscall(in, SYS_seccomp, sa, &ret, err) < 0)
			return -1;
		if (ret == 0)
			log_debug("task %d: no_new_privs set to install the filter", in->t->tid);
	}
	if (scratch_release(in, &sc, err) < 0)
		return -1;
	if (listener && ret >= 0) {
		*listener = true;
		return take_listener(in, ret, err);
	}
	if (ret > 0)
		return oci_fail(err, EAGAIN, "task %d: seccomp TSYNC: thread %ld not synchronised",
				in->t->tid, ret);
	if (ret < 0)
		return syscall_failed(ret, "seccomp", in->t->tid, err);
	return 0;
}

/* A task in another stop (the exec event: still inside execve, whose exit stop would come
 * first) is moved to an interrupt stop: PTRACE_CONT with an interrupt pending stops it on its
 * way back to user space, before its first instruction. */
static int settle(struct injector *in, struct oci_error **err)
{
	return in->t->stop == REPORT_EVENT_STOP ? 0 : interrupt_stop(in, err);
}

static int inject(struct session *s, struct tracee *t, const struct oci_filter *filter,
		  struct oci_filter **listened, bool *listener, struct oci_error **err)
{
	struct injector in = { .s = s, .t = t, .fresh = t->stop == REPORT_EXEC,
			       .listened = listened };
	int rc;

	s->injecting = t->tid; /* its notifications are these calls (notify.h) */
	audit_flush(s->audit); /* the injection blocks in waitpid: nothing waits in memory */
	if (settle(&in, err) < 0 || begin(&in, err) < 0)
		rc = -1;
	else {
		rc = install(&in, filter, listener, err);
		if (!in.gone && t->state == TRACEE_STOPPED &&
		    finish(&in, rc < 0 ? NULL : err) < 0)
			rc = -1;
	}
	/* the stop it was sent meanwhile, now that it is itself again */
	if (in.held_stop_sig && !in.gone && t->state == TRACEE_STOPPED)
		syscall(SYS_tgkill, tracee_tgid(t), t->tid, in.held_stop_sig);
	s->injecting = 0;
	return rc;
}

int inject_filter(struct session *s, struct tracee *t, const struct oci_filter *filter,
		  struct oci_error **err)
{
	return inject(s, t, filter, NULL, NULL, err);
}

int inject_filter_listener(struct session *s, struct tracee *t, struct oci_filter **filter,
			   bool *installed, struct oci_error **err)
{
	*installed = false;
	return inject(s, t, *filter, filter, installed, err);
}
