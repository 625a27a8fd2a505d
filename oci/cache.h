/* A directory of compiled filters. libseccomp takes 15-20 ms to compile a podman-like policy,
 * and octrace-hook would pay that at every container start for the same few policies; with the
 * cache it pays it once per policy (and per octrace and libseccomp build).
 *
 * An entry is found by a hash of its key but handed out only when the key stored in it equals
 * ours byte for byte: the key is a canonical serialisation of everything that decides the
 * program (the parsed policy, the compile mode, the format, libseccomp's version and the file
 * identities of this program and of libseccomp), and the policy may come from a container's
 * creator while the cache also holds the admin's. The directory is used only when it is ours
 * or root's and nobody else can write to it. Anything wrong with the cache is a miss: the
 * policy is compiled, and the cache is never the reason a container does not start. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A directory only root (or this user) can write, created 0700 level by level when missing
 * (inside safe directories only): an fd, or -1. */
int oci_open_safe_dir(const char *path);
/* FNV-1a, 64 bits. */
uint64_t oci_fnv1a64(const void *data, size_t len);

#include <stdio.h>

#include "compile.h"
#include "error.h"
#include "policy.h"

/* The directory holds at most this many entries and bytes: the policies of containers'
 * creators must not be able to fill the (tmpfs) directory. At the limit the oldest entry
 * gives way to the new one (files that are not entries are never removed: a directory full
 * of them stores nothing more). */
#define OCI_FILTER_CACHE_MAX_ENTRIES 1024
#define OCI_FILTER_CACHE_MAX_BYTES (64u << 20)

/* oci_policy_compile() through the cache in `dir` (NULL or "": no cache). The warnings of
 * the compilation (unknown syscall names) are printed on `warn` on a hit as well, naming
 * p->source. Returns 1 for a cache hit, 0 when the policy was compiled (and, if possible,
 * stored), -1 when it does not compile. */
int oci_filter_cache_get(const char *dir, const struct oci_policy *p, enum oci_compile_mode mode,
			 FILE *warn, struct oci_filter **out, struct oci_error **err);
