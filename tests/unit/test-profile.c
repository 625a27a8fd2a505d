/* tracer/profile.c, tracer/profile_out.c, oci/merge.c and oci/serialize.c: the observed set,
 * profiles written and read back with oci_policy_load() and compiled with
 * oci_policy_compile(), base profiles merged without losing a rule, nothing half-written left
 * behind; the argument rules and i386/x32 names checked against the compiled kernel filter
 * (bpf_run); the stats file; `profile merge` (canonical, idempotent, commutative, associative,
 * the same as learning both runs at once, its errors); the learning filter. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "compile.h"
#include "bpf.h"
#include "json.h"
#include "jsonw.h"
#include "merge.h"
#include "policy.h"
#include "profile.h"
#include "serialize.h"
#include "tap.h"

static char dir[] = "/tmp/test-profile-XXXXXX";

static char *in_dir(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		exit(99);
	return path;
}

static char *write_file(const char *name, const char *text)
{
	char *path = in_dir(name);
	FILE *f = fopen(path, "we");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		exit(99);
	return path;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, 1 << 16);

	if (f == NULL || buf == NULL)
		exit(99);
	if (fread(buf, 1, (1 << 16) - 1, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static size_t files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		exit(99);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static struct oci_policy *load(const char *path)
{
	struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_load(path, &p, &err) < 0) {
		ok(false, "the profile loads: %s", err->msg);
		oci_error_free(err);
		return NULL;
	}
	return p;
}

/* Compiles in both modes: the round trip the issue asks for. */
static bool compiles(const struct oci_policy *p)
{
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;
	bool good = true;

	for (int mode = OCI_COMPILE_KERNEL; mode <= OCI_COMPILE_TRACER; mode++) {
		if (oci_policy_compile(p, mode, stderr, &f, &err) < 0) {
			diag("compile: %s", err->msg);
			oci_error_free(err);
			err = NULL;
			good = false;
		}
		oci_filter_free(f);
		f = NULL;
	}
	return good;
}

static char *names_of(const struct oci_rule *r)
{
	static char buf[4096];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n_names; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", r->names[i]);
	return buf;
}

static void test_set(void)
{
	cleanup_profile struct profile p = { .seen = NULL };

	profile_add(&p, AUDIT_ARCH_X86_64, SYS_read, NULL);
	profile_add(&p, AUDIT_ARCH_X86_64, SYS_write, NULL);
	profile_add(&p, AUDIT_ARCH_X86_64, SYS_read, NULL);
	profile_add(&p, AUDIT_ARCH_I386, 1, NULL);
	profile_add(&p, AUDIT_ARCH_X86_64, 0x40000000 | SYS_read, NULL);
	profile_add(&p, AUDIT_ARCH_X86_64, -1, NULL);
	ok(p.n == 4, "duplicates and negative numbers are not added (%zu entries)", p.n);
	ok(profile_has(&p, AUDIT_ARCH_X86_64, SYS_read) && profile_has(&p, AUDIT_ARCH_I386, 1) &&
	       !profile_has(&p, AUDIT_ARCH_I386, SYS_read) &&
	       profile_has(&p, AUDIT_ARCH_X86_64, 0x40000000 | SYS_read),
	   "profile_has per architecture");
	ok(p.seen[0].arch == SCMP_ARCH_X86 && p.seen[1].arch == SCMP_ARCH_X32 &&
	       p.seen[2].arch == SCMP_ARCH_X86_64 && p.seen[2].nr == SYS_read &&
	       p.seen[3].nr == SYS_write,
	   "sorted by architecture and number; x32 calls are SCMP_ARCH_X32");
	for (int nr = 500; nr > 0; nr--)
		profile_add(&p, AUDIT_ARCH_X86_64, nr, NULL);
	ok(p.n == 503, "grows past its first allocation (%zu)", p.n);
	profile_free(&p);
	ok(p.n == 0 && p.seen == NULL, "profile_free empties it");
}

static void test_fresh(void)
{
	cleanup_profile struct profile seen = { .seen = NULL };
	cleanup_free char *out = in_dir("fresh.json"), *text = NULL;
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_write, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read, NULL);
	profile_add(&seen, AUDIT_ARCH_I386, 1, NULL); /* exit */
	if (!ok(profile_write(out, NULL, NULL, &seen, &err) == 0, "profile_write without a base")) {
		diag("%s", err->msg);
		oci_error_free(err);
		return;
	}
	if ((p = load(out)) == NULL)
		return;
	ok(p->default_action == OCI_ACT_ERRNO && p->has_default_errno_ret &&
	       p->default_errno_ret == 1,
	   "defaultAction SCMP_ACT_ERRNO, defaultErrnoRet 1");
	ok(p->n_archs == 2 && p->archs[0] == SCMP_ARCH_X86 && p->archs[1] == SCMP_ARCH_X86_64,
	   "architectures: every one seen");
	ok(p->n_rules == 1 && p->rules[0].action == OCI_ACT_ALLOW && p->rules[0].n_args == 0,
	   "one unconditional ALLOW rule");
	is_str(names_of(&p->rules[0]), "execve execveat exit read write",
	       "names sorted, with execve and execveat");
	ok(compiles(p), "compiles (kernel and tracer modes)");
	text = read_file(out);
	ok(strstr(text, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n") == text &&
	       text[strlen(text) - 1] == '\n' && text[strlen(text) - 2] == '}',
	   "pretty-printed, ends with a newline");
	ok(files_in_dir() == 1, "no temporary file left");
	unlink(out);
}

