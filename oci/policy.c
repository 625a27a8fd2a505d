/* Parsing an OCI `linux.seccomp` object (bare, or inside a config.json) into struct
 * oci_policy. Field semantics follow runc 1.1 (libcontainer/specconv and
 * libcontainer/seccomp); unknown keys are ignored as runc does, so that newer specs load.
 * Every error names the file and the JSON path of the offending value. */
#include "xalloc.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "json.h"

/* A policy file bigger than this is not a policy (podman's whole config.json is ~30 KiB). */
#define OCI_POLICY_MAX_SIZE (64 << 20)

/* errnoRet travels in the 16-bit SECCOMP_RET_DATA; runc would truncate larger values. */
#define OCI_ERRNO_MAX 65535
/* ...but libseccomp (2.5) refuses SCMP_ACT_ERRNO with 4095 (the kernel's MAX_ERRNO) or more,
 * so runc and crun fail to create such a container; octrace, whose tracer-mode filter holds
 * no ERRNO, would otherwise enforce it, and -4096 and below do not even read as an error. */
#define OCI_ERRNO_ACT_MAX 4094

struct name_value {
	const char *name;
	unsigned value;
};

static const struct name_value action_names[] = {
    {"SCMP_ACT_KILL", OCI_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", OCI_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", OCI_ACT_KILL_PROCESS},
    {"SCMP_ACT_TRAP", OCI_ACT_TRAP},
    {"SCMP_ACT_ERRNO", OCI_ACT_ERRNO},
    {"SCMP_ACT_TRACE", OCI_ACT_TRACE},
    {"SCMP_ACT_ALLOW", OCI_ACT_ALLOW},
    {"SCMP_ACT_LOG", OCI_ACT_LOG},
    {"SCMP_ACT_NOTIFY", OCI_ACT_NOTIFY},
};

static const struct name_value op_names[] = {
    {"SCMP_CMP_NE", OCI_OP_NE},
    {"SCMP_CMP_LT", OCI_OP_LT},
    {"SCMP_CMP_LE", OCI_OP_LE},
    {"SCMP_CMP_EQ", OCI_OP_EQ},
    {"SCMP_CMP_GE", OCI_OP_GE},
    {"SCMP_CMP_GT", OCI_OP_GT},
    {"SCMP_CMP_MASKED_EQ", OCI_OP_MASKED_EQ},
};

static const struct name_value flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER},
    {"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

/* The name printed for an action: its explicit spelling (SCMP_ACT_KILL_THREAD, not the alias
 * SCMP_ACT_KILL that comes first in the table). */
const char *oci_action_name(enum oci_action a)
{
	for (size_t i = 1; i < N_ELEMENTS(action_names); i++)
		if (action_names[i].value == a)
			return action_names[i].name;
	return "SCMP_ACT_?";
}

const char *oci_op_name(enum oci_op op)
{
	for (size_t i = 0; i < N_ELEMENTS(op_names); i++)
		if (op_names[i].value == op)
			return op_names[i].name;
	return "SCMP_CMP_?";
}

bool oci_rule_repeats_index(const struct oci_rule *r)
{
	unsigned seen = 0;

	for (size_t i = 0; i < r->n_args; i++) {
		if (seen & (1u << r->args[i].index))
			return true;
		seen |= 1u << r->args[i].index;
	}
	return false;
}

static void rule_free(struct oci_rule *r)
{
	for (size_t i = 0; i < r->n_names; i++)
		free(r->names[i]);
	free(r->names);
	free(r->args);
}

void oci_policy_free(struct oci_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	oci_match_memo_free(p->memo);
	free(p->archs);
	free(p->listener_path);
	free(p->listener_metadata);
	free(p->json_prefix);
	free(p->source);
	free(p);
}

/* ---- error helpers: every message is "PATH: problem" (the file name comes last) ---- */

static int wrap_path(struct oci_error **err, const char *path)
{
	if (*path == '\0')
		return -1;
	return oci_error_wrap(err, "%s", path);
}

static int fail_at(struct oci_error **err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct oci_error **err, const char *path, const char *fmt, ...)
{
	cleanup_free char *problem = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&problem, fmt, ap) < 0)
		abort();
	va_end(ap);
	oci_fail(err, EINVAL, "%s", problem);
	return wrap_path(err, path);
}

static int fail_unknown(struct oci_error **err, const char *path, const char *what,
			const char *value)
{
	cleanup_free char *quoted = json_quote(value, strlen(value));

	return fail_at(err, path, "unknown %s %s", what, quoted);
}

