#include "procfs.h"

#include <stdio.h>
#include <string.h>

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
