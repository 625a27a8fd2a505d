#include "json_write.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* Is the raw number text (JSON syntax, checked by the parser) a plain integer? */
static bool is_integer_text(const char *s, size_t len)
{
	size_t i = s[0] == '-';

	if (i == len)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Through int64/uint64, which jsonw writes as exact decimal text: for JSON's integer syntax
 * (no '+', no leading zeros) the digits that come out are the digits that went in, except
 * that "-0" becomes "0". strto*() never see anything but an optional '-' and digits. */
static int write_number(const struct json *v, struct jsonw *w, struct oci_error **err)
{
	const char *end_want = v->text + v->text_len;
	char *end = NULL;

	errno = 0;
	if (is_integer_text(v->text, v->text_len) && v->text[0] == '-') {
		long long n = strtoll(v->text, &end, 10);

		if (errno == 0 && end == end_want)
			jsonw_int64(w, n);
	} else if (is_integer_text(v->text, v->text_len)) {
		unsigned long long n = strtoull(v->text, &end, 10);

		if (errno == 0 && end == end_want)
			jsonw_uint64(w, n);
	}
	if (errno == 0 && end == end_want)
		return 0;
	return oci_fail(err, ERANGE,
			"the number %.64s cannot be written back exactly (only integers from "
			"-2^63 to 2^64-1 can)",
			v->text);
}

static int write_value(const struct json *v, struct jsonw *w, const char *path, size_t depth,
		       struct oci_error **err);

/* Members and items carry their JSON path down, so that a failure deep inside says where. */
static int write_children(const struct json *v, struct jsonw *w, const char *path, size_t depth,
			  struct oci_error **err)
{
	for (size_t i = 0; i < v->len; i++) {
		cleanup_free char *sub =
		    v->keys ? json_path_key(path, v->keys[i]) : json_path_index(path, i);

		if (v->keys)
			jsonw_key(w, v->keys[i]);
		if (write_value(v->items[i], w, sub, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

static int write_container(const struct json *v, struct jsonw *w, const char *path, size_t depth,
			   struct oci_error **err)
{
	bool object = v->type == JSON_OBJECT;

	if (depth >= JSONW_MAX_DEPTH) {
		oci_fail(err, E2BIG, "nested more than %d levels deep", JSONW_MAX_DEPTH);
		return *path ? oci_error_wrap(err, "%s", path) : -1;
	}
	if (object)
		jsonw_object_open(w);
	else
		jsonw_array_open(w);
	if (write_children(v, w, path, depth, err) < 0)
		return -1;
	if (object)
		jsonw_object_close(w);
	else
		jsonw_array_close(w);
	return 0;
}

static int write_value(const struct json *v, struct jsonw *w, const char *path, size_t depth,
		       struct oci_error **err)
{
	int rc = 0;

	switch (v->type) {
	case JSON_NULL:
		jsonw_null(w);
		break;
	case JSON_BOOL:
		jsonw_bool(w, v->boolean);
		break;
	case JSON_STRING:
		jsonw_string(w, v->text, v->text_len);
		break;
	case JSON_NUMBER:
		rc = write_number(v, w, err);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		return write_container(v, w, path, depth, err);
	}
	if (rc < 0 && *path)
		return oci_error_wrap(err, "%s", path);
	return rc;
}

int json_write(const struct json *v, struct jsonw *w, struct oci_error **err)
{
	return write_value(v, w, "", 0, err);
}
