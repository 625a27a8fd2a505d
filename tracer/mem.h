/* Tracee memory: every read and write goes through these bounded functions (strace's
 * ucopy.c). A bad pointer is an error return, never a crash or an unbounded copy. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEM_MAX_COPY (1u << 20)

/* Read exactly len bytes (len <= MEM_MAX_COPY) from the tracee; 0 or -1 with errno. */
int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
/* Read a NUL-terminated string into buf (cap bytes, 1 <= cap <= MEM_MAX_COPY): on success
 * buf is NUL-terminated and *len is the length. Reads go page by page, never past the page
 * that holds the NUL, so a string that ends just before an unmapped page is read whole.
 * Returns 0 (complete: at most cap - 1 bytes), 1 (no NUL within cap bytes: buf holds the
 * first cap - 1, *len == cap - 1), or -1 with errno (EFAULT: the string runs into memory
 * that cannot be read before its NUL). */
int mem_read_string(pid_t tid, uint64_t addr, char *buf, size_t cap, size_t *len);
/* Write exactly len bytes to writable tracee memory; 0 or -1 with errno. */
int mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
