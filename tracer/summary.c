#include "summary.h"

#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static size_t slot_of(const struct summary *sum, uint32_t arch, int nr, uint32_t data)
{
	size_t i = ((uint32_t)nr * 2654435769u ^ arch ^ data * 40503u) & (sum->cap - 1);

	for (;; i = (i + 1) & (sum->cap - 1)) {
		const struct summary_entry *e = &sum->entries[i];

		if (e->count == 0 || (e->arch == arch && e->nr == nr && e->data == data))
			return i;
	}
}

static void rehash(struct summary *sum, size_t cap)
{
	struct summary old = *sum;

	sum->entries = calloc(cap, sizeof(*sum->entries));
	if (sum->entries == NULL)
		abort();
	sum->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.entries[i].count)
			sum->entries[slot_of(sum, old.entries[i].arch, old.entries[i].nr,
					     old.entries[i].data)] = old.entries[i];
	free(old.entries);
}

int summary_nr(int nr)
{
	/* x32 numbers carry bit 30 (__X32_SYSCALL_BIT) */
	if (nr < 0 || (nr & ~0x40000000) >= SUMMARY_NR_LIMIT)
		return SUMMARY_NR_UNKNOWN;
	return nr;
}

/* The entry of a key, created if there is room; NULL when the table is full. */
static struct summary_entry *entry_of(struct summary *sum, uint32_t arch, int nr, uint32_t data)
{
	nr = summary_nr(nr);
	if ((sum->used + 1) * 2 > sum->cap && sum->used < SUMMARY_MAX_ENTRIES)
		rehash(sum, sum->cap ? sum->cap * 2 : 64);
	struct summary_entry *e = &sum->entries[slot_of(sum, arch, nr, data)];

	if (e->count == 0) {
		if (sum->used == SUMMARY_MAX_ENTRIES)
			return NULL;
		*e = (struct summary_entry){ .arch = arch, .nr = nr, .data = data };
		sum->used++;
	}
	return e;
}

void summary_remap(struct summary *sum, uint32_t (*map)(uint32_t data, void *ctx), void *ctx)
{
	struct summary old = *sum;

	if (old.cap == 0)
		return;
	sum->entries = calloc(old.cap, sizeof(*sum->entries));
	if (sum->entries == NULL)
		abort();
	sum->used = 0;
	/* as many keys or fewer: they all fit in a table of the same size */
	for (size_t i = 0; i < old.cap; i++) {
		const struct summary_entry *o = &old.entries[i];
		struct summary_entry *e;
		uint32_t data;

		if (o->count == 0)
			continue;
		data = map(o->data, ctx);
		e = &sum->entries[slot_of(sum, o->arch, o->nr, data)];
		if (e->count == 0) {
			*e = (struct summary_entry){ .arch = o->arch, .nr = o->nr, .data = data };
			sum->used++;
		}
		e->count += o->count;
		e->errors += o->errors;
	}
	free(old.entries);
}

void summary_add(struct summary *sum, uint32_t arch, int nr, uint32_t data)
{
	struct summary_entry *e = entry_of(sum, arch, nr, data);

	if (e)
		e->count++;
	else
		sum->other_calls++;
}

void summary_add_error(struct summary *sum, uint32_t arch, int nr, uint32_t data)
{
	struct summary_entry *e = entry_of(sum, arch, nr, data);

	if (e == NULL) {
		/* a full table: its call went to other_calls too */
		sum->other_errors++;
		return;
	}
	if (e->count == 0)
		e->count = 1;
	e->errors++;
}

unsigned long summary_total_calls(const struct summary *sum)
{
	unsigned long n = sum->other_calls;

	for (size_t i = 0; i < sum->cap; i++)
		n += sum->entries[i].count;
	return n;
}

unsigned long summary_total_errors(const struct summary *sum)
{
	unsigned long n = sum->other_errors;

	for (size_t i = 0; i < sum->cap; i++)
		n += sum->entries[i].errors;
	return n;
}

static int by_count(const void *a, const void *b)
{
	const struct summary_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static void print_action(const struct oci_filter *filter, uint32_t data, FILE *out)
{
	const struct oci_slot *sl = oci_filter_slot(filter, data);

	if (data == SUMMARY_ALLOWED) {
		fputs("SCMP_ACT_ALLOW", out);
		return;
	}
	if (sl == NULL) { /* SCMP_ACT_TRACE of a filter that is not ours */
		fprintf(out, "SCMP_ACT_TRACE(%u)", data);
		return;
	}

	if (sl->action == OCI_ACT_ERRNO || sl->action == OCI_ACT_TRACE)
		fprintf(out, "%s(%u)", oci_action_name(sl->action), sl->errno_ret);
	else
		fputs(oci_action_name(sl->action), out);
}

struct summary_entry *summary_sorted(const struct summary *sum, size_t *n)
{
	struct summary_entry *rows;

	*n = 0;
	if (sum->used == 0)
		return NULL;
	rows = calloc(sum->used, sizeof(*rows));
	if (rows == NULL)
		abort();
	for (size_t i = 0; i < sum->cap; i++)
		if (sum->entries[i].count)
			rows[(*n)++] = sum->entries[i];
	qsort(rows, *n, sizeof(*rows), by_count);
	return rows;
}

void summary_print(const struct summary *sum, const struct oci_filter *filter, FILE *out)
{
	size_t n;
	cleanup_free struct summary_entry *rows = summary_sorted(sum, &n);

	fprintf(out, "%-24s %10s %10s  %s\n", "syscall", "calls", "errors", "action");
	for (size_t i = 0; i < n; i++) {
		bool unknown = rows[i].nr == SUMMARY_NR_UNKNOWN;
		cleanup_free char *name =
		    unknown ? NULL : seccomp_syscall_resolve_num_arch(rows[i].arch, rows[i].nr);

		if (name || unknown)
			fprintf(out, "%-24s %10lu %10lu  ", name ? name : "(unknown)", rows[i].count,
				rows[i].errors);
		else
			fprintf(out, "syscall_%-16d %10lu %10lu  ", rows[i].nr, rows[i].count,
				rows[i].errors);
		print_action(filter, rows[i].data, out);
		fputc('\n', out);
	}
	if (sum->other_calls || sum->other_errors)
		fprintf(out, "%-24s %10lu %10lu  (table full: %d keys)\n", "(other)",
			sum->other_calls, sum->other_errors, SUMMARY_MAX_ENTRIES);
}

void summary_free(struct summary *sum)
{
	free(sum->entries);
	memset(sum, 0, sizeof(*sum));
}
