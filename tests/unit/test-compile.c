/* oci/compile.c and oci_policy_match(): a table of (policy, arch, syscall, args) -> expected
 * decision, each checked three ways: oci_policy_match(), the KERNEL-mode program and the
 * TRACER-mode program (run through bpf-run.c). Then a randomised differential run of
 * oci_policy_match() against the compiled filter. Policies use ' for ". */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "bpf.h"
#include "cleanup.h"
#include "compile.h"
#include "tap.h"

#define X32_BIT 0x40000000

struct env {
	struct oci_policy *p;
	struct oci_filter *k; /* OCI_COMPILE_KERNEL */
	struct oci_filter *t; /* OCI_COMPILE_TRACER */
	char *warnings;
};

struct expect {
	enum oci_action action;
	uint32_t errno_ret;
	int rule;
};

static char *dq(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; *c; c++)
		if (*c == '\'')
			*c = '"';
	return d;
}

static void env_free(struct env *e)
{
	oci_policy_free(e->p);
	oci_filter_free(e->k);
	oci_filter_free(e->t);
	free(e->warnings);
	memset(e, 0, sizeof(*e));
}

static int compile_both(struct env *e, struct oci_error **err)
{
	size_t size;
	FILE *warn = open_memstream(&e->warnings, &size);
	int rc = oci_policy_compile(e->p, OCI_COMPILE_KERNEL, warn, &e->k, err);

	fclose(warn);
	if (rc < 0)
		return rc;
	return oci_policy_compile(e->p, OCI_COMPILE_TRACER, NULL, &e->t, err);
}

static bool env_init(struct env *e, const char *policy)
{
	cleanup_free char *doc = dq(policy);
	struct oci_error *err = NULL;

	memset(e, 0, sizeof(*e));
	if (oci_policy_parse("policy.json", doc, strlen(doc), &e->p, &err) < 0 ||
	    compile_both(e, &err) < 0) {
		ok(false, "policy compiles: %s", err->msg);
		oci_error_free(err);
		env_free(e);
		return false;
	}
	return true;
}

/* The kernel's values, spelled out independently of compile.c. */
static uint32_t kernel_value(enum oci_action a, uint32_t e)
{
	switch (a) {
	case OCI_ACT_KILL_THREAD:
		return SECCOMP_RET_KILL_THREAD;
	case OCI_ACT_KILL_PROCESS:
		return SECCOMP_RET_KILL_PROCESS;
	case OCI_ACT_TRAP:
		return SECCOMP_RET_TRAP;
	case OCI_ACT_ERRNO:
		return SECCOMP_RET_ERRNO | e;
	case OCI_ACT_TRACE:
		return SECCOMP_RET_TRACE | e;
	case OCI_ACT_ALLOW:
		return SECCOMP_RET_ALLOW;
	case OCI_ACT_LOG:
		return SECCOMP_RET_LOG;
	case OCI_ACT_NOTIFY:
		return SECCOMP_RET_USER_NOTIF;
	}
	return 1;
}

