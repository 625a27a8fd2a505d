/* SHA-256 (FIPS 180-4), for names derived from untrusted text (hook_logs.c): a name must not
 * be chosen to collide with another's. Small inputs only; one call. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_SIZE 32

void sha256(const void *data, size_t len, uint8_t out[SHA256_SIZE]);
