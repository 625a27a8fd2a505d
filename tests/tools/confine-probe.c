/* confine-probe ACTION: become what octrace-hook's tracer becomes once it has attached (uid and
 * gid 65534, CAP_SYS_PTRACE and CAP_KILL only, no_new_privs, its own seccomp filter:
 * tracer/caps.c, tracer/confine.c), then do ACTION and print what happened:
 *   status    the Uid, Cap*, NoNewPrivs and Seccomp lines of /proc/self/status
 *   shadow    open /etc/shadow for writing: "shadow: errno N" (the uid's permissions apply)
 *   socket | setuid | execve | bind-mount | unshare
 *             a syscall outside the filter: the process is killed by SIGSYS before it prints
 *             "survived" (tests/tracer/confine.sh) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caps.h"
#include "confine.h"

static int status(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) ||
		    !strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs:", 11) ||
		    !strncmp(line, "Seccomp:", 8))
			fputs(line, stdout);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *action = argc > 1 ? argv[1] : "status";

	if (caps_become_tracer(65534, 65534) < 0) {
		perror("confine-probe: caps_become_tracer");
		return 2;
	}
	if (confine_tracer() < 0) {
		perror("confine-probe: confine_tracer");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	/* _exit, as the tracer does: a sanitizer's leak check at exit() stops the world with
	 * ptrace from a helper task, which cannot work under the filter */
	if (strcmp(action, "status") == 0)
		_exit(status());
	if (strcmp(action, "shadow") == 0) {
		int fd = open("/etc/shadow", O_WRONLY | O_CLOEXEC);

		printf("shadow: %s\n", fd >= 0 ? "opened" : "errno");
		printf("errno %d\n", fd >= 0 ? 0 : errno);
		_exit(0);
	}
	if (strcmp(action, "socket") == 0)
		socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(action, "setuid") == 0)
		setresuid(0, 0, 0);
	else if (strcmp(action, "execve") == 0)
		execl("/bin/true", "true", (char *)NULL);
	else if (strcmp(action, "bind-mount") == 0)
		mount("/", "/mnt", NULL, MS_BIND, NULL);
	else if (strcmp(action, "unshare") == 0)
		unshare(CLONE_NEWUSER);
	else {
		fprintf(stderr, "confine-probe: unknown action %s\n", action);
		return 2;
	}
	printf("survived\n");
	_exit(0);
}
