/* oci/cache.c: a hit hands out exactly what compiling gives; any other policy, mode, forged,
 * damaged or foreign entry is a miss that compiles (and replaces the entry); an unsafe
 * directory is never used; warnings come back on a hit. The entry layout the damage tests
 * aim at is the one cache.c documents. Policies use ' for ". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "tap.h"

#define NAMES_40                                                                                   \
	"'read','write','close','fstat','lseek','mmap','mprotect','munmap','brk','rt_sigaction',"  \
	"'rt_sigprocmask','rt_sigreturn','ioctl','pread64','pwrite64','readv','writev','access',"  \
	"'pipe','select','sched_yield','mremap','msync','mincore','madvise','dup','dup2','pause'," \
	"'nanosleep','getitimer','alarm','setitimer','getpid','sendfile','socket','connect',"      \
	"'accept','sendto','recvfrom','exit_group'"

static const char base_policy[] =
    "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
    "'architectures':['SCMP_ARCH_X86','SCMP_ARCH_X32'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"
    "'syscalls':[{'names':[" NAMES_40 "],'action':'SCMP_ACT_ALLOW'},"
    "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':13},"
    "{'names':['personality'],'action':'SCMP_ACT_ALLOW',"
    "'args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]},"
    "{'names':['ptrace'],'action':'SCMP_ACT_KILL_PROCESS'}]}";

static char *dq(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; *c; c++)
		if (*c == '\'')
			*c = '"';
	return d;
}

/* base_policy with its first `from` replaced by `to` (NULL: as is). */
static struct oci_policy *policy(const char *source, const char *from, const char *to)
{
	cleanup_free char *doc = dq(base_policy);
	cleanup_free char *edited = NULL;
	struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	if (from) {
		cleanup_free char *f = dq(from), *t = dq(to);
		char *at = strstr(doc, f);

		if (at == NULL ||
		    asprintf(&edited, "%.*s%s%s", (int)(at - doc), doc, t, at + strlen(f)) < 0)
			exit(99);
	}
	if (oci_policy_parse(source, edited ? edited : doc, strlen(edited ? edited : doc), &p,
			     &err) < 0) {
		printf("Bail out! %s\n", err->msg);
		exit(99);
	}
	return p;
}

static struct oci_policy *policy_doc(const char *source, const char *doc_q)
{
	cleanup_free char *doc = dq(doc_q);
	struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_parse(source, doc, strlen(doc), &p, &err) < 0) {
		printf("Bail out! %s\n", err->msg);
		exit(99);
	}
	return p;
}

/* The cache's answer (1 hit, 0 compiled), its filter and its warnings. */
static int get(const char *dir, const struct oci_policy *p, enum oci_compile_mode mode,
	       struct oci_filter **f, char **warnings)
{
	struct oci_error *err = NULL;
	size_t size;
	FILE *w = open_memstream(warnings, &size);
	int rc = oci_filter_cache_get(dir, p, mode, w, f, &err);

	fclose(w);
	if (rc < 0) {
		printf("Bail out! %s\n", err->msg);
		exit(99);
	}
	return rc;
}

static struct oci_filter *compile(const struct oci_policy *p, enum oci_compile_mode mode,
				  char **warnings)
{
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;
	size_t size;
	FILE *w = open_memstream(warnings, &size);

	if (oci_policy_compile(p, mode, w, &f, &err) < 0) {
		printf("Bail out! %s\n", err->msg);
		exit(99);
	}
	fclose(w);
	return f;
}

static bool same_filter(const struct oci_filter *a, const struct oci_filter *b)
{
	if (a == NULL || b == NULL || a->len != b->len || a->n_slots != b->n_slots ||
	    a->flags != b->flags || memcmp(a->insns, b->insns, a->len * sizeof(*a->insns)) != 0)
		return false;
	for (size_t i = 0; i < a->n_slots; i++)
		if (a->slots[i].action != b->slots[i].action ||
		    a->slots[i].errno_ret != b->slots[i].errno_ret ||
		    a->slots[i].is_bad_arch != b->slots[i].is_bad_arch)
			return false;
	return true;
}

