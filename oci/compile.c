/* Compiling a policy with libseccomp the way runc 1.1 does (libcontainer/seccomp/
 * seccomp_linux.go), then exporting the BPF program. See compile.h for the two modes.
 *
 * runc's choices kept here: rules whose action is the default one are skipped (libseccomp
 * would refuse them); unknown syscall names are skipped with a warning; a rule whose
 * argument indexes repeat becomes one rule per condition (ORed), otherwise one rule with
 * all conditions (ANDed); the bad-arch action stays libseccomp's KILL_THREAD; no_new_privs
 * is not requested; more than 32 names turn on libseccomp's binary-tree optimisation.
 * Not kept: runc's -ENOSYS stub for syscalls newer than the profile (patchbpf), which is a
 * runc-only addition that crun does not make. */
#include "compile.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf.h"
#include "cleanup.h"
#include "guard.h"
#include "json.h"

/* Above this many names runc asks libseccomp for a binary tree (SetOptimize(2)). */
#define RUNC_OPTIMIZE_THRESHOLD 32
#define MAX_SLOTS OCI_MAX_SLOTS

struct compiler {
	const struct oci_policy *p; /* not owned */
	enum oci_compile_mode mode;
	FILE *warn;		/* not owned, may be NULL */
	scmp_filter_ctx ctx;	/* not owned */
	struct oci_slot *slots; /* owned */
	size_t n_slots;
	size_t n_added; /* seccomp_rule_add calls that succeeded */
};

void oci_filter_free(struct oci_filter *f)
{
	if (f == NULL)
		return;
	free(f->insns);
	free(f->slots);
	free(f);
}

const struct oci_slot *oci_guard_slot(enum oci_guard g)
{
	static struct oci_slot slots[OCI_GUARD_COUNT];

	if (g <= OCI_GUARD_NONE || g >= OCI_GUARD_COUNT)
		return NULL;
	if (slots[g].guard == OCI_GUARD_NONE) {
		int e = oci_guard_errno(g);

		slots[g] = (struct oci_slot){ e ? OCI_ACT_ERRNO : OCI_ACT_ALLOW, (uint32_t)e, 0, g };
	}
	return &slots[g];
}

uint32_t oci_filter_slot_data(const struct oci_filter *f, const struct oci_slot *slot)
{
	if (slot->guard != OCI_GUARD_NONE)
		return OCI_TRACE_DATA_GUARD + slot->guard;
	return OCI_TRACE_DATA_BASE + (uint32_t)(slot - f->slots);
}

static uint32_t kernel_action(enum oci_action a, uint32_t errno_ret)
{
	switch (a) {
	case OCI_ACT_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case OCI_ACT_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case OCI_ACT_TRAP:
		return SCMP_ACT_TRAP;
	case OCI_ACT_ERRNO:
		return SCMP_ACT_ERRNO(errno_ret);
	case OCI_ACT_TRACE:
		return SCMP_ACT_TRACE(errno_ret);
	case OCI_ACT_ALLOW:
		return SCMP_ACT_ALLOW;
	case OCI_ACT_LOG:
		return SCMP_ACT_LOG;
	case OCI_ACT_NOTIFY:
		/* Kept as is: libseccomp accepts it without a listener, and the kernel then
		 * fails the syscall with ENOSYS, unless the installer asked for
		 * SECCOMP_FILTER_FLAG_NEW_LISTENER. */
		return SCMP_ACT_NOTIFY;
	}
	abort();
}

/* The slot of a (action, errno, bad-arch) triple, added on first use. */
static int slot_for(struct compiler *c, enum oci_action a, uint32_t errno_ret, int is_bad_arch,
		    struct oci_error **err)
{
	for (size_t i = 0; i < c->n_slots; i++) {
		const struct oci_slot *s = &c->slots[i];

		if (s->action == a && s->errno_ret == errno_ret && s->is_bad_arch == is_bad_arch)
			return i;
	}
	if (c->n_slots == MAX_SLOTS)
		return oci_fail(err, E2BIG, "%s: more than %d distinct actions", c->p->source,
				MAX_SLOTS);
	c->slots = realloc(c->slots, (c->n_slots + 1) * sizeof(*c->slots));
	if (c->slots == NULL)
		abort();
	c->slots[c->n_slots] = (struct oci_slot){a, errno_ret, is_bad_arch, OCI_GUARD_NONE};
	return c->n_slots++;
}