/* ---- typed values ---- */

static int get_string(const struct json *v, const char *path, const char **out,
		      struct oci_error **err)
{
	if (json_string(v, out, err) < 0)
		return wrap_path(err, path);
	return 0;
}

static int get_uint(const struct json *v, const char *path, uint64_t max, uint64_t *out,
		    struct oci_error **err)
{
	if (json_uint(v, max, out, err) < 0)
		return wrap_path(err, path);
	return 0;
}

static int get_enum(const struct json *v, const char *path, const struct name_value *table,
		    size_t n, const char *what, unsigned *out, struct oci_error **err)
{
	const char *s;

	if (get_string(v, path, &s, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i].name, s) == 0) {
			*out = table[i].value;
			return 0;
		}
	}
	return fail_unknown(err, path, what, s);
}

static int get_action(const struct json *v, const char *path, enum oci_action *out,
		      struct oci_error **err)
{
	unsigned a;

	if (get_enum(v, path, action_names, N_ELEMENTS(action_names), "action", &a, err) < 0)
		return -1;
	*out = a;
	return 0;
}

static int get_errno(const struct json *v, const char *path, bool *has, uint32_t *out,
		     struct oci_error **err)
{
	uint64_t n;

	if (get_uint(v, path, OCI_ERRNO_MAX, &n, err) < 0)
		return -1;
	*has = true;
	*out = n;
	return 0;
}

/* ---- objects and arrays ---- */

typedef int (*field_fn)(void *dst, const struct json *v, const char *path, struct oci_error **err);

struct field {
	const char *key;
	bool required;
	field_fn parse;
};

/* Parse the members an object is known to have, in table order; a null member counts as
 * absent (as for Go's encoding/json, which runc uses), other members are ignored. */
static int parse_fields(const struct field *fields, size_t n, void *dst, const struct json *obj,
			const char *path, struct oci_error **err)
{
	if (json_expect(obj, JSON_OBJECT, err) < 0)
		return wrap_path(err, path);
	for (size_t i = 0; i < n; i++) {
		const struct json *v = json_get(obj, fields[i].key);
		cleanup_free char *child = json_path_key(path, fields[i].key);

		if (v == NULL || v->type == JSON_NULL) {
			if (fields[i].required)
				return fail_at(err, child, "missing");
			continue;
		}
		if (fields[i].parse(dst, v, child, err) < 0)
			return -1;
	}
	return 0;
}

typedef int (*item_fn)(void *dst, size_t i, const struct json *v, const char *path,
		       struct oci_error **err);

static int parse_items(void *dst, const struct json *arr, const char *path, item_fn parse,
		       struct oci_error **err)
{
	for (size_t i = 0; i < arr->len; i++) {
		cleanup_free char *child = json_path_index(path, i);

		if (parse(dst, i, arr->items[i], child, err) < 0)
			return -1;
	}
	return 0;
}

static int expect_array(const struct json *v, const char *path, struct oci_error **err)
{
	if (json_expect(v, JSON_ARRAY, err) < 0)
		return wrap_path(err, path);
	return 0;
}

/* ---- syscalls[].args[] ---- */

static int arg_index(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	struct oci_arg *a = dst;
	uint64_t n;

	if (get_uint(v, path, 5, &n, err) < 0)
		return -1;
	a->index = n;
	return 0;
}

static int arg_value(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	return get_uint(v, path, UINT64_MAX, &((struct oci_arg *)dst)->value, err);
}

static int arg_value_two(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	return get_uint(v, path, UINT64_MAX, &((struct oci_arg *)dst)->value_two, err);
}

static int arg_op(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	unsigned op;

	if (get_enum(v, path, op_names, N_ELEMENTS(op_names), "operator", &op, err) < 0)
		return -1;
	((struct oci_arg *)dst)->op = op;
	return 0;
}

static const struct field arg_fields[] = {
    {"index", true, arg_index},
    {"value", true, arg_value},
    {"valueTwo", false, arg_value_two},
    {"op", true, arg_op},
};

static int parse_arg(void *dst, size_t i, const struct json *v, const char *path,
		     struct oci_error **err)
{
	struct oci_rule *r = dst;

	return parse_fields(arg_fields, N_ELEMENTS(arg_fields), &r->args[i], v, path, err);
}

/* ---- syscalls[] ---- */

static int parse_name(void *dst, size_t i, const struct json *v, const char *path,
		      struct oci_error **err)
{
	struct oci_rule *r = dst;
	const char *s;

