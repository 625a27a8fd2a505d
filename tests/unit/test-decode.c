/* tracer/decode.c and mem_read_string(): the memory of a forked child read with
 * process_vm_readv (our own child: no ptrace, no root needed). Everything it reads is set up
 * before the fork, so that the addresses are the same in both; the child then changes one
 * string, which proves the reads go to its memory and not ours. Bad pointers, a string that
 * ends at the last byte before a PROT_NONE page, and structs that end there too. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "decode.h"
#include "mem.h"
#include "tap.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define AT_FDCWD_U32 0xffffff9cull /* AT_FDCWD as a 32-bit int in a 64-bit register */

static struct {
	size_t page_size;
	char *edge;	     /* "/edge", its NUL the last byte before a PROT_NONE page */
	char *runon;	     /* RUNON_LEN bytes without a NUL, up to a PROT_NONE page */
	char *bad_page;	     /* a PROT_NONE page */
	uint64_t *ptrs_edge; /* argv {"a", "b", NULL} ending at a PROT_NONE page */
	uint64_t *ca_edge;   /* a struct clone_args (88 bytes) ending at a PROT_NONE page */
	char marker[64];     /* "/parent"; the child makes it "/child/only" */
	char longpath[5000];
	char arg255[256], arg300[301];
	const char *argv3[4], *argv40[41], *argv_bad[3], *argv_long[3];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6, sin6_ll;
	struct sockaddr_un sun, sun_abstract;
	struct sockaddr_nl snl;
	uint64_t how[3];
} fx;

#define RUNON_LEN 300

/* `size` bytes that end where a PROT_NONE page begins. */
static void *at_page_end(size_t size)
{
	char *p = mmap(NULL, 2 * fx.page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED || mprotect(p + fx.page_size, fx.page_size, PROT_NONE) < 0)
		exit(99);
	fx.bad_page = p + fx.page_size;
	return p + fx.page_size - size;
}

static void setup_pages(void)
{
	fx.page_size = (size_t)sysconf(_SC_PAGESIZE);
	fx.edge = at_page_end(6);
	memcpy(fx.edge, "/edge", 6);
	fx.runon = at_page_end(RUNON_LEN);
	memset(fx.runon, 'x', RUNON_LEN);
	fx.ptrs_edge = at_page_end(3 * sizeof(uint64_t));
	fx.ptrs_edge[0] = (uintptr_t) "a";
	fx.ptrs_edge[1] = (uintptr_t) "b";
	fx.ptrs_edge[2] = 0;
	fx.ca_edge = at_page_end(88);
	fx.ca_edge[0] = 0x10000000 | 0x20000000 | 0x200000000ull; /* NEWUSER|NEWPID|INTO_CGROUP */
	fx.ca_edge[4] = SIGCHLD;
}

static void setup_argv(void)
{
	static char args40[40][8];

	fx.argv3[0] = "/bin/echo", fx.argv3[1] = "hello", fx.argv3[2] = "world";
	for (int i = 0; i < 40; i++) {
		snprintf(args40[i], sizeof(args40[i]), "a%d", i);
		fx.argv40[i] = args40[i];
	}
	fx.argv_bad[0] = "ok";
	fx.argv_bad[1] = (const char *)1;
	memset(fx.arg255, 'y', 255);
	memset(fx.arg300, 'z', 300);
	fx.argv_long[0] = fx.arg255;
	fx.argv_long[1] = fx.arg300;
	memset(fx.longpath, 'p', sizeof(fx.longpath) - 1);
	fx.longpath[0] = '/';
}

static void setup_sockaddrs(void)
{
	fx.sin.sin_family = AF_INET;
	fx.sin.sin_port = htons(80);
	inet_pton(AF_INET, "1.2.3.4", &fx.sin.sin_addr);
	fx.sin6.sin6_family = AF_INET6;
	fx.sin6.sin6_port = htons(443);
	fx.sin6.sin6_addr = in6addr_loopback;
	fx.sin6_ll.sin6_family = AF_INET6;
	fx.sin6_ll.sin6_port = htons(8080);
	inet_pton(AF_INET6, "fe80::1", &fx.sin6_ll.sin6_addr);
	fx.sin6_ll.sin6_scope_id = 2;
	fx.sun.sun_family = AF_UNIX;
	strcpy(fx.sun.sun_path, "/run/test.sock");
	fx.sun_abstract.sun_family = AF_UNIX;
	memcpy(fx.sun_abstract.sun_path, "\0abc", 4);
	fx.snl.nl_family = AF_NETLINK;
	fx.how[0] = O_RDONLY | O_CLOEXEC;
	fx.how[2] = 0x04 | 0x08; /* RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH */
}

