/* octrace-runtime: the runc/crun command-line scan, json_write() round trips, the wrapper's
 * own configuration, the config.json edit (in a temporary bundle), and the built binary
 * exec'ing a fake runtime that records its argv. argv[1] is the octrace-runtime binary. */
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
#include "io.h"
#include "json.h"
#include "json_edit.h"
#include "json_write.h"
#include "jsonw.h"
#include "runtime_args.h"
#include "runtime_bundle.h"
#include "runtime_config.h"
#include "runtime_wrap.h"
#include "tap.h"

#define MAX_ARGS 24

static const char *runtime_exe;	     /* argv[1] */
static char hook_exe[PATH_MAX + 16]; /* octrace-hook next to it */

/* ---- small helpers ---- */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		exit(99);
	va_end(ap);
	return s;
}

static char *mkdtemp_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *d = xasprintf("%s/octrace-rt-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (mkdtemp(d) == NULL)
		exit(99);
	return d;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void rm_tree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0 || close(fd) < 0)
		exit(99);
}

/* The file's content (caller frees), NULL when it cannot be read. */
static char *read_file(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len;

	if (fd < 0 || oci_read_fd(fd, 1 << 24, &buf, &len) < 0)
		return NULL;
	return buf;
}

static struct json *parse_or_null(const char *text)
{
	struct oci_error *err = NULL;
	struct json *v = NULL;

	if (text == NULL || json_parse(text, strlen(text), &v, &err) < 0) {
		diag("parse: %s", err ? err->msg : "no text");
		oci_error_free(err);
		return NULL;
	}
	return v;
}

/* Same types, same raw text (numbers, strings byte for byte), same members in the same
 * order. */
static bool json_equal(const struct json *a, const struct json *b)
{
	if (a == NULL || b == NULL || a->type != b->type || a->len != b->len)
		return false;
	if (a->type == JSON_BOOL && a->boolean != b->boolean)
		return false;
	if ((a->type == JSON_NUMBER || a->type == JSON_STRING) &&
	    (a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0))
		return false;
	for (size_t i = 0; i < a->len; i++) {
		if (a->keys && strcmp(a->keys[i], b->keys[i]) != 0)
			return false;
		if (!json_equal(a->items[i], b->items[i]))
			return false;
	}
	return true;
}