/* The libseccomp action for a policy action in this mode; fails only when out of slots. */
static int filter_action(struct compiler *c, enum oci_action a, uint32_t errno_ret, uint32_t *out,
			 struct oci_error **err)
{
	int slot;

	if (c->mode == OCI_COMPILE_KERNEL || a == OCI_ACT_ALLOW) {
		*out = kernel_action(a, errno_ret);
		return 0;
	}
	slot = slot_for(c, a, errno_ret, 0, err);
	if (slot < 0)
		return -1;
	*out = SCMP_ACT_TRACE(OCI_TRACE_DATA_BASE + slot);
	return 0;
}

static int fail_seccomp(struct compiler *c, int rc, const char *what, struct oci_error **err)
{
	return oci_fail(err, -rc, "%s: %s: %s", c->p->source, what, strerror(-rc));
}

static int add_archs(struct compiler *c, struct oci_error **err)
{
	for (size_t i = 0; i < c->p->n_archs; i++) {
		int rc = seccomp_arch_add(c->ctx, c->p->archs[i]);

		if (rc < 0 && rc != -EEXIST)
			return fail_seccomp(c, rc, "cannot add architecture", err);
	}
	return 0;
}

static int set_attrs(struct compiler *c, struct oci_error **err)
{
	int rc = seccomp_attr_set(c->ctx, SCMP_FLTATR_CTL_NNP, 0);
	int slot;

	if (rc < 0)
		return fail_seccomp(c, rc, "cannot clear SCMP_FLTATR_CTL_NNP", err);
	if (!oci_compile_mode_traces(c->mode))
		return 0;
	slot = slot_for(c, OCI_ACT_KILL_THREAD, 0, 1, err);
	if (slot < 0)
		return -1;
	rc = seccomp_attr_set(c->ctx, SCMP_FLTATR_ACT_BADARCH,
			      SCMP_ACT_TRACE(OCI_TRACE_DATA_BASE + slot));
	if (rc < 0)
		return fail_seccomp(c, rc, "cannot set the bad-arch action", err);
	return 0;
}

static int init_filter(struct compiler *c, scmp_filter_ctx *ctx, struct oci_error **err)
{
	uint32_t def;

	/* the bad-arch slot first, so that it is slot 0 in tracer mode */
	if (oci_compile_mode_traces(c->mode) && slot_for(c, OCI_ACT_KILL_THREAD, 0, 1, err) < 0)
		return -1;
	if (filter_action(c, c->p->default_action, c->p->default_errno_ret, &def, err) < 0)
		return -1;
	*ctx = seccomp_init(def);
	if (*ctx == NULL)
		return oci_fail(err, EINVAL, "%s: libseccomp refuses the default action %s",
				c->p->source, oci_action_name(c->p->default_action));
	c->ctx = *ctx;
	if (set_attrs(c, err) < 0 || add_archs(c, err) < 0)
		return -1;
	return 0;
}

static enum scmp_compare scmp_op(enum oci_op op)
{
	static const enum scmp_compare ops[] = {
	    [OCI_OP_NE] = SCMP_CMP_NE,
	    [OCI_OP_LT] = SCMP_CMP_LT,
	    [OCI_OP_LE] = SCMP_CMP_LE,
	    [OCI_OP_EQ] = SCMP_CMP_EQ,
	    [OCI_OP_GE] = SCMP_CMP_GE,
	    [OCI_OP_GT] = SCMP_CMP_GT,
	    [OCI_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};

	return ops[op];
}

static struct scmp_arg_cmp arg_cmp(const struct oci_arg *a)
{
	return (struct scmp_arg_cmp){a->index, scmp_op(a->op), a->value, a->value_two};
}

/* One name of syscalls[i] (already resolved to nr): one rule, or one per condition. */
static int add_name(struct compiler *c, size_t i, size_t j, int nr, uint32_t action,
		    struct oci_error **err)
{
	const struct oci_rule *r = &c->p->rules[i];
	struct scmp_arg_cmp cmps[6];
	bool split = oci_rule_repeats_index(r);
	size_t n = split ? r->n_args : 1;
	int rc = 0;

