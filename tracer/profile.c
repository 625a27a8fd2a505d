/* The set of syscalls a learning run observed: per architecture, number and (for the
 * syscalls whose arguments are kept) value, with counts. Called at every learning stop: a
 * binary search, and an insertion only the first time an entry is seen. Writing it out is
 * profile_out.c. */
#include "profile.h"

#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"

#define X32_BIT 0x40000000

/* The syscalls whose arguments are kept, per x86 ABI (x32 numbers carry X32_BIT). */
static const struct {
	int x86_64, i386;
	enum profile_cond cond;
	uint64_t mask;
} conds[] = {
    {41, 359, PROFILE_COND_EQ, 0},			      /* socket */
    {135, 136, PROFILE_COND_EQ, 0},			      /* personality */
    {56, 120, PROFILE_COND_MASKED, PROFILE_CLONE_NS_MASK},    /* clone */
    {272, 310, PROFILE_COND_MASKED, PROFILE_UNSHARE_NS_MASK}, /* unshare */
    {435, 435, PROFILE_COND_ENOSYS, 0},			      /* clone3 */
};

enum profile_cond profile_cond_of(uint32_t token, int nr, uint64_t *mask)
{
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		int want = token == SCMP_ARCH_X86_64 ? conds[i].x86_64
			   : token == SCMP_ARCH_X32  ? conds[i].x86_64 | X32_BIT
			   : token == SCMP_ARCH_X86  ? conds[i].i386
						     : -1;

		if (nr == want) {
			*mask = conds[i].mask;
			return conds[i].cond;
		}
	}
	return PROFILE_COND_NONE;
}

/* The value an entry keeps: args[0], or its namespace bits. */
static bool kept_value(const struct profile *p, uint32_t arch, int nr, const uint64_t *args,
		       uint64_t *value)
{
	uint64_t mask = 0;
	enum profile_cond c = p->args_none ? PROFILE_COND_NONE : profile_cond_of(arch, nr, &mask);
	uint64_t a0 = args ? args[0] : 0;

	if (c != PROFILE_COND_EQ && c != PROFILE_COND_MASKED)
		return false;
	*value = c == PROFILE_COND_EQ ? a0 : a0 & mask;
	return true;
}

struct key {
	uint32_t arch;
	int nr;
	bool has_value;
	uint64_t value;
};

static int cmp_key(const struct profile_syscall *a, const struct key *k)
{
	if (a->arch != k->arch)
		return a->arch < k->arch ? -1 : 1;
	if (a->nr != k->nr)
		return a->nr < k->nr ? -1 : 1;
	if (a->has_value != k->has_value)
		return a->has_value ? 1 : -1;
	return a->value < k->value ? -1 : a->value > k->value;
}

/* Index of the key, or where it would be inserted. */
static size_t lower_bound(const struct profile *p, const struct key *k)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_key(&p->seen[mid], k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool profile_has(const struct profile *p, uint32_t audit_arch, int nr)
{
	struct key k = {oci_arch_of_syscall(audit_arch, nr), nr, false, 0};
	size_t i = lower_bound(p, &k);

	return i < p->n && p->seen[i].arch == k.arch && p->seen[i].nr == nr;
}

struct profile_syscall *profile_add(struct profile *p, uint32_t audit_arch, int nr,
				    const uint64_t args[6])
{
	struct key k = {oci_arch_of_syscall(audit_arch, nr), nr, false, 0};
	size_t i;

	if (nr < 0)
		return NULL;
	k.has_value = kept_value(p, k.arch, nr, args, &k.value);
	i = lower_bound(p, &k);
	if (i < p->n && cmp_key(&p->seen[i], &k) == 0) {
		p->seen[i].calls++;
		return &p->seen[i];
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->seen = realloc(p->seen, p->cap * sizeof(*p->seen));
		if (p->seen == NULL)
			abort();
	}
	memmove(&p->seen[i + 1], &p->seen[i], (p->n - i) * sizeof(*p->seen));
	p->seen[i] = (struct profile_syscall){
	    .arch = k.arch, .nr = nr, .has_value = k.has_value, .value = k.value, .calls = 1};
	p->n++;
	return &p->seen[i];
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->seen[i].exe);
	free(p->seen);
	p->seen = NULL;
	p->n = p->cap = 0;
}