/* How many entries the directory holds besides . and .. (no temp file may be left). */
static int count_entries(const char *dir)
{
	cleanup_free char *cmd = xasprintf("ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (p == NULL || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

/* ---- the command-line scan ---- */

struct args_case {
	const char *what;
	const char *argv[MAX_ARGS];
	const char *command, *bundle, *config, *id, *log, *log_format;
	bool wants_hook;
};

static const struct args_case args_cases[] = {
    {"containerd's create",
     {"w", "--root", "/run/containerd/runc/default", "--log", "/run/c/log.json", "--log-format",
      "json", "create", "--bundle", "/run/c/b", "--pid-file", "/run/c/init.pid", "ctr1"},
     "create",
     "/run/c/b",
     NULL,
     "ctr1",
     "/run/c/log.json",
     "json",
     true},
    {"containerd's start",
     {"w", "--root", "/r", "--log", "/l", "--log-format", "json", "start", "ctr1"},
     "start",
     NULL,
     NULL,
     NULL,
     "/l",
     "json",
     false},
    {"containerd's delete",
     {"w", "--root", "/r", "--log", "/l", "--log-format", "json", "delete", "--force", "ctr1"},
     "delete",
     NULL,
     NULL,
     NULL,
     "/l",
     "json",
     false},
    {"state", {"runc", "state", "ctr1"}, "state", NULL, NULL, NULL, NULL, NULL, false},
    {"kill", {"runc", "kill", "ctr1", "KILL"}, "kill", NULL, NULL, NULL, NULL, NULL, false},
    {"runc run -b", {"runc", "run", "-b", "/b", "id"}, "run", "/b", NULL, "id", NULL, NULL, true},
    {"--bundle=",
     {"runc", "create", "--bundle=/b", "id"},
     "create",
     "/b",
     NULL,
     "id",
     NULL,
     NULL,
     true},
    {"-b=DIR (Go)",
     {"runc", "create", "-b=/b", "id"},
     "create",
     "/b",
     NULL,
     "id",
     NULL,
     NULL,
     true},
    {"-bDIR (argp)",
     {"crun", "create", "-b/b", "id"},
     "create",
     "/b",
     NULL,
     "id",
     NULL,
     NULL,
     true},
    {"-bundle DIR (Go)",
     {"runc", "create", "-bundle", "/b", "id"},
     "create",
     "/b",
     NULL,
     "id",
     NULL,
     NULL,
     true},
    {"--b DIR (Go)", {"runc", "run", "--b", "/b", "id"}, "run", "/b", NULL, "id", NULL, NULL, true},
    {"globals with =, booleans",
     {"runc", "--root=/r", "--log=/l", "--log-format=json", "--debug", "--systemd-cgroup", "create",
      "id"},
     "create",
     NULL,
     NULL,
     "id",
     "/l",
     "json",
     true},
    {"global values that look like subcommands",
     {"runc", "--root", "create", "--criu", "run", "--rootless", "true", "start", "id"},
     "start",
     NULL,
     NULL,
     NULL,
     NULL,
     NULL,
     false},
    {"crun globals, --config, -d",
     {"crun", "--cgroup-manager", "disabled", "--log-level", "debug", "--log", "file:/l", "run",
      "--config", "c.json", "-d", "id"},
     "run",
     NULL,
     "c.json",
     "id",
     "file:/l",
     NULL,
     true},
    {"crun: options after the id",
     {"crun", "create", "id", "--bundle", "/b", "-f", "x"},
     "create",
     "/b",
     "x",
     "id",
     NULL,
     NULL,
     true},
    {"no bundle: the current directory",
     {"runc", "run", "id"},
     "run",
     NULL,
     NULL,
     "id",
     NULL,
     NULL,
     true},
    {"value flags are not the id",
     {"runc", "create", "--pid-file", "p", "--console-socket", "s", "--preserve-fds", "3",
      "--no-pivot", "id"},
     "create",
     NULL,
     NULL,
     "id",
     NULL,
     NULL,
     true},
    {"-- ends the options",
     {"runc", "create", "--", "-odd-id"},
     "create",
     NULL,
     NULL,
     "-odd-id",
     NULL,
     NULL,
     true},
    {"runc --help", {"runc", "--help"}, NULL, NULL, NULL, NULL, NULL, NULL, false},
    {"runc -v", {"runc", "-v"}, NULL, NULL, NULL, NULL, NULL, NULL, false},
    {"create --help", {"runc", "create", "--help"}, "create", NULL, NULL, NULL, NULL, NULL, false},
    {"run -h with an id", {"runc", "run", "-h", "id"}, "run", NULL, NULL, "id", NULL, NULL, false},
    {"help create", {"runc", "help", "create"}, "help", NULL, NULL, NULL, NULL, NULL, false},
    {"create without an id",
     {"runc", "create", "--bundle", "/b"},
     "create",
     "/b",
     NULL,
     NULL,
     NULL,
     NULL,
     false},
    {"--bundle without its value",
     {"runc", "create", "id", "--bundle"},
     "create",
     NULL,
     NULL,
     "id",
     NULL,
     NULL,
     false},
    {"--root without its value", {"runc", "--root"}, NULL, NULL, NULL, NULL, NULL, NULL, false},
    {"no arguments", {"runc"}, NULL, NULL, NULL, NULL, NULL, NULL, false},
};

static void check_args_case(const struct args_case *c)
{
	char *argv[MAX_ARGS + 1] = {NULL};
	struct runtime_args a;
	int argc = 0;

	while (c->argv[argc])
		argc++;
	memcpy(argv, c->argv, sizeof(c->argv)); /* runtime_args_parse() takes char *const[] */
	runtime_args_parse(argc, argv, &a);
	is_str(a.command, c->command, "%s: command", c->what);
	is_str(a.bundle, c->bundle, "%s: bundle", c->what);
	is_str(a.config, c->config, "%s: config", c->what);
	is_str(a.id, c->id, "%s: id", c->what);
	is_str(a.log, c->log, "%s: log", c->what);
	is_str(a.log_format, c->log_format, "%s: log format", c->what);
	ok(runtime_args_wants_hook(&a) == c->wants_hook, "%s: %s", c->what,
	   c->wants_hook ? "adds the hook" : "passes through");
	ok(a.command == NULL || a.command == argv[a.cmd_index], "%s: cmd_index", c->what);
}

static void test_args(void)
{
	for (size_t i = 0; i < N_ELEMENTS(args_cases); i++)
		check_args_case(&args_cases[i]);
}

/* ---- json_write ---- */

/* Write text's tree compactly; NULL and *msg on error. */
static char *rewrite(const char *text, char **msg)
{
	cleanup_json struct json *v = parse_or_null(text);
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	struct oci_error *err = NULL;
	const char *buf;
	size_t len;

	*msg = NULL;
	if (v == NULL)
		return NULL;
	if (json_write(v, w, &err) < 0) {
		*msg = strdup(err->msg);
		oci_error_free(err);
		return NULL;
	}
	if (jsonw_finish(w, &buf, &len) < 0)
		return NULL;
	return strndup(buf, len);
}

static void check_rewrite(const char *text, const char *want, const char *want_err)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *out = rewrite(text, &msg);

	if (want_err)
		is_str(msg, want_err, "json_write refuses %.40s", text);
	else
		is_str(out, want, "json_write %.40s", text);
}

static void test_json_write(void)
{
	const char *doc = "{\"big\":18446744073709551615,\"min\":-9223372036854775808,"
			  "\"a\":[0,-1,1,{\"n\":null,\"t\":true,\"f\":false}],\"e\":{},\"z\":[],"
			  "\"s\":\"tab\\tq\\\"uote\\\\ nul\\u0000 \\u00e9 \\ud83d\\ude00\","
			  "\"key with space\":\"/slash\"}";
	cleanup_free char *msg = NULL;
	cleanup_free char *out = rewrite(doc, &msg);
	cleanup_json struct json *a = parse_or_null(doc);
	cleanup_json struct json *b = parse_or_null(out);
	char deep[2 * JSONW_MAX_DEPTH + 4];

	ok(json_equal(a, b), "json_write: a document comes back identical, member by member");
	check_rewrite("[18446744073709551615,-9223372036854775808,0,7]",
		      "[18446744073709551615,-9223372036854775808,0,7]", NULL);
	check_rewrite("[-0]", "[0]", NULL);
	check_rewrite("{\"a\":{\"b\":[1.5]}}", NULL,
		      "a.b[0]: the number 1.5 cannot be written back exactly (only integers from "
		      "-2^63 to 2^64-1 can)");
	check_rewrite("{\"x\":18446744073709551616}", NULL,
		      "x: the number 18446744073709551616 cannot be written back exactly (only "
		      "integers from -2^63 to 2^64-1 can)");
	check_rewrite("[-9223372036854775809]", NULL,
		      "[0]: the number -9223372036854775809 cannot be written back exactly (only "
		      "integers from -2^63 to 2^64-1 can)");
	check_rewrite("1e3", NULL,
		      "the number 1e3 cannot be written back exactly (only integers from -2^63 "
		      "to 2^64-1 can)");
	memset(deep, '[', JSONW_MAX_DEPTH);
	memset(deep + JSONW_MAX_DEPTH, ']', JSONW_MAX_DEPTH);
	deep[2 * JSONW_MAX_DEPTH] = '\0';
	check_rewrite(deep, deep, NULL);
	memset(deep, '[', JSONW_MAX_DEPTH + 1);
	memset(deep + JSONW_MAX_DEPTH + 1, ']', JSONW_MAX_DEPTH + 1);
	deep[2 * JSONW_MAX_DEPTH + 2] = '\0';
	free(msg);
	free(rewrite(deep, &msg));
	ok(msg && strstr(msg, "[0][0]: nested more than 64 levels deep"), "too deep: %s",
	   msg ? msg : "(null)");
}

/* ---- the wrapper's configuration ---- */

static struct runtime_config *config_from(const char *text, char **msg)
{
	struct runtime_config *c = NULL;
	struct oci_error *err = NULL;

	*msg = NULL;
	if (runtime_config_parse("rt.json", text, strlen(text), "/opt/o/octrace-hook", &c, &err) <
	    0) {
		*msg = strdup(err->msg);
		oci_error_free(err);
	}
	return c;
}

static void check_config_error(const char *text, const char *want)
{
	cleanup_free char *msg = NULL;
	cleanup_runtime_config struct runtime_config *c = config_from(text, &msg);

	ok(c == NULL, "config %s refused", text);
	is_str(msg, want, "config %s: message", text);
}

static void test_config_values(void)
{
	cleanup_free char *msg = NULL;
	cleanup_runtime_config struct runtime_config *d = config_from("{}", &msg);
	cleanup_runtime_config struct runtime_config *c = config_from(
	    "{\"runtime\":\"/usr/bin/crun\",\"hook\":{\"path\":\"/usr/local/bin/octrace-hook\","
	    "\"args\":[\"octrace-hook\",\"--log-dir\",\"/l\"],\"timeout\":10},"
	    "\"trace\":\"annotated\",\"annotation\":\"example.com/trace\"}",
	    &msg);

	if (!ok(d && c, "configs parse") || !ok(d && c, "%s", msg ? msg : ""))
		return;
	is_str(d->runtime, "runc", "default runtime");
	is_str(d->hook_path, "/opt/o/octrace-hook", "default hook path");
	ok(d->n_hook_args == 1 && strcmp(d->hook_args[0], "octrace-hook") == 0 &&
	       d->hook_args[1] == NULL,
	   "default hook args");
	ok(!d->annotated && d->hook_timeout == 0, "default: trace all, no timeout");
	is_str(d->annotation, "org.octrace.trace", "default annotation");
	is_str(c->runtime, "/usr/bin/crun", "runtime");
	is_str(c->hook_path, "/usr/local/bin/octrace-hook", "hook.path");
	ok(c->n_hook_args == 3 && strcmp(c->hook_args[2], "/l") == 0 && c->hook_args[3] == NULL,
	   "hook.args");
	ok(c->annotated && c->hook_timeout == 10, "trace annotated, timeout");
	is_str(c->annotation, "example.com/trace", "annotation");
}

static void test_config(void)
{
	struct runtime_config *c = NULL;
	struct oci_error *err = NULL;

	test_config_values();
	check_config_error("{\"anotation\":\"x\"}", "rt.json: anotation: unknown key");
	check_config_error("{\"hook\":{\"args\":[\"a\",1]}}",
			   "rt.json: hook.args[1]: expected a string, got number");
	check_config_error("{\"hook\":{\"args\":[]}}",
			   "rt.json: hook.args: must hold at least argv[0]");
	check_config_error("{\"hook\":{\"path\":\"bin/octrace-hook\"}}",
			   "rt.json: hook.path: \"bin/octrace-hook\" is not an absolute path");
	check_config_error("{\"hook\":{\"timeout\":0}}",
			   "rt.json: hook.timeout: must be at least 1 (seconds)");
	check_config_error("{\"hook\":[]}", "rt.json: hook: expected an object, got array");
	check_config_error("{\"runtime\":\"bin/runc\"}",
			   "rt.json: runtime: \"bin/runc\" is neither a name nor an absolute path");
	check_config_error("{\"runtime\":\"\"}", "rt.json: runtime: must not be empty");
	check_config_error("{\"trace\":\"some\"}",
			   "rt.json: trace: \"some\" is not \"all\" or \"annotated\"");
	check_config_error("[]", "rt.json: expected an object, got array");
	check_config_error("{", "rt.json: line 1, column 2: malformed JSON: parse error: "
				"premature EOF");
	ok(runtime_config_load("/nonexistent/rt.json", NULL, &c, &err) == 0 && c &&
	       strcmp(c->runtime, "runc") == 0 && c->hook_path == NULL,
	   "a missing file gives the defaults");
	runtime_config_free(c);
	oci_error_free(err);
}

/* ---- the config.json edit ---- */

/* A config.json in the shape runc spec writes, with what must survive the rewrite: numbers
 * beyond double precision, a negative one, an existing hook, annotations, unicode. */
static const char base_config[] =
    "{\n\t\"ociVersion\": \"1.0.2-dev\",\n"
    "\t\"process\": {\"terminal\": false, \"args\": [\"sh\", \"-c\", \"echo \\\"hi\\\"\"],"
    " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 18446744073709551615,"
    " \"soft\": 9007199254740993}], \"oomScoreAdj\": -999},\n"
    "\t\"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "\t\"hooks\": {\"prestart\": [{\"path\": \"/usr/bin/other-hook\", \"args\": [\"o\"]}],"
    " \"poststop\": [{\"path\": \"/bin/true\"}]},\n"
    "\t\"annotations\": {\"io.kubernetes.cri.sandbox-id\": \"s\\u00e9\", \"x\": \"y\"},\n"
    "\t\"linux\": {\"resources\": {\"memory\": {\"limit\": -1, \"swap\": 9223372036854775807}},"
    " \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}}\n}\n";

struct bundle {
	char *dir;
	char *config;
};

static void bundle_new(struct bundle *b, const char *text, mode_t mode)
{
	b->dir = mkdtemp_dir();
	b->config = xasprintf("%s/config.json", b->dir);
	write_file(b->config, text, mode);
}

static void bundle_free(struct bundle *b)
{
	rm_tree(b->dir);
	free(b->dir);
	free(b->config);
}

static struct runtime_config *test_cfg(void)
{
	struct runtime_config *c = NULL;
	struct oci_error *err = NULL;
	cleanup_free char *text = xasprintf(
	    "{\"hook\":{\"path\":\"%s\",\"args\":[\"octrace-hook\",\"--log-dir\",\"/l\"]}}",
	    hook_exe);

	if (runtime_config_parse("rt", text, strlen(text), NULL, &c, &err) < 0)
		exit(99);
	return c;
}

/* prepare() on the bundle; its message, if any, in *msg. */
static int prepare(const struct runtime_config *cfg, const struct bundle *b, const char *name,
		   char **msg)
{
	struct oci_error *err = NULL;
	int rc = runtime_bundle_prepare(cfg, b->dir, name, &err);

	*msg = err ? strdup(err->msg) : NULL;
	oci_error_free(err);
	return rc;
}

static void check_added(const struct runtime_config *cfg, const struct bundle *b)
{
	cleanup_free char *after = read_file(b->config);
	cleanup_json struct json *got = parse_or_null(after);
	cleanup_json struct json *want = parse_or_null(base_config);
	struct oci_error *err = NULL;
	const struct json *pre = json_get(json_get(got, "hooks"), "prestart");
	struct stat st;

	cleanup_free char *real = realpath(b->dir, NULL);
	cleanup_free char *adopted = xasprintf("%s/octrace-policy.json", real);
	cleanup_free char *stash = read_file(adopted);
	cleanup_json struct json *stashed = parse_or_null(stash);
	cleanup_json struct json *form = parse_or_null(
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"execve\", "
		"\"execveat\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 28672}]}");
	struct json *args;

	ok(runtime_bundle_add_hook(want, cfg, &err) == 1, "the hook goes into the expected tree");
	/* the bundle's own profile (no --policy) is adopted: kept aside for the hook, which gets
	 * it as --policy, and config.json gets its exec barrier (it kills and traps nothing) */
	ok(json_equal(stashed, json_get(json_get(want, "linux"), "seccomp")),
	   "the bundle's own linux.seccomp kept as BUNDLE/octrace-policy.json");
	json_set((struct json *)json_get(want, "linux"), "seccomp", form);
	form = NULL;
	args = (struct json *)json_get(runtime_bundle_hook(want, hook_exe), "args");
	json_append(args, NULL, json_new_string("--policy"));
	json_append(args, NULL, json_new_string(adopted));
	ok(json_equal(got, want),
	   "every other field kept, in order, numbers digit for digit; linux.seccomp the exec "
	   "barrier, the hook given the adopted profile");
	ok(pre && pre->len == 2 && strcmp(json_get(pre->items[1], "path")->text, hook_exe) == 0,
	   "the hook is the last prestart entry");
	ok(pre && strcmp(json_get(pre->items[0], "path")->text, "/usr/bin/other-hook") == 0,
	   "the existing hook stays first");
	ok(stat(b->config, &st) == 0 && (st.st_mode & 07777) == 0640, "mode 0640 kept (%o)",
	   st.st_mode & 07777);
	ok(count_entries(b->dir) == 2, "no temporary file left behind (config.json, the adopted "
				      "profile)");
	oci_error_free(err);
}

static void test_bundle_add(void)
{
	cleanup_runtime_config struct runtime_config *cfg = test_cfg();
	cleanup_free char *msg = NULL, *before = NULL, *again = NULL;
	struct bundle b;
	struct stat st1, st2;

	bundle_new(&b, base_config, 0640);
	ok(prepare(cfg, &b, NULL, &msg) == 1, "create: config.json rewritten %s", msg ? msg : "");
	check_added(cfg, &b);
	before = read_file(b.config);
	stat(b.config, &st1);
	free(msg);
	ok(prepare(cfg, &b, NULL, &msg) == 0, "a second create: nothing to do");
	again = read_file(b.config);
	stat(b.config, &st2);
	ok(before && again && strcmp(before, again) == 0 && st1.st_ino == st2.st_ino,
	   "idempotent: same bytes, same inode");
	bundle_free(&b);
}

/* Write text as the bundle's config file (name_in_bundle, NULL: config.json), prepare() it,
 * and give the length of the resulting hooks.prestart in *len. */
static int add_to(const char *text, const char *name_in_bundle, size_t *len, char **msg)
{
	cleanup_runtime_config struct runtime_config *cfg = test_cfg();
	struct bundle b;
	int rc;

	b.dir = mkdtemp_dir();
	b.config = xasprintf("%s/%s", b.dir, name_in_bundle ? name_in_bundle : "config.json");
	write_file(b.config, text, 0600);
	rc = prepare(cfg, &b, name_in_bundle, msg);
	if (rc == 1) {
		cleanup_free char *after = read_file(b.config);
		cleanup_json struct json *doc = parse_or_null(after);
		const struct json *pre = json_get(json_get(doc, "hooks"), "prestart");

		*len = pre ? pre->len : 0;
	}
	bundle_free(&b);
	return rc;
}

static void test_bundle_shapes(void)
{
	cleanup_free char *msg = NULL;
	size_t len = 0;

	ok(add_to("{\"ociVersion\":\"1.0.2\"}", NULL, &len, &msg) == 1 && len == 1,
	   "no hooks: hooks.prestart created");
	ok(add_to("{\"hooks\":null}", NULL, &len, &msg) == 1 && len == 1, "hooks null");
	ok(add_to("{\"hooks\":{\"prestart\":null,\"poststop\":[]}}", NULL, &len, &msg) == 1 &&
	       len == 1,
	   "prestart null");
	ok(add_to("{}", "other.json", &len, &msg) == 1 && len == 1,
	   "crun --config: that file is edited");
}

/* A bundle whose config.json must come out of prepare() byte for byte as it went in. */
static void check_untouched(const char *what, const struct runtime_config *cfg, const char *text,
			    int want_rc, const char *want_msg)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *after = NULL;
	struct bundle b;
	struct stat st;
	int rc;

	bundle_new(&b, text, 0604);
	rc = prepare(cfg, &b, NULL, &msg);
	after = read_file(b.config);
	ok(rc == want_rc, "%s: returns %d", what, want_rc);
	if (want_msg) {
		cleanup_free char *full = xasprintf("%s: %s", b.config, want_msg);

		is_str(msg, full, "%s: message", what);
	}
	ok(after && strcmp(after, text) == 0 && stat(b.config, &st) == 0 &&
	       (st.st_mode & 07777) == 0604 && count_entries(b.dir) == 1,
	   "%s: the bundle is untouched", what);
	bundle_free(&b);
}

