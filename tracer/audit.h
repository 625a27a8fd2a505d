/* The audit log (`--audit FILE`): JSON Lines, one object per event, in the format of
 * docs/audit-format.md (schema: tests/audit-schema.json).
 *
 * Each event is built whole and queued (audit_sink.h): the queue is written with one write
 * per flush, which the caller does before it blocks in waitpid() or exits (audit_flush()),
 * so lines are never split, concurrent writers (O_APPEND) never interleave inside a line,
 * and a crash of the tracer loses at most the events of one batch of reports. The volume is
 * bounded: the file is rotated at its size limit (NAME.1, one older file kept), and past the
 * rate limit events are dropped and counted ("suppressed"); the teardown event's counts stay
 * exact. A failed write is reported once on stderr and then ignored: the tracer must keep its
 * tasks moving whatever the disk does. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit_sink.h"
#include "error.h"

struct decoded;
struct oci_filter;
struct summary;

enum audit_level {
	AUDIT_DENIED, /* syscalls the policy denies: ERRNO, KILL*, TRAP, NOTIFY */
	AUDIT_TRACED, /* every syscall that stops in the tracer (adds LOG, TRACE) */
	AUDIT_ALL,    /* every syscall, also those allowed in the kernel (rule -3) */
};

/* "denied", "traced" or "all"; 0, or -1 for anything else. */
int audit_level_parse(const char *s, enum audit_level *out);
const char *audit_level_name(enum audit_level level);

struct audit;

#define AUDIT_DEFAULT_MAX_SIZE (64ull << 20)
#define AUDIT_DEFAULT_RATE 1000u

/* A key and value written on every line after "container" (the pod of a Kubernetes
 * container: "pod", "namespace", "pod_uid", "container_name", "image"). */
struct audit_label {
	const char *key, *value;
};
#define AUDIT_LABELS_MAX 8

struct audit_config {
	enum audit_level level;
	const char *container; /* copied; NULL or "": no "container" key */
	const struct audit_label *labels; /* copied, at most AUDIT_LABELS_MAX */
	size_t n_labels;
	uint64_t max_size; /* rotate the file at this size (>= AUDIT_SIZE_MIN); 0: never */
	unsigned rate; /* events a second before they are dropped and counted; 0: no limit */
};

/* "64M", "512K", "1G", "1048576" (bytes), "0" (no limit): 0, or -1 for anything else or a
 * size below AUDIT_SIZE_MIN (audit_sink.h). */
int audit_size_parse(const char *s, uint64_t *out);
/* A number of events a second, "0" for no limit: 0, or -1. */
int audit_rate_parse(const char *s, unsigned *out);

/* Open `path` (O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC|O_NOFOLLOW, mode 0640), or, with path
 * NULL, write to `fd` (not owned: audit_close() leaves it open; never rotated). "container"
 * is written on every line. Errors name the file:
 *   /var/log/x/audit.jsonl: cannot open: No such file or directory */
int audit_open(const char *path, int fd, const struct audit_config *c, struct audit **out,
	       struct oci_error **err);
/* The same for the file `name` in the directory `dirfd` (duplicated), `display` in messages. */
int audit_open_at(int dirfd, const char *name, const char *display, const struct audit_config *c,
		  struct audit **out, struct oci_error **err);
/* Write what is queued; the caller does it before it blocks or exits. */
void audit_flush(struct audit *a);
/* Flushes (with any pending suppressed event) and closes. */
void audit_close(struct audit *a);
enum audit_level audit_level(const struct audit *a);
/* Events handed to the file so far (lines queued), and events the rate limit dropped (0 for
 * a NULL log). */
uint64_t audit_written(const struct audit *a);
uint64_t audit_suppressed(const struct audit *a);
/* The descriptors the log holds (-1 for none), for a process that closes every other one. */
void audit_fds(const struct audit *a, int fds[4]);
/* The one writer of its file, soon without access to its directory: audit_sink_hold(). */
int audit_hold(struct audit *a, struct oci_error **err);

