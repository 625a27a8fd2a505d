/* Processes joining a running container (`runc exec`, through octrace-runtime) ask the
 * container's own daemon to trace them, over a unix socket only root can reach
 * (docs/kernel-behaviours.md §23).
 *
 * The daemon blocks in waitpid(), not in poll(): a "doorbell" thread blocks in poll() on the
 * listening socket and, when a connection waits, forks a child that exits at once, which
 * wakes waitpid() with a report the loop recognises. The daemon then accepts every waiting connection, seizes the peer
 * (SO_PEERCRED: the connecting process itself, never a pid it names), replies "ok" or
 * "error ...", and rings a new doorbell. The joining process and everything it starts are
 * the runtime's until one of them execs inside the container's mount namespace: that exec
 * arms it (a "join" event), with the container's policy, from its first instruction. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct session;
struct report;

struct join_service {
	const char *name; /* borrowed: the container's id, for the log */
	int fd; /* the listening socket, -1 once closed (or never opened) */
	int extra; /* another descriptor that rings the doorbell when readable: the janitor's
		    * channel (tracer/reload.h); -1: none */
	int ack, quit; /* eventfds: the loop served a ring; join_close() */
	pthread_t thread; /* the doorbell thread, when running */
	bool running;
	pid_t doorbell; /* the child the doorbell rang with, 0 when none (atomic) */
	char path[108];
	ino_t ino; /* the socket file's inode: unlinked only if it is still ours */
	dev_t dev;
};

/* Bind and listen on `path` (mode 0600; a stale socket file there is replaced), for the
 * container named `name`. */
int join_listen(struct join_service *j, const char *name, const char *path,
		struct oci_error **err);
/* Start serving (the doorbell thread), if there is a socket or an extra descriptor. The
 * session must be in its wait loop from now. */
void join_open(struct session *s);
/* A death report of the doorbell's child: serve every waiting connection, take what the
 * janitor sent (reload_receive()), re-arm the doorbell. Returns false if the report is not
 * the doorbell's. */
bool join_on_report(struct session *s, const struct report *r);
/* Remove the socket file if it is still this service's (root's work: the janitor's). */
void join_unlink(const struct join_service *j);
/* Refuse joins from now on (the container's init is gone, or octrace stops): stop the
 * doorbell thread, close and unlink the socket. */
void join_close(struct session *s);
