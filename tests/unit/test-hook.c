/* octrace-hook's library: SHA-256 (known answers: FIPS 180-4's examples and padding edges,
 * values from Python's hashlib), one-line error text, the logs' names and their creation in
 * a temporary directory, linux.namespaces parsing, and the init check's parent rule with a
 * forked "hook" and "init" under this process acting as the runtime. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "hook_config.h"
#include "hook_logs.h"
#include "hook_pid.h"
#include "sha256.h"
#include "tap.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void check_sha(const char *what, const void *data, size_t len, const char *want)
{
	uint8_t h[SHA256_SIZE];
	char got[2 * SHA256_SIZE + 1];

	sha256(data, len, h);
	hex(h, sizeof(h), got);
	is_str(got, want, "sha256 %s", what);
}

static void test_sha256(void)
{
	static const struct {
		size_t n;
		const char *want;
	} as[] = {
	    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
	    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
	    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
	    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
	    {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
	    {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
	    {1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	};
	cleanup_free char *a = malloc(1000000);

	check_sha("of \"\"", "", 0,
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("of \"abc\"", "abc", 3,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("of the 56-byte FIPS example",
		  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(a, 'a', 1000000);
	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "of %zu a's", as[i].n);
		check_sha(what, a, as[i].n, as[i].want);
	}
}

static void check_escape(const char *in, const char *want)
{
	cleanup_free char *got = oci_escape_controls(in);

	is_str(got, want, "escape: %s", want);
}

static void test_escape(void)
{
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_oci_error struct oci_error *wrapped = NULL;

	check_escape("plain id-1.2_x", "plain id-1.2_x");
	check_escape("a\nb\rc\td", "a\\nb\\rc\\td");
	check_escape("\x1b[31mred\x7f", "\\x1b[31mred\\x7f");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_escape("c1 \xc2\x9b csi", "c1 \\xc2\\x9b csi");	/* U+009B, a C1 control */
	check_escape("nbsp \xc2\xa0", "nbsp \xc2\xa0");		/* U+00A0: printable */
	check_escape("bad \xff \xc0\xaf \xed\xa0\x80 \xe2\x82", /* lone, overlong, surrogate, cut */
		     "bad \\xff \\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82");
	check_escape("back\\slash kept", "back\\slash kept");

	oci_fail(&err, EINVAL, "annotation x: \"%s\"", "v\nforged: line");
	is_str(err->msg, "annotation x: \"v\\nforged: line\"", "oci_fail: one line");
	oci_fail(&wrapped, EINVAL, "inner\x01");
	oci_error_wrap(&wrapped, "container %s", "id\n2");
	is_str(wrapped->msg, "container id\\n2: inner\\x01", "oci_error_wrap: one line");
}

static bool all_plain(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       strlen(s);
}

