/* The janitor's control socket: live policy reloads (tracer/reload.h, docs/kernel-behaviours.md
 * §27).
 *
 * The janitor (root's ids, no capability) listens on DIR/KEY.ctl beside the container's
 * record (0600, in a directory only root can enter) and takes SIGHUP. Either asks it to
 * re-read the container's policy: it opens the policy's file (the one the daemon started
 * with: --policy, the --policy-dir file an annotation named, or the bundle's config.json)
 * and hands the open file to the tracer over the daemon's socketpair, which cannot open it
 * itself; the tracer's answer ("ok ..." or "error ...") goes back to the client. The tracer
 * asks the same way when it gets a SIGHUP. */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "hook_metrics.h"
#include "join.h"

struct janitor_control {
	int chan; /* the janitor's end of the daemon's socketpair; -1: none */
	struct join_service listener; /* KEY.ctl (only its socket: no doorbell) */
	const char *policy_path; /* NULL: the container runs without a policy */
	const char *name; /* the container, for log lines (escaped) */
	struct hook_metrics *metrics; /* the metrics file the janitor writes (its socket polled
				       * here too); never NULL */
};

/* Listen on `path`. On failure reloads are served on SIGHUP only. */
int control_listen(struct janitor_control *c, const char *path, struct oci_error **err);
/* Serve reloads, and write the metrics the tracer sends, until the tracer (`tracer`, the
 * janitor's child) exits; the caller reaps it. */
void control_serve(struct janitor_control *c, pid_t tracer);
/* Close and remove the socket file if it is still ours. */
void control_close(struct janitor_control *c);
