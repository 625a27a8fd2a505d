/* tracer/audit.c: events written to a memfd, read back with oci/json.c, every field
 * checked, and every line run through the format checker (audit-check.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit-check.h"
#include "audit.h"
#include "cleanup.h"
#include "compile.h"
#include "decode.h"
#include "json.h"
#include "policy.h"
#include "summary.h"
#include "tap.h"

#define MAX_LINES 32

static const struct audit_config level_all = {.level = AUDIT_ALL};

struct lines {
	struct json *v[MAX_LINES];
	char *text[MAX_LINES];
	size_t n;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		json_free(l->v[i]);
		free(l->text[i]);
	}
	l->n = 0;
}

#define cleanup_lines __attribute__((cleanup(lines_free)))

static char *read_all(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)size + 1);

	if (buf == NULL || pread(fd, buf, (size_t)size, 0) != size)
		exit(99);
	return buf;
}

/* Every line of fd (a memfd) parsed; each must end with "\n" and pass the format check
 * unless `check` is false. */
static void read_lines(int fd, struct lines *out, bool check)
{
	cleanup_free char *all = read_all(fd);
	char *line = all, *nl;

	out->n = 0;
	while ((nl = strchr(line, '\n')) != NULL && out->n < MAX_LINES) {
		struct oci_error *err = NULL;
		cleanup_free char *why = NULL;

		*nl = '\0';
		out->text[out->n] = strdup(line);
		if (json_parse(line, (size_t)(nl - line), &out->v[out->n], &err) < 0) {
			ok(false, "line parses: %s", err->msg);
			oci_error_free(err);
			free(out->text[out->n]);
			line = nl + 1;
			continue;
		}
		if (check && audit_check_line(line, (size_t)(nl - line), &why) < 0)
			ok(false, "line matches the format: %s: %s", why, line);
		out->n++;
		line = nl + 1;
	}
	ok(*line == '\0', "nothing after the last newline");
}

static int new_memfd(void)
{
	int fd = memfd_create("audit", MFD_CLOEXEC);

	if (fd < 0)
		exit(99);
	return fd;
}

static struct audit *open_on(int fd, enum audit_level level, const char *container)
{
	struct audit *a = NULL;
	struct oci_error *err = NULL;

	struct audit_config c = {.level = level, .container = container};

	if (audit_open(NULL, fd, &c, &a, &err) < 0) {
		diag("audit_open: %s", err->msg);
		exit(99);
	}
	return a;
}

static const char *str(const struct json *line, const char *key)
{
	const struct json *v = json_get(line, key);

	return v && v->type == JSON_STRING ? v->text : NULL;
}

/* A number member as its raw text, so that 64-bit values compare exactly. */
static const char *num(const struct json *line, const char *key)
{
	const struct json *v = json_get(line, key);

	return v && v->type == JSON_NUMBER ? v->text : NULL;
}

static void test_levels(void)
{
	enum audit_level l = AUDIT_ALL;

	ok(audit_level_parse("denied", &l) == 0 && l == AUDIT_DENIED, "level denied");
	ok(audit_level_parse("traced", &l) == 0 && l == AUDIT_TRACED, "level traced");
	ok(audit_level_parse("all", &l) == 0 && l == AUDIT_ALL, "level all");
	l = AUDIT_TRACED;
	ok(audit_level_parse("everything", &l) < 0 && l == AUDIT_TRACED,
	   "unknown level refused, output untouched");
	is_str(audit_level_name(AUDIT_TRACED), "traced", "audit_level_name");
}

static void check_open_error(const char *path, int fd, const char *want)
{
	struct audit *sentinel = (struct audit *)&sentinel, *a = sentinel;
	struct oci_error *err = NULL;

	if (!ok(audit_open(path, fd, &level_all, &a, &err) < 0 && a == sentinel,
		"audit_open(%s) fails, *out untouched", path ? path : "NULL")) {
		audit_close(a);
		return;
	}
	is_str(err->msg, want, "audit_open error names the file");
	oci_error_free(err);
}

