/* oci_policy_merge(): see merge.h for what it means. The work is per syscall name: every
 * (name, rule, input) use is listed, sorted by name, and each name's group is decided on its
 * own; the kept rules are then grouped by what they do and sorted, so that nothing of the
 * inputs' order survives. */
#include "xalloc.h"
#include "merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* One name of one rule of one input. */
struct use {
	const char *name; /* borrowed from the input */
	size_t input, rule;
};

/* A rule kept for one name (borrowed from its input). */
struct kept {
	const char *name;
	const struct oci_rule *rule;
};

struct merge {
	struct oci_policy *const *in; /* borrowed */
	size_t n_in;
	struct use *uses;
	size_t n_uses;
	char **allowed; /* borrowed names, sorted: the unconditional ALLOW rule */
	size_t n_allowed;
	struct kept *kept;
	size_t n_kept;
};

static bool carries_errno(enum oci_action a) { return a == OCI_ACT_ERRNO || a == OCI_ACT_TRACE; }

static bool unconditional(const struct oci_rule *r) { return r->n_args == 0; }

static bool allows_all(const struct oci_rule *r)
{
	return r->action == OCI_ACT_ALLOW && unconditional(r);
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_arg(const struct oci_arg *a, const struct oci_arg *b)
{
	int c = cmp_u64(a->index, b->index);

	if (c == 0)
		c = cmp_u64(a->op, b->op);
	if (c == 0)
		c = cmp_u64(a->value, b->value);
	return c ? c : cmp_u64(a->value_two, b->value_two);
}

/* What a rule does: action, errno, args (not its names). */
static int cmp_effect(const struct oci_rule *a, const struct oci_rule *b)
{
	int c = cmp_u64(a->action, b->action);

	if (c == 0)
		c = cmp_u64(a->errno_ret, b->errno_ret);
	if (c == 0)
		c = cmp_u64(a->n_args, b->n_args);
	for (size_t i = 0; c == 0 && i < a->n_args; i++)
		c = cmp_arg(&a->args[i], &b->args[i]);
	return c;
}

static int by_use(const void *pa, const void *pb)
{
	const struct use *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c == 0)
		c = cmp_u64(a->input, b->input);
	return c ? c : cmp_u64(a->rule, b->rule);
}

static void list_uses(struct merge *m)
{
	for (size_t i = 0; i < m->n_in; i++) {
		const struct oci_policy *p = m->in[i];

		for (size_t r = 0; r < p->n_rules; r++) {
			if (oci_rule_is_default(p, &p->rules[r])) /* runc adds no such rule */
				continue;
			m->uses =
			    xrealloc(m->uses, m->n_uses + p->rules[r].n_names, sizeof(*m->uses));
			for (size_t k = 0; k < p->rules[r].n_names; k++)
				m->uses[m->n_uses++] = (struct use){p->rules[r].names[k], i, r};
		}
	}
	if (m->n_uses > 0)
		qsort(m->uses, m->n_uses, sizeof(*m->uses), by_use);
}

static const struct oci_rule *rule_of(const struct merge *m, const struct use *u)
{
	return &m->in[u->input]->rules[u->rule];
}

/* Within one input's uses of a name [a, b) (sorted by rule): its first unconditional rule,
 * or NULL. */
static const struct use *first_unconditional(const struct merge *m, const struct use *a,
					     const struct use *b)
{
	for (; a < b; a++)
		if (unconditional(rule_of(m, a)))
			return a;
	return NULL;
}

/* Whether one input's verdict on the name [a, b) is "allowed whatever the args". */
static bool input_allows_all(const struct merge *m, const struct use *a, const struct use *b)
{
	const struct use *u = first_unconditional(m, a, b);

	return u && allows_all(rule_of(m, u));
}

static void keep(struct merge *m, const struct use *u)
{
	const struct oci_rule *r = rule_of(m, u);

	for (size_t i = 0; i < m->n_kept; i++)
		if (strcmp(m->kept[i].name, u->name) == 0 && cmp_effect(m->kept[i].rule, r) == 0)
			return;
	m->kept = xrealloc(m->kept, m->n_kept + 1, sizeof(*m->kept));
	m->kept[m->n_kept++] = (struct kept){u->name, r};
}

