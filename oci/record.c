#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "io.h"
#include "state.h"

#define RECORD_MAX (1u << 20)

static void record_key(const char *root, const char *id, const char *suffix, char *name,
		       size_t size)
{
	size_t rl = strlen(root ? root : ""), il = strlen(id);
	char *key = malloc(rl + 1 + il);

	if (key == NULL)
		abort();
	memcpy(key, root ? root : "", rl);
	key[rl] = '\0'; /* no root string holds a NUL: the key is unambiguous */
	memcpy(key + rl + 1, id, il);
	snprintf(name, size, "%016" PRIx64 "%s", oci_fnv1a64(key, rl + 1 + il), suffix);
	free(key);
}

static void record_name(const char *root, const char *id, char *name, size_t size)
{
	record_key(root, id, ".json", name, size);
}

void oci_record_socket_path(const char *dir, const char *root, const char *id, char *path,
			    size_t size)
{
	char name[32];

	record_key(root, id, ".sock", name, sizeof(name));
	snprintf(path, size, "%s/%s", dir, name);
}

void oci_record_control_path(const char *dir, const char *root, const char *id, char *path,
			     size_t size)
{
	char name[32];

	record_key(root, id, ".ctl", name, sizeof(name));
	snprintf(path, size, "%s/%s", dir, name);
}

int oci_record_write(const char *dir, const char *root, const char *id, const char *state,
		     size_t len, struct oci_error **err)
{
	cleanup_close int dfd = oci_open_safe_dir(dir);
	cleanup_close int fd = -1;
	char name[32], tmp[48];

	if (dfd < 0)
		return oci_fail(err, errno ? errno : EPERM, "%s: not a directory only root can write",
				dir);
	record_name(root, id, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return oci_fail(err, errno, "%s/%s: %s", dir, tmp, strerror(errno));
	if (oci_write_all(fd, state, len) < 0 || close(steal_fd(&fd)) < 0 ||
	    renameat(dfd, tmp, dfd, name) < 0) {
		int saved = errno;

		unlinkat(dfd, tmp, 0);
		return oci_fail(err, saved, "%s/%s: %s", dir, name, strerror(saved));
	}
	return 0;
}

/* The record's state, parsed, if it names `id`. */
static int read_state(const char *dir, const char *root, const char *id, char **buf,
		      size_t *len, struct oci_state **st)
{
	cleanup_close int dfd = oci_open_safe_dir(dir);
	cleanup_close int fd = -1;
	cleanup_oci_error struct oci_error *ignored = NULL;
	char name[32];

	if (dfd < 0)
		return -1;
	record_name(root, id, name, sizeof(name));
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || oci_read_fd(fd, RECORD_MAX, buf, len) < 0)
		return -1;
	if (oci_state_parse(name, *buf, *len, st, &ignored) < 0 || strcmp((*st)->id, id) != 0) {
		oci_state_free(*st);
		*st = NULL;
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

int oci_record_read(const char *dir, const char *root, const char *id, char **state,
		    size_t *len)
{
	cleanup_oci_state struct oci_state *st = NULL;

	*state = NULL;
	return read_state(dir, root, id, state, len, &st);
}

/* DIR/KEY`suffix` of the one record naming `id` (and init `pid`, unless 0). */
static int find_record(const char *dir, const char *id, pid_t pid, const char *suffix,
		       char *path, size_t size)
{
	cleanup_close int dfd = oci_open_safe_dir(dir);
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (dfd < 0 || (d = fdopendir(dup(dfd))) == NULL)
		return -1;
	while ((pid > 0 ? found == 0 : found < 2) && (de = readdir(d)) != NULL) {
		cleanup_oci_state struct oci_state *st = NULL;
		cleanup_oci_error struct oci_error *ignored = NULL;
		cleanup_free char *buf = NULL;
		cleanup_close int fd = -1;
		size_t n = strlen(de->d_name), len;

		if (n != 16 + 5 || strcmp(de->d_name + 16, ".json") != 0)
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || oci_read_fd(fd, RECORD_MAX, &buf, &len) < 0 ||
		    oci_state_parse(de->d_name, buf, len, &st, &ignored) < 0)
			continue;
		if (strcmp(st->id, id) == 0 && (pid <= 0 || st->pid == pid)) {
			snprintf(path, size, "%s/%.16s%s", dir, de->d_name, suffix);
			found++;
		}
	}
	closedir(d);
	return found == 1 ? 0 : found == 0 ? -1 : -2;
}

int oci_record_find_socket(const char *dir, const char *id, pid_t pid, char *path,
			   size_t size)
{
	return find_record(dir, id, pid, ".sock", path, size) == 0 ? 0 : -1;
}

int oci_record_find_control(const char *dir, const char *id, char *path, size_t size)
{
	return find_record(dir, id, 0, ".ctl", path, size);
}

void oci_record_sweep(const char *dir)
{
	cleanup_close int dfd = oci_open_safe_dir(dir);
	DIR *d;
	struct dirent *de;

	if (dfd < 0 || (d = fdopendir(dup(dfd))) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		cleanup_oci_state struct oci_state *st = NULL;
		cleanup_oci_error struct oci_error *ignored = NULL;
		cleanup_free char *buf = NULL;
		cleanup_close int fd = -1;
		char sock[32];
		size_t len;

		if (strlen(de->d_name) != 16 + 5 || strcmp(de->d_name + 16, ".json") != 0)
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || oci_read_fd(fd, RECORD_MAX, &buf, &len) < 0 ||
		    oci_state_parse(de->d_name, buf, len, &st, &ignored) < 0 || st->pid <= 0 ||
		    kill(st->pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(sock, sizeof(sock), "%.16s.sock", de->d_name);
		unlinkat(dfd, sock, 0);
		snprintf(sock, sizeof(sock), "%.16s.ctl", de->d_name);
		unlinkat(dfd, sock, 0);
		unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

void oci_record_remove(const char *dir, const char *root, const char *id, pid_t pid)
{
	cleanup_oci_state struct oci_state *st = NULL;
	cleanup_free char *buf = NULL;
	cleanup_close int dfd = -1;
	size_t len;
	char name[32];

	if (read_state(dir, root, id, &buf, &len, &st) < 0 || st->pid != pid)
		return;
	dfd = oci_open_safe_dir(dir);
	record_name(root, id, name, sizeof(name));
	if (dfd >= 0)
		unlinkat(dfd, name, 0);
}
