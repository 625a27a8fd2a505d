/* A small JSON tree for the OCI documents (seccomp policy, config.json, state).
 *
 * Built with yajl's callback parser so that we see what a tree API hides: duplicate keys are
 * an error (Go's encoding/json silently keeps the last one, which makes "which value did
 * runc use?" a question we refuse to answer) and numbers stay as their raw text, so a uint64
 * up to 18446744073709551615 converts exactly instead of going through a double.
 * Nothing outside oci/ includes <yajl/...>; this header does not either. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Deeper documents are refused: the tree is freed recursively. */
#define JSON_MAX_DEPTH 256
#define JSON_MAX_DEPTH_TEXT "256"

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	bool boolean;	     /* JSON_BOOL */
	char *text;	     /* owned; JSON_STRING: the value, JSON_NUMBER: its raw text */
	size_t text_len;     /* a string may hold "\u0000": strlen(text) < text_len then */
	struct json **items; /* owned; array items, or object member values */
	char **keys;	     /* owned; object member names, parallel to items */
	size_t len;	     /* number of items */
	size_t cap;
};

/* Parse a whole document. Errors (without a file name) look like
 *   line 3, column 5: malformed JSON: parse error: premature EOF
 *   syscalls[0]: duplicate key "action" */
int json_parse(const char *buf, size_t len, struct json **out, struct oci_error **err);
void json_free(struct json *v);

static inline void cleanup_jsonp(struct json **v) { json_free(*v); }
#define cleanup_json __attribute__((cleanup(cleanup_jsonp)))

const char *json_type_name(enum json_type t); /* "null", "boolean", "number", ... */

/* Member `key` of an object; NULL when absent or when obj is not an object. */
const struct json *json_get(const struct json *obj, const char *key);

/* Typed access. On a mismatch they fail with a message that has no path yet, such as
 *   expected a string, got number
 *   7 is out of range (0-5)
 *   expected an integer, got 1.5
 * and the caller prepends the JSON path with oci_error_wrap(). */
int json_expect(const struct json *v, enum json_type t, struct oci_error **err);
int json_string(const struct json *v, const char **out, struct oci_error **err);
int json_uint(const struct json *v, uint64_t max, uint64_t *out, struct oci_error **err);

/* User text quoted for a one-line message: "..." with JSON escapes, cut after 100 bytes. */
char *json_quote(const char *s, size_t len);

/* JSON paths as used in messages: "syscalls[3].args[0].op". A member name that is not an
 * identifier is quoted: annotations["io.kubernetes.cri.sandbox-id"]. Both return a new
 * string; parent may be "" (the document root). */
char *json_path_key(const char *parent, const char *key);
char *json_path_index(const char *parent, size_t index);