static void test_empty_and_replace(void)
{
	cleanup_profile struct profile seen = { .seen = NULL };
	cleanup_free char *out = write_file("empty.json", "old contents");
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	ok(profile_write(out, NULL, NULL, &seen, &err) == 0, "nothing observed: still a profile");
	oci_error_free(err);
	if ((p = load(out)) == NULL)
		return;
	ok(p->n_archs == 0 && p->n_rules == 1, "no architectures, one rule");
	is_str(names_of(&p->rules[0]), "execve execveat", "only the exec calls");
	ok(compiles(p), "compiles");
	ok(files_in_dir() == 1, "the old file replaced, no temporary left");
	unlink(out);
}

static const char base_doc[] =
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
    "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
    "\"unknownKey\":{\"x\":1},\"syscalls\":["
    "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
    "\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
    "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
    "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_NE\"},"
    "{\"index\":1,\"value\":9,\"valueTwo\":3,\"op\":\"SCMP_CMP_LE\"}]},"
    "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7}]}";

static bool same_arg(const struct oci_arg *a, const struct oci_arg *b)
{
	return a->index == b->index && a->value == b->value && a->value_two == b->value_two &&
	       a->op == b->op;
}

static bool same_rule(const struct oci_rule *a, const struct oci_rule *b)
{
	if (a->n_names != b->n_names || a->action != b->action || a->errno_ret != b->errno_ret ||
	    a->n_args != b->n_args)
		return false;
	if ((a->action == OCI_ACT_ERRNO || a->action == OCI_ACT_TRACE) &&
	    a->has_errno_ret != b->has_errno_ret)
		return false;
	for (size_t i = 0; i < a->n_names; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	for (size_t i = 0; i < a->n_args; i++)
		if (!same_arg(&a->args[i], &b->args[i]))
			return false;
	return true;
}

static bool same_string(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Every field of the model but the first n_rules rules of b (a merge appends one). */
static bool same_policy(const struct oci_policy *a, const struct oci_policy *b, size_t n_rules)
{
	if (a->default_action != b->default_action ||
	    a->default_errno_ret != b->default_errno_ret || a->filter_flags != b->filter_flags ||
	    !same_string(a->listener_path, b->listener_path) ||
	    !same_string(a->listener_metadata, b->listener_metadata) || b->n_rules < n_rules)
		return false;
	for (size_t i = 0; i < n_rules; i++)
		if (!same_rule(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

static struct oci_policy *parse_text(const char *doc)
{
	struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_parse("base.json", doc, strlen(doc), &p, &err) < 0) {
		diag("%s", err->msg);
		exit(99);
	}
	return p;
}

/* What the merge means, as the compiled filter decides (oci_policy_match() mirrors it):
 * libseccomp lets the first unconditional rule of a syscall win. */
static void check_merged_semantics(const struct oci_policy *p, bool args_none)
{
	uint64_t args[6] = {0x10000000 /* CLONE_NEWUSER */, 0, 0, 0, 0, 0};
	uint64_t none[6] = {0x11 /* SIGCHLD */, 0, 0, 0, 0, 0};
	enum oci_action action;
	uint32_t errnum;
	int rule;

	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_mkdir, args, &action, &errnum);
	ok(rule == 2 && action == OCI_ACT_ERRNO && errnum == 13,
	   "a base rule denying a syscall seen still denies it (rule %d)", rule);
	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_clone, none, &action, &errnum);
	ok(rule == (args_none ? (int)p->n_rules - 1 : 1) && action == OCI_ACT_ALLOW,
	   "clone as seen: allowed (rule %d)", rule);
	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_clone, args, &action, &errnum);
	if (args_none)
		ok(rule == (int)p->n_rules - 1 && action == OCI_ACT_ALLOW,
		   "--profile-args none: a syscall the base allows only with some arguments is "
		   "then allowed with any");
	else
		ok(rule == -1 && action == OCI_ACT_ERRNO && errnum == 38,
		   "arguments kept: clone with a namespace flag not seen stays denied");
	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_getppid, args, &action, &errnum);
	ok(rule == -1 && action == OCI_ACT_ERRNO && errnum == 38,
	   "a syscall not seen keeps the base's default");
}

static void base_merge(bool args_none)
{
	cleanup_profile struct profile seen = { .args_none = args_none };
	cleanup_free char *base = write_file("base.json", base_doc), *out = in_dir("merged.json");
	cleanup_free char *out2 = in_dir("merged2.json"), *text = NULL;
	cleanup_oci_policy struct oci_policy *want = parse_text(base_doc), *p = NULL, *p2 = NULL;
	struct oci_error *err = NULL;
	const uint64_t fork_flags[6] = {0x11, 0, 0, 0, 0, 0};

	diag("base profile, --profile-args %s", args_none ? "none" : "default");
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_clone, fork_flags);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_getpid, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_mkdir, NULL);
	profile_add(&seen, AUDIT_ARCH_I386, 1, NULL);
	if (!ok(profile_write(out, base, NULL, &seen, &err) == 0, "profile_write with a base")) {
		diag("%s", err->msg);
		oci_error_free(err);
		return;
	}
	if ((p = load(out)) == NULL)
		return;
	ok(same_policy(want, p, want->n_rules), "every base field and rule kept as it was");
	ok(p->n_rules == want->n_rules + 1 && p->rules[p->n_rules - 1].action == OCI_ACT_ALLOW &&
	       p->rules[p->n_rules - 1].n_args == 0,
	   "one ALLOW rule appended (the base's clone rule is the one learnt)");
	is_str(names_of(&p->rules[p->n_rules - 1]),
	       args_none ? "clone execve execveat exit getpid mkdir"
			 : "execve execveat exit getpid mkdir",
	       "names not already allowed unconditionally (read is)");
	ok(p->n_archs == 2 && p->archs[0] == SCMP_ARCH_X86_64 && p->archs[1] == SCMP_ARCH_X86,
	   "the architecture seen is added to the base's");
	ok(compiles(p), "the merged profile compiles");
	check_merged_semantics(p, args_none);
	text = read_file(out);
	ok(strstr(text, "unknownKey") == NULL, "unknown keys of the base are not kept");
	ok(profile_write(out2, out, NULL, &seen, &err) == 0 && (p2 = load(out2)) != NULL &&
	       p2->n_rules == p->n_rules && same_policy(p, p2, p->n_rules),
	   "merging the same run again adds nothing");
	oci_error_free(err);
	unlink(base);
	unlink(out);
	unlink(out2);
}

