/* Audit line rules, table-driven: one table of keys per event, one check per key. Keep in
 * step with tests/audit-schema.json and docs/audit-format.md. */
#include "audit-check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

typedef int (*check_fn)(const struct json *v, char **why);

struct key_rule {
	const char *key;
	bool required;
	check_fn check;
};

static int __attribute__((format(printf, 2, 3))) fail(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		abort();
	va_end(ap);
	return -1;
}

static int want_type(const struct json *v, enum json_type t, char **why)
{
	if (v->type == t)
		return 0;
	return fail(why, "expected %s, got %s", json_type_name(t), json_type_name(v->type));
}

/* ---- scalars ---- */

static int is_string(const struct json *v, char **why) { return want_type(v, JSON_STRING, why); }

static int is_nonempty_string(const struct json *v, char **why)
{
	if (is_string(v, why) < 0)
		return -1;
	return v->text_len > 0 ? 0 : fail(why, "empty string");
}

static bool is_integer_text(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int is_int(const struct json *v, char **why)
{
	if (want_type(v, JSON_NUMBER, why) < 0)
		return -1;
	if (!is_integer_text(v->text))
		return fail(why, "expected an integer, got %s", v->text);
	errno = 0;
	(void)strtoll(v->text, NULL, 10);
	return errno == ERANGE ? fail(why, "%s is out of the int64 range", v->text) : 0;
}

static int is_uint(const struct json *v, char **why)
{
	struct oci_error *err = NULL;
	uint64_t n;

	if (want_type(v, JSON_NUMBER, why) < 0)
		return -1;
	if (json_uint(v, UINT64_MAX, &n, &err) < 0) {
		fail(why, "%s", err->msg);
		oci_error_free(err);
		return -1;
	}
	return 0;
}

static int is_positive(const struct json *v, char **why)
{
	if (is_int(v, why) < 0)
		return -1;
	return v->text[0] != '-' && strcmp(v->text, "0") != 0 ? 0
							      : fail(why, "%s is not > 0", v->text);
}

static int is_string_or_null(const struct json *v, char **why)
{
	return v->type == JSON_NULL ? 0 : is_string(v, why);
}

/* A signal by number (9) or by name ("SIGKILL"). */
static int is_signal(const struct json *v, char **why)
{
	return v->type == JSON_STRING ? is_nonempty_string(v, why) : is_positive(v, why);
}

static int is_true(const struct json *v, char **why)
{
	if (want_type(v, JSON_BOOL, why) < 0)
		return -1;
	return v->boolean ? 0 : fail(why, "present only as true");
}

static int one_of(const struct json *v, const char *const *values, size_t n, char **why)
{
	if (is_string(v, why) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v->text, values[i]) == 0)
			return 0;
	return fail(why, "unknown value \"%s\"", v->text);
}

/* RFC 3339, UTC, nanoseconds: 2026-11-23T17:24:16.804180184Z */
static int is_time(const struct json *v, char **why)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

	if (is_string(v, why) < 0)
		return -1;
	if (v->text_len != sizeof(shape) - 1)
		return fail(why, "\"%s\" is not YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ", v->text);
	for (size_t i = 0; shape[i]; i++) {
		bool digit = v->text[i] >= '0' && v->text[i] <= '9';

		if (shape[i] == 'd' ? !digit : v->text[i] != shape[i])
			return fail(why, "\"%s\" is not YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ", v->text);
	}
	return 0;
}

static int is_time_or_null(const struct json *v, char **why)
{
	return v->type == JSON_NULL ? 0 : is_time(v, why);
}

static const char *const actions[] = {
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",	    "SCMP_ACT_ALLOW",	     "SCMP_ACT_LOG",  "SCMP_ACT_NOTIFY",
};

static int is_action(const struct json *v, char **why)
{
	return one_of(v, actions, N_ELEMENTS(actions), why);
}

static int is_errno(const struct json *v, char **why)
{
	if (is_uint(v, why) < 0)
		return -1;
	return strlen(v->text) <= 5 && atoi(v->text) <= 65535
		   ? 0
		   : fail(why, "%s is out of range (0-65535)", v->text);
}

