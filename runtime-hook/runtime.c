/* octrace-runtime: an OCI runtime wrapper that adds octrace-hook to every container it
 * creates, then execs runc or crun. See runtime_wrap.h. */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "runtime_args.h"
#include "runtime_config.h"
#include "runtime_wrap.h"
#include "version.h"

/* Only these exact argv[1]s are ours: --help and everything else belong to the real runtime.
 * `--version` is both: ours first, then the real runtime's (engines ask it for `--version`
 * and read its "NAME version X" line, which ours does not look like). */
static const char usage_text[] =
    "Usage: " RUNTIME_PROGNAME " [RUNTIME-OPTIONS] COMMAND [ARGS...]\n"
    "       " RUNTIME_PROGNAME " --octrace-help | --octrace-version\n"
    "\n"
    "An OCI runtime wrapper: takes a runc/crun command line unchanged. For `create` and\n"
    "`run` it adds octrace-hook to hooks.prestart of BUNDLE/config.json (--bundle/-b, default\n"
    "the current directory; crun's --config is honoured), unless a hook with the same path is\n"
    "already in prestart or createRuntime; the file is rewritten through a temporary file\n"
    "and renamed, keeping its mode and owner. Then it execs the real runtime with the same\n"
    "arguments. Every other command (start, state, kill, delete, --help, ...) passes\n"
    "straight through; --version prints octrace-runtime's version and libseccomp's, then\n"
    "the real runtime's.\n"
    "\n"
    "Configuration: $" RUNTIME_CONFIG_ENV " or " RUNTIME_CONFIG_DEFAULT " (missing: defaults)\n"
    "  { \"runtime\": \"runc\",       runc, crun, another name in PATH, or an absolute path\n"
    "    \"hook\": { \"path\": \"" OCTRACE_BINDIR "/octrace-hook\",  default: next to this binary\n"
    "              \"args\": [\"octrace-hook\", \"--log-dir\", \"" OCTRACE_LOG_DIR "\"],\n"
    "              \"timeout\": 10 },         seconds (default: none)\n"
    "    \"trace\": \"all\",           or \"annotated\": only containers whose config.json\n"
    "    \"annotation\": \"" RUNTIME_DEFAULT_ANNOTATION
    "\" }  annotation is set and not \"false\"/\"0\"\n"
    "\n"
    "Errors (a broken config.json, no real runtime): one line where runc logs (--log FILE,\n"
    "in --log-format json or text), else on stderr; exit status 1, the bundle untouched.\n";

int main(int argc, char *argv[])
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct runtime_args args;

	if (argc == 2 && strcmp(argv[1], "--octrace-help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--octrace-version") == 0) {
		oci_version_print(stdout, RUNTIME_PROGNAME);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		oci_version_print(stdout, RUNTIME_PROGNAME);
		fflush(stdout); /* before the exec */
	}
	runtime_args_parse(argc, argv, &args);
	runtime_wrap(argc, argv, &args, &err);
	runtime_report_error(&args, err->msg);
	return 1;
}
