/* oci_policy_match(): the decision of the compiled filter, computed in userspace.
 *
 * It replays what compile.c asks of libseccomp 2.5 and what libseccomp then builds:
 * - rules whose action equals the default action are not added (runc skips them);
 * - each name of an entry is one libseccomp rule; when an argument index repeats within the
 *   entry, runc adds one rule per condition instead (so they are ORed);
 * - names resolve per architecture; on x86 (32-bit) the socket and SysV IPC calls are also
 *   matched through socketcall(2)/ipc(2) with args[0] == the sub-call, which replaces the
 *   rule's own args[0] condition (libseccomp's abi_rule_add());
 * - a 32-bit architecture compares the low 32 bits of arguments and rule values only;
 *   MASKED_EQ compares (arg & mask) == (valueTwo & mask) and vanishes when the mask is 0;
 * - precedence between the rules of one syscall (libseccomp's db_rule_add(), confirmed with
 *   the unit tests' BPF interpreter): the first unconditional rule wins over everything;
 *   otherwise the rules form a tree whose levels are tried in descending order: higher
 *   argument index first, then EQ/NE/MASKED_EQ before LT/LE before GT/GE, then larger
 *   value first (smaller first for LT/LE); identical conditions merge and the next one
 *   decides; the first matching rule in that order wins, remaining ties going to the
 *   earlier rule, and a rule whose conditions are a prefix of another's going first.
 * - x86_64 syscall numbers with the x32 bit set are the bad-arch case unless SCMP_ARCH_X32 is
 *   listed; -1 (a tracer's "skip") is not.
 * Known differences: rules that libseccomp merges with conflicting actions. Those either fail
 * to compile (EEXIST) or, for overlapping 64-bit range checks on one argument, take the
 * action of the rule with the larger value once the high words differ. */
#include "policy.h"

#include <linux/audit.h>
#include <seccomp.h>
#include <string.h>

#include "cleanup.h"

#define X32_SYSCALL_BIT 0x40000000u
#define X86_NR_SOCKETCALL 102
#define X86_NR_IPC 117

/* One condition as libseccomp compares it. */
struct cond {
	unsigned index;
	enum oci_op op;
	uint64_t value;	    /* MASKED_EQ: the mask */
	uint64_t value_two; /* MASKED_EQ: the expected value, already masked */
};

/* One libseccomp rule for the syscall being matched. */
struct lrule {
	int rule;   /* syscalls[] index */
	size_t seq; /* order of addition */
	struct cond conds[6];
	size_t n_conds;
};

struct candidates {
	struct lrule *v;
	size_t n, cap;
	bool is_32bit;
};

static const struct {
	const char *name;
	int pnr; /* libseccomp's pseudo number: -100 - socketcall sub-call, -200 - ipc one */
} multiplexed[] = {
    {"socket", __PNR_socket},
    {"bind", __PNR_bind},
    {"connect", __PNR_connect},
    {"listen", __PNR_listen},
    {"accept", __PNR_accept},
    {"getsockname", __PNR_getsockname},
    {"getpeername", __PNR_getpeername},
    {"socketpair", __PNR_socketpair},
    {"send", __PNR_send},
    {"recv", __PNR_recv},
    {"sendto", __PNR_sendto},
    {"recvfrom", __PNR_recvfrom},
    {"shutdown", __PNR_shutdown},
    {"setsockopt", __PNR_setsockopt},
    {"getsockopt", __PNR_getsockopt},
    {"sendmsg", __PNR_sendmsg},
    {"recvmsg", __PNR_recvmsg},
    {"accept4", __PNR_accept4},
    {"recvmmsg", __PNR_recvmmsg},
    {"sendmmsg", __PNR_sendmmsg},
    {"semop", __PNR_semop},
    {"semget", __PNR_semget},
    {"semctl", __PNR_semctl},
    {"semtimedop", __PNR_semtimedop},
    {"msgsnd", __PNR_msgsnd},
    {"msgrcv", __PNR_msgrcv},
    {"msgget", __PNR_msgget},
    {"msgctl", __PNR_msgctl},
    {"shmat", __PNR_shmat},
    {"shmdt", __PNR_shmdt},
    {"shmget", __PNR_shmget},
    {"shmctl", __PNR_shmctl},
};

