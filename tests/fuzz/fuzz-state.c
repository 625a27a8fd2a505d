/* The OCI state a runtime hands the hook on stdin (oci_state_parse), also the container
 * record octrace-runtime's exec reads back. */
#include "fuzz.h"
#include "state.h"

const char fuzz_name[] = "state";

/* What the hook relies on once a state is accepted. */
static void check_state(const struct oci_state *s)
{
	if (s->id == NULL || s->id[0] == '\0')
		fuzz_violation("accepted without an id");
	if (s->bundle == NULL || s->bundle[0] != '/')
		fuzz_violation("accepted a bundle that is not an absolute path");
	if (s->pid <= 0)
		fuzz_violation("accepted pid %d", (int)s->pid);
	for (size_t i = 0; i < s->n_annotations; i++) {
		const struct oci_kv *kv = &s->annotations[i];

		if (kv->key == NULL || kv->value == NULL)
			fuzz_violation("annotation %zu without a key or a value", i);
		else if (oci_annotation(s->annotations, s->n_annotations, kv->key) == NULL)
			fuzz_violation("annotation %s not found by its key", kv->key);
	}
}

enum fuzz_outcome fuzz_target(const uint8_t *data, size_t size)
{
	struct oci_state *sentinel = (struct oci_state *)&sentinel, *s = sentinel;
	struct oci_error *err = NULL;

	if (oci_state_parse("state", (const char *)data, size, &s, &err) < 0) {
		if (s != sentinel)
			fuzz_violation("out-parameter set on failure");
		fuzz_check_error("state", err);
		return FUZZ_REJECTED;
	}
	fuzz_check_no_error(err);
	if (s == NULL || s == sentinel) {
		fuzz_violation("accepted without a result");
		return FUZZ_ACCEPTED;
	}
	check_state(s);
	oci_state_free(s);
	return FUZZ_ACCEPTED;
}
