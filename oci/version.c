#include "version.h"

#include <seccomp.h>

#include "config.h"

void oci_version_print(FILE *out, const char *progname)
{
	const struct scmp_version *v = seccomp_version();

	fprintf(out, "%s %s\n", progname, OCTRACE_VERSION);
	if (v)
		fprintf(out, "libseccomp %u.%u.%u\n", v->major, v->minor, v->micro);
	else
		fputs("libseccomp unknown\n", out);
}