static int conflict(const struct merge *m, const struct use *a, const struct use *b,
		    struct oci_error **err)
{
	const struct oci_policy *pa = m->in[a->input], *pb = m->in[b->input];

	return oci_fail(err, EINVAL,
			"%s: %ssyscalls[%zu]: \"%s\" is denied outright, but %s: %ssyscalls[%zu] "
			"has another rule for it: cannot merge",
			pa->source, pa->json_prefix, a->rule, a->name, pb->source, pb->json_prefix,
			b->rule);
}

/* The rules kept for one name when no input allows it whatever the args: every input's
 * effective rules. An unconditional denial must then be the only distinct rule. */
static int keep_rules(struct merge *m, const struct use *a, const struct use *b,
		      struct oci_error **err)
{
	const struct use *deny = NULL, *other = NULL;
	size_t before = m->n_kept;

	for (const struct use *u = a, *end; u < b; u = end) {
		const struct use *first;

		for (end = u; end < b && end->input == u->input; end++)
			;
		first = first_unconditional(m, u, end);
		for (const struct use *v = first ? first : u; v < (first ? first + 1 : end); v++) {
			size_t n = m->n_kept;

			keep(m, v);
			if (m->n_kept == n)
				continue;
			if (unconditional(rule_of(m, v)) && deny == NULL)
				deny = v;
			else if (other == NULL)
				other = v;
		}
	}
	if (deny && m->n_kept - before > 1)
		return conflict(m, deny, other ? other : deny, err);
	return 0;
}

/* Decide one name: its uses [a, b). */
static int decide(struct merge *m, const struct use *a, const struct use *b, struct oci_error **err)
{
	size_t inputs_naming = 0;
	bool all = false;

	for (const struct use *u = a, *end; u < b; u = end) {
		for (end = u; end < b && end->input == u->input; end++)
			;
		inputs_naming++;
		all |= input_allows_all(m, u, end);
	}
	/* an input that does not name it gives it its default (the same in every input) */
	all |= inputs_naming < m->n_in && m->in[0]->default_action == OCI_ACT_ALLOW;
	if (!all)
		return keep_rules(m, a, b, err);
	m->allowed = xrealloc(m->allowed, m->n_allowed + 1, sizeof(*m->allowed));
	m->allowed[m->n_allowed++] = (char *)a->name;
	return 0;
}

