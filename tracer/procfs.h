/* Reading /proc/PID/status, the one /proc file the tracer reads per task (and only when it
 * must: a new task's thread group for audit, TracerPid in a seize race, NSpid in the hook). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The value of "KEY:" in /proc/PID/status, without leading blanks or the newline.
 * 0 when found, 1 when the file has no such line, -1 (errno) when it cannot be read: the
 * task is gone. */
int proc_status_field(pid_t pid, const char *key, char *out, size_t size);
