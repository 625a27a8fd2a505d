/* One tracing session: the tasks it follows, the policy it enforces, how it ends. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "compile.h"
#include "policy.h"
#include "procfs.h"
#include "summary.h"
#include "tracee.h"

struct audit;
struct metrics;
struct profile;
struct reload_channel;
struct notifier;

enum session_mode {
	MODE_TRACE, /* no policy: nothing stops, nothing changes */
	MODE_ENFORCE, /* the policy's actions are applied */
	MODE_COMPLAIN, /* the policy's actions are recorded, every syscall allowed */
};

struct session {
	struct tracee_table tasks;
	enum session_mode mode;
	const struct oci_policy *policy; /* borrowed; NULL in MODE_TRACE */
	const struct oci_filter *filter; /* borrowed; OCI_COMPILE_TRACER: injected at the attach,
					  * its slots name every decision */
	const struct oci_filter *arm_filter; /* borrowed; OCI_COMPILE_ENFORCE, same slots: stacked
					      * on it when a task arms (enforce mode), so that the
					      * kernel applies KILL and TRAP itself; may be NULL */
	struct join_service *joins; /* borrowed; the container's join socket (tracer/join.h), or
				     * NULL */
	struct proc_ns arm_mnt; /* ino != 0: only an exec inside this mount namespace (the
				  * container's) arms a joining task; before, it is the runtime's */
	bool reattach; /* the tasks carry octrace's filter already (a container whose tracer
			* died): the attach injects nothing */
	bool arm_default; /* armed-ness of a task whose creator cannot be found: set once any
			   * task armed (its program exec'd, or --arm-now) */
	bool syscall_stops; /* resume with PTRACE_SYSCALL: audit-level all, profiling */
	size_t held_installs; /* tasks with TRACEE_F_INSTALL_HELD (tracer/divert.h) */
	bool detach_on_stop; /* on SIGTERM/SIGINT: detach (audit) rather than kill (enforce) */
	bool forward_stop; /* on SIGTERM/SIGINT: pass the signal to the root (octrace run) */
	pid_t root; /* tgid whose exit status the session reports */
	int root_status; /* its wait status; -1 until seen */
	int stopped_by; /* the signal that made octrace stop tracing, or 0 */
	struct summary summary;
	struct audit *audit; /* borrowed; NULL: no audit log */
	struct profile *profile; /* borrowed; NULL: no profile is learnt */
	struct metrics *metrics; /* borrowed; NULL: no metrics (metrics.h) */
	const struct oci_filter *learn_filter; /* borrowed; learning with one stop per syscall:
						* injected at the attach in place of `filter`
						* (learn.h); NULL: learning at entry stops */
	const struct oci_filter *learn_arm_filter; /* borrowed; the same in place of
						    * `arm_filter` (an attach with --arm-now) */
	struct reload_channel *reload; /* borrowed; the janitor's channel (tracer/reload.h), or
					* NULL: no live policy */
	unsigned policy_gen; /* how many reloads stacked a filter */
	uint32_t own_data_end; /* after a reload: TRACE data below this (from OCI_TRACE_DATA_BASE)
				* is an older filter of octrace's, not the tracee's own */
	bool restack_pending; /* a TRACEE_F_RESTACK task is held: stack the filter at the top */
	bool hup_reloads; /* SIGHUP asks for a reload (the daemon), not to stop */
	struct notifier *notify; /* owned; the listener's thread (tracer/notify.h), or NULL */
	pid_t injecting; /* the task octrace is injecting syscalls into (tracer/inject.h), or 0 */
};

/* "enforce", "complain" or "trace", as logs write it. */
const char *session_mode_name(enum session_mode m);

void session_init(struct session *s, enum session_mode mode, const struct oci_policy *policy,
		  const struct oci_filter *filter);

/* Everything `octrace` and `octrace-hook` set up alike, so that a container traced by the
 * hook and a command traced by `octrace run` are traced the same way. */
struct session_config {
	enum session_mode mode;
	const struct oci_policy *policy; /* borrowed; NULL: trace only */
	const struct oci_filter *filter; /* borrowed */
	const struct oci_filter *arm_filter; /* borrowed; may be NULL */
	struct audit *audit; /* borrowed; may be NULL */
	struct profile *profile; /* borrowed; may be NULL */
	struct metrics *metrics; /* borrowed; may be NULL */
	const struct oci_filter *learn_filter, *learn_arm_filter; /* borrowed; may be NULL */
	struct reload_channel *reload; /* borrowed; may be NULL */
	pid_t root;
	bool detach_on_stop, forward_stop;
};

/* Init, the stop policy (syscall stops for audit level all and for learning), the signal
 * handlers of the tracer. */
void session_start(struct session *s, const struct session_config *c);
/* Follow every task to its end; print the summary table on `summary` (may be NULL); write
 * the teardown event. Returns the session's exit code. Does not destroy the session. */
int session_run_to_end(struct session *s, FILE *summary);
void session_destroy(struct session *s);

/* ptrace options for every task of the session. */
long session_ptrace_options(const struct session *s);
/* The filter the attach injects (`arm`: the policy applies at once): the learning form while
 * learning. */
const struct oci_filter *session_attach_filter(const struct session *s, bool arm);

/* What a handler decides for the task whose report it handled; the dispatcher carries it
 * out, so that every report ends in exactly one resume (strace's restart_op). */
struct restart {
	enum { RESTART_RESUME, RESTART_HOLD } op; /* HOLD: leave it stopped (attach) */
	int sig; /* signal to inject: signal-delivery-stops only */
};
#define RESUME(s) ((struct restart){ RESTART_RESUME, (s) })
#define HOLD ((struct restart){ RESTART_HOLD, 0 })

/* Resume a stopped task the way its stop requires (LISTEN for a group-stop, CONT otherwise),
 * injecting `sig` (signal-delivery-stops only). Interprets ESRCH against the task's state. */
void tracee_resume(const struct session *s, struct tracee *t, int sig);
/* A ptrace request on `t` failed (errno set): ESRCH makes it DYING, anything else is logged. */
void tracee_request_failed(struct tracee *t, const char *request);

/* Handle one report of waitpid(): the task's new state, the handler's decision, its resume.
 * `hold_interrupts`: leave event-stops and signal-stops stopped (the attach collects them). */
void session_dispatch(struct session *s, const struct report *r, bool hold_interrupts);
/* The first report of a task: whether the policy applies to it, from the task that created
 * it if that is known, else from its thread group or parent process. */
void session_adopt(struct session *s, struct tracee *t);
/* Detach from every task; returns when none is left traced. */
void session_detach_all(struct session *s);
/* The wait loop: returns when no traced task is left (ECHILD). */
void session_loop(struct session *s);

/* Set from signal handlers; checked by the loop. */
extern volatile sig_atomic_t session_stop_signal;
extern volatile sig_atomic_t session_reload_signal;
/* `hup_reloads`: SIGHUP sets session_reload_signal (the daemon), else it stops the session. */
void session_install_signal_handlers(bool hup_reloads);

/* The session's result as a process exit status: the root's code, or 128+signal. */
int session_exit_code(const struct session *s);