/* get() must give `want` with answer `rc`; says what it checked. */
static void check_get(const char *dir, const struct oci_policy *p, enum oci_compile_mode mode,
		      int want_rc, const char *what)
{
	cleanup_free char *w1 = NULL, *w2 = NULL;
	cleanup_oci_filter struct oci_filter *want = compile(p, mode, &w1);
	cleanup_oci_filter struct oci_filter *got = NULL;
	int rc = get(dir, p, mode, &got, &w2);

	ok(rc == want_rc && same_filter(got, want), "%s: %s, filter identical to compiling", what,
	   want_rc ? "hit" : "miss");
	if (rc != want_rc)
		diag("answer %d, want %d", rc, want_rc);
}

static char *mkdtemp_dir(void)
{
	char *d = strdup("/tmp/octrace-test-cache-XXXXXX");

	if (mkdtemp(d) == NULL)
		exit(99);
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* DIR/the only entry's name, or NULL. */
static char *only_entry(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *path = NULL;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".filter") && path == NULL &&
		    asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			exit(99);
	closedir(d);
	return count_entries(dir) == 1 ? path : (free(path), NULL);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	cleanup_file FILE *f = fopen(path, "rb");
	uint8_t *data = malloc(1 << 20);

	if (f == NULL || data == NULL)
		exit(99);
	*len = fread(data, 1, 1 << 20, f);
	return data;
}

static void write_file(const char *path, const void *data, size_t len)
{
	cleanup_file FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len)
		exit(99);
}

static void test_miss_then_hit(void)
{
	cleanup_free char *dir = mkdtemp_dir();
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);

	check_get(dir, p, OCI_COMPILE_TRACER, 0, "first tracer-mode lookup");
	ok(count_entries(dir) == 1, "one entry stored");
	check_get(dir, p, OCI_COMPILE_TRACER, 1, "second tracer-mode lookup");
	check_get(dir, p, OCI_COMPILE_KERNEL, 0, "kernel mode is another key");
	check_get(dir, p, OCI_COMPILE_KERNEL, 1, "kernel mode again");
	ok(count_entries(dir) == 2, "two entries");
	check_get(NULL, p, OCI_COMPILE_TRACER, 0, "no directory");
	check_get("", p, OCI_COMPILE_TRACER, 0, "empty directory name");
	rm_tree(dir);
}

