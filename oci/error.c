#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence at p (1-4) if it is a valid one and not a C1 control
 * (U+0080-U+009F), else 0. Overlong forms, surrogates and values past U+10FFFF are invalid. */
static size_t utf8_printable_len(const unsigned char *p)
{
	size_t n;
	unsigned cp;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

char *oci_escape_controls(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(4 * strlen(s) + 1), *o = out;

	if (out == NULL)
		abort();
	while (*p) {
		size_t n = utf8_printable_len(p);

		if (n > 0) {
			memcpy(o, p, n);
			o += n;
			p += n;
			continue;
		}
		*o++ = '\\';
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*o++ = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		else
			o += sprintf(o, "x%02x", *p);
		p++;
	}
	*o = '\0';
	return out;
}

/* msg is replaced by its one-line form. */
static char *one_line(char *msg)
{
	char *escaped = oci_escape_controls(msg);

	free(msg);
	return escaped;
}

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
	e->msg = one_line(e->msg);
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
	(*err)->msg = one_line(msg);
	return -1;
}

void oci_error_free(struct oci_error *err)
{
	if (err == NULL)
		return;
	free(err->msg);
	free(err);
}