static int is_rule(const struct json *v, char **why)
{
	static const char *const names[] = {"default", "bad-arch", "guard"};

	if (v->type == JSON_STRING)
		return one_of(v, names, N_ELEMENTS(names), why);
	return is_uint(v, why);
}

static int is_guard(const struct json *v, char **why)
{
	static const char *const names[] = {"untraced", "clone3", "ptrace", "listener", "own-trace",
					    "filter"};

	return one_of(v, names, N_ELEMENTS(names), why);
}

static int is_args(const struct json *v, char **why)
{
	if (want_type(v, JSON_ARRAY, why) < 0)
		return -1;
	if (v->len != 6)
		return fail(why, "expected 6 items, got %zu", v->len);
	for (size_t i = 0; i < v->len; i++)
		if (is_uint(v->items[i], why) < 0)
			return -1;
	return 0;
}

/* ---- objects ---- */

/* Every key of obj is in the table, every required one is present, every value passes. */
static int check_object(const struct json *obj, const struct key_rule *rules, size_t n, char **why)
{
	if (want_type(obj, JSON_OBJECT, why) < 0)
		return -1;
	for (size_t i = 0; i < obj->len; i++) {
		size_t r = 0;

		while (r < n && strcmp(rules[r].key, obj->keys[i]) != 0)
			r++;
		if (r == n)
			return fail(why, "unknown key \"%s\"", obj->keys[i]);
	}
	for (size_t r = 0; r < n; r++) {
		const struct json *v = json_get(obj, rules[r].key);
		cleanup_free char *problem = NULL;

		if (v == NULL) {
			if (rules[r].required)
				return fail(why, "\"%s\": missing", rules[r].key);
			continue;
		}
		if (rules[r].check(v, &problem) < 0)
			return fail(why, "\"%s\": %s", rules[r].key, problem);
	}
	return 0;
}

/* {"error": "EFAULT"}: the memory behind a decoded field could not be read. */
static int is_error_object(const struct json *v, char **why)
{
	static const struct key_rule rules[] = {{"error", true, is_nonempty_string}};

	return check_object(v, rules, N_ELEMENTS(rules), why);
}

static int is_text_or_error(const struct json *v, char **why)
{
	return v->type == JSON_OBJECT ? is_error_object(v, why) : is_string(v, why);
}

static int is_dirfd(const struct json *v, char **why)
{
	static const char *const names[] = {"AT_FDCWD"};

	return v->type == JSON_STRING ? one_of(v, names, 1, why) : is_int(v, why);
}

static int is_mode(const struct json *v, char **why)
{
	if (is_string(v, why) < 0)
		return -1;
	if (v->text[0] != '0' || strspn(v->text, "01234567") != v->text_len)
		return fail(why, "\"%s\" is not an octal mode", v->text);
	return 0;
}

static int is_argv(const struct json *v, char **why)
{
	if (v->type == JSON_OBJECT)
		return is_error_object(v, why);
	if (want_type(v, JSON_ARRAY, why) < 0)
		return -1;
	for (size_t i = 0; i < v->len; i++)
		if (is_string(v->items[i], why) < 0)
			return -1;
	return 0;
}

static int is_family(const struct json *v, char **why)
{
	return v->type == JSON_STRING ? is_nonempty_string(v, why) : is_uint(v, why);
}

static int is_decoded(const struct json *v, char **why)
{
	static const struct key_rule rules[] = {
	    {"dirfd", false, is_dirfd},
	    {"path", false, is_text_or_error},
	    {"path_truncated", false, is_true},
	    {"flags", false, is_text_or_error},
	    {"mode", false, is_mode},
	    {"resolve", false, is_nonempty_string},
	    {"argv", false, is_argv},
	    {"argv_truncated", false, is_true},
	    {"fd", false, is_int},
	    {"family", false, is_family},
	    {"addr", false, is_text_or_error},
	};

	if (check_object(v, rules, N_ELEMENTS(rules), why) < 0)
		return -1;
	return v->len > 0 ? 0 : fail(why, "empty (left out when nothing is decoded)");
}

/* "nr" goes with every syscall but "unknown" (every number outside the syscall tables,
 * counted together), and only with them. */
