/* oci/jsonw.c: exact output, escaping, UTF-8 repair, 64-bit numbers, misuse caught, and
 * every document read back with oci/json.c. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "jsonw.h"
#include "tap.h"

/* The finished document as a new C string, or NULL when jsonw_finish() refuses it. */
static char *finish(struct jsonw *w)
{
	const char *buf;
	size_t len;

	if (jsonw_finish(w, &buf, &len) < 0)
		return NULL;
	return strndup(buf, len);
}

static struct json *parse(const char *doc)
{
	struct json *v = NULL;
	struct oci_error *err = NULL;

	if (doc == NULL || json_parse(doc, strlen(doc), &v, &err) < 0) {
		ok(false, "parses back: %s", err ? err->msg : "(no document)");
		oci_error_free(err);
		return NULL;
	}
	return v;
}

static void test_every_type(void)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	cleanup_free char *doc = NULL;
	cleanup_json struct json *v = NULL;

	jsonw_object_open(w);
	jsonw_kv_cstring(w, "s", "a\"b\\c\n\t\x01/");
	jsonw_kv_int64(w, "min", INT64_MIN);
	jsonw_kv_int64(w, "max", INT64_MAX);
	jsonw_kv_uint64(w, "u", UINT64_MAX);
	jsonw_kv_bool(w, "t", true);
	jsonw_kv_bool(w, "f", false);
	jsonw_key(w, "z");
	jsonw_null(w);
	jsonw_key(w, "nul");
	jsonw_string(w, "a\0b", 3);
	jsonw_key(w, "a");
	jsonw_array_open(w);
	jsonw_uint64(w, 0);
	jsonw_array_open(w);
	jsonw_array_close(w);
	jsonw_object_open(w);
	jsonw_object_close(w);
	jsonw_array_close(w);
	jsonw_object_close(w);
	doc = finish(w);
	is_str(doc,
	       "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/\",\"min\":-9223372036854775808,"
	       "\"max\":9223372036854775807,\"u\":18446744073709551615,\"t\":true,\"f\":false,"
	       "\"z\":null,\"nul\":\"a\\u0000b\",\"a\":[0,[],{}]}",
	       "every type, compact, escaped");
	if ((v = parse(doc)) == NULL)
		return;
	is_str(json_get(v, "s")->text, "a\"b\\c\n\t\x01/", "escapes read back");
	ok(json_get(v, "nul")->text_len == 3 && memcmp(json_get(v, "nul")->text, "a\0b", 3) == 0,
	   "a NUL inside a string survives");
}

static void test_uint64(void)
{
	const uint64_t values[] = {0,	      1, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1,
				   UINT64_MAX};

	for (size_t i = 0; i < N_ELEMENTS(values); i++) {
		cleanup_jsonw struct jsonw *w = jsonw_new(0);
		cleanup_free char *doc = NULL;
		cleanup_json struct json *v = NULL;
		struct oci_error *err = NULL;
		uint64_t back = 0;

		jsonw_uint64(w, values[i]);
		doc = finish(w);
		if ((v = parse(doc)) == NULL)
			continue;
		ok(json_uint(v, UINT64_MAX, &back, &err) == 0 && back == values[i],
		   "uint64 %s exact", doc);
		oci_error_free(err);
	}
}

/* One string through the writer: the JSON text of its value. */
static char *string_doc(const char *s, size_t len)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);

	jsonw_string(w, s, len);
	return finish(w);
}

