/* The audit log writer; see audit.h for the guarantees and docs/audit-format.md for the
 * format. Each line is built in one jline and queued whole in the sink (audit_sink.c), which
 * writes, rotates and flushes; the rate limit (audit_rate.c) decides what is queued. */
#include "xalloc.h"
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "audit_rate.h"
#include "cleanup.h"
#include "compile.h"
#include "decode.h"
#include "jline.h"
#include "log.h"
#include "procfs.h"
#include "summary.h"

struct audit {
	struct audit_sink *sink; /* owned */
	enum audit_level level;
	char *container; /* owned, may be NULL */
	struct audit_label labels[AUDIT_LABELS_MAX]; /* keys and values owned */
	size_t n_labels;
	struct jline w; /* one line at a time */
	struct audit_rate rate;
	uint64_t written, suppressed; /* events queued to write; dropped by the rate limit */
	time_t stamp_sec; /* the second stamp[] holds */
	char stamp[32]; /* "2026-11-23T17:24:16", for stamp_sec */
};

static const char *const level_names[] = {
    [AUDIT_DENIED] = "denied",
    [AUDIT_TRACED] = "traced",
    [AUDIT_ALL] = "all",
};

int audit_level_parse(const char *s, enum audit_level *out)
{
	for (size_t i = 0; i < N_ELEMENTS(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum audit_level)i;
			return 0;
		}
	}
	return -1;
}

const char *audit_level_name(enum audit_level level)
{
	return level < N_ELEMENTS(level_names) ? level_names[level] : "?";
}

int audit_size_parse(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long n;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end && end[1] == '\0')
		shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 64;
	else if (*end)
		shift = 64;
	if (shift == 64 || n > (UINT64_MAX >> shift))
		return -1;
	n <<= shift;
	if (n != 0 && n < AUDIT_SIZE_MIN)
		return -1;
	*out = n;
	return 0;
}

int audit_rate_parse(const char *s, unsigned *out)
{
	char *end = NULL;
	unsigned long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n > 1000000000ul)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int audit_new(struct audit_sink *sink, const struct audit_config *c, struct audit **out)
{
	struct audit *a = calloc(1, sizeof(*a));

	if (a == NULL)
		abort();
	a->sink = sink;
	a->level = c->level;
	a->container = c->container && *c->container ? xstrdup(c->container) : NULL;
	for (size_t i = 0; i < c->n_labels && a->n_labels < AUDIT_LABELS_MAX; i++)
		if (c->labels[i].key && c->labels[i].value) {
			a->labels[a->n_labels].key = xstrdup(c->labels[i].key);
			a->labels[a->n_labels++].value = xstrdup(c->labels[i].value);
		}
	a->rate.limit = c->rate;
	a->stamp_sec = -1;
	*out = a;
	return 0;
}

int audit_open(const char *path, int fd, const struct audit_config *c, struct audit **out,
	       struct oci_error **err)
{
	struct audit_sink *sink;

	if (path == NULL) {
		if (fd < 0)
			return oci_fail(err, EBADF, "audit: no file given");
		return audit_new(audit_sink_new_fd(fd), c, out);
	}
	if (audit_sink_open_path(path, c->max_size, &sink, err) < 0)
		return -1;
	return audit_new(sink, c, out);
}

int audit_open_at(int dirfd, const char *name, const char *display, const struct audit_config *c,
		  struct audit **out, struct oci_error **err)
{
	struct audit_sink *sink;

	if (audit_sink_open_at(dirfd, name, display, c->max_size, &sink, err) < 0)
		return -1;
	return audit_new(sink, c, out);
}

void audit_fds(const struct audit *a, int fds[4])
{
	audit_sink_fds(a ? a->sink : NULL, fds);
}

int audit_hold(struct audit *a, struct oci_error **err)
{
	return audit_sink_hold(a->sink, err);
}

static void write_suppressed(struct audit *a);

void audit_flush(struct audit *a)
{
	if (a)
		audit_sink_flush(a->sink);
}

void audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->rate.dropped)
		write_suppressed(a);
	audit_sink_close(a->sink);
	jline_free(&a->w);
	free(a->container);
	for (size_t i = 0; i < a->n_labels; i++) {
		free((char *)a->labels[i].key);
		free((char *)a->labels[i].value);
	}
	free(a);
}

enum audit_level audit_level(const struct audit *a) { return a->level; }

uint64_t audit_written(const struct audit *a) { return a ? a->written : 0; }

uint64_t audit_suppressed(const struct audit *a) { return a ? a->suppressed : 0; }

/* ---- one line ---- */

/* RFC 3339 in UTC with nanoseconds: "2026-11-23T17:24:16.804180184Z". */
static void write_time(struct audit *a)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != a->stamp_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(a->stamp, sizeof(a->stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		a->stamp_sec = ts.tv_sec;
	}
	n = strlen(a->stamp);
	memcpy(buf, a->stamp, n);
	/* ".NNNNNNNNNZ" without printf */
	buf[n] = '.';
	for (int i = 9; i >= 1; i--, ts.tv_nsec /= 10)
		buf[n + (size_t)i] = (char)('0' + ts.tv_nsec % 10);
	buf[n + 10] = 'Z';
	jline_key(&a->w, "time");
	jline_string(&a->w, buf, n + 11);
}

/* The common keys; teardown is nobody's event and has no pid and tid. */
static void begin_line(struct audit *a, const char *event, bool with_task, pid_t pid, pid_t tid)
{
	jline_reset(&a->w);
	jline_object_open(&a->w);
	write_time(a);
	jline_kv_cstring(&a->w, "event", event);
	if (a->container)
		jline_kv_cstring(&a->w, "container", a->container);
	for (size_t i = 0; i < a->n_labels; i++)
		jline_kv_cstring(&a->w, a->labels[i].key, a->labels[i].value);
	if (with_task) {
		jline_kv_int64(&a->w, "pid", pid);
		jline_kv_int64(&a->w, "tid", tid);
	}
}

static void end_line(struct audit *a)
{
	jline_object_close(&a->w);
	audit_sink_line(a->sink, a->w.buf, a->w.len);
	a->written++;
}

/* ---- syscall events ---- */

static bool is_denial(const char *action)
{
	return strcmp(action, "SCMP_ACT_ALLOW") != 0 && strcmp(action, "SCMP_ACT_LOG") != 0 &&
	       strcmp(action, "SCMP_ACT_TRACE") != 0;
}

bool audit_wants(const struct audit *a, const char *action, int rule)
{
	if (a == NULL)
		return false;
	switch (a->level) {
	case AUDIT_DENIED:
		return is_denial(action ? action : "SCMP_ACT_ALLOW");
	case AUDIT_TRACED:
		return rule != AUDIT_RULE_NONE;
	case AUDIT_ALL:
		return true;
	}
	return true;
}

static bool carries_errno(const char *action)
{
	return strcmp(action, "SCMP_ACT_ERRNO") == 0 || strcmp(action, "SCMP_ACT_TRACE") == 0;
}

/* Syscall names, resolved once per (architecture, number): libseccomp's lookup scans its
 * table and allocates, for every event. Bounded whatever the tracee calls: NAME_ROWS
 * architectures of SUMMARY_NR_LIMIT numbers; anything else is looked up each time. "" is
 * a number without a name. */
#define NAME_ROWS 4

static struct name_row {
	uint32_t token;
	char *names[SUMMARY_NR_LIMIT]; /* owned (process-wide, never freed) */
} name_rows[NAME_ROWS];
static size_t n_name_rows;

static char **name_slot(uint32_t token, int nr)
{
	uint32_t i = (uint32_t)nr & ~0x40000000u; /* x32: the token says it */
	size_t r;

	if (nr < 0 || i >= SUMMARY_NR_LIMIT)
		return NULL;
	for (r = 0; r < n_name_rows && name_rows[r].token != token; r++)
		;
	if (r == n_name_rows) {
		if (r == NAME_ROWS)
			return NULL;
		name_rows[n_name_rows++].token = token;
	}
	return &name_rows[r].names[i];
}

