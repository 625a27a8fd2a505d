/* octrace-runtime: a runc/crun command line in, the real runtime exec'd with the same
 * command line out, after adding octrace-hook to the bundle for `create` and `run` (the way
 * nvidia-container-runtime wraps runc). containerd and Kubernetes RuntimeClasses point at it
 * with options.BinaryName. */
#pragma once

#include "error.h"
#include "runtime_args.h"

#define RUNTIME_PROGNAME "octrace-runtime"

/* The real runtime's path: an absolute `runtime` as it is, a bare name from PATH. Never this
 * very program: installed as "runc" ahead of the real one in PATH, it would exec itself
 * forever. Relative PATH elements are skipped (they would resolve against the bundle). */
int runtime_resolve(const char *runtime, char **out, struct oci_error **err);

/* octrace-hook in the directory of /proc/self/exe (both are installed together); NULL when
 * /proc/self/exe cannot be read. */
char *runtime_default_hook(void);

/* Report msg where runc reports its own errors, so that containerd shows it: one line
 * appended to the --log file, {"level":"error","msg":"octrace-runtime: MSG","time":...}
 * with --log-format json, runc's text format otherwise; on stderr without --log (or when
 * the log cannot be opened, or is crun's journald:/syslog:). */
void runtime_report_error(const struct runtime_args *a, const char *msg);

/* Everything from the command line to the exec; returns only on failure, with *err set and
 * the bundle untouched. argv[0] becomes the configured runtime, the rest stays byte for
 * byte. */
int runtime_wrap(int argc, char *argv[], const struct runtime_args *a, struct oci_error **err);
