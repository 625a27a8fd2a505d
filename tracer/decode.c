/* Argument decoding for the audit log; see decode.h for what is decoded and why it is
 * bounded. Constants are the kernel's x86_64 values written out here: glibc's differ where
 * it matters (O_LARGEFILE is 0 in 64-bit glibc, the kernel's is 0100000) and some are
 * newer than the headers (clone3's flags). */
#include "decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "cleanup.h"
#include "mem.h"

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif

#define AT_FDCWD_VALUE (-100)
#define CSIGNAL_MASK 0xffull
#define OPEN_HOW_SIZE 24	  /* struct open_how: flags, mode, resolve */
#define CLONE_ARGS_SIZE_VER0 64	  /* the smallest struct clone_args the kernel takes */
#define CLONE_ARGS_SIZE_MAX 88	  /* VER2: up to cgroup; larger sizes read this much */
#define CLONE_ARGS_EXIT_SIGNAL 32 /* offset of exit_signal */

struct bit {
	uint64_t mask;
	const char *name;
};

/* Composite values first, so that O_SYNC is not printed as __O_SYNC|O_DSYNC. */
static const struct bit open_bits[] = {
    {020200000, "O_TMPFILE"}, {04010000, "O_SYNC"},    {0100, "O_CREAT"},
    {0200, "O_EXCL"},	      {0400, "O_NOCTTY"},      {01000, "O_TRUNC"},
    {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},   {010000, "O_DSYNC"},
    {020000, "O_ASYNC"},      {040000, "O_DIRECT"},    {0100000, "O_LARGEFILE"},
    {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"}, {01000000, "O_NOATIME"},
    {02000000, "O_CLOEXEC"},  {010000000, "O_PATH"},
};

/* The last three only come through clone3: bits above 32, and CLONE_NEWTIME (0x80), which
 * clone() cannot take because the low byte of its flags is the exit signal. */
static const struct bit clone_bits[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0x2000000, "CLONE_NEWCGROUP"},
    {0x4000000, "CLONE_NEWUTS"},
    {0x8000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},
    {0x80000000, "CLONE_IO"},
    {0x100000000ull, "CLONE_CLEAR_SIGHAND"},
    {0x200000000ull, "CLONE_INTO_CGROUP"},
    {0x80, "CLONE_NEWTIME"},
};

static const struct bit resolve_bits[] = {
    {0x01, "RESOLVE_NO_XDEV"}, {0x02, "RESOLVE_NO_MAGICLINKS"}, {0x04, "RESOLVE_NO_SYMLINKS"},
    {0x08, "RESOLVE_BENEATH"}, {0x10, "RESOLVE_IN_ROOT"},	{0x20, "RESOLVE_CACHED"},
};

static const struct bit at_bits[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"},
    {0x1000, "AT_EMPTY_PATH"},
};

/* ---- text building: "A|B|0x40", cut (never overflowing) when it does not fit ---- */

struct text {
	char *buf;
	size_t size; /* >= 1 */
	size_t len;
};

static void text_add(struct text *t, const char *s)
{
	int n = snprintf(t->buf + t->len, t->size - t->len, "%s%s", t->len ? "|" : "", s);

	if (n > 0)
		t->len = t->len + (size_t)n < t->size ? t->len + (size_t)n : t->size - 1;
}

/* Name every bit of *flags that the table knows, clearing them from *flags. */
static void text_bits(struct text *t, uint64_t *flags, const struct bit *bits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((*flags & bits[i].mask) == bits[i].mask) {
			text_add(t, bits[i].name);
			*flags &= ~bits[i].mask;
		}
	}
}

/* Bits no table knows, then "0" if nothing at all was written. */
static size_t text_finish(struct text *t, uint64_t rest)
{
	char hex[24];

	if (rest != 0) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)rest);
		text_add(t, hex);
	}
	if (t->len == 0)
		text_add(t, "0");
	return t->len;
}