static bool tracer_agrees(const struct oci_filter *t, uint32_t ret, const struct expect *x)
{
	bool bad_arch = x->rule == -2;
	const struct oci_slot *s;

	if (x->action == OCI_ACT_ALLOW && !bad_arch)
		return ret == SECCOMP_RET_ALLOW;
	if ((ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRACE)
		return false;
	s = oci_filter_slot(t, ret & SECCOMP_RET_DATA);
	if (s == NULL)
		return false;
	return s->action == x->action && s->errno_ret == x->errno_ret && s->is_bad_arch == bad_arch;
}

static uint32_t audit_arch_of(uint32_t token)
{
	return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
}

static struct seccomp_data make_data(uint32_t token, int nr, const uint64_t args[6])
{
	struct seccomp_data d = {.nr = nr, .arch = audit_arch_of(token)};

	memcpy(d.args, args, sizeof(d.args));
	return d;
}

/* Checks one decision three ways; returns true when all agree with x. */
static bool decide(const struct env *e, uint32_t token, int nr, const uint64_t args[6],
		   const struct expect *x, const char *label)
{
	struct seccomp_data d = make_data(token, nr, args);
	enum oci_action a = -1;
	uint32_t errno_ret = 0;
	int rule = oci_policy_match(e->p, d.arch, nr, args, &a, &errno_ret);
	uint32_t k = bpf_run(e->k->insns, e->k->len, &d);
	uint32_t t = bpf_run(e->t->insns, e->t->len, &d);
	bool m_ok = rule == x->rule && a == x->action && errno_ret == x->errno_ret;
	bool k_ok =
	    k == (x->rule == -2 ? SECCOMP_RET_KILL_THREAD : kernel_value(x->action, x->errno_ret));
	bool t_ok = tracer_agrees(e->t, t, x);

	if (label == NULL)
		return m_ok && k_ok && t_ok;
	ok(m_ok && k_ok && t_ok, "%s: %s/%u rule %d", label, oci_action_name(x->action),
	   x->errno_ret, x->rule);
	if (!m_ok || !k_ok || !t_ok)
		diag("match: %s/%u rule %d; kernel 0x%08x; tracer 0x%08x", oci_action_name(a),
		     errno_ret, rule, k, t);
	return m_ok && k_ok && t_ok;
}

static int nr_of(uint32_t token, const char *name)
{
	return seccomp_syscall_resolve_name_arch(token, name);
}

struct call {
	uint32_t token;
	const char *name; /* NULL: use nr */
	int nr;
	uint64_t args[6];
	struct expect x;
};

struct table {
	const char *label;
	const char *policy;
	struct call calls[10];
};

#define ALLOW(r)                                                                                   \
	{                                                                                          \
		OCI_ACT_ALLOW, 0, r                                                                \
	}
#define ERRNO(e, r)                                                                                \
	{                                                                                          \
		OCI_ACT_ERRNO, e, r                                                                \
	}
#define DEFAULT_EPERM                                                                              \
	{                                                                                          \
		OCI_ACT_ERRNO, EPERM, -1                                                           \
	}
#define BAD_ARCH                                                                                   \
	{                                                                                          \
		OCI_ACT_KILL_THREAD, 0, -2                                                         \
	}
#define X86_64 SCMP_ARCH_X86_64
#define X86 SCMP_ARCH_X86
#define X32 SCMP_ARCH_X32
#define ERRNO_DEFAULT "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64'"
#define ERRNO_DEFAULT_ALL ERRNO_DEFAULT ",'SCMP_ARCH_X86','SCMP_ARCH_X32'],"

static const struct table tables[] = {
    {"AND across args",
     ERRNO_DEFAULT ",'SCMP_ARCH_X86'],'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW',"
		   "'args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':1,'value':2,'op':'"
		   "SCMP_CMP_EQ'}]}]}",
     {{X86_64, "getpid", 0, {1, 2}, ALLOW(0)},
      {X86_64, "getpid", 0, {1, 3}, DEFAULT_EPERM},
      {X86_64, "getpid", 0, {0, 2}, DEFAULT_EPERM},
      {X86, "getpid", 0, {1, 2, 9, 9, 9, 9}, ALLOW(0)},
      {X86, "getpid", 0, {1, 0}, DEFAULT_EPERM},
      {X86_64, "getppid", 0, {1, 2}, DEFAULT_EPERM}}},
    {"OR on a repeated index",
     ERRNO_DEFAULT
     "],'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW','args':["
     "{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':0,'value':2,'op':'SCMP_CMP_EQ'},"
     "{'index':1,'value':5,'op':'SCMP_CMP_EQ'}]}]}",
     {{X86_64, "getpid", 0, {1, 0}, ALLOW(0)},
      {X86_64, "getpid", 0, {2, 0}, ALLOW(0)},
      {X86_64, "getpid", 0, {9, 5}, ALLOW(0)},
      {X86_64, "getpid", 0, {3, 4}, DEFAULT_EPERM}}},
    {"several rules for one syscall",
     ERRNO_DEFAULT "],'syscalls':["
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':13,'args':[{'index':0,"
		   "'value':1,'op':'SCMP_CMP_EQ'}]},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':14,'args':[{'index':0,"
		   "'value':2,'op':'SCMP_CMP_EQ'}]},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ALLOW','args':[{'index':1,'value':7,'op'"
		   ":'SCMP_CMP_EQ'}]}]}",
     {{X86_64, "getpid", 0, {1}, ERRNO(13, 0)},
      {X86_64, "getpid", 0, {2}, ERRNO(14, 1)},
      {X86_64, "getpid", 0, {3, 7}, ALLOW(2)},
      {X86_64, "getpid", 0, {3}, DEFAULT_EPERM}}},
    {"unknown names are skipped",
     ERRNO_DEFAULT
     "],'syscalls':[{'names':['no_such_syscall','getpid'],'action':'SCMP_ACT_ALLOW'}]}",
     {{X86_64, "getpid", 0, {0}, ALLOW(0)}, {X86_64, "getppid", 0, {0}, DEFAULT_EPERM}}},
    {"a rule with the default action is skipped, another errno is not",
     ERRNO_DEFAULT "],'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
		   "{'names':['getppid'],'action':'SCMP_ACT_ERRNO','errnoRet':2},"
		   "{'names':['getuid'],'action':'SCMP_ACT_TRACE','errnoRet':1}]}",
     {{X86_64, "getpid", 0, {0}, DEFAULT_EPERM},
      {X86_64, "getppid", 0, {0}, ERRNO(2, 1)},
      {X86_64, "getuid", 0, {0}, {OCI_ACT_TRACE, 1, 2}}}},
    {"the first unconditional rule wins",
     ERRNO_DEFAULT "],'syscalls':["
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':5,'args':[{'index':0,'"
		   "value':1,'op':'SCMP_CMP_EQ'}]},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':6},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':7},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':8,'args':[{'index':0,'"
		   "value':2,'op':'SCMP_CMP_EQ'}]}]}",
     {{X86_64, "getpid", 0, {1}, ERRNO(6, 1)},
      {X86_64, "getpid", 0, {2}, ERRNO(6, 1)},
      {X86_64, "getpid", 0, {3}, ERRNO(6, 1)}}},
    {"conditional rules: higher argument index first",
     ERRNO_DEFAULT "],'syscalls':["
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':5,'args':[{'index':1,'"
		   "value':1,'op':'SCMP_CMP_EQ'}]},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':6,'args':[{'index':0,'"
		   "value':1,'op':'SCMP_CMP_EQ'}]}]}",
     {{X86_64, "getpid", 0, {1, 1}, ERRNO(5, 0)},
      {X86_64, "getpid", 0, {0, 1}, ERRNO(5, 0)},
      {X86_64, "getpid", 0, {1, 0}, ERRNO(6, 1)}}},
    {"conditional rules: EQ before LT/LE before GT/GE",
     ERRNO_DEFAULT "],'syscalls':["
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':5,'args':[{'index':0,'"
		   "value':4,'op':'SCMP_CMP_EQ'}]},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':6,'args':[{'index':0,'"
		   "value':9,'op':'SCMP_CMP_LT'}]},"
		   "{'names':['getpid'],'action':'SCMP_ACT_ERRNO','errnoRet':7,'args':[{'index':0,'"
		   "value':3,'op':'SCMP_CMP_GT'}]}]}",
     {{X86_64, "getpid", 0, {4}, ERRNO(5, 0)},
      {X86_64, "getpid", 0, {5}, ERRNO(6, 1)},
      {X86_64, "getpid", 0, {2}, ERRNO(6, 1)},
      {X86_64, "getpid", 0, {10}, ERRNO(7, 2)}}},
    {"architectures: unlisted ones get the bad-arch action",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ERRNO'}]"
     "}",
     {{X86_64, "getpid", 0, {0}, ERRNO(EPERM, 0)},
      {X86, "getpid", 0, {0}, BAD_ARCH},
      {X86_64, NULL, X32_BIT | 39, {0}, BAD_ARCH},
      {X86_64, NULL, -1, {0}, ALLOW(-1)},
      {SCMP_ARCH_AARCH64, NULL, 172, {0}, BAD_ARCH}}},
    {"architectures: x86 and x32 listed",
     ERRNO_DEFAULT_ALL "'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW'}]}",
     {{X86_64, "getpid", 0, {0}, ALLOW(0)},
      {X86, "getpid", 0, {0}, ALLOW(0)},
      {X32, "getpid", 0, {0}, ALLOW(0)},
      {X32, "getppid", 0, {0}, DEFAULT_EPERM},
      {X86_64, NULL, X32_BIT | 4000, {0}, DEFAULT_EPERM},
      {X86_64, NULL, -1, {0}, DEFAULT_EPERM}}},
    {"x86: 32-bit comparisons on the low word",
     ERRNO_DEFAULT_ALL "'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW','args':"
		       "[{'index':0,'value':4294967301,'op':'SCMP_CMP_EQ'}]}]}",
     {{X86, "getpid", 0, {5}, ALLOW(0)},
      {X86, "getpid", 0, {0x700000005}, ALLOW(0)},
      {X32, "getpid", 0, {0x700000005}, ALLOW(0)},
      {X86_64, "getpid", 0, {5}, DEFAULT_EPERM},
      {X86_64, "getpid", 0, {0x100000005}, ALLOW(0)}}},
    {"x86: socket calls also match through socketcall(2)",
     ERRNO_DEFAULT_ALL
     "'syscalls':[{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':"
     "[{'index':0,'value':2,'op':'SCMP_CMP_EQ'}]},{'names':['accept'],'action':'SCMP_ACT_ALLOW'},"
     "{'names':['shmget'],'action':'SCMP_ACT_ALLOW'}]}",
     {{X86, NULL, 359, {2}, ALLOW(0)},
      {X86, NULL, 359, {1}, DEFAULT_EPERM},
      {X86, NULL, 102, {1, 0x1000}, ALLOW(0)},
      {X86, NULL, 102, {5}, ALLOW(1)},
      {X86, NULL, 102, {2}, DEFAULT_EPERM},
      {X86, NULL, 117, {23}, ALLOW(2)},
      {X86, NULL, 395, {0}, ALLOW(2)},
      {X86, NULL, 364 /* accept4 */, {0}, DEFAULT_EPERM},
      {X86_64, "socket", 0, {1}, DEFAULT_EPERM}}},
    {"MASKED_EQ compares valueTwo under the mask too (libseccomp)",
     ERRNO_DEFAULT_ALL "'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW','args':"
		       "[{'index':2,'value':15,'valueTwo':17,'op':'SCMP_CMP_MASKED_EQ'}]},"
		       "{'names':['getppid'],'action':'SCMP_ACT_ALLOW','args':"
		       "[{'index':2,'value':0,'valueTwo':17,'op':'SCMP_CMP_MASKED_EQ'}]}]}",
     {{X86_64, "getpid", 0, {0, 0, 1}, ALLOW(0)},
      {X86_64, "getpid", 0, {0, 0, 0xf1}, ALLOW(0)},
      {X86_64, "getpid", 0, {0, 0, 17}, ALLOW(0)},
      {X86_64, "getpid", 0, {0, 0, 2}, DEFAULT_EPERM},
      {X86_64, "getppid", 0, {0, 0, 2}, ALLOW(1)},
      {X86, "getppid", 0, {0, 0, 2}, ALLOW(1)}}},
    {"every action's kernel value",
     "{'defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':["
     "{'names':['read'],'action':'SCMP_ACT_KILL'},{'names':['write'],'action':'SCMP_ACT_KILL_"
     "THREAD'},"
     "{'names':['open'],'action':'SCMP_ACT_TRAP'},{'names':['close'],'action':'SCMP_ACT_ERRNO','"
     "errnoRet':38},"
     "{'names':['stat'],'action':'SCMP_ACT_TRACE','errnoRet':4242},{'names':['fstat'],'action':'"
     "SCMP_ACT_ALLOW'},"
     "{'names':['lstat'],'action':'SCMP_ACT_LOG'},{'names':['poll'],'action':'SCMP_ACT_NOTIFY'}]}",
     {{X86_64, "read", 0, {0}, {OCI_ACT_KILL_THREAD, 0, 0}},
      {X86_64, "write", 0, {0}, {OCI_ACT_KILL_THREAD, 0, 1}},
      {X86_64, "open", 0, {0}, {OCI_ACT_TRAP, 0, 2}},
      {X86_64, "close", 0, {0}, {OCI_ACT_ERRNO, 38, 3}},
      {X86_64, "stat", 0, {0}, {OCI_ACT_TRACE, 4242, 4}},
      {X86_64, "fstat", 0, {0}, {OCI_ACT_ALLOW, 0, 5}},
      {X86_64, "lstat", 0, {0}, {OCI_ACT_LOG, 0, 6}},
      {X86_64, "poll", 0, {0}, {OCI_ACT_NOTIFY, 0, 7}}}},
    {"KILL_PROCESS default",
     "{'defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':[{'names':['read'],'action':'SCMP_ACT_"
     "ALLOW'}]}",
     {{X86_64, "getpid", 0, {0}, {OCI_ACT_KILL_PROCESS, 0, -1}}}},
};

static void run_table(const struct table *t)
{
	struct env e;
	bool all = true;

	if (!env_init(&e, t->policy))
		return;
	for (size_t i = 0; i < N_ELEMENTS(t->calls) && t->calls[i].token; i++) {
		const struct call *c = &t->calls[i];
		int nr = c->name ? nr_of(c->token, c->name) : c->nr;
		cleanup_free char *label = NULL;

		if (asprintf(&label, "%s: %s(%s) args %#jx,%#jx,%#jx", t->label,
			     c->token == X86   ? "x86"
			     : c->token == X32 ? "x32"
					       : "x86_64",
			     c->name ? c->name : "nr", (uintmax_t)c->args[0], (uintmax_t)c->args[1],
			     (uintmax_t)c->args[2]) < 0)
			abort();
		all &= decide(&e, c->token, nr, c->args, &c->x, label);
	}
	(void)all;
	env_free(&e);
}

/* ---- every operator around its value ---- */

static bool ref_cmp(enum oci_op op, uint64_t arg, uint64_t v, uint64_t v2)
{
	switch (op) {
	case OCI_OP_NE:
		return arg != v;
	case OCI_OP_LT:
		return arg < v;
	case OCI_OP_LE:
		return arg <= v;
	case OCI_OP_EQ:
		return arg == v;
	case OCI_OP_GE:
		return arg >= v;
	case OCI_OP_GT:
		return arg > v;
	case OCI_OP_MASKED_EQ:
		return (arg & v) == (v2 & v);
	}
	return false;
}

static const uint64_t op_values[] = {
    0,
    1,
    5,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    0x100000005,
    0x7fffffffffffffff,
    0x8000000000000000,
    0xfffffffffffffffe,
    UINT64_MAX,
};

static void check_op(enum oci_op op, uint64_t v, uint64_t v2, unsigned *n, unsigned *bad)
{
	cleanup_free char *policy = NULL;
	uint64_t probe = op == OCI_OP_MASKED_EQ ? v2 : v;
	uint32_t tokens[] = {X86_64, X86, X32};
	struct env e;

	if (asprintf(
		&policy,
		ERRNO_DEFAULT_ALL
		"'syscalls':[{'names':['getpid'],'action':"
		"'SCMP_ACT_ALLOW','args':[{'index':3,'value':%ju,'valueTwo':%ju,'op':'%s'}]}]}",
		(uintmax_t)v, (uintmax_t)v2, oci_op_name(op)) < 0 ||
	    !env_init(&e, policy))
		abort();
	for (size_t t = 0; t < N_ELEMENTS(tokens); t++) {
		bool is32 = tokens[t] != X86_64;
		uint64_t w = is32 ? UINT32_MAX : UINT64_MAX;

		for (int delta = -1; delta <= 1; delta++) {
			uint64_t args[6] = {7, 7, 7, probe + delta, 7, 7};
			bool hit = ref_cmp(op, args[3] & w, v & w, v2 & w);
			struct expect x =
			    hit ? (struct expect)ALLOW(0) : (struct expect)DEFAULT_EPERM;

			(*n)++;
			if (!decide(&e, tokens[t], nr_of(tokens[t], "getpid"), args, &x, NULL)) {
				(*bad)++;
				diag("%s value %#jx valueTwo %#jx arg %#jx on %s", oci_op_name(op),
				     (uintmax_t)v, (uintmax_t)v2, (uintmax_t)args[3],
				     is32 ? "x86/x32" : "x86_64");
			}
		}
	}
	env_free(&e);
}

static void test_ops(void)
{
	unsigned n = 0, bad = 0;

	for (enum oci_op op = OCI_OP_NE; op <= OCI_OP_MASKED_EQ; op++) {
		for (size_t i = 0; i < N_ELEMENTS(op_values); i++) {
			if (op != OCI_OP_MASKED_EQ) {
				check_op(op, op_values[i], 0, &n, &bad);
				continue;
			}
			for (size_t j = 0; j < N_ELEMENTS(op_values); j += 3)
				check_op(op, op_values[i], op_values[j], &n, &bad);
		}
	}
	ok(bad == 0,
	   "every operator at value-1, value, value+1 on x86_64, x86, x32: %u of %u agree", n - bad,
	   n);
}

/* ---- randomised: oci_policy_match() against the compiled filter ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static const uint64_t pool[] = {0, 1, 2, 5, 0xff, 0x100000000, 0x100000005, UINT64_MAX};

static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
	char *more, *joined;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&joined, "%s%s", *s, more) < 0)
		abort();
	free(*s);
	free(more);
	*s = joined;
}

struct shape {
	size_t max_rules, max_args;
	bool mixed; /* several actions for one syscall */
};

