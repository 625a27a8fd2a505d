/* JSON tree on top of yajl's callback parser; see json.h for why callbacks. */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cleanup.h"
#include "jsonw.h"

/* Longest piece of user text quoted into a message. */
#define JSON_QUOTE_MAX 100

struct parser {
	struct json *stack[JSON_MAX_DEPTH]; /* open containers, borrowed from root */
	size_t depth;
	struct json *root; /* owned */
	char *key;	   /* owned; member name waiting for its value */
	size_t key_len;
	struct oci_error *err; /* owned; why a callback stopped the parse */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t len)
{
	char *d = xrealloc(NULL, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void json_free(struct json *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->len; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	free(v);
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {
	    [JSON_NULL] = "null",     [JSON_BOOL] = "boolean", [JSON_NUMBER] = "number",
	    [JSON_STRING] = "string", [JSON_ARRAY] = "array",  [JSON_OBJECT] = "object",
	};

	return names[t];
}

/* Escape user text for a one-line message: quotes, backslashes and control characters
 * become JSON escapes, and very long text is cut. */
char *json_quote(const char *s, size_t len)
{
	size_t n = len > JSON_QUOTE_MAX ? JSON_QUOTE_MAX : len;
	char *out = xrealloc(NULL, n * 6 + 8), *o = out;

	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			o += sprintf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = c;
	}
	*o++ = '"';
	if (n < len)
		o += sprintf(o, "...");
	*o = '\0';
	return out;
}

static bool is_identifier(const char *key)
{
	if (!isalpha((unsigned char)key[0]) && key[0] != '_')
		return false;
	for (const char *c = key; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return false;
	return true;
}

char *json_path_key(const char *parent, const char *key)
{
	cleanup_free char *quoted = NULL;
	char *path;
	int rc;

	if (is_identifier(key)) {
		rc = asprintf(&path, "%s%s%s", parent, *parent ? "." : "", key);
	} else {
		quoted = json_quote(key, strlen(key));
		rc = asprintf(&path, "%s[%s]", parent, quoted);
	}
	if (rc < 0)
		abort();
	return path;
}

char *json_path_index(const char *parent, size_t index)
{
	char *path;

	if (asprintf(&path, "%s[%zu]", parent, index) < 0)
		abort();
	return path;
}

/* Path of the innermost open container: each open container is the last item of the one
 * below it on the stack, which is how it is named. */
static char *parser_path(const struct parser *p)
{
	char *path = xstrndup("", 0);

	for (size_t i = 1; i < p->depth; i++) {
		const struct json *up = p->stack[i - 1];
		char *next = up->type == JSON_OBJECT ? json_path_key(path, up->keys[up->len - 1])
						     : json_path_index(path, up->len - 1);

		free(path);
		path = next;
	}
	return path;
}

/* Record why the parse stops, naming the innermost open container; returns 0, which tells
 * yajl to stop. */
static int parser_fail(struct parser *p, const char *problem)
{
	cleanup_free char *path = parser_path(p);

	if (*path)
		oci_fail(&p->err, EINVAL, "%s: %s", path, problem);
	else
		oci_fail(&p->err, EINVAL, "%s", problem);
	return 0;
}

static void append(struct json *parent, struct json *v, char *key)
{
	if (parent->len == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->items = xrealloc(parent->items, parent->cap * sizeof(*parent->items));
		if (parent->type == JSON_OBJECT)
			parent->keys = xrealloc(parent->keys, parent->cap * sizeof(*parent->keys));
	}
	if (parent->type == JSON_OBJECT)
		parent->keys[parent->len] = key;
	parent->items[parent->len++] = v;
}

/* Hang a new value under the innermost open container (or make it the root); containers
 * are then opened. Returns the yajl "continue" flag. */
static int add_value(struct parser *p, struct json *v)
{
	if (p->depth == 0) {
		p->root = v;
	} else {
		append(p->stack[p->depth - 1], v, p->key);
		p->key = NULL;
	}
	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return 1;
	if (p->depth == JSON_MAX_DEPTH)
		return parser_fail(p, "nested more than " JSON_MAX_DEPTH_TEXT " levels deep");
	p->stack[p->depth++] = v;
	return 1;
}

static struct json *new_value(enum json_type t)
{
	struct json *v = xrealloc(NULL, sizeof(*v));

	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

static struct json *new_text(enum json_type t, const unsigned char *s, size_t len)
{
	struct json *v = new_value(t);

	v->text = xstrndup((const char *)s, len);
	v->text_len = len;
	return v;
}

static int on_null(void *ctx) { return add_value(ctx, new_value(JSON_NULL)); }

static int on_boolean(void *ctx, int b)
{
	struct json *v = new_value(JSON_BOOL);

	v->boolean = b;
	return add_value(ctx, v);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	return add_value(ctx, new_text(JSON_NUMBER, (const unsigned char *)s, len));
}

/* yajl's check lets overlong forms and surrogates through; they would not be written back
 * byte for byte (jsonw makes ill-formed text U+FFFD), so they are refused like the bytes
 * yajl refuses itself. */
static const char bad_utf8[] = "invalid bytes in UTF-8 string (overlong form or surrogate)";

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	if (!jsonw_utf8_valid((const char *)s, len))
		return parser_fail(ctx, bad_utf8);
	return add_value(ctx, new_text(JSON_STRING, s, len));
}

static int on_start_map(void *ctx) { return add_value(ctx, new_value(JSON_OBJECT)); }

static int on_start_array(void *ctx) { return add_value(ctx, new_value(JSON_ARRAY)); }

static int on_end(void *ctx)
{
	struct parser *p = ctx;

	p->depth--;
	return 1;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct parser *p = ctx;
	const struct json *obj = p->stack[p->depth - 1];

	if (!jsonw_utf8_valid((const char *)key, len))
		return parser_fail(p, bad_utf8);
	for (size_t i = 0; i < obj->len; i++) {
		if (strlen(obj->keys[i]) == len && memcmp(obj->keys[i], key, len) == 0) {
			cleanup_free char *quoted = json_quote((const char *)key, len);
			cleanup_free char *problem = NULL;

			if (asprintf(&problem, "duplicate key %s", quoted) < 0)
				abort();
			return parser_fail(p, problem);
		}
	}
	free(p->key);
	p->key = xstrndup((const char *)key, len);
	return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

/* yajl's own short reason, on one line, with the position it stopped at. */
static int syntax_error(yajl_handle h, const char *buf, size_t len, size_t off,
			struct oci_error **err)
{
	unsigned char *reason = yajl_get_error(h, 0, (const unsigned char *)buf, len);
	size_t line = 1, col = 1, n = strlen((char *)reason);

	while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == ' '))
		reason[--n] = '\0';
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	oci_fail(err, EINVAL, "line %zu, column %zu: malformed JSON: %s", line, col,
		 (char *)reason);
	yajl_free_error(h, reason);
	return -1;
}

static int run_parser(yajl_handle h, struct parser *p, const char *buf, size_t len,
		      struct oci_error **err)
{
	yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
	/* Where it stopped: yajl counts the offending byte as consumed; yajl_complete_parse()
	 * only fails at the end ("premature EOF"). */
	size_t used = yajl_get_bytes_consumed(h);
	size_t off = st == yajl_status_ok ? len : used > 0 ? used - 1 : 0;

	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_ok)
		return 0;
	if (p->err != NULL) {
		*err = steal_pointer(&p->err);
		return -1;
	}
	return syntax_error(h, buf, len, off, err);
}

