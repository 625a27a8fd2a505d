/* A small classic-BPF interpreter for seccomp programs, independent of libseccomp and of
 * oci/, so that compiled filters can be checked against the expected decisions without
 * installing them. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* Returned for a program the kernel would refuse or that misbehaves at run time. */
#define BPF_RUN_INVALID 0xdeadbeefu

uint32_t bpf_run(const struct sock_filter *insns, size_t len, const struct seccomp_data *d);
