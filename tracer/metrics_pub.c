#include "metrics_pub.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* Set while a timer is pending; its handler only clears it: the signal's work is to make the
 * loop's waitpid() return EINTR (no SA_RESTART), so that it flushes again. */
static volatile sig_atomic_t timer_pending;

static void on_timer(int sig)
{
	(void)sig;
	timer_pending = 0;
}

static void arm_timer(uint64_t in_ns)
{
	static bool installed;
	struct itimerval it = { .it_value = { .tv_sec = (time_t)(in_ns / 1000000000u),
					      .tv_usec = (suseconds_t)(in_ns % 1000000000u / 1000) } };

	if (timer_pending)
		return;
	if (!installed) {
		struct sigaction sa = { .sa_handler = on_timer }; /* no SA_RESTART */

		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		installed = true;
	}
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1000;
	timer_pending = 1;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
		timer_pending = 0;
		log_warn_errno("metrics: setitimer");
	}
}

static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metrics_publish(struct metrics *m, bool final)
{
	uint64_t now;
	size_t len;

	if (m == NULL || m->fd < 0 || (m->published == m->changes && m->sent_ns && !final))
		return;
	now = coarse_ns();
	if (!final && m->sent_ns && now - m->sent_ns < METRICS_INTERVAL_NS) {
		arm_timer(m->sent_ns + METRICS_INTERVAL_NS - now);
		return;
	}
	len = metrics_render(m, m->text, METRICS_TEXT_MAX + 1);
	if (len == 0)
		return;
	m->sent_ns = now;
	if (send(m->fd, m->text, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the janitor is behind (EAGAIN): the next send supersedes this one */
		if (errno != EAGAIN && errno != EPIPE && errno != ECONNREFUSED)
			log_warn_errno("metrics: send");
		if (!final)
			arm_timer(METRICS_INTERVAL_NS);
		return;
	}
	m->published = m->changes;
}

int metrics_write_at(int dir_fd, const char *dir_display, const char *name, const char *text,
		     size_t len, struct oci_error **err)
{
	cleanup_close int fd = -1;
	char tmp[4096];
	size_t done = 0;

	if (snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid()) >= (int)sizeof(tmp))
		return oci_fail(err, ENAMETOOLONG, "metrics %s/%s: name too long", dir_display, name);
	unlinkat(dir_fd, tmp, 0); /* left by a process of the same pid that died writing it */
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_fail(err, errno, "metrics %s/%s: %s", dir_display, tmp, strerror(errno));
	fchmod(fd, 0644); /* whatever the umask */
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : EIO;

			unlinkat(dir_fd, tmp, 0);
			return oci_fail(err, saved, "metrics %s/%s: %s", dir_display, tmp,
					strerror(saved));
		}
		done += (size_t)n;
	}
	if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
		int saved = errno;

		unlinkat(dir_fd, tmp, 0);
		return oci_fail(err, saved, "metrics %s/%s: %s", dir_display, name,
				strerror(saved));
	}
	return 0;
}

int metrics_write_file(struct metrics *m, const char *path, struct oci_error **err)
{
	cleanup_free char *d = strdup(path), *b = strdup(path);
	cleanup_close int dir = -1;
	const char *dname, *bname;
	size_t len;

	if (d == NULL || b == NULL)
		return oci_fail(err, ENOMEM, "metrics %s: out of memory", path);
	dname = dirname(d);
	bname = basename(b);
	dir = open(dname, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir < 0)
		return oci_fail(err, errno, "metrics %s: %s", dname, strerror(errno));
	len = metrics_render(m, m->text, METRICS_TEXT_MAX + 1);
	return metrics_write_at(dir, dname, bname, m->text, len, err);
}