/* Rule values besides a syscalls[] index. */
#define AUDIT_RULE_DEFAULT (-1)	 /* the default action applied */
#define AUDIT_RULE_BAD_ARCH (-2) /* an architecture the policy does not list */
#define AUDIT_RULE_NONE (-3)	 /* allowed in the kernel, seen at level "all" */
#define AUDIT_RULE_GUARD (-4)	 /* a guard answered (oci/guard.h), named in "guard" */

struct audit_syscall {
	pid_t pid, tid;
	const char *comm; /* may be NULL: read from /proc/TID/comm (bounded) */
	uint32_t arch;	  /* AUDIT_ARCH_* as the kernel reports it (x32: X86_64 + the nr bit) */
	int nr;
	uint64_t args[6];
	const char *action; /* the policy's action, "SCMP_ACT_ERRNO" */
	uint32_t errno_ret; /* for ERRNO/TRACE */
	int rule;	    /* syscalls[] index, or AUDIT_RULE_* */
	const char *guard;  /* AUDIT_RULE_GUARD: which one ("clone3", ...) */
	bool complain;	    /* "action" is SCMP_ACT_ALLOW and the policy's goes to "would" */
	bool has_ret;
	int64_t ret;
	const struct decoded *decoded; /* may be NULL */
};

/* Whether a syscall with this policy action (the "would" one in complain mode; NULL counts
 * as SCMP_ACT_ALLOW) and rule is logged at the audit's level; lets the caller skip decoding
 * what would not be written. audit_syscall() applies it too. */
bool audit_wants(const struct audit *a, const char *action, int rule);

/* Whether the rate limit would drop an event written now: lets the caller skip decoding. */
bool audit_saturated(const struct audit *a);

/* One "syscall" event, if audit_wants() it and the rate limit lets it through (else it is
 * counted for this second's "suppressed" event). Like every function below, a no-op when a
 * is NULL (no --audit). */
void audit_syscall(struct audit *a, const struct audit_syscall *ev);

enum audit_field_type {
	AUDIT_FIELD_STRING,
	AUDIT_FIELD_INT,
	AUDIT_FIELD_UINT,
	AUDIT_FIELD_STRINGS, /* an array of strings */
};

struct audit_field {
	const char *key;
	enum audit_field_type type;
	union {
		const char *s; /* not owned */
		int64_t i;
		uint64_t u;
		struct {
			const char *const *v; /* not owned */
			size_t n;
		} sv;
	};
};

#define AUDIT_STR(k, v) ((struct audit_field){.key = (k), .type = AUDIT_FIELD_STRING, .s = (v)})
#define AUDIT_INT(k, v) ((struct audit_field){.key = (k), .type = AUDIT_FIELD_INT, .i = (v)})
#define AUDIT_UINT(k, v) ((struct audit_field){.key = (k), .type = AUDIT_FIELD_UINT, .u = (v)})
#define AUDIT_STRV(k, v, c) \
	((struct audit_field){.key = (k), .type = AUDIT_FIELD_STRINGS, .sv = {(v), (c)}})

/* A lifecycle event: "attach", "armed", "exec", "clone", "fork", "vfork", "exit",
 * "exit_group", "detach" (docs/audit-format.md lists the fields each one carries). Fields
 * named like a common key (time, event, container, pid, tid) are dropped, and a NULL
 * string is written as null, so that a line is always valid JSON. The rate limit applies to
 * clone, fork, vfork, exec, exit and exit_group (audit_rate.h). */
void audit_event(struct audit *a, const char *event, pid_t pid, pid_t tid,
		 const struct audit_field *fields, size_t n);

/* The last line: "teardown" with octrace's exit status and, per (arch, syscall, action),
 * the calls and errors counted in `sum` (the AUDIT_TEARDOWN_ROWS with most calls; the rest
 * summed in "other"); actions are named through `filter` (may be NULL) as in the --summary
 * table. For a session that followed a process joining a container (`joined`: its pid,
 * else 0), "leave" with that pid and the same keys. Written at once (flushed). */
#define AUDIT_TEARDOWN_ROWS 256
void audit_teardown(struct audit *a, pid_t joined, int exit_status, const struct summary *sum,
		    const struct oci_filter *filter);

static inline void cleanup_auditp(struct audit **a) { audit_close(*a); }
#define cleanup_audit __attribute__((cleanup(cleanup_auditp)))
