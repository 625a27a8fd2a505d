/* The compiled-filter cache (see cache.h).
 *
 * An entry is DIR/<FNV-1a 64 of the key, hex>.filter, in host byte order (the key names the
 * native architecture):
 *   magic[8]  u64 key_len, key
 *   u64 n_insns, struct sock_filter[n_insns]
 *   u64 n_slots, {u32 action, u32 errno_ret, u32 is_bad_arch}[n_slots]
 *   u32 flags
 *   u64 warn_len, the warning lines without their "SOURCE: " prefix
 *   u64 FNV-1a 64 of everything before it
 * Every length is checked against the file's size; an entry that is not exactly this is a
 * miss, and the entry written after compiling replaces it (write to a temporary file in the
 * directory, then rename: a reader sees the old entry or the new one, never half of one). */
#include "cache.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* Bump CACHE_FORMAT when the file layout or the key's layout changes. */
#define CACHE_FORMAT 2
#define CACHE_FILE_MAX (16u << 20)
#define CACHE_MKDIR_DEPTH 16
#define CACHE_SUFFIX ".filter"
#define CACHE_TEMP_TTL 60 /* seconds: a writer takes milliseconds */

static const char cache_magic[8] = {'o', 'c', 't', 'f', 'l', 't', '\0', CACHE_FORMAT};

_Static_assert(sizeof(struct sock_filter) == 8, "sock_filter is stored as is");

struct buf {
	uint8_t *data; /* owned */
	size_t len, cap;
};

struct reader {
	const uint8_t *p; /* not owned */
	size_t left;
};

uint64_t oci_fnv1a64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void buf_free(struct buf *b) { free(b->data); }
#define cleanup_buf __attribute__((cleanup(buf_free)))

static void buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		while (b->cap - b->len < n)
			b->cap = b->cap ? 2 * b->cap : 4096;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
			abort();
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_u32(struct buf *b, uint32_t v) { buf_put(b, &v, sizeof(v)); }

static void buf_u64(struct buf *b, uint64_t v) { buf_put(b, &v, sizeof(v)); }

/* Length-prefixed, so that no two different lists of strings serialise alike. */
static void buf_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	buf_u64(b, n);
	buf_put(b, s, n);
}

static const void *rd_span(struct reader *r, uint64_t n)
{
	const void *p = r->p;

	if (n > r->left)
		return NULL;
	r->p += n;
	r->left -= n;
	return p;
}

static bool rd_u32(struct reader *r, uint32_t *v)
{
	const void *p = rd_span(r, sizeof(*v));

	if (p)
		memcpy(v, p, sizeof(*v));
	return p != NULL;
}

static bool rd_u64(struct reader *r, uint64_t *v)
{
	const void *p = rd_span(r, sizeof(*v));

	if (p)
		memcpy(v, p, sizeof(*v));
	return p != NULL;
}

/* The file's identity: replaced in place (a package upgrade without a reboot), it is another
 * key, so that no entry of the old code is served to the new one. */
static bool key_file(struct buf *b, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	buf_u64(b, st.st_dev);
	buf_u64(b, st.st_ino);
	buf_u64(b, (uint64_t)st.st_size);
	buf_u64(b, (uint64_t)st.st_mtim.tv_sec);
	buf_u64(b, (uint64_t)st.st_mtim.tv_nsec);
	buf_u64(b, (uint64_t)st.st_ctim.tv_sec);
	buf_u64(b, (uint64_t)st.st_ctim.tv_nsec);
	return true;
}

/* What decides the program besides the policy: compile.c (linked into this program),
 * libseccomp (its version alone misses a distribution's patch release) and the kernel's
 * seccomp API level it detected. False: unknown, so nothing may be cached. */
static bool key_build(struct buf *b)
{
	const struct scmp_version *v = seccomp_version();
	Dl_info info;

	buf_put(b, cache_magic, sizeof(cache_magic));
	buf_u32(b, v->major);
	buf_u32(b, v->minor);
	buf_u32(b, v->micro);
	buf_u32(b, seccomp_api_get());
	buf_u32(b, seccomp_arch_native());
	if (!key_file(b, "/proc/self/exe"))
		return false;
	if (dladdr((void *)seccomp_init, &info) == 0 || info.dli_fname == NULL)
		return false;
	return key_file(b, info.dli_fname);
}

