/* seccomp-exec POLICY -- CMD [ARGS...]
 *
 * Installs the filter runc would build from POLICY (oci_policy_compile in KERNEL mode) and
 * execs CMD under it: the reference the differential tests compare octrace against.
 * Exit status: 2 for a bad policy or usage, 125 when the filter cannot be installed, 127
 * when CMD cannot be executed; otherwise CMD's own. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compile.h"

static int install(const struct oci_filter *f)
{
	struct sock_fprog prog = {.len = f->len, .filter = f->insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) >= 0)
		return 0;
	/* Without CAP_SYS_ADMIN the kernel wants no_new_privs first. */
	if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) < 0 ? -1 : 0;
}

static int load(const char *path, struct oci_filter **out)
{
	cleanup_oci_policy struct oci_policy *p = NULL;
	cleanup_oci_error struct oci_error *err = NULL;

	if (oci_policy_load(path, &p, &err) < 0 ||
	    oci_policy_compile(p, OCI_COMPILE_KERNEL, stderr, out, &err) < 0) {
		fprintf(stderr, "seccomp-exec: %s\n", err->msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	cleanup_oci_filter struct oci_filter *f = NULL;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: seccomp-exec POLICY -- CMD [ARGS...]\n");
		return 2;
	}
	if (load(argv[1], &f) < 0)
		return 2;
	if (install(f) < 0) {
		fprintf(stderr, "seccomp-exec: cannot install the filter: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[3], argv + 3);
	/* stderr may be refused by the filter itself; the status says it all */
	fprintf(stderr, "seccomp-exec: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