static void random_rule(char **s, const struct shape *sh, const size_t action_of[3])
{
	static const char *const names[] = {"getpid", "getppid", "socket"};
	static const char *const actions[] = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_TRAP",
					      "SCMP_ACT_LOG", "SCMP_ACT_KILL"};
	size_t name = rnd(3), n_args = rnd(sh->max_args + 1);
	size_t action = sh->mixed ? rnd(N_ELEMENTS(actions)) : action_of[name];

	append(s, "{'names':['%s'],'action':'%s','errnoRet':%ju,'args':[", names[name],
	       actions[action], sh->mixed ? (uintmax_t)rnd(3) + 1 : 2);
	for (size_t i = 0; i < n_args; i++)
		append(s, "%s{'index':%ju,'value':%ju,'valueTwo':%ju,'op':'%s'}", i ? "," : "",
		       (uintmax_t)rnd(3), (uintmax_t)(pool[rnd(N_ELEMENTS(pool))] + rnd(2)),
		       (uintmax_t)pool[rnd(N_ELEMENTS(pool))],
		       oci_op_name((enum oci_op)rnd(OCI_OP_MASKED_EQ + 1)));
	append(s, "]}");
}

static char *random_policy(const struct shape *sh)
{
	char *s = strdup(rnd(2) ? "{'defaultAction':'SCMP_ACT_ALLOW',"
				: "{'defaultAction':'SCMP_ACT_ERRNO',");
	size_t n_rules = rnd(sh->max_rules) + 1, action_of[3] = {rnd(5), rnd(5), rnd(5)};

	append(&s,
	       "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],'syscalls':[");
	for (size_t i = 0; i < n_rules; i++) {
		append(&s, "%s", i ? "," : "");
		random_rule(&s, sh, action_of);
	}
	append(&s, "]}");
	return s;
}

