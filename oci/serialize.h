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