static size_t bits_text(uint64_t flags, const struct bit *bits, size_t n, char *buf, size_t size)
{
	struct text t = {buf, size, 0};

	buf[0] = '\0';
	text_bits(&t, &flags, bits, n);
	return text_finish(&t, flags);
}

size_t decode_open_flags(uint64_t flags, char *buf, size_t size)
{
	static const char *const modes[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	struct text t = {buf, size, 0};

	buf[0] = '\0';
	text_add(&t, modes[flags & 3]);
	flags &= ~3ull;
	text_bits(&t, &flags, open_bits, N_ELEMENTS(open_bits));
	return text_finish(&t, flags);
}

/* The signal as "SIGCHLD", or its number for one glibc has no name for (real-time). */
static void signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 && sig < NSIG ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else
		snprintf(buf, size, "%d", sig);
}

size_t decode_clone_flags(uint64_t flags, int exit_signal, char *buf, size_t size)
{
	struct text t = {buf, size, 0};
	char sig[24];

	buf[0] = '\0';
	text_bits(&t, &flags, clone_bits, N_ELEMENTS(clone_bits));
	if (flags != 0) {
		snprintf(sig, sizeof(sig), "0x%llx", (unsigned long long)flags);
		text_add(&t, sig);
	}
	if (exit_signal != 0) {
		signal_name(exit_signal, sig, sizeof(sig));
		text_add(&t, sig);
	}
	return text_finish(&t, 0);
}

/* ---- fields ---- */

struct ctx {
	pid_t tid;
	const uint64_t *args;
	struct decoded *d;
};

static struct decoded_field *add_field(struct ctx *c, const char *key, enum decoded_type type)
{
	struct decoded_field *f;

	if (c->d->n == DECODED_MAX_FIELDS)
		return NULL;
	f = &c->d->fields[c->d->n++];
	*f = (struct decoded_field){.key = key, .type = type, .off = (uint32_t)c->d->used};
	return f;
}

static void add_int(struct ctx *c, const char *key, int64_t v)
{
	struct decoded_field *f = add_field(c, key, DECODED_INT);

	if (f)
		f->num = v;
}

static void add_true(struct ctx *c, const char *key)
{
	struct decoded_field *f = add_field(c, key, DECODED_BOOL);

	if (f)
		f->num = 1;
}

static void add_error(struct ctx *c, const char *key, int errnum)
{
	struct decoded_field *f = add_field(c, key, DECODED_ERROR);

	if (f)
		f->num = errnum;
}

/* Room left in the store for one more string and its NUL. */
static size_t room(const struct ctx *c) { return DECODED_STORE_SIZE - c->d->used; }

static void add_text(struct ctx *c, const char *key, const char *s, size_t len)
{
	struct decoded_field *f;

	if (len + 1 > room(c) || (f = add_field(c, key, DECODED_STRING)) == NULL)
		return;
	memcpy(c->d->store + c->d->used, s, len);
	c->d->store[c->d->used + len] = '\0';
	f->len = (uint32_t)len;
	c->d->used += len + 1;
}

/* A string from the tracee, straight into the store. Returns 1 when it was cut at cap - 1
 * bytes, 0 when whole, -1 (errno set) when unreadable; on success *len is its length. */
static int read_string(struct ctx *c, uint64_t addr, size_t cap, size_t *len)
{
	if (cap > room(c)) {
		errno = ENOBUFS;
		return -1;
	}
	return mem_read_string(c->tid, addr, c->d->store + c->d->used, cap, len);
}

static void add_path(struct ctx *c, int arg)
{
	struct decoded_field *f;
	size_t len;
	int rc = read_string(c, c->args[arg], DECODE_PATH_MAX, &len);

	if (rc < 0) {
		add_error(c, "path", errno);
		return;
	}
	if ((f = add_field(c, "path", DECODED_STRING)) == NULL)
		return;
	f->len = (uint32_t)len;
	c->d->used += len + 1;
	if (rc == 1)
		add_true(c, "path_truncated");
}

