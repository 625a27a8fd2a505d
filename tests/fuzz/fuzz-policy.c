/* The seccomp policy (a bare linux.seccomp object or a whole config.json): parsed, compiled
 * in the three modes, written back, and turned into the runtime's tracer form. Beyond "no
 * crash, one-line errors", what is checked holds for every policy, whatever libseccomp makes
 * of it: the three programs run (no invalid BPF), the tracer-mode program takes exactly the
 * kernel-mode program's decisions (compile.h: same decision tree, actions behind slots),
 * the enforce-mode program returns the in-kernel actions itself, a policy written back reads
 * back the same, and the tracer form keeps every in-kernel decision. */
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>

#include "bpf.h"
#include "cleanup.h"
#include "compile.h"
#include "fuzz.h"
#include "guard.h"
#include "json.h"
#include "jsonw.h"
#include "serialize.h"

const char fuzz_name[] = "policy";

#define MAX_PROBES 96

struct programs {
	struct oci_filter *kernel, *tracer, *enforce; /* owned */
	struct oci_policy *tracer_form;		      /* owned, parsed back; may be NULL */
	struct oci_filter *form_kernel;		      /* owned; its KERNEL program; may be NULL */
};

static uint32_t kernel_value(enum oci_action a, uint32_t e)
{
	static const uint32_t values[] = {
	    [OCI_ACT_KILL_THREAD] = SECCOMP_RET_KILL_THREAD,
	    [OCI_ACT_KILL_PROCESS] = SECCOMP_RET_KILL_PROCESS,
	    [OCI_ACT_TRAP] = SECCOMP_RET_TRAP,
	    [OCI_ACT_ERRNO] = SECCOMP_RET_ERRNO,
	    [OCI_ACT_TRACE] = SECCOMP_RET_TRACE,
	    [OCI_ACT_ALLOW] = SECCOMP_RET_ALLOW,
	    [OCI_ACT_LOG] = SECCOMP_RET_LOG,
	    [OCI_ACT_NOTIFY] = SECCOMP_RET_USER_NOTIF,
	};

	return values[a] | (a == OCI_ACT_ERRNO || a == OCI_ACT_TRACE ? e & SECCOMP_RET_DATA : 0);
}

static void free_programs(struct programs *pr)
{
	oci_filter_free(pr->kernel);
	oci_filter_free(pr->tracer);
	oci_filter_free(pr->enforce);
	oci_policy_free(pr->tracer_form);
	oci_filter_free(pr->form_kernel);
}

/* Compile, or fail with a message naming the policy. */
static struct oci_filter *compile(const struct oci_policy *p, enum oci_compile_mode mode)
{
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_compile(p, mode, NULL, &f, &err) < 0) {
		if (f != NULL)
			fuzz_violation("filter set on failure");
		fuzz_check_error(p->source, err);
		return NULL;
	}
	fuzz_check_no_error(err);
	if (f->len == 0 || f->len > BPF_MAXINSNS)
		fuzz_violation("a program of %zu instructions", f->len);
	return f;
}