/* Plain OR-of-rules semantics, independent of match.c (x86_64 and x32 only, where nothing
 * is multiplexed): the distinct actions of the matching rules, encoded as kernel values. */
static bool ref_rule_matches(const struct oci_rule *r, const uint64_t args[6], bool is32)
{
	uint64_t w = is32 ? UINT32_MAX : UINT64_MAX;
	unsigned seen = 0;
	bool split = false, all = true, any = false;

	for (size_t i = 0; i < r->n_args; i++) {
		const struct oci_arg *a = &r->args[i];
		bool hit = ref_cmp(a->op, args[a->index] & w, a->value & w, a->value_two & w);

		split |= (seen >> a->index) & 1;
		seen |= 1u << a->index;
		all &= hit;
		any |= hit;
	}
	return r->n_args == 0 || (split ? any : all);
}

static size_t ref_actions(const struct oci_policy *p, uint32_t token, int nr,
			  const uint64_t args[6], uint32_t out[])
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct oci_rule *r = &p->rules[i];
		uint32_t v = kernel_value(r->action, r->errno_ret);
		bool named = false;

		for (size_t j = 0; j < r->n_names; j++)
			named |= nr_of(token, r->names[j]) == nr;
		if (!named || oci_rule_is_default(p, r) || !ref_rule_matches(r, args, token == X32))
			continue;
		for (size_t k = 0; k <= n; k++)
			if (k == n) {
				out[n++] = v;
				break;
			} else if (out[k] == v) {
				break;
			}
	}
	return n;
}

struct tally {
	unsigned probes, agree, miscompiled, precedence;
};

/* Compares oci_policy_match() with the KERNEL program; when they differ, tells a libseccomp
 * miscompilation (a single action applies, the program says otherwise) from a precedence
 * question that match.c got wrong. */
static void probe(const struct env *e, uint32_t token, int nr, const uint64_t args[6],
		  struct tally *t, const char *policy)
{
	struct seccomp_data d = make_data(token, nr, args);
	uint32_t want[64], k = bpf_run(e->k->insns, e->k->len, &d);
	struct expect x;
	size_t n;

	t->probes++;
	x.rule = oci_policy_match(e->p, d.arch, nr, args, &x.action, &x.errno_ret);
	if (decide(e, token, nr, args, &x, NULL)) {
		t->agree++;
		return;
	}
	n = ref_actions(e->p, token, nr, args, want);
	if (n == 0)
		want[n++] = kernel_value(e->p->default_action, e->p->default_errno_ret);
	if (n == 1 && want[0] != k && want[0] == kernel_value(x.action, x.errno_ret)) {
		t->miscompiled++;
		return;
	}
	t->precedence++;
	if (policy != NULL)
		diag("precedence: %s: nr %d args %#jx %#jx %#jx: match %s/%u, filter 0x%08x",
		     policy, nr, (uintmax_t)args[0], (uintmax_t)args[1], (uintmax_t)args[2],
		     oci_action_name(x.action), x.errno_ret, k);
}

static void probe_policy(const struct env *e, struct tally *t, const char *policy)
{
	static const uint32_t tokens[] = {X86_64, X32};
	static const char *const names[] = {"getpid", "getppid", "socket"};

	for (int i = 0; i < 40; i++) {
		uint32_t token = tokens[rnd(2)];
		uint64_t args[6];

		for (int a = 0; a < 6; a++)
			args[a] = pool[rnd(N_ELEMENTS(pool))] + rnd(3) - 1;
		probe(e, token, nr_of(token, names[rnd(3)]), args, t, policy);
	}
}

static void run_random(const struct shape *sh, int n, struct tally *t, unsigned *compiled,
		       unsigned *refused)
{
	for (int i = 0; i < n; i++) {
		cleanup_free char *policy = random_policy(sh);
		cleanup_free char *doc = dq(policy);
		struct oci_error *err = NULL;
		struct env e = {NULL};

		if (oci_policy_parse("p", doc, strlen(doc), &e.p, &err) < 0 ||
		    compile_both(&e, &err) < 0) {
			(*refused)++;
			oci_error_free(err);
			env_free(&e);
			continue;
		}
		(*compiled)++;
		probe_policy(&e, t, sh->mixed ? NULL : policy);
		env_free(&e);
	}
}

/* libseccomp 2.5.4 miscompiles some filters (e.g. three LT/EQ checks on one 64-bit
 * argument: it compares a high word against the low word left in the accumulator). The
 * kernel and runc follow the program, and so does octrace's tracer mode, which builds the
 * same program; oci_policy_match() follows the policy. Those cases are counted, not failed.
 * With one action per syscall the precedence between rules cannot matter: match must agree.
 * With one condition per rule the documented precedence must hold. Beyond that (several
 * actions, several conditions, merged trees) the agreement rate is only reported. */
