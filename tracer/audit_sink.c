/* The audit log's file: buffered whole lines, size-limited, rotated (see audit_sink.h). */
#include "xalloc.h"
#include "audit_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

struct audit_sink {
	int fd;
	bool own_fd;
	int dirfd; /* owned; -1: the file is not rotated */
	char *base; /* owned: its name in dirfd */
	char *name; /* owned: for messages */
	uint64_t max_size; /* 0: no limit */
	uint64_t size; /* of the file, as last seen */
	time_t checked; /* when the name was last checked to be our file (monotonic, s) */
	char *buf; /* owned: whole lines, each with its newline */
	size_t len, cap;
	bool warned; /* a write error was reported */
	/* held rotation (audit_sink_hold()): the one writer, without access to the directory */
	int read_fd; /* NAME, for reading; -1: not held */
	int old_fd; /* NAME.1 */
};

static void report_once(struct audit_sink *s, const char *what)
{
	if (s->warned)
		return;
	s->warned = true;
	log_warn_errno("%s: %s (further audit errors are not reported)", s->name, what);
}

#define OPEN_FLAGS (O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)

static struct audit_sink *sink_new(int fd, bool own, const char *name)
{
	struct audit_sink *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->fd = fd;
	s->own_fd = own;
	s->dirfd = -1;
	s->read_fd = s->old_fd = -1;
	s->name = xstrdup(name);
	return s;
}

struct audit_sink *audit_sink_new_fd(int fd)
{
	char name[32];

	snprintf(name, sizeof(name), "audit fd %d", fd);
	return sink_new(fd, false, name);
}

static uint64_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int audit_sink_open_at(int dirfd, const char *name, const char *display, uint64_t max_size,
		       struct audit_sink **out, struct oci_error **err)
{
	cleanup_close int fd = openat(dirfd, name, OPEN_FLAGS | O_CREAT, 0640);
	struct audit_sink *s;

	if (fd < 0)
		return oci_fail(err, errno, "%s: cannot open: %s", display, strerror(errno));
	s = sink_new(fd, true, display);
	fd = -1;
	s->max_size = max_size;
	s->size = file_size(s->fd);
	if (max_size) {
		s->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		s->base = xstrdup(name);
		if (s->dirfd < 0) {
			int e = errno;

			audit_sink_close(s);
			return oci_fail(err, e, "%s: cannot open: %s", display, strerror(e));
		}
	}
	*out = s;
	return 0;
}

int audit_sink_open_path(const char *path, uint64_t max_size, struct audit_sink **out,
			 struct oci_error **err)
{
	cleanup_free char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *base = slash ? slash + 1 : copy;
	const char *dir = slash == NULL ? "." : slash == copy ? "/" : (*slash = '\0', copy);
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return oci_fail(err, errno, "%s: cannot open: %s", path, strerror(errno));
	return audit_sink_open_at(dirfd, base, path, max_size, out, err);
}

int audit_sink_hold(struct audit_sink *s, struct oci_error **err)
{
	cleanup_free char *old = NULL;

	if (s->dirfd < 0)
		return 0; /* never rotated */
	if (asprintf(&old, "%s.1", s->base) < 0)
		abort();
	s->read_fd = openat(s->dirfd, s->base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	s->old_fd = openat(s->dirfd, old, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (s->read_fd < 0 || s->old_fd < 0)
		return oci_fail(err, errno, "%s.1: cannot open: %s", s->name, strerror(errno));
	close(s->dirfd);
	s->dirfd = -2; /* rotated, through the held files */
	return 0;
}

void audit_sink_fds(const struct audit_sink *s, int fds[4])
{
	fds[0] = s ? s->fd : -1;
	fds[1] = s && s->dirfd >= 0 ? s->dirfd : -1;
	fds[2] = s ? s->read_fd : -1;
	fds[3] = s ? s->old_fd : -1;
}

/* Held rotation: NAME's bytes copied over NAME.1 (in the kernel), then NAME truncated; lines
 * go on at its start (O_APPEND). A reader following NAME sees it shrink, as after
 * logrotate's copytruncate. */
static int copy_truncate(struct audit_sink *s)
{
	loff_t in = 0, out = 0;
	ssize_t n;

	if (ftruncate(s->old_fd, 0) < 0)
		return -1;
	do
		n = copy_file_range(s->read_fd, &in, s->old_fd, &out, 1 << 30, 0);
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0 || ftruncate(s->fd, 0) < 0)
		return -1;
	s->size = 0;
	return 0;
}

/* write until done: a pipe or a full disk may take part of it. */
static int write_all(struct audit_sink *s, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			report_once(s, "write failed");
			return -1;
		}
		p += w;
		n -= (size_t)w;
		s->size += (uint64_t)w;
	}
	return 0;
}

static bool still_ours(const struct audit_sink *s);

