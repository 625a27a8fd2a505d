/* Observed syscalls to an OCI profile, its stats side file, and `octrace profile merge`. The
 * profile is built as a struct oci_policy (fresh, or the parsed base plus the learnt rules)
 * and written by oci/serialize.c, so that what is written is exactly what oci_policy_load()
 * reads back; a fresh one goes through oci/merge.c for its canonical form, so that merging
 * learnt profiles and learning them agree byte for byte. */
#include "xalloc.h"
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "cleanup.h"
#include "io.h"
#include "jsonw.h"
#include "log.h"
#include "merge.h"
#include "policy.h"
#include "serialize.h"

/* ---- the learnt rules ---- */

/* An OCI policy under construction: its rules are the learnt ones to add. */
static void add_rule(struct oci_policy *p, struct oci_rule r)
{
	p->rules = xrealloc(p->rules, p->n_rules + 1, sizeof(*p->rules));
	p->rules[p->n_rules++] = r;
}

static struct oci_rule one_name_rule(const char *name, enum oci_action action)
{
	struct oci_rule r = {.action = action, .n_names = 1};

	r.names = xrealloc(NULL, 1, sizeof(*r.names));
	r.names[0] = xstrdup(name);
	return r;
}

/* The rule that keeps what entry `s` (of a conditioned syscall) was seen with. */
static struct oci_rule value_rule(const char *name, const struct profile_syscall *s)
{
	struct oci_rule r = one_name_rule(name, OCI_ACT_ALLOW);
	uint64_t mask = 0;
	enum profile_cond c = profile_cond_of(s->arch, s->nr, &mask);

	r.args = xrealloc(NULL, 1, sizeof(*r.args));
	r.n_args = 1;
	if (c == PROFILE_COND_MASKED)
		r.args[0] = (struct oci_arg){
		    .index = 0, .op = OCI_OP_MASKED_EQ, .value = mask, .value_two = s->value};
	else
		r.args[0] = (struct oci_arg){.index = 0, .op = OCI_OP_EQ, .value = s->value};
	return r;
}

/* What one entry becomes: a name of the unconditional ALLOW rule (`all`), or a rule of its
 * own in `extra`. Returns false for a number libseccomp cannot name. */
static bool learn_entry(const struct profile *observed, const struct profile_syscall *s,
			struct oci_rule *all, struct oci_policy *extra)
{
	cleanup_free char *name = seccomp_syscall_resolve_num_arch(s->arch, s->nr);
	uint64_t mask = 0;

	if (name == NULL)
		return false;
	if (s->has_value) {
		add_rule(extra, value_rule(name, s));
	} else if (!observed->args_none &&
		   profile_cond_of(s->arch, s->nr, &mask) == PROFILE_COND_ENOSYS) {
		struct oci_rule r = one_name_rule(name, OCI_ACT_ERRNO);

		r.has_errno_ret = true;
		r.errno_ret = ENOSYS;
		add_rule(extra, r);
	} else {
		all->names = xrealloc(all->names, all->n_names + 1, sizeof(*all->names));
		all->names[all->n_names++] = steal_pointer(&name);
	}
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(struct oci_rule *r)
{
	size_t out = 0;

	qsort(r->names, r->n_names, sizeof(*r->names), by_name);
	for (size_t i = 0; i < r->n_names; i++) {
		if (out > 0 && strcmp(r->names[out - 1], r->names[i]) == 0)
			free(r->names[i]);
		else
			r->names[out++] = r->names[i];
	}
	r->n_names = out;
}

/* Every observed syscall: `all` gets the names allowed whatever their arguments, plus the
 * exec calls a runtime makes after installing the profile; `extra` the argument rules. */
static void learnt_rules(const struct profile *observed, struct oci_rule *all,
			 struct oci_policy *extra)
{
	*all = (struct oci_rule){.action = OCI_ACT_ALLOW};
	for (size_t i = 0; i < observed->n; i++) {
		const struct profile_syscall *s = &observed->seen[i];

		if (!learn_entry(observed, s, all, extra))
			log_warn("profile: syscall %d of %s has no name, left out", s->nr,
				 oci_arch_name(s->arch) ? oci_arch_name(s->arch) : "?");
	}
	all->names = xrealloc(all->names, all->n_names + 2, sizeof(*all->names));
	all->names[all->n_names++] = xstrdup("execve");
	all->names[all->n_names++] = xstrdup("execveat");
	sort_unique(all);
}

/* ---- the policy ---- */

static struct oci_policy *fresh_policy(const char *out_path)
{
	struct oci_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->source = xstrdup(out_path);
	p->json_prefix = xstrdup("");
	p->default_action = OCI_ACT_ERRNO;
	p->has_default_errno_ret = true;
	p->default_errno_ret = EPERM;
	return p;
}

static bool rule_names(const struct oci_rule *r, const char *name)
{
	for (size_t i = 0; i < r->n_names; i++)
		if (strcmp(r->names[i], name) == 0)
			return true;
	return false;
}

/* Allowed whatever its arguments: by an ALLOW rule without args, or by an ALLOW default
 * that no rule overrides for it. */
static bool allows_unconditionally(const struct oci_policy *p, const char *name)
{
	bool named = false;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct oci_rule *r = &p->rules[i];

		if (!rule_names(r, name))
			continue;
		if (r->action == OCI_ACT_ALLOW && r->n_args == 0)
			return true;
		named = true;
	}
	return !named && p->default_action == OCI_ACT_ALLOW;
}

