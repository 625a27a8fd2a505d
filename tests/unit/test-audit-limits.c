/* The audit log's bounds: --audit-max-size (rotation to NAME.1, whole lines, each file
 * within the limit), --audit-rate (drops counted exactly in "suppressed" events), the
 * summary's bounded table (numbers outside the syscall tables share an entry; past
 * SUMMARY_MAX_ENTRIES keys the calls go to "other") and the teardown's bounded "counts". */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "audit-check.h"
#include "audit.h"
#include "cleanup.h"
#include "jline.h"
#include "json.h"
#include "jsonw.h"
#include "summary.h"
#include "tap.h"

static void test_size_parse(void)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t want;
	} cases[] = {
		{"64M", 0, 64ull << 20},     {"256K", 0, 256ull << 10}, {"1G", 0, 1ull << 30},
		{"0", 0, 0},		     {"262144", 0, 262144},	{"255K", -1, 0},
		{"1000", -1, 0},	     {"64MB", -1, 0},		{"64m", -1, 0},
		{"", -1, 0},		     {"-1", -1, 0},		{"M", -1, 0},
		{"99999999999999G", -1, 0}, {"18446744073709551616", -1, 0},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		uint64_t got = 12345;
		int rc = audit_size_parse(cases[i].text, &got);

		ok(rc == cases[i].rc && (rc < 0 ? got == 12345 : got == cases[i].want),
		   "size \"%s\": %s", cases[i].text, rc < 0 ? "refused" : "parsed");
	}
}

static void test_rate_parse(void)
{
	unsigned r = 7;

	ok(audit_rate_parse("1000", &r) == 0 && r == 1000, "rate 1000");
	ok(audit_rate_parse("0", &r) == 0 && r == 0, "rate 0 (no limit)");
	r = 7;
	ok(audit_rate_parse("10/s", &r) < 0 && audit_rate_parse("-5", &r) < 0 &&
	       audit_rate_parse("", &r) < 0 && audit_rate_parse("99999999999", &r) < 0 && r == 7,
	   "bad rates refused, output untouched");
}

static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;

	*len = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (buf = calloc(1, (size_t)st.st_size + 1)) == NULL)
		exit(99);
	if (read(fd, buf, (size_t)st.st_size) != st.st_size)
		exit(99);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Every line of a log file valid and whole; their "tid"s (the sequence numbers the test
 * wrote) in order, from first to after last. */
static bool check_file(const char *path, long *first, long *last, size_t *lines)
{
	size_t len;
	cleanup_free char *all = slurp(path, &len);
	char *line, *nl;

	*lines = 0;
	if (all == NULL || (len > 0 && all[len - 1] != '\n'))
		return false;
	for (line = all; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		cleanup_free char *why = NULL;
		const char *tid = strstr(line, "\"tid\":");
		long n;

		*nl = '\0';
		if (audit_check_line(line, (size_t)(nl - line), &why) < 0) {
			diag("%s: %s: %s", path, why, line);
			return false;
		}
		if (tid == NULL)
			continue;
		n = strtol(tid + 6, NULL, 10);
		if (*lines > 0 && n != *last + 1) {
			diag("%s: line %ld after %ld", path, n, *last);
			return false;
		}
		if ((*lines)++ == 0)
			*first = n;
		*last = n;
	}
	return true;
}

/* Events of ~200 bytes until more than 3 limits' worth: NAME and NAME.1 only, each within
 * the limit, whole valid lines, NAME.1 the older ones and NAME the newest, none missing in
 * between. */