static void test_random(void)
{
	static const struct {
		const char *what;
		struct shape sh;
		bool strict;
	} runs[] = {
	    {"one action per syscall", {6, 3, false}, true},
	    {"mixed actions, one condition per rule", {4, 1, true}, true},
	    {"mixed actions, up to three conditions", {6, 3, true}, false},
	};

	for (size_t i = 0; i < N_ELEMENTS(runs); i++) {
		struct tally t = {0};
		unsigned compiled = 0, refused = 0;

		run_random(&runs[i].sh, 1500, &t, &compiled, &refused);
		ok(!runs[i].strict || t.precedence == 0,
		   "random policies, %s: %u compiled (%u refused by libseccomp), %u probes: %u "
		   "agree, %u miscompiled by libseccomp, %u decided otherwise%s",
		   runs[i].what, compiled, refused, t.probes, t.agree, t.miscompiled, t.precedence,
		   runs[i].strict ? "" : " (reported only)");
	}
}

/* ---- tracer mode, warnings, limits ---- */

static uint32_t run_nr(const struct oci_filter *f, uint32_t audit_arch, int nr)
{
	struct seccomp_data d = {.nr = nr, .arch = audit_arch};

	return bpf_run(f->insns, f->len, &d);
}

static void test_tracer_mode(void)
{
	struct env e;
	const struct oci_slot *s;
	bool distinct = true;

	if (!env_init(&e, "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,'flags':["
			  "'SECCOMP_FILTER_FLAG_LOG'],'syscalls':["
			  "{'names':['read'],'action':'SCMP_ACT_ERRNO'},"
			  "{'names':['write'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
			  "{'names':['open'],'action':'SCMP_ACT_TRACE','errnoRet':1},"
			  "{'names':['close'],'action':'SCMP_ACT_KILL_PROCESS'},"
			  "{'names':['stat'],'action':'SCMP_ACT_ALLOW'},"
			  "{'names':['fstat'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}"))
		return;
	s = e.t->slots;
	ok(e.t->n_slots == 5, "slots: bad arch, default, ERRNO/1, TRACE/1, KILL_PROCESS (%zu)",
	   e.t->n_slots);
	ok(s[0].is_bad_arch && s[0].action == OCI_ACT_KILL_THREAD && !s[1].is_bad_arch &&
	       s[1].action == OCI_ACT_ERRNO && s[1].errno_ret == 38,
	   "slot 0 is the bad-arch action, slot 1 the default");
	for (size_t i = 0; i < e.t->n_slots; i++)
		for (size_t j = i + 1; j < e.t->n_slots; j++)
			distinct &= s[i].action != s[j].action ||
				    s[i].errno_ret != s[j].errno_ret ||
				    s[i].is_bad_arch != s[j].is_bad_arch;
	ok(distinct, "slots are distinct (action, errno) pairs");
	ok(run_nr(e.t, AUDIT_ARCH_X86_64, nr_of(X86_64, "read")) ==
	       run_nr(e.t, AUDIT_ARCH_X86_64, nr_of(X86_64, "write")),
	   "ERRNO without errnoRet and ERRNO/1 share a slot");
	ok(run_nr(e.t, AUDIT_ARCH_X86_64, nr_of(X86_64, "fstat")) == (SECCOMP_RET_TRACE | (OCI_TRACE_DATA_BASE + 1)),
	   "a rule equal to the default is skipped: default slot");
	ok(run_nr(e.t, AUDIT_ARCH_X86_64, nr_of(X86_64, "stat")) == SECCOMP_RET_ALLOW,
	   "ALLOW stays in the kernel");
	ok(run_nr(e.t, AUDIT_ARCH_I386, 3) == (SECCOMP_RET_TRACE | OCI_TRACE_DATA_BASE),
	   "unlisted arch: TRACE(bad-arch slot 0)");
	ok(run_nr(e.k, AUDIT_ARCH_I386, 3) == SECCOMP_RET_KILL_THREAD,
	   "kernel mode: the bad-arch action is KILL_THREAD");
	ok(e.k->flags == SECCOMP_FILTER_FLAG_LOG && e.t->flags == SECCOMP_FILTER_FLAG_LOG,
	   "flags carried to the filter");
	ok(e.k->n_slots == 0 && e.k->slots == NULL, "kernel mode has no slots");
	size_t n_guard = 0;

	oci_guard_prefix(&n_guard);
	ok(e.t->len == e.k->len + 12 + n_guard,
	   "tracer program = 12 reserved + %zu guard instructions + the same program", n_guard);

	/* enforce mode: the same program and slots, KILL/TRAP/bad-arch answered in the kernel */
	struct oci_filter *en = NULL;
	cleanup_oci_error struct oci_error *err = NULL;

	if (oci_policy_compile(e.p, OCI_COMPILE_ENFORCE, NULL, &en, &err) < 0) {
		ok(false, "enforce mode compiles: %s", err->msg);
	} else {
		bool same_slots = en->n_slots == e.t->n_slots &&
				  memcmp(en->slots, e.t->slots, en->n_slots * sizeof(*en->slots)) == 0;

		ok(en->len == e.t->len + 1 && same_slots && en->flags == e.t->flags,
		   "enforce mode: one instruction more (the final ALLOW after the guards), same slots "
		   "and flags as tracer mode");
		ok(run_nr(en, AUDIT_ARCH_X86_64, nr_of(X86_64, "close")) == SECCOMP_RET_KILL_PROCESS &&
		       run_nr(en, AUDIT_ARCH_I386, 3) == SECCOMP_RET_KILL_THREAD,
		   "enforce mode: KILL_PROCESS and the bad-arch KILL_THREAD in the kernel");
		ok(run_nr(en, AUDIT_ARCH_X86_64, nr_of(X86_64, "write")) ==
			       run_nr(e.t, AUDIT_ARCH_X86_64, nr_of(X86_64, "write")) &&
		       run_nr(en, AUDIT_ARCH_X86_64, nr_of(X86_64, "open")) ==
			       run_nr(e.t, AUDIT_ARCH_X86_64, nr_of(X86_64, "open")) &&
		       run_nr(en, AUDIT_ARCH_X86_64, nr_of(X86_64, "stat")) == SECCOMP_RET_ALLOW,
		   "enforce mode: ERRNO and TRACE still stop with tracer mode's data");
		ok(run_nr(e.t, AUDIT_ARCH_X86_64, 435) ==
			       (SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_CLONE3)) &&
		       run_nr(en, AUDIT_ARCH_X86_64, 435) ==
			       (SECCOMP_RET_TRACE | (OCI_TRACE_DATA_BASE + 1)),
		   "enforce mode: the policy before the guards (clone3 under a default ERRNO)");
		bool agree = true;

		for (int nr = 0; nr < 460; nr++) {
			uint32_t a = run_nr(en, AUDIT_ARCH_X86_64, nr), b = run_nr(e.t, AUDIT_ARCH_X86_64, nr);
			const struct oci_slot *sl = oci_filter_slot(e.t, b & SECCOMP_RET_DATA);

			if (sl && sl->guard != OCI_GUARD_NONE)
				continue; /* the guard in one, the policy in the other: above */
			if ((b & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE && sl &&
			    oci_action_in_kernel(sl->action))
				agree &= a == SECCOMP_RET_KILL_PROCESS;
			else
				agree &= a == b;
		}
		ok(agree, "enforce mode differs from tracer mode exactly where a slot is in-kernel");
	}
	oci_filter_free(en);
	env_free(&e);

	/* the guards after an allowing policy, and a policy KILL on a guarded call in the kernel */
	if (!env_init(&e, "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['ptrace'],"
			  "'action':'SCMP_ACT_KILL_PROCESS'}]}"))
		return;
	en = NULL;
	if (oci_policy_compile(e.p, OCI_COMPILE_ENFORCE, NULL, &en, NULL) == 0) {
		struct seccomp_data d = {.nr = 56, .arch = AUDIT_ARCH_X86_64, .args = {0x00800011}};

		ok(run_nr(en, AUDIT_ARCH_X86_64, 435) ==
			       (SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_CLONE3)) &&
		       bpf_run(en->insns, en->len, &d) ==
			       (SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + OCI_GUARD_UNTRACED)) &&
		       run_nr(en, AUDIT_ARCH_X86_64, 101) == SECCOMP_RET_KILL_PROCESS &&
		       run_nr(en, AUDIT_ARCH_X86_64, 0) == SECCOMP_RET_ALLOW,
		   "enforce mode: guards after an allowing policy; a policy KILL on ptrace(TRACEME) "
		   "is the kernel's");
	} else {
		ok(false, "enforce mode compiles (ptrace KILL)");
	}
	oci_filter_free(en);
	env_free(&e);
}

