/* The tracer daemon behind octrace-hook, and the handshake that tells the hook it is armed. */
#pragma once

#include "hook_config.h"
#include "state.h"

/* Start the daemon for `state` as planned, wait until it reports attached and armed (or
 * failed, or the timeout passed) and return 0 only then. On failure *err says why; the
 * daemon is gone and, in enforce mode, so is the container's init (fail closed). */
int daemon_start(const struct hook_args *a, const struct oci_state *state,
		 struct hook_plan *plan, struct oci_error **err);
