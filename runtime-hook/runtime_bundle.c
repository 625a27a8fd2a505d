#include "runtime_bundle.h"

#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "json_edit.h"
#include "json_write.h"
#include "jsonw.h"
#include "policy.h"
#include "serialize.h"

/* The same bound as oci_bundle_config_load(): config.json with a large seccomp profile is
 * a few hundred KiB. */
#define CONFIG_MAX_SIZE (16u << 20)

/* Hook stages that count as "already hooked" (see runtime_bundle_add_hook()). */
static const char *const hook_stages[] = {"prestart", "createRuntime"};

/* The tree is ours to change; json_get() only hands out const pointers. */
static struct json *member(struct json *obj, const char *key)
{
	return (struct json *)json_get(obj, key);
}

int runtime_bundle_traced(const struct runtime_config *cfg, const struct json *doc,
			  struct oci_error **err)
{
	const struct json *ann = json_get(doc, "annotations");
	const struct json *v = json_get(ann, cfg->annotation);
	const char *value;

	if (!cfg->annotated)
		return 1;
	if (ann && ann->type != JSON_NULL && json_expect(ann, JSON_OBJECT, err) < 0)
		return oci_error_wrap(err, "annotations");
	if (v == NULL)
		return 0;
	if (json_string(v, &value, err) < 0) {
		cleanup_free char *path = json_path_key("annotations", cfg->annotation);

		return oci_error_wrap(err, "%s", path);
	}
	return strcmp(value, "false") != 0 && strcmp(value, "0") != 0;
}

/* hooks.STAGE: absent, null, or an array of objects whose "path" is a string. */
static int stage_has_hook(const struct json *hooks, const char *stage, const char *hook_path,
			  struct oci_error **err)
{
	const struct json *list = json_get(hooks, stage);
	cleanup_free char *path = json_path_key("hooks", stage);
	bool found = false;

	if (list == NULL || list->type == JSON_NULL)
		return 0;
	if (json_expect(list, JSON_ARRAY, err) < 0)
		return oci_error_wrap(err, "%s", path);
	for (size_t i = 0; i < list->len; i++) {
		const struct json *p = json_get(list->items[i], "path");
		const char *s = NULL;

		if (json_expect(list->items[i], JSON_OBJECT, err) < 0 ||
		    (p && json_string(p, &s, err) < 0))
			return oci_error_wrap(err, "%s[%zu]%s", path, i, p ? ".path" : "");
		found = found || (p && strcmp(s, hook_path) == 0);
	}
	return found;
}

static int has_hook(const struct json *doc, const char *hook_path, struct oci_error **err)
{
	const struct json *hooks = json_get(doc, "hooks");
	int found = 0;

	if (hooks == NULL || hooks->type == JSON_NULL)
		return 0;
	if (json_expect(hooks, JSON_OBJECT, err) < 0)
		return oci_error_wrap(err, "hooks");
	for (size_t i = 0; i < N_ELEMENTS(hook_stages) && found == 0; i++)
		found = stage_has_hook(hooks, hook_stages[i], hook_path, err);
	return found;
}

static struct json *number_node(uint64_t n)
{
	struct json *v = json_new(JSON_NUMBER);
	int len = asprintf(&v->text, "%" PRIu64, n);

	if (len < 0)
		abort();
	v->text_len = (size_t)len;
	return v;
}

/* {"path": ..., "args": [...], "timeout": N}: the OCI hook entry. */
static struct json *hook_entry(const struct runtime_config *cfg)
{
	struct json *entry = json_new(JSON_OBJECT);
	struct json *args = json_new(JSON_ARRAY);

	for (size_t i = 0; i < cfg->n_hook_args; i++)
		json_append(args, NULL, json_new_string(cfg->hook_args[i]));
	json_append(entry, "path", json_new_string(cfg->hook_path));
	json_append(entry, "args", args);
	if (cfg->hook_timeout)
		json_append(entry, "timeout", number_node(cfg->hook_timeout));
	return entry;
}

/* obj[key] as a container of type t, made when absent; a JSON null (which runc reads as
 * absent too) becomes an empty one in place. has_hook() checked the shapes already. */