/* The new file of a rotation: ours (O_EXCL), or, if another writer of the same log rotated
 * it first, the regular file it made. */
static int reopen(struct audit_sink *s)
{
	int fd = openat(s->dirfd, s->base, OPEN_FLAGS | O_CREAT | O_EXCL, 0640);
	struct stat st;

	if (fd < 0 && errno == EEXIST) {
		fd = openat(s->dirfd, s->base, OPEN_FLAGS);
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			errno = EINVAL;
			fd = -1;
		}
	}
	return fd;
}

/* NAME -> NAME.1 (replacing it), then a new NAME. The rename is skipped when NAME is not our
 * file any more (another writer rotated it, or it was moved away). */
static int rotate(struct audit_sink *s)
{
	cleanup_free char *old = NULL;
	int fd;

	if (s->read_fd >= 0) {
		if (copy_truncate(s) < 0) {
			report_once(s, "cannot rotate");
			return -1;
		}
		return 0;
	}
	if (asprintf(&old, "%s.1", s->base) < 0)
		abort();
	if (still_ours(s) && renameat(s->dirfd, s->base, s->dirfd, old) < 0) {
		report_once(s, "cannot rotate");
		return -1;
	}
	fd = reopen(s);
	if (fd < 0) {
		report_once(s, "cannot reopen after rotating");
		return -1;
	}
	close(s->fd);
	s->fd = fd;
	s->size = file_size(fd);
	return 0;
}

/* How much of p[0..n) to write now: every whole line that fits in the file's room; 0 when
 * not even the first does (rotate first). A line longer than the limit (never, see
 * AUDIT_SIZE_MIN) goes alone into a fresh file. */
static size_t fitting(const struct audit_sink *s, const char *p, size_t n)
{
	uint64_t room = s->max_size > s->size ? s->max_size - s->size : 0;
	const char *nl;

	if (room >= n)
		return n;
	nl = memrchr(p, '\n', room);
	if (nl)
		return (size_t)(nl - p) + 1;
	if (s->size == 0)
		return (size_t)((const char *)memchr(p, '\n', n) - p) + 1;
	return 0;
}

/* Whether NAME is still the file we write (fd): not when another writer of the same log (a
 * container's daemon and an exec's join both write ID.jsonl) rotated it, or it was moved. */
static bool still_ours(const struct audit_sink *s)
{
	struct stat ours, named;

	return fstat(s->fd, &ours) == 0 &&
	       fstatat(s->dirfd, s->base, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	       ours.st_ino == named.st_ino && ours.st_dev == named.st_dev;
}

/* Once a second: follow another writer's rotation to the new file (so that lines do not go
 * on into NAME.1), and see what it appended. */
static void follow_others(struct audit_sink *s)
{
	struct timespec ts;
	int fd;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (ts.tv_sec == s->checked)
		return;
	s->checked = ts.tv_sec;
	if (!still_ours(s) && (fd = reopen(s)) >= 0) {
		close(s->fd);
		s->fd = fd;
	}
	s->size = file_size(s->fd);
}

void audit_sink_flush(struct audit_sink *s)
{
	size_t done = 0;
	int rotations = 0;

	if (s == NULL || s->len == 0)
		return;
	if (s->dirfd >= 0)
		follow_others(s);
	/* before a rotation the file's real size decides (others may append to it too) */
	if (s->dirfd != -1 && s->size + s->len > s->max_size)
		s->size = file_size(s->fd);
	while (done < s->len) {
		size_t take = s->len - done;

		if (s->dirfd != -1)
			take = fitting(s, s->buf + done, take);
		if (take == 0) {
			/* a second rotation in one flush: another writer fills it as fast */
			if (rotations++ == 2 || rotate(s) < 0)
				break;
			continue;
		}
		if (write_all(s, s->buf + done, take) < 0)
			break;
		done += take;
	}
	s->len = 0;
}

void audit_sink_line(struct audit_sink *s, const char *line, size_t len)
{
	if (s->len + len + 1 > s->cap) {
		s->cap = s->len + len + 1 > AUDIT_SINK_FLUSH_AT * 2 ? s->len + len + 1
								     : AUDIT_SINK_FLUSH_AT * 2;
		s->buf = realloc(s->buf, s->cap);
		if (s->buf == NULL)
			abort();
	}
	memcpy(s->buf + s->len, line, len);
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
	if (s->len >= AUDIT_SINK_FLUSH_AT)
		audit_sink_flush(s);
}

void audit_sink_close(struct audit_sink *s)
{
	if (s == NULL)
		return;
	audit_sink_flush(s);
	if (s->own_fd)
		close(s->fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->read_fd >= 0)
		close(s->read_fd);
	if (s->old_fd >= 0)
		close(s->old_fd);
	free(s->buf);
	free(s->base);
	free(s->name);
	free(s);
}
