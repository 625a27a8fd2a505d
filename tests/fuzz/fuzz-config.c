/* A bundle's config.json: what octrace-hook reads of it (oci_bundle_config_parse:
 * annotations, linux.seccomp, the pid namespace) and what octrace-runtime does to it (is the
 * container traced, add the hook, write the document back). */
#include <stdlib.h>

#include "cleanup.h"
#include "fuzz-common.h"
#include "runtime_bundle.h"
#include "state.h"

const char fuzz_name[] = "config";

static char runtime_name[] = "runc", hook_path[] = "/usr/local/bin/octrace-hook",
	    arg0[] = "octrace-hook", arg1[] = "--log-dir", arg2[] = "/var/log/octrace",
	    annotation_key[] = "org.octrace.trace";
static char *hook_args[] = {arg0, arg1, arg2, NULL};
static const struct runtime_config runtime_cfg = {
    .runtime = runtime_name,
    .hook_path = hook_path,
    .hook_args = hook_args,
    .n_hook_args = 3,
    .hook_timeout = 10,
    .annotated = true,
    .annotation = annotation_key,
};

/* runtime_bundle_traced() and the hook's parser read the same annotations: once the hook's
 * parser accepted them, the runtime's answer follows from them. */
static void check_traced(const struct oci_bundle_config *cfg, const struct json *doc)
{
	struct oci_error *err = NULL;
	int traced = runtime_bundle_traced(&runtime_cfg, doc, &err);
	const char *v;

	if (cfg == NULL) {
		if (traced < 0)
			fuzz_check_error(NULL, err);
		return;
	}
	v = oci_annotation(cfg->annotations, cfg->n_annotations, annotation_key);
	if (traced < 0) {
		fuzz_violation("the hook accepts the annotations, the runtime does not: %s",
			       err->msg);
		oci_error_free(err);
	} else if (traced != (v != NULL && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)) {
		fuzz_violation("traced %d for the annotation %s", traced, v ? v : "(none)");
	}
}

/* octrace-runtime's edit: the hook added once, found again after a write and a read. */
static void check_add_hook(struct json *doc)
{
	struct oci_error *err = NULL;
	cleanup_json struct json *again = NULL;
	int added = runtime_bundle_add_hook(doc, &runtime_cfg, &err);

	if (added < 0) {
		fuzz_check_error(NULL, err);
		return;
	}
	fuzz_check_no_error(err);
	again = fuzz_json_round_trip(doc);
	if (added == 1 && again != NULL && runtime_bundle_hook(again, hook_path) == NULL)
		fuzz_violation("the hook added is not found in the document written");
	if (again != NULL && runtime_bundle_add_hook(again, &runtime_cfg, &err) != 0) {
		fuzz_violation("the hook is added a second time: %s", err ? err->msg : "");
		oci_error_free(err);
	}
}

enum fuzz_outcome fuzz_target(const uint8_t *data, size_t size)
{
	struct oci_bundle_config *sentinel = (struct oci_bundle_config *)&sentinel, *cfg = sentinel;
	struct oci_error *err = NULL;
	cleanup_json struct json *doc = NULL;
	enum fuzz_outcome outcome = FUZZ_ACCEPTED;

	if (oci_bundle_config_parse("config.json", (const char *)data, size, &cfg, &err) < 0) {
		if (cfg != sentinel)
			fuzz_violation("out-parameter set on failure");
		fuzz_check_error("config.json", err);
		cfg = NULL;
		outcome = FUZZ_REJECTED;
	} else {
		fuzz_check_no_error(err);
	}
	err = NULL;
	if (json_parse((const char *)data, size, &doc, &err) < 0) {
		if (cfg != NULL)
			fuzz_violation("config accepted, but the document does not parse");
		fuzz_check_error(NULL, err);
	} else {
		check_traced(cfg, doc);
		check_add_hook(doc);
	}
	oci_bundle_config_free(cfg);
	return outcome;
}
