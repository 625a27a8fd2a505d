#include "janitor_control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "reload.h"

#define CONTROL_REQUEST_MS 2000 /* a client has this long to say what it wants */
#define CONTROL_ANSWER_MS 120000 /* the tracer stops every task to stack a filter: a busy
				  * container with thousands of tasks takes a while */

static volatile sig_atomic_t hup;

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

int control_listen(struct janitor_control *c, const char *path, struct oci_error **err)
{
	return join_listen(&c->listener, c->name, path, err);
}

void control_close(struct janitor_control *c)
{
	if (c->listener.fd >= 0) {
		join_unlink(&c->listener);
		close(c->listener.fd);
		c->listener.fd = -1;
	}
}

static int send_policy(struct janitor_control *c)
{
	char buf[RELOAD_MSG_MAX];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	cleanup_close int fd = -1;
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct stat st;
	int n;

	if (c->policy_path == NULL) {
		n = snprintf(buf, sizeof(buf), "error the container is traced without a policy");
	} else if ((fd = open(c->policy_path,
			      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		/* O_NONBLOCK: a FIFO put there must not hold the janitor in open() */
		n = snprintf(buf, sizeof(buf), "error %s: cannot read: %s", c->policy_path,
			     strerror(errno));
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* nor the tracer in read() (a FIFO, a terminal) */
		n = snprintf(buf, sizeof(buf), "error %s: not a regular file", c->policy_path);
	} else {
		n = snprintf(buf, sizeof(buf), "policy");
		memset(&u, 0, sizeof(u));
		m.msg_control = u.space;
		m.msg_controllen = sizeof(u.space);
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);

		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(int));
	}
	iov = (struct iovec){ buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1) };
	return sendmsg(c->chan, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* One reload: the policy to the tracer, its answer into `answer`. */
static void reload_once(struct janitor_control *c, int tracer_fd, char *answer, size_t size)
{
	struct pollfd p[2] = { { .fd = c->chan, .events = POLLIN },
			       { .fd = tracer_fd, .events = POLLIN } };
	int waited = 0;

	if (send_policy(c) < 0) {
		snprintf(answer, size, "error the tracer cannot be reached: %s", strerror(errno));
		return;
	}
	/* a bounded wait: a tracer stuck in a task that will not stop must not hold the
	 * janitor (which would then never clean up) */
	while (waited < CONTROL_ANSWER_MS) {
		ssize_t n;
		int rc = poll(p, 2, 1000);

		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0) {
			waited += rc == 0 ? 1000 : 0;
			continue;
		}
		if (p[1].revents) {
			snprintf(answer, size, "error the tracer exited");
			return;
		}
		n = recv(c->chan, answer, size - 1, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			snprintf(answer, size, "error the tracer exited");
			return;
		}
		answer[n] = '\0';
		if (strcmp(answer, "reload") == 0)
			continue; /* a SIGHUP to the tracer meanwhile: served by this one */
		return;
	}
	snprintf(answer, size, "error no answer from the tracer within %d s",
		 CONTROL_ANSWER_MS / 1000);
}

/* A client of the control socket: root only, one request ("reload"), one answer. */
static void serve_client(struct janitor_control *c, int tracer_fd)
{
	cleanup_close int conn = accept4(c->listener.fd, NULL, NULL, SOCK_CLOEXEC);
	char req[64], answer[RELOAD_MSG_MAX];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct pollfd p;
	ssize_t n;

	if (conn < 0)
		return;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		snprintf(answer, sizeof(answer), "error only root may control the daemon");
		goto reply;
	}
	p = (struct pollfd){ .fd = conn, .events = POLLIN };
	if (poll(&p, 1, CONTROL_REQUEST_MS) <= 0 ||
	    (n = recv(conn, req, sizeof(req) - 1, MSG_DONTWAIT)) <= 0) {
		snprintf(answer, sizeof(answer), "error no request");
		goto reply;
	}
	req[n] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (strcmp(req, "reload") != 0) {
		snprintf(answer, sizeof(answer), "error unknown request");
		goto reply;
	}
	log_info("container %s: policy reload asked by pid %d", c->name, cred.pid);
	reload_once(c, tracer_fd, answer, sizeof(answer));
reply:
	if (send(conn, answer, strlen(answer), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_warn_errno("control: reply");
}

void control_serve(struct janitor_control *c, pid_t tracer)
{
	cleanup_close int tracer_fd = (int)syscall(SYS_pidfd_open, tracer, 0);
	struct sigaction sa = { .sa_handler = on_hup };
	sigset_t blocked, during;
	bool metrics_open = true;

	if (tracer_fd < 0)
		return; /* the caller's waitpid() still reaps it */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &blocked, &during);
	sigdelset(&during, SIGHUP);
	for (;;) {
		struct pollfd p[4] = { { .fd = tracer_fd, .events = POLLIN },
				       { .fd = c->chan, .events = POLLIN },
				       { .fd = c->listener.fd, .events = POLLIN },
				       { .fd = metrics_open ? c->metrics->sock : -1, .events = POLLIN } };
		char answer[RELOAD_MSG_MAX];
		int rc = ppoll(p, 4, NULL, &during);

		if (hup) {
			hup = 0;
			log_info("container %s: policy reload (SIGHUP)", c->name);
			reload_once(c, tracer_fd, answer, sizeof(answer));
			continue;
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 || p[0].revents)
			break;
		if (p[1].revents & (POLLHUP | POLLERR))
			c->chan = -1; /* the tracer closed it: it is on its way out */
		else if (p[1].revents) {
			ssize_t n = recv(c->chan, answer, sizeof(answer) - 1, MSG_DONTWAIT);

			if (n > 0) {
				answer[n] = '\0';
				if (strcmp(answer, "reload") == 0)
					reload_once(c, tracer_fd, answer, sizeof(answer));
			}
		}
		if (p[2].revents)
			serve_client(c, tracer_fd);
		if (p[3].revents && hook_metrics_receive(c->metrics) < 0)
			metrics_open = false;
	}
	sigprocmask(SIG_UNBLOCK, &blocked, NULL);
}