static void key_rule(struct buf *b, const struct oci_rule *r)
{
	buf_u64(b, r->n_names);
	for (size_t i = 0; i < r->n_names; i++)
		buf_str(b, r->names[i]);
	buf_u32(b, r->action);
	buf_u32(b, r->has_errno_ret);
	buf_u32(b, r->errno_ret);
	buf_u64(b, r->n_args);
	for (size_t i = 0; i < r->n_args; i++) {
		buf_u32(b, r->args[i].index);
		buf_u64(b, r->args[i].value);
		buf_u64(b, r->args[i].value_two);
		buf_u32(b, r->args[i].op);
	}
}

/* Every field compile.c reads but `source` (a bundle's config.json has a path of its own for
 * every container; the warnings are stored without it). json_prefix is in the warnings. */
static void key_policy(struct buf *b, const struct oci_policy *p, enum oci_compile_mode mode)
{
	buf_u32(b, mode);
	buf_str(b, p->json_prefix);
	buf_u32(b, p->default_action);
	buf_u32(b, p->has_default_errno_ret);
	buf_u32(b, p->default_errno_ret);
	buf_u64(b, p->n_archs);
	for (size_t i = 0; i < p->n_archs; i++)
		buf_u32(b, p->archs[i]);
	buf_u32(b, p->filter_flags);
	buf_u64(b, p->n_rules);
	for (size_t i = 0; i < p->n_rules; i++)
		key_rule(b, &p->rules[i]);
}

static bool read_slots(struct reader *r, struct oci_filter *f)
{
	uint64_t n;

	if (!rd_u64(r, &n) || n > OCI_MAX_SLOTS || n * 12 > r->left)
		return false;
	f->slots = calloc(n ? n : 1, sizeof(*f->slots));
	if (f->slots == NULL)
		abort();
	for (f->n_slots = 0; f->n_slots < n; f->n_slots++) {
		struct oci_slot *s = &f->slots[f->n_slots];
		uint32_t action, bad_arch;

		if (!rd_u32(r, &action) || !rd_u32(r, &s->errno_ret) || !rd_u32(r, &bad_arch) ||
		    action > OCI_ACT_NOTIFY || bad_arch > 1)
			return false;
		s->action = action;
		s->is_bad_arch = bad_arch;
	}
	return true;
}

static bool read_filter(struct reader *r, struct oci_filter *f)
{
	const void *insns;
	uint64_t n;

	if (!rd_u64(r, &n) || n == 0 || n > BPF_MAXINSNS ||
	    (insns = rd_span(r, n * sizeof(*f->insns))) == NULL)
		return false;
	f->insns = malloc(n * sizeof(*f->insns));
	if (f->insns == NULL)
		abort();
	memcpy(f->insns, insns, n * sizeof(*f->insns));
	f->len = n;
	return read_slots(r, f) && rd_u32(r, &f->flags);
}

/* The warning lines: text, each line ending in '\n'. */
static bool read_warnings(struct reader *r, char **out)
{
	const char *text;
	uint64_t n;

	if (!rd_u64(r, &n) || (text = rd_span(r, n)) == NULL || memchr(text, '\0', n) ||
	    (n > 0 && text[n - 1] != '\n'))
		return false;
	*out = strndup(text, n);
	if (*out == NULL)
		abort();
	return true;
}

/* An entry's bytes → filter and warnings, when it is intact and its key is `key`. */
static bool parse_entry(const uint8_t *data, size_t size, const struct buf *key,
			struct oci_filter **out, char **warnings)
{
	cleanup_oci_filter struct oci_filter *f = NULL;
	cleanup_free char *w = NULL;
	struct reader r = {data, size};
	const void *magic, *stored;
	uint64_t sum, key_len;

	if (size < sizeof(cache_magic) + sizeof(sum))
		return false;
	r.left -= sizeof(sum);
	memcpy(&sum, data + r.left, sizeof(sum));
	if (sum != oci_fnv1a64(data, r.left))
		return false;
	if ((magic = rd_span(&r, sizeof(cache_magic))) == NULL ||
	    memcmp(magic, cache_magic, sizeof(cache_magic)) != 0 || !rd_u64(&r, &key_len) ||
	    key_len != key->len || (stored = rd_span(&r, key_len)) == NULL ||
	    memcmp(stored, key->data, key_len) != 0)
		return false;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		abort();
	if (!read_filter(&r, f) || !read_warnings(&r, &w) || r.left != 0)
		return false;
	*out = steal_pointer(&f);
	*warnings = steal_pointer(&w);
	return true;
}

