/* octrace-hook's reading of the org.octrace.* annotations (hook_plan_config()): the input is
 * a config.json (its annotations), and also the OCI state when it is one (whose annotations
 * win). Each input is planned under three admin configurations. Whatever the annotations
 * say, the log names stay inside the admin's log directory, the audit level stays within
 * the admin's maximum, and complain mode comes only from the admin. An input is accepted
 * when the first (strictest) admin's plan succeeds. */
#include <stdlib.h>

#include "cleanup.h"
#include "fuzz.h"
#include "hook_config.h"

#ifndef FUZZ_POLICY_DIR
#error "FUZZ_POLICY_DIR: the directory the org.octrace.policy annotation names policies in"
#endif

const char fuzz_name[] = "annotations";

static char default_id[] = "hfuzz-container", default_bundle[] = "/nonexistent/bundle";

static const struct hook_args admins[] = {
    {.policy_dir = FUZZ_POLICY_DIR,
     .log_dir = "/var/log/octrace",
     .timeout_ms = 1,
     .audit_level = AUDIT_TRACED,
     .max_audit_level = AUDIT_TRACED},
    {.policy_dir = FUZZ_POLICY_DIR,
     .log_dir = "/var/log/octrace",
     .timeout_ms = 1,
     .allow_complain = true,
     .audit_level = AUDIT_DENIED,
     .max_audit_level = AUDIT_ALL},
    {.policy = FUZZ_POLICY_DIR "/deny.json",
     .log_dir = "/var/log/octrace",
     .timeout_ms = 1,
     .complain = true,
     .audit_level = AUDIT_ALL,
     .max_audit_level = AUDIT_ALL},
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A file name inside the log directory: no '/', no leading '.', the right suffix. */
static void check_log_name(const char *name, const char *suffix)
{
	if (strchr(name, '/') != NULL || name[0] == '.' || !ends_with(name, suffix))
		fuzz_violation("log name \"%s\" escapes the log directory", name);
}

static void check_plan(const struct hook_args *a, const struct hook_plan *plan)
{
	check_log_name(plan->log_stem, ""); /* the logs are STEM.log and STEM.jsonl */
	if (plan->audit_level > a->max_audit_level)
		fuzz_violation("audit level %d above the admin's %d", plan->audit_level,
			       a->max_audit_level);
	if (plan->mode == MODE_COMPLAIN && !a->complain && !a->allow_complain)
		fuzz_violation("complain mode the admin did not allow");
	if (a->complain && plan->policy != NULL && plan->mode != MODE_COMPLAIN)
		fuzz_violation("not in complain mode, which the admin asked for");
	if ((plan->policy == NULL) != (plan->mode == MODE_TRACE))
		fuzz_violation("mode %d with policy %p", plan->mode, (void *)plan->policy);
	if (plan->policy != NULL && plan->filter == NULL)
		fuzz_violation("a policy without its filter");
	if ((plan->arm_filter != NULL) != (plan->mode == MODE_ENFORCE))
		fuzz_violation("mode %d with arm filter %p", plan->mode, (void *)plan->arm_filter);
	if (a->policy != NULL && (plan->policy == NULL || strcmp(plan->policy->source, a->policy)))
		fuzz_violation("the admin's --policy is not the policy");
	if (plan->policy != NULL &&
	    strncmp(plan->policy->source, FUZZ_POLICY_DIR "/", strlen(FUZZ_POLICY_DIR) + 1) != 0)
		fuzz_violation("a policy from outside the admin's directory: %s",
			       plan->policy->source);
}

/* Accepted: the first admin's plan succeeded. */
static enum fuzz_outcome plan_all(const struct oci_state *st, const struct oci_bundle_config *cfg)
{
	enum fuzz_outcome outcome = FUZZ_REJECTED;

	for (size_t i = 0; i < N_ELEMENTS(admins); i++) {
		struct hook_plan plan = { 0 };
		struct oci_error *err = NULL;

		if (hook_plan_config(&admins[i], st, cfg, FUZZ_POLICY_DIR "/config.json", &plan,
				     &err) < 0) {
			fuzz_check_error(NULL, err);
		} else {
			fuzz_check_no_error(err);
			check_plan(&admins[i], &plan);
			if (i == 0)
				outcome = FUZZ_ACCEPTED;
		}
		hook_plan_free(&plan);
	}
	return outcome;
}

enum fuzz_outcome fuzz_target(const uint8_t *data, size_t size)
{
	struct oci_bundle_config *cfg = NULL;
	struct oci_state *st = NULL,
			 fallback = {.id = default_id, .pid = 1, .bundle = default_bundle};
	struct oci_error *err = NULL;
	enum fuzz_outcome outcome;

	if (oci_bundle_config_parse("config.json", (const char *)data, size, &cfg, &err) < 0) {
		fuzz_check_error("config.json", err);
		return FUZZ_REJECTED;
	}
	fuzz_check_no_error(err);
	err = NULL;
	if (oci_state_parse("state", (const char *)data, size, &st, &err) < 0)
		oci_error_free(err);
	outcome = plan_all(st ? st : &fallback, cfg);
	oci_state_free(st);
	oci_bundle_config_free(cfg);
	return outcome;
}
