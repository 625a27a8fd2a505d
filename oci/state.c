/* Parsing the OCI state (runtime spec "State") and the parts of config.json a hook uses. */
#include "xalloc.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "json.h"

#define OCI_CONFIG_MAX_SIZE (16u << 20)

static void kv_free(struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void oci_state_free(struct oci_state *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->bundle);
	free(s->status);
	kv_free(s->annotations, s->n_annotations);
	free(s);
}

void oci_bundle_config_free(struct oci_bundle_config *c)
{
	if (c == NULL)
		return;
	kv_free(c->annotations, c->n_annotations);
	for (size_t i = 0; i < c->n_namespaces; i++) {
		free(c->namespaces[i].type);
		free(c->namespaces[i].path);
	}
	free(c->namespaces);
	free(c);
}

const char *oci_annotation(const struct oci_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

/* Required string member; "NAME: KEY: missing" or "...: expected a string, got X". */
static int member_string(const struct json *obj, const char *key, bool required, char **out,
			 struct oci_error **err)
{
	const struct json *v = json_get(obj, key);
	const char *s;

	if (v == NULL || v->type == JSON_NULL) {
		if (required)
			return oci_fail(err, EINVAL, "%s: missing", key);
		return 0;
	}
	if (json_string(v, &s, err) < 0)
		return oci_error_wrap(err, "%s", key);
	if (strlen(s) != v->text_len)
		return oci_fail(err, EINVAL, "%s: contains a NUL byte", key);
	*out = xstrdup(s);
	return 0;
}

/* "annotations": an object of strings, as the spec says. */
static int parse_annotations(const struct json *doc, struct oci_kv **out, size_t *n,
			     struct oci_error **err)
{
	const struct json *a = json_get(doc, "annotations");

	if (a == NULL || a->type == JSON_NULL)
		return 0;
	if (json_expect(a, JSON_OBJECT, err) < 0)
		return oci_error_wrap(err, "annotations");
	struct oci_kv *kv = calloc(a->len + 1, sizeof(*kv));

	if (kv == NULL)
		abort();
	for (size_t i = 0; i < a->len; i++) {
		const char *s;

		if (json_string(a->items[i], &s, err) < 0) {
			cleanup_free char *path = json_path_key("annotations", a->keys[i]);

			kv_free(kv, i);
			return oci_error_wrap(err, "%s", path);
		}
		kv[i].key = xstrdup(a->keys[i]);
		kv[i].value = xstrdup(s);
	}
	*out = kv;
	*n = a->len;
	return 0;
}

static int parse_state_doc(struct oci_state *s, const struct json *doc, struct oci_error **err)
{
	const struct json *pid = json_get(doc, "pid");
	uint64_t v;

	if (json_expect(doc, JSON_OBJECT, err) < 0)
		return -1;
	if (member_string(doc, "id", true, &s->id, err) < 0 ||
	    member_string(doc, "bundle", true, &s->bundle, err) < 0 ||
	    member_string(doc, "status", false, &s->status, err) < 0)
		return -1;
	if (pid == NULL)
		return oci_fail(err, EINVAL, "pid: missing");
	if (json_uint(pid, 0x3fffffff, &v, err) < 0)
		return oci_error_wrap(err, "pid");
	if (v == 0)
		return oci_fail(err, EINVAL, "pid: 0 is not a process");
	if (*s->id == '\0')
		return oci_fail(err, EINVAL, "id: empty");
	if (s->bundle[0] != '/')
		return oci_fail(err, EINVAL, "bundle: not an absolute path");
	s->pid = (pid_t)v;
	return parse_annotations(doc, &s->annotations, &s->n_annotations, err);
}

int oci_state_parse(const char *name, const char *buf, size_t len, struct oci_state **out,
		    struct oci_error **err)
{
	cleanup_json struct json *doc = NULL;
	cleanup_oci_state struct oci_state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	if (json_parse(buf, len, &doc, err) < 0 || parse_state_doc(s, doc, err) < 0)
		return oci_error_wrap(err, "%s", name);
	*out = steal_pointer(&s);
	return 0;
}

/* linux.namespaces[i].KEY, a string (absent: NULL, unless required). */
static int namespace_member(const struct json *item, size_t i, const char *key, bool required,
			    char **out, struct oci_error **err)
{
	cleanup_free char *entry = json_path_index("linux.namespaces", i);
	cleanup_free char *path = json_path_key(entry, key);
	const struct json *v = json_get(item, key);
	const char *s;

	if (v == NULL || v->type == JSON_NULL)
		return required ? oci_fail(err, EINVAL, "%s: missing", path) : 0;
	if (json_string(v, &s, err) < 0)
		return oci_error_wrap(err, "%s", path);
	if (strlen(s) != v->text_len)
		return oci_fail(err, EINVAL, "%s: contains a NUL byte", path);
	*out = xstrdup(s);
	return 0;
}

/* linux.namespaces: objects with a string "type" and, optionally, a string "path". */
static int parse_namespaces(const struct json *linux_obj, struct oci_bundle_config *c,
			    struct oci_error **err)
{
	const struct json *ns = json_get(linux_obj, "namespaces");

	if (ns == NULL || ns->type == JSON_NULL)
		return 0;
	if (json_expect(ns, JSON_ARRAY, err) < 0)
		return oci_error_wrap(err, "linux.namespaces");
	c->namespaces = calloc(ns->len + 1, sizeof(*c->namespaces));
	if (c->namespaces == NULL)
		abort();
	for (size_t i = 0; i < ns->len; i++) {
		struct oci_namespace *n = &c->namespaces[c->n_namespaces++];

		if (json_expect(ns->items[i], JSON_OBJECT, err) < 0) {
			cleanup_free char *entry = json_path_index("linux.namespaces", i);

			return oci_error_wrap(err, "%s", entry);
		}
		if (namespace_member(ns->items[i], i, "type", true, &n->type, err) < 0 ||
		    namespace_member(ns->items[i], i, "path", false, &n->path, err) < 0)
			return -1;
		if (n->path && n->path[0] == '\0') {
			free(n->path);
			n->path = NULL;
		}
	}
	return 0;
}

static int parse_config_doc(struct oci_bundle_config *c, const struct json *doc,
			    struct oci_error **err)
{
	const struct json *linux_obj;

	if (json_expect(doc, JSON_OBJECT, err) < 0)
		return -1;
	linux_obj = json_get(doc, "linux");
	if (linux_obj && linux_obj->type != JSON_NULL && json_expect(linux_obj, JSON_OBJECT, err) < 0)
		return oci_error_wrap(err, "linux");
	const struct json *seccomp = json_get(linux_obj, "seccomp");

	c->has_seccomp = seccomp && seccomp->type != JSON_NULL;
	if (parse_namespaces(linux_obj, c, err) < 0)
		return -1;
	return parse_annotations(doc, &c->annotations, &c->n_annotations, err);
}

int oci_bundle_config_parse(const char *name, const char *buf, size_t len,
			    struct oci_bundle_config **out, struct oci_error **err)
{
	cleanup_json struct json *doc = NULL;
	cleanup_oci_bundle_config struct oci_bundle_config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	if (json_parse(buf, len, &doc, err) < 0 || parse_config_doc(c, doc, err) < 0)
		return oci_error_wrap(err, "%s", name);
	*out = steal_pointer(&c);
	return 0;
}

int oci_bundle_config_load(const char *path, struct oci_bundle_config **out,
			   struct oci_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t len;

	if (fd < 0 || oci_read_fd(fd, OCI_CONFIG_MAX_SIZE, &buf, &len) < 0)
		return oci_fail(err, errno, "%s: cannot read: %s", path, strerror(errno));
	return oci_bundle_config_parse(path, buf, len, out, err);
}