static void test_bundle_untouched(void)
{
	cleanup_runtime_config struct runtime_config *cfg = test_cfg();
	cleanup_free char *hooked =
	    xasprintf("{\"hooks\":{\"createRuntime\":[{\"path\":\"%s\"}]}}", hook_exe);

	check_untouched("broken JSON", cfg, "{\"ociVersion\": \"1.0\",\n \"process\": {\n", -1,
			"line 3, column 1: malformed JSON: parse error: premature EOF");
	check_untouched("duplicate key", cfg, "{\"hooks\":{},\"hooks\":{}}", -1,
			"duplicate key \"hooks\"");
	check_untouched("prestart not an array", cfg, "{\"hooks\":{\"prestart\":{}}}", -1,
			"hooks.prestart: expected an array, got object");
	check_untouched("a hook that is not an object", cfg, "{\"hooks\":{\"prestart\":[1]}}", -1,
			"hooks.prestart[0]: expected an object, got number");
	check_untouched("a hook path that is not a string", cfg,
			"{\"hooks\":{\"prestart\":[{\"path\":7}]}}", -1,
			"hooks.prestart[0].path: expected a string, got number");
	check_untouched("not an object", cfg, "[]", -1, "expected an object, got array");
	check_untouched("a fraction somewhere", cfg, "{\"x\":{\"y\":0.5}}", -1,
			"x.y: the number 0.5 cannot be written back exactly (only integers from "
			"-2^63 to 2^64-1 can)");
	check_untouched("already a createRuntime hook", cfg, hooked, 0, NULL);
	free(cfg->hook_path);
	cfg->hook_path = strdup("/nonexistent/octrace-hook");
	check_untouched("the hook binary is missing", cfg, "{}", -1, NULL);
}