static void test_other_policies(void)
{
	static const struct {
		const char *what, *from, *to;
	} edits[] = {
	    {"one errno changed", "'errnoRet':13", "'errnoRet':14"},
	    {"the default errno changed", "'defaultErrnoRet':1", "'defaultErrnoRet':2"},
	    {"one name changed", "'mkdir'", "'rmdir'"},
	    {"the names' order changed", "'read','write'", "'write','read'"},
	    {"one arg changed", "'value':8", "'value':9"},
	    {"one op changed", "SCMP_CMP_EQ", "SCMP_CMP_NE"},
	    {"one action changed", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD"},
	    {"an arch removed", "'SCMP_ARCH_X86',", ""},
	    {"the flags removed", "'SECCOMP_FILTER_FLAG_LOG'", ""},
	};
	cleanup_free char *dir = mkdtemp_dir();
	cleanup_oci_policy struct oci_policy *base = policy("policy.json", NULL, NULL);

	check_get(dir, base, OCI_COMPILE_TRACER, 0, "base policy");
	for (size_t i = 0; i < N_ELEMENTS(edits); i++) {
		cleanup_oci_policy struct oci_policy *p =
		    policy("policy.json", edits[i].from, edits[i].to);

		check_get(dir, p, OCI_COMPILE_TRACER, 0, edits[i].what);
		check_get(dir, p, OCI_COMPILE_TRACER, 1, edits[i].what);
	}
	check_get(dir, base, OCI_COMPILE_TRACER, 1, "base policy still there");
	ok(count_entries(dir) == 1 + N_ELEMENTS(edits), "one entry per policy");
	rm_tree(dir);
}

/* Another policy's valid entry under our entry's name: its key differs, so it is a miss. */
static void test_forged_entry(void)
{
	cleanup_free char *a = mkdtemp_dir(), *b = mkdtemp_dir();
	cleanup_free char *path_a = NULL, *path_b = NULL;
	cleanup_free uint8_t *data = NULL;
	cleanup_oci_policy struct oci_policy *base = policy("policy.json", NULL, NULL);
	cleanup_oci_policy struct oci_policy *other =
	    policy("policy.json", "'errnoRet':13", "'errnoRet':1");
	size_t len;

	check_get(a, base, OCI_COMPILE_TRACER, 0, "base policy into A");
	check_get(b, other, OCI_COMPILE_TRACER, 0, "other policy into B (its name)");
	path_a = only_entry(a);
	path_b = only_entry(b);
	if (!ok(path_a && path_b, "entries found"))
		return;
	data = read_file(path_a, &len);
	write_file(path_b, data, len);
	check_get(b, other, OCI_COMPILE_TRACER, 0, "forged entry (another key) in B");
	check_get(b, other, OCI_COMPILE_TRACER, 1, "forged entry replaced");
	rm_tree(a);
	rm_tree(b);
}

static uint64_t fnv1a64(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Rewrite an entry's trailing checksum so that only the structure checks can refuse it. */
static void reseal(uint8_t *data, size_t len)
{
	uint64_t sum = fnv1a64(data, len - 8);

	memcpy(data + len - 8, &sum, 8);
}

enum damage {
	TRUNC_0,
	TRUNC_7,
	TRUNC_15,
	TRUNC_HALF,
	TRUNC_LAST,
	APPEND,
	FLIP_INSN,
	FLIP_SUM,
	BAD_MAGIC,
	KEY_LEN_HUGE,
	N_INSNS_HUGE,
	N_INSNS_ZERO,
	N_SLOTS_HUGE,
	BAD_ACTION,
	WARN_LEN_HUGE,
	EXTRA_BYTE,
	N_DAMAGE
};

static const char *const damage_names[N_DAMAGE] = {
    [TRUNC_0] = "truncated to 0 bytes",
    [TRUNC_7] = "truncated to 7 bytes",
    [TRUNC_15] = "truncated to 15 bytes",
    [TRUNC_HALF] = "truncated to half",
    [TRUNC_LAST] = "last byte missing",
    [APPEND] = "one byte appended",
    [FLIP_INSN] = "an instruction byte flipped",
    [FLIP_SUM] = "a checksum byte flipped",
    [BAD_MAGIC] = "bad magic (resealed)",
    [KEY_LEN_HUGE] = "key length huge (resealed)",
    [N_INSNS_HUGE] = "instruction count huge (resealed)",
    [N_INSNS_ZERO] = "instruction count 0 (resealed)",
    [N_SLOTS_HUGE] = "slot count huge (resealed)",
    [BAD_ACTION] = "slot action out of range (resealed)",
    [WARN_LEN_HUGE] = "warnings length huge (resealed)",
    [EXTRA_BYTE] = "a byte before the checksum (resealed)",
};

/* Offsets in the layout cache.c documents. */
static size_t damage(enum damage d, uint8_t *data, size_t len)
{
	size_t key_end = 16 + get64(data + 8), insns_end = key_end + 8 + 8 * get64(data + key_end);
	size_t warn_at = insns_end + 8 + 12 * get64(data + insns_end) + 4;
	uint64_t huge = UINT64_MAX / 2, zero = 0;
	uint32_t bad = 99;

	switch (d) {
	case TRUNC_0:
		return 0;
	case TRUNC_7:
		return 7;
	case TRUNC_15:
		return 15;
	case TRUNC_HALF:
		return len / 2;
	case TRUNC_LAST:
		return len - 1;
	case APPEND:
		data[len] = 0;
		return len + 1;
	case FLIP_INSN:
		data[key_end + 8 + 4] ^= 1;
		return len;
	case FLIP_SUM:
		data[len - 1] ^= 0x80;
		return len;
	case BAD_MAGIC:
		data[0] ^= 1;
		break;
	case KEY_LEN_HUGE:
		memcpy(data + 8, &huge, 8);
		break;
	case N_INSNS_HUGE:
		memcpy(data + key_end, &huge, 8);
		break;
	case N_INSNS_ZERO:
		memcpy(data + key_end, &zero, 8);
		break;
	case N_SLOTS_HUGE:
		memcpy(data + insns_end, &huge, 8);
		break;
	case BAD_ACTION:
		memcpy(data + insns_end + 8, &bad, 4);
		break;
	case WARN_LEN_HUGE:
		memcpy(data + warn_at, &huge, 8);
		break;
	case EXTRA_BYTE:
		data[len - 8] = '\n';
		reseal(data, ++len);
		return len;
	case N_DAMAGE:
		abort();
	}
	reseal(data, len);
	return len;
}

static void test_damaged_entries(void)
{
	cleanup_free char *dir = mkdtemp_dir();
	cleanup_free char *path = NULL;
	cleanup_free uint8_t *good = NULL;
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);
	size_t len;

	check_get(dir, p, OCI_COMPILE_TRACER, 0, "entry stored");
	path = only_entry(dir);
	if (!ok(path != NULL, "entry found"))
		return;
	good = read_file(path, &len);
	for (int d = 0; d < N_DAMAGE; d++) {
		cleanup_free uint8_t *bad = malloc(len + 1);

		memcpy(bad, good, len);
		write_file(path, bad, damage(d, bad, len));
		check_get(dir, p, OCI_COMPILE_TRACER, 0, damage_names[d]);
		check_get(dir, p, OCI_COMPILE_TRACER, 1, "and replaced");
	}
	rm_tree(dir);
}

/* Not a regular file under the entry's name: a miss, without blocking or following. */
static void test_odd_entries(void)
{
	cleanup_free char *dir = mkdtemp_dir(), *elsewhere = mkdtemp_dir();
	cleanup_free char *path = NULL, *copy = NULL;
	cleanup_free uint8_t *good = NULL;
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);
	size_t len;

	check_get(dir, p, OCI_COMPILE_TRACER, 0, "entry stored");
	path = only_entry(dir);
	if (!ok(path != NULL, "entry found") || asprintf(&copy, "%s/copy", elsewhere) < 0)
		return;
	good = read_file(path, &len);
	write_file(copy, good, len);
	unlink(path);
	ok(symlink(copy, path) == 0, "entry replaced by a symlink to a valid copy");
	check_get(dir, p, OCI_COMPILE_TRACER, 0, "symlinked entry");
	check_get(dir, p, OCI_COMPILE_TRACER, 1, "and replaced");
	unlink(path);
	ok(mkfifo(path, 0600) == 0, "entry replaced by a FIFO");
	check_get(dir, p, OCI_COMPILE_TRACER, 0, "FIFO entry");
	check_get(dir, p, OCI_COMPILE_TRACER, 1, "and replaced");
	rm_tree(dir);
	rm_tree(elsewhere);
}