static void test_base_merge(void)
{
	base_merge(false);
	base_merge(true);
}

static void test_base_allow_default(void)
{
	const char *doc = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{"
			  "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			  "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}";
	cleanup_profile struct profile seen = { .seen = NULL };
	cleanup_free char *base = write_file("config.json", doc), *out = in_dir("out.json");
	cleanup_free char *text = NULL;
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_mount, NULL);
	ok(profile_write(out, base, NULL, &seen, &err) == 0, "a config.json as the base");
	oci_error_free(err);
	if ((p = load(out)) == NULL)
		return;
	ok(p->n_rules == 2, "one rule added");
	is_str(names_of(&p->rules[1]), "mount",
	       "an ALLOW default allows every name no rule mentions");
	ok(compiles(p), "compiles");
	text = read_file(out);
	ok(strstr(text, "ociVersion") == NULL && strstr(text, "\"defaultAction\"") != NULL,
	   "written as the bare linux.seccomp object");
	unlink(base);
	unlink(out);
}

static void check_write_error(const char *out, const char *base, const char *want)
{
	cleanup_profile struct profile seen = { .seen = NULL };
	struct oci_error *err = NULL;

	if (!ok(profile_write(out, base, NULL, &seen, &err) < 0, "profile_write(%s) fails", out))
		return;
	is_str(err->msg, want, "error message: %s", want);
	oci_error_free(err);
}

static void test_errors(void)
{
	cleanup_free char *out = in_dir("x.json"), *missing = in_dir("missing.json");
	cleanup_free char *bad = write_file("bad.json", "{\"defaultAction\":\"SCMP_ACT_NOPE\"}");
	cleanup_free char *want1 = NULL, *want2 = NULL;

	if (asprintf(&want1, "%s: cannot read: No such file or directory", missing) < 0 ||
	    asprintf(&want2, "%s: defaultAction: unknown action \"SCMP_ACT_NOPE\"", bad) < 0)
		exit(99);
	check_write_error(out, missing, want1);
	check_write_error(out, bad, want2);
	check_write_error("/nonexistent-octrace-dir/p.json", NULL,
			  "/nonexistent-octrace-dir/p.json: cannot create a temporary file: No "
			  "such file or directory");
	ok(access(out, F_OK) < 0, "nothing written on error");
	unlink(bad);
}

static const char full_doc[] =
    "{\"defaultAction\":\"SCMP_ACT_KILL\",\"architectures\":[\"SCMP_ARCH_X86_64\","
    "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_AARCH64\"],"
    "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
    "\"listenerPath\":\"/run/l.sock\",\"listenerMetadata\":\"m\\u00e9ta\",\"syscalls\":["
    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":5},"
    "{\"names\":[\"a\",\"b\"],\"action\":\"SCMP_ACT_ERRNO\"},"
    "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":0},"
    "{\"names\":[\"x\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"args\":["
    "{\"index\":5,\"value\":18446744073709551615,\"valueTwo\":18446744073709551614,"
    "\"op\":\"SCMP_CMP_MASKED_EQ\"},{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LT\"},"
    "{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_GE\"},{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_"
    "GT\"},"
    "{\"index\":3,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"y\"],\"action\":\"SCMP_ACT_TRAP\"},{\"names\":[\"z\"],\"action\":\"SCMP_ACT_"
    "LOG\"},"
    "{\"names\":[\"w\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
    "{\"names\":[\"v\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":65535}]}";

/* oci/serialize.c alone: a policy using every field parses back to the same model. */
static void test_serializer(void)
{
	cleanup_oci_policy struct oci_policy *a = parse_text(full_doc), *b = NULL;
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	struct oci_error *err = NULL;
	cleanup_free char *doc = NULL;
	const char *buf;
	size_t len;

	if (!ok(oci_policy_to_json(a, w, &err) == 0 && jsonw_finish(w, &buf, &len) == 0,
		"every field serialises"))
		return;
	doc = strndup(buf, len);
	b = parse_text(doc);
	ok(same_policy(a, b, a->n_rules) && b->n_rules == a->n_rules && b->n_archs == 4 &&
	       b->archs[3] == SCMP_ARCH_AARCH64,
	   "and parses back to the same model");
	ok(strstr(doc, "\"errnoRet\":5") == NULL && strstr(doc, "\"errnoRet\":0") != NULL,
	   "errnoRet kept where it means something (ERRNO 0), dropped where it does not");
	is_str(b->listener_metadata, "m\xc3\xa9ta", "non-ASCII text survives");
	a->archs[0] = 0x1234;
	jsonw_reset(w);
	ok(oci_policy_to_json(a, w, &err) < 0 && err != NULL, "an unknown arch token is an error");
	if (err)
		is_str(err->msg, "architectures[0]: unknown token 0x1234", "its message");
	oci_error_free(err);
}

/* The exec barrier octrace-runtime has a runtime install (oci_policy_to_barrier_json()):
 * exactly what it writes, and what a runtime's libseccomp makes of it on every ABI. */