static void test_bundle_annotated(void)
{
	cleanup_runtime_config struct runtime_config *cfg = test_cfg();

	cfg->annotated = true;
	check_untouched("annotated mode, no annotations", cfg, "{}", 0, NULL);
	check_untouched("annotated mode, other annotations", cfg,
			"{\"annotations\":{\"x\":\"true\"}}", 0, NULL);
	check_untouched("annotated mode, \"false\"", cfg,
			"{\"annotations\":{\"org.octrace.trace\":\"false\"}}", 0, NULL);
	check_untouched("annotated mode, \"0\"", cfg,
			"{\"annotations\":{\"org.octrace.trace\":\"0\"}}", 0, NULL);
	check_untouched("annotated mode, not a string", cfg,
			"{\"annotations\":{\"org.octrace.trace\":true}}", -1,
			"annotations[\"org.octrace.trace\"]: expected a string, got boolean");
}

/* Annotated mode through prepare(), for values that must trace. */
static void test_bundle_annotated_on(void)
{
	cleanup_runtime_config struct runtime_config *cfg = test_cfg();
	const char *on[] = {"true", "1", "yes", ""};

	cfg->annotated = true;
	for (size_t i = 0; i < N_ELEMENTS(on); i++) {
		cleanup_free char *text =
		    xasprintf("{\"annotations\":{\"org.octrace.trace\":\"%s\"}}", on[i]);
		cleanup_free char *msg = NULL;
		struct bundle b;

		bundle_new(&b, text, 0644);
		ok(prepare(cfg, &b, NULL, &msg) == 1, "annotated mode, \"%s\": traced", on[i]);
		bundle_free(&b);
	}
}