static int check_nr_presence(const struct json *v, char **why)
{
	const struct json *name = json_get(v, "syscall");
	bool unknown = name && name->type == JSON_STRING && strcmp(name->text, "unknown") == 0;

	if ((json_get(v, "nr") == NULL) != unknown)
		return fail(why, "\"nr\" %s", unknown ? "with syscall \"unknown\"" : "missing");
	return 0;
}

static int is_count(const struct json *v, char **why)
{
	static const struct key_rule rules[] = {
	    {"arch", true, is_nonempty_string},
	    {"syscall", true, is_nonempty_string},
	    {"nr", false, is_int},
	    {"action", true, is_action},
	    {"errno", false, is_errno},
	    {"calls", true, is_uint},
	    {"errors", true, is_uint},
	};

	if (check_object(v, rules, N_ELEMENTS(rules), why) < 0)
		return -1;
	return check_nr_presence(v, why);
}

static int is_array_of(const struct json *v, check_fn item, char **why)
{
	if (want_type(v, JSON_ARRAY, why) < 0)
		return -1;
	for (size_t i = 0; i < v->len; i++) {
		cleanup_free char *problem = NULL;

		if (item(v->items[i], &problem) < 0)
			return fail(why, "[%zu]: %s", i, problem);
	}
	return 0;
}

static int is_counts(const struct json *v, char **why) { return is_array_of(v, is_count, why); }

/* teardown's "other": the calls of the syscalls left out of "counts". */
static int is_other(const struct json *v, char **why)
{
	static const struct key_rule rules[] = {
	    {"calls", true, is_uint},
	    {"errors", true, is_uint},
	};

	return check_object(v, rules, N_ELEMENTS(rules), why);
}

static int is_drop_row(const struct json *v, char **why)
{
	static const struct key_rule rules[] = {
	    {"arch", true, is_nonempty_string},
	    {"syscall", true, is_nonempty_string},
	    {"nr", false, is_int},
	    {"dropped", true, is_positive},
	};

	if (check_object(v, rules, N_ELEMENTS(rules), why) < 0)
		return -1;
	return check_nr_presence(v, why);
}

static int is_drop_rows(const struct json *v, char **why)
{
	return is_array_of(v, is_drop_row, why);
}

/* suppressed's "events": lifecycle events dropped, by name. */
static int is_event_drops(const struct json *v, char **why)
{
	static const struct key_rule rules[] = {
	    {"clone", false, is_positive}, {"fork", false, is_positive},
	    {"vfork", false, is_positive}, {"exec", false, is_positive},
	    {"exit", false, is_positive},  {"exit_group", false, is_positive},
	};

	if (check_object(v, rules, N_ELEMENTS(rules), why) < 0)
		return -1;
	return v->len > 0 ? 0 : fail(why, "empty (left out when no event was dropped)");
}

static int is_mode_name(const struct json *v, char **why)
{
	static const char *const names[] = {"enforce", "complain", "trace"};

	return one_of(v, names, N_ELEMENTS(names), why);
}

static int is_denials(const struct json *v, char **why)
{
	static const char *const names[] = {"notification", "stop"};

	return one_of(v, names, N_ELEMENTS(names), why);
}

static int is_level(const struct json *v, char **why)
{
	static const char *const names[] = {"denied", "traced", "all"};

	return one_of(v, names, N_ELEMENTS(names), why);
}

/* ---- events ---- */

#define COMMON_KEYS                                                                                \
	{"time", true, is_time}, {"event", true, is_nonempty_string},                              \
	    {"container", false, is_nonempty_string}, {"pod", false, is_string},                   \
	    {"namespace", false, is_string}, {"pod_uid", false, is_string},                        \
	    {"container_name", false, is_string}, { "image", false, is_string }
#define TASK_KEYS                                                                                  \
	COMMON_KEYS, {"pid", true, is_positive}, { "tid", true, is_positive }

