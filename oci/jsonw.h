/* A JSON writer over yajl's generator, so that code outside oci/ can emit JSON without
 * including <yajl/...> (the same wall as json.h, from the other side).
 *
 * Calls never fail one by one: a misuse (a value where a key is due, a close that does not
 * match, a second top-level value, nesting deeper than JSONW_MAX_DEPTH) makes the writer
 * "failed" and every later call a no-op, and jsonw_finish() reports it. A builder that is
 * checked once at the end keeps emitting code free of error plumbing.
 *
 * Strings are written from explicit lengths; bytes that are not well-formed UTF-8 are
 * replaced by U+FFFD (one per maximal ill-formed subpart, as Unicode §3.9 recommends), so a
 * path read from a tracee can never make the document invalid. NUL bytes become \u0000. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_MAX_DEPTH 64

enum jsonw_flag {
	JSONW_PRETTY = 1 << 0, /* indented output for files people read (profiles) */
};

struct jsonw;

/* Aborts when out of memory, as the rest of oci/ does. */
struct jsonw *jsonw_new(unsigned flags);
void jsonw_free(struct jsonw *w);

void jsonw_object_open(struct jsonw *w);
void jsonw_object_close(struct jsonw *w);
void jsonw_array_open(struct jsonw *w);
void jsonw_array_close(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s, size_t len);
void jsonw_cstring(struct jsonw *w, const char *s); /* NUL-terminated */
void jsonw_int64(struct jsonw *w, int64_t v);
void jsonw_uint64(struct jsonw *w, uint64_t v); /* exact, up to 18446744073709551615 */
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* Shorthands for an object member: key then value. */
void jsonw_kv_cstring(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int64(struct jsonw *w, const char *key, int64_t v);
void jsonw_kv_uint64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);

/* The finished document, without a trailing newline (also in JSONW_PRETTY mode). *buf is
 * owned by the writer and valid until the next jsonw_reset()/jsonw_free(); it is not
 * NUL-terminated. Returns 0, or -1 with errno EINVAL when the document is incomplete or a
 * call was misused. */
int jsonw_finish(struct jsonw *w, const char **buf, size_t *len);
/* Forget the document (and any failure) and start a new one, keeping the allocation. */
void jsonw_reset(struct jsonw *w);

/* Make `len` bytes well-formed UTF-8 into out (at least 3 * len bytes); returns the length
 * written. Exposed for the tests and for callers that hash or compare sanitised text. */
size_t jsonw_utf8_sanitize(const char *s, size_t len, char *out);
/* Well-formed UTF-8 (Unicode table 3-7: no overlong forms, surrogates or values above
 * U+10FFFF), which the writer keeps byte for byte. */
bool jsonw_utf8_valid(const char *s, size_t len);

static inline void cleanup_jsonwp(struct jsonw **w) { jsonw_free(*w); }
#define cleanup_jsonw __attribute__((cleanup(cleanup_jsonwp)))
