/* JSON lines for the audit log (see jline.h). */
#include "jline.h"

#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static void reserve(struct jline *l, size_t more)
{
	if (l->len + more <= l->cap)
		return;
	l->cap = l->len + more > l->cap * 2 ? l->len + more : l->cap * 2;
	if (l->cap < 1024)
		l->cap = 1024;
	l->buf = realloc(l->buf, l->cap);
	if (l->buf == NULL)
		abort();
}

static void put(struct jline *l, const char *s, size_t n)
{
	reserve(l, n);
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void putc_(struct jline *l, char c)
{
	reserve(l, 1);
	l->buf[l->len++] = c;
}

void jline_free(struct jline *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

void jline_reset(struct jline *l)
{
	l->len = 0;
	l->comma = false;
}

/* Before a value or a key: the comma after the previous one. */
static void next(struct jline *l)
{
	if (l->comma)
		putc_(l, ',');
	l->comma = true;
}

void jline_object_open(struct jline *l)
{
	next(l);
	putc_(l, '{');
	l->comma = false;
}

void jline_object_close(struct jline *l)
{
	putc_(l, '}');
	l->comma = true;
}

void jline_array_open(struct jline *l)
{
	next(l);
	putc_(l, '[');
	l->comma = false;
}

void jline_array_close(struct jline *l)
{
	putc_(l, ']');
	l->comma = true;
}

void jline_key(struct jline *l, const char *key)
{
	next(l);
	putc_(l, '"');
	put(l, key, strlen(key));
	put(l, "\":", 2);
	l->comma = false; /* the value follows without one */
}

/* s, valid UTF-8, escaped. */
static void escaped(struct jline *l, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF"; /* as yajl writes them */

	reserve(l, len * 6);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char *o = l->buf + l->len;

		if (c >= 0x20 && c != '"' && c != '\\') {
			*o = (char)c;
			l->len++;
			continue;
		}
		o[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			o[1] = (char)c;
			break;
		case '\b':
			o[1] = 'b';
			break;
		case '\f':
			o[1] = 'f';
			break;
		case '\n':
			o[1] = 'n';
			break;
		case '\r':
			o[1] = 'r';
			break;
		case '\t':
			o[1] = 't';
			break;
		default:
			memcpy(o + 1, "u00", 3);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			l->len += 6;
			continue;
		}
		l->len += 2;
	}
}

static bool ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

void jline_string(struct jline *l, const char *s, size_t len)
{
	next(l);
	putc_(l, '"');
	if (ascii(s, len)) {
		escaped(l, s, len);
	} else {
		char *clean = malloc(len * 3 + 1);

		if (clean == NULL)
			abort();
		escaped(l, clean, jsonw_utf8_sanitize(s, len, clean));
		free(clean);
	}
	putc_(l, '"');
}

void jline_cstring(struct jline *l, const char *s) { jline_string(l, s, strlen(s)); }

static void digits(struct jline *l, bool minus, uint64_t v)
{
	char text[24], *p = text + sizeof(text);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (minus)
		*--p = '-';
	next(l);
	put(l, p, (size_t)(text + sizeof(text) - p));
}

void jline_int64(struct jline *l, int64_t v)
{
	digits(l, v < 0, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void jline_uint64(struct jline *l, uint64_t v) { digits(l, false, v); }

void jline_bool(struct jline *l, bool v)
{
	next(l);
	put(l, v ? "true" : "false", v ? 4 : 5);
}

void jline_null(struct jline *l)
{
	next(l);
	put(l, "null", 4);
}

void jline_kv_cstring(struct jline *l, const char *key, const char *s)
{
	jline_key(l, key);
	jline_cstring(l, s);
}

void jline_kv_int64(struct jline *l, const char *key, int64_t v)
{
	jline_key(l, key);
	jline_int64(l, v);
}

void jline_kv_uint64(struct jline *l, const char *key, uint64_t v)
{
	jline_key(l, key);
	jline_uint64(l, v);
}
