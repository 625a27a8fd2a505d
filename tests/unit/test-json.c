/* oci/json.c: the tree, raw numbers, duplicate keys, positions of syntax errors. */
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "tap.h"

/* The message of a failing parse (caller frees), NULL when it parses. */
static char *parse_error(const char *doc, size_t len)
{
	struct json *v = (struct json *)&v; /* must stay untouched on error */
	struct json *sentinel = v;
	struct oci_error *err = NULL;
	char *msg;

	if (json_parse(doc, len, &v, &err) == 0) {
		json_free(v);
		return NULL;
	}
	ok(v == sentinel && err != NULL, "nothing returned on error for %s", doc);
	msg = strdup(err->msg);
	oci_error_free(err);
	return msg;
}

static void check_error(const char *doc, const char *want)
{
	cleanup_free char *msg = parse_error(doc, strlen(doc));

	is_str(msg, want, "json error for %s", doc);
}

static void test_tree(void)
{
	const char *doc = "{\"s\":\"a\\u0041\\n\",\"n\":-12.5e3,\"t\":true,\"f\":false,\"z\":null,"
			  "\"arr\":[1,[2],{}],\"o\":{\"k\":\"v\"}}";
	cleanup_json struct json *v = NULL;
	struct oci_error *err = NULL;
	const struct json *arr;

	if (!ok(json_parse(doc, strlen(doc), &v, &err) == 0, "parses a document of every type"))
		return;
	ok(v->type == JSON_OBJECT && v->len == 7, "object with 7 members");
	is_str(json_get(v, "s")->text, "aA\n", "string with escapes");
	is_str(json_get(v, "n")->text, "-12.5e3", "number kept as raw text");
	ok(json_get(v, "t")->boolean && !json_get(v, "f")->boolean, "booleans");
	ok(json_get(v, "z")->type == JSON_NULL, "null");
	arr = json_get(v, "arr");
	ok(arr->type == JSON_ARRAY && arr->len == 3 && arr->items[1]->items[0]->type == JSON_NUMBER,
	   "nested arrays");
	is_str(json_get(json_get(v, "o"), "k")->text, "v", "nested object lookup");
	ok(json_get(v, "missing") == NULL && json_get(arr, "s") == NULL,
	   "json_get: NULL for a missing key or a non-object");
	is_str(v->keys[5], "arr", "members keep their order");
}

static void check_uint(const char *num, uint64_t max, const char *want_err, uint64_t want)
{
	cleanup_json struct json *v = NULL;
	struct oci_error *err = NULL;
	uint64_t n = 0;

	if (json_parse(num, strlen(num), &v, &err) < 0) {
		ok(false, "parse %s: %s", num, err->msg);
		oci_error_free(err);
		return;
	}
	if (json_uint(v, max, &n, &err) < 0) {
		is_str(err->msg, want_err, "json_uint(%s)", num);
		oci_error_free(err);
		return;
	}
	ok(want_err == NULL && n == want, "json_uint(%s) = %ju", num, (uintmax_t)n);
}

static void test_numbers(void)
{
	check_uint("18446744073709551615", UINT64_MAX, NULL, UINT64_MAX);
	check_uint("18446744073709551616", UINT64_MAX,
		   "18446744073709551616 is out of range (0-18446744073709551615)", 0);
	check_uint("99999999999999999999999", UINT64_MAX,
		   "99999999999999999999999 is out of range (0-18446744073709551615)", 0);
	check_uint("9223372036854775808", UINT64_MAX, NULL, 9223372036854775808u);
	check_uint("0", 5, NULL, 0);
	check_uint("5", 5, NULL, 5);
	check_uint("6", 5, "6 is out of range (0-5)", 0);
	check_uint("-1", 5, "-1 is out of range (0-5)", 0);
	check_uint("1.0", 5, "expected an integer, got 1.0", 0);
	check_uint("1e2", 500, "expected an integer, got 1e2", 0);
	check_uint("\"1\"", 5, "expected a number, got string", 0);
	check_uint("[]", 5, "expected a number, got array", 0);
}

