#include "hook_config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "hook_metrics.h"
#include "json.h"
#include "log.h"
#include "version.h"

static const char usage_text[] =
	"Usage: octrace-hook [OPTIONS] < STATE\n"
	"\n"
	"OCI prestart (or createRuntime) hook: reads the container's state on stdin, starts an\n"
	"octrace daemon that seizes every thread of the container's init, arms the policy\n"
	"(enforced from the entrypoint's execve on) and follows the container to its end.\n"
	"Returns once the daemon is attached and armed; fails (non-zero) if it cannot attach,\n"
	"so the runtime does not start an untraced container. While the daemon runs, the\n"
	"container's OCI state is kept in /run/octrace/containers (root only), where\n"
	"octrace-runtime's exec finds the container without asking the runtime.\n"
	"\n"
	"The policy is the bundle's linux.seccomp, unless --policy is given, or --policy-dir is\n"
	"given and the annotation " HOOK_ANNOTATION_POLICY "=NAME picks DIR/NAME.json. Without\n"
	"any, the container is traced and nothing is enforced.\n"
	"\n"
	"Options (set by the admin; they take precedence over annotations):\n"
	"      --policy FILE      enforce this policy for every container\n"
	"      --policy-dir DIR   policies that the " HOOK_ANNOTATION_POLICY " annotation may name\n"
	"                         (installed: " OCTRACE_POLICY_DIR ")\n"
	"      --log-dir DIR      per-container logs, DIR/ID.log (default " HOOK_DEFAULT_LOG_DIR ")\n"
	"                         and DIR/ID.jsonl; an id that is not [A-Za-z0-9._-]*\n"
	"                         up to 128 bytes becomes PREFIX+HASH; a file already there\n"
	"                         is moved to ID@TIME.log first, never appended to\n"
	"      --cache-dir DIR    compiled policies, reused across containers (default\n"
	"                         " HOOK_DEFAULT_CACHE_DIR "); used only if owned by root and\n"
	"                         writable by no one else; '' disables it\n"
	"      --no-cache         compile the policy at every start\n"
	"      --metrics-dir DIR  keep DIR/ID.prom, the container's Prometheus metrics for\n"
	"                         node_exporter's textfile collector (default\n"
	"                         " HOOK_DEFAULT_METRICS_DIR ", made 0755 if missing, and\n"
	"                         " HOOK_RUN_DIR " 0711 for node_exporter's user); ID as in the\n"
	"                         logs' names; removed when the container ends; 'none' disables\n"
	"                         it\n"
	"      --complain         record what the policy would do, deny nothing\n"
	"      --allow-complain   let the annotation " HOOK_ANNOTATION_MODE "=complain ask for that\n"
	"      --allow-log-name   let the annotation " HOOK_ANNOTATION_LOG "=NAME name the logs\n"
	"                         DIR/@NAME.log and DIR/@NAME.jsonl\n"
	"      --timeout MS       give up attaching after MS milliseconds (default 10000)\n"
	"      --audit-level denied|traced|all\n"
	"                         what DIR/ID.jsonl, the audit log, records (default traced)\n"
	"      --max-audit-level denied|traced|all\n"
	"                         the most the " HOOK_ANNOTATION_AUDIT_LEVEL " annotation may ask for\n"
	"                         (default: the --audit-level)\n"
	"      --user UID[:GID]   the daemon's ids once it has opened its files (default 65534,\n"
	"                         nobody): it keeps only CAP_SYS_PTRACE and CAP_KILL, and a\n"
	"                         seccomp filter of its own; 0 keeps root's ids\n"
	"      --audit-max-size SIZE\n"
	"                         rotate DIR/ID.jsonl to DIR/ID.jsonl.1 when it reaches SIZE (K,\n"
	"                         M, G; at least 256K; 0: never; default 64M): at most 2 x SIZE\n"
	"                         of audit log per container\n"
	"      --audit-rate N     write at most N audit events a second per container, count the\n"
	"                         others in a \"suppressed\" event (0: no limit; default 1000)\n"
	"      --debug            log the tracer's state transitions\n"
	"      --audit-sandbox    audit a pod's sandbox (pause) container at --audit-level too\n"
	"                         (default: level denied; it is enforced all the same)\n"
	"      --reattach         (octrace attach --container) the container runs already and its\n"
	"                         filter is in place (its daemon died): trace every process of it\n"
	"                         again, inject nothing, continue its logs (a \"reattach\" event)\n"
	"  -h, --help             show this help\n"
	"      --version          octrace-hook's version and the libseccomp it runs with\n"
	"\n"
	"Annotations (set by the container's creator): " HOOK_ANNOTATION_POLICY "=NAME,\n"
	HOOK_ANNOTATION_MODE "=enforce|complain, " HOOK_ANNOTATION_AUDIT_LEVEL "=LEVEL,\n"
	HOOK_ANNOTATION_LOG "=NAME (with --allow-log-name). Names are [A-Za-z0-9][A-Za-z0-9._-]*;\n"
	"a path, or what the admin does not allow, is refused and the container does not start.\n"
	"\n"
	"The daemon re-reads the policy file (live policy) on SIGHUP or `octrace reload\n"
	"--container ID`: rules that tighten apply to every process at once; an invalid policy\n"
	"is refused and the one in force stays.\n"
	"\n"
	"Before attaching, the daemon proves that the state's pid is the container's init: a\n"
	"child of the runtime that runs the hook, started after it, in the namespaces config.json\n"
	"asks for (pid 1 of a new pid namespace), or the start fails.\n";

