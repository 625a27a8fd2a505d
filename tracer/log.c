#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *log_progname = "octrace";
bool log_debug_enabled;

static void log_v(const char *fmt, va_list ap, int errnum)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", log_progname, line, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", log_progname, line);
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
