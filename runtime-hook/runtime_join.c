#include "runtime_join.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"
#include "json.h"
#include "runtime_bundle.h"
#include "record.h"
#include "state.h"

#define STATE_MAX (1u << 20)
#define HOOK_STDERR_MAX 4096
#define HOOK_ARGS_MAX 64

/* Run argv with stdin from `in` (may be NULL), collecting stdout (bounded) into *out and the
 * first line of stderr into err_line. Returns the wait status, or -1. */
static int run_capture(const char *path, char *const argv[], const char *in, size_t in_len,
		       char **out, size_t *out_len, char *err_line, size_t err_size)
{
	int pin[2], pout[2], perr[2], status = -1;
	cleanup_free char *errbuf = NULL;
	size_t errlen = 0;
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		execv(path, argv);
		_exit(127);
	}
	close(pin[0]), close(pout[1]), close(perr[1]);
	/* the state is small (well under a pipe's buffer): written before reading */
	if (in && oci_write_all(pin[1], in, in_len) < 0)
		in = NULL;
	close(pin[1]);
	if (oci_read_fd(pout[0], STATE_MAX, out, out_len) < 0)
		*out = NULL, *out_len = 0;
	if (oci_read_fd(perr[0], HOOK_STDERR_MAX, &errbuf, &errlen) < 0)
		errlen = 0;
	close(pout[0]), close(perr[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	snprintf(err_line, err_size, "%.*s", (int)strcspn(errbuf ? errbuf : "", "\n"),
		 errbuf ? errbuf : "");
	return status;
}

/* REAL [global options] state ID */
static int container_state(const char *runtime_path, char *const argv[],
			   const struct runtime_args *a, char **json, size_t *len)
{
	cleanup_free char **args = calloc((size_t)a->cmd_index + 3, sizeof(*args));
	static char state_cmd[] = "state";
	char err_line[256];
	int status, n = 0;

	if (args == NULL)
		abort();
	for (int i = 0; i < a->cmd_index; i++)
		args[n++] = argv[i];
	args[n++] = state_cmd;
	args[n++] = (char *)a->id;
	status = run_capture(runtime_path, args, NULL, 0, json, len, err_line, sizeof(err_line));
	return status == 0 && *json ? 0 : -1;
}

/* The hook's own arguments from the bundle (argv[0] and all), then --join PID. */
static int hook_argv(const struct json *entry, char **args, size_t max, char *pid_buf)
{
	static char hook_name[] = "octrace-hook", join[] = "--join";
	const struct json *list = json_get(entry, "args");
	size_t n = 0;

	if (list && list->type == JSON_ARRAY)
		for (size_t i = 0; i < list->len && n + 3 < max; i++)
			if (list->items[i]->type == JSON_STRING)
				args[n++] = list->items[i]->text;
	if (n == 0)
		args[n++] = hook_name;
	args[n++] = join;
	args[n++] = pid_buf;
	args[n] = NULL;
	return 0;
}

int runtime_join(const struct runtime_config *cfg, const char *runtime_path, char *const argv[],
		 const struct runtime_args *a, struct oci_error **err)
{
	cleanup_free char *state_json = NULL, *out = NULL, *config = NULL;
	cleanup_oci_state struct oci_state *st = NULL;
	cleanup_json struct json *doc = NULL;
	cleanup_oci_error struct oci_error *ignored = NULL;
	char *args[HOOK_ARGS_MAX + 4], pid_buf[24], err_line[HOOK_STDERR_MAX];
	const struct json *entry;
	size_t len = 0, out_len = 0;
	struct stat sb;
	int status;

	/* octrace-hook's record of the container (a runtime's `state` costs milliseconds);
	 * the runtime's own answer when there is none, or its init is gone */
	if (oci_record_read(OCI_RECORD_DIR, a->root ? a->root : "", a->id, &state_json, &len) == 0 &&
	    (oci_state_parse("state", state_json, len, &st, &ignored) < 0 || st->pid <= 0 ||
	     kill(st->pid, 0) < 0)) {
		oci_state_free(st);
		st = NULL;
		free(state_json);
		state_json = NULL;
	}
	if (st == NULL &&
	    (container_state(runtime_path, argv, a, &state_json, &len) < 0 ||
	     oci_state_parse("state", state_json, len, &st, &ignored) < 0))
		return 1; /* the runtime fails the exec itself, as it would have */
	if (st->bundle == NULL)
		return 1;
	if (asprintf(&config, "%s/config.json", st->bundle) < 0)
		abort();
	if (runtime_bundle_read(config, &sb, &doc, &ignored) < 0 ||
	    (entry = runtime_bundle_hook(doc, cfg->hook_path)) == NULL)
		return 1; /* not a container octrace traces */
	snprintf(pid_buf, sizeof(pid_buf), "%d", getpid());
	hook_argv(entry, args, N_ELEMENTS(args), pid_buf);
	/* the hook that started the container, from its config.json (written by the engine) */
	status = run_capture(json_get(entry, "path")->text, args, state_json, len, &out, &out_len,
			     err_line, sizeof(err_line));
	if (status == 0)
		return 0;
	return oci_fail(err, EPERM, "container %s: cannot trace the process joining it: %s",
			st->id, *err_line ? err_line : "octrace-hook failed");
}