static pid_t child;
static struct decoded d;

static int dec(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	const uint64_t args[6] = {a0, a1, a2, a3, a4, 0};

	return decode_syscall(child, AUDIT_ARCH_X86_64, nr, args, &d);
}

static const char *text(const char *key)
{
	const struct decoded_field *f = decoded_get(&d, key);

	return f && f->type == DECODED_STRING ? decoded_text(&d, f) : NULL;
}

static bool is_error(const char *key, int errnum)
{
	const struct decoded_field *f = decoded_get(&d, key);

	return f && f->type == DECODED_ERROR && f->num == errnum;
}

static bool is_int(const char *key, int64_t v)
{
	const struct decoded_field *f = decoded_get(&d, key);

	return f && f->type == DECODED_INT && f->num == v;
}

static bool has_true(const char *key)
{
	const struct decoded_field *f = decoded_get(&d, key);

	return f && f->type == DECODED_BOOL && f->num;
}

static void test_paths(void)
{
	ok(dec(SYS_openat, AT_FDCWD_U32, (uintptr_t)fx.marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644,
	       0) == 4,
	   "openat: four fields");
	is_str(text("dirfd"), "AT_FDCWD", "dirfd AT_FDCWD (32-bit form)");
	is_str(text("path"), "/child/only", "path read from the child's memory");
	is_str(text("flags"), "O_WRONLY|O_CREAT|O_CLOEXEC", "open flags as text");
	is_str(text("mode"), "0644", "mode with O_CREAT");
	dec(SYS_openat, (uint64_t)-100, (uintptr_t)fx.marker, O_RDONLY, 0777, 0);
	is_str(text("dirfd"), "AT_FDCWD", "dirfd AT_FDCWD (sign-extended)");
	ok(decoded_get(&d, "mode") == NULL, "no mode without O_CREAT/O_TMPFILE");
	dec(SYS_openat, 7, (uintptr_t)fx.marker, O_RDONLY, 0, 0);
	ok(is_int("dirfd", 7), "dirfd as a number");
	dec(SYS_open, (uintptr_t)fx.edge, O_RDONLY, 0, 0, 0);
	is_str(text("path"), "/edge", "a path ending at the last byte before a PROT_NONE page");
	dec(SYS_open, (uintptr_t)fx.runon, O_RDONLY, 0, 0, 0);
	ok(is_error("path", EFAULT), "a path running into a PROT_NONE page: EFAULT");
	is_str(text("flags"), "O_RDONLY", "the other fields survive a bad path");
	dec(SYS_open, 1, O_RDONLY, 0, 0, 0);
	ok(is_error("path", EFAULT), "path pointer 0x1: EFAULT");
	dec(SYS_open, 0, O_RDONLY, 0, 0, 0);
	ok(is_error("path", EFAULT), "NULL path: EFAULT");
	dec(SYS_open, (uintptr_t)fx.bad_page, O_RDONLY, 0, 0, 0);
	ok(is_error("path", EFAULT), "path in the PROT_NONE page: EFAULT");
	dec(SYS_open, (uintptr_t)fx.longpath, O_RDONLY, 0, 0, 0);
	ok(text("path") && strlen(text("path")) == DECODE_PATH_MAX - 1 &&
	       has_true("path_truncated"),
	   "a 4999-byte path: 4095 bytes kept, path_truncated");
	dec(SYS_creat, (uintptr_t)fx.marker, 0600, 0, 0, 0);
	is_str(text("flags"), "O_WRONLY|O_CREAT|O_TRUNC", "creat: its implied flags");
	is_str(text("mode"), "0600", "creat: mode");
	dec(SYS_mkdirat, 3, (uintptr_t)fx.marker, 0755, 0, 0);
	ok(is_int("dirfd", 3) && text("path") && strcmp(text("path"), "/child/only") == 0,
	   "mkdirat: dirfd and path");
	dec(SYS_unlink, (uintptr_t)fx.marker, 0, 0, 0, 0);
	is_str(text("path"), "/child/only", "unlink: path");
}