/* The name of nr on token, or NULL; *to_free is set when the name is not cached. */
static const char *syscall_name(uint32_t token, int nr, char **to_free)
{
	char **slot = name_slot(token, nr);

	*to_free = NULL;
	if (slot == NULL)
		return *to_free = seccomp_syscall_resolve_num_arch(token, nr);
	if (*slot == NULL) {
		*slot = seccomp_syscall_resolve_num_arch(token, nr);
		if (*slot == NULL)
			*slot = xstrdup("");
	}
	return **slot ? *slot : NULL;
}

/* "arch", "syscall" and "nr"; nr SUMMARY_NR_UNKNOWN (a count of every number outside the
 * syscall tables) is "syscall": "unknown" without "nr". */
static void write_arch_and_name(struct jline *w, uint32_t arch, int nr)
{
	uint32_t token = oci_arch_of_syscall(arch, nr == SUMMARY_NR_UNKNOWN ? 0 : nr);
	const char *arch_name = oci_arch_name(token);
	cleanup_free char *to_free = NULL;
	const char *name = nr == SUMMARY_NR_UNKNOWN ? NULL : syscall_name(token, nr, &to_free);
	char buf[32];

	if (arch_name == NULL) {
		snprintf(buf, sizeof(buf), "0x%08x", arch);
		arch_name = buf;
	}
	jline_kv_cstring(w, "arch", arch_name);
	if (nr == SUMMARY_NR_UNKNOWN) {
		jline_kv_cstring(w, "syscall", "unknown");
		return;
	}
	if (name) {
		jline_kv_cstring(w, "syscall", name);
	} else {
		snprintf(buf, sizeof(buf), "syscall_%d", nr);
		jline_kv_cstring(w, "syscall", buf);
	}
	jline_kv_int64(w, "nr", nr);
}

static void write_rule(struct jline *w, int rule)
{
	if (rule >= 0)
		jline_kv_int64(w, "rule", rule);
	else if (rule == AUDIT_RULE_DEFAULT)
		jline_kv_cstring(w, "rule", "default");
	else if (rule == AUDIT_RULE_BAD_ARCH)
		jline_kv_cstring(w, "rule", "bad-arch");
	else if (rule == AUDIT_RULE_GUARD)
		jline_kv_cstring(w, "rule", "guard");
}

/* "EFAULT", or the number for an errno glibc has no name for. */
static void write_errno_name(struct jline *w, int errnum)
{
	const char *name = strerrorname_np(errnum);
	char buf[24];

	if (name == NULL) {
		snprintf(buf, sizeof(buf), "errno %d", errnum);
		name = buf;
	}
	jline_cstring(w, name);
}

static void write_decoded_field(struct jline *w, const struct decoded *d,
				const struct decoded_field *f)
{
	const char *s = decoded_text(d, f);

	jline_key(w, f->key);
	switch (f->type) {
	case DECODED_STRING:
		jline_string(w, s, f->len);
		break;
	case DECODED_INT:
		jline_int64(w, f->num);
		break;
	case DECODED_BOOL:
		jline_bool(w, f->num != 0);
		break;
	case DECODED_STRINGS:
		jline_array_open(w);
		for (uint32_t i = 0; i < f->len; s += strlen(s) + 1, i++)
			jline_cstring(w, s);
		jline_array_close(w);
		break;
	case DECODED_ERROR:
		jline_object_open(w);
		jline_key(w, "error");
		write_errno_name(w, (int)f->num);
		jline_object_close(w);
		break;
	}
}

static void write_decoded(struct jline *w, const struct decoded *d)
{
	jline_key(w, "decoded");
	jline_object_open(w);
	for (size_t i = 0; i < d->n; i++)
		write_decoded_field(w, d, &d->fields[i]);
	jline_object_close(w);
}

/* A NULL action is a syscall no rule was asked about: allowed. */
static void write_action(struct jline *w, const struct audit_syscall *ev)
{
	const char *action = ev->action ? ev->action : "SCMP_ACT_ALLOW";

	jline_kv_cstring(w, "action", ev->complain ? "SCMP_ACT_ALLOW" : action);
	if (ev->complain)
		jline_kv_cstring(w, "would", action);
	if (carries_errno(action))
		jline_kv_int64(w, "errno", ev->errno_ret);
	write_rule(w, ev->rule);
	if (ev->rule == AUDIT_RULE_GUARD && ev->guard)
		jline_kv_cstring(w, "guard", ev->guard);
}