static bool read_all(int fd, uint8_t *data, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = pread(fd, data + done, size - done, done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += n;
	}
	return true;
}

/* O_NONBLOCK: whatever the entry is, opening it must not wait (a FIFO). */
static bool load(int dir, const char *name, const struct buf *key, struct oci_filter **out,
		 char **warnings)
{
	cleanup_close int fd =
	    openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	cleanup_free uint8_t *data = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CACHE_FILE_MAX)
		return false;
	data = malloc(st.st_size ? st.st_size : 1);
	if (data == NULL)
		abort();
	if (!read_all(fd, data, st.st_size))
		return false;
	return parse_entry(data, st.st_size, key, out, warnings);
}

static void encode_entry(struct buf *b, const struct buf *key, const struct oci_filter *f,
			 const char *warnings)
{
	buf_put(b, cache_magic, sizeof(cache_magic));
	buf_u64(b, key->len);
	buf_put(b, key->data, key->len);
	buf_u64(b, f->len);
	buf_put(b, f->insns, f->len * sizeof(*f->insns));
	buf_u64(b, f->n_slots);
	for (size_t i = 0; i < f->n_slots; i++) {
		buf_u32(b, f->slots[i].action);
		buf_u32(b, f->slots[i].errno_ret);
		buf_u32(b, f->slots[i].is_bad_arch != 0);
	}
	buf_u32(b, f->flags);
	buf_str(b, warnings);
	buf_u64(b, oci_fnv1a64(b->data, b->len));
}

static bool write_all(int fd, const uint8_t *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		size -= n;
	}
	return true;
}

/* A temporary file that a killed writer (a runtime's hook timeout) left behind. */
static bool is_stale_temp(const char *name, const struct stat *st)
{
	size_t n = strlen(name);

	return name[0] == '.' && n > 4 && strcmp(name + n - 4, ".tmp") == 0 &&
	       st->st_mtime < time(NULL) - CACHE_TEMP_TTL;
}

static bool is_entry(const char *name)
{
	size_t n = strlen(name), k = strlen(CACHE_SUFFIX);

	return name[0] != '.' && n > k && strcmp(name + n - k, CACHE_SUFFIX) == 0;
}

/* Room for `need` more bytes: entries are counted and their sizes summed (a miss has just
 * spent ~20 ms compiling; this costs far less), so that the policies of containers' creators
 * can fill neither the (tmpfs) directory nor its inodes. A full directory gives up its oldest
 * entry (first written): without that, once full (a few hundred policy or octrace
 * upgrades), every start would compile again. Other files are counted, never removed. */
static bool dir_has_room(int dir, size_t need)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	uint64_t n = 0, bytes = need, oldest_size = 0;
	struct timespec oldest = { 0 };
	char victim[NAME_MAX + 1] = "";
	struct dirent *de;
	struct stat st;
	bool room;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (n < 2 * OCI_FILTER_CACHE_MAX_ENTRIES && (de = readdir(d)) != NULL) {
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (is_stale_temp(de->d_name, &st) && unlinkat(fd, de->d_name, 0) == 0)
			continue;
		n++;
		bytes += (uint64_t)st.st_size;
		if (S_ISREG(st.st_mode) && is_entry(de->d_name) &&
		    (victim[0] == '\0' || st.st_mtim.tv_sec < oldest.tv_sec ||
		     (st.st_mtim.tv_sec == oldest.tv_sec && st.st_mtim.tv_nsec < oldest.tv_nsec))) {
			oldest = st.st_mtim;
			oldest_size = (uint64_t)st.st_size;
			snprintf(victim, sizeof(victim), "%s", de->d_name);
		}
	}
	room = n < OCI_FILTER_CACHE_MAX_ENTRIES && bytes <= OCI_FILTER_CACHE_MAX_BYTES;
	if (!room && victim[0] && unlinkat(fd, victim, 0) == 0)
		room = n - 1 < OCI_FILTER_CACHE_MAX_ENTRIES &&
		       bytes - oldest_size <= OCI_FILTER_CACHE_MAX_BYTES;
	closedir(d);
	return room;
}

static void store(int dir, const char *name, const struct buf *entry)
{
	char tmp[64];
	int fd;

	if (entry->len > CACHE_FILE_MAX || !dir_has_room(dir, entry->len))
		return;
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(dir, tmp, 0) == 0)
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (!write_all(fd, entry->data, entry->len) || close(fd) < 0 ||
	    renameat(dir, tmp, dir, name) < 0)
		unlinkat(dir, tmp, 0);
}

