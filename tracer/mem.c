#include "mem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int transfer(pid_t tid, uint64_t addr, void *buf, size_t len, int write)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (len > MEM_MAX_COPY) {
		errno = E2BIG;
		return -1;
	}
	if (write)
		n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
	else
		n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	return transfer(tid, addr, buf, len, 0);
}

int mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	return transfer(tid, addr, (void *)buf, len, 1);
}

/* Bytes from addr to the end of its page: a read that stays inside one page either
 * succeeds whole or faults whole, whatever follows the string. */
static size_t to_page_end(uint64_t addr)
{
	static size_t page;

	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page - (size_t)(addr & (page - 1));
}

int mem_read_string(pid_t tid, uint64_t addr, char *buf, size_t cap, size_t *len)
{
	size_t got = 0;

	if (cap == 0 || cap > MEM_MAX_COPY) {
		errno = EINVAL;
		return -1;
	}
	/* cap bytes, not cap - 1: a string of exactly cap - 1 bytes is complete */
	while (got < cap) {
		size_t chunk = to_page_end(addr + got);
		char *nul;

		if (chunk > cap - got)
			chunk = cap - got;
		if (mem_read(tid, addr + got, buf + got, chunk) < 0)
			return -1;
		nul = memchr(buf + got, '\0', chunk);
		if (nul != NULL) {
			*len = (size_t)(nul - buf);
			return 0;
		}
		got += chunk;
	}
	buf[cap - 1] = '\0';
	*len = cap - 1;
	return 1;
}