enum { OPT_POLICY = 256, OPT_POLICY_DIR, OPT_LOG_DIR, OPT_COMPLAIN, OPT_ALLOW_COMPLAIN,
       OPT_TIMEOUT, OPT_USER, OPT_REATTACH, OPT_DEBUG, OPT_AUDIT_LEVEL, OPT_MAX_AUDIT_LEVEL,
       OPT_CACHE_DIR, OPT_NO_CACHE, OPT_VERSION, OPT_AUDIT_MAX_SIZE, OPT_AUDIT_RATE,
       OPT_ALLOW_LOG_NAME, OPT_AUDIT_SANDBOX, OPT_METRICS_DIR };

static const struct option long_options[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "policy-dir", required_argument, NULL, OPT_POLICY_DIR },
	{ "log-dir", required_argument, NULL, OPT_LOG_DIR },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "metrics-dir", required_argument, NULL, OPT_METRICS_DIR },
	{ "complain", no_argument, NULL, OPT_COMPLAIN },
	{ "allow-complain", no_argument, NULL, OPT_ALLOW_COMPLAIN },
	{ "allow-log-name", no_argument, NULL, OPT_ALLOW_LOG_NAME },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "user", required_argument, NULL, OPT_USER },
	{ "reattach", no_argument, NULL, OPT_REATTACH },
	{ "audit-sandbox", no_argument, NULL, OPT_AUDIT_SANDBOX },
	{ "audit-level", required_argument, NULL, OPT_AUDIT_LEVEL },
	{ "max-audit-level", required_argument, NULL, OPT_MAX_AUDIT_LEVEL },
	{ "audit-max-size", required_argument, NULL, OPT_AUDIT_MAX_SIZE },
	{ "audit-rate", required_argument, NULL, OPT_AUDIT_RATE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static bool max_set; /* --max-audit-level given */

static int apply_option(struct hook_args *a, int c)
{
	char *end;

	switch (c) {
	case OPT_POLICY:
		a->policy = optarg;
		return 0;
	case OPT_POLICY_DIR:
		a->policy_dir = optarg;
		return 0;
	case OPT_LOG_DIR:
		a->log_dir = optarg;
		return 0;
	case OPT_CACHE_DIR:
		a->cache_dir = optarg;
		return 0;
	case OPT_NO_CACHE:
		a->cache_dir = NULL;
		return 0;
	case OPT_METRICS_DIR:
		if (*optarg == '\0') {
			log_warn("--metrics-dir: empty (a directory, or none)");
			return -1;
		}
		a->metrics_dir = strcmp(optarg, "none") == 0 ? NULL : optarg;
		return 0;
	case OPT_COMPLAIN:
		a->complain = true;
		return 0;
	case OPT_ALLOW_COMPLAIN:
		a->allow_complain = true;
		return 0;
	case OPT_ALLOW_LOG_NAME:
		a->allow_log_name = true;
		return 0;
	case OPT_TIMEOUT:
		a->timeout_ms = (unsigned)strtoul(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0' || a->timeout_ms == 0) {
			log_warn("--timeout: invalid value \"%s\"", optarg);
			return -1;
		}
		return 0;
	case OPT_USER: {
		unsigned long uid = strtoul(optarg, &end, 10), gid = uid;

		if (end != optarg && *end == ':')
			gid = strtoul(end + 1, &end, 10);
		if (*optarg == '\0' || *end != '\0' || uid > 0xfffffffe || gid > 0xfffffffe) {
			log_warn("--user: invalid value \"%s\" (UID or UID:GID, numeric)", optarg);
			return -1;
		}
		a->uid = (uid_t)uid;
		a->gid = (gid_t)gid;
		return 0;
	}
	case OPT_AUDIT_SANDBOX:
		a->audit_sandbox = true;
		return 0;
	case OPT_REATTACH:
		a->reattach = true;
		return 0;
	case OPT_DEBUG:
		a->debug = true;
		return 0;
	case OPT_AUDIT_MAX_SIZE:
		if (audit_size_parse(optarg, &a->audit_max_size) < 0) {
			log_warn("--audit-max-size: \"%s\" is not a size of at least 256K (K, M, "
				 "G) or 0", optarg);
			return -1;
		}
		return 0;
	case OPT_AUDIT_RATE:
		if (audit_rate_parse(optarg, &a->audit_rate) < 0) {
			log_warn("--audit-rate: \"%s\" is not a number of events a second", optarg);
			return -1;
		}
		return 0;
	case OPT_AUDIT_LEVEL:
	case OPT_MAX_AUDIT_LEVEL:
		if (audit_level_parse(optarg, c == OPT_AUDIT_LEVEL ? &a->audit_level
								   : &a->max_audit_level) < 0) {
			log_warn("--%s: \"%s\" is not denied, traced or all",
				 c == OPT_AUDIT_LEVEL ? "audit-level" : "max-audit-level", optarg);
			return -1;
		}
		if (c == OPT_MAX_AUDIT_LEVEL)
			max_set = true;
		return 0;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	case OPT_VERSION:
		oci_version_print(stdout, "octrace-hook");
		exit(0);
	default:
		log_warn("invalid option; try 'octrace-hook --help'");
		return -1;
	}
}

int hook_parse_args(int argc, char **argv, struct hook_args *a)
{
	int c;

	*a = (struct hook_args){ .log_dir = HOOK_DEFAULT_LOG_DIR,
				 .cache_dir = HOOK_DEFAULT_CACHE_DIR,
				 .metrics_dir = HOOK_DEFAULT_METRICS_DIR,
				 .timeout_ms = HOOK_DEFAULT_TIMEOUT_MS,
				 .uid = HOOK_DEFAULT_UID, .gid = HOOK_DEFAULT_UID,
				 .audit_level = AUDIT_TRACED,
				 .audit_max_size = AUDIT_DEFAULT_MAX_SIZE,
				 .audit_rate = AUDIT_DEFAULT_RATE };
	max_set = false;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1)
		if (apply_option(a, c) < 0)
			return -1;
	if (!max_set || a->max_audit_level < a->audit_level)
		a->max_audit_level = a->audit_level;
	if (optind != argc) {
		log_warn("unexpected argument \"%s\"; the state comes on stdin", argv[optind]);
		return -1;
	}
	return 0;
}