static void test_open_file(void)
{
	char dir[] = "/tmp/test-audit-XXXXXX";
	char path[64];
	struct oci_error *err = NULL;
	struct audit *a = NULL;
	struct stat st;
	int fd;

	check_open_error("/nonexistent-octrace-dir/audit.jsonl", -1,
			 "/nonexistent-octrace-dir/audit.jsonl: cannot open: No such file or "
			 "directory");
	check_open_error(NULL, -1, "audit: no file given");
	if (mkdtemp(dir) == NULL)
		exit(99);
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	for (int round = 0; round < 2; round++) {
		if (audit_open(path, -1, &level_all, &a, &err) < 0) {
			ok(false, "audit_open(%s): %s", path, err->msg);
			oci_error_free(err);
			return;
		}
		audit_event(a, "detach", 10 + round, 10 + round, NULL, 0);
		audit_close(a);
	}
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "created with mode 0640");
	fd = open(path, O_RDONLY);
	{
		cleanup_lines struct lines l = {.n = 0};

		read_lines(fd, &l, true);
		ok(l.n == 2 && strcmp(num(l.v[0], "pid"), "10") == 0 &&
		       strcmp(num(l.v[1], "pid"), "11") == 0,
		   "reopening appends");
	}
	close(fd);
	unlink(path);
	rmdir(dir);
}

/* A symlink is refused (O_NOFOLLOW: ELOOP), dangling or not: the log is not written
 * wherever someone who can write the directory points it. */
static void test_nofollow_message(void)
{
	struct audit *a = NULL;
	struct oci_error *err = NULL;
	char dir[] = "/tmp/test-audit-XXXXXX", target[64], link[64];

	if (mkdtemp(dir) == NULL)
		exit(99);
	snprintf(target, sizeof(target), "%s/t", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	if (symlink(target, link) < 0)
		exit(99);
	ok(audit_open(link, -1, &level_all, &a, &err) < 0 && err->code == ELOOP &&
	       strstr(err->msg, link) == err->msg,
	   "a symlink is refused (O_NOFOLLOW): %s", err ? err->msg : "opened");
	oci_error_free(err);
	ok(access(target, F_OK) < 0, "nothing created through the symlink");
	unlink(link);
	rmdir(dir);
}

static void check_args(const struct json *line, const uint64_t want[6])
{
	const struct json *args = json_get(line, "args");
	bool same = args && args->type == JSON_ARRAY && args->len == 6;

	for (size_t i = 0; same && i < 6; i++) {
		char text[24];

		snprintf(text, sizeof(text), "%ju", (uintmax_t)want[i]);
		same = strcmp(args->items[i]->text, text) == 0;
	}
	ok(same, "args: six exact 64-bit numbers");
}

static void test_syscall_denied(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_DENIED, "ctr-1");
	cleanup_lines struct lines l = {.n = 0};
	const struct audit_syscall ev = {
	    .pid = 100,
	    .tid = 101,
	    .comm = "worker",
	    .arch = AUDIT_ARCH_X86_64,
	    .nr = SYS_mkdir,
	    .args = {1, 2, UINT64_MAX, 0, 0, 0x8000000000000000ull},
	    .action = "SCMP_ACT_ERRNO",
	    .errno_ret = 13,
	    .rule = 3,
	};

	audit_syscall(a, &ev);
	audit_close(a);
	read_lines(fd, &l, true);
	close(fd);
	if (!ok(l.n == 1, "one line"))
		return;
	is_str(str(l.v[0], "event"), "syscall", "event");
	is_str(str(l.v[0], "container"), "ctr-1", "container");
	is_str(num(l.v[0], "pid"), "100", "pid");
	is_str(num(l.v[0], "tid"), "101", "tid");
	is_str(str(l.v[0], "comm"), "worker", "comm");
	is_str(str(l.v[0], "arch"), "x86_64", "arch");
	is_str(str(l.v[0], "syscall"), "mkdir", "syscall name");
	is_str(num(l.v[0], "nr"), "83", "nr");
	check_args(l.v[0], ev.args);
	is_str(str(l.v[0], "action"), "SCMP_ACT_ERRNO", "action");
	is_str(num(l.v[0], "errno"), "13", "errno");
	is_str(num(l.v[0], "rule"), "3", "rule index");
	ok(!json_get(l.v[0], "would") && !json_get(l.v[0], "ret") && !json_get(l.v[0], "decoded"),
	   "no would, ret or decoded");
	ok(strlen(str(l.v[0], "time")) == 30 && str(l.v[0], "time")[29] == 'Z', "time: %s",
	   str(l.v[0], "time"));
	is_str(l.v[0]->keys[0], "time", "time comes first");
}