bool oci_rule_is_default(const struct oci_policy *p, const struct oci_rule *r)
{
	return r->action == p->default_action && r->errno_ret == p->default_errno_ret;
}

bool oci_policy_has_arch(const struct oci_policy *p, uint32_t token)
{
	if (token == seccomp_arch_native())
		return true;
	for (size_t i = 0; i < p->n_archs; i++)
		if (p->archs[i] == token)
			return true;
	return false;
}

/* The libseccomp arch whose rules apply, or 0 for the bad-arch action. */
static uint32_t match_arch(const struct oci_policy *p, uint32_t audit_arch, int nr)
{
	uint32_t token = audit_arch;

	if (audit_arch == AUDIT_ARCH_X86_64 && (uint32_t)nr >= X32_SYSCALL_BIT && nr != -1)
		token = SCMP_ARCH_X32;
	return oci_policy_has_arch(p, token) ? token : 0;
}

/* The sub-call number under which x86 multiplexes `name` through syscall `nr`, or 0. */
static int subcall(const char *name, int nr)
{
	for (size_t i = 0; i < N_ELEMENTS(multiplexed); i++) {
		int pnr = -multiplexed[i].pnr;

		if (strcmp(multiplexed[i].name, name) != 0)
			continue;
		if (pnr < 200)
			return nr == X86_NR_SOCKETCALL ? pnr % 100 : 0;
		return nr == X86_NR_IPC ? pnr % 200 : 0;
	}
	return 0;
}

static bool cond_is_noop(const struct cond *c)
{
	return c->op == OCI_OP_MASKED_EQ && c->value == 0;
}

static struct cond make_cond(const struct oci_arg *a, bool is_32bit)
{
	uint64_t width = is_32bit ? UINT32_MAX : UINT64_MAX;
	struct cond c = {a->index, a->op, a->value & width, a->value_two & width};

	if (c.op == OCI_OP_MASKED_EQ)
		c.value_two &= c.value;
	return c;
}

/* Add a condition keeping conds[] sorted by index, as libseccomp's chain[] is. */
static void add_cond(struct lrule *l, struct cond c)
{
	size_t i = l->n_conds;

	if (cond_is_noop(&c))
		return;
	while (i > 0 && l->conds[i - 1].index > c.index) {
		l->conds[i] = l->conds[i - 1];
		i--;
	}
	l->conds[i] = c;
	l->n_conds++;
}

static void push(struct candidates *cs, int rule, const struct oci_arg *args, size_t n_args,
		 int sub)
{
	struct lrule *l;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 8;
		cs->v = realloc(cs->v, cs->cap * sizeof(*cs->v));
		if (cs->v == NULL)
			abort();
	}
	l = &cs->v[cs->n];
	*l = (struct lrule){.rule = rule, .seq = cs->n};
	cs->n++;
	for (size_t i = 0; i < n_args; i++)
		if (!(sub > 0 && args[i].index == 0))
			add_cond(l, make_cond(&args[i], cs->is_32bit));
	if (sub > 0)
		add_cond(l, (struct cond){0, OCI_OP_EQ, (uint64_t)sub, 0});
}

/* The libseccomp rules one name of one entry becomes (runc's matchCall()). */
static void push_rule(struct candidates *cs, const struct oci_policy *p, int i, int sub)
{
	const struct oci_rule *r = &p->rules[i];

	if (!oci_rule_repeats_index(r)) {
		push(cs, i, r->args, r->n_args, sub);
		return;
	}
	for (size_t a = 0; a < r->n_args; a++)
		push(cs, i, &r->args[a], 1, sub);
}

/* Whether `name` is syscall `nr` itself. On x86 libseccomp resolves the multiplexed names to
 * pseudo numbers (socket: -101) and adds the direct syscall (socket: 359) under the hood, so
 * those are compared by name; `nr_name` is the name of nr on this arch, or NULL. */
static bool is_direct(uint32_t token, const char *name, int nr, const char *nr_name)
{
	int n = seccomp_syscall_resolve_name_arch(token, name);

	if (n >= 0)
		return n == nr;
	return token == SCMP_ARCH_X86 && n <= -100 && n > -300 && nr_name != NULL &&
	       strcmp(nr_name, name) == 0;
}

