#include "reload_client.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "record.h"

#define ANSWER_MAX 512
#define ANSWER_MS 130000 /* a little more than the janitor waits for its tracer */

bool reload_client_requested(int argc, char **argv)
{
	return argc >= 2 && strcmp(argv[1], "reload") == 0;
}

static int usage(void)
{
	fputs("usage: octrace reload --container ID [--root DIR]\n", stderr);
	return 2;
}

/* The container's control socket: keyed by the runtime root when given, else the one
 * record naming the id. */
static int find(const char *id, const char *root, char *path, size_t size)
{
	int rc;

	if (root) {
		oci_record_control_path(OCI_RECORD_DIR, root, id, path, size);
		return access(path, F_OK) == 0 ? 0 : -1;
	}
	rc = oci_record_find_control(OCI_RECORD_DIR, id, path, size);
	if (rc == -2)
		fprintf(stderr, "octrace: container %s: several runtimes trace a container of that "
				"id: say which with --root (the runtime's --root)\n",
			id);
	return rc;
}

int reload_client_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *id = NULL, *root = NULL;
	cleanup_close int fd = -1;
	char answer[ANSWER_MAX];
	struct pollfd p;
	ssize_t n;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'c')
			id = optarg;
		else if (c == 'R')
			root = optarg;
		else if (c == 'h')
			return usage(), 0;
		else
			return usage();
	}
	if (id == NULL || optind != argc)
		return usage();
	rc = find(id, root, addr.sun_path, sizeof(addr.sun_path));
	if (rc == -1)
		fprintf(stderr, "octrace: container %s: no octrace daemon traces it (no record in %s)\n",
			id, OCI_RECORD_DIR);
	if (rc < 0)
		return 125;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    send(fd, "reload\n", 7, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "octrace: container %s: %s: %s\n", id, addr.sun_path, strerror(errno));
		return 125;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while ((rc = poll(&p, 1, ANSWER_MS)) < 0 && errno == EINTR)
		;
	if (rc <= 0 || (n = recv(fd, answer, sizeof(answer) - 1, 0)) <= 0) {
		fprintf(stderr, "octrace: container %s: no answer from its daemon\n", id);
		return 125;
	}
	answer[n] = '\0';
	if (strncmp(answer, "ok ", 3) == 0) {
		char *text = oci_escape_controls(answer + 3);

		fprintf(stderr, "octrace: container %s: policy reloaded: %s\n", id, text);
		free(text);
		return 0;
	}
	char *text = oci_escape_controls(strncmp(answer, "error ", 6) == 0 ? answer + 6 : answer);

	fprintf(stderr, "octrace: container %s: policy reload refused: %s\n", id, text);
	free(text);
	return 1;
}