static void test_syscall_variants(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_ALL, NULL);
	cleanup_lines struct lines l = {.n = 0};
	struct audit_syscall ev = {.pid = 7, .tid = 8, .comm = "c", .arch = AUDIT_ARCH_X86_64};

	ev.nr = SYS_ptrace, ev.action = "SCMP_ACT_KILL_PROCESS", ev.rule = AUDIT_RULE_DEFAULT;
	ev.complain = true;
	audit_syscall(a, &ev);
	ev.complain = false;
	ev.arch = AUDIT_ARCH_I386, ev.nr = 1, ev.action = "SCMP_ACT_KILL_THREAD";
	ev.rule = AUDIT_RULE_BAD_ARCH;
	audit_syscall(a, &ev);
	ev.arch = AUDIT_ARCH_X86_64, ev.nr = 0x40000000, ev.action = "SCMP_ACT_ALLOW";
	ev.rule = AUDIT_RULE_NONE, ev.has_ret = true, ev.ret = -2;
	audit_syscall(a, &ev);
	ev.nr = 4000, ev.has_ret = false, ev.action = "SCMP_ACT_TRACE", ev.errno_ret = 5;
	ev.rule = 0, ev.comm = "bad\xff";
	audit_syscall(a, &ev);
	ev.nr = SYS_getpid, ev.action = NULL, ev.rule = AUDIT_RULE_NONE, ev.comm = "x";
	audit_syscall(a, &ev);
	audit_close(a);
	read_lines(fd, &l, true);
	close(fd);
	if (!ok(l.n == 5, "five lines"))
		return;
	ok(!json_get(l.v[0], "container"), "no container key without an id");
	is_str(str(l.v[0], "action"), "SCMP_ACT_ALLOW", "complain: action is ALLOW");
	is_str(str(l.v[0], "would"), "SCMP_ACT_KILL_PROCESS", "complain: would");
	is_str(str(l.v[0], "rule"), "default", "rule -1 is \"default\"");
	ok(!json_get(l.v[0], "errno"), "no errno for KILL_PROCESS");
	is_str(str(l.v[1], "arch"), "x86", "i386 is \"x86\"");
	is_str(str(l.v[1], "syscall"), "exit", "named with the i386 table");
	is_str(str(l.v[1], "rule"), "bad-arch", "rule -2 is \"bad-arch\"");
	is_str(str(l.v[2], "arch"), "x32", "x86_64 with the x32 bit is \"x32\"");
	is_str(str(l.v[2], "syscall"), "read", "x32 read");
	is_str(num(l.v[2], "nr"), "1073741824", "nr as the kernel reported it");
	ok(!json_get(l.v[2], "rule"), "rule -3: no rule key");
	is_str(num(l.v[2], "ret"), "-2", "ret");
	is_str(str(l.v[3], "syscall"), "syscall_4000", "an unknown number");
	is_str(num(l.v[3], "errno"), "5", "TRACE carries errno");
	is_str(str(l.v[3], "comm"), "bad\xef\xbf\xbd", "comm made valid UTF-8");
	is_str(str(l.v[4], "action"), "SCMP_ACT_ALLOW", "a NULL action is written as ALLOW");
}

static void test_comm_from_proc(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_ALL, NULL);
	cleanup_lines struct lines l = {.n = 0};
	struct audit_syscall ev = {.pid = getpid(),
				   .tid = (pid_t)syscall(SYS_gettid),
				   .arch = AUDIT_ARCH_X86_64,
				   .nr = SYS_getpid,
				   .action = "SCMP_ACT_LOG",
				   .rule = 0};
	char want[32] = "";
	FILE *f = fopen("/proc/self/comm", "re");

	if (f == NULL || fgets(want, sizeof(want), f) == NULL)
		exit(99);
	fclose(f);
	want[strcspn(want, "\n")] = '\0';
	audit_syscall(a, &ev);
	ev.tid = 0x7ffffff0; /* no such task */
	audit_syscall(a, &ev);
	audit_close(a);
	read_lines(fd, &l, true);
	close(fd);
	if (!ok(l.n == 2, "two lines"))
		return;
	is_str(str(l.v[0], "comm"), want, "comm NULL: read from /proc/TID/comm");
	is_str(str(l.v[1], "comm"), "", "comm of a task that is gone: empty");
}