static void collect(struct candidates *cs, const struct oci_policy *p, uint32_t token, int nr)
{
	cleanup_free char *nr_name = seccomp_syscall_resolve_num_arch(token, nr);

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct oci_rule *r = &p->rules[i];

		if (oci_rule_is_default(p, r))
			continue;
		for (size_t j = 0; j < r->n_names; j++) {
			int sub = token == SCMP_ARCH_X86 ? subcall(r->names[j], nr) : 0;

			/* libseccomp adds the multiplexed rule before the direct one */
			if (sub > 0)
				push_rule(cs, p, i, sub);
			if (is_direct(token, r->names[j], nr, nr_name))
				push_rule(cs, p, i, 0);
		}
	}
}

static bool cond_matches(const struct cond *c, uint64_t arg)
{
	switch (c->op) {
	case OCI_OP_NE:
		return arg != c->value;
	case OCI_OP_LT:
		return arg < c->value;
	case OCI_OP_LE:
		return arg <= c->value;
	case OCI_OP_EQ:
		return arg == c->value;
	case OCI_OP_GE:
		return arg >= c->value;
	case OCI_OP_GT:
		return arg > c->value;
	case OCI_OP_MASKED_EQ:
		return (arg & c->value) == c->value_two;
	}
	return false;
}

static bool lrule_matches(const struct lrule *l, const uint64_t args[6], bool is_32bit)
{
	for (size_t i = 0; i < l->n_conds; i++) {
		uint64_t arg = args[l->conds[i].index];

		if (!cond_matches(&l->conds[i], is_32bit ? (uint32_t)arg : arg))
			return false;
	}
	return true;
}

/* Whether the shorter rule's conditions all equal the longer one's first conditions. */
static bool cond_prefix(const struct lrule *a, const struct lrule *b)
{
	size_t n = a->n_conds < b->n_conds ? a->n_conds : b->n_conds;

	for (size_t i = 0; i < n; i++) {
		const struct cond *x = &a->conds[i], *y = &b->conds[i];

		if (x->index != y->index || x->op != y->op || x->value != y->value ||
		    x->value_two != y->value_two)
			return false;
	}
	return true;
}

static int op_priority(enum oci_op op)
{
	switch (op) {
	case OCI_OP_GT:
	case OCI_OP_GE:
		return 1;
	case OCI_OP_LT:
	case OCI_OP_LE:
		return 2;
	default:
		return 3;
	}
}

/* The value libseccomp sorts a condition's nodes by. */
static uint64_t datum(const struct cond *c)
{
	return c->op == OCI_OP_MASKED_EQ ? c->value_two : c->value;
}

/* libseccomp's _db_chain_lt(), inverted because _db_tree_add() keeps each level in
 * descending order: negative when a is tried first, positive when b is, 0 when they are the
 * same node (merged, so the next condition decides), CMP_TIE when neither sorts first and
 * the earlier rule is tried first. */
#define CMP_TIE 2
static int cond_order(const struct cond *a, const struct cond *b)
{
	bool ascending = a->op == OCI_OP_LT || a->op == OCI_OP_LE;

	if (a->index != b->index)
		return a->index > b->index ? -1 : 1;
	if (op_priority(a->op) != op_priority(b->op))
		return op_priority(a->op) > op_priority(b->op) ? -1 : 1;
	if (datum(a) != datum(b))
		return (datum(a) > datum(b)) != ascending ? -1 : 1;
	if (a->op != b->op || a->value != b->value || a->value_two != b->value_two)
		return CMP_TIE;
	return 0;
}

/* Negative when rule a is tried before rule b. A rule whose conditions are a prefix of the
 * other's comes first: libseccomp drops the longer one (or refuses it, EEXIST). */
static int lrule_order(const struct lrule *a, const struct lrule *b)
{
	for (size_t i = 0; i < a->n_conds && i < b->n_conds; i++) {
		int c = cond_order(&a->conds[i], &b->conds[i]);

		if (c == CMP_TIE)
			break;
		if (c != 0)
			return c;
	}
	if (a->n_conds != b->n_conds && cond_prefix(a, b))
		return a->n_conds < b->n_conds ? -1 : 1;
	return a->seq < b->seq ? -1 : 1;
}