/* dirfd is an int: AT_FDCWD comes as 0xffffff9c or its sign extension. */
static void add_dirfd(struct ctx *c, int arg)
{
	int fd = (int)c->args[arg];

	if (fd == AT_FDCWD_VALUE)
		add_text(c, "dirfd", "AT_FDCWD", 8);
	else
		add_int(c, "dirfd", fd);
}

static void add_bits(struct ctx *c, const char *key, uint64_t v, const struct bit *bits, size_t n)
{
	char buf[512];

	add_text(c, key, buf, bits_text(v, bits, n, buf, sizeof(buf)));
}

static void add_open_flags(struct ctx *c, uint64_t flags, uint64_t mode)
{
	char buf[512];

	add_text(c, "flags", buf, decode_open_flags(flags, buf, sizeof(buf)));
	/* the mode means something only when a file may be created */
	if (flags & (0100 | 020000000)) {
		snprintf(buf, sizeof(buf), "0%03llo", (unsigned long long)(mode & 07777));
		add_text(c, "mode", buf, strlen(buf));
	}
}

/* ---- syscalls ---- */

static void dec_open(struct ctx *c)
{
	add_path(c, 0);
	add_open_flags(c, (uint32_t)c->args[1], c->args[2]);
}

static void dec_openat(struct ctx *c)
{
	add_dirfd(c, 0);
	add_path(c, 1);
	add_open_flags(c, (uint32_t)c->args[2], c->args[3]);
}

static void dec_openat2(struct ctx *c)
{
	uint64_t how[3];

	add_dirfd(c, 0);
	add_path(c, 1);
	if (c->args[3] < OPEN_HOW_SIZE) {
		add_error(c, "flags", EINVAL);
		return;
	}
	if (mem_read(c->tid, c->args[2], how, sizeof(how)) < 0) {
		add_error(c, "flags", errno);
		return;
	}
	add_open_flags(c, how[0], how[1]);
	if (how[2] != 0)
		add_bits(c, "resolve", how[2], resolve_bits, N_ELEMENTS(resolve_bits));
}

static void dec_creat(struct ctx *c)
{
	add_path(c, 0);
	add_open_flags(c, 01 | 0100 | 01000, c->args[1]); /* O_WRONLY|O_CREAT|O_TRUNC */
}

/* argv's pointers: one read of the whole bounded array, or, when that crosses into
 * unreadable memory, one by one up to the NULL. Returns the count read (the last one may be
 * the NULL), or -1 when argv[0..] itself is unreadable. */
static int read_argv_ptrs(pid_t tid, uint64_t argv, uint64_t *ptrs, size_t max)
{
	if (mem_read(tid, argv, ptrs, max * sizeof(*ptrs)) == 0)
		return (int)max;
	for (size_t i = 0; i < max; i++) {
		if (mem_read(tid, argv + i * sizeof(*ptrs), &ptrs[i], sizeof(*ptrs)) < 0)
			return -1;
		if (ptrs[i] == 0)
			return (int)i + 1;
	}
	return (int)max;
}

/* The strings of argv, into the store back to back; sets *truncated. -1 with errno when
 * any pointer or string cannot be read (execve itself fails with EFAULT then). */
static int read_argv(struct ctx *c, uint64_t argv, uint32_t *count, bool *truncated)
{
	uint64_t ptrs[DECODE_ARGV_MAX + 1];
	int n = argv ? read_argv_ptrs(c->tid, argv, ptrs, N_ELEMENTS(ptrs)) : 0;

	if (n < 0)
		return -1;
	*count = 0;
	*truncated = false;
	for (int i = 0; i < n && ptrs[i] != 0; i++) {
		size_t len;
		int rc;

		if (i == DECODE_ARGV_MAX) {
			*truncated = true;
			break;
		}
		rc = read_string(c, ptrs[i], DECODE_ARG_MAX, &len);
		if (rc < 0)
			return -1;
		*truncated |= rc == 1;
		c->d->used += len + 1;
		(*count)++;
	}
	return 0;
}

