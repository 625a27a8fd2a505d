/* octrace-hook: the OCI prestart/createRuntime hook. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "hook_config.h"
#include "log.h"
#include "runtime_args.h"
#include "record.h"
#include "state.h"

#define STATE_MAX_SIZE (1u << 20)

static int read_state(char **buf, size_t *len, struct oci_state **out, struct oci_error **err)
{
	if (oci_read_fd(STDIN_FILENO, STATE_MAX_SIZE, buf, len) < 0)
		return oci_fail(err, errno, "state: cannot read stdin: %s", strerror(errno));
	return oci_state_parse("state", *buf, *len, out, err);
}

/* The runtime that runs this hook (runc, crun) and its --root, from its command line: the
 * record's key, as octrace-runtime's exec will have it. "" when it has none (its default). */
static void runtime_root(char *out, size_t size)
{
	char path[64], cmdline[8192];
	char *argv[256];
	struct runtime_args ra;
	cleanup_close int fd = -1;
	ssize_t n;
	int argc = 0;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", getppid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, cmdline, sizeof(cmdline) - 1)) <= 0)
		return;
	cmdline[n] = '\0';
	for (ssize_t i = 0; i < n && argc < 255; i += (ssize_t)strlen(cmdline + i) + 1)
		argv[argc++] = cmdline + i;
	argv[argc] = NULL;
	runtime_args_parse(argc, argv, &ra);
	if (ra.root)
		snprintf(out, size, "%s", ra.root);
}

/* A container's record while its daemon runs (oci/record.h): octrace-runtime's exec finds
 * it there. Not having one only costs the exec a `runtime state`. */
static void record(const struct hook_args *a, struct hook_plan *plan, const struct oci_state *st,
		   const char *buf, size_t len)
{
	cleanup_oci_error struct oci_error *err = NULL;
	const char *root = getenv("OCTRACE_REATTACH_ROOT");

	/* octrace attach --container runs this hook: its parent is no runtime, and it says the
	 * runtime's --root (the record's key: the join socket stays where execs look) */
	if (a->reattach && root)
		snprintf(plan->runtime_root, sizeof(plan->runtime_root), "%s", root);
	else
		runtime_root(plan->runtime_root, sizeof(plan->runtime_root));
	oci_record_sweep(OCI_RECORD_DIR);
	if (oci_record_write(OCI_RECORD_DIR, plan->runtime_root, st->id, buf, len, &err) < 0)
		log_warn("container record: %s", err->msg);
}

int main(int argc, char **argv)
{
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_oci_state struct oci_state *state = NULL;
	cleanup_free char *buf = NULL;
	size_t len = 0;
	struct hook_args args;
	struct hook_plan plan = { 0 };
	sigset_t none;
	int rc = 1;

	log_progname = "octrace-hook";
	/* crun 1.8 runs hooks with a blocked signal mask (SIGCHLD and whatever its uninitialised
	 * sigset_t held): the daemon, a fork of the hook, must not inherit it */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN); /* the runtime may close our stderr early: EPIPE, not death */
	if (hook_parse_args(argc, argv, &args) < 0)
		return 2;
	log_debug_enabled = args.debug;
	if (read_state(&buf, &len, &state, &err) == 0 &&
	    hook_plan(&args, state, &plan, &err) == 0) {
		record(&args, &plan, state, buf, len);
		if (daemon_start(&args, state, &plan, &err) == 0)
			rc = 0;
		else
			oci_record_remove(OCI_RECORD_DIR, plan.runtime_root, state->id, state->pid);
	}
	if (rc != 0)
		fprintf(stderr, "octrace-hook: %s\n", err->msg);
	hook_plan_free(&plan);
	return rc;
}