	if (get_string(v, path, &s, err) < 0)
		return -1;
	if (*s == '\0')
		return fail_at(err, path, "empty");
	r->names[i] = xstrdup(s);
	return 0;
}

static int rule_names(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	struct oci_rule *r = dst;

	if (expect_array(v, path, err) < 0)
		return -1;
	if (v->len == 0)
		return fail_at(err, path, "empty");
	r->names = xcalloc(v->len, sizeof(*r->names));
	r->n_names = v->len;
	return parse_items(r, v, path, parse_name, err);
}

static int rule_action(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	return get_action(v, path, &((struct oci_rule *)dst)->action, err);
}

static int rule_errno(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	struct oci_rule *r = dst;

	return get_errno(v, path, &r->has_errno_ret, &r->errno_ret, err);
}

static int rule_args(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	struct oci_rule *r = dst;

	if (expect_array(v, path, err) < 0)
		return -1;
	r->args = xcalloc(v->len, sizeof(*r->args));
	r->n_args = v->len;
	return parse_items(r, v, path, parse_arg, err);
}

static const struct field rule_fields[] = {
    {"names", true, rule_names},
    {"action", true, rule_action},
    {"errnoRet", false, rule_errno},
    {"args", false, rule_args},
};

/* runc (getAction) gives ERRNO and TRACE their errnoRet, EPERM when absent; the other
 * actions carry no data. */
static uint32_t effective_errno(enum oci_action a, bool has, uint32_t value)
{
	if (a != OCI_ACT_ERRNO && a != OCI_ACT_TRACE)
		return 0;
	return has ? value : EPERM;
}

/* An ERRNO action's errnoRet (`field` of `path`) as libseccomp takes it. */
static int check_errno_action(enum oci_action a, uint32_t errno_ret, const char *path,
			      const char *field, struct oci_error **err)
{
	cleanup_free char *at = NULL;

	if (a != OCI_ACT_ERRNO || errno_ret <= OCI_ERRNO_ACT_MAX)
		return 0;
	at = json_path_key(path, field);
	return fail_at(err, at, "%u is out of range for SCMP_ACT_ERRNO (0-%d)", errno_ret,
		       OCI_ERRNO_ACT_MAX);
}

static int parse_rule(void *dst, size_t i, const struct json *v, const char *path,
		      struct oci_error **err)
{
	struct oci_rule *r = &((struct oci_policy *)dst)->rules[i];

	if (parse_fields(rule_fields, N_ELEMENTS(rule_fields), r, v, path, err) < 0)
		return -1;
	r->errno_ret = effective_errno(r->action, r->has_errno_ret, r->errno_ret);
	return check_errno_action(r->action, r->errno_ret, path, "errnoRet", err);
}

/* ---- the seccomp object ---- */

static int policy_default_action(void *dst, const struct json *v, const char *path,
				 struct oci_error **err)
{
	struct oci_policy *p = dst;

	if (get_action(v, path, &p->default_action, err) < 0)
		return -1;
	/* runc refuses it: the runtime itself would block on its own syscalls. */
	if (p->default_action == OCI_ACT_NOTIFY)
		return fail_at(err, path, "SCMP_ACT_NOTIFY cannot be the default action");
	return 0;
}

static int policy_default_errno(void *dst, const struct json *v, const char *path,
				struct oci_error **err)
{
	struct oci_policy *p = dst;

	return get_errno(v, path, &p->has_default_errno_ret, &p->default_errno_ret, err);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64": strip the prefix and lowercase. */
static uint32_t resolve_arch(const char *name)
{
	char lower[32];
	size_t i;

	if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof(lower))
		return 0;
	for (i = 0; name[10 + i]; i++)
		lower[i] = tolower((unsigned char)name[10 + i]);
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static int parse_arch(void *dst, size_t i, const struct json *v, const char *path,
		      struct oci_error **err)
{
	struct oci_policy *p = dst;
	const char *s;

	if (get_string(v, path, &s, err) < 0)
		return -1;
	p->archs[i] = resolve_arch(s);
	if (p->archs[i] == 0)
		return fail_unknown(err, path, "architecture", s);
	return 0;
}

static int policy_archs(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	struct oci_policy *p = dst;

	if (expect_array(v, path, err) < 0)
		return -1;
	p->archs = xcalloc(v->len, sizeof(*p->archs));
	p->n_archs = v->len;
	return parse_items(p, v, path, parse_arch, err);
}

static int parse_flag(void *dst, size_t i, const struct json *v, const char *path,
		      struct oci_error **err)
{
	struct oci_policy *p = dst;
	unsigned bit;

