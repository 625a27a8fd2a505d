#include "session.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "log.h"

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

const char *session_mode_name(enum session_mode m)
{
	return m == MODE_ENFORCE ? "enforce" : m == MODE_COMPLAIN ? "complain" : "trace";
}

void session_destroy(struct session *s)
{
	tracee_table_destroy(&s->tasks);
	summary_free(&s->summary);
}

long session_ptrace_options(const struct session *s)
{
	long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESECCOMP |
		    PTRACE_O_TRACESYSGOOD;

	/* If octrace dies, an enforced task must not run on unenforced (PTRACE-NOTES §14). */
	if (s->mode == MODE_ENFORCE)
		opts |= PTRACE_O_EXITKILL;
	return opts;
}

void tracee_request_failed(struct tracee *t, const char *request)
{
	if (errno == ESRCH) {
		/* A stopped task that refuses requests is being killed: its
		 * PTRACE_EVENT_EXIT or its death is still to come (§1, §2). */
		if (t->state != TRACEE_STOPPED)
			log_warn("internal: %s on %s task %d failed with ESRCH", request,
				 tracee_state_name(t->state), t->tid);
		if (t->state != TRACEE_EXITING)
			t->state = TRACEE_DYING;
		t->stop = STOP_NONE;
		return;
	}
	log_warn_errno("%s of task %d", request, t->tid);
}

void tracee_resume(const struct session *s, struct tracee *t, int sig)
{
	long rc;

	if (t->state != TRACEE_STOPPED) /* a request already failed: it is dying */
		return;
	if (t->stop == STOP_GROUP) {
		rc = ptrace(PTRACE_LISTEN, t->tid, 0, 0);
		if (rc < 0 && errno != ESRCH) /* not really in group-stop after all */
			rc = ptrace(PTRACE_CONT, t->tid, 0, 0);
	} else {
		/* audit-level all and profiling: stop at every syscall's entry and exit */
		int req = s->syscall_stops && t->stop != STOP_EXIT ? PTRACE_SYSCALL : PTRACE_CONT;

		rc = ptrace(req, t->tid, 0, sig);
	}
	if (rc < 0) {
		tracee_request_failed(t, "resume");
		return;
	}
	t->state = t->stop == STOP_EXIT ? TRACEE_EXITING : TRACEE_RUNNING;
	t->stop = STOP_NONE;
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
