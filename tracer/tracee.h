/* Per-task state and the task table (strace's struct tcb, reduced to what octrace needs).
 *
 * The rule (docs/kernel-behaviours.md): a ptrace request is legal only on a STOPPED task.
 * ESRCH on a task we believe STOPPED means it is being killed: it becomes DYING and we keep
 * waiting for its PTRACE_EVENT_EXIT or its death. ESRCH on a RUNNING task is a bookkeeping
 * bug, reported as such. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct decoded;
struct oci_slot;

enum tracee_state {
	TRACEE_RUNNING, /* resumed; its next report is awaited */
	TRACEE_STOPPED, /* in a ptrace-stop, of kind tracee->stop */
	TRACEE_DYING, /* a request on it failed with ESRCH: being killed, report awaited */
	TRACEE_EXITING, /* PTRACE_EVENT_EXIT seen and resumed: only its death is left */
};

/* What one waitpid() report is, decided once by report_classify(): every wait loop (the main
 * loop, the attach, the injection, the detach) works on this value and no other code looks
 * at the raw status bits. The stop kinds double as tracee->stop. */
enum report_kind {
	REPORT_NONE, /* tracee->stop of a task that is not stopped */
	REPORT_EXITED, /* WIFEXITED: gone */
	REPORT_KILLED, /* WIFSIGNALED: gone */
	REPORT_EVENT_STOP, /* PTRACE_EVENT_STOP: attach, interrupt or SIGCONT wake-up */
	REPORT_GROUP_STOP, /* PTRACE_EVENT_STOP with a stop signal: resumed by LISTEN (§6) */
	REPORT_SIGNAL, /* signal-delivery-stop */
	REPORT_SYSCALL, /* syscall-enter or -exit stop (SIGTRAP|0x80) */
	REPORT_SECCOMP,
	REPORT_CLONE,
	REPORT_FORK,
	REPORT_VFORK,
	REPORT_VFORK_DONE,
	REPORT_EXEC,
	REPORT_EXIT, /* PTRACE_EVENT_EXIT */
	REPORT_OTHER, /* a status this tracer never asked for */
};

struct report {
	pid_t tid;
	int status; /* kept for logs only */
	enum report_kind kind;
	int sig; /* stop signal; exit code (EXITED); terminating signal (KILLED) */
};

struct report report_classify(pid_t tid, int status);
/* SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: the signals of job control. */
bool tracee_is_stop_signal(int sig);
const char *report_kind_name(enum report_kind k);

static inline bool report_is_death(const struct report *r)
{
	return r->kind == REPORT_EXITED || r->kind == REPORT_KILLED;
}

static inline bool report_is_new_task(enum report_kind k)
{
	return k == REPORT_CLONE || k == REPORT_FORK || k == REPORT_VFORK;
}

enum tracee_flag {
	TRACEE_F_NEW = 1 << 0, /* its first stop has not been seen yet */
	TRACEE_F_TRAP_PENDING = 1 << 1, /* a SCMP_ACT_TRAP is on its way: fix up SIGSYS */
	TRACEE_F_CREATOR_SEEN = 1 << 2, /* the event of the task that created it was seen */
	TRACEE_F_FILTERED = 1 << 3, /* attach: octrace's filter is installed in it */
	TRACEE_F_IN_VFORK = 1 << 4, /* resumed from a vfork event, waits for its child (until the
				     * child's exec or death, or a stop of its own) */
	TRACEE_F_VFORK_CHILD = 1 << 5, /* attach: a vfork child (its parent waits for it) */
	TRACEE_F_ARM_FILTER = 1 << 6, /* the enforce-mode filter is installed in it */
	TRACEE_F_JOINING = 1 << 7, /* a runtime's process joining the container (tracer/join.h):
				    * not the container's until it execs inside it */
	TRACEE_F_JOINED = 1 << 8, /* the process that joined: its exit is a "leave" event */
	TRACEE_F_RESTACK = 1 << 9, /* a policy reload's filter is still to be stacked on it, at
				    * its next event-stop (it waited in vfork: tracer/reload.h) */
	TRACEE_F_OWN_FILTERS = 1 << 10, /* every filter in it is octrace's: ERRNO by diversion
					 * is exact (tracer/divert.h) */
	TRACEE_F_DIVERTED = 1 << 11, /* resumed from a diverted ERRNO: may not have re-run the
				      * filters yet (until its next report) */
	TRACEE_F_INSTALL_HELD = 1 << 12, /* held in the stop of its TSYNC filter install until
					  * its group has no diverted thread left */
	TRACEE_F_NOTIFIED = 1 << 13, /* armed with denials by notification (tracer/notify.h) */
};

