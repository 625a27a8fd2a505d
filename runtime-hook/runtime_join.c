#include "runtime_join.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#define JOIN_TIMEOUT_MS 10000
#define JOIN_REPLY_MAX 512

/* Run argv, collecting its stdout (bounded) into *out. Returns the wait status, or -1. */
static int run_capture(const char *path, char *const argv[], char **out, size_t *out_len)
{
	int pout[2], null, status = -1;
	pid_t pid;

	if (pipe2(pout, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(pout[1], 1);
		dup2(null, 2);
		execv(path, argv);
		_exit(127);
	}
	close(pout[1]);
	if (oci_read_fd(pout[0], STATE_MAX, out, out_len) < 0)
		*out = NULL, *out_len = 0;
	close(pout[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* REAL [global options] state ID */
static int container_state(const char *runtime_path, char *const argv[],
			   const struct runtime_args *a, char **json, size_t *len)
{
	cleanup_free char **args = calloc((size_t)a->cmd_index + 3, sizeof(*args));
	static char state_cmd[] = "state";
	int status, n = 0;

	if (args == NULL)
		abort();
	for (int i = 0; i < a->cmd_index; i++)
		args[n++] = argv[i];
	args[n++] = state_cmd;
	args[n++] = (char *)a->id;
	status = run_capture(runtime_path, args, json, len);
	return status == 0 && *json ? 0 : -1;
}

/* Ask the daemon of container `id` to trace this process: "ok", or "error MESSAGE", or
 * nothing within the deadline (tracer/join.h). */
static int ask_daemon(const char *path, char *msg, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct pollfd p = { .events = POLLIN };
	ssize_t n;
	int rc;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(msg, size, "its octrace daemon is not running (%s: %s)", addr.sun_path,
			 strerror(errno));
		return -1;
	}
	p.fd = fd;
	while ((rc = poll(&p, 1, JOIN_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (rc == 0) {
		snprintf(msg, size, "its octrace daemon did not answer within %d ms", JOIN_TIMEOUT_MS);
		return -1;
	}
	n = recv(fd, msg, size - 1, 0);
	msg[n > 0 ? n : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (n > 0 && strcmp(msg, "ok") == 0)
		return 0;
	if (n > 0 && strncmp(msg, "error ", 6) == 0)
		memmove(msg, msg + 6, strlen(msg + 6) + 1);
	else
		snprintf(msg, size, "its octrace daemon closed the connection");
	return -1;
}

int runtime_join(const struct runtime_config *cfg, const char *runtime_path, char *const argv[],
		 const struct runtime_args *a, struct oci_error **err)
{
	cleanup_free char *state_json = NULL, *config = NULL;
	cleanup_oci_state struct oci_state *st = NULL;
	cleanup_json struct json *doc = NULL;
	cleanup_oci_error struct oci_error *ignored = NULL;
	char msg[JOIN_REPLY_MAX], path[108];
	size_t len = 0;
	struct stat sb;

	/* octrace-hook's record of the container: its daemon runs, and serves joins */
	if (oci_record_read(OCI_RECORD_DIR, a->root ? a->root : "", a->id, &state_json, &len) == 0 &&
	    oci_state_parse("state", state_json, len, &st, &ignored) == 0 && st->pid > 0 &&
	    kill(st->pid, 0) == 0) {
		oci_record_socket_path(OCI_RECORD_DIR, a->root ? a->root : "", a->id, path,
				       sizeof(path));
		if (ask_daemon(path, msg, sizeof(msg)) == 0)
			return 0;
		return oci_fail(err, EPERM, "container %s: cannot trace the process joining it: %s",
				st->id, msg);
	}
	oci_state_free(st);
	st = NULL;
	free(state_json);
	state_json = NULL;
	/* no record under this --root: a container octrace does not trace, one whose daemon is
	 * gone, or one created with its runtime's --root given otherwise (the runtime's state,
	 * the bundle and a record naming the same init say which) */
	if (container_state(runtime_path, argv, a, &state_json, &len) < 0 ||
	    oci_state_parse("state", state_json, len, &st, &ignored) < 0 || st->bundle == NULL ||
	    st->pid <= 0 || strcmp(st->status ? st->status : "stopped", "stopped") == 0)
		return 1; /* the runtime fails the exec itself, as it would have */
	if (asprintf(&config, "%s/config.json", st->bundle) < 0)
		abort();
	if (runtime_bundle_read(config, &sb, &doc, &ignored) < 0 ||
	    runtime_bundle_hook(doc, cfg->hook_path) == NULL)
		return 1; /* not a container octrace traces */
	if (oci_record_find_socket(OCI_RECORD_DIR, st->id, st->pid, path, sizeof(path)) == 0) {
		if (ask_daemon(path, msg, sizeof(msg)) == 0)
			return 0;
		return oci_fail(err, EPERM, "container %s: cannot trace the process joining it: %s",
				st->id, msg);
	}
	return oci_fail(err, EPERM,
			"container %s: cannot trace the process joining it: its octrace daemon is "
			"not running (no record in %s)",
			st->id, OCI_RECORD_DIR);
}
