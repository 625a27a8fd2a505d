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