static void test_decoded(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_ALL, NULL);
	cleanup_lines struct lines l = {.n = 0};
	static struct decoded d1, d2;
	const char *path = "/etc/hosts";
	const char *argv[] = {"/bin/sh", "-c", "true", NULL};
	struct audit_syscall ev = {.pid = getpid(),
				   .tid = getpid(),
				   .comm = "t",
				   .arch = AUDIT_ARCH_X86_64,
				   .action = "SCMP_ACT_LOG"};
	const struct json *dec;

	ev.nr = SYS_openat;
	ev.args[0] = (uint64_t)-100, ev.args[1] = (uintptr_t)path,
	ev.args[2] = O_RDONLY | O_CLOEXEC;
	decode_syscall(getpid(), AUDIT_ARCH_X86_64, ev.nr, ev.args, &d1);
	ev.decoded = &d1;
	audit_syscall(a, &ev);
	ev.nr = SYS_execve;
	ev.args[0] = 1, ev.args[1] = (uintptr_t)argv;
	decode_syscall(getpid(), AUDIT_ARCH_X86_64, ev.nr, ev.args, &d2);
	ev.decoded = &d2;
	audit_syscall(a, &ev);
	audit_close(a);
	read_lines(fd, &l, true);
	close(fd);
	if (!ok(l.n == 2, "two lines"))
		return;
	dec = json_get(l.v[0], "decoded");
	is_str(str(dec, "dirfd"), "AT_FDCWD", "decoded.dirfd");
	is_str(str(dec, "path"), path, "decoded.path");
	is_str(str(dec, "flags"), "O_RDONLY|O_CLOEXEC", "decoded.flags");
	dec = json_get(l.v[1], "decoded");
	is_str(str(json_get(dec, "path"), "error"), "EFAULT",
	       "a bad path: {\"error\": \"EFAULT\"}");
	ok(json_get(dec, "argv") && json_get(dec, "argv")->len == 3 &&
	       strcmp(json_get(dec, "argv")->items[1]->text, "-c") == 0,
	   "decoded.argv array");
}

static void emit_all_actions(struct audit *a)
{
	static const char *const actions[] = {
	    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",	      "SCMP_ACT_TRACE",	       "SCMP_ACT_ERRNO",
	    "SCMP_ACT_TRAP",  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_NOTIFY",
	};
	struct audit_syscall ev = {.pid = 1,
				   .tid = 1,
				   .comm = "c",
				   .arch = AUDIT_ARCH_X86_64,
				   .nr = SYS_getpid,
				   .rule = 0};

	for (size_t i = 0; i < N_ELEMENTS(actions); i++) {
		ev.action = actions[i];
		audit_syscall(a, &ev);
	}
	ev.action = "SCMP_ACT_ALLOW", ev.rule = AUDIT_RULE_NONE;
	audit_syscall(a, &ev);
	ev.action = "SCMP_ACT_ERRNO", ev.complain = true, ev.rule = 1;
	audit_syscall(a, &ev);
}

static void test_level_filter(void)
{
	static const struct {
		enum audit_level level;
		size_t want;
	} cases[] = {{AUDIT_DENIED, 6}, {AUDIT_TRACED, 9}, {AUDIT_ALL, 10}};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		int fd = new_memfd();
		struct audit *a = open_on(fd, cases[i].level, NULL);
		cleanup_lines struct lines l = {.n = 0};

		emit_all_actions(a);
		ok(audit_level(a) == cases[i].level, "audit_level()");
		audit_close(a);
		read_lines(fd, &l, true);
		close(fd);
		ok(l.n == cases[i].want, "level %s: %zu of 10 events written (got %zu)",
		   audit_level_name(cases[i].level), cases[i].want, l.n);
	}
}

