/* octrace: trace a command or a running process, enforcing an OCI seccomp policy. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"
#include "reattach.h"
#include "reload_client.h"
#include "audit.h"
#include "caps.h"
#include "cleanup.h"
#include "compile.h"
#include "log.h"
#include "observe.h"
#include "policy.h"
#include "profile.h"
#include "session.h"
#include "metrics.h"
#include "metrics_pub.h"
#include "version.h"

#define EXIT_USAGE 2
#define EXIT_TRACER 125

struct options {
	const char *command;
	const char *policy;
	bool complain;
	bool summary;
	bool arm_now;
	const char *audit;
	const char *audit_level;
	const char *audit_max_size;
	const char *audit_rate;
	const char *profile_out;
	const char *profile_base;
	const char *profile_args;
	const char *profile_stats;
	const char *metrics;
	char **args; /* CMD for run, PID for attach, FILE for check */
	int n_args;
};

static const char usage_text[] =
	"Usage: octrace run [OPTIONS] [--] CMD [ARGS...]\n"
	"       octrace attach [OPTIONS] PID\n"
	"       octrace attach --container ID [--runtime runc|crun] [--root DIR]\n"
	"       octrace reload --container ID [--root DIR]\n"
	"       octrace check POLICY\n"
	"       octrace profile merge PROFILE...\n"
	"       octrace --version\n"
	"\n"
	"Trace a command (run) or a running process and all its descendants (attach) with ptrace,\n"
	"following every clone, fork, vfork and exec, and enforce a syscall policy written in\n"
	"the OCI runtime spec's linux.seccomp format (a bare object, or a whole config.json).\n"
	"Allowed syscalls never leave the kernel; the others stop in octrace, which applies the\n"
	"policy's action exactly as the kernel would. `check` validates a policy; `profile merge`\n"
	"writes the profile allowing what any of the learnt PROFILEs allows on stdout.\n"
	"`attach --container` traces a running container again whose octrace daemon died\n"
	"(complain or trace mode), with its own octrace-hook's policy, mode and logs: the\n"
	"runtime (default runc, --root as given to it) names its bundle and init.\n"
	"`reload --container` makes the daemon of a traced container re-read its policy file\n"
	"(as SIGHUP to the daemon does): rules that tighten apply to every process at once, an\n"
	"invalid policy is refused and the one in force stays (exit status 1).\n"
	"\n"
	"Options:\n"
	"  -p, --policy FILE  the policy to enforce (default: none; trace only)\n"
	"      --complain     record what the policy would do, but allow every syscall\n"
	"      --summary      print a table of the syscalls that stopped on exit (stderr)\n"
	"      --arm-now      attach: enforce at once, not from the process's next execve\n"
	"      --audit FILE   append an audit log (JSON Lines) to FILE\n"
	"      --audit-level denied|traced|all\n"
	"                     what the audit log records (default traced): syscalls the policy\n"
	"                     denies; every syscall that stops (adds LOG, TRACE); or every\n"
	"                     syscall, with its return value (two stops per syscall)\n"
	"      --audit-max-size SIZE  rotate the audit log to FILE.1 when it reaches SIZE\n"
	"                     (K, M, G suffixes; at least 256K; 0: never; default 64M)\n"
	"      --audit-rate N  write at most N audit events a second, count the others in a\n"
	"                     \"suppressed\" event (0: no limit; default 1000)\n"
	"      --profile-out FILE  write an OCI seccomp profile allowing exactly the syscalls\n"
	"                     the traced program made (it stops at every syscall)\n"
	"      --profile-base FILE  merge the observed syscalls into this profile\n"
	"      --profile-args default|none\n"
	"                     keep the argument values seen for clone, unshare, socket and\n"
	"                     personality, deny clone3 with ENOSYS (default); or names only\n"
	"      --profile-stats FILE  write per syscall: calls, first executable, its rule\n"
	"      --metrics FILE write the Prometheus metrics (docs/metrics.md) to FILE at the\n"
	"                     end (atomically: a temporary file renamed)\n"
	"      --debug        log the tracer's state transitions on stderr\n"
	"  -h, --help         show this help\n"
	"      --version      octrace's version and the libseccomp it runs with\n"
	"\n"
	"Exit status: run and attach exit with the traced process's status, or 128+N if\n"
	"signal N killed it; 2 for a bad policy or usage; 125 if octrace itself failed;\n"
	"126/127 if CMD could not be executed.\n";

