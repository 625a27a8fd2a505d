/* Writing the policy model as JSON. Values that equal what a parser infers are left out
 * (errnoRet for actions that carry none, a zero valueTwo), so that a parsed file written
 * back is as close to what a person wrote as the model allows; every written document parses
 * back to the same model (tests/unit/test-profile.c checks the round trip). */
#include "serialize.h"

#include <errno.h>
#include <linux/seccomp.h>

#include "arch.h"
#include "compile.h"
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

/* The tracer form's distinct TRACE data per distinct (action, errno) of the policy, so that
 * libseccomp sees the same equalities between actions as in the policy itself and builds the
 * same decision tree (as the tracer-mode filter's slots do). */
struct tracer_form {
	enum oci_action actions[OCI_TRACE_DATA_RUNTIME_N];
	uint32_t errnos[OCI_TRACE_DATA_RUNTIME_N];
	size_t n;
};

static bool stays_in_kernel(enum oci_action a)
{
	return a == OCI_ACT_ALLOW || a == OCI_ACT_LOG || a == OCI_ACT_KILL_THREAD ||
	       a == OCI_ACT_KILL_PROCESS || a == OCI_ACT_TRAP;
}

static uint32_t tracer_data(struct tracer_form *tf, enum oci_action a, uint32_t errno_ret)
{
	for (size_t i = 0; i < tf->n; i++)
		if (tf->actions[i] == a && tf->errnos[i] == errno_ret)
			return OCI_TRACE_DATA_RUNTIME + (uint32_t)i;
	if (tf->n == OCI_TRACE_DATA_RUNTIME_N) /* more distinct errnos than data: share one */
		return OCI_TRACE_DATA_RUNTIME + OCI_TRACE_DATA_RUNTIME_N - 1;
	tf->actions[tf->n] = a;
	tf->errnos[tf->n] = errno_ret;
	return OCI_TRACE_DATA_RUNTIME + (uint32_t)tf->n++;
}

/* An action as written: itself, or in the tracer form SCMP_ACT_TRACE with its data. */
static void write_action(struct jsonw *w, struct tracer_form *tf, const char *action_key,
			 const char *errno_key, enum oci_action a, bool has_errno, uint32_t errno_ret)
{
	if (tf && !stays_in_kernel(a)) {
		jsonw_kv_cstring(w, action_key, oci_action_name(OCI_ACT_TRACE));
		jsonw_kv_uint64(w, errno_key, tracer_data(tf, a, errno_ret));
		return;
	}
	jsonw_kv_cstring(w, action_key, oci_action_name(a));
	if (has_errno && carries_errno(a))
		jsonw_kv_uint64(w, errno_key, errno_ret);
}

static void write_rule(struct jsonw *w, const struct oci_rule *r, struct tracer_form *tf)
{
	jsonw_object_open(w);
	jsonw_key(w, "names");
	jsonw_array_open(w);
	for (size_t i = 0; i < r->n_names; i++)
		jsonw_cstring(w, r->names[i]);
	jsonw_array_close(w);
	write_action(w, tf, "action", "errnoRet", r->action, r->has_errno_ret, r->errno_ret);
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

static int write_policy(const struct oci_policy *p, struct jsonw *w, struct tracer_form *tf,
			struct oci_error **err)
{
	jsonw_object_open(w);
	write_action(w, tf, "defaultAction", "defaultErrnoRet", p->default_action,
		     p->has_default_errno_ret, p->default_errno_ret);
	if (p->n_archs > 0 && write_archs(w, p, err) < 0)
		return -1;
	if (p->filter_flags)
		write_flags(w, tf ? p->filter_flags & ~SECCOMP_FILTER_FLAG_NEW_LISTENER
				  : p->filter_flags);
	/* the tracer form has no NOTIFY action left, so no listener to hand out */
	if (p->listener_path && !tf)
		jsonw_kv_cstring(w, "listenerPath", p->listener_path);
	if (p->listener_metadata && !tf)
		jsonw_kv_cstring(w, "listenerMetadata", p->listener_metadata);
	if (p->n_rules > 0) {
		jsonw_key(w, "syscalls");
		jsonw_array_open(w);
		for (size_t i = 0; i < p->n_rules; i++)
			write_rule(w, &p->rules[i], tf);
		jsonw_array_close(w);
	}
	jsonw_object_close(w);
	return 0;
}

int oci_policy_to_json(const struct oci_policy *p, struct jsonw *w, struct oci_error **err)
{
	return write_policy(p, w, NULL, err);
}

int oci_policy_to_tracer_json(const struct oci_policy *p, struct jsonw *w,
			      struct oci_error **err)
{
	struct tracer_form tf = { .n = 0 };

	return write_policy(p, w, &tf, err);
}

static bool kills_in_kernel(enum oci_action a)
{
	return a == OCI_ACT_KILL_THREAD || a == OCI_ACT_KILL_PROCESS || a == OCI_ACT_TRAP;
}

bool oci_policy_kills_in_kernel(const struct oci_policy *p)
{
	if (kills_in_kernel(p->default_action))
		return true;
	for (size_t i = 0; i < p->n_rules; i++)
		if (kills_in_kernel(p->rules[i].action))
			return true;
	return false;
}

int oci_policy_to_barrier_json(const struct oci_policy *p, struct jsonw *w,
			       struct oci_error **err)
{
	/* what the filter does to the process, not what it logs or hands out */
	uint32_t flags = p->filter_flags & (SECCOMP_FILTER_FLAG_TSYNC |
					    SECCOMP_FILTER_FLAG_SPEC_ALLOW);

	jsonw_object_open(w);
	jsonw_kv_cstring(w, "defaultAction", oci_action_name(OCI_ACT_ALLOW));
	if (p->n_archs > 0 && write_archs(w, p, err) < 0)
		return -1;
	if (flags)
		write_flags(w, flags);
	jsonw_key(w, "syscalls");
	jsonw_array_open(w);
	jsonw_object_open(w);
	jsonw_key(w, "names");
	jsonw_array_open(w);
	jsonw_cstring(w, "execve");
	jsonw_cstring(w, "execveat");
	jsonw_array_close(w);
	jsonw_kv_cstring(w, "action", oci_action_name(OCI_ACT_TRACE));
	jsonw_kv_uint64(w, "errnoRet", OCI_TRACE_DATA_RUNTIME);
	jsonw_object_close(w);
	jsonw_array_close(w);
	jsonw_object_close(w);
	return 0;
}
