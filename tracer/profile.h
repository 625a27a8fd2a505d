/* Learning a profile (`--profile-out FILE`, `--profile-base FILE`, `--profile-args`,
 * `--profile-stats FILE`) and merging learnt ones (`octrace profile merge`): the syscalls a
 * run made, per architecture, as an OCI `linux.seccomp` profile that allows exactly those
 * and denies the rest with SCMP_ACT_ERRNO (EPERM). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"

/* What a learnt rule keeps of a syscall's arguments (`--profile-args default`): only for the
 * syscalls default container profiles condition on, and as they do. */
enum profile_cond {
	PROFILE_COND_NONE,   /* the name alone */
	PROFILE_COND_EQ,     /* args[0] == the value seen: socket's family, personality's persona */
	PROFILE_COND_MASKED, /* (args[0] & mask) == what was seen: the namespace flags of clone
			      * and unshare */
	PROFILE_COND_ENOSYS, /* clone3: its flags are in memory, where no filter can look; it is
			      * answered ENOSYS (while learning too) so that libc falls back to
			      * clone, whose flags are kept */
};

/* clone's namespace flags (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET): the
 * mask docker's, podman's and containerd's profiles test; unshare adds CLONE_NEWTIME. */
#define PROFILE_CLONE_NS_MASK 0x7e020000ULL
#define PROFILE_UNSHARE_NS_MASK 0x7e020080ULL

/* How learning treats syscall `nr` of libseccomp arch `token` (x86 ABIs; the name alone
 * elsewhere). *mask is set for PROFILE_COND_MASKED. */
enum profile_cond profile_cond_of(uint32_t token, int nr, uint64_t *mask);

struct profile_syscall {
	uint32_t arch;	/* libseccomp token: x32 calls are SCMP_ARCH_X32 here */
	int nr;		/* as the kernel reported it */
	bool has_value; /* PROFILE_COND_EQ / _MASKED: `value` is what its rule keeps */
	uint64_t value;
	uint64_t calls;
	char *exe; /* owned; the executable of the first task seen making it (stats), or NULL */
	pid_t pid; /* that task's process, 0 if not recorded */
};

/* The set of observed syscalls; zero-initialised is empty, keeping argument values. */
struct profile {
	struct profile_syscall *seen; /* owned, sorted by (arch, nr, value), no duplicates */
	size_t n, cap;
	bool args_none; /* --profile-args none: names only */
	bool stats;	/* --profile-stats: record who made each syscall first */
};

/* Record a call of syscall `nr` of `audit_arch` (AUDIT_ARCH_* as the kernel reports it; an
 * x32 call is recognised by its number) with arguments `args` (NULL: all zero). Returns its
 * entry (valid until the next call; calls == 1 the first time), or NULL for a negative nr
 * (a skipped syscall), which is ignored. */
struct profile_syscall *profile_add(struct profile *p, uint32_t audit_arch, int nr,
				    const uint64_t args[6]);
bool profile_has(const struct profile *p, uint32_t audit_arch, int nr);
void profile_free(struct profile *p);

/* Write the profile to out_path, pretty-printed, through a temporary file in the same
 * directory renamed into place (a reader sees the old file or the whole new one).
 *
 * Without a base: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet 1, "architectures" every
 * architecture seen, one SCMP_ACT_ALLOW rule naming every syscall seen plus execve and
 * execveat (a runtime execs the entrypoint after it installed the profile), and the rules
 * keeping arguments (enum profile_cond); in the canonical form of oci/merge.h.
 * With base_path (a linux.seccomp object or a config.json, as oci_policy_load() takes):
 * its fields and rules are kept (unknown keys are not, and a config.json becomes its bare
 * seccomp object), architectures seen are added, and one ALLOW rule is appended with the
 * names the base does not already allow unconditionally (a rule without args, or its
 * default action when no rule names the syscall), then the argument rules it does not have.
 * A syscall libseccomp has no name for cannot be written: it is left out with a warning.
 * With stats_path: the side file of docs/audit-format.md (per syscall and value: calls,
 * first executable, the rule of the written profile that allows it). */
int profile_write(const char *out_path, const char *base_path, const char *stats_path,
		  const struct profile *observed, struct oci_error **err);

/* `octrace profile merge FILE...`: the merge of oci/merge.h, written to `out`. */
int profile_merge_files(char *const *paths, size_t n, FILE *out, struct oci_error **err);

static inline void cleanup_profilep(struct profile *p) { profile_free(p); }
#define cleanup_profile __attribute__((cleanup(cleanup_profilep)))