static void test_errors(void)
{
	char deep[2 * JSON_MAX_DEPTH + 8];

	check_error("{\"a\":1,\"b\":2,\"a\":3}", "duplicate key \"a\"");
	check_error("{\"x\":[{\"y\":{\"a\":1,\"a\":1}}]}", "x[0].y: duplicate key \"a\"");
	check_error("{\"an\":{\"io.k8s/x\":{\"a\":1,\"a\":2}}}",
		    "an[\"io.k8s/x\"]: duplicate key \"a\"");
	check_error("{\"a\\n\":1,\"a\\n\":2}", "duplicate key \"a\\u000a\"");
	check_error("{\"a\":{}, \"b\":{\"a\":1}, \"c\":[{\"a\":1},{\"a\":1}]}", NULL);
	check_error("", "line 1, column 1: malformed JSON: parse error: premature EOF");
	check_error("[1,2", "line 1, column 5: malformed JSON: parse error: premature EOF");
	check_error("{\n  \"a\": 1,\n    x\n}",
		    "line 3, column 5: malformed JSON: lexical error: invalid char in json text.");
	check_error("{\"a\":1} x",
		    "line 1, column 9: malformed JSON: parse error: trailing garbage");
	check_error("{\"a\":1}{}",
		    "line 1, column 8: malformed JSON: parse error: trailing garbage");
	check_error(
	    "{\"a\":\"\xff\"}",
	    "line 1, column 7: malformed JSON: lexical error: invalid bytes in UTF8 string.");
	/* what yajl lets through: an overlong form, a surrogate (in a key), a truncated one */
	check_error("{\"a\":{\"b\":\"x\xc1\x9b\"}}",
		    "a: invalid bytes in UTF-8 string (overlong form or surrogate)");
	check_error("{\"k\xed\xa0\x80\":1}",
		    "invalid bytes in UTF-8 string (overlong form or surrogate)");
	check_error("[\"\xe0\x80\xaf\"]",
		    "invalid bytes in UTF-8 string (overlong form or surrogate)");
	check_error("[\"\xc3\xa9\xf0\x9f\x98\x80\"]", NULL);
	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	check_error(deep, "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
			  "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 256 "
			  "levels deep");
	/* exactly the limit: fine */
	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	deep[2 * JSON_MAX_DEPTH] = '\0';
	check_error(deep, NULL);
}

static void test_strings(void)
{
	const char doc[] = "\"a\\u0000b\"";
	cleanup_json struct json *v = NULL;
	struct oci_error *err = NULL;
	const char *s = NULL;

	if (!ok(json_parse(doc, strlen(doc), &v, &err) == 0, "a string holding U+0000 parses"))
		return;
	ok(v->text_len == 3 && v->text[1] == '\0', "its length is kept");
	ok(json_string(v, &s, &err) < 0 && s == NULL, "json_string refuses it");
	is_str(err->msg, "string contains a NUL character", "with a message");
	oci_error_free(err);
}

static void test_paths(void)
{
	cleanup_free char *a = json_path_key("", "syscalls");
	cleanup_free char *b = json_path_index(a, 3);
	cleanup_free char *c = json_path_key(b, "op");
	cleanup_free char *d = json_path_key("annotations", "io.x/y\"z");
	cleanup_free char *q = json_quote("0123456789012345678901234567890123456789012345678901"
					  "234567890123456789012345678901234567890123456789xyz",
					  103);

	is_str(c, "syscalls[3].op", "paths join keys and indexes");
	is_str(d, "annotations[\"io.x/y\\\"z\"]", "non-identifier keys are quoted");
	ok(strlen(q) == 105 && strcmp(q + 101, "\"...") == 0, "long text is cut: %s", q);
}

int main(void)
{
	test_tree();
	test_numbers();
	test_errors();
	test_strings();
	test_paths();
	return tap_done();
}
