/* octrace-hook: the OCI prestart/createRuntime hook. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "hook_config.h"
#include "log.h"
#include "record.h"
#include "state.h"

#define STATE_MAX_SIZE (1u << 20)

static int read_state(char **buf, size_t *len, struct oci_state **out, struct oci_error **err)
{
	if (oci_read_fd(STDIN_FILENO, STATE_MAX_SIZE, buf, len) < 0)
		return oci_fail(err, errno, "state: cannot read stdin: %s", strerror(errno));
	return oci_state_parse("state", *buf, *len, out, err);
}

/* A container's record while its daemon runs (oci/record.h): octrace-runtime's exec finds
 * it there. Not having one only costs the exec a `runtime state`. */
static void record(const struct hook_args *a, const struct oci_state *st, const char *buf,
		   size_t len)
{
	cleanup_oci_error struct oci_error *err = NULL;

	if (!a->join && oci_record_write(OCI_RECORD_DIR, st->id, buf, len, &err) < 0)
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
	int rc = 1;

	log_progname = "octrace-hook";
	signal(SIGPIPE, SIG_IGN); /* the runtime may close our stderr early: EPIPE, not death */
	if (hook_parse_args(argc, argv, &args) < 0)
		return 2;
	log_debug_enabled = args.debug;
	if (read_state(&buf, &len, &state, &err) == 0 &&
	    hook_plan(&args, state, &plan, &err) == 0) {
		record(&args, state, buf, len);
		if (daemon_start(&args, state, &plan, &err) == 0)
			rc = 0;
		else if (!args.join)
			oci_record_remove(OCI_RECORD_DIR, state->id, state->pid);
	}
	if (rc != 0)
		fprintf(stderr, "octrace-hook: %s\n", err->msg);
	hook_plan_free(&plan);
	return rc;
}