	for (size_t k = 0; k < n && rc == 0; k++) {
		size_t n_cmps = split ? 1 : r->n_args;

		for (size_t a = 0; a < n_cmps; a++)
			cmps[a] = arg_cmp(&r->args[split ? k : a]);
		rc = seccomp_rule_add_array(c->ctx, action, nr, n_cmps, cmps);
	}
	if (rc < 0) {
		cleanup_free char *name = json_quote(r->names[j], strlen(r->names[j]));

		return oci_fail(err, -rc,
				"%s: %ssyscalls[%zu].names[%zu]: cannot add the rule for %s: %s",
				c->p->source, c->p->json_prefix, i, j, name, strerror(-rc));
	}
	c->n_added++;
	return 0;
}

static const char *native_arch_name(void)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		return "SCMP_ARCH_X86_64";
	case SCMP_ARCH_AARCH64:
		return "SCMP_ARCH_AARCH64";
	default:
		return "the native architecture";
	}
}

static void warn_unknown(struct compiler *c, size_t i, size_t j)
{
	cleanup_free char *name = NULL;

	if (c->warn == NULL)
		return;
	name = json_quote(c->p->rules[i].names[j], strlen(c->p->rules[i].names[j]));
	fprintf(c->warn, "%s: %ssyscalls[%zu].names[%zu]: unknown syscall %s for %s, skipped\n",
		c->p->source, c->p->json_prefix, i, j, name, native_arch_name());
}

static int add_rule(struct compiler *c, size_t i, struct oci_error **err)
{
	const struct oci_rule *r = &c->p->rules[i];
	uint32_t action;

	if (oci_rule_is_default(c->p, r))
		return 0;
	if (filter_action(c, r->action, r->errno_ret, &action, err) < 0)
		return -1;
	for (size_t j = 0; j < r->n_names; j++) {
		/* the native number; libseccomp translates it for every other arch */
		int nr = seccomp_syscall_resolve_name(r->names[j]);

		if (nr == __NR_SCMP_ERROR)
			warn_unknown(c, i, j);
		else if (add_name(c, i, j, nr, action, err) < 0)
			return -1;
	}
	return 0;
}

/* runc counts names (its configs.Syscall has one per name). libseccomp 2.5.4 builds a
 * broken tree when optimising an empty filter, so that case is left alone. */
static int set_optimize(struct compiler *c, struct oci_error **err)
{
	size_t names = 0;
	int rc;

	for (size_t i = 0; i < c->p->n_rules; i++)
		names += c->p->rules[i].n_names;
	if (names <= RUNC_OPTIMIZE_THRESHOLD || c->n_added == 0)
		return 0;
	rc = seccomp_attr_set(c->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0)
		return fail_seccomp(c, rc, "cannot enable the binary tree", err);
	return 0;
}

/* libseccomp only exports to a file descriptor: go through a memfd. */
static int export_bpf(struct compiler *c, struct sock_filter **out, size_t *len,
		      struct oci_error **err)
{
	cleanup_close int fd = memfd_create("octrace-bpf", MFD_CLOEXEC);
	cleanup_free struct sock_filter *insns = NULL;
	struct stat st;
	int rc;