static void add_argv(struct ctx *c, int arg)
{
	size_t start = c->d->used;
	uint32_t count;
	bool truncated;
	struct decoded_field *f;

	if (read_argv(c, c->args[arg], &count, &truncated) < 0) {
		c->d->used = start;
		add_error(c, "argv", errno);
		return;
	}
	if ((f = add_field(c, "argv", DECODED_STRINGS)) == NULL)
		return;
	f->off = (uint32_t)start;
	f->len = count;
	if (truncated)
		add_true(c, "argv_truncated");
}

static void dec_execve(struct ctx *c)
{
	add_path(c, 0);
	add_argv(c, 1);
}

static void dec_execveat(struct ctx *c)
{
	add_dirfd(c, 0);
	add_path(c, 1);
	add_argv(c, 2);
	if ((uint32_t)c->args[4] != 0)
		add_bits(c, "flags", (uint32_t)c->args[4], at_bits, N_ELEMENTS(at_bits));
}

static const char *family_name(int family)
{
	switch (family) {
	case AF_UNSPEC:
		return "AF_UNSPEC";
	case AF_UNIX:
		return "AF_UNIX";
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_NETLINK:
		return "AF_NETLINK";
	case AF_PACKET:
		return "AF_PACKET";
	case AF_VSOCK:
		return "AF_VSOCK";
	default:
		return NULL;
	}
}

static void add_inet(struct ctx *c, const struct sockaddr_storage *ss, size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char ip[INET_ADDRSTRLEN], text[INET_ADDRSTRLEN + 8];

	if (len < sizeof(*sin)) {
		add_error(c, "addr", EINVAL);
		return;
	}
	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(text, sizeof(text), "%s:%u", ip, ntohs(sin->sin_port));
	add_text(c, "addr", text, strlen(text));
}

/* "[addr]:port", with "%scope" for a link-local address that has one. The kernel takes
 * the RFC 2133 size (24 bytes, without sin6_scope_id) too. */
static void add_inet6(struct ctx *c, const struct sockaddr_storage *ss, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char ip[INET6_ADDRSTRLEN], scope[16] = "", text[INET6_ADDRSTRLEN + 32];

	if (len < offsetof(struct sockaddr_in6, sin6_scope_id)) {
		add_error(c, "addr", EINVAL);
		return;
	}
	inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
	if (len >= sizeof(*sin6) && sin6->sin6_scope_id != 0)
		snprintf(scope, sizeof(scope), "%%%u", sin6->sin6_scope_id);
	snprintf(text, sizeof(text), "[%s%s]:%u", ip, scope, ntohs(sin6->sin6_port));
	add_text(c, "addr", text, strlen(text));
}

/* A path up to its NUL; an abstract name ('\0' first) as "@name", every byte of it (it may
 * hold NULs); "" for an unnamed socket (addrlen == sizeof(sa_family_t)). */
static void add_unix(struct ctx *c, const struct sockaddr_storage *ss, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	char text[sizeof(sun->sun_path) + 1];

	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (n > 0 && sun->sun_path[0] == '\0') {
		text[0] = '@';
		memcpy(text + 1, sun->sun_path + 1, n - 1);
		add_text(c, "addr", text, n);
		return;
	}
	add_text(c, "addr", sun->sun_path, strnlen(sun->sun_path, n));
}