bool hook_name_is_safe(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > HOOK_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       len;
}

/* Annotations from the state win over the bundle's (they are the same in runc and crun). */
static const char *annotation(const struct oci_state *st, const struct oci_bundle_config *cfg,
			      const char *key)
{
	const char *v = oci_annotation(st->annotations, st->n_annotations, key);

	return v ? v : oci_annotation(cfg->annotations, cfg->n_annotations, key);
}

/* The pod a Kubernetes engine runs the container in, from the annotations it sets (the
 * kubelet's user cannot set these: containerd and CRI-O write them from the CRI request):
 * containerd's io.kubernetes.cri.*, CRI-O's io.kubernetes.*. */
static const struct {
	const char *label, *containerd, *crio;
} pod_keys[HOOK_POD_LABELS] = {
	{ "pod", "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name" },
	{ "namespace", "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace" },
	{ "pod_uid", "io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid" },
	{ "container_name", "io.kubernetes.cri.container-name", "io.kubernetes.container.name" },
	{ "image", "io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName" },
};

/* Pod labels for the audit log, and the sandbox (pause) container, which makes no syscall
 * worth reading: it is enforced as any other, and audited at level denied unless the admin
 * says --audit-sandbox. */
static void choose_pod(const struct hook_args *a, const struct oci_state *st,
		       const struct oci_bundle_config *cfg, struct hook_plan *plan)
{
	const char *type = annotation(st, cfg, "io.kubernetes.cri.container-type");

	if (type == NULL)
		type = annotation(st, cfg, "io.kubernetes.cri-o.ContainerType");
	plan->sandbox = type && strcmp(type, "sandbox") == 0;
	if (plan->sandbox && !a->audit_sandbox)
		plan->audit_level = AUDIT_DENIED;
	plan->n_pod = 0;
	for (size_t i = 0; i < N_ELEMENTS(pod_keys); i++) {
		const char *v = annotation(st, cfg, pod_keys[i].containerd);

		if (v == NULL)
			v = annotation(st, cfg, pod_keys[i].crio);
		if (v == NULL)
			continue;
		plan->pod[plan->n_pod].key = pod_keys[i].label;
		plan->pod[plan->n_pod++].value = strndup(v, HOOK_POD_VALUE_MAX);
	}
}

