/* JSON writer on yajl_gen; see jsonw.h for the contract. yajl checks little on its own (a
 * string in value position is fine to it even when we meant a key), so the nesting is
 * tracked here and every misuse is caught, not just the ones yajl notices. */
#include "jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

struct jsonw {
	yajl_gen g;
	unsigned flags;
	size_t depth;
	bool is_object[JSONW_MAX_DEPTH]; /* per open container */
	bool want_key;			 /* the innermost object expects a key next */
	bool done;			 /* the top-level value is complete */
	bool failed;
};

struct jsonw *jsonw_new(unsigned flags)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		abort();
	w->g = yajl_gen_alloc(NULL);
	if (w->g == NULL)
		abort();
	w->flags = flags;
	if (flags & JSONW_PRETTY) {
		yajl_gen_config(w->g, yajl_gen_beautify, 1);
		yajl_gen_config(w->g, yajl_gen_indent_string, "  ");
	}
	return w;
}

void jsonw_free(struct jsonw *w)
{
	if (w == NULL)
		return;
	yajl_gen_free(w->g);
	free(w);
}

static bool in_object(const struct jsonw *w) { return w->depth > 0 && w->is_object[w->depth - 1]; }

/* May a value be written now? */
static bool value_ok(struct jsonw *w)
{
	if (w->failed)
		return false;
	if (w->done || (in_object(w) && w->want_key)) {
		w->failed = true;
		return false;
	}
	return true;
}

/* Bookkeeping after a value was written (or yajl refused it). */
static void value_done(struct jsonw *w, yajl_gen_status st)
{
	if (st != yajl_gen_status_ok) {
		w->failed = true;
		return;
	}
	if (w->depth == 0)
		w->done = true;
	else if (in_object(w))
		w->want_key = true;
}

static void open_container(struct jsonw *w, bool object)
{
	yajl_gen_status st;

	if (!value_ok(w))
		return;
	if (w->depth == JSONW_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	st = object ? yajl_gen_map_open(w->g) : yajl_gen_array_open(w->g);
	if (st != yajl_gen_status_ok) {
		w->failed = true;
		return;
	}
	w->is_object[w->depth++] = object;
	w->want_key = object;
}

static void close_container(struct jsonw *w, bool object)
{
	yajl_gen_status st;

	if (w->failed)
		return;
	/* a close must match the innermost container; an object must not end after a key */
	if (w->depth == 0 || w->is_object[w->depth - 1] != object || (object && !w->want_key)) {
		w->failed = true;
		return;
	}
	st = object ? yajl_gen_map_close(w->g) : yajl_gen_array_close(w->g);
	w->depth--;
	value_done(w, st);
}

void jsonw_object_open(struct jsonw *w) { open_container(w, true); }

void jsonw_object_close(struct jsonw *w) { close_container(w, true); }

void jsonw_array_open(struct jsonw *w) { open_container(w, false); }

void jsonw_array_close(struct jsonw *w) { close_container(w, false); }

/* Classify the bytes at s (Unicode Table 3-7, "well-formed UTF-8 byte sequences"):
 * > 0: a well-formed sequence of that many bytes;
 * < 0: ill-formed, and -result bytes (the maximal subpart, at least 1) are replaced by one
 *      U+FFFD. */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	for (int i = 1; i < need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

bool jsonw_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		int r = utf8_seq(u + i, len - i);

		if (r < 0)
			return false;
		i += r;
	}
	return true;
}

size_t jsonw_utf8_sanitize(const char *s, size_t len, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		int r = utf8_seq(u + i, len - i);

		if (r > 0) {
			memcpy(out + o, s + i, r);
			o += r;
			i += r;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i += -r;
		}
	}
	return o;
}

static yajl_gen_status gen_string(struct jsonw *w, const char *s, size_t len)
{
	yajl_gen_status st;
	char *clean;

	if (jsonw_utf8_valid(s, len))
		return yajl_gen_string(w->g, (const unsigned char *)s, len);
	clean = malloc(len * 3 + 1);
	if (clean == NULL)
		abort();
	st =
	    yajl_gen_string(w->g, (const unsigned char *)clean, jsonw_utf8_sanitize(s, len, clean));
	free(clean);
	return st;
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (w->failed)
		return;
	if (!in_object(w) || !w->want_key) {
		w->failed = true;
		return;
	}
	if (gen_string(w, key, strlen(key)) != yajl_gen_status_ok)
		w->failed = true;
	w->want_key = false;
}

void jsonw_string(struct jsonw *w, const char *s, size_t len)
{
	if (value_ok(w))
		value_done(w, gen_string(w, s, len));
}

void jsonw_cstring(struct jsonw *w, const char *s) { jsonw_string(w, s, strlen(s)); }

/* Decimal digits of v, right-aligned in text[0..24): returns where they start (no printf:
 * an audit line has a dozen numbers). */
static char *decimal(uint64_t v, char text[24])
{
	char *p = text + 24;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* Numbers go in as text (yajl_gen_integer() formats with printf, and takes no uint64). */
void jsonw_int64(struct jsonw *w, int64_t v)
{
	char text[24];
	char *p = decimal(v < 0 ? -(uint64_t)v : (uint64_t)v, text);

	if (v < 0)
		*--p = '-';
	if (value_ok(w))
		value_done(w, yajl_gen_number(w->g, p, (size_t)(text + 24 - p)));
}

void jsonw_uint64(struct jsonw *w, uint64_t v)
{
	char text[24];
	char *p = decimal(v, text);

	if (value_ok(w))
		value_done(w, yajl_gen_number(w->g, p, (size_t)(text + 24 - p)));
}

void jsonw_bool(struct jsonw *w, bool v)
{
	if (value_ok(w))
		value_done(w, yajl_gen_bool(w->g, v));
}

void jsonw_null(struct jsonw *w)
{
	if (value_ok(w))
		value_done(w, yajl_gen_null(w->g));
}

void jsonw_kv_cstring(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_cstring(w, s);
}

void jsonw_kv_int64(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int64(w, v);
}

void jsonw_kv_uint64(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_uint64(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

int jsonw_finish(struct jsonw *w, const char **buf, size_t *len)
{
	const unsigned char *b;
	size_t n;

	if (w->failed || !w->done || yajl_gen_get_buf(w->g, &b, &n) != yajl_gen_status_ok) {
		errno = EINVAL;
		return -1;
	}
	/* yajl's beautifier ends the document with a newline: the caller decides */
	while (n > 0 && b[n - 1] == '\n')
		n--;
	*buf = (const char *)b;
	*len = n;
	return 0;
}

void jsonw_reset(struct jsonw *w)
{
	yajl_gen_clear(w->g);
	yajl_gen_reset(w->g, NULL);
	w->depth = 0;
	w->want_key = false;
	w->done = false;
	w->failed = false;
}
