/* Reading whole inputs (policy files, config.json, the state on stdin), bounded. */
#pragma once

#include <stddef.h>

/* Read fd to its end (pipes and /proc files too, whose st_size means nothing), at most `max`
 * bytes (EFBIG beyond). *out is NUL-terminated, *out_len excludes the NUL. 0, or -1 with
 * errno. */
int oci_read_fd(int fd, size_t max, char **out, size_t *out_len);

/* Write all of buf (short writes and EINTR retried). 0, or -1 with errno. */
int oci_write_all(int fd, const char *buf, size_t len);