static void dec_sockaddr(struct ctx *c)
{
	struct sockaddr_storage ss;
	int addrlen = (int)c->args[2];
	size_t len = addrlen > (int)sizeof(ss) ? sizeof(ss) : (size_t)(addrlen > 0 ? addrlen : 0);
	const char *family;

	add_int(c, "fd", (int)c->args[0]);
	if (len < sizeof(sa_family_t)) {
		add_error(c, "addr", EINVAL);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (mem_read(c->tid, c->args[1], &ss, len) < 0) {
		add_error(c, "addr", errno);
		return;
	}
	family = family_name(ss.ss_family);
	if (family)
		add_text(c, "family", family, strlen(family));
	else
		add_int(c, "family", ss.ss_family);
	if (ss.ss_family == AF_INET)
		add_inet(c, &ss, len);
	else if (ss.ss_family == AF_INET6)
		add_inet6(c, &ss, len);
	else if (ss.ss_family == AF_UNIX)
		add_unix(c, &ss, len);
}

static void add_clone_flags(struct ctx *c, uint64_t flags, int exit_signal)
{
	char buf[1024];

	add_text(c, "flags", buf, decode_clone_flags(flags, exit_signal, buf, sizeof(buf)));
}

/* clone(flags, stack, parent_tid, child_tid, tls) on x86_64: the low byte of flags is the
 * exit signal. */
static void dec_clone(struct ctx *c)
{
	add_clone_flags(c, c->args[0] & ~CSIGNAL_MASK, (int)(c->args[0] & CSIGNAL_MASK));
}

/* clone3(struct clone_args *, size): read at most the fields we know; a smaller size than
 * the first version is the kernel's EINVAL. */
static void dec_clone3(struct ctx *c)
{
	uint64_t ca[CLONE_ARGS_SIZE_MAX / sizeof(uint64_t)] = {0};
	size_t size = c->args[1] > CLONE_ARGS_SIZE_MAX ? CLONE_ARGS_SIZE_MAX : c->args[1];

	if (size < CLONE_ARGS_SIZE_VER0) {
		add_error(c, "flags", EINVAL);
		return;
	}
	if (mem_read(c->tid, c->args[0], ca, size) < 0) {
		add_error(c, "flags", errno);
		return;
	}
	add_clone_flags(c, ca[0], (int)ca[CLONE_ARGS_EXIT_SIGNAL / sizeof(uint64_t)]);
}

static void dec_path0(struct ctx *c) { add_path(c, 0); }

static void dec_at_path1(struct ctx *c)
{
	add_dirfd(c, 0);
	add_path(c, 1);
}

static const struct {
	int nr;
	void (*fn)(struct ctx *c);
} decoders[] = {
    {__NR_open, dec_open},	   {__NR_openat, dec_openat},	  {__NR_openat2, dec_openat2},
    {__NR_creat, dec_creat},	   {__NR_execve, dec_execve},	  {__NR_execveat, dec_execveat},
    {__NR_connect, dec_sockaddr},  {__NR_bind, dec_sockaddr},	  {__NR_clone, dec_clone},
    {__NR_clone3, dec_clone3},	   {__NR_chdir, dec_path0},	  {__NR_chroot, dec_path0},
    {__NR_mkdir, dec_path0},	   {__NR_mkdirat, dec_at_path1},  {__NR_rmdir, dec_path0},
    {__NR_unlink, dec_path0},	   {__NR_unlinkat, dec_at_path1}, {__NR_chmod, dec_path0},
    {__NR_fchmodat, dec_at_path1}, {__NR_chown, dec_path0},	  {__NR_lchown, dec_path0},
    {__NR_fchownat, dec_at_path1}, {__NR_mknod, dec_path0},	  {__NR_mknodat, dec_at_path1},
    {__NR_truncate, dec_path0},
};

int decode_syscall(pid_t tid, uint32_t arch, int nr, const uint64_t args[6], struct decoded *out)
{
	struct ctx c = {tid, args, out};

	out->n = 0;
	out->used = 0;
	if (arch != AUDIT_ARCH_X86_64)
		return 0;
	for (size_t i = 0; i < N_ELEMENTS(decoders); i++) {
		if (decoders[i].nr == nr) {
			decoders[i].fn(&c);
			break;
		}
	}
	return (int)out->n;
}

const char *decoded_text(const struct decoded *d, const struct decoded_field *f)
{
	return d->store + f->off;
}

const struct decoded_field *decoded_get(const struct decoded *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->fields[i].key, key) == 0)
			return &d->fields[i];
	return NULL;
}