static void test_lifecycle(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_DENIED, "c0ffee");
	cleanup_lines struct lines l = {.n = 0};
	const struct audit_field exec[] = {AUDIT_STR("path", "/usr/bin/env"),
					   AUDIT_STR("pid", "dropped"),
					   AUDIT_INT("former_tid", 12)};
	const struct audit_field child[] = {AUDIT_INT("child", 43)};
	const struct audit_field exit[] = {AUDIT_INT("signal", 11)};
	const struct audit_field exit_group[] = {AUDIT_INT("status", 3)};
	const struct audit_field attach[] = {
	    AUDIT_UINT("threads", 2), AUDIT_STR("mode", "complain"), AUDIT_STR("level", "denied")};
	const struct audit_field detach[] = {AUDIT_UINT("tasks", UINT64_MAX)};
	const char *const names[] = {"attach", "armed", "exec",	      "clone", "fork",
				     "vfork",  "exit",	"exit_group", "detach"};

	audit_event(a, "attach", 42, 42, attach, N_ELEMENTS(attach));
	audit_event(a, "armed", 42, 42, NULL, 0);
	audit_event(a, "exec", 42, 42, exec, N_ELEMENTS(exec));
	audit_event(a, "clone", 42, 42, child, 1);
	audit_event(a, "fork", 42, 42, child, 1);
	audit_event(a, "vfork", 42, 42, child, 1);
	audit_event(a, "exit", 42, 43, exit, N_ELEMENTS(exit));
	audit_event(a, "exit_group", 42, 42, exit_group, 1);
	audit_event(a, "detach", 42, 42, detach, 1);
	audit_close(a);
	read_lines(fd, &l, true);
	close(fd);
	if (!ok(l.n == N_ELEMENTS(names), "every lifecycle event written, whatever the level"))
		return;
	for (size_t i = 0; i < l.n; i++)
		ok(strcmp(str(l.v[i], "event"), names[i]) == 0 &&
		       strcmp(str(l.v[i], "container"), "c0ffee") == 0 &&
		       strcmp(num(l.v[i], "pid"), "42") == 0,
		   "%s: event, container, pid", names[i]);
	is_str(str(l.v[2], "path"), "/usr/bin/env", "exec path");
	is_str(num(l.v[2], "pid"), "42", "a field named pid is dropped, not duplicated");
	is_str(num(l.v[2], "former_tid"), "12", "exec former_tid");
	is_str(num(l.v[3], "child"), "43", "clone child");
	is_str(num(l.v[0], "threads"), "2", "attach threads");
	is_str(num(l.v[6], "signal"), "11", "exit signal");
	is_str(num(l.v[6], "tid"), "43", "exit tid");
	is_str(num(l.v[7], "status"), "3", "exit_group status");
	is_str(num(l.v[8], "tasks"), "18446744073709551615", "a uint64 field, exact");
}

static void test_null_field(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_ALL, NULL);
	cleanup_lines struct lines l = {.n = 0};
	const struct audit_field f[] = {AUDIT_STR("policy", NULL)};

	audit_event(a, "attach", 1, 1, f, 1);
	audit_close(a);
	read_lines(fd, &l, false);
	close(fd);
	ok(l.n == 1 && json_get(l.v[0], "policy")->type == JSON_NULL, "a NULL string is null");
}

/* The TRACER-mode data of the slot with this action and errno. */
static uint32_t slot_data(const struct oci_filter *f, enum oci_action action, uint32_t errnum)
{
	for (size_t i = 0; i < f->n_slots; i++)
		if (f->slots[i].action == action && f->slots[i].errno_ret == errnum &&
		    !f->slots[i].is_bad_arch)
			return OCI_TRACE_DATA_BASE + (uint32_t)i;
	exit(99);
}

static struct oci_filter *compile_example(void)
{
	const char *doc = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			  "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
			  "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_LOG\"}]}";
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_parse("p.json", doc, strlen(doc), &p, &err) < 0 ||
	    oci_policy_compile(p, OCI_COMPILE_TRACER, NULL, &f, &err) < 0) {
		diag("%s", err->msg);
		exit(99);
	}
	return f;
}