struct tracee {
	pid_t tid;
	enum tracee_state state;
	enum report_kind stop; /* the stop it is in, when STOPPED */
	unsigned flags;
	bool armed; /* the policy applies to it: its program has exec'd (or --arm-now) */
	int stop_sig; /* signal of a REPORT_SIGNAL / REPORT_GROUP_STOP stop */
	int trap_nr; /* the real syscall number behind a pending TRAP */
	pid_t tgid; /* its thread group, 0 until an event needs it */
	pid_t vfork_parent; /* a vfork child: the thread that waits for it, else 0 */
	unsigned policy_gen; /* the newest policy (session.policy_gen) octrace stacked on it */
	/* the syscall in progress, for audit (entry -> seccomp -> exit stops) */
	bool in_syscall;
	bool sc_logged; /* its event is written already */
	bool sc_decoded; /* decoded holds its arguments */
	int sc_nr;
	uint32_t sc_arch;
	uint64_t sc_args[6];
	bool sc_decided; /* a seccomp stop decided it; false: allowed in the kernel */
	int sc_rule; /* the decision's rule (struct decision) */
	uint32_t sc_data; /* the summary's key for it */
	struct oci_slot_value {
		int action; /* enum oci_action */
		uint32_t errno_ret;
		int guard; /* enum oci_guard */
	} sc_verdict;
	struct decoded *decoded; /* owned: level all, from a syscall's entry to its exit; only
				  * the bytes in use are allocated (offsetof store + used) */
	uint64_t comm_at; /* when comm was read (ms, CLOCK_MONOTONIC_COARSE); 0: not cached */
	char comm[16]; /* /proc/TID/comm, for the audit log (observe.c) */
	struct tracee *next; /* hash chain, owned by the table */
};

struct tracee_table {
	struct tracee **buckets;
	size_t n_buckets; /* a power of two */
	size_t count;
};

void tracee_table_init(struct tracee_table *t);
void tracee_table_destroy(struct tracee_table *t);
struct tracee *tracee_find(const struct tracee_table *t, pid_t tid);
/* Find or create: every event of an unknown tid creates its entry (docs/kernel-behaviours.md §5, §14). */
struct tracee *tracee_get(struct tracee_table *t, pid_t tid);
void tracee_remove(struct tracee_table *t, pid_t tid);
/* Rename an entry (exec from a non-leader thread: the execing thread takes the leader's tid).
 * Any entry already holding `new_tid` is dropped. Returns the moved entry. */
struct tracee *tracee_rekey(struct tracee_table *t, pid_t old_tid, pid_t new_tid);

typedef void (*tracee_fn)(struct tracee *tr, void *data);
void tracee_for_each(struct tracee_table *t, tracee_fn fn, void *data);

const char *tracee_state_name(enum tracee_state s);
/* The one place a task's state changes (--debug logs every transition). */
void tracee_set_state(struct tracee *t, enum tracee_state state, enum report_kind stop);
/* A stop was reported: the task is STOPPED in that kind of stop, with its signal. */
void tracee_stopped(struct tracee *t, const struct report *r);
/* Its thread group: known from the attach or the exec, else read once from /proc (so ask
 * while the task is alive: after its death /proc has forgotten it). */
pid_t tracee_tgid(struct tracee *t);
