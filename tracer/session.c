#include "session.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "audit.h"
#include "log.h"
#include "notify.h"
#include "observe.h"

void session_init(struct session *s, enum session_mode mode, const struct oci_policy *policy,
		  const struct oci_filter *filter)
{
	memset(s, 0, sizeof(*s));
	tracee_table_init(&s->tasks);
	s->mode = mode;
	s->policy = policy;
	s->filter = filter;
	s->root_status = -1;
}

void session_start(struct session *s, const struct session_config *c)
{
	/* nothing the tracer traces may read or write its memory or ptrace it without
	 * CAP_SYS_PTRACE (README, Limits: a command that holds it can) */
	prctl(PR_SET_DUMPABLE, 0);
	session_init(s, c->mode, c->policy, c->filter);
	s->root = c->root;
	s->arm_filter = c->mode == MODE_ENFORCE ? c->arm_filter : NULL;
	s->audit = c->audit;
	s->profile = c->profile;
	s->metrics = c->metrics;
	s->learn_filter = c->profile ? c->learn_filter : NULL;
	s->learn_arm_filter = s->learn_filter ? c->learn_arm_filter : NULL;
	/* learning without the learning filter stops at every syscall's entry */
	s->syscall_stops = (c->profile && !s->learn_filter) ||
			   (c->audit && audit_level(c->audit) == AUDIT_ALL);
	s->detach_on_stop = c->detach_on_stop;
	s->forward_stop = c->forward_stop;
	s->reload = c->reload;
	s->hup_reloads = c->reload != NULL;
	session_install_signal_handlers(s->hup_reloads);
	/* an audit log on a pipe with no reader: EPIPE, not death. Set in the tracer only: a
	 * command it starts keeps the disposition it was given. */
	signal(SIGPIPE, SIG_IGN);
}

int session_run_to_end(struct session *s, FILE *summary)
{
	int code;

	session_loop(s);
	notify_stop(s); /* no task is left to notify: its counts are all in */
	if (summary)
		summary_print(&s->summary, s->filter, summary);
	code = session_exit_code(s);
	observe_teardown(s, code);
	return code;
}

const char *session_mode_name(enum session_mode m)
{
	return m == MODE_ENFORCE ? "enforce" : m == MODE_COMPLAIN ? "complain" : "trace";
}

void session_destroy(struct session *s)
{
	notify_stop(s);
	tracee_table_destroy(&s->tasks);
	summary_free(&s->summary);
}

long session_ptrace_options(const struct session *s)
{
	long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESECCOMP |
		    PTRACE_O_TRACESYSGOOD;

	/* If octrace dies, an enforced task must not run on unenforced (docs/kernel-behaviours.md
	 * §14); a learning one would see every syscall fail with ENOSYS (§9): it dies too. */
	if (s->mode == MODE_ENFORCE || s->learn_filter)
		opts |= PTRACE_O_EXITKILL;
	return opts;
}

const struct oci_filter *session_attach_filter(const struct session *s, bool arm)
{
	if (arm && s->arm_filter)
		return s->learn_arm_filter ? s->learn_arm_filter : s->arm_filter;
	return s->learn_filter ? s->learn_filter : s->filter;
}

void tracee_request_failed(struct tracee *t, const char *request)
{
	if (errno == ESRCH) {
		/* A stopped task that refuses requests is being killed: its
		 * PTRACE_EVENT_EXIT or its death is still to come (§1, §2). */
		if (t->state != TRACEE_STOPPED)
			log_warn("internal: %s on %s task %d failed with ESRCH", request,
				 tracee_state_name(t->state), t->tid);
		tracee_set_state(t, t->state == TRACEE_EXITING ? TRACEE_EXITING : TRACEE_DYING,
				 REPORT_NONE);
		return;
	}
	log_warn_errno("%s of task %d", request, t->tid);
}

void tracee_resume(const struct session *s, struct tracee *t, int sig)
{
	long rc;

	if (t->state != TRACEE_STOPPED) /* a request already failed: it is dying */
		return;
	if (t->stop == REPORT_GROUP_STOP) {
		rc = ptrace(PTRACE_LISTEN, t->tid, 0, 0);
		if (rc < 0 && errno != ESRCH) /* not really in group-stop after all */
			rc = ptrace(PTRACE_CONT, t->tid, 0, 0);
	} else {
		/* audit-level all and profiling: stop at every syscall's entry and exit */
		int req = s->syscall_stops && t->stop != REPORT_EXIT &&
				  !(t->flags & TRACEE_F_JOINING)
				  ? PTRACE_SYSCALL
				  : PTRACE_CONT;

		rc = ptrace(req, t->tid, 0, sig);
	}
	if (rc < 0) {
		tracee_request_failed(t, "resume");
		return;
	}
	tracee_set_state(t, t->stop == REPORT_EXIT ? TRACEE_EXITING : TRACEE_RUNNING, REPORT_NONE);
}

int session_exit_code(const struct session *s)
{
	if (s->root_status < 0)
		return s->stopped_by ? 128 + s->stopped_by : 125;
	if (WIFEXITED(s->root_status))
		return WEXITSTATUS(s->root_status);
	if (WIFSIGNALED(s->root_status))
		return 128 + WTERMSIG(s->root_status);
	return 125;
}
