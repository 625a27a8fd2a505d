/* A container's two logs in the admin's log directory (the daemon's NAME.log and the audit
 * log NAME.jsonl): which names they get, and how they are created.
 *
 * One container, one pair of files, never shared. The stem of the names:
 *   ID            an id of [A-Za-z0-9][A-Za-z0-9._-]*, at most HOOK_NAME_MAX bytes: as it is
 *   PREFIX+HASH   any other id (longer, or other bytes): its first HOOK_LOG_PREFIX_MAX bytes
 *                 with every byte outside that set as '_' (a leading '.' or '-' too), '+',
 *                 and the first 32 hex digits of the SHA-256 of the whole id
 *   @NAME         the org.octrace.log=NAME annotation, when the admin allows it
 *   STEM@TIME     the logs of an earlier container with the same stem, moved away when the
 *                 next one started (TIME in UTC: 20261206T130000.123456789Z, "-N" appended
 *                 if that name is taken)
 * None of the first three can be another's ('+' is in no plain id, '@' leads only a NAME),
 * and only a moved-away stem has an '@' after its first byte: an id or a name can never pick
 * another container's file.
 *
 * The files are created with O_EXCL (never an existing file, never through a symlink): when
 * the name is taken, the file there is renamed away first (renameat2 RENAME_NOREPLACE). A
 * daemon still writing to it (its container ended and the id was reused at once, or another
 * runtime --root runs a container of the same id) keeps writing to it under its new name.
 *
 * `octrace attach --container` (hook --reattach) continues a running container's logs:
 * hook_logs_continue() finds them by their first event, that container's attach. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define HOOK_LOG_PREFIX_MAX 64
#define HOOK_LOG_HASH_HEX 32
#define HOOK_LOG_STEM_MAX 160 /* > 1 + HOOK_NAME_MAX, > PREFIX + 1 + HASH */

/* The stem for container `id`, or for the annotation's `name` (checked with
 * hook_name_is_safe() by the caller) when not NULL. */
void hook_log_stem(const char *id, const char *name, char *out, size_t size);

/* Create DIR/STEM.log and DIR/STEM.jsonl (DIR made 0750 if missing), moving earlier files of
 * those names away. Both fds, or -1 with *err naming the file. */
int hook_logs_open(const char *dir, const char *stem, int *log_fd, int *audit_fd,
		   struct oci_error **err);

/* --reattach: the logs of the running container `id` whose init is `pid`, to go on with:
 * DIR/STEM.jsonl or a moved-away DIR/STEM@TIME.jsonl whose first event is that container's
 * attach (or reattach) of that pid, and the .log beside it (created if missing). Opened
 * O_APPEND, the audit log also for reading; stem becomes the stem found. 1 when found, 0
 * when there are none (then hook_logs_open() makes new ones), -1 with *err. */
int hook_logs_continue(const char *dir, char *stem, size_t stem_size, const char *id, pid_t pid,
		       int *log_fd, int *audit_fd, struct oci_error **err);