static const struct key_rule syscall_keys[] = {
    TASK_KEYS,
    {"comm", true, is_string},
    {"arch", true, is_nonempty_string},
    {"syscall", true, is_nonempty_string},
    {"nr", true, is_int},
    {"args", true, is_args},
    {"action", true, is_action},
    {"errno", false, is_errno},
    {"would", false, is_action},
    {"rule", false, is_rule},
    {"guard", false, is_guard},
    {"ret", false, is_int},
    {"decoded", false, is_decoded},
};
static const struct key_rule attach_keys[] = {
    TASK_KEYS,
    {"processes", false, is_uint},
    {"threads", false, is_uint},
    {"mode", false, is_mode_name},
    {"level", false, is_level},
    {"policy", false, is_string},
};
static int is_string_array(const struct json *v, char **why)
{
	if (want_type(v, JSON_ARRAY, why) < 0)
		return -1;
	for (size_t i = 0; i < v->len; i++)
		if (is_string(v->items[i], why) < 0)
			return -1;
	return 0;
}

static const struct key_rule armed_keys[] = {
    TASK_KEYS,
    {"mode", false, is_mode_name},
    {"argv", false, is_string_array},
    {"uid", false, is_uint},
    {"gid", false, is_uint},
    {"cwd", false, is_string_or_null},
    {"denials", false, is_denials},
};
static const struct key_rule exec_keys[] = {
    TASK_KEYS,
    {"path", true, is_string_or_null},
    {"former_tid", false, is_positive},
};
static const struct key_rule clone_keys[] = {TASK_KEYS, {"child", true, is_positive}};
static const struct key_rule exit_keys[] = {
    TASK_KEYS,
    {"status", false, is_int},
    {"signal", false, is_signal},
};
static const struct key_rule exit_group_keys[] = {TASK_KEYS, {"status", true, is_int}};
static const struct key_rule detach_keys[] = {
    TASK_KEYS,
    {"tasks", false, is_uint},
    {"reason", false, is_string},
};
#define END_KEYS                                                                                   \
	{"status", true, is_int}, {"counts", true, is_counts}, {"other", false, is_other},        \
	    {"calls", true, is_uint},                                                              \
	{                                                                                          \
		"errors", true, is_uint                                                            \
	}
static const struct key_rule teardown_keys[] = {COMMON_KEYS, END_KEYS};
static const struct key_rule leave_keys[] = {
    TASK_KEYS,
    {"status", false, is_int},
    {"signal", false, is_signal},
};

static const struct key_rule tracer_died_keys[] = {
    TASK_KEYS,
    {"tracer", true, is_positive},
    {"status", false, is_int},
    {"signal", false, is_signal},
    {"mode", true, is_mode_name},
};

static const struct key_rule reattach_keys[] = {
    TASK_KEYS,
    {"processes", true, is_uint},
    {"threads", true, is_uint},
    {"mode", true, is_mode_name},
    {"since", false, is_time_or_null},
};
static int is_reload_result(const struct json *v, char **why)
{
	if (v->type == JSON_STRING && (strcmp(v->text, "applied") == 0 ||
				       strcmp(v->text, "unchanged") == 0 ||
				       strcmp(v->text, "refused") == 0))
		return 0;
	return fail(why, "not applied, unchanged or refused");
}

static const struct key_rule policy_reload_keys[] = {
    TASK_KEYS,
    {"policy", true, is_string_or_null},
    {"result", true, is_reload_result},
    {"processes", true, is_uint},
    {"deferred", true, is_uint},
    {"failed", true, is_uint},
    {"error", true, is_string_or_null},
};
static const struct key_rule suppressed_keys[] = {
    COMMON_KEYS,
    {"dropped", true, is_positive},
    {"syscalls", false, is_drop_rows},
    {"unlisted", false, is_positive},
    {"events", false, is_event_drops},
};

#define EVENT(name, keys)                                                                          \
	{                                                                                          \
		name, keys, N_ELEMENTS(keys)                                                       \
	}

static const struct {
	const char *name;
	const struct key_rule *keys;
	size_t n;
} events[] = {
    EVENT("syscall", syscall_keys),	  EVENT("attach", attach_keys),
    EVENT("armed", armed_keys),		  EVENT("join", armed_keys),		  EVENT("exec", exec_keys),
    EVENT("clone", clone_keys),		  EVENT("fork", clone_keys),
    EVENT("vfork", clone_keys),		  EVENT("exit", exit_keys),
    EVENT("exit_group", exit_group_keys), EVENT("detach", detach_keys),
    EVENT("teardown", teardown_keys), EVENT("leave", leave_keys),
    EVENT("tracer_died", tracer_died_keys), EVENT("reattach", reattach_keys),
    EVENT("suppressed", suppressed_keys), EVENT("policy_reload", policy_reload_keys),
};