/* ---- the built binary ---- */

struct run {
	const char *argv[MAX_ARGS]; /* argv[0] is replaced by the octrace-runtime binary */
	const char *config;	    /* $OCTRACE_RUNTIME_CONFIG */
	const char *cwd;	    /* NULL: the test's */
	const char *path;	    /* $PATH; NULL: unchanged */
	char *out, *err;	    /* what it wrote on stdout and stderr (caller frees) */
};

static char *work_dir; /* fake runtime, its record, configs, stdout/stderr captures */
static char *fake_runtime;
static char *fake_record;

static void child(struct run *r, const char *out, const char *err)
{
	char *argv[MAX_ARGS + 1] = {NULL};
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	memcpy(argv, r->argv, sizeof(r->argv));
	argv[0] = (char *)"octrace-runtime";
	if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || (r->cwd && chdir(r->cwd) < 0))
		_exit(99);
	setenv(RUNTIME_CONFIG_ENV, r->config, 1);
	setenv("FAKE_RECORD", fake_record, 1);
	if (r->path)
		setenv("PATH", r->path, 1);
	execv(runtime_exe, argv);
	_exit(98);
}

/* Run octrace-runtime; its exit status, or -1. */
static int run_wrapper(struct run *r)
{
	cleanup_free char *out = xasprintf("%s/stdout", work_dir);
	cleanup_free char *err = xasprintf("%s/stderr", work_dir);
	int status;
	pid_t pid;

	unlink(fake_record);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		exit(99);
	if (pid == 0)
		child(r, out, err);
	if (waitpid(pid, &status, 0) < 0)
		exit(99);
	r->out = read_file(out);
	r->err = read_file(err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static char *write_config(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", work_dir, name);

	write_file(path, text, 0644);
	return path;
}

/* argv[1..] one per line, as the fake runtime records them. */
static char *joined_args(const char *const argv[])
{
	char *s = strdup("");

	for (int i = 1; argv[i]; i++) {
		char *t = xasprintf("%s%s\n", s, argv[i]);

		free(s);
		s = t;
	}
	return s;
}

static void setup_exec(void)
{
	work_dir = mkdtemp_dir();
	fake_runtime = xasprintf("%s/fake-runtime", work_dir);
	fake_record = xasprintf("%s/record", work_dir);
	/* exit 7: the status must be the fake's own, which only an exec gives */
	write_file(fake_runtime,
		   "#!/bin/sh\nprintf '%s\\n' \"$0\" > \"$FAKE_RECORD\"\n"
		   "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >> \"$FAKE_RECORD\"\nexit 7\n",
		   0755);
}

/* What the fake recorded, without its first line ($0). */
static char *recorded_args(char **arg0)
{
	char *rec = read_file(fake_record);
	char *nl = rec ? strchr(rec, '\n') : NULL;
	char *args;

	*arg0 = NULL;
	if (nl == NULL) {
		free(rec);
		return NULL;
	}
	*arg0 = strndup(rec, (size_t)(nl - rec));
	args = strdup(nl + 1);
	free(rec);
	return args;
}

static void test_exec_create(void)
{
	cleanup_free char *cfg_text =
	    xasprintf("{\"runtime\":\"%s\",\"hook\":{\"path\":\"%s\"}}", fake_runtime, hook_exe);
	cleanup_free char *cfg = write_config("rt-create.json", cfg_text);
	cleanup_free char *want = NULL, *got = NULL, *arg0 = NULL, *after = NULL;
	cleanup_json struct json *doc = NULL;
	struct bundle b;
	const struct json *pre;

	bundle_new(&b, base_config, 0640);
	struct run r = {.config = cfg,
			.argv = {"x", "--root", "/r o", "--log", "/dev/null", "--log-format",
				 "json", "create", "--bundle", b.dir, "--pid-file", "p i\t\"d",
				 "--console-socket", "", "ctr \xc3\xa9"}};

	ok(run_wrapper(&r) == 7, "create: the real runtime's exit status comes back (%s)",
	   r.err ? r.err : "");
	want = joined_args(r.argv);
	got = recorded_args(&arg0);
	is_str(got, want, "create: the runtime gets the same arguments, byte for byte");
	is_str(arg0, fake_runtime, "create: the configured runtime is exec'd");
	after = read_file(b.config);
	doc = parse_or_null(after);
	pre = json_get(json_get(doc, "hooks"), "prestart");
	ok(pre && pre->len == 2 && strcmp(json_get(pre->items[1], "path")->text, hook_exe) == 0,
	   "create: config.json has the hook, last in prestart");
	is_str(r.err, "", "create: nothing on stderr");
	run_free(&r);
	bundle_free(&b);
}

/* Commands other than create/run must leave even a config.json in the cwd alone. */
static void check_passthrough(const char *cfg, const char *a1, const char *a2, const char *a3)
{
	cleanup_free char *want = NULL, *got = NULL, *arg0 = NULL, *after = NULL;
	struct bundle b;

	bundle_new(&b, base_config, 0640);
	struct run r = {.config = cfg, .cwd = b.dir, .argv = {"x", a1, a2, a3}};

	ok(run_wrapper(&r) == 7, "%s: passed through", a1);
	want = joined_args(r.argv);
	got = recorded_args(&arg0);
	is_str(got, want, "%s: same arguments", a1);
	after = read_file(b.config);
	ok(after && strcmp(after, base_config) == 0, "%s: config.json in the cwd untouched", a1);
	run_free(&r);
	bundle_free(&b);
}

static void test_exec_passthrough(void)
{
	cleanup_free char *cfg_text =
	    xasprintf("{\"runtime\":\"%s\",\"hook\":{\"path\":\"%s\"}}", fake_runtime, hook_exe);
	cleanup_free char *cfg = write_config("rt-pass.json", cfg_text);

	check_passthrough(cfg, "start", "ctr1", NULL);
	check_passthrough(cfg, "delete", "--force", "ctr1");
	check_passthrough(cfg, "state", "ctr1", NULL);
	check_passthrough(cfg, "kill", "ctr1", "KILL");
	check_passthrough(cfg, "--version", NULL, NULL);
	check_passthrough(cfg, "--help", NULL, NULL);
	check_passthrough(cfg, "create", "--help", NULL);
}

static bool is_rfc3339(const char *s)
{
	const char *pat = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	if (strcmp(s + i, "Z") == 0)
		return true;
	return (s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 && s[i + 3] == ':';
}

/* The one JSON line containerd reads from runc's --log: {"level","msg","time"}. */
static void check_json_log(const char *log, const char *want_msg)
{
	cleanup_free char *text = read_file(log);
	cleanup_json struct json *line = NULL;
	const struct json *time;

	ok(text && strchr(text, '\n') == text + strlen(text) - 1, "log: exactly one line");
	line = parse_or_null(text);
	ok(line && line->len == 3, "log: one JSON object with three keys");
	is_str(json_get(line, "level") ? json_get(line, "level")->text : NULL, "error",
	       "log: level");
	is_str(json_get(line, "msg") ? json_get(line, "msg")->text : NULL, want_msg, "log: msg");
	time = json_get(line, "time");
	ok(time && is_rfc3339(time->text), "log: time is RFC 3339 (%s)", time ? time->text : "");
}

static void test_exec_missing_runtime(void)
{
	cleanup_free char *cfg =
	    write_config("rt-missing.json",
			 "{\"runtime\":\"/nonexistent/runc\",\"hook\":{\"path\":\"/bin/sh\"}}");
	cleanup_free char *log = xasprintf("%s/log.json", work_dir);
	cleanup_free char *crun_log = xasprintf("file:%s", log);
	const char *msg = "octrace-runtime: runtime /nonexistent/runc: No such file or directory";
	cleanup_free char *line = xasprintf("%s\n", msg);
	cleanup_free char *after = NULL;
	struct bundle b;

	bundle_new(&b, base_config, 0640);
	struct run r = {.config = cfg,
			.argv = {"x", "--root", "/r", "--log", log, "--log-format", "json",
				 "create", "--bundle", b.dir, "ctr1"}};
	struct run s = {.config = cfg, .argv = {"x", "create", "--bundle", b.dir, "ctr1"}};
	struct run t = {.config = cfg, .argv = {"x", "--log", log, "state", "ctr1"}};
	struct run u = {.config = cfg,
			.argv = {"x", "--log", crun_log, "--log-format=json", "state", "c"}};

	ok(run_wrapper(&r) == 1, "missing runtime: exit 1");
	check_json_log(log, msg);
	is_str(r.err, "", "missing runtime, --log: nothing on stderr");
	after = read_file(b.config);
	ok(after && strcmp(after, base_config) == 0, "missing runtime: the bundle is untouched");
	ok(run_wrapper(&s) == 1, "missing runtime, no --log: exit 1");
	is_str(s.err, line, "missing runtime, no --log: one line on stderr");
	unlink(log);
	ok(run_wrapper(&t) == 1, "missing runtime, text log: exit 1");
	free(after);
	after = read_file(log);
	ok(after && strncmp(after, "time=\"", 6) == 0 &&
	       strstr(after, "\" level=error msg=\"octrace-runtime: runtime /nonexistent/runc: "
			     "No such file or directory\"\n"),
	   "text log: logrus's format (%s)", after ? after : "");
	unlink(log);
	ok(run_wrapper(&u) == 1, "crun's --log=file:PATH: exit 1");
	check_json_log(log, msg);
	run_free(&r);
	run_free(&s);
	run_free(&t);
	run_free(&u);
	bundle_free(&b);
}

static void test_exec_broken(void)
{
	cleanup_free char *cfg_text =
	    xasprintf("{\"runtime\":\"%s\",\"hook\":{\"path\":\"%s\"}}", fake_runtime, hook_exe);
	cleanup_free char *cfg = write_config("rt-broken.json", cfg_text);
	cleanup_free char *bad_cfg = write_config("rt-bad.json", "{\"runtime\": 5}");
	const char *broken = "{\"ociVersion\": \"1.0\", \"hooks\": {\"prestart\": [}}";
	cleanup_free char *want = NULL, *want_cfg = NULL, *after = NULL, *rec = NULL;
	struct bundle b;

	bundle_new(&b, broken, 0600);
	want = xasprintf("octrace-runtime: %s: line 1, column 46: malformed JSON: parse error: "
			 "unallowed token at this point in JSON text\n",
			 b.config);
	want_cfg =
	    xasprintf("octrace-runtime: %s: runtime: expected a string, got number\n", bad_cfg);
	struct run r = {.config = cfg, .argv = {"x", "run", "-b", b.dir, "ctr1"}};
	struct run s = {.config = bad_cfg, .argv = {"x", "state", "ctr1"}};

	ok(run_wrapper(&r) == 1, "broken config.json: exit 1");
	is_str(r.err, want, "broken config.json: the file, the position, the problem");
	rec = read_file(fake_record);
	ok(rec == NULL, "broken config.json: the runtime is not run");
	after = read_file(b.config);
	ok(after && strcmp(after, broken) == 0 && count_entries(b.dir) == 1,
	   "broken config.json: the bundle is untouched");
	ok(run_wrapper(&s) == 1, "broken runtime config: exit 1");
	is_str(s.err, want_cfg, "broken runtime config: which file, which key");
	run_free(&r);
	run_free(&s);
	bundle_free(&b);
}

/* Installed as "runc" ahead of the real one in PATH, it must skip itself. */
static void test_exec_path(void)
{
	cleanup_free char *dir1 = xasprintf("%s/path1", work_dir);
	cleanup_free char *dir2 = xasprintf("%s/path2", work_dir);
	cleanup_free char *self_link = xasprintf("%s/runc", dir1);
	cleanup_free char *fake_link = xasprintf("%s/runc", dir2);
	cleanup_free char *path = xasprintf("%s:relative:%s", dir1, dir2);
	cleanup_free char *cfg_text = xasprintf("{\"hook\":{\"path\":\"%s\"}}", hook_exe);
	cleanup_free char *cfg = write_config("rt-path.json", cfg_text);
	cleanup_free char *self_text = xasprintf("{\"runtime\":\"%s\"}", runtime_exe);
	cleanup_free char *self_cfg = write_config("rt-self.json", self_text);
	cleanup_free char *self_msg = xasprintf("octrace-runtime: runtime %s: is octrace-runtime "
						"itself\n",
						runtime_exe);
	cleanup_free char *got = NULL, *arg0 = NULL;

	if (mkdir(dir1, 0755) < 0 || mkdir(dir2, 0755) < 0 || symlink(runtime_exe, self_link) < 0 ||
	    symlink(fake_runtime, fake_link) < 0)
		exit(99);
	struct run r = {.config = cfg, .path = path, .argv = {"x", "state", "c"}};
	struct run s = {.config = cfg, .path = dir1, .argv = {"x", "state", "c"}};
	struct run t = {.config = self_cfg, .argv = {"x", "state", "c"}};

	ok(run_wrapper(&r) == 7, "PATH: the runc after ourselves is exec'd");
	got = recorded_args(&arg0);
	is_str(arg0, fake_link, "PATH: %s", fake_link);
	ok(run_wrapper(&s) == 1, "PATH: only ourselves: exit 1");
	is_str(s.err,
	       "octrace-runtime: runtime \"runc\": not found in PATH (except as "
	       "octrace-runtime itself)\n",
	       "PATH: only ourselves: message");
	ok(run_wrapper(&t) == 1, "runtime: our own path is refused");
	is_str(t.err, self_msg, "runtime: our own path: message");
	run_free(&r);
	run_free(&s);
	run_free(&t);
}

/* Without hook.path, octrace-hook next to the binary. */
static void test_exec_default_hook(void)
{
	cleanup_free char *cfg_text = xasprintf("{\"runtime\":\"%s\"}", fake_runtime);
	cleanup_free char *cfg = write_config("rt-default.json", cfg_text);
	cleanup_free char *after = NULL;
	cleanup_json struct json *doc = NULL;
	const struct json *pre;
	struct bundle b;

	bundle_new(&b, "{}", 0644);
	struct run r = {.config = cfg, .argv = {"x", "run", "--bundle", b.dir, "c"}};

	ok(run_wrapper(&r) == 7, "default hook: runs");
	after = read_file(b.config);
	doc = parse_or_null(after);
	pre = json_get(json_get(doc, "hooks"), "prestart");
	ok(pre && pre->len == 1 && strcmp(json_get(pre->items[0], "path")->text, hook_exe) == 0 &&
	       strcmp(json_get(pre->items[0], "args")->items[0]->text, "octrace-hook") == 0,
	   "default hook: %s, argv[0] octrace-hook", hook_exe);
	run_free(&r);
	bundle_free(&b);
}

static void test_exec_own_options(void)
{
	cleanup_free char *cfg = write_config("rt-help.json", "{\"runtime\":\"/nonexistent\"}");
	struct run r = {.config = cfg, .argv = {"x", "--octrace-help"}};
	struct run s = {.config = cfg, .argv = {"x", "--octrace-version"}};

	ok(run_wrapper(&r) == 0 && r.out && strncmp(r.out, "Usage: octrace-runtime", 22) == 0,
	   "--octrace-help: our own usage, without a runtime");
	ok(run_wrapper(&s) == 0 && s.out && strncmp(s.out, "octrace-runtime ", 16) == 0,
	   "--octrace-version");
	run_free(&r);
	run_free(&s);
}

/* --version: octrace-runtime's own two lines, then the real runtime's --version (exec'd: its
 * exit status comes back). */
static void test_exec_version(void)
{
	cleanup_free char *cfg_text = xasprintf("{\"runtime\":\"%s\"}", fake_runtime);
	cleanup_free char *cfg = write_config("rt-version.json", cfg_text);
	cleanup_free char *got = NULL, *arg0 = NULL;
	const char *want = "octrace-runtime " OCTRACE_VERSION "\nlibseccomp ";
	struct run r = {.config = cfg, .argv = {"x", "--version"}};
	unsigned major, minor, micro;

	ok(run_wrapper(&r) == 7, "--version: the real runtime's runs after ours (status 7)");
	ok(r.out && strncmp(r.out, want, strlen(want)) == 0 &&
	       sscanf(r.out + strlen(want), "%u.%u.%u\n", &major, &minor, &micro) == 3 &&
	       major >= 2,
	   "--version: \"octrace-runtime %s\", then libseccomp's version (%s)", OCTRACE_VERSION,
	   r.out ? r.out : "");
	got = recorded_args(&arg0);
	is_str(got, "--version\n", "--version: the real runtime gets --version");
	run_free(&r);
}

static void setup_paths(const char *exe)
{
	char real[PATH_MAX];
	char *slash;

	if (realpath(exe, real) == NULL)
		exit(99);
	runtime_exe = exe;
	slash = strrchr(real, '/');
	*slash = '\0';
	snprintf(hook_exe, sizeof(hook_exe), "%s/octrace-hook", real);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-runtime OCTRACE-RUNTIME\n");
		return 99;
	}
	setup_paths(argv[1]);
	test_args();
	test_json_write();
	test_config();
	test_bundle_add();
	test_bundle_shapes();
	test_bundle_untouched();
	test_bundle_annotated();
	test_bundle_annotated_on();
	setup_exec();
	test_exec_create();
	test_exec_passthrough();
	test_exec_missing_runtime();
	test_exec_broken();
	test_exec_path();
	test_exec_default_hook();
	test_exec_own_options();
	test_exec_version();
	rm_tree(work_dir);
	free(work_dir);
	free(fake_runtime);
	free(fake_record);
	return tap_done();
}