/* The argument getopt is looking at, for messages. */
static const char *current_option = "";

enum { OPT_COMPLAIN = 256, OPT_SUMMARY, OPT_ARM_NOW, OPT_DEBUG, OPT_AUDIT, OPT_AUDIT_LEVEL,
       OPT_AUDIT_MAX_SIZE, OPT_AUDIT_RATE, OPT_PROFILE_OUT, OPT_PROFILE_BASE, OPT_PROFILE_ARGS,
       OPT_PROFILE_STATS, OPT_METRICS };

static const struct option long_options[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "complain", no_argument, NULL, OPT_COMPLAIN },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "arm-now", no_argument, NULL, OPT_ARM_NOW },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "audit-level", required_argument, NULL, OPT_AUDIT_LEVEL },
	{ "audit-max-size", required_argument, NULL, OPT_AUDIT_MAX_SIZE },
	{ "audit-rate", required_argument, NULL, OPT_AUDIT_RATE },
	{ "profile-out", required_argument, NULL, OPT_PROFILE_OUT },
	{ "profile-base", required_argument, NULL, OPT_PROFILE_BASE },
	{ "profile-args", required_argument, NULL, OPT_PROFILE_ARGS },
	{ "profile-stats", required_argument, NULL, OPT_PROFILE_STATS },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One line, as every error of octrace's. */
static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "octrace: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'octrace --help')\n");
	return EXIT_USAGE;
}