static struct json *ensure(struct json *obj, const char *key, enum json_type t)
{
	struct json *v = member(obj, key);

	if (v == NULL) {
		v = json_new(t);
		json_append(obj, key, v);
	} else if (v->type == JSON_NULL) {
		v->type = t;
	}
	return v;
}

int runtime_bundle_add_hook(struct json *doc, const struct runtime_config *cfg,
			    struct oci_error **err)
{
	int found;

	if (json_expect(doc, JSON_OBJECT, err) < 0)
		return -1;
	if (cfg->hook_path == NULL)
		return oci_fail(err, ENOENT, "the hook's path is unknown: set hook.path");
	found = has_hook(doc, cfg->hook_path, err);
	if (found != 0)
		return found < 0 ? -1 : 0;
	json_append(ensure(ensure(doc, "hooks", JSON_OBJECT), "prestart", JSON_ARRAY), NULL,
		    hook_entry(cfg));
	return 1;
}

static char *config_path(const char *bundle, const char *config_name)
{
	char *path;

	if (config_name == NULL)
		config_name = RUNTIME_BUNDLE_CONFIG;
	if (config_name[0] == '/')
		path = strdup(config_name);
	else if (asprintf(&path, "%s/%s", bundle ? bundle : ".", config_name) < 0)
		path = NULL;
	if (path == NULL)
		abort();
	return path;
}

/* Checked before the bundle is touched: runc would otherwise fail later, at the hook, with
 * a message that does not say who added it. */
static int check_hook_exists(const char *hook_path, struct oci_error **err)
{
	struct stat st;

	if (hook_path == NULL)
		return 0; /* runtime_bundle_add_hook() says so */
	if (stat(hook_path, &st) < 0 || access(hook_path, X_OK) < 0)
		return oci_fail(err, errno, "hook %s: %s", hook_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return oci_fail(err, EACCES, "hook %s: not a regular file", hook_path);
	return 0;
}

int runtime_bundle_read(const char *path, struct stat *st, struct json **doc,
			struct oci_error **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t len;

	if (fd < 0 || fstat(fd, st) < 0)
		return oci_fail(err, errno, "%s: cannot read: %s", path, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return oci_fail(err, EINVAL, "%s: not a regular file", path);
	if (oci_read_fd(fd, CONFIG_MAX_SIZE, &buf, &len) < 0)
		return oci_fail(err, errno, "%s: cannot read: %s", path, strerror(errno));
	if (json_parse(buf, len, doc, err) < 0)
		return oci_error_wrap(err, "%s", path);
	return 0;
}

/* The temporary file gets the original's owner and mode before it holds anything, so the
 * rename changes the content and nothing else. chown before chmod: chown clears the
 * setuid/setgid bits. */
static int fill_temp(int fd, const struct stat *orig, const char *buf, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if ((st.st_uid != orig->st_uid || st.st_gid != orig->st_gid) &&
	    fchown(fd, orig->st_uid, orig->st_gid) < 0)
		return -1;
	if (fchmod(fd, orig->st_mode & 07777) < 0)
		return -1;
	/* No fsync: rename() makes the replacement atomic for every reader, which is what a
	 * runtime about to read it needs; a bundle does not outlive a crash of its node (and
	 * lives on tmpfs under containerd and CRI-O), and two syncs cost the start ms. */
	if (oci_write_all(fd, buf, len) < 0 || oci_write_all(fd, "\n", 1) < 0)
		return -1;
	return 0;
}

/* "b/config.json" -> "b/.config.json.octrace-XXXXXX": hidden, next to the original. */
static char *temp_template(const char *path)
{
	size_t dir_len = strlen(path);
	char *tmpl;

	while (dir_len > 0 && path[dir_len - 1] != '/')
		dir_len--;
	if (asprintf(&tmpl, "%.*s.%s.octrace-XXXXXX", (int)dir_len, path, path + dir_len) < 0)
		abort();
	return tmpl;
}

/* mkostemp() opens with O_EXCL under a fresh name in the same directory (rename() does
 * not cross file systems); on failure the temporary file goes away again. */
static int replace_file(const char *path, const struct stat *orig, const char *buf, size_t len,
			struct oci_error **err)
{
	cleanup_free char *tmpl = temp_template(path);
	cleanup_close int fd = mkostemp(tmpl, O_CLOEXEC);
	int saved;

	if (fd < 0)
		return oci_fail(err, errno, "%s: cannot create a temporary file: %s", path,
				strerror(errno));
	if (fill_temp(fd, orig, buf, len) == 0 && close(steal_fd(&fd)) == 0 &&
	    rename(tmpl, path) == 0)
		return 0;
	saved = errno;
	unlink(tmpl);
	return oci_fail(err, saved, "%s: cannot replace it with %s: %s", path, tmpl,
			strerror(saved));
}

static int serialize(const struct json *doc, const char *path, struct jsonw *w, const char **buf,
		     size_t *len, struct oci_error **err)
{
	if (json_write(doc, w, err) < 0)
		return oci_error_wrap(err, "%s", path);
	if (jsonw_finish(w, buf, len) < 0)
		return oci_fail(err, errno, "%s: cannot serialise the document", path);
	return 0;
}

/* --- the runtime's own copy of the policy (docs/kernel-behaviours.md §22) --- */

#define POLICY_ANNOTATION "org.octrace.policy"
#define ADOPTED_NAME "octrace-policy.json"

/* The value of --NAME VALUE or --NAME=VALUE among the hook's arguments, or NULL. */
static const char *hook_arg(const struct runtime_config *cfg, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 1; i < cfg->n_hook_args; i++) {
		const char *a = cfg->hook_args[i];

		if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0)
			continue;
		if (a[2 + len] == '=')
			return a + 3 + len;
		if (a[2 + len] == '\0' && i + 1 < cfg->n_hook_args)
			return cfg->hook_args[i + 1];
	}
	return NULL;
}