static void test_barrier(void)
{
	static const char *allowlist =
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
	    "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
	    "\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
	    "\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"],\"listenerPath\":\"/run/l.sock\",\"syscalls\":["
	    "{\"names\":[\"getpid\",\"execve\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	    "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
	    "{\"names\":[\"w\"],\"action\":\"SCMP_ACT_NOTIFY\"},{\"names\":[\"z\"],"
	    "\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"v\"],\"action\":\"SCMP_ACT_TRACE\"}]}";
	static const char *want =
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
	    "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
	    "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"execve\","
	    "\"execveat\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":28672}]}";
	static const struct {
		uint32_t arch;
		int nr;
		uint32_t ret;
		const char *what;
	} cases[] = {
	    {AUDIT_ARCH_X86_64, 59, SECCOMP_RET_TRACE | OCI_TRACE_DATA_RUNTIME, "x86_64 execve"},
	    {AUDIT_ARCH_X86_64, 322, SECCOMP_RET_TRACE | OCI_TRACE_DATA_RUNTIME, "x86_64 execveat"},
	    {AUDIT_ARCH_I386, 11, SECCOMP_RET_TRACE | OCI_TRACE_DATA_RUNTIME, "i386 execve"},
	    {AUDIT_ARCH_I386, 358, SECCOMP_RET_TRACE | OCI_TRACE_DATA_RUNTIME, "i386 execveat"},
	    {AUDIT_ARCH_X86_64, 0x40000000 | 520, SECCOMP_RET_TRACE | OCI_TRACE_DATA_RUNTIME,
	     "x32 execve"},
	    {AUDIT_ARCH_X86_64, 0x40000000 | 545, SECCOMP_RET_TRACE | OCI_TRACE_DATA_RUNTIME,
	     "x32 execveat"},
	    {AUDIT_ARCH_X86_64, 83, SECCOMP_RET_ALLOW, "x86_64 mkdir (octrace's filter denies it)"},
	    {AUDIT_ARCH_X86_64, 462, SECCOMP_RET_ALLOW, "x86_64 462 (octrace's filter: default)"},
	    {AUDIT_ARCH_AARCH64, 221, SECCOMP_RET_KILL_THREAD, "an ABI the policy does not list"},
	};
	cleanup_oci_policy struct oci_policy *p = parse_text(allowlist), *full = parse_text(full_doc);
	cleanup_oci_policy struct oci_policy *kill = parse_text(
	    "{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":[]}");
	cleanup_oci_policy struct oci_policy *back = NULL;
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;
	uint64_t args[6] = {0};
	cleanup_free char *doc = NULL;
	const char *buf;
	size_t len;

	ok(!oci_policy_kills_in_kernel(p), "ERRNO, NOTIFY, LOG, TRACE: nothing killed in the kernel");
	ok(oci_policy_kills_in_kernel(full), "a KILL_PROCESS or TRAP rule kills in the kernel");
	ok(oci_policy_kills_in_kernel(kill), "and so does a KILL default");
	if (!ok(oci_policy_to_barrier_json(p, w, &err) == 0 && jsonw_finish(w, &buf, &len) == 0,
		"the barrier serialises"))
		return;
	doc = strndup(buf, len);
	is_str(doc, want, "ALLOW but execve/execveat, the policy's ABIs, TSYNC and SPEC_ALLOW only");
	back = parse_text(doc);
	if (!ok(oci_policy_compile(back, OCI_COMPILE_KERNEL, NULL, &f, &err) == 0,
		"as a runtime compiles it"))
		return;
	for (size_t i = 0; i < N_ELEMENTS(cases); i++)
		ok(oci_filter_policy_verdict(f, cases[i].arch, cases[i].nr, args, 0) == cases[i].ret,
		   "barrier: %s", cases[i].what);
	oci_filter_free(f);
}


/* ---- arguments kept (--profile-args), architectures, stats, merge ---- */

static void test_conditions(void)
{
	uint64_t mask = 0;

	ok(profile_cond_of(SCMP_ARCH_X86_64, SYS_socket, &mask) == PROFILE_COND_EQ &&
	       profile_cond_of(SCMP_ARCH_X86, 359, &mask) == PROFILE_COND_EQ &&
	       profile_cond_of(SCMP_ARCH_X32, 0x40000000 | SYS_socket, &mask) == PROFILE_COND_EQ,
	   "socket: its family kept, in every x86 ABI's numbering");
	ok(profile_cond_of(SCMP_ARCH_X86_64, SYS_personality, &mask) == PROFILE_COND_EQ &&
	       profile_cond_of(SCMP_ARCH_X86, 136, &mask) == PROFILE_COND_EQ,
	   "personality: its persona kept");
	ok(profile_cond_of(SCMP_ARCH_X86_64, SYS_clone, &mask) == PROFILE_COND_MASKED &&
	       mask == 0x7e020000 && profile_cond_of(SCMP_ARCH_X86, 120, &mask) ==
	       PROFILE_COND_MASKED, "clone: its namespace flags (docker's mask 2114060288)");
	ok(profile_cond_of(SCMP_ARCH_X86_64, SYS_unshare, &mask) == PROFILE_COND_MASKED &&
	       mask == (0x7e020000 | CLONE_NEWTIME), "unshare: the namespace flags and NEWTIME");
	ok(profile_cond_of(SCMP_ARCH_X86_64, 435, &mask) == PROFILE_COND_ENOSYS,
	   "clone3: ENOSYS");
	ok(profile_cond_of(SCMP_ARCH_X86_64, SYS_read, &mask) == PROFILE_COND_NONE &&
	       profile_cond_of(SCMP_ARCH_X86, SYS_socket, &mask) == PROFILE_COND_NONE &&
	       profile_cond_of(SCMP_ARCH_AARCH64, SYS_socket, &mask) == PROFILE_COND_NONE,
	   "anything else (i386's 41 is dup), and other architectures: names only");
}

