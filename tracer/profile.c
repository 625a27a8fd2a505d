/* Observed syscalls to an OCI profile. The profile is built as a struct oci_policy (fresh,
 * or the parsed base plus one rule) and written by oci/serialize.c, so that what is written
 * is exactly what oci_policy_load() reads back. */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "cleanup.h"
#include "io.h"
#include "jsonw.h"
#include "log.h"
#include "policy.h"
#include "serialize.h"

/* ---- the set ---- */

static int cmp_syscall(const struct profile_syscall *a, uint32_t arch, int nr)
{
	if (a->arch != arch)
		return a->arch < arch ? -1 : 1;
	return a->nr < nr ? -1 : a->nr > nr;
}

/* Index of (arch, nr), or where it would be inserted. */
static size_t lower_bound(const struct profile *p, uint32_t arch, int nr)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_syscall(&p->seen[mid], arch, nr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool profile_has(const struct profile *p, uint32_t audit_arch, int nr)
{
	uint32_t arch = oci_arch_of_syscall(audit_arch, nr);
	size_t i = lower_bound(p, arch, nr);

	return i < p->n && cmp_syscall(&p->seen[i], arch, nr) == 0;
}

/* Called at every stop in profile mode: a binary search, and an insertion only the first
 * time a syscall is seen (a few hundred times per run at most). */
void profile_add(struct profile *p, uint32_t audit_arch, int nr)
{
	uint32_t arch = oci_arch_of_syscall(audit_arch, nr);
	size_t i;

	if (nr < 0)
		return;
	i = lower_bound(p, arch, nr);
	if (i < p->n && cmp_syscall(&p->seen[i], arch, nr) == 0)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->seen = realloc(p->seen, p->cap * sizeof(*p->seen));
		if (p->seen == NULL)
			abort();
	}
	memmove(&p->seen[i + 1], &p->seen[i], (p->n - i) * sizeof(*p->seen));
	p->seen[i] = (struct profile_syscall){arch, nr};
	p->n++;
}

void profile_free(struct profile *p)
{
	free(p->seen);
	memset(p, 0, sizeof(*p));
}

/* ---- names ---- */

struct names {
	char **v; /* owned */
	size_t n;
};

static void names_free(struct names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->v[i]);
	free(names->v);
}

#define cleanup_names __attribute__((cleanup(names_free)))

static void names_add(struct names *names, char *name)
{
	names->v = realloc(names->v, (names->n + 1) * sizeof(*names->v));
	if (names->v == NULL)
		abort();
	names->v[names->n++] = name;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_sort_unique(struct names *names)
{
	size_t out = 0;

	qsort(names->v, names->n, sizeof(*names->v), by_name);
	for (size_t i = 0; i < names->n; i++) {
		if (out > 0 && strcmp(names->v[out - 1], names->v[i]) == 0)
			free(names->v[i]);
		else
			names->v[out++] = names->v[i];
	}
	names->n = out;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/* Every observed syscall by name, plus the exec calls the runtime makes after installing
 * the profile. Names are per architecture in libseccomp but one list in OCI. */
static void observed_names(const struct profile *observed, struct names *names)
{
	for (size_t i = 0; i < observed->n; i++) {
		const struct profile_syscall *s = &observed->seen[i];
		char *name = seccomp_syscall_resolve_num_arch(s->arch, s->nr);

		if (name == NULL) {
			log_warn("profile: syscall %d of %s has no name, left out", s->nr,
				 oci_arch_name(s->arch) ? oci_arch_name(s->arch) : "?");
			continue;
		}
		names_add(names, name);
	}
	names_add(names, xstrdup("execve"));
	names_add(names, xstrdup("execveat"));
	names_sort_unique(names);
}

/* ---- the policy ---- */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort();
	return p;
}

static struct oci_policy *fresh_policy(const char *out_path)
{
	struct oci_policy *p = xcalloc(1, sizeof(*p));

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
		p->archs = realloc(p->archs, (p->n_archs + 1) * sizeof(*p->archs));
		if (p->archs == NULL)
			abort();
		p->archs[p->n_archs++] = arch;
	}
}

/* Append one ALLOW rule with the names `p` does not allow yet; takes the names it uses. */
static void add_allow_rule(struct oci_policy *p, struct names *names)
{
	struct oci_rule r = {.action = OCI_ACT_ALLOW};

	r.names = xcalloc(names->n, sizeof(*r.names));
	for (size_t i = 0; i < names->n; i++) {
		if (allows_unconditionally(p, names->v[i]))
			continue;
		r.names[r.n_names++] = steal_pointer(&names->v[i]);
	}
	if (r.n_names == 0) {
		free(r.names);
		return;
	}
	p->rules = realloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
	if (p->rules == NULL)
		abort();
	p->rules[p->n_rules++] = r;
}

static int build_policy(const char *out_path, const char *base_path, const struct profile *observed,
			struct oci_policy **out, struct oci_error **err)
{
	cleanup_oci_policy struct oci_policy *p = NULL;
	cleanup_names struct names names = {NULL, 0};

	if (base_path == NULL)
		p = fresh_policy(out_path);
	else if (oci_policy_load(base_path, &p, err) < 0)
		return -1;
	add_archs(p, observed, base_path == NULL);
	observed_names(observed, &names);
	add_allow_rule(p, &names);
	*out = steal_pointer(&p);
	return 0;
}

/* ---- the file ---- */

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

int profile_write(const char *out_path, const char *base_path, const struct profile *observed,
		  struct oci_error **err)
{
	cleanup_oci_policy struct oci_policy *p = NULL;
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	const char *buf;
	size_t len;

	if (build_policy(out_path, base_path, observed, &p, err) < 0)
		return -1;
	if (oci_policy_to_json(p, w, err) < 0)
		return oci_error_wrap(err, "%s", out_path);
	if (jsonw_finish(w, &buf, &len) < 0)
		return oci_fail(err, EINVAL, "%s: internal: the profile is not valid JSON",
				out_path);
	return replace_file(out_path, buf, len, err);
}
