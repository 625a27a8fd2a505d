/* `exec` into a container that octrace traces: the joining process is traced from before its
 * first instruction in the container. */
#pragma once

#include "error.h"
#include "runtime_args.h"
#include "runtime_config.h"

/* Ask the real runtime for the container's state; if its bundle's config.json runs
 * octrace-hook at prestart, run that hook again, with the same arguments, the same state on
 * stdin and --join OUR_PID: it plans exactly as at the container's start (same policy, mode
 * and logs) and returns once its daemon has seized this process. The caller then execs the
 * real runtime, and the daemon arms the process the runtime execs inside the container.
 * Returns 0 when this process is now traced, 1 when the container is not octrace's (or the
 * runtime cannot say: it fails the exec itself), -1 when it is octrace's and cannot be traced:
 * the exec must fail. */
int runtime_join(const struct runtime_config *cfg, const char *runtime_path, char *const argv[],
		 const struct runtime_args *a, struct oci_error **err);