/* The set keeps one entry per value seen. */
static void test_values(void)
{
	cleanup_profile struct profile p = { .seen = NULL };
	cleanup_profile struct profile n = { .args_none = true };
	const uint64_t unix_[6] = { AF_UNIX, SOCK_STREAM }, inet[6] = { AF_INET, SOCK_DGRAM };
	const uint64_t thread[6] = { CLONE_VM | CLONE_THREAD | CLONE_SIGHAND };
	const uint64_t fork_[6] = { SIGCHLD }, user[6] = { CLONE_NEWUSER | SIGCHLD };
	struct profile_syscall *e;

	profile_add(&p, AUDIT_ARCH_X86_64, SYS_socket, unix_);
	profile_add(&p, AUDIT_ARCH_X86_64, SYS_socket, inet);
	e = profile_add(&p, AUDIT_ARCH_X86_64, SYS_socket, unix_);
	ok(p.n == 2 && e && e->has_value && e->value == AF_UNIX && e->calls == 2,
	   "socket: one entry per family, counted (%zu entries)", p.n);
	profile_add(&p, AUDIT_ARCH_X86_64, SYS_clone, thread);
	e = profile_add(&p, AUDIT_ARCH_X86_64, SYS_clone, fork_);
	ok(p.n == 3 && e->value == 0 && e->calls == 2,
	   "clone: a thread and a fork are the same (no namespace flag)");
	e = profile_add(&p, AUDIT_ARCH_X86_64, SYS_clone, user);
	ok(p.n == 4 && e->value == CLONE_NEWUSER && e->calls == 1, "clone: CLONE_NEWUSER kept");
	ok(profile_has(&p, AUDIT_ARCH_X86_64, SYS_clone) &&
	       !profile_has(&p, AUDIT_ARCH_I386, 120),
	   "profile_has finds an entry with values");
	profile_add(&n, AUDIT_ARCH_X86_64, SYS_socket, unix_);
	e = profile_add(&n, AUDIT_ARCH_X86_64, SYS_socket, inet);
	ok(n.n == 1 && !e->has_value && e->calls == 2, "--profile-args none: names only");
}

static bool verdict_is(const struct oci_filter *f, uint32_t arch, int nr, uint64_t a0,
		       uint32_t want)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0 } };
	uint32_t got = bpf_run(f->insns, f->len, &d);

	if (got != want)
		diag("syscall %d arg0 %#llx: the filter says %#x, want %#x", nr,
		     (unsigned long long)a0, got, want);
	return got == want;
}

static struct oci_filter *kernel_filter(const struct oci_policy *p)
{
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_compile(p, OCI_COMPILE_KERNEL, stderr, &f, &err) < 0) {
		diag("compile: %s", err->msg);
		oci_error_free(err);
		exit(99);
	}
	return f;
}

static void add_args_run(struct profile *seen)
{
	const uint64_t unix_[6] = { AF_UNIX }, inet6[6] = { AF_INET6 };
	const uint64_t fork_[6] = { SIGCHLD }, user[6] = { CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD };
	const uint64_t query[6] = { 0xffffffff }, newnet[6] = { CLONE_NEWNET | CLONE_FILES };

	profile_add(seen, AUDIT_ARCH_X86_64, SYS_read, NULL);
	profile_add(seen, AUDIT_ARCH_X86_64, SYS_socket, unix_);
	profile_add(seen, AUDIT_ARCH_X86_64, SYS_socket, inet6);
	profile_add(seen, AUDIT_ARCH_I386, 359, unix_); /* i386 socket: the same rule */
	profile_add(seen, AUDIT_ARCH_X86_64, SYS_clone, fork_);
	profile_add(seen, AUDIT_ARCH_X86_64, SYS_clone, user);
	profile_add(seen, AUDIT_ARCH_X86_64, SYS_personality, query);
	profile_add(seen, AUDIT_ARCH_X86_64, SYS_unshare, newnet);
	profile_add(seen, AUDIT_ARCH_X86_64, 435, NULL); /* clone3 */
}

/* Arguments kept: the rules, and what the kernel enforcing them (the compiled filter) allows. */
static void test_args_rules(void)
{
	cleanup_profile struct profile seen = { .seen = NULL };
	cleanup_free char *out = in_dir("args.json");
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_filter *f;
	struct oci_error *err = NULL;
	const uint32_t allow = SECCOMP_RET_ALLOW, eperm = SECCOMP_RET_ERRNO | EPERM;
	const uint32_t x64 = AUDIT_ARCH_X86_64;

	add_args_run(&seen);
	if (!ok(profile_write(out, NULL, NULL, &seen, &err) == 0, "profile_write, args kept") ||
	    (p = load(out)) == NULL) {
		oci_error_free(err);
		return;
	}
	is_str(names_of(&p->rules[0]), "execve execveat read",
	       "the unconditional rule has none of the conditioned names");
	ok(p->n_rules == 8, "7 argument rules: clone x2, clone3, personality, socket x2, unshare "
	   "(%zu rules)", p->n_rules);
	ok(strcmp(p->rules[1].names[0], "clone") == 0 && p->rules[1].n_args == 1 &&
	       p->rules[1].args[0].op == OCI_OP_MASKED_EQ &&
	       p->rules[1].args[0].value == 0x7e020000 && p->rules[1].args[0].value_two == 0,
	   "clone without namespace flags: docker's own rule (MASKED_EQ 2114060288, 0)");
	ok(strcmp(p->rules[3].names[0], "clone3") == 0 && p->rules[3].action == OCI_ACT_ERRNO &&
	       p->rules[3].errno_ret == ENOSYS && p->rules[3].n_args == 0,
	   "clone3: SCMP_ACT_ERRNO(ENOSYS), as podman's profile has it");
	ok(p->n_archs == 2, "both architectures listed");
	f = kernel_filter(p);
	ok(verdict_is(f, x64, SYS_socket, AF_UNIX, allow) &&
	       verdict_is(f, x64, SYS_socket, AF_INET6, allow) &&
	       verdict_is(f, x64, SYS_socket, AF_INET, eperm) &&
	       verdict_is(f, x64, SYS_socket, AF_NETLINK, eperm),
	   "the kernel's filter: socket for the families seen only");
	ok(verdict_is(f, x64, SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, allow) &&
	       verdict_is(f, x64, SYS_clone, CLONE_NEWUSER | CLONE_NEWNS, allow) &&
	       verdict_is(f, x64, SYS_clone, CLONE_NEWUSER, eperm) &&
	       verdict_is(f, x64, SYS_clone, CLONE_NEWNET, eperm),
	   "clone: any flags but the namespace ones, which must be a combination seen");
	ok(verdict_is(f, x64, SYS_unshare, CLONE_NEWNET, allow) &&
	       verdict_is(f, x64, SYS_unshare, CLONE_NEWNET | CLONE_FS, allow) &&
	       verdict_is(f, x64, SYS_unshare, CLONE_NEWUSER, eperm) &&
	       verdict_is(f, x64, SYS_unshare, CLONE_NEWTIME, eperm),
	   "unshare: the namespaces seen");
	ok(verdict_is(f, x64, SYS_personality, 0xffffffff, allow) &&
	       verdict_is(f, x64, SYS_personality, READ_IMPLIES_EXEC, eperm),
	   "personality: the persona seen");
	ok(verdict_is(f, x64, 435, 0, SECCOMP_RET_ERRNO | ENOSYS) &&
	       verdict_is(f, x64, SYS_read, 7, allow) && verdict_is(f, x64, SYS_write, 1, eperm),
	   "clone3 ENOSYS, read allowed, write (not seen) EPERM");
	ok(verdict_is(f, AUDIT_ARCH_I386, 359, AF_UNIX, allow) &&
	       verdict_is(f, AUDIT_ARCH_I386, 359, AF_INET, eperm),
	   "i386's own socket call: the same families");
	oci_filter_free(f);
	unlink(out);
}