/* Compile twice through `dir`: both misses, nothing written in `look`. */
static void check_unused(const char *dir, const char *look, const char *what)
{
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);
	size_t before = count_entries(look);

	check_get(dir, p, OCI_COMPILE_TRACER, 0, what);
	check_get(dir, p, OCI_COMPILE_TRACER, 0, what);
	ok(count_entries(look) == before, "%s: nothing stored", what);
}

static void test_unsafe_dirs(void)
{
	cleanup_free char *top = mkdtemp_dir();
	cleanup_free char *open_dir = NULL, *group_dir = NULL, *link = NULL, *slash = NULL;
	cleanup_free char *good = NULL, *under_open = NULL, *file = NULL;

	if (asprintf(&open_dir, "%s/open", top) < 0 || asprintf(&group_dir, "%s/group", top) < 0 ||
	    asprintf(&good, "%s/good", top) < 0 || asprintf(&link, "%s/link", top) < 0 ||
	    asprintf(&slash, "%s/link/", top) < 0 ||
	    asprintf(&under_open, "%s/sub", open_dir) < 0 || asprintf(&file, "%s/file", top) < 0)
		exit(99);
	mkdir(open_dir, 0700);
	chmod(open_dir, 0777);
	mkdir(group_dir, 0700);
	chmod(group_dir, 0770);
	mkdir(good, 0700);
	if (symlink(good, link) < 0)
		exit(99);
	write_file(file, "", 0);
	check_unused(open_dir, open_dir, "mode 0777 directory");
	check_unused(group_dir, group_dir, "mode 0770 directory");
	check_unused(link, good, "symlink to a good directory");
	check_unused(slash, good, "symlink to a good directory, trailing slash");
	check_unused(under_open, open_dir, "missing directory inside a 0777 one");
	ok(access(under_open, F_OK) < 0, "it was not created");
	check_unused(file, top, "a regular file");
	if (geteuid() == 0 && chown(good, 65534, 65534) == 0)
		check_unused(good, good, "directory owned by another user");
	rm_tree(top);
}

