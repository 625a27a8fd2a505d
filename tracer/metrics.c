#include "metrics.h"

#include <inttypes.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch.h"
#include "cleanup.h"
#include "summary.h"

/* The buckets' upper bounds, in nanoseconds and as written in "le" (the last is +Inf). A
 * denied stop costs some microseconds: the buckets are finest there. */
static const uint64_t bucket_ns[METRICS_BUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 10000000, 100000000, 1000000000,
};
static const char *const bucket_le[METRICS_BUCKETS] = {
	"1e-06", "2.5e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025",
	"0.0005", "0.001", "0.0025", "0.01", "0.1", "1", "+Inf",
};

/* The length of the valid UTF-8 character at p (at most `left` bytes), 0 if invalid. */
static size_t utf8_char(const unsigned char *p, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

size_t metrics_escape(const char *value, char *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)(value ? value : "");
	size_t len = 0, left = strlen((const char *)p);

	while (*p) {
		size_t n = utf8_char(p, left);
		char esc[2] = { '\\', 0 };
		const char *piece = (const char *)p;
		size_t plen = n;

		if (n == 0 || (*p < 0x20 && *p != '\n') || *p == 0x7f) {
			piece = "?";
			plen = 1;
			n = 1;
		} else if (*p == '\\' || *p == '"' || *p == '\n') {
			esc[1] = *p == '\n' ? 'n' : (char)*p;
			piece = esc;
			plen = 2;
		}
		if (len + plen > max)
			break;
		memcpy(out + len, piece, plen);
		len += plen;
		p += n;
		left -= n;
	}
	out[len] = '\0';
	return len;
}

struct metrics *metrics_new(const char *container, const char *pod, const char *namespace_,
			    const char *mode, int fd)
{
	struct metrics *m = calloc(1, sizeof(*m));
	char c[METRICS_LABEL_MAX + 1], p[METRICS_LABEL_MAX + 1], n[METRICS_LABEL_MAX + 1];

	if (m == NULL || (m->text = malloc(METRICS_TEXT_MAX + 1)) == NULL) {
		free(m);
		return NULL;
	}
	metrics_escape(container, c, METRICS_LABEL_MAX);
	metrics_escape(pod, p, METRICS_LABEL_MAX);
	metrics_escape(namespace_, n, METRICS_LABEL_MAX);
	snprintf(m->labels, sizeof(m->labels), "container=\"%s\",pod=\"%s\",namespace=\"%s\"", c,
		 p, n);
	metrics_escape(mode, m->mode, sizeof(m->mode) - 1);
	m->fd = fd;
	return m;
}

static size_t slot_of(const struct metrics *m, uint32_t arch, int nr, uint8_t action)
{
	size_t i = ((uint32_t)nr * 2654435769u ^ arch ^ action * 40503u) & (METRICS_SLOTS - 1);

	for (;; i = (i + 1) & (METRICS_SLOTS - 1)) {
		const struct metrics_key *k = &m->keys[i];

		if (k->count == 0 || (k->nr == nr && k->arch == arch && k->action == action))
			return i;
	}
}

void metrics_syscall(struct metrics *m, uint32_t arch, int nr, enum oci_action action,
		     bool denied)
{
	struct metrics_key *k;

	if (m == NULL || (unsigned)action >= METRICS_ACTIONS)
		return;
	nr = summary_nr(nr);
	k = &m->keys[slot_of(m, arch, nr, (uint8_t)action)];
	if (k->count == 0) {
		if (m->used == METRICS_MAX_SYSCALLS) {
			m->other[action]++;
			goto counted;
		}
		*k = (struct metrics_key){ .arch = arch, .nr = nr, .action = (uint8_t)action };
		m->used++;
	}
	k->count++;
counted:
	if (denied)
		m->denials++;
	m->timing = true;
	m->changes++;
}

void metrics_join(struct metrics *m)
{
	if (m) {
		m->joins++;
		m->changes++;
	}
}