static int decide_all(struct merge *m, struct oci_error **err)
{
	for (size_t i = 0, j; i < m->n_uses; i = j) {
		for (j = i; j < m->n_uses && strcmp(m->uses[j].name, m->uses[i].name) == 0; j++)
			;
		if (decide(m, &m->uses[i], &m->uses[j], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- the result ---- */

static int same_text(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }

static int check_defaults(const struct merge *m, struct oci_error **err)
{
	const struct oci_policy *p0 = m->in[0];

	for (size_t i = 1; i < m->n_in; i++) {
		const struct oci_policy *p = m->in[i];
		const char *field = NULL;

		if (p->default_action != p0->default_action)
			field = "defaultAction";
		else if (p->default_errno_ret != p0->default_errno_ret)
			field = "defaultErrnoRet";
		else if (!same_text(p->listener_path, p0->listener_path))
			field = "listenerPath";
		else if (!same_text(p->listener_metadata, p0->listener_metadata))
			field = "listenerMetadata";
		if (field)
			return oci_fail(err, EINVAL, "%s: %s%s: differs from %s's: cannot merge",
					p->source, p->json_prefix, field, p0->source);
	}
	return 0;
}

static int by_token(const void *a, const void *b)
{
	return cmp_u64(*(const uint32_t *)a, *(const uint32_t *)b);
}

/* The union of the inputs' architectures, sorted, without duplicates. */
static void union_archs(const struct merge *m, struct oci_policy *out)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_in; i++) {
		const struct oci_policy *p = m->in[i];

		out->archs = xrealloc(out->archs, out->n_archs + p->n_archs, sizeof(*out->archs));
		if (p->n_archs > 0)
			memcpy(out->archs + out->n_archs, p->archs, p->n_archs * sizeof(*p->archs));
		out->n_archs += p->n_archs;
	}
	qsort(out->archs, out->n_archs, sizeof(*out->archs), by_token);
	for (size_t i = 0; i < out->n_archs; i++)
		if (n == 0 || out->archs[n - 1] != out->archs[i])
			out->archs[n++] = out->archs[i];
	out->n_archs = n;
}

static void merge_header(const struct merge *m, const char *source, struct oci_policy *out)
{
	const struct oci_policy *p0 = m->in[0];

	out->source = xstrdup(source);
	out->json_prefix = xstrdup("");
	out->default_action = p0->default_action;
	out->default_errno_ret = p0->default_errno_ret;
	out->has_default_errno_ret = carries_errno(p0->default_action);
	out->listener_path = xstrdup(p0->listener_path);
	out->listener_metadata = xstrdup(p0->listener_metadata);
	for (size_t i = 0; i < m->n_in; i++)
		out->filter_flags |= m->in[i]->filter_flags;
	union_archs(m, out);
}

static struct oci_rule *add_rule(struct oci_policy *out, const struct oci_rule *like)
{
	struct oci_rule *r;

	out->rules = xrealloc(out->rules, out->n_rules + 1, sizeof(*out->rules));
	r = &out->rules[out->n_rules++];
	*r = (struct oci_rule){.action = like->action,
			       .errno_ret = like->errno_ret,
			       .has_errno_ret = carries_errno(like->action),
			       .n_args = like->n_args};
	r->args = xrealloc(NULL, like->n_args, sizeof(*r->args));
	if (like->n_args > 0)
		memcpy(r->args, like->args, like->n_args * sizeof(*r->args));
	return r;
}

static void add_name(struct oci_rule *r, const char *name)
{
	r->names = xrealloc(r->names, r->n_names + 1, sizeof(*r->names));
	r->names[r->n_names++] = xstrdup(name);
}

static int by_kept(const void *pa, const void *pb)
{
	const struct kept *a = pa, *b = pb;
	int c = cmp_effect(a->rule, b->rule);

	return c ? c : strcmp(a->name, b->name);
}

/* Rules after the first: by first name, then what they do. */
static int by_first_name(const void *pa, const void *pb)
{
	const struct oci_rule *a = pa, *b = pb;
	int c = strcmp(a->names[0], b->names[0]);

	return c ? c : cmp_effect(a, b);
}

static void merge_rules(struct merge *m, struct oci_policy *out)
{
	static const struct oci_rule allow = {.action = OCI_ACT_ALLOW};
	size_t first = 0;

	if (m->n_allowed > 0) {
		struct oci_rule *r = add_rule(out, &allow);

		for (size_t i = 0; i < m->n_allowed; i++)
			add_name(r, m->allowed[i]);
		first = 1;
	}
	if (m->n_kept > 0)
		qsort(m->kept, m->n_kept, sizeof(*m->kept), by_kept);
	for (size_t i = 0; i < m->n_kept; i++) {
		struct oci_rule *r;

		if (i == 0 || cmp_effect(m->kept[i - 1].rule, m->kept[i].rule) != 0)
			r = add_rule(out, m->kept[i].rule);
		else
			r = &out->rules[out->n_rules - 1];
		add_name(r, m->kept[i].name);
	}
	if (out->n_rules > first)
		qsort(out->rules + first, out->n_rules - first, sizeof(*out->rules), by_first_name);
}

int oci_policy_merge(struct oci_policy *const *in, size_t n, const char *source,
		     struct oci_policy **out, struct oci_error **err)
{
	struct merge m = {.in = in, .n_in = n};
	cleanup_oci_policy struct oci_policy *p = NULL;
	int rc = -1;

	if (n == 0)
		return oci_fail(err, EINVAL, "%s: nothing to merge", source);
	if (check_defaults(&m, err) < 0)
		return -1;
	list_uses(&m);
	if (decide_all(&m, err) < 0)
		goto out;
	p = xrealloc(NULL, 1, sizeof(*p));
	memset(p, 0, sizeof(*p));
	merge_header(&m, source, p);
	merge_rules(&m, p);
	*out = steal_pointer(&p);
	rc = 0;
out:
	free(m.uses);
	free(m.allowed);
	free(m.kept);
	return rc;
}