/* int 0x80 getppid is i386 syscall 64 (x86_64's 64 is semget): named and listed as i386. */
static void test_i386_names(void)
{
	cleanup_profile struct profile seen = { .seen = NULL };
	cleanup_free char *out = in_dir("i386.json");
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_filter *f;
	struct oci_error *err = NULL;

	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_exit_group, NULL);
	profile_add(&seen, AUDIT_ARCH_I386, 64, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, 0x40000000 | SYS_getpid, NULL); /* x32 */
	if (!ok(profile_write(out, NULL, NULL, &seen, &err) == 0, "profile_write, three ABIs") ||
	    (p = load(out)) == NULL) {
		oci_error_free(err);
		return;
	}
	is_str(names_of(&p->rules[0]), "execve execveat exit_group getpid getppid",
	       "i386 64 is getppid (not semget), x32's getpid is getpid");
	ok(p->n_archs == 3 && p->archs[0] == SCMP_ARCH_X86 && p->archs[1] == SCMP_ARCH_X32 &&
	       p->archs[2] == SCMP_ARCH_X86_64, "SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_X86_64");
	f = kernel_filter(p);
	ok(verdict_is(f, AUDIT_ARCH_I386, 64, 0, SECCOMP_RET_ALLOW) &&
	       verdict_is(f, AUDIT_ARCH_X86_64, 64, 0, SECCOMP_RET_ERRNO | EPERM) &&
	       verdict_is(f, AUDIT_ARCH_X86_64, 0x40000000 | SYS_getpid, 0, SECCOMP_RET_ALLOW),
	   "the kernel's filter allows i386 getppid and x32 getpid, not x86_64 semget");
	oci_filter_free(f);
	unlink(out);
}

static struct json *load_json(const char *path)
{
	cleanup_free char *text = read_file(path);
	struct json *v = NULL;
	struct oci_error *err = NULL;

	if (json_parse(text, strlen(text), &v, &err) < 0) {
		diag("%s: %s", path, err->msg);
		exit(99);
	}
	return v;
}

static const char *str_of(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return v && (v->type == JSON_STRING || v->type == JSON_NUMBER) ? v->text : "";
}

/* The entry of the stats for (arch, syscall[, value]), or NULL. */
static const struct json *stat_of(const struct json *doc, const char *arch, const char *name,
				  const char *value)
{
	const struct json *list = json_get(doc, "syscalls");

	for (size_t i = 0; list && i < list->len; i++) {
		const struct json *e = list->items[i], *arg = json_get(e, "arg");

		if (strcmp(str_of(e, "arch"), arch) == 0 &&
		    strcmp(str_of(e, "syscall"), name) == 0 &&
		    (value == NULL || (arg && strcmp(str_of(arg, "value"), value) == 0)))
			return e;
	}
	return NULL;
}

