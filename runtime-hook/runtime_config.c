#include "xalloc.h"
#include "runtime_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "json.h"

#define RUNTIME_CONFIG_MAX_SIZE (1u << 20)
/* The OCI hook timeout is a Go int in runc; a day is plenty and fits every int. */
#define HOOK_TIMEOUT_MAX 86400

/* One member of an object: checks and stores its value, and names `path` in any error. */
typedef int (*member_fn)(struct runtime_config *c, const struct json *v, const char *path,
			 struct oci_error **err);

struct member {
	const char *key;
	member_fn parse;
};

static void set_string(char **field, const char *s)
{
	free(*field);
	*field = xstrdup(s);
}

/* Text of the file in a message: quoted and escaped (one line, bounded). */
static char *quoted(const char *s)
{
	return json_quote(s, strlen(s));
}

static int string_at(const struct json *v, const char *path, const char **out,
		     struct oci_error **err)
{
	if (json_string(v, out, err) < 0)
		return oci_error_wrap(err, "%s", path);
	if (**out == '\0')
		return oci_fail(err, EINVAL, "%s: must not be empty", path);
	return 0;
}

static int parse_members(struct runtime_config *c, const struct json *obj, const char *path,
			 const struct member *t, size_t n, struct oci_error **err);

/* A bare name is looked up in PATH; a relative path would depend on the caller's cwd. */
static int parse_runtime(struct runtime_config *c, const struct json *v, const char *path,
			 struct oci_error **err)
{
	cleanup_free char *q = NULL;
	const char *s;

	if (string_at(v, path, &s, err) < 0)
		return -1;
	if (strchr(s, '/') && s[0] != '/')
		return oci_fail(err, EINVAL, "%s: %s is neither a name nor an absolute path", path,
				q = quoted(s));
	set_string(&c->runtime, s);
	return 0;
}

/* The OCI spec wants an absolute hook path; runc refuses anything else at create. */
static int parse_hook_path(struct runtime_config *c, const struct json *v, const char *path,
			   struct oci_error **err)
{
	cleanup_free char *q = NULL;
	const char *s;

	if (string_at(v, path, &s, err) < 0)
		return -1;
	if (s[0] != '/')
		return oci_fail(err, EINVAL, "%s: %s is not an absolute path", path, q = quoted(s));
	set_string(&c->hook_path, s);
	return 0;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* args[0] is argv[0]: an empty list would start the hook without one. */
static int parse_hook_args(struct runtime_config *c, const struct json *v, const char *path,
			   struct oci_error **err)
{
	char **args;
	const char *s;

	if (json_expect(v, JSON_ARRAY, err) < 0)
		return oci_error_wrap(err, "%s", path);
	if (v->len == 0)
		return oci_fail(err, EINVAL, "%s: must hold at least argv[0]", path);
	args = calloc(v->len + 1, sizeof(*args));
	if (args == NULL)
		abort();
	for (size_t i = 0; i < v->len; i++) {
		if (json_string(v->items[i], &s, err) < 0) {
			free_strv(args);
			return oci_error_wrap(err, "%s[%zu]", path, i);
		}
		args[i] = xstrdup(s);
	}
	free_strv(c->hook_args);
	c->hook_args = args;
	c->n_hook_args = v->len;
	return 0;
}

static int parse_hook_timeout(struct runtime_config *c, const struct json *v, const char *path,
			      struct oci_error **err)
{
	uint64_t t;

	if (json_uint(v, HOOK_TIMEOUT_MAX, &t, err) < 0)
		return oci_error_wrap(err, "%s", path);
	if (t == 0)
		return oci_fail(err, EINVAL, "%s: must be at least 1 (seconds)", path);
	c->hook_timeout = t;
	return 0;
}

static const struct member hook_members[] = {
    {"path", parse_hook_path},
    {"args", parse_hook_args},
    {"timeout", parse_hook_timeout},
};

static int parse_hook(struct runtime_config *c, const struct json *v, const char *path,
		      struct oci_error **err)
{
	return parse_members(c, v, path, hook_members, N_ELEMENTS(hook_members), err);
}

static int parse_trace(struct runtime_config *c, const struct json *v, const char *path,
		       struct oci_error **err)
{
	cleanup_free char *q = NULL;
	const char *s;

	if (string_at(v, path, &s, err) < 0)
		return -1;
	if (strcmp(s, "all") != 0 && strcmp(s, "annotated") != 0)
		return oci_fail(err, EINVAL, "%s: %s is not \"all\" or \"annotated\"", path,
				q = quoted(s));
	c->annotated = strcmp(s, "annotated") == 0;
	return 0;
}

static int parse_annotation(struct runtime_config *c, const struct json *v, const char *path,
			    struct oci_error **err)
{
	const char *s;

	if (string_at(v, path, &s, err) < 0)
		return -1;
	set_string(&c->annotation, s);
	return 0;
}

static const struct member top_members[] = {
    {"runtime", parse_runtime},
    {"hook", parse_hook},
    {"trace", parse_trace},
    {"annotation", parse_annotation},
};

static const struct member *find_member(const struct member *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	return NULL;
}

static int parse_members(struct runtime_config *c, const struct json *obj, const char *path,
			 const struct member *t, size_t n, struct oci_error **err)
{
	if (json_expect(obj, JSON_OBJECT, err) < 0)
		return *path ? oci_error_wrap(err, "%s", path) : -1;
	for (size_t i = 0; i < obj->len; i++) {
		cleanup_free char *sub = json_path_key(path, obj->keys[i]);
		const struct member *m = find_member(t, n, obj->keys[i]);

		if (m == NULL)
			return oci_fail(err, EINVAL, "%s: unknown key", sub);
		if (m->parse(c, obj->items[i], sub, err) < 0)
			return -1;
	}
	return 0;
}

static struct runtime_config *config_defaults(const char *default_hook)
{
	struct runtime_config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	c->runtime = xstrdup(RUNTIME_DEFAULT_RUNTIME);
	c->hook_path = default_hook ? xstrdup(default_hook) : NULL;
	c->hook_args = calloc(2, sizeof(*c->hook_args));
	if (c->hook_args == NULL)
		abort();
	c->hook_args[0] = xstrdup(RUNTIME_HOOK_NAME);
	c->n_hook_args = 1;
	c->annotation = xstrdup(RUNTIME_DEFAULT_ANNOTATION);
	return c;
}

int runtime_config_parse(const char *source, const char *buf, size_t len, const char *default_hook,
			 struct runtime_config **out, struct oci_error **err)
{
	struct runtime_config *c = config_defaults(default_hook);
	cleanup_json struct json *doc = NULL;

	if (json_parse(buf, len, &doc, err) < 0 ||
	    parse_members(c, doc, "", top_members, N_ELEMENTS(top_members), err) < 0) {
		runtime_config_free(c);
		return oci_error_wrap(err, "%s", source);
	}
	*out = c;
	return 0;
}

int runtime_config_load(const char *path, const char *default_hook, struct runtime_config **out,
			struct oci_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t len;

	if (fd < 0 && errno == ENOENT) {
		*out = config_defaults(default_hook);
		return 0;
	}
	if (fd < 0 || oci_read_fd(fd, RUNTIME_CONFIG_MAX_SIZE, &buf, &len) < 0)
		return oci_fail(err, errno, "%s: cannot read: %s", path, strerror(errno));
	return runtime_config_parse(path, buf, len, default_hook, out, err);
}

void runtime_config_free(struct runtime_config *c)
{
	if (c == NULL)
		return;
	free(c->runtime);
	free(c->hook_path);
	free_strv(c->hook_args);
	free(c->annotation);
	free(c);
}
