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