void metrics_reload(struct metrics *m, enum metrics_reload result)
{
	if (m && result <= METRICS_RELOAD_REFUSED) {
		m->reloads[result]++;
		m->changes++;
	}
}

void metrics_failure(struct metrics *m, enum metrics_failure what)
{
	if (m && what < METRICS_FAILURE_COUNT) {
		m->failures[what]++;
		m->changes++;
	}
}

void metrics_audit(struct metrics *m, uint64_t written, uint64_t suppressed)
{
	if (m && (m->audit_written != written || m->audit_suppressed != suppressed)) {
		m->audit_written = written;
		m->audit_suppressed = suppressed;
		m->changes++;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the vDSO: no syscall */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metrics_batch(struct metrics *m)
{
	if (m) {
		m->batch_ns = now_ns();
		m->timing = false;
	}
}

void metrics_resumed(struct metrics *m)
{
	/* batch_ns is 0 until the loop runs: the attach's own stops are not timed */
	if (m && m->timing) {
		m->timing = false;
		if (m->batch_ns)
			metrics_stop_time(m, now_ns() - m->batch_ns);
	}
}

uint64_t metrics_clock(const struct metrics *m)
{
	return m ? now_ns() : 0;
}

void metrics_notified(struct metrics *m, uint64_t since)
{
	if (m) {
		m->timing = false; /* counted here, not at the tracer thread's next resume */
		metrics_stop_time(m, now_ns() - since);
	}
}

void metrics_stop_time(struct metrics *m, uint64_t ns)
{
	size_t b = 0;

	if (m == NULL)
		return;
	while (b < METRICS_BUCKETS - 1 && ns > bucket_ns[b])
		b++;
	m->buckets[b]++;
	m->stops++;
	m->stop_ns += ns;
	m->changes++;
}

/* ---- rendering ---- */

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The name a key is shown under: as the audit log names it. */
static void name_key(struct metrics_key *k)
{
	uint32_t token;
	cleanup_free char *name = NULL;

	if (k->name[0])
		return;
	if (k->nr == SUMMARY_NR_UNKNOWN) {
		snprintf(k->name, sizeof(k->name), "unknown");
		return;
	}
	token = oci_arch_of_syscall(k->arch, k->nr);
	name = seccomp_syscall_resolve_num_arch(token, k->nr);
	if (name && strlen(name) < sizeof(k->name) && strspn(name, "abcdefghijklmnopqrstuvwxyz"
								    "0123456789_") == strlen(name))
		snprintf(k->name, sizeof(k->name), "%s", name);
	else
		snprintf(k->name, sizeof(k->name), "syscall_%d", k->nr);
}

struct row {
	const char *name;
	uint8_t action;
	uint64_t count;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->action - (int)y->action;
}

static void render_syscalls(struct metrics *m, struct out *o)
{
	struct row rows[METRICS_MAX_SYSCALLS + METRICS_ACTIONS];
	size_t n = 0;

	for (size_t i = 0; i < METRICS_SLOTS; i++) {
		struct metrics_key *k = &m->keys[i];

		if (k->count == 0)
			continue;
		name_key(k);
		rows[n++] = (struct row){ k->name, k->action, k->count };
	}
	for (int a = 0; a < METRICS_ACTIONS; a++)
		if (m->other[a])
			rows[n++] = (struct row){ "other", (uint8_t)a, m->other[a] };
	if (n == 0)
		return;
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	family(o, "octrace_syscalls_total", "counter",
	       "Syscalls octrace acted on, by the policy's action (complain mode: the action it "
	       "would have taken).");
	for (size_t i = 0; i < n; i++) {
		uint64_t count = rows[i].count;

		/* one key per name and action: the same name on two architectures adds up */
		while (i + 1 < n && row_cmp(&rows[i], &rows[i + 1]) == 0)
			count += rows[++i].count;
		put(o, "octrace_syscalls_total{%s,syscall=\"%s\",action=\"%s\"} %" PRIu64 "\n",
		    m->labels, rows[i].name, oci_action_name((enum oci_action)rows[i].action),
		    count);
	}
}

static void counter(struct out *o, const struct metrics *m, const char *name, const char *help,
		    uint64_t value)
{
	family(o, name, "counter", help);
	put(o, "%s{%s} %" PRIu64 "\n", name, m->labels, value);
}

static void render_histogram(const struct metrics *m, struct out *o)
{
	uint64_t cumulative = 0;

	family(o, "octrace_stop_seconds", "histogram",
	       "Time from the tracer receiving a stop at which it acted on a syscall to its "
	       "request to resume the task.");
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		cumulative += m->buckets[b];
		put(o, "octrace_stop_seconds_bucket{%s,le=\"%s\"} %" PRIu64 "\n", m->labels,
		    bucket_le[b], cumulative);
	}
	put(o, "octrace_stop_seconds_sum{%s} %" PRIu64 ".%09" PRIu64 "\n", m->labels,
	    m->stop_ns / 1000000000u, m->stop_ns % 1000000000u);
	put(o, "octrace_stop_seconds_count{%s} %" PRIu64 "\n", m->labels, m->stops);
}

size_t metrics_render(struct metrics *m, char *buf, size_t size)
{
	struct out o = { buf, size, 0, false };

	if (size == 0)
		return 0;
	family(&o, "octrace_info", "gauge", "The traced container and octrace's mode.");
	put(&o, "octrace_info{%s,mode=\"%s\"} 1\n", m->labels, m->mode);
	render_syscalls(m, &o);
	counter(&o, m, "octrace_denials_total",
		"Syscalls octrace made fail, or killed or trapped for (enforce mode, or a guard).",
		m->denials);
	counter(&o, m, "octrace_joins_total",
		"Processes that joined the container (runc exec) and were armed.", m->joins);
	family(&o, "octrace_attach_failures_total", "counter",
	       "Processes octrace failed to take: a join refused, or an enforce-mode filter that "
	       "could not be installed at the arming exec (the process is killed).");
	put(&o, "octrace_attach_failures_total{%s,reason=\"join_refused\"} %" PRIu64 "\n",
	    m->labels, m->failures[METRICS_JOIN_REFUSED]);
	put(&o, "octrace_attach_failures_total{%s,reason=\"filter_not_installed\"} %" PRIu64 "\n",
	    m->labels, m->failures[METRICS_FILTER_NOT_INSTALLED]);
	family(&o, "octrace_policy_reloads_total", "counter",
	       "Policy reloads (octrace reload --container, SIGHUP): applied, unchanged, refused.");
	put(&o, "octrace_policy_reloads_total{%s,result=\"applied\"} %" PRIu64 "\n", m->labels,
	    m->reloads[METRICS_RELOAD_APPLIED]);
	put(&o, "octrace_policy_reloads_total{%s,result=\"unchanged\"} %" PRIu64 "\n", m->labels,
	    m->reloads[METRICS_RELOAD_UNCHANGED]);
	put(&o, "octrace_policy_reloads_total{%s,result=\"refused\"} %" PRIu64 "\n", m->labels,
	    m->reloads[METRICS_RELOAD_REFUSED]);
	family(&o, "octrace_audit_events_total", "counter",
	       "Audit log events written, and dropped by the rate limit (suppressed).");
	put(&o, "octrace_audit_events_total{%s,result=\"written\"} %" PRIu64 "\n", m->labels,
	    m->audit_written);
	put(&o, "octrace_audit_events_total{%s,result=\"suppressed\"} %" PRIu64 "\n", m->labels,
	    m->audit_suppressed);
	render_histogram(m, &o);
	if (o.full) {
		buf[0] = '\0';
		return 0;
	}
	return o.len;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m);
}
