/* The audit log writer; see audit.h for the guarantees and docs/audit-format.md for the
 * format. Each line is built in one jsonw and leaves in one writev(2) (the JSON and its
 * newline): a regular file opened O_APPEND takes it whole, so lines never interleave and a
 * crash loses only the event being written. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "cleanup.h"
#include "compile.h"
#include "decode.h"
#include "jsonw.h"
#include "log.h"
#include "summary.h"

struct audit {
	int fd;
	bool own_fd;
	enum audit_level level;
	char *container; /* owned, may be NULL */
	char *name;	 /* owned: the file, for messages */
	struct jsonw *w; /* owned; one line at a time */
	bool warned;	 /* a write error was reported */
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

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static int open_file(const char *path, int fd, char **name, int *out, struct oci_error **err)
{
	if (path == NULL) {
		if (fd < 0)
			return oci_fail(err, EBADF, "audit: no file given");
		if (asprintf(name, "audit fd %d", fd) < 0)
			abort();
		*out = fd;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return oci_fail(err, errno, "%s: cannot open: %s", path, strerror(errno));
	*name = xstrdup(path);
	*out = fd;
	return 0;
}

int audit_open(const char *path, int fd, enum audit_level level, const char *container_id,
	       struct audit **out, struct oci_error **err)
{
	struct audit *a;
	char *name = NULL;
	int use_fd = -1;

	if (open_file(path, fd, &name, &use_fd, err) < 0)
		return -1;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		abort();
	a->fd = use_fd;
	a->own_fd = path != NULL;
	a->level = level;
	a->container = container_id && *container_id ? xstrdup(container_id) : NULL;
	a->name = name;
	a->w = jsonw_new(0);
	*out = a;
	return 0;
}

void audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->own_fd)
		close(a->fd);
	jsonw_free(a->w);
	free(a->container);
	free(a->name);
	free(a);
}

enum audit_level audit_level(const struct audit *a) { return a->level; }

/* ---- one line ---- */

/* RFC 3339 in UTC with nanoseconds: "2026-11-23T17:24:16.804180184Z". */
static void write_time(struct jsonw *w)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
	jsonw_kv_cstring(w, "time", buf);
}

/* The common keys; teardown is nobody's event and has no pid and tid. */
static void begin_line(struct audit *a, const char *event, bool with_task, pid_t pid, pid_t tid)
{
	jsonw_reset(a->w);
	jsonw_object_open(a->w);
	write_time(a->w);
	jsonw_kv_cstring(a->w, "event", event);
	if (a->container)
		jsonw_kv_cstring(a->w, "container", a->container);
	if (with_task) {
		jsonw_kv_int64(a->w, "pid", pid);
		jsonw_kv_int64(a->w, "tid", tid);
	}
}

static void report_once(struct audit *a, const char *what)
{
	if (a->warned)
		return;
	a->warned = true;
	log_warn_errno("%s: %s (further audit errors are not reported)", a->name, what);
}

