#include "hook_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "metrics.h"
#include "metrics_pub.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* node_exporter reads DIR as its own user (Debian's: prometheus). /run/octrace is octrace's,
 * made 0700 by whichever of its directories came first (the policy cache, the records; each
 * 0700 itself): for DIR inside it, others may pass through it (0711), never list it. */
static void let_through(const char *dir_path)
{
	cleanup_free char *copy = strdup(dir_path);
	const char *parent = copy ? dirname(copy) : NULL;
	struct stat st;

	if (parent == NULL || strcmp(parent, HOOK_RUN_DIR) != 0 ||
	    lstat(parent, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 0011) == 0011)
		return;
	if (chmod(parent, (st.st_mode & 07777) | 0011) < 0)
		log_warn("metrics: %s: cannot let node_exporter through (chmod o+x): %s", parent,
			 strerror(errno));
}

int hook_metrics_open(const char *dir_path, const char *id, struct hook_metrics *m,
		      struct oci_error **err)
{
	char stem[HOOK_LOG_STEM_MAX];
	int pair[2], size = 2 * (METRICS_TEXT_MAX + 4096);

	*m = (struct hook_metrics){ .dir = -1, .sock = -1, .tracer_end = -1 };
	if (dir_path == NULL)
		return 0;
	snprintf(m->dir_path, sizeof(m->dir_path), "%s", dir_path);
	m->dir = open(dir_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (m->dir < 0 && errno == ENOENT) {
		/* its parent too: /run/octrace is made by whichever hook comes first after a
		 * boot */
		cleanup_free char *parent = strdup(dir_path);

		if (parent && mkdir(dirname(parent), 0711) < 0 && errno != EEXIST)
			log_debug("metrics: %s: %s", parent, strerror(errno));
		if (mkdir(dir_path, 0755) == 0 || errno == EEXIST)
			m->dir = open(dir_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	}
	let_through(dir_path);
	if (m->dir < 0)
		return oci_fail(err, errno, "metrics directory %s: %s", dir_path, strerror(errno));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		int saved = errno;

		close_fd(&m->dir);
		return oci_fail(err, saved, "metrics: socketpair: %s", strerror(saved));
	}
	/* room for a whole text, and one more queued (the tracer never blocks on it) */
	setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(pair[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	m->sock = pair[0];
	m->tracer_end = pair[1];
	hook_log_stem(id, NULL, stem, sizeof(stem));
	snprintf(m->name, sizeof(m->name), "%s.prom", stem);
	return 0;
}

static void write_text(struct hook_metrics *m, const char *text, size_t len)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct stat st;

	if (metrics_write_at(m->dir, m->dir_path, m->name, text, len, &err) < 0) {
		log_warn("%s", err->msg);
		return;
	}
	if (fstatat(m->dir, m->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		m->written = true;
		m->dev = st.st_dev;
		m->ino = st.st_ino;
	}
}

/* Write the newest of the texts waiting (blocking for the first unless `flags` has
 * MSG_DONTWAIT): 0, or -1 once the tracer's end is closed (or an error). */
static int receive(struct hook_metrics *m, int flags)
{
	cleanup_free char *buf = malloc(METRICS_TEXT_MAX + 1);

	if (m->sock < 0 || buf == NULL)
		return -1;
	for (;;) {
		ssize_t n = recv(m->sock, buf, METRICS_TEXT_MAX + 1, MSG_TRUNC | flags);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1; /* 0: the tracer's end is closed */
		if ((size_t)n > METRICS_TEXT_MAX)
			continue; /* never sent by a tracer of this build */
		write_text(m, buf, (size_t)n);
	}
}

void hook_metrics_serve(struct hook_metrics *m)
{
	receive(m, 0);
}

int hook_metrics_receive(struct hook_metrics *m)
{
	return receive(m, MSG_DONTWAIT);
}

void hook_metrics_remove(struct hook_metrics *m)
{
	struct stat st;

	if (m->dir >= 0 && m->written &&
	    fstatat(m->dir, m->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == m->ino &&
	    st.st_dev == m->dev && unlinkat(m->dir, m->name, 0) < 0)
		log_warn_errno("metrics %s/%s", m->dir_path, m->name);
	hook_metrics_close(m);
}

void hook_metrics_close(struct hook_metrics *m)
{
	close_fd(&m->dir);
	close_fd(&m->sock);
	close_fd(&m->tracer_end);
}
