/* Per-task state and the task table (strace's struct tcb, reduced to what octrace needs).
 *
 * The rule (../shared/PTRACE-NOTES.md): a ptrace request is legal only on a STOPPED task.
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

enum tracee_stop {
	STOP_NONE,
	STOP_EVENT_STOP, /* PTRACE_EVENT_STOP: attach, interrupt or SIGCONT wake-up */
	STOP_GROUP, /* PTRACE_EVENT_STOP with a stop signal: group-stop, resumed by LISTEN */
	STOP_SIGNAL, /* signal-delivery-stop */
	STOP_SECCOMP,
	STOP_SYSCALL, /* syscall-enter or -exit stop (injection only) */
	STOP_CLONE, /* PTRACE_EVENT_CLONE / FORK / VFORK */
	STOP_EXEC,
	STOP_EXIT,
};

enum tracee_flag {
	TRACEE_F_NEW = 1 << 0, /* its first stop has not been seen yet */
	TRACEE_F_TRAP_PENDING = 1 << 1, /* a SCMP_ACT_TRAP is on its way: fix up SIGSYS */
};

struct tracee {
	pid_t tid;
	enum tracee_state state;
	enum tracee_stop stop;
	unsigned flags;
	int stop_sig; /* signal of a STOP_SIGNAL / STOP_GROUP stop */
	int trap_nr; /* the real syscall number behind a pending TRAP */
	pid_t tgid; /* its thread group, 0 until an event needs it */
	/* the syscall in progress, for audit (entry -> seccomp -> exit stops) */
	bool in_syscall;
	bool sc_logged; /* its event is written already */
	bool sc_decoded; /* decoded holds its arguments */
	int sc_nr;
	uint32_t sc_arch;
	uint64_t sc_args[6];
	const struct oci_slot *sc_slot; /* the policy's decision; NULL: allowed in the kernel */
	uint32_t sc_data; /* its SECCOMP_RET_DATA, the summary's key */
	struct decoded *decoded; /* owned, allocated on first use */
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
/* Find or create: every event of an unknown tid creates its entry (PTRACE-NOTES §5, §14). */
struct tracee *tracee_get(struct tracee_table *t, pid_t tid);
void tracee_remove(struct tracee_table *t, pid_t tid);
/* Rename an entry (exec from a non-leader thread: the execing thread takes the leader's tid).
 * Any entry already holding `new_tid` is dropped. Returns the moved entry. */
struct tracee *tracee_rekey(struct tracee_table *t, pid_t old_tid, pid_t new_tid);

typedef void (*tracee_fn)(struct tracee *tr, void *data);
void tracee_for_each(struct tracee_table *t, tracee_fn fn, void *data);

const char *tracee_state_name(enum tracee_state s);
/* Record a WIFSTOPPED wait status: the task is STOPPED, with the kind of its stop and its
 * signal (PTRACE-NOTES §6: a PTRACE_EVENT_STOP with a stop signal is a group-stop). */
void tracee_set_stop(struct tracee *t, int status);
/* Its thread group: known from the attach or the exec, else read once from /proc (so ask
 * while the task is alive: after its death /proc has forgotten it). */
pid_t tracee_tgid(struct tracee *t);
