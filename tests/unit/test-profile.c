/* tracer/profile.c and oci/serialize.c: the observed set, profiles written and read back
 * with oci_policy_load() and compiled with oci_policy_compile(), base profiles merged
 * without losing a rule, and nothing half-written left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "compile.h"
#include "jsonw.h"
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
	cleanup_profile struct profile p = {NULL, 0, 0};

	profile_add(&p, AUDIT_ARCH_X86_64, SYS_read);
	profile_add(&p, AUDIT_ARCH_X86_64, SYS_write);
	profile_add(&p, AUDIT_ARCH_X86_64, SYS_read);
	profile_add(&p, AUDIT_ARCH_I386, 1);
	profile_add(&p, AUDIT_ARCH_X86_64, 0x40000000 | SYS_read);
	profile_add(&p, AUDIT_ARCH_X86_64, -1);
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
		profile_add(&p, AUDIT_ARCH_X86_64, nr);
	ok(p.n == 503, "grows past its first allocation (%zu)", p.n);
	profile_free(&p);
	ok(p.n == 0 && p.seen == NULL, "profile_free empties it");
}

static void test_fresh(void)
{
	cleanup_profile struct profile seen = {NULL, 0, 0};
	cleanup_free char *out = in_dir("fresh.json"), *text = NULL;
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_write);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read);
	profile_add(&seen, AUDIT_ARCH_I386, 1); /* exit */
	if (!ok(profile_write(out, NULL, &seen, &err) == 0, "profile_write without a base")) {
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
	cleanup_profile struct profile seen = {NULL, 0, 0};
	cleanup_free char *out = write_file("empty.json", "old contents");
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	ok(profile_write(out, NULL, &seen, &err) == 0, "nothing observed: still a profile");
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
static void check_merged_semantics(const struct oci_policy *p)
{
	uint64_t args[6] = {0x10000000 /* CLONE_NEWUSER */, 0, 0, 0, 0, 0};
	enum oci_action action;
	uint32_t errnum;
	int rule;

	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_mkdir, args, &action, &errnum);
	ok(rule == 2 && action == OCI_ACT_ERRNO && errnum == 13,
	   "a base rule denying a syscall seen still denies it (rule %d)", rule);
	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_clone, args, &action, &errnum);
	ok(rule == (int)p->n_rules - 1 && action == OCI_ACT_ALLOW,
	   "a syscall the base allows only with some arguments is then allowed with any");
	rule = oci_policy_match(p, AUDIT_ARCH_X86_64, SYS_getppid, args, &action, &errnum);
	ok(rule == -1 && action == OCI_ACT_ERRNO && errnum == 38,
	   "a syscall not seen keeps the base's default");
}

static void test_base_merge(void)
{
	cleanup_profile struct profile seen = {NULL, 0, 0};
	cleanup_free char *base = write_file("base.json", base_doc), *out = in_dir("merged.json");
	cleanup_free char *out2 = in_dir("merged2.json"), *text = NULL;
	cleanup_oci_policy struct oci_policy *want = parse_text(base_doc), *p = NULL, *p2 = NULL;
	struct oci_error *err = NULL;

	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_clone);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_getpid);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_mkdir);
	profile_add(&seen, AUDIT_ARCH_I386, 1);
	if (!ok(profile_write(out, base, &seen, &err) == 0, "profile_write with a base")) {
		diag("%s", err->msg);
		oci_error_free(err);
		return;
	}
	if ((p = load(out)) == NULL)
		return;
	ok(same_policy(want, p, want->n_rules), "every base field and rule kept as it was");
	ok(p->n_rules == want->n_rules + 1 && p->rules[p->n_rules - 1].action == OCI_ACT_ALLOW &&
	       p->rules[p->n_rules - 1].n_args == 0,
	   "one ALLOW rule appended");
	is_str(names_of(&p->rules[p->n_rules - 1]), "clone execve execveat exit getpid mkdir",
	       "names not already allowed unconditionally (read is)");
	ok(p->n_archs == 2 && p->archs[0] == SCMP_ARCH_X86_64 && p->archs[1] == SCMP_ARCH_X86,
	   "the architecture seen is added to the base's");
	ok(compiles(p), "the merged profile compiles");
	check_merged_semantics(p);
	text = read_file(out);
	ok(strstr(text, "unknownKey") == NULL, "unknown keys of the base are not kept");
	ok(profile_write(out2, out, &seen, &err) == 0 && (p2 = load(out2)) != NULL &&
	       p2->n_rules == p->n_rules && same_policy(p, p2, p->n_rules),
	   "merging the same run again adds nothing");
	oci_error_free(err);
	unlink(base);
	unlink(out);
	unlink(out2);
}

static void test_base_allow_default(void)
{
	const char *doc = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{"
			  "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			  "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}";
	cleanup_profile struct profile seen = {NULL, 0, 0};
	cleanup_free char *base = write_file("config.json", doc), *out = in_dir("out.json");
	cleanup_free char *text = NULL;
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_read);
	profile_add(&seen, AUDIT_ARCH_X86_64, SYS_mount);
	ok(profile_write(out, base, &seen, &err) == 0, "a config.json as the base");
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
	cleanup_profile struct profile seen = {NULL, 0, 0};
	struct oci_error *err = NULL;

	if (!ok(profile_write(out, base, &seen, &err) < 0, "profile_write(%s) fails", out))
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
	rmdir(dir);
	return tap_done();
}
