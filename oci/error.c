#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oci_fail(struct oci_error **err, int code, const char *fmt, ...)
{
	struct oci_error *e;
	va_list ap;
	int saved = errno;

	if (err == NULL || *err != NULL)
		return -1;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort();
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	e->code = code;
	*err = e;
	errno = saved;
	return -1;
}

int oci_error_wrap(struct oci_error **err, const char *fmt, ...)
{
	char *prefix = NULL, *msg = NULL;
	va_list ap;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&msg, "%s: %s", prefix, (*err)->msg) < 0)
		abort();
	free(prefix);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

void oci_error_free(struct oci_error *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	free(err);
}
