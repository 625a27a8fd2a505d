/* Decoding the arguments auditors ask about: what a syscall points at in tracee memory
 * (paths, argv, socket addresses, clone3's struct) and flag words as text.
 *
 * Every read is bounded (mem.h): paths DECODE_PATH_MAX, argv DECODE_ARGV_MAX entries of
 * DECODE_ARG_MAX bytes, sockaddrs sizeof(struct sockaddr_storage). A pointer that cannot be
 * read becomes a field of type DECODED_ERROR (its errno), never a crash. The result lives
 * in one flat struct (no allocation, safe to memcpy): fields refer into its own store by
 * offset. x86_64 only: other architectures and x32 numbers decode to nothing.
 *
 * Decoded syscalls and their fields (docs/audit-format.md has the JSON):
 *   open, openat, openat2, creat   dirfd, path, path_truncated, flags, mode, resolve
 *   execve, execveat               dirfd, path, path_truncated, argv, argv_truncated, flags
 *   connect, bind                  fd, family, addr
 *   clone, clone3                  flags (with the exit signal, "CLONE_VM|...|SIGCHLD")
 *   chdir, chroot, mkdir(at), rmdir, unlink(at), chmod, fchmodat, chown, lchown, fchownat,
 *   mknod(at), truncate           dirfd, path, path_truncated */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DECODE_PATH_MAX 4096 /* buffer size: a path keeps at most 4095 bytes */
#define DECODE_ARGV_MAX 32   /* argv entries kept */
#define DECODE_ARG_MAX 256   /* buffer size per argv entry: at most 255 bytes */
#define DECODED_MAX_FIELDS 8
#define DECODED_STORE_SIZE (DECODE_PATH_MAX + DECODE_ARGV_MAX * DECODE_ARG_MAX + 1024)

enum decoded_type {
	DECODED_STRING,	 /* len bytes at store + off (may hold NULs: an abstract socket) */
	DECODED_INT,	 /* num */
	DECODED_BOOL,	 /* num != 0 */
	DECODED_STRINGS, /* len NUL-terminated strings, one after the other, from store + off */
	DECODED_ERROR,	 /* the memory behind the field could not be read: num is the errno */
};

struct decoded_field {
	const char *key; /* static string */
	enum decoded_type type;
	uint32_t off;
	uint32_t len;
	int64_t num;
};

struct decoded {
	size_t n;
	struct decoded_field fields[DECODED_MAX_FIELDS];
	size_t used; /* bytes of store in use */
	char store[DECODED_STORE_SIZE];
};

/* Decode syscall `nr` of `arch` (AUDIT_ARCH_*) made by `tid`, which must be stopped (or at
 * least not exiting) for the reads to mean anything. Fills *out and returns the number of
 * fields, 0 when the syscall is not one that is decoded. Never fails otherwise. */
int decode_syscall(pid_t tid, uint32_t arch, int nr, const uint64_t args[6], struct decoded *out);

/* The text of a DECODED_STRING or the first string of a DECODED_STRINGS field. */
const char *decoded_text(const struct decoded *d, const struct decoded_field *f);
/* The field named key, or NULL. */
const struct decoded_field *decoded_get(const struct decoded *d, const char *key);

/* Flag words as text, for the decoder and the tests: "O_WRONLY|O_CREAT|O_CLOEXEC",
 * "CLONE_VM|CLONE_THREAD|SIGCHLD"; unknown bits as one hex number at the end, "0" for none.
 * Return the length written (text is cut to fit size). */
size_t decode_open_flags(uint64_t flags, char *buf, size_t size);
size_t decode_clone_flags(uint64_t flags, int exit_signal, char *buf, size_t size);