static void test_rotation(void)
{
	char dir[] = "/tmp/test-audit-limits-XXXXXX", path[64], old[96], older[96];
	const struct audit_config c = {.level = AUDIT_ALL, .max_size = 256 * 1024};
	struct audit *a = NULL;
	struct oci_error *err = NULL;
	struct stat st, st1;
	long f0 = 0, l0 = 0, f1 = 0, l1 = 0, n = 0;
	size_t n0, n1;
	const struct audit_field fields[] = {AUDIT_STR("path", "/usr/lib/x86_64-linux-gnu/"
							       "some/rather/long/program/name/"
							       "to/fill/the/log/faster")};

	if (mkdtemp(dir) == NULL)
		exit(99);
	snprintf(path, sizeof(path), "%s/c.jsonl", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	snprintf(older, sizeof(older), "%s.2", path);
	if (audit_open(path, -1, &c, &a, &err) < 0) {
		ok(false, "audit_open: %s", err->msg);
		oci_error_free(err);
		return;
	}
	for (n = 1; n * 200 < 3 * 256 * 1024 + 1000; n++)
		audit_event(a, "exec", 1, (pid_t)n, fields, N_ELEMENTS(fields));
	audit_close(a);
	ok(stat(path, &st) == 0 && stat(old, &st1) == 0 && access(older, F_OK) < 0,
	   "two files: c.jsonl and c.jsonl.1, no c.jsonl.2");
	ok(st.st_size <= 256 * 1024 && st1.st_size <= 256 * 1024 &&
	       st1.st_size > 256 * 1024 - 400,
	   "each within the limit (%jd, %jd bytes), the rotated one full", (intmax_t)st.st_size,
	   (intmax_t)st1.st_size);
	ok((st.st_mode & 0777) == 0640, "the new file is created with mode 0640");
	ok(check_file(old, &f1, &l1, &n1) && check_file(path, &f0, &l0, &n0),
	   "every line of both files whole and valid, in order");
	ok(l1 + 1 == f0 && l0 == n - 1, "c.jsonl.1 holds the lines just before c.jsonl's (%ld..%ld, "
	   "%ld..%ld), the last one written last", f1, l1, f0, l0);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

/* A file that is not ours any more at the rotation (moved away by someone else): not
 * renamed over, a new file made. */
static void test_rotation_moved(void)
{
	char dir[] = "/tmp/test-audit-limits-XXXXXX", path[64], moved[96], old[96];
	const struct audit_config c = {.level = AUDIT_ALL, .max_size = 256 * 1024};
	struct audit *a = NULL;
	struct oci_error *err = NULL;
	struct stat st;

	if (mkdtemp(dir) == NULL)
		exit(99);
	snprintf(path, sizeof(path), "%s/c.jsonl", dir);
	snprintf(moved, sizeof(moved), "%s/elsewhere", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	if (audit_open(path, -1, &c, &a, &err) < 0)
		exit(99);
	audit_event(a, "detach", 1, 1, NULL, 0);
	audit_flush(a);
	if (rename(path, moved) < 0)
		exit(99);
	for (int i = 0; i < 4000; i++)
		audit_event(a, "detach", 1, 1, NULL, 0);
	audit_close(a);
	ok(stat(path, &st) == 0 && access(old, F_OK) < 0 && st.st_size > 0,
	   "moved away before the rotation: a new file, nothing renamed to .1");
	unlink(path);
	unlink(moved);
	unlink(old);
	rmdir(dir);
}

/* Two writers of one log (a container's tracer and an exec's): when one rotates, the other
 * follows to the new file within a second, and does not write on into FILE.1. */
static void test_two_writers(void)
{
	char dir[] = "/tmp/test-audit-limits-XXXXXX", path[64], old[96];
	const struct audit_config c = {.level = AUDIT_ALL, .max_size = 256 * 1024};
	struct audit *a1 = NULL, *a2 = NULL;
	struct oci_error *err = NULL;
	struct timespec pause = {1, 100 * 1000 * 1000};
	size_t len0, len1;
	cleanup_free char *cur = NULL, *rotated = NULL;

	if (mkdtemp(dir) == NULL)
		exit(99);
	snprintf(path, sizeof(path), "%s/c.jsonl", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	if (audit_open(path, -1, &c, &a1, &err) < 0 || audit_open(path, -1, &c, &a2, &err) < 0)
		exit(99);
	audit_event(a2, "detach", 2, 2, NULL, 0);
	audit_flush(a2);
	for (int i = 0; i < 5000; i++) /* 75 bytes each: past the limit */
		audit_event(a1, "detach", 1, 1, NULL, 0);
	audit_flush(a1);
	nanosleep(&pause, NULL); /* the documented bound: a second */
	audit_event(a2, "detach", 3, 3, NULL, 0);
	audit_flush(a2);
	cur = slurp(path, &len0);
	rotated = slurp(old, &len1);
	ok(cur && rotated && strstr(cur, "\"pid\":3,") && !strstr(rotated, "\"pid\":3,") &&
	       strstr(rotated, "\"pid\":2,"),
	   "one writer rotated; the other follows it to the new file");
	ok(len1 <= 256 * 1024 && len0 <= 256 * 1024, "both files within the limit (%zu, %zu)",
	   len0, len1);
	audit_close(a1);
	audit_close(a2);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

static uint64_t uint_member(const struct json *v, const char *key)
{
	const struct json *m = json_get(v, key);

	return m && m->type == JSON_NUMBER ? strtoull(m->text, NULL, 10) : 0;
}

/* Lines written, and drops counted, add up to every event; each second writes at most the
 * rate's number of syscall events. */
static void test_rate(void)
{
	const struct audit_config c = {.level = AUDIT_ALL, .rate = 10};
	int fd = memfd_create("audit", MFD_CLOEXEC);
	struct audit *a = NULL;
	struct oci_error *err = NULL;
	uint64_t written = 0, dropped = 0, rows = 0, exits = 0;
	bool armed, unknown;
	size_t len;
	char path[64];
	cleanup_free char *all = NULL;
	char *line, *nl;

	if (fd < 0 || audit_open(NULL, fd, &c, &a, &err) < 0)
		exit(99);
	for (int i = 0; i < 300; i++) {
		struct audit_syscall ev = {.pid = 1, .tid = 1, .comm = "x",
					   .arch = AUDIT_ARCH_X86_64,
					   .nr = i % 3 ? SYS_getppid : 100000 + i,
					   .action = "SCMP_ACT_ERRNO", .rule = -1};

		audit_syscall(a, &ev);
	}
	for (int i = 0; i < 20; i++)
		audit_event(a, "exit", 2, 2, (struct audit_field[]){AUDIT_INT("status", 0)}, 1);
	audit_event(a, "armed", 1, 1, NULL, 0); /* never dropped */
	audit_close(a);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	all = slurp(path, &len);
	close(fd);
	armed = all && strstr(all, "\"event\":\"armed\"") != NULL;
	unknown = false;
	for (line = all; line && (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		cleanup_json struct json *v = NULL;
		cleanup_free char *why = NULL;
		const struct json *ev, *r, *e;

		*nl = '\0';
		if (audit_check_line(line, (size_t)(nl - line), &why) < 0 ||
		    json_parse(line, strlen(line), &v, &err) < 0) {
			ok(false, "valid line: %s: %s", why ? why : err->msg, line);
			return;
		}
		ev = json_get(v, "event");
		if (strcmp(ev->text, "syscall") == 0)
			written++;
		if (strcmp(ev->text, "suppressed") != 0)
			continue;
		dropped += uint_member(v, "dropped");
		r = json_get(v, "syscalls");
		for (size_t i = 0; r && i < r->len; i++) {
			const struct json *name = json_get(r->items[i], "syscall");

			rows += uint_member(r->items[i], "dropped");
			if (strcmp(name->text, "unknown") == 0)
				unknown = true;
			else if (strcmp(name->text, "getppid") != 0)
				ok(false, "a drop row of %s", name->text);
		}
		e = json_get(v, "events");
		exits += e ? uint_member(e, "exit") : 0;
	}
	ok(written >= 10 && written < 300, "some syscall events written (%ju), some dropped",
	   (uintmax_t)written);
	ok(written + rows == 300, "written + dropped per syscall = every syscall event (%ju + %ju)",
	   (uintmax_t)written, (uintmax_t)rows);
	ok(dropped == rows + exits && exits > 0, "\"dropped\" counts the lifecycle events too");
	ok(armed, "armed is never dropped");
	ok(unknown, "numbers outside the tables are dropped under \"unknown\", nothing else but "
	   "getppid");
}

static void test_summary_bounds(void)
{
	struct summary sum = {0};
	size_t n;

	for (int i = 0; i < 100000; i++)
		summary_add(&sum, AUDIT_ARCH_X86_64, 1024 + i, 7);
	summary_add(&sum, AUDIT_ARCH_X86_64, -1, 7);
	summary_add(&sum, AUDIT_ARCH_X86_64, 0x40000000 + 5000, 7);
	ok(sum.used == 1 && summary_total_calls(&sum) == 100002,
	   "numbers outside the tables share one entry (%zu), every call counted", sum.used);
	summary_add(&sum, AUDIT_ARCH_X86_64, 0x40000000 + 1, 7);
	ok(sum.used == 2, "an x32 number is one of its own");
	for (uint32_t d = 0; d < SUMMARY_MAX_ENTRIES + 10; d++) {
		summary_add(&sum, AUDIT_ARCH_X86_64, 1, d);
		summary_add_error(&sum, AUDIT_ARCH_X86_64, 1, d);
	}
	ok(sum.used == SUMMARY_MAX_ENTRIES && sum.other_calls == 12 && sum.other_errors == 12,
	   "a full table: new keys counted in other (%lu calls, %lu errors)", sum.other_calls,
	   sum.other_errors);
	ok(summary_total_calls(&sum) == 100003 + SUMMARY_MAX_ENTRIES + 10 &&
	       summary_total_errors(&sum) == SUMMARY_MAX_ENTRIES + 10,
	   "totals exact");
	free(summary_sorted(&sum, &n));
	ok(n == SUMMARY_MAX_ENTRIES, "sorted: every entry");
	summary_free(&sum);
}

/* A policy reload renumbers the slots (tracer/reload.c): every entry re-keyed, entries that
 * meet merged, the totals unchanged. */
static uint32_t halve(uint32_t data, void *ctx)
{
	(void)ctx;
	return data == SUMMARY_ALLOWED ? data : data / 2;
}

static void test_summary_remap(void)
{
	struct summary sum = {0};
	struct summary_entry *rows;
	size_t n;

	for (uint32_t d = 0; d < 4; d++) {
		summary_add(&sum, AUDIT_ARCH_X86_64, 39, d);
		summary_add(&sum, AUDIT_ARCH_X86_64, 39, d);
		summary_add_error(&sum, AUDIT_ARCH_X86_64, 39, d);
	}
	summary_add(&sum, AUDIT_ARCH_X86_64, 39, SUMMARY_ALLOWED);
	summary_remap(&sum, halve, NULL);
	rows = summary_sorted(&sum, &n);
	ok(n == 3 && sum.used == 3, "remap: 4 keys onto 2, and the allowed one kept (%zu)", n);
	ok(summary_total_calls(&sum) == 9 && summary_total_errors(&sum) == 4,
	   "remap: totals unchanged (%lu calls, %lu errors)", summary_total_calls(&sum),
	   summary_total_errors(&sum));
	ok(n == 3 && rows[0].count == 4 && rows[0].errors == 2 && rows[1].count == 4,
	   "remap: merged entries add up");
	free(rows);
	summary_free(&sum);
	summary_remap(&sum, halve, NULL);
	ok(sum.used == 0, "remap of an empty summary");
}

/* More syscalls than the teardown lists: the rest in "other", the totals exact. */
static void test_teardown_rows(void)
{
	int fd = memfd_create("audit", MFD_CLOEXEC);
	const struct audit_config c = {.level = AUDIT_ALL};
	struct audit *a = NULL;
	struct oci_error *err = NULL;
	struct summary sum = {0};
	cleanup_free char *all = NULL;
	cleanup_free char *why = NULL;
	cleanup_json struct json *v = NULL;
	char path[64];
	size_t len;

	if (fd < 0 || audit_open(NULL, fd, &c, &a, &err) < 0)
		exit(99);
	for (int nr = 0; nr < 400; nr++)
		for (int k = 0; k <= nr % 5; k++)
			summary_add(&sum, AUDIT_ARCH_X86_64, nr, SUMMARY_ALLOWED);
	audit_teardown(a, 0, 0, &sum, NULL);
	audit_close(a);
	summary_free(&sum);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	all = slurp(path, &len);
	close(fd);
	if (!ok(len > 0 && audit_check_line(all, len - 1, &why) == 0 &&
			json_parse(all, len - 1, &v, &err) == 0,
		"one valid teardown line: %s", why ? why : ""))
		return;
	ok(json_get(v, "counts")->len == AUDIT_TEARDOWN_ROWS, "%d rows", AUDIT_TEARDOWN_ROWS);
	ok(uint_member(v, "calls") == 1200 && uint_member(json_get(v, "other"), "calls") > 0,
	   "calls exact (1200), the rows left out in \"other\" (%ju)",
	   (uintmax_t)uint_member(json_get(v, "other"), "calls"));
	ok(len < 64 * 1024, "the line is bounded (%zu bytes)", len);
}

/* The audit's line writer against the general one (yajl's generator): byte for byte the
 * same JSON for every kind of value, strings of random bytes (control characters, quotes,
 * ill-formed UTF-8, NUL) included. */
static void test_jline_matches_jsonw(void)
{
	struct jline l = {0};
	size_t same = 0, rounds = 2000;

	srand(7);
	for (size_t r = 0; r < rounds; r++) {
		cleanup_jsonw struct jsonw *w = jsonw_new(0);
		char s[64];
		size_t n = (size_t)rand() % sizeof(s);
		int64_t i = ((int64_t)rand() << 33) ^ rand();
		const char *buf;
		size_t len;

		for (size_t k = 0; k < n; k++)
			s[k] = (char)(r % 3 ? rand() % 256 : rand() % 40);
		jline_reset(&l);
		jline_object_open(&l);
		jline_key(&l, "s");
		jline_string(&l, s, n);
		jline_kv_int64(&l, "i", r % 2 ? i : -i);
		jline_kv_uint64(&l, "u", r ? (uint64_t)i * 3 : UINT64_MAX);
		jline_key(&l, "a");
		jline_array_open(&l);
		jline_bool(&l, r % 2);
		jline_null(&l);
		jline_object_open(&l);
		jline_kv_cstring(&l, "k", "v");
		jline_object_close(&l);
		jline_int64(&l, r ? 0 : INT64_MIN);
		jline_array_close(&l);
		jline_object_close(&l);

		jsonw_object_open(w);
		jsonw_key(w, "s");
		jsonw_string(w, s, n);
		jsonw_kv_int64(w, "i", r % 2 ? i : -i);
		jsonw_kv_uint64(w, "u", r ? (uint64_t)i * 3 : UINT64_MAX);
		jsonw_key(w, "a");
		jsonw_array_open(w);
		jsonw_bool(w, r % 2);
		jsonw_null(w);
		jsonw_object_open(w);
		jsonw_kv_cstring(w, "k", "v");
		jsonw_object_close(w);
		jsonw_int64(w, r ? 0 : INT64_MIN);
		jsonw_array_close(w);
		jsonw_object_close(w);
		if (jsonw_finish(w, &buf, &len) == 0 && len == l.len && memcmp(buf, l.buf, len) == 0)
			same++;
		else if (same + 1 == r + 1)
			diag("differs: %.*s\n     vs: %.*s", (int)l.len, l.buf, (int)len, buf);
	}
	ok(same == rounds, "jline writes what jsonw writes, byte for byte (%zu of %zu)", same, rounds);
	jline_free(&l);
}

int main(void)
{
	test_jline_matches_jsonw();
	test_size_parse();
	test_rate_parse();
	test_rotation();
	test_rotation_moved();
	test_two_writers();
	test_rate();
	test_summary_bounds();
	test_summary_remap();
	test_teardown_rows();
	return tap_done();
}
