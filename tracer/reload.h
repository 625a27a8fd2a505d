/* Live policy: a daemon re-reads its container's policy without restarting it
 * (`octrace reload --container ID`, or SIGHUP to the daemon; docs/kernel-behaviours.md §27).
 *
 * The tracer runs unprivileged and cannot open the policy's file: its parent, the janitor
 * (root's ids, no capability), opens it and hands the open file over the daemon's own
 * socketpair ("policy" + the descriptor, or "error MESSAGE"); the doorbell (join.h) wakes the
 * loop, which applies it between two batches of reports, and answers "ok MESSAGE" or
 * "error MESSAGE". A SIGHUP to the tracer asks the janitor ("reload").
 *
 * Applying it: parse and compile (an invalid policy is refused: one line in the log, a
 * "policy_reload" event, the policy in force stays); then every process that carries
 * octrace's filter gets the new one stacked on it (all its tasks stopped, one of them
 * injects it with TSYNC), since a syscall the old filters allow in the kernel never stops:
 * the kernel runs every filter and the strictest answer wins, so rules that tighten apply
 * to every process from then on. Rules that loosen take effect in the tracer's decision (an
 * old filter still stops the syscall, the new policy allows it) — except what an old
 * enforce-mode filter answers in the kernel itself (KILL, TRAP): that stays until the
 * container restarts. At most RELOAD_MAX reloads stack a filter. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "compile.h"
#include "policy.h"

struct session;
struct tracee;

#define RELOAD_MAX 16
#define RELOAD_MSG_MAX 512

struct reload_channel {
	const char *name; /* borrowed: the container, for log lines */
	int fd; /* the janitor's end of the daemon's socketpair; -1: no reloads */
	int policy_fd; /* a policy file the janitor sent, applied at the loop's top; -1 */
	char *janitor_error; /* owned: what the janitor could not do instead, or NULL */
	bool closed; /* the janitor's end is closed */
	/* every policy and filter a reload made, owned until the session ends (the decisions
	 * in flight point into them) */
	struct oci_policy *policies[RELOAD_MAX];
	struct oci_filter *filters[2 * RELOAD_MAX];
	size_t n_policies, n_filters;
	/* BPF instructions of octrace's filters a process may carry (the kernel's count: each
	 * filter's length + 4); 0 until the first reload */
	size_t stacked_insns;
};

void reload_channel_init(struct reload_channel *rc, const char *name, int fd);
void reload_channel_free(struct reload_channel *rc);

/* The doorbell rang: take what the janitor sent (never blocks). */
void reload_receive(struct session *s);
/* SIGHUP: ask the janitor for the policy file. */
void reload_ask(struct session *s);
/* Between two batches: apply what was received, if anything. */
void reload_apply_pending(struct session *s);
/* A task whose process waited in vfork during a reload (TRACEE_F_RESTACK), now in an
 * event-stop with its whole process stopped: stack the session's current filter on it. */
void reload_restack_task(struct session *s, struct tracee *t);