static const struct json *find_count(const struct json *counts, const char *name)
{
	for (size_t i = 0; i < counts->len; i++)
		if (strcmp(str(counts->items[i], "syscall"), name) == 0)
			return counts->items[i];
	return NULL;
}

static void test_teardown(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_DENIED, "ctr");
	cleanup_lines struct lines l = {.n = 0};
	cleanup_oci_filter struct oci_filter *f = compile_example();
	struct summary sum = {0};
	uint32_t deny = slot_data(f, OCI_ACT_ERRNO, 13), log = slot_data(f, OCI_ACT_LOG, 0);
	const struct json *counts, *c0, *c1, *c2;

	for (int i = 0; i < 3; i++)
		summary_add(&sum, AUDIT_ARCH_X86_64, SYS_mkdir, deny);
	summary_add_error(&sum, AUDIT_ARCH_X86_64, SYS_mkdir, deny);
	summary_add_error(&sum, AUDIT_ARCH_X86_64, SYS_mkdir, deny);
	summary_add(&sum, AUDIT_ARCH_X86_64, SYS_uname, log);
	summary_add(&sum, AUDIT_ARCH_X86_64, SYS_uname, log);
	summary_add_error(&sum, AUDIT_ARCH_X86_64, SYS_getpid, 5); /* never counted: one call */
	summary_add(&sum, AUDIT_ARCH_X86_64, SYS_read, SUMMARY_ALLOWED);
	audit_teardown(a, 0, 3, &sum, f);
	audit_close(a);
	summary_free(&sum);
	read_lines(fd, &l, true);
	close(fd);
	if (!ok(l.n == 1, "one teardown line"))
		return;
	is_str(str(l.v[0], "event"), "teardown", "event");
	ok(!json_get(l.v[0], "pid") && !json_get(l.v[0], "tid"), "no pid/tid");
	is_str(num(l.v[0], "status"), "3", "status");
	is_str(num(l.v[0], "calls"), "7", "total calls");
	is_str(num(l.v[0], "errors"), "3", "total errors");
	counts = json_get(l.v[0], "counts");
	if (!ok(counts && counts->len == 4, "four count entries"))
		return;
	c0 = counts->items[0], c1 = counts->items[1], c2 = find_count(counts, "getpid");
	ok(strcmp(str(c0, "syscall"), "mkdir") == 0 && strcmp(num(c0, "calls"), "3") == 0 &&
	       strcmp(num(c0, "errors"), "2") == 0 &&
	       strcmp(str(c0, "action"), "SCMP_ACT_ERRNO") == 0 &&
	       strcmp(num(c0, "errno"), "13") == 0 && strcmp(str(c0, "arch"), "x86_64") == 0,
	   "most calls first: mkdir 3 calls, 2 errors, ERRNO 13");
	ok(strcmp(str(c1, "syscall"), "uname") == 0 &&
	       strcmp(str(c1, "action"), "SCMP_ACT_LOG") == 0 && !json_get(c1, "errno") &&
	       strcmp(num(c1, "errors"), "0") == 0,
	   "uname: LOG, no errno");
	ok(c2 && strcmp(str(c2, "action"), "SCMP_ACT_TRACE") == 0 &&
	       strcmp(num(c2, "errno"), "5") == 0 && strcmp(num(c2, "calls"), "1") == 0,
	   "data of a foreign filter: SCMP_ACT_TRACE with its data");
	ok(strcmp(str(counts->items[2], "syscall"), "read") == 0 &&
	       strcmp(str(counts->items[2], "action"), "SCMP_ACT_ALLOW") == 0 &&
	       !json_get(counts->items[2], "errno"),
	   "SUMMARY_ALLOWED (audit level all): SCMP_ACT_ALLOW; ties in order of number");
}

static void test_null_audit(void)
{
	const struct audit_syscall ev = {.pid = 1, .tid = 1, .action = "SCMP_ACT_ERRNO"};

	audit_syscall(NULL, &ev);
	audit_event(NULL, "armed", 1, 1, NULL, 0);
	audit_teardown(NULL, 0, 0, NULL, NULL);
	ok(!audit_wants(NULL, "SCMP_ACT_ERRNO", 0), "a NULL audit wants nothing, writes nothing");
	audit_close(NULL);
}