static bool is_action_named(const struct json *v, const char *name)
{
	return v != NULL && v->type == JSON_STRING && strcmp(v->text, name) == 0;
}

/* What the keys cannot say one by one: "would" only with an allowed action, and "errno"
 * exactly when the policy's action carries one. */
static int check_syscall_consistency(const struct json *line, char **why)
{
	const struct json *would = json_get(line, "would");
	const struct json *policy = would ? would : json_get(line, "action");
	bool has_errno = json_get(line, "errno") != NULL;
	bool wants_errno =
	    is_action_named(policy, "SCMP_ACT_ERRNO") || is_action_named(policy, "SCMP_ACT_TRACE");

	if (would && !is_action_named(json_get(line, "action"), "SCMP_ACT_ALLOW"))
		return fail(why, "syscall: \"would\" with an action other than SCMP_ACT_ALLOW");
	if (has_errno != wants_errno)
		return fail(why, "syscall: \"errno\" %s for %s", has_errno ? "present" : "missing",
			    policy->text);
	if ((json_get(line, "guard") != NULL) != is_action_named(json_get(line, "rule"), "guard"))
		return fail(why, "syscall: \"guard\" goes with rule \"guard\", and only with it");
	return 0;
}

/* A task that died either exited (status) or was killed (signal). */
static int check_exit_consistency(const struct json *line, char **why)
{
	bool status = json_get(line, "status") != NULL, signal = json_get(line, "signal") != NULL;

	if (status == signal)
		return fail(why, "exit: exactly one of \"status\" and \"signal\" is required");
	return 0;
}

static uint64_t uint_of(const struct json *v)
{
	return v && v->type == JSON_NUMBER ? strtoull(v->text, NULL, 10) : 0;
}

/* "dropped" is the sum of what the other keys count. */
static int check_suppressed_consistency(const struct json *line, char **why)
{
	const struct json *rows = json_get(line, "syscalls"), *named = json_get(line, "events");
	uint64_t sum = uint_of(json_get(line, "unlisted"));

	for (size_t i = 0; rows && i < rows->len; i++)
		sum += uint_of(json_get(rows->items[i], "dropped"));
	for (size_t i = 0; named && i < named->len; i++)
		sum += uint_of(named->items[i]);
	if (sum != uint_of(json_get(line, "dropped")))
		return fail(why, "suppressed: \"dropped\" is not the sum of the drops listed (%ju)",
			    (uintmax_t)sum);
	return 0;
}

static int check_event(const struct json *line, char **why)
{
	const struct json *event = json_get(line, "event");
	cleanup_free char *problem = NULL;

	if (event == NULL || event->type != JSON_STRING)
		return fail(why, "\"event\": missing or not a string");
	for (size_t i = 0; i < N_ELEMENTS(events); i++) {
		if (strcmp(events[i].name, event->text) != 0)
			continue;
		if (check_object(line, events[i].keys, events[i].n, &problem) < 0)
			return fail(why, "%s: %s", event->text, problem);
		if (strcmp(event->text, "syscall") == 0)
			return check_syscall_consistency(line, why);
		if (strcmp(event->text, "exit") == 0)
			return check_exit_consistency(line, why);
		if (strcmp(event->text, "suppressed") == 0)
			return check_suppressed_consistency(line, why);
		return 0;
	}
	return fail(why, "unknown event \"%s\"", event->text);
}

int audit_check_line(const char *line, size_t len, char **why)
{
	cleanup_json struct json *v = NULL;
	struct oci_error *err = NULL;
	int rc;

	if (memchr(line, '\n', len) != NULL)
		return fail(why, "a newline inside the line");
	if (json_parse(line, len, &v, &err) < 0) {
		rc = fail(why, "%s", err->msg);
		oci_error_free(err);
		return rc;
	}
	if (v->type != JSON_OBJECT)
		return fail(why, "expected an object, got %s", json_type_name(v->type));
	return check_event(v, why);
}
