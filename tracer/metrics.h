/* Prometheus metrics of one traced container (or one `octrace run`), in the text exposition
 * format that node_exporter's textfile collector reads (docs/metrics.md).
 *
 * Counting is what the loop pays for: a fixed table of METRICS_SLOTS entries, no allocation
 * and no syscall per stop. Bounded whatever the traced program calls: at most
 * METRICS_MAX_SYSCALLS (arch, syscall, action) keys are told apart, the others are counted
 * under syscall="other"; label values are cut at METRICS_LABEL_MAX bytes (escaped), so the
 * rendered text never exceeds METRICS_TEXT_MAX. Rendering (at most about once a second)
 * names the syscalls and merges the keys that share a name (an i386 and an x86-64 getpid).
 *
 * Every counting function is a no-op on NULL (metrics off). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

#define METRICS_MAX_SYSCALLS 128
#define METRICS_SLOTS 256 /* a power of two, at least twice METRICS_MAX_SYSCALLS */
#define METRICS_LABEL_MAX 128
#define METRICS_ACTIONS (OCI_ACT_NOTIFY + 1)
#define METRICS_BUCKETS 15 /* the last is +Inf */
/* HELP and TYPE lines, at most one sample line per key, per action's "other", per bucket,
 * and the few single ones, each at most the labels and 192 bytes more */
#define METRICS_LINE_MAX (3 * METRICS_LABEL_MAX + 256)
#define METRICS_TEXT_MAX                                                                   \
	(2048 + (METRICS_MAX_SYSCALLS + METRICS_ACTIONS + METRICS_BUCKETS + 16) * METRICS_LINE_MAX)

enum metrics_failure {
	METRICS_JOIN_REFUSED, /* a process asked to join the container and was refused */
	METRICS_FILTER_NOT_INSTALLED, /* a process whose enforce-mode filter could not be
				       * installed at its arming exec, or a reloaded policy's on it
				       * (it is killed in enforce mode) */
	METRICS_FAILURE_COUNT,
};

struct metrics_key {
	uint32_t arch;
	int nr; /* summary_nr(): SUMMARY_NR_UNKNOWN for numbers outside the tables */
	uint8_t action; /* enum oci_action */
	uint64_t count; /* 0: a free slot */
	char name[32]; /* filled when first rendered */
};

struct metrics {
	char labels[3 * METRICS_LABEL_MAX + 64]; /* container="…",pod="…",namespace="…" */
	char mode[16];
	struct metrics_key keys[METRICS_SLOTS];
	size_t used;
	uint64_t other[METRICS_ACTIONS]; /* keys that found the table full */
	uint64_t denials, joins, failures[METRICS_FAILURE_COUNT];
	uint64_t reloads[3]; /* policy reloads: applied, unchanged, refused (tracer/reload.h) */
	uint64_t audit_written, audit_suppressed;
	uint64_t buckets[METRICS_BUCKETS]; /* per bucket, not cumulative */
	uint64_t stops, stop_ns;
	uint64_t batch_ns; /* CLOCK_MONOTONIC when the current batch of reports arrived */
	bool timing; /* a stop of this batch was counted: time it at its resume */
	uint64_t changes; /* bumped by every count: something to publish */
	/* publishing (metrics_pub.c) */
	int fd; /* the janitor's socket (owned), or -1 */
	uint64_t published; /* `changes` when last sent */
	uint64_t sent_ns; /* CLOCK_MONOTONIC of the last send */
	char *text; /* METRICS_TEXT_MAX + 1 bytes, owned */
};

/* A new set of counters for container `container` ("" or NULL for none) of `pod` in
 * `namespace` (either may be NULL), traced in `mode` ("enforce", ...). Values are escaped
 * for the text format and cut at METRICS_LABEL_MAX. `fd`: where metrics_publish() sends
 * (owned), or -1. NULL only when memory runs out. */
struct metrics *metrics_new(const char *container, const char *pod, const char *namespace_,
			    const char *mode, int fd);
void metrics_free(struct metrics *m);

/* A syscall octrace acted on: the policy's action (in complain mode the one it would have
 * taken), and whether octrace made it fail or killed or trapped for it. */
void metrics_syscall(struct metrics *m, uint32_t arch, int nr, enum oci_action action,
		     bool denied);
void metrics_join(struct metrics *m);
enum metrics_reload { METRICS_RELOAD_APPLIED, METRICS_RELOAD_UNCHANGED, METRICS_RELOAD_REFUSED };
void metrics_reload(struct metrics *m, enum metrics_reload result);
void metrics_failure(struct metrics *m, enum metrics_failure what);
void metrics_audit(struct metrics *m, uint64_t written, uint64_t suppressed);
/* A batch of reports arrived; its stops counted by metrics_syscall() are timed from now to
 * metrics_resumed(). */
void metrics_batch(struct metrics *m);
void metrics_resumed(struct metrics *m);
/* The time of one stop, in nanoseconds (metrics_resumed() does it). */
void metrics_stop_time(struct metrics *m, uint64_t ns);
/* The clock the stop times are read on (0 without metrics: nothing is timed). */
uint64_t metrics_clock(const struct metrics *m);
/* A seccomp notification (tracer/notify.h) counted like a stop: from its receipt (`since`,
 * metrics_clock()) to now, its answer. */
void metrics_notified(struct metrics *m, uint64_t since);

/* The escaped form of a label value: \ " and newline escaped, invalid UTF-8 and other
 * control characters as '?', at most `max` bytes (never half an escape or a character).
 * Writes a NUL; returns the length. out must hold max + 1 bytes. */
size_t metrics_escape(const char *value, char *out, size_t max);

/* The text exposition of every counter into buf (NUL-terminated); returns its length, or
 * 0 when it does not fit (never with size > METRICS_TEXT_MAX). */
size_t metrics_render(struct metrics *m, char *buf, size_t size);