static void test_teardown_empty(void)
{
	int fd = new_memfd();
	struct audit *a = open_on(fd, AUDIT_ALL, NULL);
	cleanup_lines struct lines l = {.n = 0};
	struct summary sum = {0};

	audit_teardown(a, 0, 0, &sum, NULL);
	audit_teardown(a, 0, 1, NULL, NULL);
	audit_close(a);
	read_lines(fd, &l, true);
	close(fd);
	ok(l.n == 2 && json_get(l.v[0], "counts")->len == 0 &&
	       strcmp(num(l.v[1], "status"), "1") == 0,
	   "teardown with no counts, or no summary at all");
}

/* A dead reader: writes fail with EPIPE; one message on stderr, the tracer goes on. */
static void test_write_error_once(void)
{
	int pipefd[2], err_fd = new_memfd(), saved_stderr = dup(2);
	struct audit *a;
	cleanup_free char *msgs = NULL;
	size_t lines = 0;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(pipefd) < 0)
		exit(99);
	close(pipefd[0]);
	a = open_on(pipefd[1], AUDIT_ALL, NULL);
	fflush(stderr);
	dup2(err_fd, 2);
	for (int i = 0; i < 3; i++) {
		audit_event(a, "detach", 1, 1, NULL, 0);
		audit_flush(a);
	}
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	audit_close(a);
	ok(fcntl(pipefd[1], F_GETFD) >= 0, "audit_close leaves a given fd open");
	close(pipefd[1]);
	msgs = read_all(err_fd);
	close(err_fd);
	for (char *c = msgs; *c; c++)
		lines += *c == '\n';
	ok(lines == 1 && strstr(msgs, "write failed") && strstr(msgs, "Broken pipe"),
	   "one warning for three failed writes: %s", msgs);
}

#define T "\"time\":\"2026-11-23T17:24:16.804180184Z\","
#define SC                                                                                         \
	T "\"event\":\"syscall\",\"pid\":1,\"tid\":1,\"comm\":\"c\",\"arch\":\"x86_64\","          \
	  "\"syscall\":\"read\",\"nr\":0,"
#define ARGS "\"args\":[0,0,0,0,0,0],"