static time_t now_second(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/* The rate limit's verdict for an event now; first writes the suppressed event of an
 * earlier second that had drops. */
static bool admit(struct audit *a)
{
	time_t now;

	if (a->rate.limit == 0)
		return true;
	now = now_second();
	if (audit_rate_expired(&a->rate, now)) {
		write_suppressed(a);
		audit_rate_reset(&a->rate, now);
	}
	return audit_rate_take(&a->rate, now);
}

bool audit_saturated(const struct audit *a)
{
	return a && a->rate.limit && audit_rate_full(&a->rate, now_second());
}

void audit_syscall(struct audit *a, const struct audit_syscall *ev)
{
	char comm[64];

	if (!audit_wants(a, ev->action, ev->rule))
		return;
	if (!admit(a)) {
		audit_rate_drop_syscall(&a->rate, ev->arch, ev->nr);
		a->suppressed++;
		return;
	}
	if (ev->comm == NULL)
		proc_comm(ev->tid, comm, sizeof(comm));
	begin_line(a, "syscall", true, ev->pid, ev->tid);
	jline_kv_cstring(&a->w, "comm", ev->comm ? ev->comm : comm);
	write_arch_and_name(&a->w, ev->arch, ev->nr);
	jline_key(&a->w, "args");
	jline_array_open(&a->w);
	for (size_t i = 0; i < 6; i++)
		jline_uint64(&a->w, ev->args[i]);
	jline_array_close(&a->w);
	write_action(&a->w, ev);
	if (ev->has_ret)
		jline_kv_int64(&a->w, "ret", ev->ret);
	if (ev->decoded && ev->decoded->n > 0)
		write_decoded(&a->w, ev->decoded);
	end_line(a);
}

/* ---- lifecycle ---- */

static bool is_common_key(const char *key)
{
	static const char *const common[] = {"time",	  "event",	    "container", "pid",
					     "tid",	  "pod",	    "namespace", "pod_uid",
					     "image", "container_name"};

	for (size_t i = 0; i < N_ELEMENTS(common); i++)
		if (strcmp(key, common[i]) == 0)
			return true;
	return false;
}

static void write_field(struct jline *w, const struct audit_field *f)
{
	jline_key(w, f->key);
	switch (f->type) {
	case AUDIT_FIELD_STRING:
		if (f->s)
			jline_cstring(w, f->s);
		else
			jline_null(w);
		break;
	case AUDIT_FIELD_INT:
		jline_int64(w, f->i);
		break;
	case AUDIT_FIELD_UINT:
		jline_uint64(w, f->u);
		break;
	case AUDIT_FIELD_STRINGS:
		jline_array_open(w);
		for (size_t i = 0; i < f->sv.n; i++)
			jline_cstring(w, f->sv.v[i]);
		jline_array_close(w);
		break;
	}
}

void audit_event(struct audit *a, const char *event, pid_t pid, pid_t tid,
		 const struct audit_field *fields, size_t n)
{
	int rated;

	if (a == NULL)
		return;
	rated = audit_rated_event_of(event);
	if (rated >= 0 && !admit(a)) {
		audit_rate_drop_event(&a->rate, (enum audit_rated_event)rated);
		a->suppressed++;
		return;
	}
	begin_line(a, event, true, pid, tid);
	for (size_t i = 0; i < n; i++)
		if (fields[i].key && !is_common_key(fields[i].key))
			write_field(&a->w, &fields[i]);
	end_line(a);
}

/* The action of a summary entry, named as the --summary table names it. */
static void write_count_action(struct jline *w, const struct oci_filter *filter, uint32_t data)
{
	const struct oci_slot *sl = oci_filter_slot(filter, data);

	if (data == SUMMARY_ALLOWED) {
		jline_kv_cstring(w, "action", "SCMP_ACT_ALLOW");
		return;
	}
	if (sl == NULL) { /* SCMP_ACT_TRACE of a filter that is not ours */
		jline_kv_cstring(w, "action", "SCMP_ACT_TRACE");
		jline_kv_int64(w, "errno", data);
		return;
	}
	jline_kv_cstring(w, "action", oci_action_name(sl->action));
	if (sl->action == OCI_ACT_ERRNO || sl->action == OCI_ACT_TRACE)
		jline_kv_int64(w, "errno", sl->errno_ret);
}

static void write_count(struct jline *w, const struct summary_entry *e,
			const struct oci_filter *filter)
{
	jline_object_open(w);
	write_arch_and_name(w, e->arch, e->nr);
	write_count_action(w, filter, e->data);
	jline_kv_uint64(w, "calls", e->count);
	jline_kv_uint64(w, "errors", e->errors);
	jline_object_close(w);
}

void audit_teardown(struct audit *a, pid_t joined, int exit_status, const struct summary *sum,
		    const struct oci_filter *filter)
{
	size_t n = 0;
	cleanup_free struct summary_entry *rows = sum ? summary_sorted(sum, &n) : NULL;
	uint64_t calls = 0, errors = 0, other_calls = 0, other_errors = 0;

	if (a == NULL)
		return;
	if (a->rate.dropped)
		write_suppressed(a);
	audit_rate_reset(&a->rate, 0);
	begin_line(a, joined ? "leave" : "teardown", joined != 0, joined, joined);
	jline_kv_int64(&a->w, "status", exit_status);
	jline_key(&a->w, "counts");
	jline_array_open(&a->w);
	for (size_t i = 0; i < n; i++) {
		calls += rows[i].count;
		errors += rows[i].errors;
		if (i < AUDIT_TEARDOWN_ROWS) {
			write_count(&a->w, &rows[i], filter);
			continue;
		}
		other_calls += rows[i].count;
		other_errors += rows[i].errors;
	}
	jline_array_close(&a->w);
	if (sum) {
		other_calls += sum->other_calls;
		other_errors += sum->other_errors;
		calls += sum->other_calls;
		errors += sum->other_errors;
	}
	if (other_calls || other_errors) {
		jline_key(&a->w, "other");
		jline_object_open(&a->w);
		jline_kv_uint64(&a->w, "calls", other_calls);
		jline_kv_uint64(&a->w, "errors", other_errors);
		jline_object_close(&a->w);
	}
	jline_kv_uint64(&a->w, "calls", calls);
	jline_kv_uint64(&a->w, "errors", errors);
	end_line(a);
	audit_sink_flush(a->sink);
}

/* ---- suppressed ---- */

static void write_drop_rows(struct jline *w, const struct audit_rate *r)
{
	jline_key(w, "syscalls");
	jline_array_open(w);
	for (size_t i = 0; i < r->n_rows; i++) {
		jline_object_open(w);
		write_arch_and_name(w, r->rows[i].arch, r->rows[i].nr);
		jline_kv_uint64(w, "dropped", r->rows[i].dropped);
		jline_object_close(w);
	}
	jline_array_close(w);
}

/* What the rate limit dropped in its last second: per syscall, per lifecycle event. */
static void write_suppressed(struct audit *a)
{
	const struct audit_rate *r = &a->rate;
	bool any_event = false;

	begin_line(a, "suppressed", false, 0, 0);
	jline_kv_uint64(&a->w, "dropped", r->dropped);
	if (r->n_rows)
		write_drop_rows(&a->w, r);
	if (r->unlisted)
		jline_kv_uint64(&a->w, "unlisted", r->unlisted);
	for (int e = 0; e < AUDIT_EV_COUNT; e++) {
		if (r->events[e] == 0)
			continue;
		if (!any_event) {
			jline_key(&a->w, "events");
			jline_object_open(&a->w);
			any_event = true;
		}
		jline_kv_uint64(&a->w, audit_rated_event_name((enum audit_rated_event)e),
				r->events[e]);
	}
	if (any_event)
		jline_object_close(&a->w);
	end_line(a);
}