static void test_stats(void)
{
	cleanup_profile struct profile seen = { .stats = true };
	cleanup_free char *out = in_dir("s.json"), *stats = in_dir("s.stats.json");
	cleanup_json struct json *doc = NULL;
	const uint64_t unix_[6] = { AF_UNIX }, inet[6] = { AF_INET };
	const struct json *e;
	struct profile_syscall *s;
	struct oci_error *err = NULL;

	for (int i = 0; i < 5; i++)
		profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read, NULL);
	s = profile_add(&seen, AUDIT_ARCH_X86_64, SYS_socket, unix_);
	s->exe = strdup("/usr/bin/first");
	s->pid = 42;
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_socket, inet);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_socket, inet);
	profile_add(&seen, AUDIT_ARCH_I386, 64, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, 435, NULL);
	profile_add(&seen, AUDIT_ARCH_X86_64, 4000, NULL); /* no name */
	if (!ok(profile_write(out, NULL, stats, &seen, &err) == 0, "profile_write with stats")) {
		diag("%s", err->msg);
		oci_error_free(err);
		return;
	}
	doc = load_json(stats);
	ok(strcmp(str_of(doc, "profile"), out) == 0 && json_get(doc, "syscalls")->len == 6,
	   "the stats name the profile and have one entry per (arch, syscall, value)");
	e = stat_of(doc, "SCMP_ARCH_X86_64", "read", NULL);
	ok(e && strcmp(str_of(e, "calls"), "5") == 0 && strcmp(str_of(e, "rule"), "0") == 0 &&
	       strcmp(str_of(e, "action"), "SCMP_ACT_ALLOW") == 0 && !json_get(e, "arg"),
	   "read: 5 calls, allowed by rule 0");
	e = stat_of(doc, "SCMP_ARCH_X86_64", "socket", "1");
	ok(e && strcmp(str_of(e, "calls"), "1") == 0 &&
	       strcmp(str_of(e, "exe"), "/usr/bin/first") == 0 &&
	       strcmp(str_of(e, "pid"), "42") == 0 &&
	       strcmp(str_of(json_get(e, "arg"), "op"), "SCMP_CMP_EQ") == 0,
	   "socket(AF_UNIX): 1 call, its first executable and process, its argument");
	e = stat_of(doc, "SCMP_ARCH_X86_64", "socket", "2");
	ok(e && strcmp(str_of(e, "calls"), "2") == 0 && strcmp(str_of(e, "rule"), "3") == 0,
	   "socket(AF_INET): 2 calls, its own rule (3)");
	e = stat_of(doc, "SCMP_ARCH_X86", "getppid", NULL);
	ok(e && strcmp(str_of(e, "nr"), "64") == 0 && strcmp(str_of(e, "rule"), "0") == 0,
	   "i386 getppid: nr 64, rule 0");
	e = stat_of(doc, "SCMP_ARCH_X86_64", "clone3", NULL);
	ok(e && strcmp(str_of(e, "action"), "SCMP_ACT_ERRNO") == 0 &&
	       strcmp(str_of(e, "errno"), "38") == 0, "clone3: denied ENOSYS by its rule");
	e = json_get(doc, "syscalls")->items[json_get(doc, "syscalls")->len - 1];
	ok(json_get(e, "syscall") == NULL && strcmp(str_of(e, "nr"), "4000") == 0 &&
	       strcmp(str_of(e, "rule"), "default") == 0,
	   "a number without a name: listed, not allowed (the default decides)");
	ok(files_in_dir() == 2, "no temporary file left");
	unlink(out);
	unlink(stats);
}

static char *write_profile(const char *name, struct profile *seen)
{
	char *path = in_dir(name);
	struct oci_error *err = NULL;

	if (profile_write(path, NULL, NULL, seen, &err) < 0) {
		diag("%s", err->msg);
		exit(99);
	}
	return path;
}

/* `profile merge` of files, as text. */
static char *merged(const char *a, const char *b, const char *c)
{
	char *const paths[] = { (char *)a, (char *)b, (char *)c };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct oci_error *err = NULL;

	if (f == NULL)
		exit(99);
	if (profile_merge_files(paths, c ? 3 : b ? 2 : 1, f, &err) < 0) {
		diag("merge: %s", err->msg);
		oci_error_free(err);
	}
	fclose(f);
	return buf;
}

/* Learning A and B separately and merging is learning A and B in one run. */
static void test_merge_learnt(void)
{
	cleanup_profile struct profile a = { .seen = NULL }, b = { .seen = NULL };
	cleanup_profile struct profile ab = { .seen = NULL };
	cleanup_profile struct profile none = { .args_none = true };
	const uint64_t netlink[6] = { AF_NETLINK }, user[6] = { CLONE_NEWUSER };
	cleanup_free char *pa = NULL, *pb = NULL, *pab = NULL, *pn = NULL, *text_a = NULL;
	cleanup_free char *m_aa = NULL, *m_ab = NULL, *m_ba = NULL, *want = NULL, *m_abn = NULL;
	cleanup_free char *m_nested = NULL, *m_abn3 = NULL, *m_a = NULL;
	cleanup_free char *p_nested = in_dir("nested.json");

	add_args_run(&a);
	add_args_run(&ab);
	profile_add(&b, AUDIT_ARCH_X86_64, SYS_write, NULL);
	profile_add(&b, AUDIT_ARCH_X86_64, SYS_socket, netlink);
	profile_add(&b, AUDIT_ARCH_X86_64, SYS_unshare, user);
	profile_add(&b, AUDIT_ARCH_I386, 64, NULL);
	for (size_t i = 0; i < b.n; i++) {
		uint64_t args[6] = { b.seen[i].value };
		uint32_t arch = b.seen[i].arch;

		profile_add(&ab, arch == SCMP_ARCH_X86 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64,
			    b.seen[i].nr, args);
	}
	profile_add(&none, AUDIT_ARCH_X86_64, SYS_socket, netlink);
	profile_add(&none, AUDIT_ARCH_X86_64, 435, NULL);
	pa = write_profile("a.json", &a);
	pb = write_profile("b.json", &b);
	pab = write_profile("ab.json", &ab);
	pn = write_profile("none.json", &none);
	text_a = read_file(pa);
	m_a = merged(pa, NULL, NULL);
	m_aa = merged(pa, pa, NULL);
	is_str(m_a, text_a, "a learnt profile is canonical: merging it alone changes nothing");
	is_str(m_aa, text_a, "idempotent: merge(A, A) == A");
	m_ab = merged(pa, pb, NULL);
	m_ba = merged(pb, pa, NULL);
	is_str(m_ab, m_ba, "commutative: merge(A, B) == merge(B, A), byte for byte");
	want = read_file(pab);
	is_str(m_ab, want, "merge(learnt A, learnt B) == what one run doing both learns");
	m_abn = merged(pa, pb, pn);
	{
		FILE *f = fopen(p_nested, "we");

		if (f == NULL || fputs(m_ab, f) < 0 || fclose(f) != 0)
			exit(99);
	}
	m_nested = merged(p_nested, pn, NULL);
	m_abn3 = merged(pn, pb, pa);
	is_str(m_nested, m_abn, "associative: merge(merge(A, B), C) == merge(A, B, C)");
	is_str(m_abn3, m_abn, "any order of three inputs gives the same bytes");
	ok(strstr(m_abn, "\"clone3\"") != NULL && strstr(m_abn, "38") == NULL,
	   "clone3 allowed outright by one input (names only): no ENOSYS rule left");
	unlink(pa);
	unlink(pb);
	unlink(pab);
	unlink(pn);
	unlink(p_nested);
}

