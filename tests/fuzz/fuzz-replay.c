/* Replays a target's committed corpus through the same fuzz_target() that libFuzzer drives,
 * with a plain main (no clang needed): the unit suite runs it in the gcc and ASan builds.
 * Usage: fuzz-replay-TARGET DIR. Each file is handed over in a buffer of exactly its size, so
 * that ASan sees a read past the end as libFuzzer would. TAP: the corpus is there, no input
 * broke the contract, and the corpus has inputs that are accepted and inputs that are
 * rejected (a corpus of only one kind tests half the parser). */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "cleanup.h"
#include "fuzz.h"
#include "io.h"

#define FUZZ_INPUT_MAX (1u << 20)

static const char *current; /* the file being replayed, for messages */
static unsigned violations;

void fuzz_violation(const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		exit(99);
	va_end(ap);
	printf("# %s: ", current);
	tap_print_line(what); /* the message may be what broke the contract: one line */
	putchar('\n');
	free(what);
	violations++;
}

static int replay_one(int dfd, const char *name, unsigned counts[2])
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	cleanup_free uint8_t *exact = NULL;
	size_t len;

	if (fd < 0 || oci_read_fd(fd, FUZZ_INPUT_MAX, &buf, &len) < 0)
		return -1;
	exact = malloc(len ? len : 1);
	if (exact == NULL)
		abort();
	memcpy(exact, buf, len);
	current = name;
	counts[fuzz_target(exact, len)]++;
	return 0;
}

int main(int argc, char **argv)
{
	struct dirent **names = NULL;
	unsigned counts[2] = {0, 0}, unreadable = 0;
	cleanup_close int dfd = -1;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 99;
	}
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = dfd < 0 ? -1 : scandir(argv[1], &names, NULL, alphasort);
	if (!ok(n > 2, "%s: corpus %s holds files", fuzz_name, argv[1]))
		return tap_done();
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && replay_one(dfd, names[i]->d_name, counts) < 0)
			unreadable++;
		free(names[i]);
	}
	free(names);
	ok(violations == 0 && unreadable == 0,
	   "%s: %u inputs replayed, %u broke the contract, %u unreadable", fuzz_name,
	   counts[0] + counts[1], violations, unreadable);
	ok(counts[FUZZ_ACCEPTED] > 0 && counts[FUZZ_REJECTED] > 0,
	   "%s: %u accepted, %u rejected with a message", fuzz_name, counts[FUZZ_ACCEPTED],
	   counts[FUZZ_REJECTED]);
	return tap_done();
}
