/* Tracee memory: every read and write goes through these bounded functions (strace's
 * ucopy.c). A bad pointer is an error return, never a crash or an unbounded copy. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEM_MAX_COPY (1u << 20)

/* Read exactly len bytes (len <= MEM_MAX_COPY) from the tracee; 0 or -1 with errno. */
int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
/* Read a NUL-terminated string of at most cap - 1 bytes (cap >= 1, cap <= MEM_MAX_COPY) into
 * buf, always NUL-terminated, with its length in *len. Reads go page by page, so a string that
 * ends just before an unmapped page is read whole. Returns 0 (the string is complete), 1 (no
 * NUL within cap - 1 bytes: buf holds the first cap - 1, *len == cap - 1), or -1 with errno
 * (EFAULT: the string runs into memory that cannot be read before its NUL). */
int mem_read_string(pid_t tid, uint64_t addr, char *buf, size_t cap, size_t *len);
/* Write exactly len bytes to writable tracee memory; 0 or -1 with errno. */
int mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
