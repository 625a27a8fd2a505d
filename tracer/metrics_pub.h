/* Where the metrics go (metrics.h): the hook's tracer sends the whole text to its janitor,
 * which keeps DIR/ID.prom (runtime-hook/hook_metrics.h): the tracer, unprivileged and
 * confined, cannot create files in a root-owned directory. `octrace run --metrics FILE`
 * writes FILE at its exit.
 *
 * Sending is one SOCK_SEQPACKET message with MSG_DONTWAIT: dropped when the janitor is
 * behind, as the next one supersedes it. At most one a second, from the loop's flush point;
 * when counts changed sooner, a timer (SIGALRM, ITIMER_REAL) wakes the loop out of waitpid
 * in time to send them, so that an idle container's file is never older than a second or so
 * than its last count. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "metrics.h"

#define METRICS_INTERVAL_NS 1000000000ull

/* Send the text if anything changed (`final`: now, whatever the interval; at the end). */
void metrics_publish(struct metrics *m, bool final);

/* Write `len` bytes of text to DIR/NAME atomically: DIR/.NAME.PID.tmp, then renamed over
 * NAME; the file is 0644 (node_exporter reads it as another user). dir_fd is DIR open. */
int metrics_write_at(int dir_fd, const char *dir_display, const char *name, const char *text,
		     size_t len, struct oci_error **err);
/* The same for a path: its directory, its name. */
int metrics_write_file(struct metrics *m, const char *path, struct oci_error **err);