/* A container creator's text in a message: quoted (oci_fail() escapes its control
 * characters: one line). */
static char *quoted(const char *s)
{
	char *q;

	if (asprintf(&q, "\"%s\"", s) < 0)
		abort();
	return q;
}

static int named_policy(const struct hook_args *a, const char *name, struct oci_policy **out,
			struct oci_error **err)
{
	cleanup_free char *path = NULL, *q = NULL;

	if (!hook_name_is_safe(name))
		return oci_fail(err, EPERM,
				"annotation %s: refused: %s is not a policy name "
				"([A-Za-z0-9][A-Za-z0-9._-]*)",
				HOOK_ANNOTATION_POLICY, q = quoted(name));
	if (a->policy_dir == NULL)
		return oci_fail(err, EPERM,
				"annotation %s: refused: no --policy-dir configured by the admin",
				HOOK_ANNOTATION_POLICY);
	if (asprintf(&path, "%s/%s.json", a->policy_dir, name) < 0)
		abort();
	return oci_policy_load(path, out, err);
}

static int choose_policy(const struct hook_args *a, const struct oci_state *st,
			 const struct oci_bundle_config *cfg, const char *config_path,
			 struct oci_policy **out, struct oci_error **err)
{
	const char *name = annotation(st, cfg, HOOK_ANNOTATION_POLICY);

	if (a->policy)
		return oci_policy_load(a->policy, out, err);
	if (name)
		return named_policy(a, name, out, err);
	if (cfg->has_seccomp)
		return oci_policy_load(config_path, out, err);
	*out = NULL;
	return 0;
}

static int choose_mode(const struct hook_args *a, const struct oci_state *st,
		       const struct oci_bundle_config *cfg, struct hook_plan *plan,
		       struct oci_error **err)
{
	const char *mode = annotation(st, cfg, HOOK_ANNOTATION_MODE);
	cleanup_free char *q = NULL;

	plan->mode = plan->policy == NULL ? MODE_TRACE : MODE_ENFORCE;
	if (mode == NULL || strcmp(mode, "enforce") == 0)
		;
	else if (strcmp(mode, "complain") != 0)
		return oci_fail(err, EINVAL, "annotation %s: unknown mode %s",
				HOOK_ANNOTATION_MODE, q = quoted(mode));
	else if (!a->allow_complain && !a->complain)
		return oci_fail(err, EPERM,
				"annotation %s: refused: complain mode is not allowed by the admin",
				HOOK_ANNOTATION_MODE);
	else if (plan->policy)
		plan->mode = MODE_COMPLAIN;
	if (a->complain && plan->policy)
		plan->mode = MODE_COMPLAIN;
	return 0;
}

/* The logs' stem (hook_logs.h): from the id, or @NAME when the admin lets the annotation
 * name them. */
static int choose_log(const struct hook_args *a, const struct oci_state *st,
		      const struct oci_bundle_config *cfg, struct hook_plan *plan,
		      struct oci_error **err)
{
	const char *name = annotation(st, cfg, HOOK_ANNOTATION_LOG);
	cleanup_free char *q = NULL;

