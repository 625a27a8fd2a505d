#include "hook_logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "hook_config.h"
#include "json.h"
#include "sha256.h"

#define MOVE_ATTEMPTS 8

static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

void hook_log_stem(const char *id, const char *name, char *out, size_t size)
{
	char prefix[HOOK_LOG_PREFIX_MAX + 1], hex[HOOK_LOG_HASH_HEX + 1];
	uint8_t hash[SHA256_SIZE];
	size_t i;

	if (name) {
		snprintf(out, size, "@%s", name);
		return;
	}
	if (hook_name_is_safe(id)) {
		snprintf(out, size, "%s", id);
		return;
	}
	for (i = 0; id[i] && i < HOOK_LOG_PREFIX_MAX; i++)
		prefix[i] =
		    plain_char(id[i]) && !(i == 0 && (id[i] == '.' || id[i] == '-')) ? id[i] : '_';
	prefix[i] = '\0';
	sha256(id, strlen(id), hash);
	for (i = 0; i < HOOK_LOG_HASH_HEX / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	snprintf(out, size, "%s+%s", prefix, hex);
}

/* Rename `from` to `to` unless `to` exists. Where the filesystem has no RENAME_NOREPLACE
 * (NFS), link then unlink gives the same guarantee, not atomically. */
static int rename_noreplace(int dir, const char *from, const char *to)
{
	if (renameat2(dir, from, dir, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dir, from, dir, to, 0) < 0)
		return -1;
	return unlinkat(dir, from, 0);
}

/* DIR/STEM.EXT, created: what is there already is moved to STEM@TIME[-N].EXT first. */
static int create_fresh(int dir, const char *dir_path, const char *stem, const char *ext,
			const char *when, struct oci_error **err)
{
	char name[HOOK_LOG_STEM_MAX + 16], old[HOOK_LOG_STEM_MAX + 64];

	snprintf(name, sizeof(name), "%s%s", stem, ext);
	for (int attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
		int fd = openat(dir, name,
				O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_NOCTTY |
				    O_CLOEXEC,
				0640);

		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return oci_fail(err, errno, "log %s/%s: %s", dir_path, name,
					strerror(errno));
		if (attempt == 0)
			snprintf(old, sizeof(old), "%s@%s%s", stem, when, ext);
		else
			snprintf(old, sizeof(old), "%s@%s-%d%s", stem, when, attempt, ext);
		/* ENOENT: another hook moved it; EEXIST: that name is taken, try the next */
		if (rename_noreplace(dir, name, old) < 0 && errno != ENOENT && errno != EEXIST)
			return oci_fail(err, errno,
					"log %s/%s: cannot move the earlier one to %s: %s",
					dir_path, name, old, strerror(errno));
	}
	return oci_fail(err, EEXIST, "log %s/%s: still there after %d attempts to move it away",
			dir_path, name, MOVE_ATTEMPTS);
}

static int open_dir(const char *path, struct oci_error **err)
{
	int dir = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (dir < 0 && errno == ENOENT && mkdir(path, 0750) == 0)
		dir = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir < 0)
		return oci_fail(err, errno, "log directory %s: %s", path, strerror(errno));
	return dir;
}

int hook_logs_open(const char *dir_path, const char *stem, int *log_fd, int *audit_fd,
		   struct oci_error **err)
{
	cleanup_close int dir = open_dir(dir_path, err);
	cleanup_close int log = -1;
	struct timespec ts;
	struct tm tm;
	char when[40];
	int audit;

