/* The container record: octrace-hook keeps the OCI state of each container it traces in a
 * root-only directory while its daemon runs, so that octrace-runtime's `exec` finds the
 * container (its bundle, init pid, annotations) without asking the runtime (`runc state`
 * costs a Go runtime's start: most of an exec's added latency). DIR/<FNV-1a 64 of the id>.json
 * holds the state exactly as the runtime gave it to the hook; a reader checks the id inside. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define OCI_RECORD_DIR "/run/octrace/containers"

/* A record is keyed by the runtime's state directory (its --root as given, "" for its
 * default) and the container id: two runtimes may each have a container of one id. */

/* Write (through a temporary file and a rename) the state of container `id`. */
int oci_record_write(const char *dir, const char *root, const char *id, const char *state,
		     size_t len, struct oci_error **err);
/* The state recorded for `id`: 0 and *state (malloc'd), or -1 when there is none, the
 * directory is not safe, or the record names another container. */
int oci_record_read(const char *dir, const char *root, const char *id, char **state,
		    size_t *len);
/* The join socket of `id`'s daemon, DIR/<key>.sock: octrace-runtime's exec asks the daemon
 * there to trace the process that joins the container (tracer/join.h). */
void oci_record_socket_path(const char *dir, const char *root, const char *id, char *path,
			    size_t size);
/* The control socket of `id`'s daemon, DIR/<key>.ctl: `octrace reload --container` asks its
 * janitor there to re-read the container's policy. */
void oci_record_control_path(const char *dir, const char *root, const char *id, char *path,
			     size_t size);
/* The control socket of the one record naming container `id`, whatever its runtime root: 0
 * and *path, -1 when no record names it, -2 when several do (two runtime roots). */
int oci_record_find_control(const char *dir, const char *id, char *path, size_t size);
/* The join socket of the daemon whose record names container `id` with init `pid`, whatever
 * runtime root it was keyed by (a runtime may be given its --root differently at create and
 * at exec): 0 and *path, or -1 when no record matches. */
int oci_record_find_socket(const char *dir, const char *id, pid_t pid, char *path,
			   size_t size);
/* Remove the records (and join sockets) of containers whose init is gone: a container whose
 * tracer died keeps its record while it runs, and nobody is left to remove it after. */
void oci_record_sweep(const char *dir);
/* Remove the record of `id` if it still names init pid `pid` (a newer container with the
 * same id has its own record). */
void oci_record_remove(const char *dir, const char *root, const char *id, pid_t pid);
