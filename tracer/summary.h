/* Per-syscall counts of everything that stopped, printed at exit (`--summary`). */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "compile.h"

struct summary_entry {
	uint32_t arch;
	int nr;
	uint32_t data; /* SECCOMP_RET_DATA of the stop */
	unsigned long count;
};

struct summary {
	struct summary_entry *entries; /* open addressing, key (arch, nr, data) */
	size_t cap; /* a power of two, 0 until the first entry */
	size_t used;
};

void summary_add(struct summary *sum, uint32_t arch, int nr, uint32_t data);
void summary_print(const struct summary *sum, const struct oci_filter *filter, FILE *out);
void summary_free(struct summary *sum);
