#include "hook_pid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* OCI's names, and /proc/PID/ns's, pid first (HOOK_NS_PID). A new time namespace is entered at the
 * init's exec: before it, only time_for_children shows it (and after it, time_for_children is the
 * same one). */
static const struct {
	const char *oci;
	const char *proc;
} kinds[HOOK_NS_KINDS] = {
    {"pid", "pid"}, {"network", "net"}, {"mount", "mnt"},     {"ipc", "ipc"},
    {"uts", "uts"}, {"user", "user"},	{"cgroup", "cgroup"}, {"time", "time_for_children"},
};

static int kind_index(const char *oci)
{
	for (int k = 0; k < HOOK_NS_KINDS; k++)
		if (strcmp(kinds[k].oci, oci) == 0)
			return k;
	return -1;
}

/* The parent and the start time (clock ticks after boot) from /proc/PID/stat. The name in
 * parentheses may hold anything: the fields are counted from the last ')'. */
static int proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	const char *p;
	ssize_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %d", ppid) != 1)
		return errno = EPROTO, -1;
	/* p + 1 starts field 3 (state); the start time is field 22 */
	for (field = 2, p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", start) != 1)
		return errno = EPROTO, -1;
	return 0;
}

/* The pid in the innermost pid namespace: the last field of NSpid. */
static long nspid_innermost(pid_t pid)
{
	char value[256];
	const char *last;

	if (proc_status_field(pid, "NSpid", value, sizeof(value)) != 0)
		return -1;
	last = strrchr(value, '\t');
	return strtol(last ? last + 1 : value, NULL, 10);
}

static int expect_entry(const char *config_path, const struct oci_namespace *n, int i,
			struct hook_pid_expect *e, struct oci_error **err)
{
	int k = kind_index(n->type);
	struct stat st;

	if (k < 0)
		return oci_fail(err, EINVAL,
				"%s: linux.namespaces[%d].type: unknown namespace \"%s\"",
				config_path, i, n->type);
	if (e->ns[k].want == HOOK_NS_NEW || e->ns[k].want == HOOK_NS_JOINED)
		return oci_fail(err, EINVAL, "%s: linux.namespaces[%d].type: \"%s\" twice",
				config_path, i, n->type);
	e->ns[k].index = i;
	if (n->path == NULL) {
		if (e->ns[k].want == HOOK_NS_SHARED)
			e->ns[k].want = HOOK_NS_NEW;
		return 0;
	}
	if (stat(n->path, &st) < 0)
		return oci_fail(err, errno, "%s: linux.namespaces[%d].path: %s: %s", config_path, i,
				n->path, strerror(errno));
	e->ns[k] = (struct hook_ns_expect){HOOK_NS_JOINED, {st.st_dev, st.st_ino}, i};
	return 0;
}

int hook_pid_expect_init(const char *config_path, const struct oci_bundle_config *cfg,
			 bool from_runtime, struct hook_pid_expect *out, struct oci_error **err)
{
	struct hook_pid_expect e = {.runtime = from_runtime ? getppid() : 0};
	pid_t ignored;

	if (from_runtime && proc_stat(e.runtime, &ignored, &e.runtime_start) < 0)
		return oci_fail(err, errno, "the runtime running the hook (pid %d): %s", e.runtime,
				strerror(errno));
	for (int k = 0; k < HOOK_NS_KINDS; k++) {
		if (proc_ns_id(getpid(), kinds[k].proc, &e.ns[k].id) == 0)
			e.ns[k].want = HOOK_NS_SHARED;
		else if (errno != ENOENT)
			return oci_fail(err, errno, "/proc/self/ns/%s: %s", kinds[k].proc,
					strerror(errno));
	}
	for (size_t i = 0; i < cfg->n_namespaces; i++)
		if (expect_entry(config_path, &cfg->namespaces[i], (int)i, &e, err) < 0)
			return -1;
	*out = e;
	return 0;
}

/* The runtime: alive, the same process, the pid's parent, not younger than the pid. */
static int check_parent(const struct hook_pid_expect *e, pid_t pid, struct oci_error **err)
{
	unsigned long long start, rt_start;
	pid_t ppid, rt_ppid;

	if (proc_stat(pid, &ppid, &start) < 0)
		return oci_fail(err, errno, "pid %d: %s", pid,
				errno == ENOENT ? "no such process" : strerror(errno));
	if (e->runtime == 0)
		return 0;
	if (proc_stat(e->runtime, &rt_ppid, &rt_start) < 0 || rt_start != e->runtime_start)
		return oci_fail(err, ESRCH,
				"pid %d: refused: the runtime that runs the hook "
				"(pid %d) is gone",
				pid, e->runtime);
	if (ppid != e->runtime)
		return oci_fail(err, EPERM,
				"pid %d: refused: its parent is pid %d, not the runtime "
				"that runs the hook (pid %d)",
				pid, ppid, e->runtime);
	if (start < e->runtime_start)
		return oci_fail(err, EPERM,
				"pid %d: refused: it started before the runtime that "
				"runs the hook (pid %d)",
				pid, e->runtime);
	return 0;
}

static int check_ns(const struct hook_pid_expect *e, int k, pid_t pid, struct oci_error **err)
{
	const struct hook_ns_expect *x = &e->ns[k];
	struct proc_ns id;
	bool same;

	if (x->want == HOOK_NS_UNCHECKED)
		return 0;
	if (proc_ns_id(pid, kinds[k].proc, &id) < 0)
		return oci_fail(err, errno, "pid %d: /proc/%d/ns/%s: %s", pid, pid, kinds[k].proc,
				strerror(errno));
	same = id.dev == x->id.dev && id.ino == x->id.ino;
	if (x->want == HOOK_NS_SHARED && !same)
		return oci_fail(err, EPERM,
				"pid %d: refused: its %s namespace is not the runtime's, "
				"and config.json lists no %s namespace",
				pid, kinds[k].oci, kinds[k].oci);
	if (x->want == HOOK_NS_NEW && same)
		return oci_fail(err, EPERM,
				"pid %d: refused: its %s namespace is the runtime's, "
				"and config.json asks for a new one (linux.namespaces[%d])",
				pid, kinds[k].oci, x->index);
	if (x->want == HOOK_NS_JOINED && !same)
		return oci_fail(err, EPERM,
				"pid %d: refused: its %s namespace is not the one "
				"config.json names (linux.namespaces[%d].path)",
				pid, kinds[k].oci, x->index);
	return 0;
}

int hook_pid_verify(const struct hook_pid_expect *e, pid_t pid, struct oci_error **err)
{
	long inner;

	if (check_parent(e, pid, err) < 0)
		return -1;
	for (int k = 0; k < HOOK_NS_KINDS; k++)
		if (check_ns(e, k, pid, err) < 0)
			return -1;
	if (e->ns[HOOK_NS_PID].want == HOOK_NS_NEW && (inner = nspid_innermost(pid)) != 1)
		return oci_fail(err, EPERM,
				"pid %d: refused: it is pid %ld of its new pid "
				"namespace, not 1 (linux.namespaces[%d])",
				pid, inner, e->ns[HOOK_NS_PID].index);
	return 0;
}