	if (fd < 0)
		return oci_fail(err, errno, "%s: memfd_create: %s", c->p->source, strerror(errno));
	rc = seccomp_export_bpf(c->ctx, fd);
	if (rc < 0)
		return fail_seccomp(c, rc, "cannot export the BPF program", err);
	if (fstat(fd, &st) < 0 || st.st_size % sizeof(*insns) != 0)
		return oci_fail(err, EIO, "%s: bad BPF export", c->p->source);
	insns = malloc(st.st_size ? st.st_size : 1);
	if (insns == NULL)
		abort();
	if (pread(fd, insns, st.st_size, 0) != st.st_size)
		return oci_fail(err, EIO, "%s: cannot read the BPF export", c->p->source);
	*len = st.st_size / sizeof(*insns);
	*out = steal_pointer(&insns);
	return 0;
}

/* Tracer mode: in-kernel answers for reserved syscall numbers, ahead of libseccomp's
 * program, which starts by loading the arch itself and only jumps forward, so it does not
 * care what runs before it. The ERRNO range computes its answer: nr - base is the errno
 * (docs/kernel-behaviours.md §28). */
static const struct sock_filter reserved_prefix[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OCI_NR_RESERVED_KILL_THREAD, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OCI_NR_RESERVED_KILL_PROCESS, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OCI_NR_RESERVED_TRAP, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, OCI_NR_RESERVED_ERRNO_BASE, 0, 4),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, OCI_NR_RESERVED_ERRNO_BASE + OCI_NR_RESERVED_ERRNO_N,
	     3, 0),
    BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, OCI_NR_RESERVED_ERRNO_BASE),
    BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
    BPF_STMT(BPF_RET | BPF_A, 0),
};

/* Tracer mode: the reserved numbers, then the guards (guard.h), then libseccomp's program. */
static int finish_program(struct compiler *c, struct oci_filter *f, struct oci_error **err)
{
	size_t n_guard = 0;
	const struct sock_filter *guard = oci_guard_prefix(&n_guard);
	size_t n_reserved = N_ELEMENTS(reserved_prefix);
	size_t pre = oci_compile_mode_traces(c->mode) ? n_reserved + n_guard : 0;
	struct sock_filter *insns;

	if (export_bpf(c, &f->insns, &f->len, err) < 0)
		return -1;
	if (f->len + pre > BPF_MAXINSNS)
		return oci_fail(err, E2BIG, "%s: the filter has %zu instructions, more than %d",
				c->p->source, f->len + pre, BPF_MAXINSNS);
	insns = malloc((f->len + pre) * sizeof(*insns));
	if (insns == NULL)
		abort();
	if (pre) {
		memcpy(insns, reserved_prefix, sizeof(reserved_prefix));
		memcpy(insns + n_reserved, guard, n_guard * sizeof(*insns));
	}
	memcpy(insns + pre, f->insns, f->len * sizeof(*insns));
	free(f->insns);
	f->insns = insns;
	f->len += pre;
	return 0;
}

static int build(struct compiler *c, struct oci_filter *f, struct oci_error **err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;

	if (init_filter(c, &ctx, err) < 0)
		return -1;
	for (size_t i = 0; i < c->p->n_rules; i++)
		if (add_rule(c, i, err) < 0)
			return -1;
	if (set_optimize(c, err) < 0 || finish_program(c, f, err) < 0)
		return -1;
	f->flags = c->p->filter_flags;
	return 0;
}

/* Where libseccomp's program starts: after the reserved and guard prefixes in tracer modes. */
static size_t policy_start(const struct oci_filter *f)
{
	size_t n_guard = 0, n_reserved = N_ELEMENTS(reserved_prefix);

	oci_guard_prefix(&n_guard);
	if (f->len > n_reserved + n_guard &&
	    memcmp(f->insns, reserved_prefix, sizeof(reserved_prefix)) == 0)
		return n_reserved + n_guard;
	return 0;
}

bool oci_filter_diverts_errno(const struct oci_filter *f)
{
	return f && policy_start(f) > 0 && !(f->flags & SECCOMP_FILTER_FLAG_LOG);
}