static void test_stem(void)
{
	char s1[HOOK_LOG_STEM_MAX], s2[HOOK_LOG_STEM_MAX], id1[256], id2[256];

	hook_log_stem("web-1.prod_x", NULL, s1, sizeof(s1));
	is_str(s1, "web-1.prod_x", "stem: a plain id is kept");
	memset(id1, 'a', HOOK_NAME_MAX);
	id1[HOOK_NAME_MAX] = '\0';
	hook_log_stem(id1, NULL, s1, sizeof(s1));
	is_str(s1, id1, "stem: a plain id of %d bytes is kept", HOOK_NAME_MAX);
	hook_log_stem("x:y", NULL, s1, sizeof(s1));
	is_str(s1, "x_y+1274e286686b54fe765ec40735665b4b", "stem: x:y is hashed");
	hook_log_stem("x_y", NULL, s2, sizeof(s2));
	ok(strcmp(s1, s2) != 0, "stem: x_y and x:y differ (%s)", s2);
	hook_log_stem(".hidden", NULL, s1, sizeof(s1));
	ok(strncmp(s1, "_hidden+", 8) == 0, "stem: a leading dot is hashed, not kept: %s", s1);
	hook_log_stem("a\nb", NULL, s1, sizeof(s1));
	ok(strncmp(s1, "a_b+", 4) == 0 && strchr(s1, '\n') == NULL, "stem: a newline: %s", s1);

	/* two 255-byte ids (runc's and crun's limit) differing in their last byte */
	memset(id1, 'c', 254);
	id1[254] = '1';
	id1[255] = '\0';
	memcpy(id2, id1, sizeof(id2));
	id2[254] = '2';
	hook_log_stem(id1, NULL, s1, sizeof(s1));
	hook_log_stem(id2, NULL, s2, sizeof(s2));
	ok(strcmp(s1, s2) != 0 && strlen(s1) == HOOK_LOG_PREFIX_MAX + 1 + HOOK_LOG_HASH_HEX,
	   "stem: long ids with one prefix get two names (%s)", s1);
	ok(!hook_name_is_safe(s1) && strchr(s1, '+') && !all_plain(s1),
	   "stem: a hashed stem is no plain id");

	hook_log_stem("victim", "victim", s1, sizeof(s1));
	is_str(s1, "@victim", "stem: an annotation name cannot be an id's");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static bool file_has(const char *path, const char *text)
{
	char buf[256] = {0};
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd >= 0 && read(fd, buf, sizeof(buf) - 1) >= 0 && strcmp(buf, text) == 0;
}

/* The one moved-away name of `ext` in dir, or "" */
static void moved_name(const char *dir, const char *stem, const char *ext, char *out, size_t size)
{
	char cmd[PATH_MAX + 128];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd '%s' && ls -1 -- '%s@'*'%s' 2>/dev/null", dir, stem, ext);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (p && fgets(out, (int)size, p))
		out[strcspn(out, "\n")] = '\0';
	if (p)
		pclose(p);
}

static void test_logs_open(void)
{
	char tmpl[] = "/tmp/octrace-test-hook.XXXXXX", dir[PATH_MAX], path[PATH_MAX + 64],
	     moved[PATH_MAX], other[PATH_MAX + 64];
	cleanup_oci_error struct oci_error *err = NULL;
	int log1, audit1, log2, audit2;
	struct stat st;

	if (mkdtemp(tmpl) == NULL) {
		ok(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(dir, sizeof(dir), "%s/logs", tmpl);
	ok(hook_logs_open(dir, "c1", &log1, &audit1, &err) == 0 && stat(dir, &st) == 0 &&
	       (st.st_mode & 0777) == 0750,
	   "logs: created in a new 0750 directory");
	ok(write(log1, "first\n", 6) == 6 && write(audit1, "{}\n", 3) == 3, "logs: written");
	ok(hook_logs_open(dir, "c1", &log2, &audit2, &err) == 0, "logs: the same stem again");
	ok(write(log1, "first again\n", 12) == 12 && write(log2, "second\n", 7) == 7,
	   "logs: the first daemon writes on");
	snprintf(path, sizeof(path), "%s/c1.log", dir);
	ok(file_has(path, "second\n"), "logs: c1.log is the new container's alone");
	moved_name(dir, "c1", ".log", moved, sizeof(moved));
	snprintf(other, sizeof(other), "%s/%s", dir, moved);
	ok(moved[0] && file_has(other, "first\nfirst again\n"),
	   "logs: the earlier one moved to %s, still written by its daemon", moved);
	moved[strlen(moved) - 4] = '\0';
	snprintf(other, sizeof(other), "%s/%s.jsonl", dir, moved);
	ok(file_has(other, "{}\n"), "logs: its audit log moved with the same time: %s.jsonl",
	   moved);
	snprintf(path, sizeof(path), "%s/c1.jsonl", dir);
	ok(stat(path, &st) == 0 && st.st_size == 0, "logs: c1.jsonl is new and empty");
	close(log1), close(audit1), close(log2), close(audit2);

	/* a symlink at the name is moved away, never followed */
	snprintf(path, sizeof(path), "%s/target", tmpl);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	snprintf(other, sizeof(other), "%s/c2.log", dir);
	ok(symlink(path, other) == 0 && hook_logs_open(dir, "c2", &log1, &audit1, &err) == 0 &&
	       write(log1, "x", 1) == 1 && lstat(other, &st) == 0 && S_ISREG(st.st_mode) &&
	       stat(path, &st) == 0 && st.st_size == 0,
	   "logs: a symlink in the way is moved, its target untouched");
	close(log1), close(audit1);

	snprintf(path, sizeof(path), "%s/file", tmpl);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	if (hook_logs_open(path, "c3", &log1, &audit1, &err) < 0)
		ok(strstr(err->msg, path) != NULL, "logs: a log directory that is a file: %s",
		   err->msg);
	else
		ok(false, "logs: a log directory that is a file: accepted");
	nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(99);
}

/* --reattach finds the running container's own logs by their first event. */
static void test_logs_continue(void)
{
	char dir[] = "/tmp/octrace-test-hook-cont.XXXXXX", stem[HOOK_LOG_STEM_MAX],
	     path[PATH_MAX + 64];
	cleanup_oci_error struct oci_error *err = NULL;
	int log = -1, audit = -1, rc;
	struct stat sb;

	if (mkdtemp(dir) == NULL)
		exit(99);
	put(dir, "c.jsonl",
	    "{\"time\":\"t\",\"event\":\"attach\",\"container\":\"c\",\"pid\":200}\n");
	put(dir, "c@20260101T000000.000000000Z.jsonl",
	    "{\"time\":\"t\",\"event\":\"attach\",\"container\":\"c\",\"pid\":100}\n");
	put(dir, "c@20250101T000000.000000000Z.jsonl",
	    "{\"time\":\"t\",\"event\":\"attach\",\"container\":\"c\",\"pid\":100}\n");
	put(dir, "cc.jsonl",
	    "{\"time\":\"t\",\"event\":\"attach\",\"container\":\"c\",\"pid\":300}\n");
	snprintf(stem, sizeof(stem), "c");
	rc = hook_logs_continue(dir, stem, sizeof(stem), "c", 200, &log, &audit, &err);
	ok(rc == 1 && strcmp(stem, "c") == 0, "continue: c.jsonl, the current one (%d, %s)", rc,
	   stem);
	close(log), close(audit);
	rc = hook_logs_continue(dir, stem, sizeof(stem), "c", 100, &log, &audit, &err);
	snprintf(path, sizeof(path), "%s/c@20260101T000000.000000000Z.log", dir);
	ok(rc == 1 && strcmp(stem, "c@20260101T000000.000000000Z") == 0 && stat(path, &sb) == 0,
	   "continue: the latest moved-away pair, its .log made (%d, %s)", rc, stem);
	rc = write(audit, "{}\n", 3) == 3 && fstat(audit, &sb) == 0;
	ok(rc && sb.st_size == 56 + 3, "continue: appended to, not truncated (%lld bytes)",
	   (long long)sb.st_size);
	close(log), close(audit);
	snprintf(stem, sizeof(stem), "c");
	ok(hook_logs_continue(dir, stem, sizeof(stem), "c", 300, &log, &audit, &err) == 0 &&
	       strcmp(stem, "c") == 0,
	   "continue: another stem's log (cc.jsonl) is not c's");
	ok(hook_logs_continue(dir, stem, sizeof(stem), "d", 200, &log, &audit, &err) == 0,
	   "continue: another container's log is not d's");
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void check_config_error(const char *what, const char *json, const char *want)
{
	char path[] = "/tmp/octrace-test-hook-config.XXXXXX";
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_oci_bundle_config struct oci_bundle_config *cfg = NULL;
	struct hook_pid_expect e;
	int fd = mkstemp(path);
	bool got;

	if (fd < 0 || write(fd, json, strlen(json)) != (ssize_t)strlen(json)) {
		ok(false, "%s: cannot write %s", what, path);
		return;
	}
	close(fd);
	got = oci_bundle_config_load(path, &cfg, &err) < 0 ||
	      hook_pid_expect_init(path, cfg, true, &e, &err) < 0;
	ok(got && strstr(err->msg, want) && strncmp(err->msg, path, strlen(path)) == 0,
	   "config %s: %s", what, err ? err->msg : "accepted");
	unlink(path);
}

static void test_namespaces(void)
{
	check_config_error("not an array", "{\"linux\": {\"namespaces\": {}}}",
			   "linux.namespaces: expected an array");
	check_config_error("no type", "{\"linux\": {\"namespaces\": [{\"path\": \"/x\"}]}}",
			   "linux.namespaces[0].type: missing");
	check_config_error("path a number",
			   "{\"linux\": {\"namespaces\": [{\"type\": \"pid\", \"path\": 1}]}}",
			   "linux.namespaces[0].path: expected a string");
	check_config_error("an entry not an object", "{\"linux\": {\"namespaces\": [1]}}",
			   "linux.namespaces[0]: expected an object");
	check_config_error(
	    "unknown type",
	    "{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"nope\"}]}}",
	    "linux.namespaces[1].type: unknown namespace \"nope\"");
	check_config_error(
	    "a type twice",
	    "{\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}, {\"type\": \"ipc\"}]}}",
	    "linux.namespaces[1].type: \"ipc\" twice");
	check_config_error("a path that is not there",
			   "{\"linux\": {\"namespaces\": [{\"type\": \"network\", "
			   "\"path\": \"/nonexistent/ns\"}]}}",
			   "linux.namespaces[0].path: /nonexistent/ns: No such file or directory");
}

/* This process plays the runtime: it forks an "init" (waiting on a pipe) and a "hook" that
 * records its expectation (its parent: us) and checks pid `target(init)`; the hook's result
 * comes back over a pipe. */
static void check_parent_rule(const char *what, bool use_init, const char *want)
{
	static const struct oci_bundle_config none = {0};
	int hold[2], res[2];
	char msg[512] = {0};
	pid_t init, hook;

	if (pipe(hold) < 0 || pipe(res) < 0)
		exit(99);
	init = fork();
	if (init == 0) {
		close(hold[1]);
		(void)!read(hold[0], msg, 1);
		_exit(0);
	}
	hook = fork();
	if (hook == 0) {
		struct oci_error *err = NULL;
		struct hook_pid_expect e;
		pid_t pid = use_init ? init : getppid() /* the "runtime" itself */;

		if (hook_pid_expect_init("config.json", &none, true, &e, &err) == 0 &&
		    hook_pid_verify(&e, pid, &err) == 0)
			_exit(write(res[1], "ok", 2) == 2 ? 0 : 1);
		_exit(write(res[1], err->msg, strlen(err->msg)) > 0 ? 0 : 1);
	}
	close(res[1]);
	(void)!read(res[0], msg, sizeof(msg) - 1);
	close(hold[1]);
	waitpid(hook, NULL, 0);
	waitpid(init, NULL, 0);
	close(hold[0]);
	close(res[0]);
	ok(strstr(msg, want) != NULL, "pid check, %s: %s", what, msg);
}

int main(void)
{
	test_sha256();
	test_escape();
	test_stem();
	test_logs_open();
	test_logs_continue();
	test_namespaces();
	check_parent_rule("the runtime's child", true, "ok");
	check_parent_rule("the runtime itself", false, "its parent is pid");
	return tap_done();
}
