#include "json_edit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct json *json_new(enum json_type t)
{
	struct json *v = calloc(1, sizeof(*v));

	if (v == NULL)
		abort();
	v->type = t;
	return v;
}

struct json *json_new_string(const char *s)
{
	struct json *v = json_new(JSON_STRING);

	v->text = strdup(s);
	if (v->text == NULL)
		abort();
	v->text_len = strlen(s);
	return v;
}

static void *xreallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n, size);
	if (p == NULL)
		abort();
	return p;
}

/* Same growth as the parser's: items and keys stay parallel, keys only for objects. */
static void grow(struct json *c)
{
	if (c->len < c->cap)
		return;
	c->cap = c->cap ? c->cap * 2 : 4;
	c->items = xreallocarray(c->items, c->cap, sizeof(*c->items));
	if (c->type == JSON_OBJECT)
		c->keys = xreallocarray(c->keys, c->cap, sizeof(*c->keys));
}

int json_append(struct json *container, const char *key, struct json *v)
{
	bool object = container->type == JSON_OBJECT;
	char *k = NULL;

	if ((!object && container->type != JSON_ARRAY) || object != (key != NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (object && json_get(container, key) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (object) {
		k = strdup(key);
		if (k == NULL)
			abort();
	}
	grow(container);
	if (object)
		container->keys[container->len] = k;
	container->items[container->len++] = v;
	return 0;
}

int json_set(struct json *obj, const char *key, struct json *v)
{
	if (obj->type != JSON_OBJECT || key == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0) {
			json_free(obj->items[i]);
			obj->items[i] = v;
			return 0;
		}
	return json_append(obj, key, v);
}