/* What the tracer program says, as the action the kernel program should return. */
static uint32_t tracer_as_kernel(const struct oci_filter *t, uint32_t ret)
{
	const struct oci_slot *s;

	if (ret == SECCOMP_RET_ALLOW)
		return ret;
	if ((ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRACE)
		return BPF_RUN_INVALID;
	s = oci_filter_slot(t, ret & SECCOMP_RET_DATA);
	if (s == NULL || s->guard != OCI_GUARD_NONE)
		return BPF_RUN_INVALID;
	return s->is_bad_arch ? SECCOMP_RET_KILL_THREAD : kernel_value(s->action, s->errno_ret);
}

/* The tracer form keeps what the kernel applies by itself and turns the rest into TRACE. */
static bool form_agrees(uint32_t k, uint32_t f)
{
	uint32_t action = k & SECCOMP_RET_ACTION_FULL, data = f & SECCOMP_RET_DATA;

	if (action == SECCOMP_RET_ERRNO || action == SECCOMP_RET_TRACE ||
	    action == SECCOMP_RET_USER_NOTIF)
		return (f & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE &&
		       data >= OCI_TRACE_DATA_RUNTIME &&
		       data < OCI_TRACE_DATA_RUNTIME + OCI_TRACE_DATA_RUNTIME_N;
	return f == k;
}

static void probe(const struct programs *pr, uint32_t arch, int nr, const uint64_t args[6])
{
	struct seccomp_data d = {.nr = nr, .arch = arch};
	uint32_t k, t, e, want;

	memcpy(d.args, args, sizeof(d.args));
	k = bpf_run(pr->kernel->insns, pr->kernel->len, &d);
	t = oci_filter_policy_verdict(pr->tracer, arch, nr, args, 0);
	if (k == BPF_RUN_INVALID || t == BPF_RUN_INVALID) {
		fuzz_violation("invalid program (kernel %#x, tracer %#x)", k, t);
		return;
	}
	if (tracer_as_kernel(pr->tracer, t) != k)
		fuzz_violation("arch %#x nr %d: kernel program %#x, tracer program %#x", arch, nr,
			       k, t);
	if (oci_guard_of(arch, nr, args) == OCI_GUARD_NONE) {
		if (bpf_run(pr->tracer->insns, pr->tracer->len, &d) != t)
			fuzz_violation("nr %d: the tracer program's prefix changes its verdict",
				       nr);
		e = bpf_run(pr->enforce->insns, pr->enforce->len, &d);
		want = t;
		if (t != SECCOMP_RET_ALLOW &&
		    (k == SECCOMP_RET_KILL_THREAD || k == SECCOMP_RET_KILL_PROCESS ||
		     k == SECCOMP_RET_TRAP))
			want = k;
		if (e != want)
			fuzz_violation("arch %#x nr %d: enforce program %#x, expected %#x", arch,
				       nr, e, want);
	}
	if (pr->form_kernel != NULL &&
	    !form_agrees(k, bpf_run(pr->form_kernel->insns, pr->form_kernel->len, &d)))
		fuzz_violation("arch %#x nr %d: the tracer form decides %#x, the policy %#x", arch,
			       nr, bpf_run(pr->form_kernel->insns, pr->form_kernel->len, &d), k);
}

/* Each rule's syscalls, native and i386 and x32, with arguments at its conditions' edges;
 * a few numbers no rule names; an architecture the policy may not list. */
static void probe_policy(const struct oci_policy *p, const struct programs *pr)
{
	static const int others[] = {0, 39, 56, 101, 317, 435, 1023, -1};
	unsigned n = 0;

	for (size_t i = 0; i < p->n_rules && n < MAX_PROBES; i++) {
		const struct oci_rule *r = &p->rules[i];
		int nr = seccomp_syscall_resolve_name(r->names[0]);
		int nr32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, r->names[0]);
		uint64_t args[6] = {0};

		for (int delta = -1; delta <= 1 && nr >= 0; delta++, n += 2) {
			for (size_t a = 0; a < r->n_args; a++)
				args[r->args[a].index] = r->args[a].value + (uint64_t)delta;
			probe(pr, AUDIT_ARCH_X86_64, nr, args);
			probe(pr, AUDIT_ARCH_X86_64, nr | 0x40000000, args);
		}
		if (nr32 >= 0)
			probe(pr, AUDIT_ARCH_I386, nr32, args);
	}
	for (size_t i = 0; i < N_ELEMENTS(others); i++) {
		const uint64_t args[6] = {0, 1, 2, 3, 4, 5};

		probe(pr, AUDIT_ARCH_X86_64, others[i], args);
		probe(pr, AUDIT_ARCH_AARCH64, others[i], args);
	}
}

/* Write with `fn`; parse the text as a policy named `name`. */
static struct oci_policy *
rewrite(const struct oci_policy *p, const char *name,
	int (*fn)(const struct oci_policy *, struct jsonw *, struct oci_error **), char **text)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	struct oci_policy *again = NULL;
	struct oci_error *err = NULL;
	const char *buf;
	size_t len;

	if (fn(p, w, &err) < 0 || jsonw_finish(w, &buf, &len) < 0) {
		fuzz_violation("%s: the parsed policy cannot be written: %s", name,
			       err ? err->msg : "jsonw_finish");
		oci_error_free(err);
		return NULL;
	}
	if (oci_policy_parse(name, buf, len, &again, &err) < 0) {
		fuzz_violation("%s: what we wrote does not parse: %s", name, err->msg);
		oci_error_free(err);
		return NULL;
	}
	if (text && (*text = strndup(buf, len)) == NULL)
		abort();
	return again;
}

/* Written back, read back, written again: the same text (serialize.h). */
static void check_round_trip(const struct oci_policy *p)
{
	cleanup_free char *first = NULL, *second = NULL;
	cleanup_oci_policy struct oci_policy *again =
	    rewrite(p, "written", oci_policy_to_json, &first);
	cleanup_oci_policy struct oci_policy *third = NULL;

	if (again == NULL)
		return;
	third = rewrite(again, "rewritten", oci_policy_to_json, &second);
	if (third != NULL && strcmp(first, second) != 0)
		fuzz_violation("written twice, the policy changed: %s -> %s", first, second);
}

static void check_policy(const struct oci_policy *p)
{
	struct programs pr = {0};
	struct oci_error *err = NULL;
	uint64_t args[6] = {0};
	enum oci_action a;
	uint32_t e;

	oci_policy_match(p, AUDIT_ARCH_X86_64, 0, args, &a, &e);
	check_round_trip(p);
	pr.kernel = compile(p, OCI_COMPILE_KERNEL);
	pr.tracer = compile(p, OCI_COMPILE_TRACER);
	if ((pr.kernel == NULL) != (pr.tracer == NULL))
		fuzz_violation("compiles in one mode only (kernel %p, tracer %p)",
			       (void *)pr.kernel, (void *)pr.tracer);
	if (pr.kernel && pr.tracer && oci_filter_to_enforce(pr.tracer, &pr.enforce) < 0)
		fuzz_violation("the tracer program has no enforce form");
	pr.tracer_form = rewrite(p, "form", oci_policy_to_tracer_json, NULL);
	if (pr.tracer_form != NULL && pr.kernel != NULL &&
	    oci_policy_compile(pr.tracer_form, OCI_COMPILE_KERNEL, NULL, &pr.form_kernel, &err) < 0)
		fuzz_check_error("form", err);
	if (pr.kernel && pr.tracer && pr.enforce)
		probe_policy(p, &pr);
	free_programs(&pr);
}

enum fuzz_outcome fuzz_target(const uint8_t *data, size_t size)
{
	struct oci_policy *sentinel = (struct oci_policy *)&sentinel, *p = sentinel;
	struct oci_error *err = NULL;

	if (oci_policy_parse("policy.json", (const char *)data, size, &p, &err) < 0) {
		if (p != sentinel)
			fuzz_violation("out-parameter set on failure");
		fuzz_check_error("policy.json", err);
		return FUZZ_REJECTED;
	}
	fuzz_check_no_error(err);
	check_policy(p);
	oci_policy_free(p);
	return FUZZ_ACCEPTED;
}