/* "SOURCE: rest\n" lines → "rest\n" lines; NULL when a line does not start so (then the
 * warnings cannot be told for another source, and the entry is not stored). */
static char *strip_source(const char *text, const char *source)
{
	size_t n = strlen(source), len = strlen(text);
	cleanup_free char *out = malloc(len + 1);
	char *o = out;

	if (out == NULL)
		abort();
	while (*text) {
		const char *eol = strchr(text, '\n');

		if (eol == NULL || (size_t)(eol - text) < n + 2 || strncmp(text, source, n) != 0 ||
		    strncmp(text + n, ": ", 2) != 0)
			return NULL;
		text += n + 2;
		memcpy(o, text, eol + 1 - text);
		o += eol + 1 - text;
		text = eol + 1;
	}
	*o = '\0';
	return steal_pointer(&out);
}

static void replay_warnings(FILE *warn, const char *text, const char *source)
{
	while (warn && *text) {
		const char *eol = strchr(text, '\n');

		fprintf(warn, "%s: %.*s\n", source, (int)(eol - text), text);
		text = eol + 1;
	}
}

/* A miss: compile (warnings captured, then passed on), store when possible. */
static int compile_and_store(int dir, const char *name, const struct buf *key,
			     const struct oci_policy *p, enum oci_compile_mode mode, FILE *warn,
			     struct oci_filter **out, struct oci_error **err)
{
	cleanup_free char *text = NULL, *stripped = NULL;
	cleanup_buf struct buf entry = {0};
	size_t size;
	FILE *mem = open_memstream(&text, &size);
	int rc;

	if (mem == NULL)
		return oci_policy_compile(p, mode, warn, out, err);
	rc = oci_policy_compile(p, mode, mem, out, err);
	fclose(mem);
	if (warn && text)
		fputs(text, warn);
	if (rc < 0 || text == NULL || (stripped = strip_source(text, p->source)) == NULL)
		return rc;
	encode_entry(&entry, key, *out, stripped);
	store(dir, name, &entry);
	return 0;
}

static bool dir_is_safe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_uid == 0 || st.st_uid == geteuid()) &&
	       (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static int open_dir(int at, const char *path)
{
	return openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int open_safe_dir(const char *path, int depth);

/* mkdir -p, one level at a time: a missing directory is created (0700) only inside a safe
 * one, so that nobody else can have prepared or swapped what we create. */
static int make_dir(const char *path, int depth)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	cleanup_free char *parent = NULL;
	cleanup_close int pfd = -1;

	if (slash == NULL)
		parent = strdup(".");
	else if (slash == path)
		parent = strdup("/");
	else
		parent = strndup(path, slash - path);
	if (parent == NULL)
		abort();
	pfd = open_safe_dir(parent, depth - 1);
	if (pfd < 0 || (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST))
		return -1;
	return open_dir(pfd, base);
}

int oci_open_safe_dir(const char *path)
{
	return open_safe_dir(path, CACHE_MKDIR_DEPTH);
}

/* Trailing slashes are dropped: "link/" would follow the symlink despite O_NOFOLLOW. */
static int open_safe_dir(const char *path, int depth)
{
	cleanup_free char *p = strdup(path);
	size_t n = strlen(path);
	int fd;

	if (p == NULL)
		abort();
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	fd = open_dir(AT_FDCWD, p);
	if (fd < 0 && errno == ENOENT && depth > 0)
		fd = make_dir(p, depth);
	if (fd >= 0 && !dir_is_safe(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

int oci_filter_cache_get(const char *dir, const struct oci_policy *p, enum oci_compile_mode mode,
			 FILE *warn, struct oci_filter **out, struct oci_error **err)
{
	cleanup_close int dfd = -1;
	cleanup_free char *warnings = NULL;
	cleanup_buf struct buf key = {0};
	char name[32];

	if (dir == NULL || *dir == '\0' || (dfd = open_safe_dir(dir, CACHE_MKDIR_DEPTH)) < 0 ||
	    !key_build(&key))
		return oci_policy_compile(p, mode, warn, out, err);
	key_policy(&key, p, mode);
	snprintf(name, sizeof(name), "%016" PRIx64 CACHE_SUFFIX, oci_fnv1a64(key.data, key.len));
	if (load(dfd, name, &key, out, &warnings)) {
		replay_warnings(warn, warnings, p->source);
		return 1;
	}
	return compile_and_store(dfd, name, &key, p, mode, warn, out, err);
}
