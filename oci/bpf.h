/* A small classic-BPF interpreter for seccomp programs, independent of libseccomp: the tracer
 * runs octrace's own compiled filter on a stopped syscall to decide it exactly as the kernel's
 * filter did (the stop's SECCOMP_RET_DATA can be forged by a tracee's own filter, and the
 * userspace matcher can differ from libseccomp's program: docs/kernel-behaviours.md §15), and
 * the unit tests check compiled filters without installing them. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* Returned for a program the kernel would refuse or that misbehaves at run time. */
#define BPF_RUN_INVALID 0xdeadbeefu

uint32_t bpf_run(const struct sock_filter *insns, size_t len, const struct seccomp_data *d);
