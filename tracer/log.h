/* Diagnostics. Every helper preserves errno (conmon's rule), prints one line prefixed by the
 * program name, and never exits: only main() decides to stop. */
#pragma once

#include <stdbool.h>

extern const char *log_progname;
extern bool log_debug_enabled;

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Something the log should say that is not a problem (an event of the daemon's life). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_warn() with ": strerror(errno)" appended. */
void log_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
