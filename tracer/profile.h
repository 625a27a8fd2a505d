/* `--profile-out FILE` (and `--profile-base FILE`): the syscalls a run made, as an OCI
 * `linux.seccomp` profile that allows exactly those and denies the rest with
 * SCMP_ACT_ERRNO (EPERM). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct profile_syscall {
	uint32_t arch; /* libseccomp token: x32 calls are SCMP_ARCH_X32 here */
	int nr;	       /* as the kernel reported it */
};

/* The set of observed syscalls; zero-initialised is empty. */
struct profile {
	struct profile_syscall *seen; /* owned, sorted by (arch, nr), no duplicates */
	size_t n, cap;
};

/* Record syscall `nr` of `audit_arch` (AUDIT_ARCH_* as the kernel reports it; an x32 call
 * is recognised by its number). A negative nr (a skipped syscall) is ignored. */
void profile_add(struct profile *p, uint32_t audit_arch, int nr);
bool profile_has(const struct profile *p, uint32_t audit_arch, int nr);
void profile_free(struct profile *p);

/* Write the profile to out_path, pretty-printed, through a temporary file in the same
 * directory renamed into place (a reader sees the old file or the whole new one).
 *
 * Without a base: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet 1, "architectures" every
 * architecture seen, and one SCMP_ACT_ALLOW rule naming, sorted, every syscall seen plus
 * execve and execveat (a runtime execs the entrypoint after it installed the profile).
 * With base_path (a linux.seccomp object or a config.json, as oci_policy_load() takes):
 * its fields and rules are kept (unknown keys are not, and a config.json becomes its bare
 * seccomp object), architectures seen are added, and one ALLOW rule is appended with the
 * names the base does not already allow unconditionally (a rule without args, or its
 * default action when no rule names the syscall). A syscall libseccomp has no name for
 * cannot be written: it is left out with a warning. */
int profile_write(const char *out_path, const char *base_path, const struct profile *observed,
		  struct oci_error **err);

static inline void cleanup_profilep(struct profile *p) { profile_free(p); }
#define cleanup_profile __attribute__((cleanup(cleanup_profilep)))
