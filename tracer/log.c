#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const char *log_progname = "octrace";
bool log_debug_enabled;

/* One line, whatever the arguments hold (a container id, a path): see oci_escape_controls(). */
static void log_v(const char *fmt, va_list ap, int errnum)
{
	char line[1024];
	char *text;

	vsnprintf(line, sizeof(line), fmt, ap);
	text = oci_escape_controls(line);
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", log_progname, text, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", log_progname, text);
	free(text);
}

/* log_warn() and log_info() differ in meaning, not in form: a line on stderr. */
#define LOG_LINE(fmt, errnum)                                                                  \
	do {                                                                                   \
		int saved_ = errno;                                                            \
		va_list ap_;                                                                   \
		va_start(ap_, fmt);                                                            \
		log_v(fmt, ap_, errnum);                                                       \
		va_end(ap_);                                                                   \
		errno = saved_;                                                                \
	} while (0)

void log_warn(const char *fmt, ...)
{
	LOG_LINE(fmt, 0);
}

void log_warn_errno(const char *fmt, ...)
{
	LOG_LINE(fmt, errno);
}

void log_info(const char *fmt, ...)
{
	LOG_LINE(fmt, 0);
}

void log_debug(const char *fmt, ...)
{
	if (log_debug_enabled)
		LOG_LINE(fmt, 0);
}
