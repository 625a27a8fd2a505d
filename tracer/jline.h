/* One line of JSON for the audit log, built straight into a buffer.
 *
 * oci/jsonw.h (yajl's generator) is the project's general JSON writer; the audit log writes
 * a line for every event the tracer sees, so its lines are built here with no per-call
 * bookkeeping: about a third of the writer's cost at audit level all. The caller's nesting
 * is trusted (audit.c is the one user and its shapes are fixed); keys are static ASCII that
 * needs no escaping. Strings are written like jsonw's: bytes that are not well-formed UTF-8
 * become U+FFFD (jsonw_utf8_sanitize()), control characters, '"' and '\' are escaped
 * (NUL as \u0000), everything else is copied. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jline {
	char *buf; /* owned */
	size_t len, cap;
	bool comma; /* a member or item came before, in the innermost container */
};

void jline_free(struct jline *l);
/* Start a new line, keeping the allocation. */
void jline_reset(struct jline *l);

void jline_object_open(struct jline *l);
void jline_object_close(struct jline *l);
void jline_array_open(struct jline *l);
void jline_array_close(struct jline *l);
/* A key: the next call writes its value. */
void jline_key(struct jline *l, const char *key);
void jline_string(struct jline *l, const char *s, size_t len);
void jline_cstring(struct jline *l, const char *s);
void jline_int64(struct jline *l, int64_t v);
void jline_uint64(struct jline *l, uint64_t v);
void jline_bool(struct jline *l, bool v);
void jline_null(struct jline *l);

void jline_kv_cstring(struct jline *l, const char *key, const char *s);
void jline_kv_int64(struct jline *l, const char *key, int64_t v);
void jline_kv_uint64(struct jline *l, const char *key, uint64_t v);
