/* Proving that the pid in the OCI state is the container's init before the daemon seizes it.
 *
 * The state comes from the runtime, so this is defence in depth: a wrong pid (a bug, a forged
 * state, a pid that exited and was reused) must be refused, not traced and enforced on. What
 * holds for runc 1.1 and crun 1.8, at prestart and createRuntime alike, with new, joined and
 * no namespaces, a user namespace, `run`, `run -d` and `create` (measured; README "Which
 * process"):
 *   - the init's parent is the runtime process that runs the hook (the hook's parent): runc's
 *     stage-2 child is a CLONE_PARENT of `runc create`, crun's is a child of the crun that
 *     runs the hooks (after its own fork for -d);
 *   - it started no earlier than that runtime (clock ticks: equal happens);
 *   - each namespace is what config.json's linux.namespaces asks: the one a `path` names; one
 *     that differs from the hook's own (which is the runtime's) for an entry without a path;
 *     the hook's own for a type it does not list;
 *   - with a new pid namespace it is pid 1 there.
 * The hook records what it expects (hook_pid_expect_init(), in the hook: the runtime is its
 * parent, and it may stat the namespace paths); the daemon checks the pid against it
 * (hook_pid_verify()), holding a pidfd from before the checks so that what it read is the
 * process it then seizes. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "procfs.h"
#include "state.h"

enum hook_ns_want {
	HOOK_NS_UNCHECKED, /* the kernel has no such namespace */
	HOOK_NS_SHARED,	   /* not in linux.namespaces: the runtime's */
	HOOK_NS_NEW,	   /* listed without a path: a new one */
	HOOK_NS_JOINED,	   /* listed with a path: that one */
};

enum { HOOK_NS_PID = 0, HOOK_NS_KINDS = 8 };

struct hook_ns_expect {
	enum hook_ns_want want;
	struct proc_ns id; /* SHARED, NEW: the hook's own; JOINED: the path's */
	int index;	   /* NEW, JOINED: the entry's index in linux.namespaces (for messages) */
};

struct hook_pid_expect {
	pid_t runtime; /* the process that runs the hook; 0: none to check (--reattach) */
	unsigned long long runtime_start; /* its start time, clock ticks after boot */
	struct hook_ns_expect ns[HOOK_NS_KINDS];
};

/* What the init of a container with this config.json (read from config_path) must be, run
 * by the hook itself. Fails on a namespace entry it cannot use (an unknown type, a type
 * twice, a path that cannot be stat'ed) or when its parent cannot be read. Without
 * from_runtime (--reattach: `octrace attach --container` runs the hook, long after the
 * runtime has gone and the init was reparented) only the namespaces are checked. */
int hook_pid_expect_init(const char *config_path, const struct oci_bundle_config *cfg,
			 bool from_runtime, struct hook_pid_expect *out, struct oci_error **err);

/* 0 when pid is as expected, else -1 with *err: "pid N: refused: WHY" (one check named). */
int hook_pid_verify(const struct hook_pid_expect *e, pid_t pid, struct oci_error **err);