static void test_reserved_prefix(void)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};
	struct env e;

	if (!env_init(&e, "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
			  "'action':'SCMP_ACT_ERRNO'}]}"))
		return;
	for (size_t i = 0; i < N_ELEMENTS(arches); i++) {
		ok(run_nr(e.t, arches[i], OCI_NR_RESERVED_KILL_THREAD) == SECCOMP_RET_KILL_THREAD &&
		       run_nr(e.t, arches[i], OCI_NR_RESERVED_KILL_PROCESS) ==
			   SECCOMP_RET_KILL_PROCESS &&
		       run_nr(e.t, arches[i], OCI_NR_RESERVED_TRAP) == SECCOMP_RET_TRAP,
		   "reserved numbers answered in the kernel, arch %#x", arches[i]);
	}
	for (size_t i = 0; i < N_ELEMENTS(arches); i++) {
		bool all = true;

		for (uint32_t errnum = 0; errnum < OCI_NR_RESERVED_ERRNO_N; errnum++)
			all &= run_nr(e.t, arches[i], OCI_NR_RESERVED_ERRNO_BASE + (int)errnum) ==
			       (SECCOMP_RET_ERRNO | errnum);
		ok(all, "reserved ERRNO range: base + e answers ERRNO(e) for every e < %d, arch %#x",
		   OCI_NR_RESERVED_ERRNO_N, arches[i]);
	}
	ok(run_nr(e.t, AUDIT_ARCH_X86_64, OCI_NR_RESERVED_TRAP + 1) == SECCOMP_RET_ALLOW &&
	       run_nr(e.t, AUDIT_ARCH_X86_64, OCI_NR_RESERVED_ERRNO_BASE - 1) == SECCOMP_RET_ALLOW &&
	       run_nr(e.t, AUDIT_ARCH_X86_64,
		      OCI_NR_RESERVED_ERRNO_BASE + OCI_NR_RESERVED_ERRNO_N) == SECCOMP_RET_ALLOW &&
	       run_nr(e.t, AUDIT_ARCH_X86_64, 0) == (SECCOMP_RET_TRACE | (OCI_TRACE_DATA_BASE + 1)),
	   "other numbers fall through to libseccomp's program");
	ok(oci_filter_diverts_errno(e.t) && !oci_filter_diverts_errno(e.k),
	   "the tracer-mode filter can take ERRNO by diversion, the kernel-mode one cannot");
	ok(run_nr(e.k, AUDIT_ARCH_X86_64, OCI_NR_RESERVED_KILL_THREAD) == SECCOMP_RET_ALLOW,
	   "kernel mode has no prefix");
	env_free(&e);
}

/* The guard prefix (BPF) and oci_guard_of() (the tracer's userspace check) must agree on
 * every input: a disagreement is either a stop octrace cannot explain or a guard the kernel
 * never sends. Syscall numbers around every guarded one, on all three x86 ABIs, with
 * argument words that set, clear and straddle each bit the guards test. */