	(void)i;
	if (get_enum(v, path, flag_names, N_ELEMENTS(flag_names), "flag", &bit, err) < 0)
		return -1;
	p->filter_flags |= bit;
	return 0;
}

static int policy_flags(void *dst, const struct json *v, const char *path, struct oci_error **err)
{
	if (expect_array(v, path, err) < 0)
		return -1;
	return parse_items(dst, v, path, parse_flag, err);
}

static int policy_string(char **dst, const struct json *v, const char *path, struct oci_error **err)
{
	const char *s;

	if (get_string(v, path, &s, err) < 0)
		return -1;
	*dst = xstrdup(s);
	return 0;
}

static int policy_listener_path(void *dst, const struct json *v, const char *path,
				struct oci_error **err)
{
	return policy_string(&((struct oci_policy *)dst)->listener_path, v, path, err);
}

static int policy_listener_metadata(void *dst, const struct json *v, const char *path,
				    struct oci_error **err)
{
	return policy_string(&((struct oci_policy *)dst)->listener_metadata, v, path, err);
}

static int policy_syscalls(void *dst, const struct json *v, const char *path,
			   struct oci_error **err)
{
	struct oci_policy *p = dst;

	if (expect_array(v, path, err) < 0)
		return -1;
	p->rules = xcalloc(v->len, sizeof(*p->rules));
	p->n_rules = v->len;
	return parse_items(p, v, path, parse_rule, err);
}

static const struct field policy_fields[] = {
    {"defaultAction", true, policy_default_action},
    {"defaultErrnoRet", false, policy_default_errno},
    {"architectures", false, policy_archs},
    {"flags", false, policy_flags},
    {"listenerPath", false, policy_listener_path},
    {"listenerMetadata", false, policy_listener_metadata},
    {"syscalls", false, policy_syscalls},
};

/* A config.json is recognised by the keys a seccomp object never has; its seccomp object
 * is linux.seccomp. Sets *path to "" or "linux.seccomp". */
static int find_seccomp(const struct json *doc, const struct json **out, const char **path,
			struct oci_error **err)
{
	const struct json *linux_obj, *seccomp;

	*path = "";
	*out = doc;
	if (doc->type != JSON_OBJECT || (!json_get(doc, "ociVersion") && !json_get(doc, "linux")))
		return 0;
	linux_obj = json_get(doc, "linux");
	if (linux_obj != NULL && linux_obj->type != JSON_NULL &&
	    json_expect(linux_obj, JSON_OBJECT, err) < 0)
		return wrap_path(err, "linux");
	seccomp = json_get(linux_obj, "seccomp");
	if (seccomp == NULL || seccomp->type == JSON_NULL)
		return fail_at(err, "linux.seccomp", "missing");
	*path = "linux.seccomp";
	*out = seccomp;
	return 0;
}

static int parse_document(struct oci_policy *p, const char *buf, size_t len, struct oci_error **err)
{
	cleanup_json struct json *doc = NULL;
	const struct json *seccomp;
	const char *path;

	if (json_parse(buf, len, &doc, err) < 0 || find_seccomp(doc, &seccomp, &path, err) < 0)
		return -1;
	p->json_prefix = xstrdup(*path ? "linux.seccomp." : "");
	if (parse_fields(policy_fields, N_ELEMENTS(policy_fields), p, seccomp, path, err) < 0)
		return -1;
	p->default_errno_ret =
	    effective_errno(p->default_action, p->has_default_errno_ret, p->default_errno_ret);
	return check_errno_action(p->default_action, p->default_errno_ret, path, "defaultErrnoRet",
				  err);
}

int oci_policy_parse(const char *name, const char *buf, size_t len, struct oci_policy **out,
		     struct oci_error **err)
{
	cleanup_oci_policy struct oci_policy *p = xcalloc(1, sizeof(*p));

	p->source = xstrdup(name);
	if (parse_document(p, buf, len, err) < 0)
		return oci_error_wrap(err, "%s", name);
	*out = steal_pointer(&p);
	return 0;
}

int oci_policy_load(const char *path, struct oci_policy **out, struct oci_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t len;

	if (fd < 0 || oci_read_fd(fd, OCI_POLICY_MAX_SIZE, &buf, &len) < 0)
		return oci_fail(err, errno, "%s: cannot read: %s", path, strerror(errno));
	return oci_policy_parse(path, buf, len, out, err);
}