static bool same_args(const struct oci_rule *a, const struct oci_rule *b)
{
	if (a->n_args != b->n_args)
		return false;
	for (size_t i = 0; i < a->n_args; i++)
		if (a->args[i].index != b->args[i].index || a->args[i].op != b->args[i].op ||
		    a->args[i].value != b->args[i].value ||
		    a->args[i].value_two != b->args[i].value_two)
			return false;
	return true;
}

/* A base already decides a learnt argument rule's syscall: it allows it outright, has the
 * same rule, or (for clone3's ENOSYS) names it at all. */
static bool base_covers(const struct oci_policy *p, const struct oci_rule *learnt)
{
	const char *name = learnt->names[0];

	if (allows_unconditionally(p, name))
		return true;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct oci_rule *r = &p->rules[i];

		if (rule_names(r, name) && (learnt->action != OCI_ACT_ALLOW ||
					    (r->action == learnt->action && same_args(r, learnt))))
			return true;
	}
	return false;
}

static void add_archs(struct oci_policy *p, const struct profile *observed, bool fresh)
{
	for (size_t i = 0; i < observed->n; i++) {
		uint32_t arch = observed->seen[i].arch;
		bool listed = false;

		for (size_t j = 0; j < p->n_archs; j++)
			listed |= p->archs[j] == arch;
		if (listed || (!fresh && oci_policy_has_arch(p, arch)))
			continue;
		if (oci_arch_oci_name(arch) == NULL) { /* no OCI name: cannot be written */
			log_warn("profile: architecture 0x%08x has no OCI name, left out", arch);
			continue;
		}
		p->archs = xrealloc(p->archs, p->n_archs + 1, sizeof(*p->archs));
		p->archs[p->n_archs++] = arch;
	}
}

/* Append the ALLOW rule with the names `p` does not allow yet (taking them from `all`),
 * then each argument rule of `extra` that `p` does not cover (taking it). */
static void append_learnt(struct oci_policy *p, struct oci_rule *all, struct oci_policy *extra)
{
	struct oci_rule r = {.action = OCI_ACT_ALLOW};

	r.names = xrealloc(NULL, all->n_names, sizeof(*r.names));
	for (size_t i = 0; i < all->n_names; i++)
		if (!allows_unconditionally(p, all->names[i]))
			r.names[r.n_names++] = steal_pointer(&all->names[i]);
	if (r.n_names > 0)
		add_rule(p, r);
	else
		free(r.names);
	for (size_t i = 0; i < extra->n_rules; i++) {
		if (base_covers(p, &extra->rules[i]))
			continue;
		add_rule(p, extra->rules[i]);
		extra->rules[i] = (struct oci_rule){0};
	}
}

static void rule_clear(struct oci_rule *r)
{
	for (size_t i = 0; i < r->n_names; i++)
		free(r->names[i]);
	free(r->names);
}

static int build_policy(const char *out_path, const char *base_path, const struct profile *observed,
			struct oci_policy **out, struct oci_error **err)
{
	cleanup_oci_policy struct oci_policy *p = NULL, *extra = fresh_policy(out_path);
	struct oci_rule all;
	struct oci_policy *one;

	if (base_path == NULL)
		p = fresh_policy(out_path);
	else if (oci_policy_load(base_path, &p, err) < 0)
		return -1;
	add_archs(p, observed, base_path == NULL);
	learnt_rules(observed, &all, extra);
	append_learnt(p, &all, extra);
	rule_clear(&all);
	if (base_path) {
		*out = steal_pointer(&p);
		return 0;
	}
	one = p;
	return oci_policy_merge(&one, 1, out_path, out, err);
}

/* ---- the files ---- */

static int write_fd(int fd, const char *buf, size_t len)
{
	if (oci_write_all(fd, buf, len) < 0 || oci_write_all(fd, "\n", 1) < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		return -1;
	return 0;
}

/* "DIR/.NAME.XXXXXX" next to path: rename() is atomic only within one filesystem. */
static char *temp_template(const char *path)
{
	cleanup_free char *d = xstrdup(path), *b = xstrdup(path);
	char *tmpl;

	if (asprintf(&tmpl, "%s/.%s.XXXXXX", dirname(d), basename(b)) < 0)
		abort();
	return tmpl;
}

static int replace_file(const char *path, const char *buf, size_t len, struct oci_error **err)
{
	cleanup_free char *tmp = temp_template(path);
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0)
		return oci_fail(err, errno, "%s: cannot create a temporary file: %s", path,
				strerror(errno));
	if (write_fd(fd, buf, len) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		return oci_fail(err, saved, "%s: cannot write: %s", tmp, strerror(saved));
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int saved = errno;

		unlink(tmp);
		return oci_fail(err, saved, "%s: cannot write: %s", path, strerror(saved));
	}
	return 0;
}