static void check_merge_error(const char *doc_a, const char *doc_b, const char *want_fmt)
{
	cleanup_free char *a = write_file("ea.json", doc_a), *b = write_file("eb.json", doc_b);
	cleanup_free char *want = NULL, *out = NULL;
	char *const paths[] = { a, b };
	struct oci_error *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL || asprintf(&want, want_fmt, b, a) < 0)
		exit(99);
	if (ok(profile_merge_files(paths, 2, f, &err) < 0, "merge refused: %s", want))
		is_str(err->msg, want, "one line naming the file and the field");
	fclose(f);
	ok(len == 0, "nothing written");
	oci_error_free(err);
	unlink(a);
	unlink(b);
}

static void test_merge_errors(void)
{
	cleanup_free char *missing = in_dir("nope.json");
	cleanup_free char *a = write_file("a.json", "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	char *const paths[] = { a, missing };
	struct oci_error *err = NULL;
	FILE *f = fopen("/dev/null", "we");

	check_merge_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\"}",
			  "{\"defaultAction\":\"SCMP_ACT_KILL\"}",
			  "%s: defaultAction: differs from %s's: cannot merge");
	check_merge_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1}",
			  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38}",
			  "%s: defaultErrnoRet: differs from %s's: cannot merge");
	check_merge_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"x\"],"
			  "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"clone3\"],\"action\":"
			  "\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
			  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
			  "[\"clone3\"],"
			  "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":"
			  "\"SCMP_CMP_EQ\"}]}]}",
			  "%2$s: syscalls[1]: \"clone3\" is denied outright, but %1$s: syscalls[0] "
			  "has another rule for it: cannot merge");
	ok(profile_merge_files(paths, 2, f, &err) < 0 && err &&
	       strstr(err->msg, missing) == err->msg, "a missing input: its name first");
	oci_error_free(err);
	fclose(f);
	unlink(a);
}

/* The learning filter: what the tracer-mode program allows now stops too (OCI_TRACE_DATA_LEARN);
 * every other answer is the program's own. Without a policy it traces every syscall. */
static void test_learn_filter(void)
{
	static const char doc[] =
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},{\"names\":[\"getppid\"],\"action\":"
	    "\"SCMP_ACT_KILL_PROCESS\",\"args\":[{\"index\":0,\"value\":7,"
	    "\"op\":\"SCMP_CMP_EQ\"}]}]}";
	cleanup_oci_policy struct oci_policy *p = parse_text(doc);
	struct oci_filter *tracer = NULL, *enforce = NULL, *learn, *learn_e, *all;
	struct oci_error *err = NULL;
	const uint32_t learnt = SECCOMP_RET_TRACE | OCI_TRACE_DATA_LEARN;
	const uint32_t x64 = AUDIT_ARCH_X86_64;
	bool same = true;

	if (oci_policy_compile(p, OCI_COMPILE_TRACER, stderr, &tracer, &err) < 0 ||
	    oci_filter_to_enforce(tracer, &enforce) < 0) {
		diag("compile: %s", err ? err->msg : "?");
		exit(99);
	}
	learn = oci_filter_to_learn(tracer);
	learn_e = oci_filter_to_learn(enforce);
	all = oci_filter_to_learn(NULL);
	ok(verdict_is(learn, x64, SYS_read, 0, learnt) &&
	       verdict_is(learn, x64, SYS_getppid, 1, learnt) &&
	       verdict_is(learn_e, x64, SYS_read, 0, learnt),
	   "what the policy allows stops, with the learning data (tracer and enforce forms)");
	for (int nr = 0; nr < 450; nr++) {
		struct seccomp_data d = { .nr = nr, .arch = x64, .args = { 7 } };
		uint32_t a = bpf_run(tracer->insns, tracer->len, &d);
		uint32_t b = bpf_run(learn->insns, learn->len, &d);

		same &= a == SECCOMP_RET_ALLOW ? b == learnt : a == b;
	}
	ok(same, "every other answer is the tracer-mode program's (450 syscalls)");
	ok(verdict_is(learn_e, x64, SYS_getppid, 7, SECCOMP_RET_KILL_PROCESS),
	   "the enforce form's in-kernel KILL stays");
	ok(learn->n_slots == tracer->n_slots && learn->len == tracer->len,
	   "same slots, same length");
	ok(all->len == 1 && verdict_is(all, x64, SYS_read, 0, learnt) &&
	       verdict_is(all, AUDIT_ARCH_I386, 64, 0, learnt) &&
	       verdict_is(all, AUDIT_ARCH_AARCH64, 1, 0, learnt) &&
	       verdict_is(all, x64, 0x40000000 | SYS_getpid, 0, learnt),
	   "no policy: one instruction that traces every syscall of every ABI");
	oci_filter_free(tracer);
	oci_filter_free(enforce);
	oci_filter_free(learn);
	oci_filter_free(learn_e);
	oci_filter_free(all);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 99;
	test_set();
	test_fresh();
	test_empty_and_replace();
	test_base_merge();
	test_base_allow_default();
	test_errors();
	test_serializer();
	test_barrier();
	test_conditions();
	test_values();
	test_args_rules();
	test_i386_names();
	test_stats();
	test_merge_learnt();
	test_merge_errors();
	test_learn_filter();
	rmdir(dir);
	return tap_done();
}