static int apply_option(struct options *o, int c)
{
	switch (c) {
	case 'p':
		o->policy = optarg;
		return 0;
	case OPT_COMPLAIN:
		o->complain = true;
		return 0;
	case OPT_SUMMARY:
		o->summary = true;
		return 0;
	case OPT_ARM_NOW:
		o->arm_now = true;
		return 0;
	case OPT_DEBUG:
		log_debug_enabled = true;
		return 0;
	case OPT_AUDIT:
		o->audit = optarg;
		return 0;
	case OPT_AUDIT_LEVEL:
		o->audit_level = optarg;
		return 0;
	case OPT_AUDIT_MAX_SIZE:
		o->audit_max_size = optarg;
		return 0;
	case OPT_AUDIT_RATE:
		o->audit_rate = optarg;
		return 0;
	case OPT_PROFILE_OUT:
		o->profile_out = optarg;
		return 0;
	case OPT_PROFILE_BASE:
		o->profile_base = optarg;
		return 0;
	case OPT_PROFILE_ARGS:
		o->profile_args = optarg;
		return 0;
	case OPT_PROFILE_STATS:
		o->profile_stats = optarg;
		return 0;
	case OPT_METRICS:
		o->metrics = optarg;
		return 0;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	case ':':
		return usage_error("option %s requires an argument", current_option);
	default:
		return usage_error("unknown option %s", current_option);
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c;

	if (argc < 2)
		return usage_error("%s", "missing command (run, attach or check)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		exit(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		oci_version_print(stdout, "octrace");
		exit(0);
	}
	o->command = argv[1];
	optind = 2;
	opterr = 0; /* our own one-line messages */
	/* '+': stop at the first non-option, so CMD's own options are left alone. */
	for (;;) {
		current_option = optind < argc ? argv[optind] : "";
		c = getopt_long(argc, argv, "+:p:h", long_options, NULL);
		if (c == -1)
			break;
		if (apply_option(o, c) != 0)
			return EXIT_USAGE;
	}
	o->args = argv + optind;
	o->n_args = argc - optind;
	return 0;
}

/* Load and compile (the tracer-mode filter, and in enforce mode the one injected at the
 * arming exec); a bad policy is one line on stderr and exit status 2. */
static int load_policy(const char *path, bool enforce, struct oci_policy **policy,
		       struct oci_filter **filter, struct oci_filter **arm_filter)
{
	cleanup_oci_error struct oci_error *err = NULL;

	if (oci_policy_load(path, policy, &err) < 0 ||
	    oci_policy_compile(*policy, OCI_COMPILE_TRACER, stderr, filter, &err) < 0 ||
	    (enforce && oci_filter_to_enforce(*filter, arm_filter) < 0)) {
		fprintf(stderr, "%s\n", err->msg);
		return EXIT_USAGE;
	}
	return 0;
}

static enum session_mode mode_of(const struct options *o)
{
	if (o->policy == NULL)
		return MODE_TRACE;
	return o->complain ? MODE_COMPLAIN : MODE_ENFORCE;
}

/* Everything a run or attach needs, prepared before anything is traced: a bad policy, an
 * audit log that cannot be opened or a bad option fail here, with nothing started. */
struct plan {
	struct oci_policy *policy;
	struct oci_filter *filter; /* tracer mode: injected at the attach */
	struct oci_filter *arm_filter; /* enforce mode: injected at the arming exec */
	struct audit *audit;
	struct profile profile;
	struct oci_filter *learn_filter; /* learning with one stop per syscall (learn.h) */
	struct oci_filter *learn_arm_filter;
	struct metrics *metrics; /* --metrics */
};

static void plan_free(struct plan *p)
{
	audit_close(p->audit);
	metrics_free(p->metrics);
	profile_free(&p->profile);
	oci_filter_free(p->filter);
	oci_filter_free(p->arm_filter);
	oci_filter_free(p->learn_filter);
	oci_filter_free(p->learn_arm_filter);
	oci_policy_free(p->policy);
}

/* The profile is written at the end, through a temporary file in its directory: find out
 * now, before anything runs, whether that can work. */
static int check_writable_dir(const char *path)
{
	cleanup_free char *copy = strdup(path);
	char *slash = copy ? strrchr(copy, '/') : NULL;
	const char *dir = slash == NULL ? "." : slash == copy ? "/" : (*slash = '\0', copy);
	struct stat st;

	if (copy == NULL)
		return -1;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (stat(dir, &st) == 0 && access(dir, W_OK | X_OK) == 0)
		return 0;
	fprintf(stderr, "octrace: %s: cannot write here: %s\n", path, strerror(errno));
	return -1;
}

/* --profile-args and --profile-stats, and the learning filters: one stop per syscall,
 * except for an attach that may let go (trace or complain mode), which must not leave a
 * filter tracing everything behind (learn.h). */
static int prepare_learning(const struct options *o, struct plan *p)
{
	if ((o->profile_args || o->profile_stats) && !o->profile_out)
		return usage_error("%s", "--profile-args and --profile-stats need --profile-out FILE");
	if (o->profile_args && strcmp(o->profile_args, "none") != 0 &&
	    strcmp(o->profile_args, "default") != 0)
		return usage_error("--profile-args: \"%s\" is not default or none", o->profile_args);
	if (o->profile_stats && check_writable_dir(o->profile_stats) < 0)
		return EXIT_USAGE;
	p->profile.args_none = o->profile_args && strcmp(o->profile_args, "none") == 0;
	p->profile.stats = o->profile_stats != NULL;
	if (!o->profile_out || (strcmp(o->command, "run") != 0 && mode_of(o) != MODE_ENFORCE))
		return 0;
	p->learn_filter = oci_filter_to_learn(p->filter);
	if (p->arm_filter)
		p->learn_arm_filter = oci_filter_to_learn(p->arm_filter);
	return 0;
}

/* The --audit-* options: checked, and given only with --audit. */
static int audit_options(const struct options *o, struct audit_config *c)
{
	*c = (struct audit_config){ .level = AUDIT_TRACED, .max_size = AUDIT_DEFAULT_MAX_SIZE,
				    .rate = AUDIT_DEFAULT_RATE };
	if (o->audit_level && audit_level_parse(o->audit_level, &c->level) < 0)
		return usage_error("--audit-level: \"%s\" is not denied, traced or all",
				   o->audit_level);
	if (o->audit_max_size && audit_size_parse(o->audit_max_size, &c->max_size) < 0)
		return usage_error("--audit-max-size: \"%s\" is not a size of at least 256K "
				   "(K, M, G) or 0", o->audit_max_size);
	if (o->audit_rate && audit_rate_parse(o->audit_rate, &c->rate) < 0)
		return usage_error("--audit-rate: \"%s\" is not a number of events a second",
				   o->audit_rate);
	if (o->audit_level && !o->audit)
		return usage_error("%s", "--audit-level needs --audit FILE");
	if (o->audit_max_size && !o->audit)
		return usage_error("%s", "--audit-max-size needs --audit FILE");
	if (o->audit_rate && !o->audit)
		return usage_error("%s", "--audit-rate needs --audit FILE");
	return 0;
}

static int prepare(const struct options *o, struct plan *p)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct audit_config ac;

	if (o->policy &&
	    load_policy(o->policy, !o->complain, &p->policy, &p->filter, &p->arm_filter) != 0)
		return EXIT_USAGE;
	if (audit_options(o, &ac) != 0)
		return EXIT_USAGE;
	if (o->profile_base && !o->profile_out)
		return usage_error("%s", "--profile-base needs --profile-out FILE");
	if (o->profile_out && check_writable_dir(o->profile_out) < 0)
		return EXIT_USAGE;
	if (prepare_learning(o, p) != 0)
		return EXIT_USAGE;
	if (o->metrics && check_writable_dir(o->metrics) < 0)
		return EXIT_USAGE;
	if (o->metrics &&
	    (p->metrics = metrics_new(NULL, NULL, NULL, session_mode_name(mode_of(o)), -1)) == NULL)
		return log_warn("out of memory"), EXIT_TRACER;
	if (o->audit && audit_open(o->audit, -1, &ac, &p->audit, &err) < 0) {
		fprintf(stderr, "octrace: %s\n", err->msg);
		return EXIT_USAGE;
	}
	return 0;
}