/* f's program from instruction `start` on, run on one syscall. */
static uint32_t run_from(const struct oci_filter *f, size_t start, uint32_t audit_arch, int nr,
			 const uint64_t args[6], uint64_t ip)
{
	struct seccomp_data d = { .nr = nr, .arch = audit_arch, .instruction_pointer = ip };

	memcpy(d.args, args, sizeof(d.args));
	return bpf_run(f->insns + start, f->len - start, &d);
}

uint32_t oci_filter_policy_verdict(const struct oci_filter *f, uint32_t audit_arch, int nr,
				   const uint64_t args[6], uint64_t ip)
{
	return run_from(f, policy_start(f), audit_arch, nr, args, ip);
}

uint32_t oci_filter_run(const struct oci_filter *f, uint32_t audit_arch, int nr,
			const uint64_t args[6], uint64_t ip)
{
	return run_from(f, 0, audit_arch, nr, args, ip);
}

/* The enforce-mode program is the tracer-mode one with the return values of the slots whose
 * action the kernel applies itself replaced by that action: the same decision tree, so the two
 * filters agree on every syscall and on every slot. */
/* The enforce-mode layout: the reserved numbers, libseccomp's program with each ALLOW turned
 * into a jump to the guards, the guards, ALLOW. The policy comes first, so that its in-kernel
 * KILL and TRAP outrank a guard's TRACE (and with it a tracee's own ERRNO) for the syscalls the
 * guards watch; only what the policy allows reaches them. */
static void guards_last(const struct oci_filter *tracer, struct sock_filter *insns, size_t *len)
{
	size_t n_guard = 0, n_res = N_ELEMENTS(reserved_prefix), start = policy_start(tracer);
	const struct sock_filter *guard = oci_guard_prefix(&n_guard);
	size_t n_lib = tracer->len - start, guard_at = n_res + n_lib;

	memcpy(insns, tracer->insns, n_res * sizeof(*insns));
	memcpy(insns + n_res, tracer->insns + start, n_lib * sizeof(*insns));
	for (size_t i = n_res; i < guard_at; i++)
		if (insns[i].code == (BPF_RET | BPF_K) && insns[i].k == SECCOMP_RET_ALLOW)
			insns[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA,
								(uint32_t)(guard_at - i - 1), 0, 0);
	memcpy(insns + guard_at, guard, n_guard * sizeof(*insns));
	insns[guard_at + n_guard] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	*len = guard_at + n_guard + 1;
}

/* Every `return TRACE | data` of a policy slot (not a guard's) that `pick` chooses returns
 * `answer(slot)` instead; how many were changed. */
static size_t retarget_slots(struct oci_filter *f, bool (*pick)(const struct oci_slot *),
			     uint32_t (*answer)(const struct oci_slot *))
{
	size_t changed = 0;

	for (size_t i = 0; i < f->len; i++) {
		struct sock_filter *ins = &f->insns[i];
		const struct oci_slot *s;

		if (ins->code != (BPF_RET | BPF_K) ||
		    (ins->k & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRACE)
			continue;
		s = oci_filter_slot(f, ins->k & SECCOMP_RET_DATA);
		if (s && s->guard == OCI_GUARD_NONE && pick(s)) {
			ins->k = answer(s);
			changed++;
		}
	}
	return changed;
}

static bool in_kernel(const struct oci_slot *s)
{
	return oci_action_in_kernel(s->action);
}

static uint32_t answer_in_kernel(const struct oci_slot *s)
{
	return kernel_action(s->action, s->errno_ret);
}

static bool is_errno(const struct oci_slot *s)
{
	return s->action == OCI_ACT_ERRNO;
}

static uint32_t answer_notify(const struct oci_slot *s)
{
	(void)s;
	return SECCOMP_RET_USER_NOTIF;
}

int oci_filter_to_enforce(const struct oci_filter *tracer, struct oci_filter **out)
{
	cleanup_oci_filter struct oci_filter *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->insns = malloc((tracer->len + 1) * sizeof(*f->insns))) == NULL ||
	    (f->slots = malloc((tracer->n_slots ? tracer->n_slots : 1) * sizeof(*f->slots))) == NULL)
		abort();
	memcpy(f->slots, tracer->slots, tracer->n_slots * sizeof(*f->slots));
	f->n_slots = tracer->n_slots;
	f->flags = tracer->flags;
	if (policy_start(tracer) > 0 && tracer->len + 1 <= BPF_MAXINSNS) {
		guards_last(tracer, f->insns, &f->len);
	} else { /* no room for one more instruction: the tracer-mode layout */
		memcpy(f->insns, tracer->insns, tracer->len * sizeof(*f->insns));
		f->len = tracer->len;
	}
	retarget_slots(f, in_kernel, answer_in_kernel);
	*out = steal_pointer(&f);
	return 0;
}

