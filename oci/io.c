#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"

int oci_read_fd(int fd, size_t max, char **out, size_t *out_len)
{
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	do {
		if (len == cap) {
			if (cap >= max) {
				errno = EFBIG;
				return -1;
			}
			cap = cap ? cap * 2 : 16384;
			cap = cap > max ? max : cap;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				abort();
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno != EINTR)
			return -1;
		len += n > 0 ? n : 0;
	} while (n != 0);
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	*out_len = len;
	return 0;
}

int oci_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