static int finish_into(struct jsonw *w, const char *path, const char **buf, size_t *len,
		       struct oci_error **err)
{
	if (jsonw_finish(w, buf, len) < 0)
		return oci_fail(err, EINVAL, "%s: internal: the document is not valid JSON", path);
	return 0;
}

/* ---- the stats side file ---- */

static void write_match(struct jsonw *w, struct oci_policy *p, const struct profile_syscall *s)
{
	uint64_t args[6] = {s->has_value ? s->value : 0, 0, 0, 0, 0, 0};
	uint32_t audit_arch = s->arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : s->arch;
	enum oci_action action;
	uint32_t errnum;
	int rule = oci_policy_match(p, audit_arch, s->nr, args, &action, &errnum);

	if (rule >= 0)
		jsonw_kv_uint64(w, "rule", (uint64_t)rule);
	else
		jsonw_kv_cstring(w, "rule", rule == -1 ? "default" : "bad-arch");
	jsonw_kv_cstring(w, "action", oci_action_name(action));
	if (action == OCI_ACT_ERRNO)
		jsonw_kv_uint64(w, "errno", errnum);
}

static void write_value(struct jsonw *w, const struct profile_syscall *s)
{
	uint64_t mask = 0;
	bool masked = profile_cond_of(s->arch, s->nr, &mask) == PROFILE_COND_MASKED;

	jsonw_key(w, "arg");
	jsonw_object_open(w);
	jsonw_kv_uint64(w, "index", 0);
	jsonw_kv_uint64(w, "value", masked ? mask : s->value);
	if (masked)
		jsonw_kv_uint64(w, "valueTwo", s->value);
	jsonw_kv_cstring(w, "op", masked ? "SCMP_CMP_MASKED_EQ" : "SCMP_CMP_EQ");
	jsonw_object_close(w);
}

static void write_stat(struct jsonw *w, struct oci_policy *p, const struct profile_syscall *s)
{
	cleanup_free char *name = seccomp_syscall_resolve_num_arch(s->arch, s->nr);

	jsonw_object_open(w);
	jsonw_kv_cstring(w, "arch", oci_arch_oci_name(s->arch) ? oci_arch_oci_name(s->arch) : "?");
	if (name)
		jsonw_kv_cstring(w, "syscall", name);
	jsonw_kv_int64(w, "nr", s->nr);
	if (s->has_value)
		write_value(w, s);
	jsonw_kv_uint64(w, "calls", s->calls);
	if (s->exe)
		jsonw_kv_cstring(w, "exe", s->exe);
	if (s->pid > 0)
		jsonw_kv_int64(w, "pid", s->pid);
	write_match(w, p, s);
	jsonw_object_close(w);
}

static int write_stats(const char *stats_path, const char *out_path, struct oci_policy *p,
		       const struct profile *observed, struct oci_error **err)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	const char *buf;
	size_t len;

	jsonw_object_open(w);
	jsonw_kv_cstring(w, "profile", out_path);
	jsonw_key(w, "syscalls");
	jsonw_array_open(w);
	for (size_t i = 0; i < observed->n; i++)
		write_stat(w, p, &observed->seen[i]);
	jsonw_array_close(w);
	jsonw_object_close(w);
	if (finish_into(w, stats_path, &buf, &len, err) < 0)
		return -1;
	return replace_file(stats_path, buf, len, err);
}

int profile_write(const char *out_path, const char *base_path, const char *stats_path,
		  const struct profile *observed, struct oci_error **err)
{
	cleanup_oci_policy struct oci_policy *p = NULL;
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	const char *buf;
	size_t len;

	if (build_policy(out_path, base_path, observed, &p, err) < 0)
		return -1;
	if (oci_policy_to_json(p, w, err) < 0)
		return oci_error_wrap(err, "%s", out_path);
	if (finish_into(w, out_path, &buf, &len, err) < 0 ||
	    replace_file(out_path, buf, len, err) < 0)
		return -1;
	return stats_path ? write_stats(stats_path, out_path, p, observed, err) : 0;
}

/* ---- octrace profile merge ---- */

int profile_merge_files(char *const *paths, size_t n, FILE *out, struct oci_error **err)
{
	cleanup_free struct oci_policy **in = xrealloc(NULL, n, sizeof(*in));
	cleanup_oci_policy struct oci_policy *merged = NULL;
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	size_t loaded = 0;
	const char *buf;
	size_t len;
	int rc = -1;

	while (loaded < n && oci_policy_load(paths[loaded], &in[loaded], err) == 0)
		loaded++;
	if (loaded == n && oci_policy_merge(in, n, "merged profile", &merged, err) == 0 &&
	    oci_policy_to_json(merged, w, err) == 0 &&
	    finish_into(w, "merged profile", &buf, &len, err) == 0) {
		if (fwrite(buf, 1, len, out) == len && fputc('\n', out) != EOF && fflush(out) == 0)
			rc = 0;
		else
			oci_fail(err, errno, "writing the merged profile: %s", strerror(errno));
	}
	for (size_t i = 0; i < loaded; i++)
		oci_policy_free(in[i]);
	return rc;
}