static void start_session(struct session *s, const struct options *o, struct plan *p, pid_t root,
			  bool forward_stop)
{
	struct session_config c = {
		.mode = mode_of(o), .policy = p->policy, .filter = p->filter,
		.arm_filter = p->arm_filter, .audit = p->audit, .metrics = p->metrics,
		.profile = o->profile_out ? &p->profile : NULL, .root = root,
		.learn_filter = p->learn_filter, .learn_arm_filter = p->learn_arm_filter,
		.forward_stop = forward_stop,
		/* an auditing attach may let go; an enforcing one must not (§13) */
		.detach_on_stop = !forward_stop && mode_of(o) != MODE_ENFORCE,
	};

	session_start(s, &c);
}

static int finish_session(struct session *s, const struct options *o)
{
	cleanup_oci_error struct oci_error *err = NULL;
	int code = session_run_to_end(s, o->summary ? stderr : NULL);

	if (s->profile && profile_write(o->profile_out, o->profile_base, o->profile_stats,
					s->profile, &err) < 0) {
		fprintf(stderr, "octrace: %s\n", err->msg);
		code = EXIT_TRACER;
	}
	oci_error_free(err);
	err = NULL;
	if (s->metrics && metrics_write_file(s->metrics, o->metrics, &err) < 0) {
		fprintf(stderr, "octrace: %s\n", err->msg);
		code = EXIT_TRACER;
	}
	session_destroy(s);
	return code;
}

/* As root, keep only the capabilities the tracer uses; as anyone else there is nothing to
 * drop (and nothing to attach to beyond one's own processes). */
static void drop_privileges(void)
{
	if (geteuid() == 0 && caps_drop_to_tracer() < 0)
		log_warn_errno("dropping capabilities");
}

#define GO_BYTE 'g'

/* The child: wait (blocked in read) until the tracer has attached and armed, then exec. Only
 * the tracer's explicit go byte starts CMD: if octrace dies first (EOF), CMD never runs
 * untraced, and it dies with octrace before it was ever resumed. */
