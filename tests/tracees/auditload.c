/* auditload DIR: a workload for the audit log tests, every event kind of docs/audit-format.md
 * made once, with values the test knows. DIR is a fresh directory holding a file "known".
 * In order, each printing one line on stdout (no pid, no path: the output of two runs
 * compares equal):
 *   getppid(ARG_ERRNO)                                 denied by tests/policies/audit.json
 *   mkdirat(AT_FDCWD, "DIR/denied", 0750)              denied (EACCES)
 *   openat(AT_FDCWD, "DIR/known", O_RDONLY|O_CLOEXEC)  the known path
 *   openat(AT_FDCWD, (char *)1, O_RDONLY)              a bad pointer: EFAULT, for the decoder
 *   bind + connect to the unix socket DIR/sock, and to a listener on 127.0.0.1
 *   uname
 *   two threads: one makes a denied call and exits (joined), one blocks in read (once it
 *   has written its fact)
 *   fork(): the child makes a denied call and _exit(3)s
 *   vfork(): the child makes a denied call and _exit(4)s
 *   a third thread (not the leader) execs "auditload final DIR two words": the image makes
 *   one more denied call and exits 7 (exit_group), while the leader and the blocked thread
 *   are killed by the exec.
 * If fd 3 is open, "NAME ID" lines go to it (leader, thread, fork, vfork, execer tids and
 * pids, the inet port) for the test to match against the log.
 * Proves (with tests/tracer/audit.sh): the audit log has each event with the right values. */
#include "tracee.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define FACTS_FD 3

static const char *dir;
static int block_pipe[2], ready_pipe[2];

static void fact(const char *name, long id)
{
	dprintf(FACTS_FD, "%s %ld\n", name, id); /* EBADF when the test did not ask: fine */
}

/* "NAME = 0" or "NAME = -1 ENAME" from a libc-style return. */
static void result(const char *name, long ret)
{
	if (ret < 0)
		say("%s = -1 %s", name, strerrorname_np(errno));
	else
		say("%s = 0", name);
}

static void path_in_dir(char *buf, size_t size, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		fail("path too long: %s/%s", dir, name);
}

static void files(void)
{
	char path[256];
	long fd;

	path_in_dir(path, sizeof(path), "denied");
	result("mkdirat denied", mkdirat(AT_FDCWD, path, 0750));
	path_in_dir(path, sizeof(path), "known");
	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	result("openat known", fd);
	if (fd >= 0)
		close((int)fd);
	fd = raw_syscall(SYS_openat, AT_FDCWD, 1, O_RDONLY, 0, 0, 0);
	say("openat bad pointer = %s", fd == -EFAULT ? "-1 EFAULT" : "unexpected");
}

static void unix_socket(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int cli = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (srv < 0 || cli < 0)
		fail("socket: %m");
	path_in_dir(sun.sun_path, sizeof(sun.sun_path), "sock");
	result("bind unix", bind(srv, (struct sockaddr *)&sun, sizeof(sun)));
	if (listen(srv, 1) < 0)
		fail("listen: %m");
	result("connect unix", connect(cli, (struct sockaddr *)&sun, sizeof(sun)));
	close(cli);
	close(srv);
}

static void inet_socket(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (srv < 0 || cli < 0)
		fail("socket: %m");
	if (bind(srv, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(srv, 1) < 0 ||
	    getsockname(srv, (struct sockaddr *)&sin, &len) < 0)
		fail("inet listener: %m");
	fact("port", ntohs(sin.sin_port));
	result("connect inet", connect(cli, (struct sockaddr *)&sin, sizeof(sin)));
	close(cli);
	close(srv);
}

static void denied(const char *who)
{
	long r = probe(ARG_ERRNO);

	say("%s getppid = %s", who, r == -EPERM ? "-1 EPERM" : r > 0 ? "pid" : "unexpected");
}

static void *short_thread(void *arg)
{
	fact("thread", syscall(SYS_gettid));
	denied("thread");
	return arg;
}

static void *blocked_thread(void *arg)
{
	char c;

	fact("blocked", syscall(SYS_gettid));
	close(ready_pipe[1]); /* EOF: the fact is written */
	while (read(block_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return arg;
}

static int status_of(pid_t pid)
{
	int st;

	if (pid < 0)
		fail("fork: %m");
	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid: %m");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void children(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(probe(ARG_ERRNO) == -EPERM ? 3 : 13);
	fact("fork", pid);
	say("fork child status %d", status_of(pid));
	pid = vfork();
	if (pid == 0)
		_exit(probe(ARG_ERRNO) == -EPERM ? 4 : 14);
	fact("vfork", pid);
	say("vfork child status %d", status_of(pid));
}

static char *self;

static void *exec_thread(void *arg)
{
	char final[] = "final", words[] = "two words";
	char *argv[] = {self, final, (char *)dir, words, NULL};

	fact("execer", syscall(SYS_gettid));
	execv(self, argv);
	fail("execv %s: %m", self);
	return arg;
}

int main(int argc, char **argv)
{
	struct utsname u;
	char c;

	if (argc == 4 && strcmp(argv[1], "final") == 0) {
		denied("final");
		exit(7);
	}
	if (argc != 2)
		fail("usage: auditload DIR");
	self = argv[0];
	dir = argv[1];
	fact("leader", getpid());
	denied("main");
	files();
	unix_socket();
	inet_socket();
	result("uname", uname(&u));
	if (pipe2(block_pipe, O_CLOEXEC) < 0 || pipe2(ready_pipe, O_CLOEXEC) < 0)
		fail("pipe: %m");
	pthread_join(start_thread(short_thread, NULL), NULL);
	start_thread(blocked_thread, NULL);
	while (read(ready_pipe[0], &c, 1) < 0 && errno == EINTR)
		; /* until the blocked thread has said who it is */
	children();
	start_thread(exec_thread, NULL);
	for (;;)
		pause(); /* killed by the exec */
}