	if (name && !hook_name_is_safe(name))
		return oci_fail(err, EPERM,
				"annotation %s: refused: %s is not a log name "
				"([A-Za-z0-9][A-Za-z0-9._-]*)",
				HOOK_ANNOTATION_LOG, q = quoted(name));
	if (name && !a->allow_log_name)
		return oci_fail(err, EPERM,
				"annotation %s: refused: naming the log is not allowed by the admin "
				"(--allow-log-name)",
				HOOK_ANNOTATION_LOG);
	hook_log_stem(st->id, name, plan->log_stem, sizeof(plan->log_stem));
	return 0;
}

static int choose_audit_level(const struct hook_args *a, const struct oci_state *st,
			      const struct oci_bundle_config *cfg, struct hook_plan *plan,
			      struct oci_error **err)
{
	const char *want = annotation(st, cfg, HOOK_ANNOTATION_AUDIT_LEVEL);
	cleanup_free char *q = NULL;
	enum audit_level level;

	plan->audit_level = a->audit_level;
	if (want == NULL)
		return 0;
	if (audit_level_parse(want, &level) < 0)
		return oci_fail(err, EINVAL, "annotation %s: unknown level %s",
				HOOK_ANNOTATION_AUDIT_LEVEL, q = quoted(want));
	if (level > a->max_audit_level)
		return oci_fail(err, EPERM,
				"annotation %s: refused: \"%s\" is more than the admin allows (%s)",
				HOOK_ANNOTATION_AUDIT_LEVEL, want,
				audit_level_name(a->max_audit_level));
	plan->audit_level = level;
	return 0;
}

/* Through the cache: compiling a realistic policy would be most of the hook's cost. */
static int compile_policy(const struct hook_args *a, struct hook_plan *plan,
			  struct oci_error **err)
{
	int rc = oci_filter_cache_get(a->cache_dir, plan->policy, OCI_COMPILE_TRACER, stderr,
				      &plan->filter, err);

	/* the enforce-mode filter is the tracer-mode one with a few return values changed: made
	 * in memory, not looked up (and hashed) a second time */
	if (rc >= 0 && plan->mode == MODE_ENFORCE &&
	    oci_filter_to_enforce(plan->filter, &plan->arm_filter) < 0)
		rc = -1;

	if (rc >= 0)
		log_debug("policy %s: %s", plan->policy->source,
			  rc == 1 ? "compiled filter from the cache" : "compiled");
	return rc < 0 ? -1 : 0;
}

int hook_plan_config(const struct hook_args *a, const struct oci_state *st,
		     const struct oci_bundle_config *cfg, const char *config_path,
		     struct hook_plan *plan, struct oci_error **err)
{
	if (hook_pid_expect_init(config_path, cfg, !a->reattach, &plan->pid_expect, err) < 0 ||
	    choose_log(a, st, cfg, plan, err) < 0 || choose_audit_level(a, st, cfg, plan, err) < 0 ||
	    choose_policy(a, st, cfg, config_path, &plan->policy, err) < 0 ||
	    choose_mode(a, st, cfg, plan, err) < 0)
		return -1;
	plan->new_pid_ns = plan->pid_expect.ns[HOOK_NS_PID].want == HOOK_NS_NEW;
	choose_pod(a, st, cfg, plan);
	return plan->policy ? compile_policy(a, plan, err) : 0;
}

int hook_plan(const struct hook_args *a, const struct oci_state *st, struct hook_plan *plan,
	      struct oci_error **err)
{
	cleanup_oci_bundle_config struct oci_bundle_config *cfg = NULL;
	cleanup_free char *config_path = NULL;

	memset(plan, 0, sizeof(*plan));
	if (asprintf(&config_path, "%s/config.json", st->bundle) < 0)
		abort();
	plan->shown_id = oci_escape_controls(st->id);
	if (oci_bundle_config_load(config_path, &cfg, err) < 0)
		return -1;
	return hook_plan_config(a, st, cfg, config_path, plan, err);
}

void hook_plan_free(struct hook_plan *plan)
{
	oci_filter_free(plan->filter);
	oci_filter_free(plan->arm_filter);
	plan->arm_filter = NULL;
	oci_policy_free(plan->policy);
	plan->filter = NULL;
	plan->policy = NULL;
	free(plan->shown_id);
	plan->shown_id = NULL;
	for (size_t i = 0; i < plan->n_pod; i++)
		free((char *)plan->pod[i].value);
	plan->n_pod = 0;
}
