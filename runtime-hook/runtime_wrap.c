#include "runtime_wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonw.h"
#include "runtime_bundle.h"
#include "runtime_config.h"
#include "runtime_join.h"

/* execvp()'s own fallback, for an environment without PATH (containerd sets one). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* 0 if path is an executable regular file other than ourselves, else -1 and errno. */
static int usable(const char *path, const struct stat *self)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, X_OK) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	if (self && same_file(&st, self)) {
		errno = ELOOP;
		return -1;
	}
	return 0;
}

static int search_path(const char *name, const struct stat *self, char **out,
		       struct oci_error **err)
{
	const char *env = getenv("PATH");
	cleanup_free char *dirs = strdup(env && *env ? env : DEFAULT_PATH);
	char *save = NULL;
	bool only_self = false;

	if (dirs == NULL)
		abort();
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *cand;

		if (d[0] != '/')
			continue;
		if (asprintf(&cand, "%s/%s", d, name) < 0)
			abort();
		if (usable(cand, self) == 0) {
			*out = cand;
			return 0;
		}
		only_self = only_self || errno == ELOOP;
		free(cand);
	}
	return oci_fail(err, ENOENT, "runtime \"%s\": not found in PATH%s", name,
			only_self ? " (except as " RUNTIME_PROGNAME " itself)" : "");
}

int runtime_resolve(const char *runtime, char **out, struct oci_error **err)
{
	struct stat self;
	bool know_self = stat("/proc/self/exe", &self) == 0;
	char *path;

	if (runtime[0] != '/')
		return search_path(runtime, know_self ? &self : NULL, out, err);
	if (usable(runtime, know_self ? &self : NULL) < 0)
		return oci_fail(err, errno, "runtime %s: %s", runtime,
				errno == ELOOP ? "is " RUNTIME_PROGNAME " itself"
					       : strerror(errno));
	path = strdup(runtime);
	if (path == NULL)
		abort();
	*out = path;
	return 0;
}

char *runtime_default_hook(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash, *hook;

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	if (asprintf(&hook, "%s/%s", self, RUNTIME_HOOK_NAME) < 0)
		abort();
	return hook;
}

/* RFC 3339 in local time with its offset, as logrus (runc's logger) writes it. */
static void format_time(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	long off;
	size_t n;

	localtime_r(&now, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(buf + n, size - n, "Z");
	else
		snprintf(buf + n, size - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
			 labs(off) % 60);
}

static char *json_line(const char *msg, const char *when)
{
	cleanup_jsonw struct jsonw *w = jsonw_new(0);
	const char *buf;
	size_t len;
	char *line;

	jsonw_object_open(w);
	jsonw_kv_cstring(w, "level", "error");
	jsonw_kv_cstring(w, "msg", msg);
	jsonw_kv_cstring(w, "time", when);
	jsonw_object_close(w);
	if (jsonw_finish(w, &buf, &len) < 0 || asprintf(&line, "%.*s\n", (int)len, buf) < 0)
		abort();
	return line;
}

/* logrus's text format: msg quoted, with '"' and '\' escaped (our messages are one line). */
static char *text_line(const char *msg, const char *when)
{
	char *line = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&line, &size);

	if (f == NULL)
		abort();
	fprintf(f, "time=\"%s\" level=error msg=\"", when);
	for (const char *p = msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p == '\n' ? ' ' : *p, f);
	}
	fputs("\"\n", f);
	if (fclose(f) != 0)
		abort();
	return line;
}

/* crun takes --log=file:PATH (and journald:, syslog:, which we cannot imitate); runc a bare
 * path. NULL: report on stderr. */
static const char *log_file(const char *log)
{
	if (log == NULL || *log == '\0')
		return NULL;
	if (strncmp(log, "file:", 5) == 0)
		return log + 5;
	if (strncmp(log, "journald:", 9) == 0 || strncmp(log, "syslog:", 7) == 0)
		return NULL;
	return log;
}

void runtime_report_error(const struct runtime_args *a, const char *msg)
{
	const char *path = log_file(a->log);
	cleanup_free char *full = NULL;
	cleanup_free char *line = NULL;
	cleanup_close int fd = -1;
	char when[64];

	if (asprintf(&full, RUNTIME_PROGNAME ": %s", msg) < 0)
		abort();
	if (path)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s\n", full);
		return;
	}
	format_time(when, sizeof(when));
	if (a->log_format && strcmp(a->log_format, "json") == 0)
		line = json_line(full, when);
	else
		line = text_line(full, when);
	/* one write: O_APPEND keeps the line whole next to the runtime's own */
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		fprintf(stderr, "%s\n", full);
}

static int exec_runtime(const char *path, const char *argv0, int argc, char *argv[],
			struct oci_error **err)
{
	cleanup_free char **args = calloc((size_t)argc + 1, sizeof(*args));

	if (args == NULL)
		abort();
	args[0] = (char *)argv0;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	execv(path, args);
	return oci_fail(err, errno, "cannot execute the runtime %s: %s", path, strerror(errno));
}

static const char *config_file(void)
{
	const char *env = getenv(RUNTIME_CONFIG_ENV);

	return env && *env ? env : RUNTIME_CONFIG_DEFAULT;
}

int runtime_wrap(int argc, char *argv[], const struct runtime_args *a, struct oci_error **err)
{
	cleanup_runtime_config struct runtime_config *cfg = NULL;
	cleanup_free char *default_hook = runtime_default_hook();
	cleanup_free char *path = NULL;

	const char *env = getenv(RUNTIME_CONFIG_ENV);

	/* the default file may be missing (defaults); a file the environment names may not */
	if (env && *env && access(env, F_OK) < 0)
		return oci_fail(err, errno, "%s=%s: %s", RUNTIME_CONFIG_ENV, env, strerror(errno));
	if (runtime_config_load(config_file(), default_hook, &cfg, err) < 0 ||
	    runtime_resolve(cfg->runtime, &path, err) < 0)
		return -1;
	if (runtime_args_wants_hook(a) &&
	    runtime_bundle_prepare(cfg, a->bundle, a->config, err) < 0)
		return -1;
	/* exec into a traced container: traced from here on, or the exec fails */
	if (runtime_args_is_exec(a) && runtime_join(cfg, path, argv, a, err) < 0)
		return -1;
	return exec_runtime(path, cfg->runtime, argc, argv, err);
}
