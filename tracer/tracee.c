#include "tracee.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "log.h"
#include "procfs.h"

#define INITIAL_BUCKETS 64

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort();
	return p;
}

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

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static enum tracee_stop stop_kind(int status)
{
	int sig = WSTOPSIG(status);

	switch ((unsigned)status >> 16) {
	case 0:
		return sig == (SIGTRAP | 0x80) ? STOP_SYSCALL : STOP_SIGNAL;
	case PTRACE_EVENT_STOP:
		return is_stop_signal(sig) ? STOP_GROUP : STOP_EVENT_STOP;
	case PTRACE_EVENT_SECCOMP:
		return STOP_SECCOMP;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		return STOP_CLONE;
	case PTRACE_EVENT_EXEC:
		return STOP_EXEC;
	case PTRACE_EVENT_EXIT:
		return STOP_EXIT;
	default:
		return STOP_EVENT_STOP;
	}
}

void tracee_set_stop(struct tracee *t, int status)
{
	t->state = TRACEE_STOPPED;
	t->stop = stop_kind(status);
	t->stop_sig = WSTOPSIG(status);
}
