/* Per-syscall counts of everything that stopped, printed at exit (`--summary`) and written
 * in the audit log's teardown event.
 *
 * Bounded whatever the traced program calls: numbers outside the syscall tables (negative,
 * or >= SUMMARY_NR_LIMIT once the x32 bit is taken off: no architecture has that many) share
 * one entry per (arch, data), SUMMARY_NR_UNKNOWN; and past SUMMARY_MAX_ENTRIES distinct keys
 * new keys are counted in other_calls / other_errors only. The totals stay exact. */
#pragma once

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "compile.h"

#define SUMMARY_NR_LIMIT 1024
#define SUMMARY_NR_UNKNOWN INT_MIN
#define SUMMARY_MAX_ENTRIES 4096

struct summary_entry {
	uint32_t arch;
	int nr; /* or SUMMARY_NR_UNKNOWN */
	uint32_t data; /* SECCOMP_RET_DATA of the stop */
	unsigned long count;
	unsigned long errors; /* calls that failed: denied with an errno, or returned < 0 */
};

struct summary {
	struct summary_entry *entries; /* open addressing, key (arch, nr, data) */
	size_t cap; /* a power of two, 0 until the first entry */
	size_t used;
	unsigned long other_calls, other_errors; /* keys that found the table full */
};

/* The data of a syscall allowed in the kernel, counted at audit level all (real TRACE data
 * is 16 bits). */
#define SUMMARY_ALLOWED 0xffffffffu

/* The number a call is counted under: nr, or SUMMARY_NR_UNKNOWN. */
int summary_nr(int nr);
void summary_add(struct summary *sum, uint32_t arch, int nr, uint32_t data);
/* Count an error for a call already counted with summary_add() (same key). A key never
 * counted is counted now as one call, so that no entry ever has more errors than calls. */
void summary_add_error(struct summary *sum, uint32_t arch, int nr, uint32_t data);
/* Every entry, most calls first (then by number): a new array of *n entries for the caller
 * to free, or NULL with *n == 0 when there are none. */
struct summary_entry *summary_sorted(const struct summary *sum, size_t *n);
/* Sums over every entry and the overflow. */
unsigned long summary_total_calls(const struct summary *sum);
unsigned long summary_total_errors(const struct summary *sum);
/* Re-key every entry by map(data) (a policy reload renumbers the slots), merging entries
 * that meet. */
void summary_remap(struct summary *sum, uint32_t (*map)(uint32_t data, void *ctx), void *ctx);
void summary_print(const struct summary *sum, const struct oci_filter *filter, FILE *out);
void summary_free(struct summary *sum);
