/* struct oci_policy back to an OCI `linux.seccomp` object: what `octrace --profile-out`
 * writes, and how a base profile is merged (parsed, extended, written back). Only the fields
 * the model holds are written: unknown keys of the original document are not kept, and a
 * whole config.json comes back as its bare linux.seccomp object. */
#pragma once

#include "error.h"
#include "jsonw.h"
#include "policy.h"

/* Write `p` as one JSON object value into `w`. Fails (writing nothing usable) only for a
 * model that no parse can produce: an architecture token without a name. */
int oci_policy_to_json(const struct oci_policy *p, struct jsonw *w, struct oci_error **err);

/* The policy's tracer form, for a runtime to install in place of the policy itself
 * (octrace-runtime): every action the kernel would apply by itself — ALLOW, LOG, KILL_*,
 * TRAP — stays; ERRNO, NOTIFY and TRACE become SCMP_ACT_TRACE with data in
 * OCI_TRACE_DATA_RUNTIME.., one value per distinct (action, errno), so the runtime's filter
 * has the policy's decision tree. Under octrace those stops are decided by octrace (same
 * policy); with no tracer the kernel answers ENOSYS: a process that escapes octrace (the
 * runtime's exec run by hand) still runs nothing the policy denies. No listener. */
int oci_policy_to_tracer_json(const struct oci_policy *p, struct jsonw *w,
			      struct oci_error **err);

/* True when the policy has an action the kernel applies by itself and octrace's complain
 * mode does not: KILL_THREAD, KILL_PROCESS, TRAP (the runtime then needs the tracer form). */
bool oci_policy_kills_in_kernel(const struct oci_policy *p);

/* The policy's exec barrier, for a runtime to install in place of the policy when it has no
 * action that oci_policy_kills_in_kernel(): SCMP_ACT_ALLOW but for execve and execveat,
 * SCMP_ACT_TRACE with OCI_TRACE_DATA_RUNTIME; the policy's architectures (anything else is
 * the runtime's bad-arch kill) and its TSYNC and SPEC_ALLOW flags. The policy itself is
 * octrace's filter, injected at the program's first exec under octrace and inherited by
 * everything it starts: an execve stops once in octrace, which allows it as the policy says.
 * A process octrace does not trace cannot exec: the runtime's own exec run by hand fails
 * (ENOSYS) before the program runs, and so does any exec once the tracer is gone, while the
 * processes already running keep octrace's filter (a syscall it stops fails with ENOSYS).
 * Nothing runs that the tracer form would have denied, and the runtime compiles two rules
 * instead of the whole policy (docs/kernel-behaviours.md §22). */
int oci_policy_to_barrier_json(const struct oci_policy *p, struct jsonw *w,
			       struct oci_error **err);