static const struct lrule *decide(const struct candidates *cs, const uint64_t args[6])
{
	const struct lrule *best = NULL;

	for (size_t i = 0; i < cs->n; i++)
		if (cs->v[i].n_conds == 0)
			return &cs->v[i];
	for (size_t i = 0; i < cs->n; i++) {
		if (!lrule_matches(&cs->v[i], args, cs->is_32bit))
			continue;
		if (best == NULL || lrule_order(&cs->v[i], best) < 0)
			best = &cs->v[i];
	}
	return best;
}

static bool arch_is_32bit(uint32_t token)
{
	return !(token & __AUDIT_ARCH_64BIT) || token == SCMP_ARCH_X32 ||
	       token == SCMP_ARCH_MIPS64N32 || token == SCMP_ARCH_MIPSEL64N32;
}

/* Candidates per (arch, nr), computed once: collect() resolves every name of every rule, far
 * too slow for every stop. The cache is bounded whatever the tracee calls: one row of
 * MEMO_NRS entries per architecture the policy covers. A number outside a row is never a
 * syscall: no rule names it (every name resolves inside a row, pseudo-numbers aside, which
 * the kernel's filter never sees either), so it has no candidates, without collect(): a
 * tracee calling many such numbers costs no name lookups. Those with no name on their arch
 * have no candidates but the x86 multiplexers, which have names. */
#define MEMO_NRS 1024
#define MEMO_ARCHS 8

struct memo_row {
	uint32_t token;
	struct candidates *cs[MEMO_NRS]; /* owned; NULL: not computed yet */
};

struct oci_match_memo {
	struct memo_row rows[MEMO_ARCHS];
	size_t n_rows;
};

static struct candidates **memo_slot(struct oci_policy *p, uint32_t token, int nr)
{
	uint32_t i = (uint32_t)nr & ~X32_SYSCALL_BIT;
	struct oci_match_memo *m = p->memo;

	if (i >= MEMO_NRS)
		return NULL;
	if (m == NULL && (m = p->memo = calloc(1, sizeof(*m))) == NULL)
		abort();
	for (size_t r = 0; r < m->n_rows; r++)
		if (m->rows[r].token == token)
			return &m->rows[r].cs[i];
	if (m->n_rows == MEMO_ARCHS)
		return NULL;
	m->rows[m->n_rows].token = token;
	return &m->rows[m->n_rows++].cs[i];
}

void oci_match_memo_free(struct oci_match_memo *m)
{
	if (m == NULL)
		return;
	for (size_t r = 0; r < m->n_rows; r++)
		for (size_t i = 0; i < MEMO_NRS; i++) {
			if (m->rows[r].cs[i])
				free(m->rows[r].cs[i]->v);
			free(m->rows[r].cs[i]);
		}
	free(m);
}

int oci_policy_match(const struct oci_policy *p, uint32_t audit_arch, int nr,
		     const uint64_t args[6], enum oci_action *action, uint32_t *errno_ret)
{
	uint32_t token = match_arch(p, audit_arch, nr);
	struct candidates live = {.is_32bit = arch_is_32bit(token)};
	struct candidates *cs = &live, **slot;
	const struct lrule *l;
	int rule;

	if (token == 0) {
		*action = OCI_ACT_KILL_THREAD;
		*errno_ret = 0;
		return -2;
	}
	/* the memo is a cache of what p says: filling it does not change the policy */
	slot = memo_slot((struct oci_policy *)p, token, nr);
	if (slot && *slot) {
		cs = *slot;
	} else if (((uint32_t)nr & ~X32_SYSCALL_BIT) >= MEMO_NRS) {
		/* no candidates: the default action */
	} else {
		collect(&live, p, token, nr);
		if (slot) {
			if ((*slot = malloc(sizeof(live))) == NULL)
				abort();
			**slot = live;
			cs = *slot;
		}
	}
	l = decide(cs, args);
	rule = l ? l->rule : -1;
	if (cs == &live)
		free(live.v);
	*action = rule < 0 ? p->default_action : p->rules[rule].action;
	*errno_ret = rule < 0 ? p->default_errno_ret : p->rules[rule].errno_ret;
	return rule;
}