static void test_openat2(void)
{
	dec(SYS_openat2, AT_FDCWD_U32, (uintptr_t)fx.marker, (uintptr_t)fx.how, 24, 0);
	is_str(text("flags"), "O_RDONLY|O_CLOEXEC", "openat2: flags from struct open_how");
	is_str(text("resolve"), "RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH", "openat2: resolve");
	dec(SYS_openat2, AT_FDCWD_U32, (uintptr_t)fx.marker, (uintptr_t)fx.how, 8, 0);
	ok(is_error("flags", EINVAL), "openat2 with a size below OPEN_HOW_SIZE_VER0: EINVAL");
	dec(SYS_openat2, AT_FDCWD_U32, (uintptr_t)fx.marker, 8, 24, 0);
	ok(is_error("flags", EFAULT) && text("path"), "openat2 with a bad open_how: EFAULT");
}

static const struct decoded_field *argv_field(void)
{
	const struct decoded_field *f = decoded_get(&d, "argv");

	return f && f->type == DECODED_STRINGS ? f : NULL;
}

/* argv joined with spaces, for comparing in one line. */
static char *argv_joined(void)
{
	const struct decoded_field *f = argv_field();
	static char buf[16384];
	const char *s;
	size_t o = 0;

	if (f == NULL)
		return NULL;
	s = decoded_text(&d, f);
	buf[0] = '\0';
	for (uint32_t i = 0; i < f->len; i++, s += strlen(s) + 1)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", s);
	return buf;
}

static void test_execve(void)
{
	const struct decoded_field *f;

	dec(SYS_execve, (uintptr_t)fx.marker, (uintptr_t)fx.argv3, 0, 0, 0);
	is_str(argv_joined(), "/bin/echo hello world", "execve argv");
	ok(!decoded_get(&d, "argv_truncated"), "argv_truncated absent when whole");
	dec(SYS_execve, (uintptr_t)fx.marker, (uintptr_t)fx.argv40, 0, 0, 0);
	f = argv_field();
	ok(f && f->len == DECODE_ARGV_MAX && has_true("argv_truncated"),
	   "40 arguments: 32 kept, argv_truncated");
	dec(SYS_execve, (uintptr_t)fx.marker, (uintptr_t)fx.argv_bad, 0, 0, 0);
	ok(is_error("argv", EFAULT), "an unreadable argument string: argv EFAULT");
	dec(SYS_execve, (uintptr_t)fx.marker, 8, 0, 0, 0);
	ok(is_error("argv", EFAULT), "an unreadable argv array: EFAULT");
	dec(SYS_execve, (uintptr_t)fx.marker, 0, 0, 0, 0);
	f = argv_field();
	ok(f && f->len == 0, "argv NULL: an empty array");
	dec(SYS_execve, (uintptr_t)fx.marker, (uintptr_t)fx.argv_long, 0, 0, 0);
	f = argv_field();
	ok(f && f->len == 2 && strlen(decoded_text(&d, f)) == 255 &&
	       strlen(decoded_text(&d, f) + 256) == 255 && has_true("argv_truncated"),
	   "255 bytes kept whole, 300 cut to 255 with argv_truncated");
	dec(SYS_execve, (uintptr_t)fx.marker, (uintptr_t)fx.ptrs_edge, 0, 0, 0);
	is_str(argv_joined(), "a b", "an argv array ending before a PROT_NONE page");
	dec(SYS_execveat, AT_FDCWD_U32, (uintptr_t) "", (uintptr_t)fx.argv3, 0, 0x1000);
	is_str(text("path"), "", "execveat: empty path");
	is_str(text("flags"), "AT_EMPTY_PATH", "execveat: flags");
	is_str(text("dirfd"), "AT_FDCWD", "execveat: dirfd");
}