/* A copy of f: its program, slots and flags. */
static struct oci_filter *filter_copy(const struct oci_filter *f)
{
	struct oci_filter *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->insns = malloc(f->len * sizeof(*c->insns))) == NULL ||
	    (c->slots = malloc((f->n_slots ? f->n_slots : 1) * sizeof(*c->slots))) == NULL)
		abort();
	memcpy(c->insns, f->insns, f->len * sizeof(*c->insns));
	memcpy(c->slots, f->slots, f->n_slots * sizeof(*c->slots));
	c->len = f->len;
	c->n_slots = f->n_slots;
	c->flags = f->flags;
	return c;
}

bool oci_filter_to_notify(const struct oci_filter *enforce, struct oci_filter **out)
{
	cleanup_oci_filter struct oci_filter *f = filter_copy(enforce);

	*out = NULL;
	if (retarget_slots(f, is_errno, answer_notify) == 0)
		return false;
	*out = steal_pointer(&f);
	return true;
}

struct oci_filter *oci_filter_to_learn(const struct oci_filter *f)
{
	static const struct sock_filter all = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE |
									  OCI_TRACE_DATA_LEARN);
	static const struct oci_filter trace_all = { .insns = (struct sock_filter *)&all, .len = 1 };
	struct oci_filter *l = filter_copy(f ? f : &trace_all); /* copied, never written */

	for (size_t i = 0; i < l->len; i++)
		if (l->insns[i].code == (BPF_RET | BPF_K) && l->insns[i].k == SECCOMP_RET_ALLOW)
			l->insns[i].k = SECCOMP_RET_TRACE | OCI_TRACE_DATA_LEARN;
	return l;
}

int oci_filter_to_setup(const struct oci_filter *tracer, struct oci_filter **out)
{
	size_t n_guard = 0, n_res = N_ELEMENTS(reserved_prefix);
	const struct sock_filter *guard = oci_guard_prefix(&n_guard);
	cleanup_oci_filter struct oci_filter *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->insns = malloc((n_res + n_guard + 1) * sizeof(*f->insns))) == NULL)
		abort();
	memcpy(f->insns, reserved_prefix, sizeof(reserved_prefix));
	memcpy(f->insns + n_res, guard, n_guard * sizeof(*f->insns));
	f->insns[n_res + n_guard] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f->len = n_res + n_guard + 1;
	f->flags = tracer->flags;
	*out = steal_pointer(&f);
	return 0;
}

int oci_policy_compile(const struct oci_policy *p, enum oci_compile_mode mode, FILE *warn,
		       struct oci_filter **out, struct oci_error **err)
{
	cleanup_oci_filter struct oci_filter *f = calloc(1, sizeof(*f));
	struct compiler c = {.p = p, .mode = mode, .warn = warn};

	if (f == NULL)
		abort();
	if (mode == OCI_COMPILE_ENFORCE)
		c.mode = OCI_COMPILE_TRACER;
	if (build(&c, f, err) < 0) {
		free(c.slots);
		return -1;
	}
	f->slots = c.slots;
	f->n_slots = c.n_slots;
	if (mode == OCI_COMPILE_ENFORCE)
		return oci_filter_to_enforce(f, out);
	*out = steal_pointer(&f);
	return 0;
}
