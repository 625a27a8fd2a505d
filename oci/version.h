/* What `--version` prints for each of octrace's programs: the project's version, and the
 * libseccomp it runs with (the shared library's, which may be newer than the one it was built
 * against: it decides what the filters can express). */
#pragma once

#include <stdio.h>

/* "PROGNAME VERSION" and "libseccomp X.Y.Z", one line each. */
void oci_version_print(FILE *out, const char *progname);