int json_parse(const char *buf, size_t len, struct json **out, struct oci_error **err)
{
	struct parser p = {.depth = 0};
	yajl_handle h = yajl_alloc(&callbacks, NULL, &p);
	int rc;

	if (h == NULL)
		abort();
	rc = run_parser(h, &p, buf, len, err);
	yajl_free(h);
	free(p.key);
	oci_error_free(p.err);
	if (rc < 0) {
		json_free(p.root);
		return rc;
	}
	*out = p.root;
	return 0;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

int json_expect(const struct json *v, enum json_type t, struct oci_error **err)
{
	const char *article = (t == JSON_ARRAY || t == JSON_OBJECT) ? "an" : "a";

	if (v->type == t)
		return 0;
	return oci_fail(err, EINVAL, "expected %s %s, got %s", article, json_type_name(t),
			json_type_name(v->type));
}

int json_string(const struct json *v, const char **out, struct oci_error **err)
{
	if (json_expect(v, JSON_STRING, err) < 0)
		return -1;
	if (strlen(v->text) != v->text_len)
		return oci_fail(err, EINVAL, "string contains a NUL character");
	*out = v->text;
	return 0;
}

/* Digits only, with overflow detection; "-", fractions and exponents are handled by the
 * caller. */
static bool parse_digits(const char *s, uint64_t *out)
{
	uint64_t n = 0;

	for (; *s; s++) {
		unsigned d = *s - '0';

		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

int json_uint(const struct json *v, uint64_t max, uint64_t *out, struct oci_error **err)
{
	uint64_t n;

	if (json_expect(v, JSON_NUMBER, err) < 0)
		return -1;
	if (strpbrk(v->text, ".eE") != NULL)
		return oci_fail(err, EINVAL, "expected an integer, got %s", v->text);
	if (v->text[0] == '-' || !parse_digits(v->text, &n) || n > max)
		return oci_fail(err, ERANGE, "%s is out of range (0-%" PRIu64 ")", v->text, max);
	*out = n;
	return 0;
}
