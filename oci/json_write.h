/* Any struct json tree back to JSON text, through jsonw (so yajl stays behind oci/'s wall).
 * oci/serialize.c writes policies from their model; this writes a parsed document as it is:
 * every member in its order, strings byte for byte (a parsed string is valid UTF-8, so
 * jsonw's sanitising never changes it). Used to rewrite a whole config.json after adding a
 * hook to it. */
#pragma once

#include "error.h"
#include "json.h"
#include "jsonw.h"

/* Write `v` as one value at the writer's current position. Numbers are written from their
 * raw text: an integer from -9223372036854775808 to 18446744073709551615 comes out as the
 * same digits. jsonw has no way to write any other number text verbatim, so a fraction, an
 * exponent or a bigger integer fails rather than being rounded, as does nesting deeper than
 * JSONW_MAX_DEPTH; the message names the JSON path. On failure the writer holds a partial
 * document: reset or free it. */
int json_write(const struct json *v, struct jsonw *w, struct oci_error **err);
