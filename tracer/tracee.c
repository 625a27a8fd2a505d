#include "xalloc.h"
#include "tracee.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "log.h"
#include "procfs.h"

#define INITIAL_BUCKETS 64

static size_t bucket_of(size_t n_buckets, pid_t tid)
{
	/* Fibonacci hashing: tids are dense and sequential. */
	return ((uint32_t)tid * 2654435769u) & (n_buckets - 1);
}

void tracee_table_init(struct tracee_table *t)
{
	t->n_buckets = INITIAL_BUCKETS;
	t->buckets = xcalloc(t->n_buckets, sizeof(*t->buckets));
	t->count = 0;
}

void tracee_table_destroy(struct tracee_table *t)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct tracee *tr = t->buckets[i];

		while (tr) {
			struct tracee *next = tr->next;

			free(tr->decoded);
			free(tr);
			tr = next;
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

struct tracee *tracee_find(const struct tracee_table *t, pid_t tid)
{
	struct tracee *tr = t->buckets[bucket_of(t->n_buckets, tid)];

	while (tr && tr->tid != tid)
		tr = tr->next;
	return tr;
}

static void insert(struct tracee_table *t, struct tracee *tr)
{
	size_t b = bucket_of(t->n_buckets, tr->tid);

	tr->next = t->buckets[b];
	t->buckets[b] = tr;
	t->count++;
}

/* Keep the load factor under 1 so that lookups stay O(1) through a fork storm. */
static void grow(struct tracee_table *t)
{
	struct tracee_table bigger = {
		.n_buckets = t->n_buckets * 2,
		.buckets = xcalloc(t->n_buckets * 2, sizeof(*t->buckets)),
	};

	for (size_t i = 0; i < t->n_buckets; i++) {
		struct tracee *tr = t->buckets[i];

		while (tr) {
			struct tracee *next = tr->next;

			insert(&bigger, tr);
			tr = next;
		}
	}
	free(t->buckets);
	*t = bigger;
}

struct tracee *tracee_get(struct tracee_table *t, pid_t tid)
{
	struct tracee *tr = tracee_find(t, tid);

	if (tr)
		return tr;
	if (t->count + 1 > t->n_buckets)
		grow(t);
	tr = xcalloc(1, sizeof(*tr));
	tr->tid = tid;
	tr->state = TRACEE_RUNNING;
	tr->flags = TRACEE_F_NEW;
	insert(t, tr);
	return tr;
}

static struct tracee *unlink_tid(struct tracee_table *t, pid_t tid)
{
	struct tracee **pp = &t->buckets[bucket_of(t->n_buckets, tid)];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->next;
	if (*pp == NULL)
		return NULL;
	struct tracee *tr = *pp;

	*pp = tr->next;
	tr->next = NULL;
	t->count--;
	return tr;
}

void tracee_remove(struct tracee_table *t, pid_t tid)
{
	struct tracee *tr = unlink_tid(t, tid);

	if (tr)
		free(tr->decoded);
	free(tr);
}

struct tracee *tracee_rekey(struct tracee_table *t, pid_t old_tid, pid_t new_tid)
{
	struct tracee *tr = unlink_tid(t, old_tid);

	if (tr == NULL)
		return tracee_get(t, new_tid);
	tracee_remove(t, new_tid);
	tr->tid = new_tid;
	insert(t, tr);
	return tr;
}

void tracee_for_each(struct tracee_table *t, tracee_fn fn, void *data)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct tracee *tr = t->buckets[i];

		while (tr) {
			/* fn may remove tr: take next first. */
			struct tracee *next = tr->next;

			fn(tr, data);
			tr = next;
		}
	}
}

const char *tracee_state_name(enum tracee_state s)
{
	switch (s) {
	case TRACEE_RUNNING:
		return "running";
	case TRACEE_STOPPED:
		return "stopped";
	case TRACEE_DYING:
		return "dying";
	case TRACEE_EXITING:
		return "exiting";
	}
	return "?";
}

pid_t tracee_tgid(struct tracee *t)
{
	char value[32];

	if (t->tgid)
		return t->tgid;
	if (proc_status_field(t->tid, "Tgid", value, sizeof(value)) == 0)
		t->tgid = (pid_t)strtol(value, NULL, 10);
	if (t->tgid <= 0)
		t->tgid = t->tid;
	return t->tgid;
}

bool tracee_is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static enum report_kind stop_kind(int status)
{
	int sig = WSTOPSIG(status);

	switch ((unsigned)status >> 16) {
	case 0:
		return sig == (SIGTRAP | 0x80) ? REPORT_SYSCALL : REPORT_SIGNAL;
	case PTRACE_EVENT_STOP:
		return tracee_is_stop_signal(sig) ? REPORT_GROUP_STOP : REPORT_EVENT_STOP;
	case PTRACE_EVENT_SECCOMP:
		return REPORT_SECCOMP;
	case PTRACE_EVENT_CLONE:
		return REPORT_CLONE;
	case PTRACE_EVENT_FORK:
		return REPORT_FORK;
	case PTRACE_EVENT_VFORK:
		return REPORT_VFORK;
	case PTRACE_EVENT_VFORK_DONE:
		return REPORT_VFORK_DONE;
	case PTRACE_EVENT_EXEC:
		return REPORT_EXEC;
	case PTRACE_EVENT_EXIT:
		return REPORT_EXIT;
	default:
		return REPORT_OTHER;
	}
}

struct report report_classify(pid_t tid, int status)
{
	struct report r = { .tid = tid, .status = status, .kind = REPORT_OTHER };

	if (WIFEXITED(status))
		r.kind = REPORT_EXITED, r.sig = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r.kind = REPORT_KILLED, r.sig = WTERMSIG(status);
	else if (WIFSTOPPED(status))
		r.kind = stop_kind(status), r.sig = WSTOPSIG(status);
	return r;
}

const char *report_kind_name(enum report_kind k)
{
	static const char *const names[] = {
		[REPORT_NONE] = "none",		    [REPORT_EXITED] = "exited",
		[REPORT_KILLED] = "killed",	    [REPORT_EVENT_STOP] = "event-stop",
		[REPORT_GROUP_STOP] = "group-stop", [REPORT_SIGNAL] = "signal",
		[REPORT_SYSCALL] = "syscall",	    [REPORT_SECCOMP] = "seccomp",
		[REPORT_CLONE] = "clone",	    [REPORT_FORK] = "fork",
		[REPORT_VFORK] = "vfork",	    [REPORT_VFORK_DONE] = "vfork-done",
		[REPORT_EXEC] = "exec",		    [REPORT_EXIT] = "exit",
		[REPORT_OTHER] = "other",
	};

	return (unsigned)k < N_ELEMENTS(names) ? names[k] : "?";
}

void tracee_set_state(struct tracee *t, enum tracee_state state, enum report_kind stop)
{
	if (log_debug_enabled && (t->state != state || t->stop != stop))
		log_debug("task %d: %s%s%s -> %s%s%s", t->tid, tracee_state_name(t->state),
			  t->stop ? " " : "", t->stop ? report_kind_name(t->stop) : "",
			  tracee_state_name(state), stop ? " " : "", stop ? report_kind_name(stop) : "");
	t->state = state;
	t->stop = stop;
}

void tracee_stopped(struct tracee *t, const struct report *r)
{
	tracee_set_state(t, TRACEE_STOPPED, r->kind);
	t->stop_sig = r->sig;
	t->flags &= ~TRACEE_F_IN_VFORK; /* it stopped: it waits for no vfork child (§27); its
					 * own vfork event sets the flag again (loop.c) */
}
