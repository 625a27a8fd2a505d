/* The Prometheus text of tracer/metrics.h: label values escaped (\\, \", \n; invalid UTF-8
 * and control characters as '?'; cut without splitting an escape or a character), the same
 * syscall name on two architectures merged into one series, the histogram's buckets
 * cumulative with +Inf equal to the count, the series bounded (past METRICS_MAX_SYSCALLS keys
 * the calls go to syscall="other", totals exact), the worst case fitting METRICS_TEXT_MAX,
 * no series twice, and metrics_write_at() leaving only the finished file. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "metrics.h"
#include "metrics_pub.h"
#include "tap.h"

static char text[METRICS_TEXT_MAX + 1];

static void test_escape(void)
{
	char out[METRICS_LABEL_MAX + 1];

	metrics_escape("a\\b\"c\nd", out, METRICS_LABEL_MAX);
	is_str(out, "a\\\\b\\\"c\\nd", "backslash, quote and newline escaped");
	metrics_escape("caf\xc3\xa9 \xe2\x82\xac", out, METRICS_LABEL_MAX);
	is_str(out, "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 kept");
	metrics_escape("x\xff\xc3(\xed\xa0\x80y\tz\x7f", out, METRICS_LABEL_MAX);
	is_str(out, "x?" "?(?" "??y?z?", "invalid UTF-8, a surrogate, tab and DEL as '?'");
	metrics_escape("\xe0\x80\x80", out, METRICS_LABEL_MAX);
	is_str(out, "???", "an overlong form as '?'");
	metrics_escape("abc\"", out, 4);
	is_str(out, "abc", "cut before an escape that does not fit whole");
	metrics_escape("ab\xe2\x82\xac", out, 4);
	is_str(out, "ab", "cut before a character that does not fit whole");
	metrics_escape(NULL, out, 4);
	is_str(out, "", "NULL is empty");
}

/* The value of the sample line that starts with `series` (whole name and labels), or -1. */
static int64_t value_of(const char *t, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = t; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

/* Every sample line is NAME{LABELS} VALUE, and no NAME{LABELS} comes twice. */
static bool well_formed(const char *t, size_t *samples)
{
	char *copy = strdup(t), *save = NULL, **seen = calloc(4096, sizeof(*seen));
	size_t n = 0;
	bool good = copy && seen;

	for (char *line = strtok_r(copy, "\n", &save); good && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *brace = strchr(line, '{'), *close = strrchr(line, '}');

		if (line[0] == '#') {
			good = strncmp(line, "# HELP octrace_", 15) == 0 ||
			       strncmp(line, "# TYPE octrace_", 15) == 0;
			continue;
		}
		if (brace == NULL || close == NULL || close[1] != ' ' || close[2] == '\0' ||
		    strspn(line, "abcdefghijklmnopqrstuvwxyz_") != (size_t)(brace - line)) {
			diag("bad line: %s", line);
			good = false;
			break;
		}
		close[1] = '\0';
		for (size_t i = 0; i < n; i++)
			if (strcmp(seen[i], line) == 0) {
				diag("twice: %s", line);
				good = false;
			}
		if (n < 4096)
			seen[n++] = line;
	}
	*samples = n;
	free(seen);
	free(copy);
	return good;
}

static void test_syscalls(void)
{
	struct metrics *m = metrics_new("c1", "web-1", "shop", "enforce", -1);
	size_t len, samples;

	for (int i = 0; i < 3; i++)
		metrics_syscall(m, AUDIT_ARCH_X86_64, 121, OCI_ACT_ERRNO, true); /* getpgid */
	for (int i = 0; i < 2; i++)
		metrics_syscall(m, AUDIT_ARCH_I386, 132, OCI_ACT_ERRNO, true); /* getpgid */
	metrics_syscall(m, AUDIT_ARCH_X86_64, 80, OCI_ACT_LOG, false); /* chdir */
	metrics_syscall(m, AUDIT_ARCH_X86_64, -5, OCI_ACT_ERRNO, true);
	metrics_join(m);
	metrics_failure(m, METRICS_JOIN_REFUSED);
	metrics_audit(m, 17, 4);
	len = metrics_render(m, text, sizeof(text));
	ok(len > 0 && len == strlen(text), "rendered, %zu bytes", len);
	samples = 0;
	ok(well_formed(text, &samples), "every sample line well formed, none twice");
	ok(value_of(text, "octrace_syscalls_total{container=\"c1\",pod=\"web-1\",namespace=\"shop\","
			  "syscall=\"getpgid\",action=\"SCMP_ACT_ERRNO\"}") == 5,
	   "getpgid on x86_64 and i386: one series of 5");
	ok(value_of(text, "octrace_syscalls_total{container=\"c1\",pod=\"web-1\",namespace=\"shop\","
			  "syscall=\"chdir\",action=\"SCMP_ACT_LOG\"}") == 1,
	   "chdir, SCMP_ACT_LOG: 1");
	ok(value_of(text, "octrace_syscalls_total{container=\"c1\",pod=\"web-1\",namespace=\"shop\","
			  "syscall=\"unknown\",action=\"SCMP_ACT_ERRNO\"}") == 1,
	   "a number outside the tables: syscall=\"unknown\"");
	ok(value_of(text, "octrace_denials_total{container=\"c1\",pod=\"web-1\",namespace=\"shop\"}") ==
		   6,
	   "denials: 6");
	ok(value_of(text, "octrace_joins_total{container=\"c1\",pod=\"web-1\",namespace=\"shop\"}") == 1,
	   "joins: 1");
	ok(value_of(text, "octrace_attach_failures_total{container=\"c1\",pod=\"web-1\","
			  "namespace=\"shop\",reason=\"join_refused\"}") == 1 &&
		   value_of(text, "octrace_attach_failures_total{container=\"c1\",pod=\"web-1\","
				  "namespace=\"shop\",reason=\"filter_not_installed\"}") == 0,
	   "attach failures by reason, 0 shown too");
	ok(value_of(text, "octrace_audit_events_total{container=\"c1\",pod=\"web-1\","
			  "namespace=\"shop\",result=\"written\"}") == 17 &&
		   value_of(text, "octrace_audit_events_total{container=\"c1\",pod=\"web-1\","
				  "namespace=\"shop\",result=\"suppressed\"}") == 4,
	   "audit events written 17, suppressed 4");
	ok(strstr(text, "# TYPE octrace_syscalls_total counter\n") != NULL &&
		   strstr(text, "# TYPE octrace_stop_seconds histogram\n") != NULL,
	   "TYPE lines");
	metrics_free(m);

	m = metrics_new("c2", NULL, NULL, "trace", -1);
	metrics_render(m, text, sizeof(text));
	ok(strstr(text, "octrace_syscalls_total") == NULL,
	   "no syscall acted on: no octrace_syscalls_total family at all");
	ok(strstr(text, "octrace_info{container=\"c2\",pod=\"\",namespace=\"\",mode=\"trace\"} 1\n") !=
		   NULL,
	   "no pod: empty pod and namespace labels");
	metrics_free(m);
}

static void test_histogram(void)
{
	struct metrics *m = metrics_new("h", NULL, NULL, "enforce", -1);
	const uint64_t times[] = { 500, 1000, 3000, 3000, 40000, 2000000000 };
	static const char *const le[] = { "1e-06", "2.5e-06", "5e-06", "1e-05", "5e-05", "1", "+Inf" };
	const int64_t want[] = { 2, 2, 4, 4, 5, 5, 6 };
	int64_t prev = 0;
	bool monotonic = true;
	char series[256];
	size_t len;

	for (size_t i = 0; i < N_ELEMENTS(times); i++)
		metrics_stop_time(m, times[i]);
	len = metrics_render(m, text, sizeof(text));
	ok(len > 0, "rendered");
	for (size_t i = 0; i < N_ELEMENTS(le); i++) {
		snprintf(series, sizeof(series),
			 "octrace_stop_seconds_bucket{container=\"h\",pod=\"\",namespace=\"\",le=\"%s\"}",
			 le[i]);
		ok(value_of(text, series) == want[i], "bucket le=%s: %" PRId64 " (got %" PRId64 ")",
		   le[i], want[i], value_of(text, series));
	}
	/* every bucket, in order: never decreasing */
	for (const char *p = strstr(text, "octrace_stop_seconds_bucket"); p;
	     p = strstr(p + 1, "octrace_stop_seconds_bucket")) {
		int64_t v = strtoll(strchr(p, ' ') + 1, NULL, 10);

		monotonic = monotonic && v >= prev;
		prev = v;
	}
	ok(monotonic && prev == 6, "buckets cumulative, the last (+Inf) is the count");
	ok(strstr(text, "octrace_stop_seconds_sum{container=\"h\",pod=\"\",namespace=\"\"} "
			"2.000047500\n") != NULL,
	   "sum in seconds");
	ok(value_of(text, "octrace_stop_seconds_count{container=\"h\",pod=\"\",namespace=\"\"}") == 6,
	   "count 6");
	metrics_free(m);
}

static void test_bounded(void)
{
	char label[4 * METRICS_LABEL_MAX];
	struct metrics *m;
	uint64_t total = 0;
	size_t len, samples, named = 0;
	int64_t other;

	memset(label, '"', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	m = metrics_new(label, label, label, "enforce", -1);
	ok(strlen(m->labels) <= 3 * METRICS_LABEL_MAX + 40, "labels cut at %d bytes each",
	   METRICS_LABEL_MAX);
	for (int a = 0; a < METRICS_ACTIONS; a++)
		for (int nr = 0; nr < 1000; nr++)
			metrics_syscall(m, AUDIT_ARCH_X86_64, nr, (enum oci_action)a, false);
	for (uint64_t ns = 1; ns < 4000000000u; ns *= 3)
		metrics_stop_time(m, ns);
	len = metrics_render(m, text, sizeof(text));
	ok(len > 0 && len <= METRICS_TEXT_MAX, "the worst case fits: %zu <= %d bytes", len,
	   METRICS_TEXT_MAX);
	samples = 0;
	ok(well_formed(text, &samples), "well formed, none twice");
	diag("%zu samples", samples);
	for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *end = strchr(line, '\n'), *o = strstr(line, "syscall=\"other\"");

		if (strncmp(line, "octrace_syscalls_total{", 23) != 0)
			continue;
		total += strtoull(strstr(line, "} ") + 2, NULL, 10);
		if (o == NULL || o > end)
			named++;
	}
	ok(total == 1000u * METRICS_ACTIONS, "every call counted: %" PRIu64, total);
	ok(named <= METRICS_MAX_SYSCALLS, "at most %d named series (%zu)", METRICS_MAX_SYSCALLS,
	   named);
	metrics_free(m);

	m = metrics_new("b", "", "", "enforce", -1);
	for (int nr = 0; nr < 300; nr++)
		metrics_syscall(m, AUDIT_ARCH_X86_64, nr, OCI_ACT_ERRNO, true);
	metrics_render(m, text, sizeof(text));
	other = value_of(text, "octrace_syscalls_total{container=\"b\",pod=\"\",namespace=\"\","
			       "syscall=\"other\",action=\"SCMP_ACT_ERRNO\"}");
	ok(other == 300 - METRICS_MAX_SYSCALLS, "past %d keys: syscall=\"other\" counts the rest (%" PRId64
	   ")", METRICS_MAX_SYSCALLS, other);
	metrics_free(m);
}

static void test_write(void)
{
	char dir[] = "/tmp/test-metrics.XXXXXX", path[64], buf[64];
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_close int fd = -1;
	struct dirent *de;
	struct stat st;
	size_t entries = 0;
	ssize_t n;
	DIR *d;

	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp");
		return;
	}
	fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	ok(metrics_write_at(fd, dir, "x.prom", "one\n", 4, &err) == 0 &&
		   metrics_write_at(fd, dir, "x.prom", "second\n", 7, &err) == 0,
	   "written twice");
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	int r = open(path, O_RDONLY | O_CLOEXEC);

	n = r >= 0 ? read(r, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (r >= 0)
		close(r);
	is_str(buf, "second\n", "the file holds the last text");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644");
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			entries++;
	if (d)
		closedir(d);
	ok(entries == 1, "no temporary file left (%zu entries)", entries);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_escape();
	test_syscalls();
	test_histogram();
	test_bounded();
	test_write();
	return tap_done();
}
