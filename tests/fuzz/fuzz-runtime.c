/* octrace-runtime's runtime.json (runtime_config_parse()), and the configuration it gives
 * applied to a bundle as `create` does: the hook entry written into config.json must read
 * back with the configured path, arguments and timeout. */
#include <inttypes.h>
#include <stdlib.h>

#include "cleanup.h"
#include "fuzz-common.h"
#include "runtime_bundle.h"
#include "runtime_config.h"

const char fuzz_name[] = "runtime";

static const char bundle_doc[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"annotations\":"
    "{\"org.octrace.trace\":\"yes\"},\"hooks\":{\"poststop\":[{\"path\":\"/bin/true\"}]}}";

static void check_config(const struct runtime_config *c)
{
	if (c->runtime == NULL || c->runtime[0] == '\0' ||
	    (strchr(c->runtime, '/') && c->runtime[0] != '/'))
		fuzz_violation("runtime \"%s\" is neither a name nor an absolute path",
			       c->runtime ? c->runtime : "(null)");
	if (c->hook_path != NULL && c->hook_path[0] != '/')
		fuzz_violation("hook path \"%s\" is not absolute", c->hook_path);
	if (c->n_hook_args == 0 || c->hook_args == NULL || c->hook_args[c->n_hook_args] != NULL)
		fuzz_violation("hook args: %zu, not NULL-terminated", c->n_hook_args);
	for (size_t i = 0; i < c->n_hook_args && c->hook_args; i++)
		if (c->hook_args[i] == NULL)
			fuzz_violation("hook args[%zu] is NULL", i);
	if (c->hook_timeout > 86400)
		fuzz_violation("hook timeout %" PRIu64, c->hook_timeout);
	if (c->annotation == NULL || c->annotation[0] == '\0')
		fuzz_violation("empty annotation key");
}

/* The entry as written: "path", then "args" item by item, then "timeout" if set. */
static void check_entry(const struct runtime_config *c, const struct json *entry)
{
	const struct json *args = json_get(entry, "args"), *t = json_get(entry, "timeout");
	uint64_t timeout = 0;
	struct oci_error *err = NULL;

	if (args == NULL || args->type != JSON_ARRAY || args->len != c->n_hook_args) {
		fuzz_violation("the hook entry's args are not the configuration's");
		return;
	}
	for (size_t i = 0; i < args->len; i++)
		if (args->items[i]->type != JSON_STRING ||
		    strcmp(args->items[i]->text, c->hook_args[i]) != 0)
			fuzz_violation("hook args[%zu] changed on the way", i);
	if (t != NULL && json_uint(t, UINT64_MAX, &timeout, &err) < 0)
		oci_error_free(err);
	if (timeout != c->hook_timeout)
		fuzz_violation("timeout %" PRIu64 " written as %" PRIu64, c->hook_timeout, timeout);
}

static void apply(const struct runtime_config *c)
{
	cleanup_json struct json *doc = NULL, *again = NULL;
	struct oci_error *err = NULL;
	const struct json *entry;
	int rc;

	if (json_parse(bundle_doc, strlen(bundle_doc), &doc, &err) < 0)
		abort();
	rc = runtime_bundle_traced(c, doc, &err);
	if (rc != (!c->annotated || strcmp(c->annotation, "org.octrace.trace") == 0))
		fuzz_violation("traced %d: trace %s, annotation %s", rc,
			       c->annotated ? "annotated" : "all", c->annotation);
	rc = runtime_bundle_add_hook(doc, c, &err);
	if (rc < 0) {
		if (c->hook_path != NULL)
			fuzz_violation("the hook cannot be added: %s", err ? err->msg : "");
		fuzz_check_error(NULL, err);
		return;
	}
	again = fuzz_json_round_trip(doc);
	entry = again ? runtime_bundle_hook(again, c->hook_path) : NULL;
	if (entry == NULL)
		fuzz_violation("the hook added is not in the document written");
	else
		check_entry(c, entry);
}

enum fuzz_outcome fuzz_target(const uint8_t *data, size_t size)
{
	struct runtime_config *sentinel = (struct runtime_config *)&sentinel, *c = sentinel;
	struct oci_error *err = NULL;
	const char *default_hook = size % 2 ? "/usr/libexec/octrace-hook" : NULL;

	if (runtime_config_parse("runtime.json", (const char *)data, size, default_hook, &c, &err) <
	    0) {
		if (c != sentinel)
			fuzz_violation("out-parameter set on failure");
		fuzz_check_error("runtime.json", err);
		return FUZZ_REJECTED;
	}
	fuzz_check_no_error(err);
	check_config(c);
	apply(c);
	runtime_config_free(c);
	return FUZZ_ACCEPTED;
}
