/* octrace-hook: the OCI prestart/createRuntime hook. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "hook_config.h"
#include "log.h"
#include "state.h"

#define STATE_MAX_SIZE (1u << 20)

static int read_state(struct oci_state **out, struct oci_error **err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (oci_read_fd(STDIN_FILENO, STATE_MAX_SIZE, &buf, &len) < 0)
		return oci_fail(err, errno, "state: cannot read stdin: %s", strerror(errno));
	return oci_state_parse("state", buf, len, out, err);
}

int main(int argc, char **argv)
{
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_oci_state struct oci_state *state = NULL;
	struct hook_args args;
	struct hook_plan plan = { 0 };
	int rc = 1;

	log_progname = "octrace-hook";
	signal(SIGPIPE, SIG_IGN); /* the runtime may close our stderr early: EPIPE, not death */
	if (hook_parse_args(argc, argv, &args) < 0)
		return 2;
	log_debug_enabled = args.debug;
	if (read_state(&state, &err) == 0 && hook_plan(&args, state, &plan, &err) == 0 &&
	    daemon_start(&args, state, &plan, &err) == 0)
		rc = 0;
	if (rc != 0)
		fprintf(stderr, "octrace-hook: %s\n", err->msg);
	hook_plan_free(&plan);
	return rc;
}
