/* Checks shared by the targets that write JSON back (config, runtime). */
#pragma once

#include "fuzz.h"
#include "json.h"

/* Write `doc` as octrace-runtime writes a config.json; parse the text again and write that:
 * the second text must equal the first (what we write, we read back as written). Returns the
 * re-parsed tree (NULL when the document cannot be written, which must come with a
 * message). */
struct json *fuzz_json_round_trip(const struct json *doc);
