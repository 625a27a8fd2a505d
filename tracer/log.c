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

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_v(fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void log_warn_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_v(fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_v(fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!log_debug_enabled)
		return;
	va_start(ap, fmt);
	log_v(fmt, ap, 0);
	va_end(ap);
	errno = saved;
}
