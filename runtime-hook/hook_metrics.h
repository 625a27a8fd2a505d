/* The container's metrics file, DIR/STEM.prom, for node_exporter's textfile collector
 * (docs/metrics.md). STEM is the logs' stem of the container's id (hook_logs.h), never a
 * name an annotation chose. The tracer renders the text (tracer/metrics.h) and sends it over
 * a socket pair made before the daemon forks (tracer/metrics_pub.h); the janitor, which
 * keeps root's ids (no capability: DIR's owner), writes each text it receives to the file
 * atomically and removes the file at the end. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "hook_logs.h"

#define HOOK_RUN_DIR "/run/octrace"
#define HOOK_DEFAULT_METRICS_DIR HOOK_RUN_DIR "/metrics"

struct hook_metrics {
	int dir; /* DIR, or -1: no metrics */
	int sock; /* the janitor's end, or -1 */
	int tracer_end; /* the tracer's end (its to own), or -1 */
	char dir_path[4096];
	char name[HOOK_LOG_STEM_MAX + 8]; /* STEM.prom */
	bool written; /* the file is ours: `ino` and `dev` are its */
	dev_t dev;
	ino_t ino;
};

/* DIR (made 0755 if missing) and the socket pair, for container `id`. dir_path NULL: no
 * metrics (m->dir == -1, returns 0). */
int hook_metrics_open(const char *dir_path, const char *id, struct hook_metrics *m,
		      struct oci_error **err);
/* The janitor: write every text received until the tracer's end is closed (it exited). */
void hook_metrics_serve(struct hook_metrics *m);
/* The same without blocking: what is waiting now. -1 once the tracer's end is closed. */
int hook_metrics_receive(struct hook_metrics *m);
/* Remove the file, if it is still the one written here; close everything. */
void hook_metrics_remove(struct hook_metrics *m);
void hook_metrics_close(struct hook_metrics *m);