static void test_guards(void)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};
	static const int nrs[] = {0, 25, 26, 27, 55, 56, 57, 100, 101, 102, 119, 120, 121, 156,
				  157, 158, 171, 172, 173, 316, 317, 318, 353, 354, 355, 434, 435,
				  436, 520, 521, 522};
	static const uint64_t words[] = {0, 1, 2, 8, 9, 16, 22, 0x100000002ull, 0x100000016ull,
					 0x4206, 0x00800000, 0x00800011,
					 0x1ffffffffull, 0x100000010ull, 0x100004206ull,
					 0xffffffff00800000ull, 0xffffffffffffffffull, 0x4207};
	static const uint32_t x32 = 0x40000000u;
	size_t n_guard = 0, checked = 0, bad = 0, guarded[OCI_GUARD_COUNT] = {0};
	const struct sock_filter *prog = oci_guard_prefix(&n_guard);
	struct sock_filter *full = calloc(n_guard + 1, sizeof(*full));

	memcpy(full, prog, n_guard * sizeof(*full));
	full[n_guard] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	for (size_t a = 0; a < N_ELEMENTS(arches); a++)
		for (size_t n = 0; n < 2 * N_ELEMENTS(nrs); n++)
			for (size_t w0 = 0; w0 < N_ELEMENTS(words); w0++)
				for (size_t w1 = 0; w1 < N_ELEMENTS(words); w1++) {
					int nr = nrs[n / 2] | (n % 2 ? (int)x32 : 0);
					struct seccomp_data d = {.nr = nr, .arch = arches[a],
								 .args = {words[w0], words[w1]}};
					uint32_t ret = bpf_run(full, n_guard + 1, &d);
					enum oci_guard g = oci_guard_of(arches[a], nr, (const uint64_t *)d.args);
					uint32_t want = g == OCI_GUARD_NONE
								? SECCOMP_RET_ALLOW
								: SECCOMP_RET_TRACE | (OCI_TRACE_DATA_GUARD + g);

					checked++;
					guarded[g]++;
					if (ret != want && bad++ < 5)
						diag("arch %#x nr %#x args %#llx %#llx: BPF %#x, userspace %s",
						     arches[a], nr, (unsigned long long)words[w0],
						     (unsigned long long)words[w1], ret, oci_guard_name(g));
				}
	ok(bad == 0, "guard prefix and oci_guard_of() agree on %zu inputs", checked);
	ok(guarded[OCI_GUARD_UNTRACED] && guarded[OCI_GUARD_CLONE3] && guarded[OCI_GUARD_PTRACE] &&
	       guarded[OCI_GUARD_LISTENER] && guarded[OCI_GUARD_FILTER],
	   "every guard is hit by some input (%zu %zu %zu %zu %zu)", guarded[OCI_GUARD_UNTRACED],
	   guarded[OCI_GUARD_CLONE3], guarded[OCI_GUARD_PTRACE], guarded[OCI_GUARD_LISTENER],
	   guarded[OCI_GUARD_FILTER]);
	uint64_t untraced[6] = {0x00800000 | 17}, attach64[6] = {0x100000010ull}, seize[6] = {0x4206},
		 listener[6] = {1, 8}, filter[6] = {1, 0}, strict[6] = {0, 0},
		 set_seccomp[6] = {22, 2}, set_strict[6] = {22, 1}, wide_mode[6] = {22, 0x100000002ull};

	ok(oci_guard_of(AUDIT_ARCH_X86_64, 56, untraced) == OCI_GUARD_UNTRACED &&
	       oci_guard_of(AUDIT_ARCH_I386, 120, untraced) == OCI_GUARD_UNTRACED &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 56 | (int)x32, untraced) == OCI_GUARD_UNTRACED,
	   "clone(CLONE_UNTRACED) on x86_64, i386 and x32");
	ok(oci_guard_of(AUDIT_ARCH_X86_64, 101, attach64) == OCI_GUARD_NONE &&
	       oci_guard_of(AUDIT_ARCH_I386, 26, attach64) == OCI_GUARD_PTRACE &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 101, seize) == OCI_GUARD_PTRACE &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 521 | (int)x32, seize) == OCI_GUARD_PTRACE &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 101 | (int)x32, seize) == OCI_GUARD_NONE,
	   "ptrace: a 64-bit request compares all its bits, compat ones the low word; x32 uses 521");
	ok(oci_guard_of(AUDIT_ARCH_X86_64, 317, listener) == OCI_GUARD_LISTENER &&
	       oci_guard_of(AUDIT_ARCH_I386, 354, listener) == OCI_GUARD_LISTENER &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 317, filter) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 317 | (int)x32, filter) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_I386, 354, filter) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 317, strict) == OCI_GUARD_NONE,
	   "seccomp: SET_MODE_FILTER with NEW_LISTENER is the listener guard, without it filter");
	ok(oci_guard_of(AUDIT_ARCH_X86_64, 157, set_seccomp) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 157 | (int)x32, set_seccomp) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_I386, 172, set_seccomp) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 157, wide_mode) == OCI_GUARD_FILTER &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 157, set_strict) == OCI_GUARD_NONE &&
	       oci_guard_of(AUDIT_ARCH_X86_64, 172, set_seccomp) == OCI_GUARD_NONE,
	   "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) on three ABIs (low words compared)");
	ok(oci_guard_of(AUDIT_ARCH_X86_64, 435, strict) == OCI_GUARD_CLONE3 &&
	       oci_guard_of(AUDIT_ARCH_I386, 435, strict) == OCI_GUARD_CLONE3 &&
	       oci_guard_of(AUDIT_ARCH_AARCH64, 435, strict) == OCI_GUARD_NONE,
	   "clone3 on x86_64 and i386, nothing on other arches");
	free(full);
}

/* The setup filter (what an enforcing attach injects before the program's exec): the
 * reserved numbers and the guards of the tracer-mode filter, nothing of the policy. */
static void test_setup_filter(void)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};
	static const uint64_t words[] = {0, 8, 0x4206, 0x00800011, 0x100000010ull};
	struct oci_filter *setup = NULL;
	size_t bad = 0, guarded = 0;
	struct env e;

	if (!env_init(&e, "{'defaultAction':'SCMP_ACT_ERRNO','flags':['SECCOMP_FILTER_FLAG_LOG'],"
			  "'syscalls':[{'names':['read','ptrace'],'action':'SCMP_ACT_ALLOW'},"
			  "{'names':['write'],'action':'SCMP_ACT_KILL_PROCESS'}]}"))
		return;
	oci_filter_to_setup(e.t, &setup);
	ok(setup->n_slots == 0 && setup->flags == e.t->flags,
	   "setup filter: no slots, the policy's flags");
	for (size_t a = 0; a < N_ELEMENTS(arches); a++) {
		ok(run_nr(setup, arches[a], OCI_NR_RESERVED_KILL_THREAD) == SECCOMP_RET_KILL_THREAD &&
			   run_nr(setup, arches[a], OCI_NR_RESERVED_KILL_PROCESS) ==
				   SECCOMP_RET_KILL_PROCESS &&
			   run_nr(setup, arches[a], OCI_NR_RESERVED_TRAP) == SECCOMP_RET_TRAP,
		   "setup filter: reserved numbers in the kernel, arch %#x", arches[a]);
		for (int nr = 0; nr < 600; nr++)
			for (size_t w = 0; w < N_ELEMENTS(words); w++) {
				struct seccomp_data d = {.nr = nr, .arch = arches[a],
							 .args = {words[w], words[w]}};
				uint32_t got = bpf_run(setup->insns, setup->len, &d);
				uint32_t tracer = bpf_run(e.t->insns, e.t->len, &d);
				enum oci_guard g = oci_guard_of(arches[a], nr, (const uint64_t *)d.args);
				uint32_t want = g == OCI_GUARD_NONE ? SECCOMP_RET_ALLOW : tracer;

				guarded += g != OCI_GUARD_NONE;
				if (got != want && bad++ < 5)
					diag("arch %#x nr %d arg %#llx: setup %#x, want %#x", arches[a],
					     nr, (unsigned long long)words[w], got, want);
			}
	}
	ok(bad == 0 && guarded > 0,
	   "setup filter: the tracer-mode answer for guarded calls (%zu), ALLOW for all else",
	   guarded);
	oci_filter_free(setup);
	env_free(&e);
}

static void test_warnings(void)
{
	struct env e;

	if (!env_init(&e,
		      "{'ociVersion':'1.0.2','linux':{'seccomp':{'defaultAction':"
		      "'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW'},"
		      "{'names':['getpid','foo\\n','bar'],'action':'SCMP_ACT_ERRNO'}]}}}"))
		return;
	is_str(
	    e.warnings,
	    "policy.json: linux.seccomp.syscalls[1].names[1]: unknown syscall \"foo\\u000a\" for "
	    "SCMP_ARCH_X86_64, skipped\n"
	    "policy.json: linux.seccomp.syscalls[1].names[2]: unknown syscall \"bar\" for "
	    "SCMP_ARCH_X86_64, skipped\n",
	    "unknown names: one warning line each");
	env_free(&e);
}

static void check_compile_error(const char *policy, const char *want_prefix)
{
	cleanup_free char *doc = dq(policy);
	cleanup_oci_policy struct oci_policy *p = NULL;
	struct oci_filter *sentinel = (struct oci_filter *)&sentinel, *f = sentinel;
	struct oci_error *err = NULL;

	if (oci_policy_parse("policy.json", doc, strlen(doc), &p, &err) < 0 ||
	    oci_policy_compile(p, OCI_COMPILE_TRACER, NULL, &f, &err) == 0) {
		ok(false, "%s: expected a compile error (%s, %zu instructions)", want_prefix,
		   err ? err->msg : "compiled", f != sentinel ? f->len : 0);
		oci_error_free(err);
		if (f != sentinel)
			oci_filter_free(f);
		return;
	}
	ok(strncmp(err->msg, want_prefix, strlen(want_prefix)) == 0 && f == sentinel &&
	       strchr(err->msg, '\n') == NULL,
	   "compile error: %s", err->msg);
	oci_error_free(err);
}

