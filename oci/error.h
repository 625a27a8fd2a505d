/* One error type for the whole project (after crun's libcrun_error_t).
 *
 * Rules: a fallible function returns 0 (or a non-negative value) on success and a negative
 * value on failure, taking `struct oci_error **err` as its last parameter. On failure *err
 * holds a message that is already a complete line without the trailing newline, e.g.
 *   policy.json: syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"
 * Out-parameters are set only on success. oci_error_wrap() prepends context.
 *
 * A message is one line whatever its arguments hold (a container id, an annotation value, a
 * path): oci_fail() and oci_error_wrap() escape control characters (oci_escape_controls()). */
#pragma once

#include <stdarg.h>

struct oci_error {
	int code; /* errno value that caused it, or 0 */
	char *msg;
};

/* Set *err (if err is not NULL and *err is NULL) and return -1. */
int oci_fail(struct oci_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "prefix: " to an existing error's message; returns -1. */
int oci_error_wrap(struct oci_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oci_error_free(struct oci_error *err);

/* A copy of s fit for one line of a log or a terminal: C0 controls, DEL, C1 controls and
 * bytes that are not UTF-8 become \n, \r, \t or \xHH; everything else is kept (a backslash
 * too: the escapes are for reading, not for decoding). */
char *oci_escape_controls(const char *s);

static inline void cleanup_oci_errorp(struct oci_error **e)
{
	oci_error_free(*e);
}
#define cleanup_oci_error __attribute__((cleanup(cleanup_oci_errorp)))
