/* filter-exec allow|errno NAME... -- CMD [ARG...]: run CMD under a plain seccomp filter.
 *
 * The bench's "filter alone" row until tests/unit's seccomp-exec (which installs a whole OCI
 * policy with its real actions) exists. `allow`: everything is allowed but NAMEs fail with
 * EPERM; `errno`: everything fails with ENOSYS but NAMEs are allowed. Names the native
 * architecture does not know are skipped, as runc does. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int add_names(scmp_filter_ctx ctx, uint32_t action, char **names, int n)
{
	for (int i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = seccomp_rule_add(ctx, action, nr, 0);
		if (rc < 0) {
			fprintf(stderr, "filter-exec: %s: %s\n", names[i], strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int dash = 2, deny_default, rc;
	uint32_t names_action;
	scmp_filter_ctx ctx;

	while (dash < argc && strcmp(argv[dash], "--") != 0)
		dash++;
	if (argc < 2 || dash + 1 >= argc ||
	    (strcmp(argv[1], "allow") != 0 && strcmp(argv[1], "errno") != 0)) {
		fprintf(stderr, "usage: filter-exec allow|errno NAME... -- CMD [ARG...]\n");
		return 2;
	}
	deny_default = strcmp(argv[1], "errno") == 0;
	ctx = seccomp_init(deny_default ? SCMP_ACT_ERRNO(ENOSYS) : SCMP_ACT_ALLOW);
	names_action = deny_default ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM);
	if (ctx == NULL || add_names(ctx, names_action, argv + 2, dash - 2))
		return 1;
	rc = seccomp_load(ctx);
	if (rc < 0) {
		fprintf(stderr, "filter-exec: seccomp_load: %s\n", strerror(-rc));
		return 1;
	}
	execvp(argv[dash + 1], argv + dash + 1);
	fprintf(stderr, "filter-exec: %s: %s\n", argv[dash + 1], strerror(errno));
	return 127;
}