static int truncate_new(const char *path, off_t size)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	return fd < 0 ? -1 : ftruncate(fd, size);
}

static void test_created_dir(void)
{
	cleanup_free char *top = mkdtemp_dir();
	cleanup_free char *dir = NULL;
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);
	struct stat st;

	if (asprintf(&dir, "%s/a/b/", top) < 0)
		exit(99);
	check_get(dir, p, OCI_COMPILE_TRACER, 0, "missing a/b in a safe directory");
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
	   "a/b created, mode 0700");
	check_get(dir, p, OCI_COMPILE_TRACER, 1, "then used");
	rm_tree(top);
}

/* A directory full of files that are not entries stores nothing more (and still answers). */
static void test_full_dir(void)
{
	cleanup_free char *dir = mkdtemp_dir();
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);

	for (int i = 0; i < OCI_FILTER_CACHE_MAX_ENTRIES; i++) {
		cleanup_free char *path = NULL;

		if (asprintf(&path, "%s/x%d", dir, i) < 0)
			exit(99);
		write_file(path, "", 0);
	}
	check_unused(dir, dir, "full directory");
	rm_tree(dir);
}

/* A directory full of entries gives up its oldest one (first written) for the new entry:
 * the count stays at the limit, every other entry stays. */
static void test_full_of_entries(void)
{
	cleanup_free char *dir = mkdtemp_dir(), *oldest = NULL, *next = NULL;
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);
	struct timespec times[2];

	for (int i = 0; i < OCI_FILTER_CACHE_MAX_ENTRIES; i++) {
		cleanup_free char *path = NULL;

		if (asprintf(&path, "%s/%016x.filter", dir, i) < 0)
			exit(99);
		write_file(path, "", 0);
		/* entry i written at second 1e9 + i; the oldest is entry 0 */
		times[0] = times[1] = (struct timespec){ .tv_sec = 1000000000 + i };
		if (utimensat(AT_FDCWD, path, times, 0) < 0)
			exit(99);
	}
	if (asprintf(&oldest, "%s/%016x.filter", dir, 0) < 0 ||
	    asprintf(&next, "%s/%016x.filter", dir, 1) < 0)
		exit(99);
	check_get(dir, p, OCI_COMPILE_TRACER, 0, "full of entries: a miss");
	ok(count_entries(dir) == OCI_FILTER_CACHE_MAX_ENTRIES, "full of entries: still %d entries",
	   OCI_FILTER_CACHE_MAX_ENTRIES);
	ok(access(oldest, F_OK) < 0 && access(next, F_OK) == 0,
	   "full of entries: the oldest one gave way, the next oldest stays");
	check_get(dir, p, OCI_COMPILE_TRACER, 1, "full of entries: the new entry is used");
	rm_tree(dir);
}

