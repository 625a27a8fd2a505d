#include "mem.h"

#include <errno.h>
#include <sys/uio.h>

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