static void __attribute__((noreturn)) run_child(int go_fd, char **argv)
{
	char c = 0;
	sigset_t none;
	ssize_t n;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	while ((n = read(go_fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1 || c != GO_BYTE)
		_exit(EXIT_TRACER);
	/* traced now: what octrace's death does to CMD is ptrace's business (EXITKILL) */
	prctl(PR_SET_PDEATHSIG, 0);
	execvp(argv[0], argv);
	int code = errno == ENOENT ? 127 : 126;

	fprintf(stderr, "octrace: %s: %s\n", argv[0], strerror(errno));
	_exit(code);
}

static int cmd_run(const struct options *o, struct plan *p)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct session s;
	int go[2];
	pid_t pid;

	if (o->n_args < 1)
		return usage_error("%s", "run: missing CMD");
	if (pipe2(go, O_CLOEXEC) < 0)
		return log_warn_errno("pipe"), EXIT_TRACER;
	pid_t tracer = getpid();

	pid = fork();
	if (pid < 0)
		return log_warn_errno("fork"), EXIT_TRACER;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != tracer) /* octrace died before PR_SET_PDEATHSIG took */
			_exit(EXIT_TRACER);
		close(go[1]);
		run_child(go[0], o->args);
	}
	close(go[0]);
	drop_privileges();
	start_session(&s, o, p, pid, true);
	if (attach_process(&s, pid, false, &err) < 0) {
		fprintf(stderr, "octrace: %s\n", err->msg);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		session_destroy(&s);
		return EXIT_TRACER;
	}
	observe_attach(&s, pid);
	if (write(go[1], &(char){ GO_BYTE }, 1) != 1) {
		log_warn_errno("starting %s", o->args[0]);
		kill(pid, SIGKILL);
	}
	close(go[1]);
	return finish_session(&s, o);
}

static int cmd_attach(const struct options *o, struct plan *p)
{
	cleanup_oci_error struct oci_error *err = NULL;
	struct session s;
	char *end = NULL;
	long pid;

	if (o->n_args != 1)
		return usage_error("%s", "attach: expected exactly one PID");
	pid = strtol(o->args[0], &end, 10);
	if (*o->args[0] == '\0' || *end != '\0' || pid <= 0 || pid > 0x3fffffff)
		return usage_error("attach: invalid PID \"%s\"", o->args[0]);
	drop_privileges();
	start_session(&s, o, p, (pid_t)pid, false);
	if (attach_process(&s, (pid_t)pid, o->arm_now, &err) < 0) {
		fprintf(stderr, "octrace: %s\n", err->msg);
		session_destroy(&s);
		return EXIT_TRACER;
	}
	observe_attach(&s, (pid_t)pid);
	/* (a leader that was a zombie already is not traced: no armed event then) */
	if (o->arm_now && tracee_find(&s.tasks, (pid_t)pid))
		observe_armed(&s, tracee_find(&s.tasks, (pid_t)pid));
	return finish_session(&s, o);
}

static int cmd_check(const struct options *o)
{
	cleanup_oci_policy struct oci_policy *policy = NULL;
	cleanup_oci_filter struct oci_filter *filter = NULL;

	if (o->n_args != 1)
		return usage_error("%s", "check: expected exactly one POLICY file");
	if (load_policy(o->args[0], false, &policy, &filter, NULL) != 0)
		return EXIT_USAGE;
	printf("%s: valid: %zu rules, %zu BPF instructions\n", o->args[0], policy->n_rules,
	       filter->len);
	return 0;
}

/* octrace profile merge PROFILE...: one line naming the file and field on error, status 2. */
static int cmd_profile(const struct options *o)
{
	cleanup_oci_error struct oci_error *err = NULL;

	if (o->n_args < 1 || strcmp(o->args[0], "merge") != 0)
		return usage_error("%s", "profile: expected merge PROFILE...");
	if (o->n_args < 2)
		return usage_error("%s", "profile merge: expected at least one PROFILE");
	if (profile_merge_files(o->args + 1, (size_t)o->n_args - 1, stdout, &err) < 0) {
		fprintf(stderr, "octrace: %s\n", err->msg);
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct plan plan = { 0 };
	int rc;

	if (reattach_requested(argc, argv))
		return reattach_main(argc, argv);
	if (reload_client_requested(argc, argv))
		return reload_client_main(argc, argv);
	rc = parse_args(argc, argv, &o);

	if (rc != 0)
		return rc;
	if (strcmp(o.command, "check") == 0)
		return cmd_check(&o);
	if (strcmp(o.command, "profile") == 0)
		return cmd_profile(&o);
	if (strcmp(o.command, "run") != 0 && strcmp(o.command, "attach") != 0)
		return usage_error("unknown command \"%s\"", o.command);
	rc = prepare(&o, &plan);
	if (rc == 0)
		rc = strcmp(o.command, "run") == 0 ? cmd_run(&o, &plan) : cmd_attach(&o, &plan);
	plan_free(&plan);
	return rc;
}