static void test_compile_errors(void)
{
	cleanup_free char *big = strdup("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[");

	for (uint64_t i = 1; i <= 1500; i++)
		append(&big,
		       "%s{'names':['ioctl'],'action':'SCMP_ACT_ERRNO','args':[{'index':1,"
		       "'value':%ju,'op':'SCMP_CMP_EQ'}]}",
		       i > 1 ? "," : "", (uintmax_t)(i << 32 | i));
	append(&big, "]}");
	check_compile_error(big, "policy.json: the filter has ");
	check_compile_error(
	    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
	    "{'names':['read'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_"
	    "CMP_EQ'}]},"
	    "{'names':['read'],'action':'SCMP_ACT_KILL','args':[{'index':0,'value':1,'op':'SCMP_"
	    "CMP_EQ'}]}]}",
	    "policy.json: syscalls[1].names[0]: cannot add the rule for \"read\": File exists");
}

/* More than 32 names: runc's binary-tree layout, same decisions. */
static void test_binary_tree(void)
{
	static const char *const names[] = {
	    "read",	   "write",    "open",	   "close",    "stat",	    "fstat",	 "lstat",
	    "poll",	   "lseek",    "mmap",	   "mprotect", "munmap",    "brk",	 "ioctl",
	    "pread64",	   "pwrite64", "readv",	   "writev",   "access",    "pipe",	 "select",
	    "sched_yield", "mremap",   "msync",	   "mincore",  "madvise",   "shmget",	 "shmat",
	    "shmctl",	   "dup",      "dup2",	   "pause",    "nanosleep", "getitimer", "alarm",
	    "setitimer",   "getpid",   "sendfile", "socket"};
	cleanup_free char *policy = strdup("{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[");
	struct env e;
	bool all = true;

	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		append(&policy, "%s{'names':['%s'],'action':'SCMP_ACT_ERRNO','errnoRet':%zu}",
		       i ? "," : "", names[i], i + 2);
	append(&policy, "]}");
	if (!env_init(&e, policy))
		return;
	for (int nr = -1; nr < 400; nr++) {
		uint64_t args[6] = {0};
		struct expect x;

		x.rule =
		    oci_policy_match(e.p, AUDIT_ARCH_X86_64, nr, args, &x.action, &x.errno_ret);
		all &= decide(&e, X86_64, nr, args, &x, NULL);
		all &= x.rule < 0 || x.errno_ret == (uint32_t)x.rule + 2;
	}
	ok(all, "%zu names (binary tree, %zu instructions): syscalls -1..399 agree",
	   N_ELEMENTS(names), e.k->len);
	env_free(&e);
}

/* Found by the random test: libseccomp 2.5.4 emits a program that compares a2's high word
 * against the low word still in the accumulator. runc enforces the same program. */
static void test_libseccomp_bug(void)
{
	struct env e;
	uint64_t args[6] = {0, 2, 0xffffffff};
	struct seccomp_data d = make_data(X86_64, nr_of(X86_64, "socket"), args);
	enum oci_action a;
	uint32_t errno_ret;

	if (!env_init(&e,
		      "{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[{'names':['socket'],"
		      "'action':'SCMP_ACT_KILL','args':[{'index':2,'value':4294967302,'op':"
		      "'SCMP_CMP_LT'},{'index':2,'value':0,'op':'SCMP_CMP_EQ'},{'index':2,'value':"
		      "256,'op':'SCMP_CMP_LT'}]}]}"))
		return;
	ok(oci_policy_match(e.p, d.arch, d.nr, args, &a, &errno_ret) == 0 &&
	       a == OCI_ACT_KILL_THREAD,
	   "policy: a2 = 0xffffffff < 0x100000006 kills");
	ok(bpf_run(e.k->insns, e.k->len, &d) == (SECCOMP_RET_ERRNO | EPERM),
	   "libseccomp 2.5.4's program: EPERM (known miscompilation, kept as runc has it)");
	env_free(&e);
}

/* The notification form of the enforce-mode program (tracer/notify.h), run whole as the
 * kernel runs it (oci_filter_run(): its layout is not tracer mode's, whose policy part
 * oci_filter_policy_verdict() runs). */
static void test_notify_filter(void)
{
	static const uint64_t dead[6] = {0xdead}, zero[6] = {0};
	struct oci_filter *en = NULL, *nf = NULL;
	cleanup_oci_error struct oci_error *err = NULL;
	struct env e;

	if (!env_init(&e, "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
			  "{'names':['write'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"
			  "{'names':['getppid'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,"
			  "'value':57005,'op':'SCMP_CMP_EQ'}]},"
			  "{'names':['close'],'action':'SCMP_ACT_KILL_PROCESS'},"
			  "{'names':['open'],'action':'SCMP_ACT_TRACE'}]}"))
		return;
	if (oci_policy_compile(e.p, OCI_COMPILE_ENFORCE, NULL, &en, &err) < 0) {
		ok(false, "enforce mode compiles: %s", err->msg);
		env_free(&e);
		return;
	}
	ok(oci_filter_to_notify(en, &nf), "notification form: the ERRNO slots change");
	if (nf) {
		int getppid = nr_of(X86_64, "getppid");

		ok(oci_filter_run(nf, AUDIT_ARCH_X86_64, nr_of(X86_64, "write"), zero, 0) ==
			       SECCOMP_RET_USER_NOTIF &&
			   oci_filter_run(nf, AUDIT_ARCH_X86_64, getppid, dead, 0) ==
				   SECCOMP_RET_USER_NOTIF,
		   "notification form: the ERRNO rules notify (write, getppid(0xdead))");
		ok(oci_filter_run(nf, AUDIT_ARCH_X86_64, getppid, zero, 0) == SECCOMP_RET_ALLOW &&
			   oci_filter_run(nf, AUDIT_ARCH_X86_64, nr_of(X86_64, "read"), zero, 0) ==
				   SECCOMP_RET_ALLOW,
		   "notification form: what the policy allows is allowed (getppid(0), read)");
		ok(oci_filter_run(nf, AUDIT_ARCH_X86_64, nr_of(X86_64, "close"), zero, 0) ==
			       SECCOMP_RET_KILL_PROCESS &&
			   (oci_filter_run(nf, AUDIT_ARCH_X86_64, nr_of(X86_64, "open"), zero, 0) &
			    SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE,
		   "notification form: KILL_PROCESS in the kernel, TRACE still stops");
	}
	oci_filter_free(nf);
	oci_filter_free(en);
	env_free(&e);
}

int main(void)
{
	for (size_t i = 0; i < N_ELEMENTS(tables); i++)
		run_table(&tables[i]);
	test_ops();
	test_random();
	test_tracer_mode();
	test_reserved_prefix();
	test_guards();
	test_setup_filter();
	test_notify_filter();
	test_warnings();
	test_compile_errors();
	test_binary_tree();
	test_libseccomp_bug();
	return tap_done();
}
