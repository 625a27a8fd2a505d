/* Writing the policy model as JSON. Values that equal what a parser infers are left out
 * (errnoRet for actions that carry none, a zero valueTwo), so that a parsed file written
 * back is as close to what a person wrote as the model allows; every written document parses
 * back to the same model (tests/unit/test-profile.c checks the round trip). */
#include "serialize.h"

#include <errno.h>
#include <linux/seccomp.h>

#include "arch.h"
#include "cleanup.h"


static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
    {SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
    {SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"},
    {SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
    {SECCOMP_FILTER_FLAG_NEW_LISTENER, "SECCOMP_FILTER_FLAG_NEW_LISTENER"},
    {SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"},
    {SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
};

static bool carries_errno(enum oci_action a) { return a == OCI_ACT_ERRNO || a == OCI_ACT_TRACE; }

static void write_arg(struct jsonw *w, const struct oci_arg *a)
{
	jsonw_object_open(w);
	jsonw_kv_uint64(w, "index", a->index);
	jsonw_kv_uint64(w, "value", a->value);
	if (a->value_two != 0)
		jsonw_kv_uint64(w, "valueTwo", a->value_two);
	jsonw_kv_cstring(w, "op", oci_op_name(a->op));
	jsonw_object_close(w);
}

static void write_rule(struct jsonw *w, const struct oci_rule *r)
{
	jsonw_object_open(w);
	jsonw_key(w, "names");
	jsonw_array_open(w);
	for (size_t i = 0; i < r->n_names; i++)
		jsonw_cstring(w, r->names[i]);
	jsonw_array_close(w);
	jsonw_kv_cstring(w, "action", oci_action_name(r->action));
	if (r->has_errno_ret && carries_errno(r->action))
		jsonw_kv_uint64(w, "errnoRet", r->errno_ret);
	if (r->n_args > 0) {
		jsonw_key(w, "args");
		jsonw_array_open(w);
		for (size_t i = 0; i < r->n_args; i++)
			write_arg(w, &r->args[i]);
		jsonw_array_close(w);
	}
	jsonw_object_close(w);
}

static int write_archs(struct jsonw *w, const struct oci_policy *p, struct oci_error **err)
{
	jsonw_key(w, "architectures");
	jsonw_array_open(w);
	for (size_t i = 0; i < p->n_archs; i++) {
		const char *name = oci_arch_oci_name(p->archs[i]);

		if (name == NULL)
			return oci_fail(err, EINVAL, "architectures[%zu]: unknown token 0x%x", i,
					p->archs[i]);
		jsonw_cstring(w, name);
	}
	jsonw_array_close(w);
	return 0;
}

static void write_flags(struct jsonw *w, uint32_t flags)
{
	jsonw_key(w, "flags");
	jsonw_array_open(w);
	for (size_t i = 0; i < N_ELEMENTS(flag_names); i++)
		if (flags & flag_names[i].bit)
			jsonw_cstring(w, flag_names[i].name);
	jsonw_array_close(w);
}

int oci_policy_to_json(const struct oci_policy *p, struct jsonw *w, struct oci_error **err)
{
	jsonw_object_open(w);
	jsonw_kv_cstring(w, "defaultAction", oci_action_name(p->default_action));
	if (p->has_default_errno_ret && carries_errno(p->default_action))
		jsonw_kv_uint64(w, "defaultErrnoRet", p->default_errno_ret);
	if (p->n_archs > 0 && write_archs(w, p, err) < 0)
		return -1;
	if (p->filter_flags)
		write_flags(w, p->filter_flags);
	if (p->listener_path)
		jsonw_kv_cstring(w, "listenerPath", p->listener_path);
	if (p->listener_metadata)
		jsonw_kv_cstring(w, "listenerMetadata", p->listener_metadata);
	if (p->n_rules > 0) {
		jsonw_key(w, "syscalls");
		jsonw_array_open(w);
		for (size_t i = 0; i < p->n_rules; i++)
			write_rule(w, &p->rules[i]);
		jsonw_array_close(w);
	}
	jsonw_object_close(w);
	return 0;
}