/* writev until done: a pipe or a full disk may take part of it. */
static void write_all(struct audit *a, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(a->fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			report_once(a, "write failed");
			return;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
}

static void end_line(struct audit *a)
{
	const char *buf;
	size_t len;
	char nl[] = "\n";
	struct iovec iov[2];

	jsonw_object_close(a->w);
	if (jsonw_finish(a->w, &buf, &len) < 0) {
		report_once(a, "internal: malformed audit event dropped");
		return;
	}
	iov[0] = (struct iovec){.iov_base = (void *)buf, .iov_len = len};
	iov[1] = (struct iovec){.iov_base = nl, .iov_len = 1};
	write_all(a, iov, 2);
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

/* /proc/TID/comm holds at most 15 bytes and a newline; "" when the task is gone. */
static void read_comm(pid_t tid, char *buf, size_t size)
{
	char path[32];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, size - 1) : -1;
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

static void write_arch_and_name(struct jsonw *w, uint32_t arch, int nr)
{
	uint32_t token = oci_arch_of_syscall(arch, nr);
	const char *arch_name = oci_arch_name(token);
	cleanup_free char *name = seccomp_syscall_resolve_num_arch(token, nr);
	char buf[32];

	if (arch_name == NULL) {
		snprintf(buf, sizeof(buf), "0x%08x", arch);
		arch_name = buf;
	}
	jsonw_kv_cstring(w, "arch", arch_name);
	if (name) {
		jsonw_kv_cstring(w, "syscall", name);
	} else {
		snprintf(buf, sizeof(buf), "syscall_%d", nr);
		jsonw_kv_cstring(w, "syscall", buf);
	}
	jsonw_kv_int64(w, "nr", nr);
}

static void write_rule(struct jsonw *w, int rule)
{
	if (rule >= 0)
		jsonw_kv_int64(w, "rule", rule);
	else if (rule == AUDIT_RULE_DEFAULT)
		jsonw_kv_cstring(w, "rule", "default");
	else if (rule == AUDIT_RULE_BAD_ARCH)
		jsonw_kv_cstring(w, "rule", "bad-arch");
	else if (rule == AUDIT_RULE_GUARD)
		jsonw_kv_cstring(w, "rule", "guard");
}

/* "EFAULT", or the number for an errno glibc has no name for. */
static void write_errno_name(struct jsonw *w, int errnum)
{
	const char *name = strerrorname_np(errnum);
	char buf[24];

	if (name == NULL) {
		snprintf(buf, sizeof(buf), "errno %d", errnum);
		name = buf;
	}
	jsonw_cstring(w, name);
}

static void write_decoded_field(struct jsonw *w, const struct decoded *d,
				const struct decoded_field *f)
{
	const char *s = decoded_text(d, f);

	jsonw_key(w, f->key);
	switch (f->type) {
	case DECODED_STRING:
		jsonw_string(w, s, f->len);
		break;
	case DECODED_INT:
		jsonw_int64(w, f->num);
		break;
	case DECODED_BOOL:
		jsonw_bool(w, f->num != 0);
		break;
	case DECODED_STRINGS:
		jsonw_array_open(w);
		for (uint32_t i = 0; i < f->len; s += strlen(s) + 1, i++)
			jsonw_cstring(w, s);
		jsonw_array_close(w);
		break;
	case DECODED_ERROR:
		jsonw_object_open(w);
		jsonw_key(w, "error");
		write_errno_name(w, (int)f->num);
		jsonw_object_close(w);
		break;
	}
}

static void write_decoded(struct jsonw *w, const struct decoded *d)
{
	jsonw_key(w, "decoded");
	jsonw_object_open(w);
	for (size_t i = 0; i < d->n; i++)
		write_decoded_field(w, d, &d->fields[i]);
	jsonw_object_close(w);
}

/* A NULL action is a syscall no rule was asked about: allowed. */
static void write_action(struct jsonw *w, const struct audit_syscall *ev)
{
	const char *action = ev->action ? ev->action : "SCMP_ACT_ALLOW";

	jsonw_kv_cstring(w, "action", ev->complain ? "SCMP_ACT_ALLOW" : action);
	if (ev->complain)
		jsonw_kv_cstring(w, "would", action);
	if (carries_errno(action))
		jsonw_kv_int64(w, "errno", ev->errno_ret);
	write_rule(w, ev->rule);
	if (ev->rule == AUDIT_RULE_GUARD && ev->guard)
		jsonw_kv_cstring(w, "guard", ev->guard);
}

void audit_syscall(struct audit *a, const struct audit_syscall *ev)
{
	char comm[64];

	if (!audit_wants(a, ev->action, ev->rule))
		return;
	if (ev->comm == NULL)
		read_comm(ev->tid, comm, sizeof(comm));
	begin_line(a, "syscall", true, ev->pid, ev->tid);
	jsonw_kv_cstring(a->w, "comm", ev->comm ? ev->comm : comm);
	write_arch_and_name(a->w, ev->arch, ev->nr);
	jsonw_key(a->w, "args");
	jsonw_array_open(a->w);
	for (size_t i = 0; i < 6; i++)
		jsonw_uint64(a->w, ev->args[i]);
	jsonw_array_close(a->w);
	write_action(a->w, ev);
	if (ev->has_ret)
		jsonw_kv_int64(a->w, "ret", ev->ret);
	if (ev->decoded && ev->decoded->n > 0)
		write_decoded(a->w, ev->decoded);
	end_line(a);
}

/* ---- lifecycle ---- */

static bool is_common_key(const char *key)
{
	static const char *const common[] = {"time", "event", "container", "pid", "tid"};

	for (size_t i = 0; i < N_ELEMENTS(common); i++)
		if (strcmp(key, common[i]) == 0)
			return true;
	return false;
}

static void write_field(struct jsonw *w, const struct audit_field *f)
{
	jsonw_key(w, f->key);
	switch (f->type) {
	case AUDIT_FIELD_STRING:
		if (f->s)
			jsonw_cstring(w, f->s);
		else
			jsonw_null(w);
		break;
	case AUDIT_FIELD_INT:
		jsonw_int64(w, f->i);
		break;
	case AUDIT_FIELD_UINT:
		jsonw_uint64(w, f->u);
		break;
	case AUDIT_FIELD_STRINGS:
		jsonw_array_open(w);
		for (size_t i = 0; i < f->sv.n; i++)
			jsonw_cstring(w, f->sv.v[i]);
		jsonw_array_close(w);
		break;
	}
}

void audit_event(struct audit *a, const char *event, pid_t pid, pid_t tid,
		 const struct audit_field *fields, size_t n)
{
	if (a == NULL)
		return;
	begin_line(a, event, true, pid, tid);
	for (size_t i = 0; i < n; i++)
		if (fields[i].key && !is_common_key(fields[i].key))
			write_field(a->w, &fields[i]);
	end_line(a);
}

/* The action of a summary entry, named as the --summary table names it. */
static void write_count_action(struct jsonw *w, const struct oci_filter *filter, uint32_t data)
{
	const struct oci_slot *sl = oci_filter_slot(filter, data);

	if (data == SUMMARY_ALLOWED) {
		jsonw_kv_cstring(w, "action", "SCMP_ACT_ALLOW");
		return;
	}
	if (sl == NULL) { /* SCMP_ACT_TRACE of a filter that is not ours */
		jsonw_kv_cstring(w, "action", "SCMP_ACT_TRACE");
		jsonw_kv_int64(w, "errno", data);
		return;
	}
	jsonw_kv_cstring(w, "action", oci_action_name(sl->action));
	if (sl->action == OCI_ACT_ERRNO || sl->action == OCI_ACT_TRACE)
		jsonw_kv_int64(w, "errno", sl->errno_ret);
}

static void write_count(struct jsonw *w, const struct summary_entry *e,
			const struct oci_filter *filter)
{
	jsonw_object_open(w);
	write_arch_and_name(w, e->arch, e->nr);
	write_count_action(w, filter, e->data);
	jsonw_kv_uint64(w, "calls", e->count);
	jsonw_kv_uint64(w, "errors", e->errors);
	jsonw_object_close(w);
}

void audit_teardown(struct audit *a, pid_t joined, int exit_status, const struct summary *sum,
		    const struct oci_filter *filter)
{
	size_t n = 0;
	cleanup_free struct summary_entry *rows = sum ? summary_sorted(sum, &n) : NULL;
	uint64_t calls = 0, errors = 0;

	if (a == NULL)
		return;
	begin_line(a, joined ? "leave" : "teardown", joined != 0, joined, joined);
	jsonw_kv_int64(a->w, "status", exit_status);
	jsonw_key(a->w, "counts");
	jsonw_array_open(a->w);
	for (size_t i = 0; i < n; i++) {
		write_count(a->w, &rows[i], filter);
		calls += rows[i].count;
		errors += rows[i].errors;
	}
	jsonw_array_close(a->w);
	jsonw_kv_uint64(a->w, "calls", calls);
	jsonw_kv_uint64(a->w, "errors", errors);
	end_line(a);
}
