/* The fuzz targets (one per parser) and what they share. Each target's fuzz_target() feeds
 * one input to its parser and checks the contract every parser of octrace has: it either
 * accepts the input (and what it built holds together) or fails with a one-line message that
 * names the input, leaving its out-parameter alone. A broken contract is reported through
 * fuzz_violation(), which the libFuzzer driver (fuzz-libfuzzer.c) turns into a crash and the
 * corpus replay (fuzz-replay.c, run by the unit suite) into a failed test. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

enum fuzz_outcome {
	FUZZ_REJECTED,
	FUZZ_ACCEPTED,
};

/* The target, "policy" etc.: the directory of its corpus. */
extern const char fuzz_name[];
enum fuzz_outcome fuzz_target(const uint8_t *data, size_t size);

/* A broken contract: does not return in the libFuzzer driver. */
void fuzz_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A parser's error: a message on one line, starting with "SOURCE: " when source is given.
 * Frees err. */
static inline void fuzz_check_error(const char *source, struct oci_error *err)
{
	size_t n = source ? strlen(source) : 0;

	if (err == NULL || err->msg == NULL || err->msg[0] == '\0')
		fuzz_violation("rejected without a message");
	else if (strchr(err->msg, '\n') != NULL)
		fuzz_violation("message on more than one line: %s", err->msg);
	else if (source &&
		 (strncmp(err->msg, source, n) != 0 || strncmp(err->msg + n, ": ", 2) != 0))
		fuzz_violation("message does not name %s: %s", source, err->msg);
	oci_error_free(err);
}

/* A parser's success: no error left behind. */
static inline void fuzz_check_no_error(struct oci_error *err)
{
	if (err != NULL)
		fuzz_violation("accepted with an error set: %s", err->msg ? err->msg : "(null)");
	oci_error_free(err);
}
