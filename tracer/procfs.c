#include "procfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int proc_status_field(pid_t pid, const char *key, char *out, size_t size)
{
	char path[64], line[512];
	cleanup_file FILE *f = NULL;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		const char *v = line + klen + 1 + strspn(line + klen + 1, " \t");

		snprintf(out, size, "%.*s", (int)strcspn(v, "\n"), v);
		return 0;
	}
	return 1;
}

int proc_seccomp_filters(pid_t tid)
{
	char value[32];

	if (proc_status_field(tid, "Seccomp_filters", value, sizeof(value)) != 0)
		return -1;
	return (int)strtol(value, NULL, 10);
}

int proc_cmdline(pid_t pid, char *buf, size_t size, const char **argv, size_t max, size_t *n)
{
	char path[64];
	cleanup_close int fd = -1;
	ssize_t len;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || size < 2)
		return -1;
	len = read(fd, buf, size - 1); /* one bounded read: what does not fit is cut */
	if (len < 0)
		return -1;
	buf[len] = '\0';
	for (ssize_t i = 0; i < len && *n < max; i += (ssize_t)strlen(buf + i) + 1)
		argv[(*n)++] = buf + i;
	return 0;
}

int proc_ns_id(pid_t pid, const char *ns, struct proc_ns *out)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	if (stat(path, &st) < 0)
		return -1;
	*out = (struct proc_ns){ st.st_dev, st.st_ino };
	return 0;
}

void proc_comm(pid_t tid, char *buf, size_t size)
{
	char path[32];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, size - 1) : -1;
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}