/* Nor one whose entries' sizes add up to the budget (a sparse file: no memory used). */
static void test_full_bytes(void)
{
	cleanup_free char *dir = mkdtemp_dir(), *path = NULL;

	if (asprintf(&path, "%s/big", dir) < 0 ||
	    truncate_new(path, OCI_FILTER_CACHE_MAX_BYTES) < 0)
		exit(99);
	check_unused(dir, dir, "directory at its byte budget");
	rm_tree(dir);
}

/* A killed writer's temporary file goes at the next store once it is old; a fresh one (a
 * writer at work) stays. */
static void test_stale_temp(void)
{
	cleanup_free char *dir = mkdtemp_dir(), *old = NULL, *fresh = NULL;
	cleanup_oci_policy struct oci_policy *p = policy("policy.json", NULL, NULL);
	struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};

	if (asprintf(&old, "%s/.0123456789abcdef.filter.1.tmp", dir) < 0 ||
	    asprintf(&fresh, "%s/.0123456789abcdef.filter.2.tmp", dir) < 0)
		exit(99);
	write_file(old, "x", 1);
	write_file(fresh, "x", 1);
	if (utimensat(AT_FDCWD, old, times, 0) < 0)
		exit(99);
	check_get(dir, p, OCI_COMPILE_TRACER, 0, "a store with temporary files around");
	ok(access(old, F_OK) < 0 && errno == ENOENT, "the old temporary file is removed");
	ok(access(fresh, F_OK) == 0, "the fresh one is kept");
	rm_tree(dir);
}

static const char unknown_policy[] =
    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getpid','nosuchcall',"
    "'getppid','alsonotasyscall'],'action':'SCMP_ACT_ERRNO'}]}";
static const char unknown_config[] =
    "{'ociVersion':'1.0.2','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
    "'syscalls':[{'names':['getpid','nosuchcall','getppid','alsonotasyscall'],"
    "'action':'SCMP_ACT_ERRNO'}]}}}";

/* The warnings of `p`'s lookup must be those of compiling it. */
static void check_warnings(const char *dir, const struct oci_policy *p, int want_rc,
			   const char *what)
{
	cleanup_free char *want = NULL, *got = NULL;
	cleanup_oci_filter struct oci_filter *fw = compile(p, OCI_COMPILE_TRACER, &want);
	cleanup_oci_filter struct oci_filter *fg = NULL;
	int rc = get(dir, p, OCI_COMPILE_TRACER, &fg, &got);

	ok(rc == want_rc && same_filter(fg, fw), "%s: %s", what, want_rc ? "hit" : "miss");
	ok(strstr(want, "unknown syscall") != NULL, "%s: compiling warns", what);
	is_str(got, want, "%s: the same warnings", what);
}

static void test_warnings(void)
{
	cleanup_free char *dir = mkdtemp_dir();
	cleanup_oci_policy struct oci_policy *a = policy_doc("a.json", unknown_policy);
	cleanup_oci_policy struct oci_policy *b = policy_doc("/elsewhere/b.json", unknown_policy);
	cleanup_oci_policy struct oci_policy *c1 = policy_doc("/b1/config.json", unknown_config);
	cleanup_oci_policy struct oci_policy *c2 = policy_doc("/b2/config.json", unknown_config);

	check_warnings(dir, a, 0, "a.json, first");
	check_warnings(dir, a, 1, "a.json, again");
	check_warnings(dir, b, 1, "the same policy from another file");
	check_warnings(dir, c1, 0, "inside a config.json (linux.seccomp. in the warnings)");
	check_warnings(dir, c2, 1, "inside another bundle's config.json");
	rm_tree(dir);
}

int main(void)
{
	test_miss_then_hit();
	test_other_policies();
	test_forged_entry();
	test_damaged_entries();
	test_odd_entries();
	test_unsafe_dirs();
	test_created_dir();
	test_full_dir();
	test_full_of_entries();
	test_full_bytes();
	test_stale_temp();
	test_warnings();
	return tap_done();
}
