/* audit-validate FILE: check every line of an audit log against the format (audit-check.c).
 * Prints "N lines valid" (exit 0), or "FILE:LINE: reason" for the first bad line (exit 1);
 * 2 for a usage or read error. "-" reads stdin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-check.h"
#include "cleanup.h"

static FILE *open_input(const char *path)
{
	if (strcmp(path, "-") == 0)
		return stdin;
	return fopen(path, "re");
}

/* 0 when every line is valid, 1 at the first bad one. */
static int validate(FILE *in, const char *name, size_t *count)
{
	cleanup_free char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	*count = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		cleanup_free char *why = NULL;

		++*count;
		if (len == 0 || line[len - 1] != '\n') {
			fprintf(stderr, "%s:%zu: no newline at the end (a partial write?)\n", name,
				*count);
			return 1;
		}
		if (audit_check_line(line, (size_t)len - 1, &why) < 0) {
			fprintf(stderr, "%s:%zu: %s\n", name, *count, why);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t count;
	FILE *in;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: audit-validate FILE\n");
		return 2;
	}
	in = open_input(argv[1]);
	if (in == NULL) {
		fprintf(stderr, "audit-validate: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	rc = validate(in, argv[1], &count);
	if (ferror(in)) {
		fprintf(stderr, "audit-validate: %s: read error\n", argv[1]);
		rc = 2;
	}
	if (in != stdin)
		fclose(in);
	if (rc == 0)
		printf("%zu lines valid\n", count);
	return rc;
}
