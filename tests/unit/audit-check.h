/* The audit line format of docs/audit-format.md, checked in code: the same rules as
 * tests/audit-schema.json (required keys per event, types, allowed values, no unknown
 * keys), for audit-validate and for the unit tests, without a JSON Schema library. */
#pragma once

#include <stddef.h>

/* Check one line (without its newline). 0 when valid; otherwise -1 and *why (to free) says
 * what is wrong, naming the key: "syscall: \"args\": expected 6 items, got 5". */
int audit_check_line(const char *line, size_t len, char **why);