static bool safe_name(const char *s)
{
	if (!isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* The bundle's own profile, kept for the hook (octrace enforces it) since config.json gets
 * octrace's runtime form of it: BUNDLE/octrace-policy.json, written whole or not at all. */
static char *adopt_profile(const char *bundle, const struct json *seccomp,
			   struct oci_error **err)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	cleanup_free char *dir = realpath(bundle ? bundle : ".", NULL);
	char *path = NULL;
	const char *buf;
	size_t len;
	struct stat st = { .st_mode = S_IFREG | 0600, .st_uid = getuid(), .st_gid = getgid() };

	if (dir == NULL)
		return oci_fail(err, errno, "bundle %s: %s", bundle ? bundle : ".",
				strerror(errno)), NULL;
	if (asprintf(&path, "%s/" ADOPTED_NAME, dir) < 0)
		abort();
	if (serialize(seccomp, path, w, &buf, &len, err) < 0 ||
	    replace_file(path, &st, buf, len, err) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* Which policy the hook will enforce, as octrace-hook chooses it (--policy, else the
 * annotation's name in --policy-dir, else the bundle's own linux.seccomp, adopted), loaded;
 * NULL: none (trace only), or one the hook will refuse itself. *adopted: its path, when the
 * bundle's own profile was kept aside for the hook. */
static struct oci_policy *hook_policy(const struct runtime_config *cfg, const struct json *doc,
				      const char *bundle, char **adopted, struct oci_error **err)
{
	const char *file = hook_arg(cfg, "policy"), *dir = hook_arg(cfg, "policy-dir");
	const struct json *name = json_get(json_get(doc, "annotations"), POLICY_ANNOTATION);
	const struct json *seccomp = json_get(json_get(doc, "linux"), "seccomp");
	cleanup_oci_error struct oci_error *ignored = NULL;
	cleanup_free char *path = NULL;
	struct oci_policy *p = NULL;

	*adopted = NULL;
	if (file)
		path = strdup(file);
	else if (name && name->type == JSON_STRING && dir && safe_name(name->text))
		(void)(asprintf(&path, "%s/%s.json", dir, name->text) < 0 && (abort(), 0));
	else if (seccomp && seccomp->type == JSON_OBJECT)
		path = *adopted = adopt_profile(bundle, seccomp, err);
	if (path == NULL)
		return NULL;
	if (oci_policy_load(path, &p, &ignored) < 0) {
		*adopted = NULL; /* the hook says what is wrong with it, and the start fails */
		return NULL;
	}
	if (*adopted && (*adopted = strdup(*adopted)) == NULL)
		abort();
	return p;
}

/* The runtime installs a filter of octrace's in the container's init and in every process
 * it execs (through octrace-runtime or not), octrace enforces the policy itself. The policy's
 * exec barrier: a process octrace does not trace cannot exec its program (ENOSYS), and the
 * runtime compiles two rules, not the policy (for a ~380-name policy runc's compile was most
 * of octrace's cost at a start). A policy that kills or traps in the kernel gets its tracer
 * form instead, which applies those even in complain mode: a syscall the policy denies stops
 * in octrace, or fails with ENOSYS in a process octrace does not trace. An adopted profile
 * is handed to the hook as --policy. */
static int install_runtime_form(struct json *doc, const struct runtime_config *cfg,
				const char *bundle, struct oci_error **err)
{
	cleanup_free char *adopted = NULL;
	cleanup_oci_policy struct oci_policy *p = hook_policy(cfg, doc, bundle, &adopted, err);
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	cleanup_json struct json *form = NULL;
	struct json *entry, *linux_, *args;
	const char *buf;
	size_t len;

	if (p == NULL)
		return *err ? -1 : 0;
	if ((oci_policy_kills_in_kernel(p) ? oci_policy_to_tracer_json(p, w, err)
					   : oci_policy_to_barrier_json(p, w, err)) < 0 ||
	    jsonw_finish(w, &buf, &len) < 0 ||
	    json_parse(buf, len, &form, err) < 0)
		return -1;
	linux_ = ensure(doc, "linux", JSON_OBJECT);
	if (json_expect(linux_, JSON_OBJECT, err) < 0)
		return oci_error_wrap(err, "linux");
	json_set(linux_, "seccomp", steal_pointer(&form));
	if (adopted == NULL)
		return 1;
	entry = (struct json *)runtime_bundle_hook(doc, cfg->hook_path);
	args = entry ? member(entry, "args") : NULL;
	if (args == NULL || args->type != JSON_ARRAY)
		return oci_fail(err, EINVAL, "the hook entry has no args");
	json_append(args, NULL, json_new_string("--policy"));
	json_append(args, NULL, json_new_string(adopted));
	return 1;
}

int runtime_bundle_prepare(const struct runtime_config *cfg, const char *bundle,
			   const char *config_name, struct oci_error **err)
{
	cleanup_free char *path = config_path(bundle, config_name);
	cleanup_json struct json *doc = NULL;
	cleanup_jsonw struct jsonw *w = jsonw_new(JSONW_PRETTY);
	const char *buf;
	struct stat st;
	size_t len;
	int rc;

	if (runtime_bundle_read(path, &st, &doc, err) < 0)
		return -1;
	rc = runtime_bundle_traced(cfg, doc, err);
	if (rc > 0)
		rc = runtime_bundle_add_hook(doc, cfg, err);
	/* only a hook we add is ours to hand the policy to */
	if (rc > 0 && install_runtime_form(doc, cfg, bundle, err) < 0)
		rc = -1;
	if (rc < 0)
		return oci_error_wrap(err, "%s", path);
	if (rc == 0)
		return 0;
	if (check_hook_exists(cfg->hook_path, err) < 0 ||
	    serialize(doc, path, w, &buf, &len, err) < 0 ||
	    replace_file(path, &st, buf, len, err) < 0)
		return -1;
	return 1;
}

const struct json *runtime_bundle_hook(const struct json *doc, const char *hook_path)
{
	const struct json *list = json_get(json_get(doc, "hooks"), "prestart");

	if (list == NULL || list->type != JSON_ARRAY)
		return NULL;
	for (size_t i = 0; i < list->len; i++) {
		const struct json *p = json_get(list->items[i], "path");
		const char *base;

		if (p == NULL || p->type != JSON_STRING)
			continue;
		base = strrchr(p->text, '/');
		if ((hook_path && strcmp(p->text, hook_path) == 0) ||
		    strcmp(base ? base + 1 : p->text, RUNTIME_HOOK_NAME) == 0)
			return list->items[i];
	}
	return NULL;
}
