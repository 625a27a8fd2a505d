/* Merging learnt profiles (`octrace profile merge A.json B.json...`), which is also how a
 * learnt profile gets its canonical form (the merge of one profile).
 *
 * The result allows what any input allows. Per syscall name, each input's own verdict is
 * taken as libseccomp builds it: its first unconditional rule for the name decides alone
 * (rules whose action is the default one are not rules at all, as runc skips them); without
 * one, all its conditional rules count. Then:
 *   - allowed unconditionally by some input (an SCMP_ACT_ALLOW rule without args, or an
 *     allowing defaultAction that the input does not override for the name): the name goes
 *     into the one unconditional ALLOW rule of the result;
 *   - otherwise every distinct rule of every input for the name is kept (conditional ALLOW
 *     rules: the union of the argument values they allow; a denial such as clone3's ENOSYS
 *     as it was). An unconditional denial next to any other rule for the same name (two
 *     inputs that disagree) is an error naming both.
 * Inputs must agree on defaultAction, defaultErrnoRet, listenerPath and listenerMetadata;
 * architectures and flags are the union.
 *
 * The canonical form: architectures sorted by token; the unconditional ALLOW rule first with
 * its names sorted; then one rule per distinct (action, errno, args) with its names sorted,
 * ordered by first name, action, errno and args; errnoRet always written where the action
 * carries one. It does not depend on the order of the inputs (the merge is commutative),
 * merging a profile with itself or with its merge changes nothing (idempotent), and
 * merge(merge(A, B), C) == merge(A, B, C). */
#pragma once

#include <stddef.h>

#include "error.h"
#include "policy.h"

/* `source` names the result in later messages. Errors name the input file and field. */
int oci_policy_merge(struct oci_policy *const *in, size_t n, const char *source,
		     struct oci_policy **out, struct oci_error **err);
