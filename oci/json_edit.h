/* Building and extending a struct json tree in place (json.h only parses and reads). The
 * nodes are the parser's own, so json_free() and json_write() treat them alike. */
#pragma once

#include "json.h"

/* A new value of type t: null, false, or an empty array or object. For a number or a
 * string, set text/text_len to malloc'd memory (json_new_string() does). Both abort when
 * out of memory, as the rest of oci/ does. */
struct json *json_new(enum json_type t);
/* A new JSON_STRING holding a copy of the NUL-terminated s. */
struct json *json_new_string(const char *s);

/* Hang v under an array (key NULL) or as member `key` of an object; on success the
 * container owns v. Fails with -1 and errno EINVAL (not a container, or a key for an array /
 * none for an object) or EEXIST (the object already has `key`: a tree never holds duplicate
 * keys, json_parse() refuses them too); v is then still the caller's. */
int json_append(struct json *container, const char *key, struct json *v);
/* Member `key` of an object becomes v, in place (the member order is kept; the old value is
 * freed), or is appended. On success the object owns v; -1 and EINVAL if obj is no object. */
int json_set(struct json *obj, const char *key, struct json *v);