/* The format checker refuses what the format does not allow, and says why. */
static void test_checker_rejects(void)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
	    {"{", "line 1, column 2: malformed JSON: parse error: premature EOF"},
	    {"[]", "expected an object, got array"},
	    {"{" T "\"pid\":1}", "\"event\": missing or not a string"},
	    {"{" T "\"event\":\"spawn\"}", "unknown event \"spawn\""},
	    {"{\"time\":\"2026-11-23 17:24:16Z\",\"event\":\"armed\",\"pid\":1,\"tid\":1}",
	     "armed: \"time\": \"2026-11-23 17:24:16Z\" is not YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ"},
	    {"{" T "\"event\":\"armed\",\"pid\":0,\"tid\":1}", "armed: \"pid\": 0 is not > 0"},
	    {"{" T "\"event\":\"armed\",\"pid\":1}", "armed: \"tid\": missing"},
	    {"{" T "\"event\":\"armed\",\"pid\":1,\"tid\":1.5}",
	     "armed: \"tid\": expected an integer, got 1.5"},
	    {"{" SC "\"args\":[0,0,0,0,0],\"action\":\"SCMP_ACT_LOG\"}",
	     "syscall: \"args\": expected 6 items, got 5"},
	    {"{" SC "\"args\":[0,0,0,0,0,-1],\"action\":\"SCMP_ACT_LOG\"}",
	     "syscall: \"args\": -1 is out of range (0-18446744073709551615)"},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_DENY\"}",
	     "syscall: \"action\": unknown value \"SCMP_ACT_DENY\""},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"would\":\"SCMP_ACT_TRAP\"}",
	     "syscall: \"would\" with an action other than SCMP_ACT_ALLOW"},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_ERRNO\"}",
	     "syscall: \"errno\" missing for SCMP_ACT_ERRNO"},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_ALLOW\",\"would\":\"SCMP_ACT_KILL_PROCESS\","
	     "\"errno\":1}",
	     "syscall: \"errno\" present for SCMP_ACT_KILL_PROCESS"},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"rule\":\"none\"}",
	     "syscall: \"rule\": unknown value \"none\""},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"comm\":\"x\"}", "duplicate key \"comm\""},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"decoded\":{}}",
	     "syscall: \"decoded\": empty (left out when nothing is decoded)"},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"decoded\":{\"pathname\":\"/\"}}",
	     "syscall: \"decoded\": unknown key \"pathname\""},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"decoded\":{\"path\":{\"errno\":14}}}",
	     "syscall: \"decoded\": \"path\": unknown key \"errno\""},
	    {"{" SC ARGS "\"action\":\"SCMP_ACT_LOG\",\"decoded\":{\"argv_truncated\":false}}",
	     "syscall: \"decoded\": \"argv_truncated\": present only as true"},
	    {"{" T "\"event\":\"exit\",\"pid\":1,\"tid\":1}",
	     "exit: exactly one of \"status\" and \"signal\" is required"},
	    {"{" T "\"event\":\"exit_group\",\"pid\":1,\"tid\":1}",
	     "exit_group: \"status\": missing"},
	    {"{" T "\"event\":\"fork\",\"pid\":1,\"tid\":1,\"child\":\"2\"}",
	     "fork: \"child\": expected number, got string"},
	    {"{" T "\"event\":\"teardown\",\"pid\":1,\"status\":0,\"counts\":[],\"calls\":0,"
	     "\"errors\":0}",
	     "teardown: unknown key \"pid\""},
	    {"{" T "\"event\":\"teardown\",\"status\":0,\"counts\":[{\"arch\":\"x86_64\","
	     "\"syscall\":\"read\",\"nr\":0,\"action\":\"SCMP_ACT_LOG\",\"errors\":0}],"
	     "\"calls\":0,\"errors\":0}",
	     "teardown: \"counts\": [0]: \"calls\": missing"},
	    {"{" T "\"event\":\"attach\",\"pid\":1,\"tid\":1,\"mode\":\"audit\"}",
	     "attach: \"mode\": unknown value \"audit\""},
	    {"{" T "\"event\":\"suppressed\",\"dropped\":5,\"syscalls\":[{\"arch\":\"x86_64\","
	     "\"syscall\":\"getppid\",\"nr\":110,\"dropped\":4}]}",
	     "suppressed: \"dropped\" is not the sum of the drops listed (4)"},
	    {"{" T "\"event\":\"suppressed\",\"dropped\":1,\"syscalls\":[{\"arch\":\"x86_64\","
	     "\"syscall\":\"unknown\",\"nr\":5000,\"dropped\":1}]}",
	     "suppressed: \"syscalls\": [0]: \"nr\" with syscall \"unknown\""},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		cleanup_free char *why = NULL;

		if (!ok(audit_check_line(cases[i].line, strlen(cases[i].line), &why) < 0,
			"refused: %s", cases[i].why))
			continue;
		is_str(why, cases[i].why, "reason");
	}
}

/* The shared samples (also checked against tests/audit-schema.json by schema-check.py):
 * every line of `good` passes the C checker, every line of `bad` fails it. */
static void test_sample_files(const char *good, const char *bad)
{
	const char *paths[] = {good, bad};

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(paths[i], "re");
		char line[4096];
		size_t n = 0, passed = 0;

		if (f == NULL) {
			ok(false, "open %s", paths[i]);
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			cleanup_free char *why = NULL;
			size_t len = strcspn(line, "\n");

			n++;
			passed += (audit_check_line(line, len, &why) == 0) == (i == 0);
		}
		fclose(f);
		ok(n > 0 && passed == n, "%s: %zu of %zu lines %s", paths[i], passed, n,
		   i == 0 ? "valid" : "rejected");
	}
}

int main(int argc, char **argv)
{
	test_levels();
	test_open_file();
	test_nofollow_message();
	test_syscall_denied();
	test_syscall_variants();
	test_comm_from_proc();
	test_decoded();
	test_level_filter();
	test_lifecycle();
	test_null_field();
	test_teardown();
	test_teardown_empty();
	test_null_audit();
	test_write_error_once();
	test_checker_rejects();
	if (argc == 3)
		test_sample_files(argv[1], argv[2]);
	return tap_done();
}