static void test_sockaddr(void)
{
	dec(SYS_connect, 5, (uintptr_t)&fx.sin, sizeof(fx.sin), 0, 0);
	ok(is_int("fd", 5), "connect: fd");
	is_str(text("family"), "AF_INET", "family AF_INET");
	is_str(text("addr"), "1.2.3.4:80", "AF_INET address");
	dec(SYS_bind, 5, (uintptr_t)&fx.sin6, sizeof(fx.sin6), 0, 0);
	is_str(text("addr"), "[::1]:443", "AF_INET6 address");
	dec(SYS_connect, 5, (uintptr_t)&fx.sin6_ll, sizeof(fx.sin6_ll), 0, 0);
	is_str(text("addr"), "[fe80::1%2]:8080", "AF_INET6 with a scope id");
	dec(SYS_connect, 5, (uintptr_t)&fx.sun,
	    offsetof(struct sockaddr_un, sun_path) + strlen(fx.sun.sun_path) + 1, 0, 0);
	is_str(text("addr"), "/run/test.sock", "AF_UNIX path");
	dec(SYS_bind, 5, (uintptr_t)&fx.sun_abstract, offsetof(struct sockaddr_un, sun_path) + 4, 0,
	    0);
	is_str(text("addr"), "@abc", "AF_UNIX abstract name");
	dec(SYS_bind, 5, (uintptr_t)&fx.sun_abstract, sizeof(sa_family_t), 0, 0);
	is_str(text("family"), "AF_UNIX", "unnamed AF_UNIX: family");
	is_str(text("addr"), "", "unnamed AF_UNIX (autobind): empty addr");
	dec(SYS_bind, 5, (uintptr_t)&fx.snl, sizeof(fx.snl), 0, 0);
	is_str(text("family"), "AF_NETLINK", "netlink family");
	ok(!decoded_get(&d, "addr"), "AF_NETLINK: no addr");
	dec(SYS_connect, 5, (uintptr_t)&fx.sin, 1, 0, 0);
	ok(is_error("addr", EINVAL), "addrlen 1: EINVAL");
	dec(SYS_connect, 5, (uintptr_t)&fx.sin, 8, 0, 0);
	ok(is_error("addr", EINVAL), "AF_INET shorter than sockaddr_in: EINVAL");
	dec(SYS_connect, 5, 16, sizeof(fx.sin), 0, 0);
	ok(is_error("addr", EFAULT), "bad sockaddr pointer: EFAULT");
	dec(SYS_connect, 5, (uintptr_t)&fx.sin, (uint64_t)-1, 0, 0);
	ok(is_error("addr", EINVAL), "negative addrlen: EINVAL");
}

static void test_clone(void)
{
	dec(SYS_clone,
	    0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 | 0x100000 | 0x200000, 0, 0,
	    0, 0);
	is_str(text("flags"),
	       "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
	       "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID",
	       "clone flags of a thread");
	dec(SYS_clone, 0x1000000 | 0x200000 | SIGCHLD, 0, 0, 0, 0);
	is_str(text("flags"), "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD",
	       "clone of fork(): the exit signal last");
	dec(SYS_clone3, (uintptr_t)fx.ca_edge, 88, 0, 0, 0);
	is_str(text("flags"), "CLONE_NEWUSER|CLONE_NEWPID|CLONE_INTO_CGROUP|SIGCHLD",
	       "clone3 flags and exit_signal from struct clone_args");
	dec(SYS_clone3, (uintptr_t)fx.ca_edge, 4096, 0, 0, 0);
	is_str(text("flags"), "CLONE_NEWUSER|CLONE_NEWPID|CLONE_INTO_CGROUP|SIGCHLD",
	       "clone3 with a huge size reads only what it knows (no fault at the page end)");
	dec(SYS_clone3, (uintptr_t)fx.ca_edge, 32, 0, 0, 0);
	ok(is_error("flags", EINVAL), "clone3 size below CLONE_ARGS_SIZE_VER0: EINVAL");
	dec(SYS_clone3, 64, 88, 0, 0, 0);
	ok(is_error("flags", EFAULT), "clone3 bad pointer: EFAULT");
}

static void test_not_decoded(void)
{
	const uint64_t args[6] = {(uintptr_t)fx.marker, 0, 0, 0, 0, 0};

	ok(decode_syscall(child, AUDIT_ARCH_I386, 5, args, &d) == 0 && d.n == 0,
	   "i386: nothing decoded");
	ok(decode_syscall(child, AUDIT_ARCH_X86_64, 0x40000000 | SYS_open, args, &d) == 0,
	   "x32: nothing decoded");
	ok(dec(SYS_getpid, 0, 0, 0, 0, 0) == 0, "getpid: nothing to decode");
}

