/* `octrace attach --container ID [--runtime RT] [--root DIR]`: trace a running container
 * again whose tracer died (complain or trace mode: it runs on, untraced), under the policy,
 * mode and logs of its own octrace-hook. The runtime says where the container is (its
 * state); the bundle's config.json says which hook traces it and with which arguments; that
 * hook is run again with --reattach and the state on stdin: its daemon finds every process
 * of the container, traces them without injecting a second filter, and continues the same
 * audit log with a "reattach" event (docs/kernel-behaviours.md §25). */
#include "reattach.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "state.h"

#define STATE_MAX (1u << 20)
#define CONFIG_MAX (16u << 20)
#define HOOK_ARGS_MAX 64
#define HOOK_NAME "octrace-hook"

bool reattach_requested(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "attach") != 0)
		return false;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--container") == 0 || strncmp(argv[i], "--container=", 12) == 0)
			return true;
	return false;
}

/* RT [--root DIR] state ID: its stdout, or NULL. */
static char *runtime_state(const char *rt, const char *root, const char *id, size_t *len)
{
	int out[2], status;
	char *buf = NULL;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return NULL;
	if (pid == 0) {
		const char *argv[] = { rt, "--root", root, "state", id, NULL };
		const char *bare[] = { rt, "state", id, NULL };

		dup2(out[1], 1);
		execvp(rt, (char *const *)(root ? argv : bare));
		fprintf(stderr, "octrace: %s: %s\n", rt, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	if (oci_read_fd(out[0], STATE_MAX, &buf, len) < 0) {
		free(buf);
		buf = NULL;
	}
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The octrace-hook entry of config.json's prestart or createRuntime hooks. */
static const struct json *find_hook(const struct json *doc)
{
	const char *stages[] = { "prestart", "createRuntime" };

	for (size_t s = 0; s < N_ELEMENTS(stages); s++) {
		const struct json *list = json_get(json_get(doc, "hooks"), stages[s]);

		for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->len; i++) {
			const struct json *p = json_get(list->items[i], "path");
			const char *base;

			if (p == NULL || p->type != JSON_STRING)
				continue;
			base = strrchr(p->text, '/');
			if (strcmp(base ? base + 1 : p->text, HOOK_NAME) == 0)
				return list->items[i];
		}
	}
	return NULL;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("octrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 125;
}

static int usage(void)
{
	fail("usage: octrace attach --container ID [--runtime runc|crun] [--root DIR]");
	return 2;
}

int reattach_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "root", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *id = NULL, *rt = "runc", *root = NULL;
	cleanup_free char *state = NULL, *config_path = NULL, *config = NULL;
	cleanup_oci_state struct oci_state *st = NULL;
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_json struct json *doc = NULL;
	const struct json *hook, *list;
	char *args[HOOK_ARGS_MAX + 3];
	size_t len = 0, clen = 0, n = 0;
	int c, in[2], status;
	pid_t pid;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			id = optarg;
		else if (c == 'r')
			rt = optarg;
		else if (c == 'R')
			root = optarg;
		else
			return usage();
	}
	if (id == NULL || optind != argc)
		return usage();
	if ((state = runtime_state(rt, root, id, &len)) == NULL)
		return fail("container %s: %s state failed (no such container?)", id, rt);
	if (oci_state_parse("state", state, len, &st, &err) < 0)
		return fail("container %s: %s state: %s", id, rt, err->msg);
	if (st->status == NULL || strcmp(st->status, "running") != 0 || st->pid <= 0)
		return fail("container %s: not running (%s)", id, st->status ? st->status : "?");
	if (asprintf(&config_path, "%s/config.json", st->bundle) < 0)
		abort();
	cleanup_close int cfd = open(config_path, O_RDONLY | O_CLOEXEC);

	if (cfd < 0 || oci_read_fd(cfd, CONFIG_MAX, &config, &clen) < 0)
		return fail("%s: cannot read: %s", config_path, strerror(errno));
	if (json_parse(config, clen, &doc, &err) < 0)
		return fail("%s: %s", config_path, err->msg);
	if ((hook = find_hook(doc)) == NULL)
		return fail("%s: hooks: no %s: container %s is not traced by octrace", config_path,
			    HOOK_NAME, id);
	list = json_get(hook, "args");
	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->len &&
			   n < HOOK_ARGS_MAX; i++)
		if (list->items[i]->type == JSON_STRING)
			args[n++] = list->items[i]->text;
	if (n == 0)
		args[n++] = (char *)HOOK_NAME;
	args[n++] = (char *)"--reattach";
	args[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in[0], 0);
		setenv("OCTRACE_REATTACH_ROOT", root ? root : "", 1);
		execv(json_get(hook, "path")->text, args);
		fprintf(stderr, "octrace: %s: %s\n", json_get(hook, "path")->text, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	if (oci_write_all(in[1], state, len) < 0)
		log_warn_errno("writing the state to %s", HOOK_NAME);
	close(in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail("container %s: %s --reattach failed", id, HOOK_NAME);
	fprintf(stderr, "octrace: container %s: traced again (pid %d)\n", id, st->pid);
	return 0;
}
