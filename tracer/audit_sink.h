/* Where the audit log's lines go: a buffer of whole lines, written out in one write(2) per
 * flush, and a file that is rotated when it reaches its size limit.
 *
 * Lines are only ever written whole: a flush writes the longest run of whole lines that fits
 * in the file's room, renames the full file to NAME.1 (atomically replacing an older NAME.1),
 * creates NAME anew (O_EXCL|O_NOFOLLOW, 0640) and goes on. So a file never exceeds the limit
 * (a line is far shorter than the smallest limit, AUDIT_SIZE_MIN), and at most two files,
 * 2 x limit bytes, are kept. The size is counted as written, and read from the file once a
 * second and when the count says the limit is near: what another writer of the same log
 * appended is seen then, and its rotation followed (lines go to the new file within a
 * second). The buffer is flushed when it holds AUDIT_SINK_FLUSH_AT bytes,
 * and by the caller before it blocks or exits: nothing waits in memory while the tracer
 * sleeps, and a crash loses at most what one flush would have written. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define AUDIT_SINK_FLUSH_AT (64 * 1024)
/* The smallest size limit: twice the longest line octrace writes (an execveat with 32
 * arguments of 255 bytes, every byte escaped, stays under 96 KiB). */
#define AUDIT_SIZE_MIN (256 * 1024)

struct audit_sink;

/* Open PATH (created 0640 if missing, appended to, never through a symlink). max_size 0:
 * never rotated. Errors name the file: "/var/log/x.jsonl: cannot open: ..." */
int audit_sink_open_path(const char *path, uint64_t max_size, struct audit_sink **out,
			 struct oci_error **err);
/* The same for NAME inside the directory dirfd (duplicated: the caller keeps its own);
 * `display` names it in messages. */
int audit_sink_open_at(int dirfd, const char *name, const char *display, uint64_t max_size,
		       struct audit_sink **out, struct oci_error **err);
/* Write to fd (not owned, never rotated). */
struct audit_sink *audit_sink_new_fd(int fd);
/* Flush and close. */
void audit_sink_close(struct audit_sink *s);

/* Queue one line (without its newline); flushes once AUDIT_SINK_FLUSH_AT bytes are queued. */
void audit_sink_line(struct audit_sink *s, const char *line, size_t len);
void audit_sink_flush(struct audit_sink *s);
/* For a single writer that will lose access to the directory (the hook's tracer, once it
 * runs unprivileged): open NAME for reading and NAME.1 (created) now, close the directory;
 * a rotation then copies NAME over NAME.1 and truncates NAME (copytruncate) instead of
 * renaming. No-op for a sink that is not rotated. */
int audit_sink_hold(struct audit_sink *s, struct oci_error **err);
/* The descriptors it holds (the file, the directory, the held NAME and NAME.1; -1 for
 * none), for a process that closes every other one. */
void audit_sink_fds(const struct audit_sink *s, int fds[4]);
