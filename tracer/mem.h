/* Tracee memory: every read and write goes through these bounded functions (strace's
 * ucopy.c). A bad pointer is an error return, never a crash or an unbounded copy. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MEM_MAX_COPY (1u << 20)

/* Read exactly len bytes (len <= MEM_MAX_COPY) from the tracee; 0 or -1 with errno. */
int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
/* Write exactly len bytes to writable tracee memory; 0 or -1 with errno. */
int mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