	if (dir < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%09ldZ", ts.tv_nsec);
	log = create_fresh(dir, dir_path, stem, ".log", when, err);
	if (log < 0)
		return -1;
	audit = create_fresh(dir, dir_path, stem, ".jsonl", when, err);
	if (audit < 0)
		return -1;
	*log_fd = steal_fd(&log);
	*audit_fd = audit;
	return 0;
}

/* Is `name` STEM.jsonl or STEM@TIME.jsonl? Then *end is where its stem ends. */
static bool audit_log_of(const char *name, const char *stem, size_t *end)
{
	size_t n = strlen(stem), len = strlen(name);
	const char *ext = len > 6 ? name + len - 6 : NULL;

	if (ext == NULL || strcmp(ext, ".jsonl") != 0 || strncmp(name, stem, n) != 0)
		return false;
	if (name + n != ext && (name[n] != '@' || memchr(name + n + 1, '@', ext - name - n - 1)))
		return false;
	*end = (size_t)(ext - name);
	return true;
}

/* The first event of the audit log in fd is the attach (or reattach) of container id's
 * init `pid`. */
static bool first_event_is(int fd, const char *id, pid_t pid)
{
	cleanup_oci_error struct oci_error *err = NULL;
	cleanup_json struct json *doc = NULL;
	char buf[8192];
	const struct json *ev, *ctr, *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	uint64_t v;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (json_parse(buf, strlen(buf), &doc, &err) < 0)
		return false;
	ev = json_get(doc, "event");
	ctr = json_get(doc, "container");
	p = json_get(doc, "pid");
	return ev && ev->type == JSON_STRING &&
	       (strcmp(ev->text, "attach") == 0 || strcmp(ev->text, "reattach") == 0) && ctr &&
	       ctr->type == JSON_STRING && strcmp(ctr->text, id) == 0 && p &&
	       json_uint(p, UINT32_MAX, &v, &err) == 0 && v == (uint64_t)pid;
}

/* The newest audit log of `stem` in dir whose first event is (id, pid): STEM.jsonl, else the
 * latest STEM@TIME.jsonl (names sort by time). Its stem into found ("" when none). */
static int find_audit_log(int dir, const char *stem, const char *id, pid_t pid, char *found,
			  size_t size)
{
	DIR *d = fdopendir(dup(dir));
	struct dirent *de;
	size_t end, n = strlen(stem);

	found[0] = '\0';
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		cleanup_close int fd = -1;
		bool current;
		struct stat sb;

		if (!audit_log_of(de->d_name, stem, &end) || end >= size)
			continue;
		current = end == n;
		if (!current && found[0] &&
		    (strlen(found) == n || strncmp(de->d_name, found, end) < 0))
			continue; /* not newer than the one found */
		fd = openat(dir, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    first_event_is(fd, id, pid))
			snprintf(found, size, "%.*s", (int)end, de->d_name);
	}
	closedir(d);
	return 0;
}

int hook_logs_continue(const char *dir_path, char *stem, size_t stem_size, const char *id,
		       pid_t pid, int *log_fd, int *audit_fd, struct oci_error **err)
{
	cleanup_close int dir = open(dir_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	cleanup_close int audit = -1;
	char found[HOOK_LOG_STEM_MAX + 64], name[HOOK_LOG_STEM_MAX + 80];
	int log;

	if (dir < 0)
		return errno == ENOENT ? 0
				       : oci_fail(err, errno, "log directory %s: %s", dir_path,
						  strerror(errno));
	if (find_audit_log(dir, stem, id, pid, found, sizeof(found)) < 0 || found[0] == '\0')
		return 0;
	snprintf(name, sizeof(name), "%s.jsonl", found);
	audit = openat(dir, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (audit < 0 || !first_event_is(audit, id, pid))
		return audit < 0
			   ? oci_fail(err, errno, "log %s/%s: %s", dir_path, name, strerror(errno))
			   : 0;
	snprintf(name, sizeof(name), "%s.log", found);
	log = openat(dir, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (log < 0 && errno == ENOENT)
		log = openat(dir, name,
			     O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_NOCTTY |
				 O_CLOEXEC,
			     0640);
	if (log < 0)
		return oci_fail(err, errno, "log %s/%s: %s", dir_path, name, strerror(errno));
	snprintf(stem, stem_size, "%s", found);
	*log_fd = log;
	*audit_fd = steal_fd(&audit);
	return 1;
}
