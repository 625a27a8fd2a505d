#include "fuzz-common.h"

#include <stdlib.h>

#include "cleanup.h"
#include "json_write.h"
#include "jsonw.h"

/* A copy: jsonw's buffer is reused by the next document. */
static char *write_doc(const struct json *doc, size_t *len)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	struct oci_error *err = NULL;
	const char *buf;
	char *copy;

	if (json_write(doc, w, &err) < 0) {
		fuzz_check_error(NULL, err);
		return NULL;
	}
	fuzz_check_no_error(err);
	if (jsonw_finish(w, &buf, len) < 0) {
		fuzz_violation("json_write succeeded, jsonw_finish failed");
		return NULL;
	}
	copy = malloc(*len + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, buf, *len);
	copy[*len] = '\0';
	return copy;
}

struct json *fuzz_json_round_trip(const struct json *doc)
{
	cleanup_free char *first = NULL, *second = NULL;
	struct json *again = NULL;
	struct oci_error *err = NULL;
	size_t len1, len2;

	first = write_doc(doc, &len1);
	if (first == NULL)
		return NULL;
	if (json_parse(first, len1, &again, &err) < 0) {
		fuzz_violation("our own output does not parse: %s", err->msg);
		oci_error_free(err);
		return NULL;
	}
	second = write_doc(again, &len2);
	if (second == NULL)
		fuzz_violation("our own output parses but cannot be written again");
	else if (len1 != len2 || memcmp(first, second, len1) != 0)
		fuzz_violation("written twice, the text changed: %s -> %s", first, second);
	return again;
}