static void test_mem_read_string(void)
{
	char buf[16];
	size_t len = 99;

	ok(mem_read_string(child, (uintptr_t)fx.marker, buf, 4, &len) == 1 && len == 3 &&
	       strcmp(buf, "/ch") == 0,
	   "cap 4: truncated to 3 bytes, NUL-terminated");
	ok(mem_read_string(child, (uintptr_t)fx.marker, buf, 12, &len) == 0 && len == 11 &&
	       strcmp(buf, "/child/only") == 0,
	   "cap == length + 1: complete");
	ok(mem_read_string(child, (uintptr_t)fx.marker, buf, 11, &len) == 1 && len == 10,
	   "cap == length: truncated");
	ok(mem_read_string(child, (uintptr_t)fx.edge, buf, sizeof(buf), &len) == 0 && len == 5,
	   "a string whose NUL is the last readable byte");
	len = 99;
	errno = 0;
	ok(mem_read_string(child, (uintptr_t)fx.runon, buf, sizeof(buf), &len) == 1,
	   "a run-on string cut by cap before the bad page");
	len = 99;
	ok(mem_read_string(child, (uintptr_t)(fx.runon + RUNON_LEN - 2), buf, sizeof(buf), &len) <
		   0 &&
	       errno == EFAULT && len == 99,
	   "no NUL before the bad page: EFAULT, len untouched");
	ok(mem_read_string(child, (uintptr_t)fx.marker, buf, 0, &len) < 0 && errno == EINVAL,
	   "cap 0: EINVAL");
}

static void test_flag_text(void)
{
	char buf[128];

	decode_open_flags(0, buf, sizeof(buf));
	is_str(buf, "O_RDONLY", "open flags 0");
	decode_open_flags(O_RDWR | 020200000, buf, sizeof(buf));
	is_str(buf, "O_RDWR|O_TMPFILE", "O_TMPFILE, not __O_TMPFILE|O_DIRECTORY");
	decode_open_flags(04010000, buf, sizeof(buf));
	is_str(buf, "O_RDONLY|O_SYNC", "O_SYNC, not O_DSYNC plus a bit");
	decode_open_flags(3 | 0100000 | 040000000, buf, sizeof(buf));
	is_str(buf, "O_ACCMODE|O_LARGEFILE|0x800000", "access mode 3, kernel O_LARGEFILE, unknown");
	decode_clone_flags(0, 0, buf, sizeof(buf));
	is_str(buf, "0", "clone flags 0");
	decode_clone_flags(0, SIGCHLD, buf, sizeof(buf));
	is_str(buf, "SIGCHLD", "only an exit signal");
	decode_clone_flags(0x100 | 0x400000000ull, 34, buf, sizeof(buf));
	is_str(buf, "CLONE_VM|0x400000000|34", "unknown bits, then a real-time signal");
	ok(decode_clone_flags(0x100 | 0x200, 0, buf, 10) == 9 && strcmp(buf, "CLONE_VM|") == 0,
	   "cut to the buffer, NUL-terminated");
}

static void run_tests(void)
{
	test_paths();
	test_openat2();
	test_execve();
	test_sockaddr();
	test_clone();
	test_not_decoded();
	test_mem_read_string();
	test_flag_text();
}

int main(void)
{
	int ready[2];
	char c;

	setup_pages();
	setup_argv();
	setup_sockaddrs();
	strcpy(fx.marker, "/parent");
	if (pipe(ready) < 0)
		return 99;
	child = fork();
	if (child < 0)
		return 99;
	if (child == 0) {
		strcpy(fx.marker, "/child/only");
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		return 99;
	if (mem_read(child, (uintptr_t)fx.marker, &c, 1) < 0 && errno == EPERM) {
		/* Yama ptrace_scope 2 or 3: reading even our own child needs CAP_SYS_PTRACE */
		printf("1..0 # SKIP process_vm_readv on a child is not permitted here\n");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return 77;
	}
	run_tests();
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return tap_done();
}