static void check_utf8(const char *in, size_t len, const char *want, const char *what)
{
	cleanup_free char *doc = string_doc(in, len);
	cleanup_json struct json *v = parse(doc);

	if (v == NULL)
		return;
	ok(v->type == JSON_STRING && v->text_len == strlen(want) &&
	       memcmp(v->text, want, v->text_len) == 0,
	   "UTF-8: %s", what);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8(void)
{
	check_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		   "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "well-formed text kept as is");
	check_utf8("\xff", 1, FFFD, "a byte that never starts a sequence");
	check_utf8("a\xc3", 2, "a" FFFD, "a sequence cut at the end");
	check_utf8("\xc0\xaf", 2, FFFD FFFD, "overlong 2-byte: two replacements");
	check_utf8("\xe0\x80\xaf", 3, FFFD FFFD FFFD, "overlong 3-byte");
	check_utf8("\xed\xa0\x80", 3, FFFD FFFD FFFD, "a surrogate");
	check_utf8("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, "above U+10FFFF");
	check_utf8("\xf0\x9f\x98x", 4, FFFD "x", "a truncated 4-byte sequence is one U+FFFD");
	check_utf8("/tmp/\xe9t\xe9", 8, "/tmp/" FFFD "t" FFFD, "a Latin-1 path");
	check_utf8("\x80\x80", 2, FFFD FFFD, "lone continuation bytes");
}

static void test_key_sanitized(void)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	cleanup_free char *doc = NULL;

	jsonw_object_open(w);
	jsonw_kv_cstring(w, "k\xff", "v");
	jsonw_object_close(w);
	doc = finish(w);
	is_str(doc, "{\"k" FFFD "\":\"v\"}", "keys are repaired too");
}

typedef void (*misuse_fn)(struct jsonw *w);

static void value_for_key(struct jsonw *w)
{
	jsonw_object_open(w);
	jsonw_int64(w, 1);
	jsonw_object_close(w);
}

static void key_in_array(struct jsonw *w)
{
	jsonw_array_open(w);
	jsonw_key(w, "k");
	jsonw_array_close(w);
}

static void mismatched_close(struct jsonw *w)
{
	jsonw_array_open(w);
	jsonw_object_close(w);
}

static void dangling_key(struct jsonw *w)
{
	jsonw_object_open(w);
	jsonw_key(w, "k");
	jsonw_object_close(w);
}

static void two_documents(struct jsonw *w)
{
	jsonw_int64(w, 1);
	jsonw_int64(w, 2);
}

static void unfinished(struct jsonw *w) { jsonw_array_open(w); }

static void nothing(struct jsonw *w) { (void)w; }

static void too_deep(struct jsonw *w)
{
	for (int i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw_array_open(w);
	for (int i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw_array_close(w);
}

static void close_at_top(struct jsonw *w) { jsonw_object_close(w); }

static void test_misuse(void)
{
	static const struct {
		misuse_fn fn;
		const char *what;
	} cases[] = {
	    {value_for_key, "a value where a key is due"},
	    {key_in_array, "a key inside an array"},
	    {mismatched_close, "closing an array as an object"},
	    {dangling_key, "an object closed after a key"},
	    {two_documents, "a second top-level value"},
	    {unfinished, "an unclosed array"},
	    {nothing, "an empty document"},
	    {too_deep, "nesting deeper than JSONW_MAX_DEPTH"},
	    {close_at_top, "a close with nothing open"},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		cleanup_jsonw struct jsonw *w = jsonw_new(0);
		cleanup_free char *doc = NULL;
		const char *buf = "sentinel";
		size_t len = 42;

		cases[i].fn(w);
		errno = 0;
		ok(jsonw_finish(w, &buf, &len) < 0 && errno == EINVAL &&
		       strcmp(buf, "sentinel") == 0 && len == 42,
		   "refused, outputs untouched: %s", cases[i].what);
		jsonw_reset(w);
		jsonw_array_open(w);
		jsonw_cstring(w, "again");
		jsonw_array_close(w);
		doc = finish(w);
		is_str(doc, "[\"again\"]", "usable after jsonw_reset: %s", cases[i].what);
	}
}

static void test_depth_limit(void)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	cleanup_free char *doc = NULL;
	cleanup_json struct json *v = NULL;

	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_array_open(w);
	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_array_close(w);
	doc = finish(w);
	ok(doc != NULL && strlen(doc) == 2 * JSONW_MAX_DEPTH, "exactly JSONW_MAX_DEPTH levels");
	v = parse(doc);
}

static void test_reset_reuses(void)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);

	for (int i = 0; i < 3; i++) {
		cleanup_free char *doc = NULL;
		char want[32];

		jsonw_reset(w);
		jsonw_object_open(w);
		jsonw_kv_int64(w, "n", i);
		jsonw_object_close(w);
		doc = finish(w);
		snprintf(want, sizeof(want), "{\"n\":%d}", i);
		is_str(doc, want, "document %d after reset holds only itself", i);
	}
}

static void test_pretty(void)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	cleanup_free char *doc = NULL;
	cleanup_json struct json *v = NULL;

	jsonw_object_open(w);
	jsonw_key(w, "names");
	jsonw_array_open(w);
	jsonw_cstring(w, "read");
	jsonw_cstring(w, "write");
	jsonw_array_close(w);
	jsonw_object_close(w);
	doc = finish(w);
	is_str(doc, "{\n  \"names\": [\n    \"read\",\n    \"write\"\n  ]\n}",
	       "pretty: two-space indent, no trailing newline");
	v = parse(doc);
	ok(v && json_get(v, "names")->len == 2, "pretty output parses");
}

static void test_sanitize_direct(void)
{
	char out[32];
	size_t n = jsonw_utf8_sanitize("a\xffz", 3, out);

	ok(n == 5 && memcmp(out, "a" FFFD "z", 5) == 0, "jsonw_utf8_sanitize: 3 bytes per bad one");
}

int main(void)
{
	test_every_type();
	test_uint64();
	test_utf8();
	test_key_sanitized();
	test_misuse();
	test_depth_limit();
	test_reset_reuses();
	test_pretty();
	test_sanitize_direct();
	return tap_done();
}
