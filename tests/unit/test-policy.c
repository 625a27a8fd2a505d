/* oci/policy.c: every field, both file shapes, and every error message, compared exactly.
 * Policies are written with ' for " to keep them readable. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "policy.h"
#include "tap.h"

static char *dq(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; *c; c++)
		if (*c == '\'')
			*c = '"';
	return d;
}

/* The error for a policy that must not parse; checks the contract around it. */
static void check_error(const char *name, const char *policy, const char *want)
{
	cleanup_free char *doc = dq(policy);
	struct oci_policy *sentinel = (struct oci_policy *)&sentinel, *p = sentinel;
	struct oci_error *err = NULL;
	int rc = oci_policy_parse(name, doc, strlen(doc), &p, &err);

	if (rc == 0) {
		ok(false, "%s must not parse: %s", want, doc);
		oci_policy_free(p);
		return;
	}
	is_str(err->msg, want, "error: %s", want);
	ok(rc < 0 && p == sentinel && strchr(err->msg, '\n') == NULL,
	   "negative return, *out untouched, one line");
	oci_error_free(err);
}

static struct oci_policy *parse_ok(const char *policy)
{
	cleanup_free char *doc = dq(policy);
	struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	if (oci_policy_parse("policy.json", doc, strlen(doc), &p, &err) < 0) {
		ok(false, "parse failed: %s", err->msg);
		oci_error_free(err);
		return NULL;
	}
	return p;
}

#define RULE_OK "{'names':['read'],'action':'SCMP_ACT_ALLOW'}"

static void test_messages(void)
{
	check_error("policy.json",
		    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[" RULE_OK "," RULE_OK "," RULE_OK
		    ",{'names':['read'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,"
		    "'op':'SCMP_CMP_FOO'}]}]}",
		    "policy.json: syscalls[3].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
	check_error("policy.json", "{'defaultAction':'SCMP_ACT_FOO'}",
		    "policy.json: defaultAction: unknown action \"SCMP_ACT_FOO\"");
	check_error("policy.json",
		    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},"
		    "{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}",
		    "policy.json: syscalls[0].args[1].index: 6 is out of range (0-5)");
	check_error("policy.json",
		    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[" RULE_OK "," RULE_OK
		    ",{'names':[],'action':'SCMP_ACT_ERRNO'}]}",
		    "policy.json: syscalls[2].names: empty");
	check_error("policy.json",
		    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[" RULE_OK
		    ",{'names':[1],'action':'SCMP_ACT_ERRNO'}]}",
		    "policy.json: syscalls[1].names[0]: expected a string, got number");
	check_error("policy.json",
		    "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_FOO']}",
		    "policy.json: architectures[0]: unknown architecture \"SCMP_ARCH_FOO\"");
	check_error("policy.json",
		    "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
		    "'action':'SCMP_ACT_ERRNO','action':'SCMP_ACT_ALLOW'}]}",
		    "policy.json: syscalls[0]: duplicate key \"action\"");
	check_error("policy.json", "{\n  'defaultAction': 'SCMP_ACT_ALLOW',\n    x\n}",
		    "policy.json: line 3, column 5: malformed JSON: lexical error: invalid char in "
		    "json text.");
	check_error("policy.json", "{'syscalls':[]}", "policy.json: defaultAction: missing");
}

static void test_more_messages(void)
{
	static const struct {
		const char *policy, *want;
	} cases[] = {
	    {"", "line 1, column 1: malformed JSON: parse error: premature EOF"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW'", "line 1, column 34: malformed JSON: parse "
						  "error: premature EOF"},
	    {"[]", "expected an object, got array"},
	    {"{'defaultAction':null}", "defaultAction: missing"},
	    {"{'defaultAction':1}", "defaultAction: expected a string, got number"},
	    {"{'defaultAction':'SCMP_ACT_NOTIFY'}",
	     "defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
	    {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}",
	     "defaultErrnoRet: -1 is out of range (0-65535)"},
	    {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':65536}",
	     "defaultErrnoRet: 65536 is out of range (0-65535)"},
	    {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':4095}",
	     "defaultErrnoRet: 4095 is out of range for SCMP_ACT_ERRNO (0-4094)"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getppid'],"
	     "'action':'SCMP_ACT_ERRNO','errnoRet':32768}]}",
	     "syscalls[0].errnoRet: 32768 is out of range for SCMP_ACT_ERRNO (0-4094)"},
	    {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'1'}",
	     "defaultErrnoRet: expected a number, got string"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','architectures':'SCMP_ARCH_X86'}",
	     "architectures: expected an array, got string"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','architectures':['x86_64']}",
	     "architectures[0]: unknown architecture \"x86_64\""},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_FOO']}",
	     "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','flags':{}}",
	     "flags: expected an array, got object"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':true}",
	     "listenerPath: expected a string, got boolean"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','listenerMetadata':[]}",
	     "listenerMetadata: expected a string, got array"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':{}}",
	     "syscalls: expected an array, got object"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[null]}",
	     "syscalls[0]: expected an object, got null"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_ALLOW'}]}",
	     "syscalls[0].names: missing"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':'read'}]}",
	     "syscalls[0].names: expected an array, got string"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read','']}]}",
	     "syscalls[0].names[1]: empty"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['re\\u0000ad']}]}",
	     "syscalls[0].names[0]: string contains a NUL character"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}",
	     "syscalls[0].action: missing"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_KILL\\n'}]}",
	     "syscalls[0].action: unknown action \"SCMP_ACT_KILL\\u000a\""},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','errnoRet':1.5}]}",
	     "syscalls[0].errnoRet: expected an integer, got 1.5"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':{}}]}",
	     "syscalls[0].args: expected an array, got object"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[[]]}]}",
	     "syscalls[0].args[0]: expected an object, got array"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[{'value':1,'op':'SCMP_CMP_EQ'}]}]}",
	     "syscalls[0].args[0].index: missing"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}",
	     "syscalls[0].args[0].value: missing"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[{'index':0,'value':1}]}]}",
	     "syscalls[0].args[0].op: missing"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]}",
	     "syscalls[0].args[0].value: -1 is out of range (0-18446744073709551615)"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'valueTwo':18446744073709551616,"
	     "'op':'SCMP_CMP_EQ'}]}]}",
	     "syscalls[0].args[0].valueTwo: 18446744073709551616 is out of range "
	     "(0-18446744073709551615)"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':"
	     "'SCMP_ACT_ERRNO','args':[{'index':'0','value':1,'op':'SCMP_CMP_EQ'}]}]}",
	     "syscalls[0].args[0].index: expected a number, got string"},
	    {"{'defaultAction':'SCMP_ACT_ALLOW','defaultAction':'SCMP_ACT_ALLOW'}",
	     "duplicate key \"defaultAction\""},
	    {"{'ociVersion':'1.0.2','linux':{}}", "linux.seccomp: missing"},
	    {"{'ociVersion':'1.0.2'}", "linux.seccomp: missing"},
	    {"{'ociVersion':'1.0.2','linux':{'seccomp':null}}", "linux.seccomp: missing"},
	    {"{'linux':[]}", "linux: expected an object, got array"},
	    {"{'ociVersion':'1.0.2','linux':{'seccomp':[]}}",
	     "linux.seccomp: expected an object, got array"},
	    {"{'ociVersion':'1.0.2','linux':{'seccomp':{}}}",
	     "linux.seccomp.defaultAction: missing"},
	    {"{'ociVersion':'1.0.2','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
	     "'syscalls':[{'names':['read'],'action':'SCMP_ACT_BAD'}]}}}",
	     "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BAD\""},
	    {"{'ociVersion':'1.0.2','annotations':{'a.b':1,'a.b':2},'linux':{}}",
	     "annotations: duplicate key \"a.b\""},
	    {"{'ociVersion':'1.0.2','x':{'a.b':{'y':1,'y':2}},'linux':{}}",
	     "x[\"a.b\"]: duplicate key \"y\""},
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		cleanup_free char *want = NULL;

		if (asprintf(&want, "x.json: %s", cases[i].want) < 0)
			abort();
		check_error("x.json", cases[i].policy, want);
	}
}

static void test_load(void)
{
	char path[] = "/tmp/octrace-test-policy-XXXXXX";
	const char *doc = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}";
	cleanup_close int fd = mkstemp(path);
	struct oci_policy *p = NULL;
	struct oci_error *err = NULL;

	ok(fd >= 0 && write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc), "temporary file");
	ok(oci_policy_load(path, &p, &err) == 0 && p != NULL && strcmp(p->source, path) == 0,
	   "oci_policy_load reads a file");
	oci_policy_free(p);
	unlink(path);
	p = NULL;
	ok(oci_policy_load("nope.json", &p, &err) < 0 && p == NULL, "missing file fails");
	is_str(err->msg, "nope.json: cannot read: No such file or directory",
	       "missing file message");
	ok(err->code == ENOENT, "error code is the errno");
	oci_error_free(err);
	err = NULL;
	ok(oci_policy_load("/", &p, &err) < 0 && p == NULL, "directory fails");
	is_str(err->msg, "/: cannot read: Is a directory", "directory message");
	oci_error_free(err);
}

static void test_fields(void)
{
	cleanup_oci_policy struct oci_policy *p = parse_ok(
	    "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
	    "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32',"
	    "'SCMP_ARCH_AARCH64','SCMP_ARCH_PPC64LE','SCMP_ARCH_S390X','SCMP_ARCH_RISCV64',"
	    "'SCMP_ARCH_MIPSEL64N32'],"
	    "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG',"
	    "'SECCOMP_FILTER_FLAG_SPEC_ALLOW','SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',"
	    "'SECCOMP_FILTER_FLAG_NEW_LISTENER','SECCOMP_FILTER_FLAG_TSYNC_ESRCH'],"
	    "'listenerPath':'/run/agent.sock','listenerMetadata':'meta','unknownKey':{'x':[1]},"
	    "'syscalls':["
	    "{'names':['read','write'],'action':'SCMP_ACT_ALLOW','comment':'ignored'},"
	    "{'names':['open'],'action':'SCMP_ACT_ERRNO'},"
	    "{'names':['close'],'action':'SCMP_ACT_ERRNO','errnoRet':13},"
	    "{'names':['dup'],'action':'SCMP_ACT_TRACE'},"
	    "{'names':['dup2'],'action':'SCMP_ACT_TRACE','errnoRet':7},"
	    "{'names':['kill'],'action':'SCMP_ACT_KILL','errnoRet':9},"
	    "{'names':['tkill'],'action':'SCMP_ACT_KILL_THREAD'},"
	    "{'names':['tgkill'],'action':'SCMP_ACT_KILL_PROCESS'},"
	    "{'names':['ioctl'],'action':'SCMP_ACT_TRAP'},"
	    "{'names':['mmap'],'action':'SCMP_ACT_LOG'},"
	    "{'names':['munmap'],'action':'SCMP_ACT_NOTIFY','args':null,'errnoRet':null},"
	    "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':["
	    " {'index':0,'value':18446744073709551615,'valueTwo':18446744073709551614,"
	    "  'op':'SCMP_CMP_MASKED_EQ'},"
	    " {'index':5,'value':0,'op':'SCMP_CMP_NE'},{'index':1,'value':2,'op':'SCMP_CMP_LT'},"
	    " {'index':2,'value':3,'op':'SCMP_CMP_LE'},{'index':3,'value':4,'op':'SCMP_CMP_EQ'},"
	    " {'index':4,'value':5,'op':'SCMP_CMP_GE'},{'index':4,'value':6,'op':'SCMP_CMP_GT'}]}"
	    "]}");
	static const uint32_t archs[] = {SCMP_ARCH_X86_64,  SCMP_ARCH_X86,	  SCMP_ARCH_X32,
					 SCMP_ARCH_AARCH64, SCMP_ARCH_PPC64LE,	  SCMP_ARCH_S390X,
					 SCMP_ARCH_RISCV64, SCMP_ARCH_MIPSEL64N32};
	static const struct {
		enum oci_action a;
		bool has;
		uint32_t e;
	} rules[] = {
	    {OCI_ACT_ALLOW, false, 0},	     {OCI_ACT_ERRNO, false, EPERM},
	    {OCI_ACT_ERRNO, true, 13},	     {OCI_ACT_TRACE, false, EPERM},
	    {OCI_ACT_TRACE, true, 7},	     {OCI_ACT_KILL_THREAD, true, 0},
	    {OCI_ACT_KILL_THREAD, false, 0}, {OCI_ACT_KILL_PROCESS, false, 0},
	    {OCI_ACT_TRAP, false, 0},	     {OCI_ACT_LOG, false, 0},
	    {OCI_ACT_NOTIFY, false, 0},	     {OCI_ACT_ALLOW, false, 0},
	};
	const struct oci_arg *a;
	bool archs_ok = true, rules_ok = true;

	if (p == NULL)
		return;
	is_str(p->source, "policy.json", "source");
	is_str(p->json_prefix, "", "bare policy: empty prefix");
	ok(p->default_action == OCI_ACT_ERRNO && p->has_default_errno_ret &&
	       p->default_errno_ret == 38,
	   "defaultAction and defaultErrnoRet");
	for (size_t i = 0; i < N_ELEMENTS(archs); i++)
		archs_ok &= p->n_archs == N_ELEMENTS(archs) && p->archs[i] == archs[i];
	ok(archs_ok, "architectures resolve to libseccomp tokens");
	ok(p->filter_flags == 0x3f, "all six flags: 0x%x", p->filter_flags);
	is_str(p->listener_path, "/run/agent.sock", "listenerPath");
	is_str(p->listener_metadata, "meta", "listenerMetadata");
	ok(p->n_rules == N_ELEMENTS(rules), "%zu rules", p->n_rules);
	for (size_t i = 0; i < N_ELEMENTS(rules) && i < p->n_rules; i++)
		rules_ok &= p->rules[i].action == rules[i].a &&
			    p->rules[i].has_errno_ret == rules[i].has &&
			    p->rules[i].errno_ret == rules[i].e;
	ok(rules_ok, "actions and effective errnoRet (EPERM for ERRNO/TRACE, 0 otherwise)");
	ok(p->rules[0].n_names == 2 && strcmp(p->rules[0].names[1], "write") == 0, "names");
	ok(p->rules[10].n_args == 0 && p->rules[10].args == NULL, "null args = none");
	a = p->rules[11].args;
	ok(p->rules[11].n_args == 7 && a[0].index == 0 && a[0].value == UINT64_MAX &&
	       a[0].value_two == UINT64_MAX - 1 && a[0].op == OCI_OP_MASKED_EQ,
	   "uint64 max value and valueTwo");
	ok(a[1].op == OCI_OP_NE && a[1].index == 5 && a[1].value_two == 0 && a[2].op == OCI_OP_LT &&
	       a[3].op == OCI_OP_LE && a[4].op == OCI_OP_EQ && a[5].op == OCI_OP_GE &&
	       a[6].op == OCI_OP_GT && a[6].value == 6,
	   "every operator, valueTwo defaults to 0");
}

static void test_defaults(void)
{
	cleanup_oci_policy struct oci_policy *e = parse_ok("{'defaultAction':'SCMP_ACT_ERRNO'}");
	cleanup_oci_policy struct oci_policy *t =
	    parse_ok("{'defaultAction':'SCMP_ACT_TRACE','defaultErrnoRet':5}");
	cleanup_oci_policy struct oci_policy *k =
	    parse_ok("{'defaultAction':'SCMP_ACT_KILL','defaultErrnoRet':5}");
	cleanup_oci_policy struct oci_policy *n =
	    parse_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':null,'architectures':null}");

	ok(e && e->default_errno_ret == EPERM && !e->has_default_errno_ret,
	   "ERRNO default without defaultErrnoRet: EPERM");
	ok(t && t->default_errno_ret == 5, "TRACE default takes defaultErrnoRet (runc getAction)");
	ok(k && k->default_errno_ret == 0 && k->has_default_errno_ret,
	   "KILL default: defaultErrnoRet recorded, no data");
	ok(n && n->n_rules == 0 && n->n_archs == 0 && n->listener_path == NULL, "nulls are absent");
	is_str(oci_action_name(OCI_ACT_KILL_THREAD), "SCMP_ACT_KILL_THREAD", "action name");
	is_str(oci_action_name(OCI_ACT_NOTIFY), "SCMP_ACT_NOTIFY", "action name");
	is_str(oci_op_name(OCI_OP_MASKED_EQ), "SCMP_CMP_MASKED_EQ", "op name");
}

static void test_config_json(void)
{
	cleanup_oci_policy struct oci_policy *p = parse_ok(
	    "{'ociVersion':'1.0.2-dev','process':{'args':['sh'],'env':['A=1']},"
	    "'annotations':{'io.x':'y'},'hooks':{'prestart':[{'path':'/bin/true'}]},"
	    "'linux':{'namespaces':[{'type':'pid'}],'seccomp':{'defaultAction':'SCMP_ACT_ERRNO',"
	    "'syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ALLOW'}]}}}");
	cleanup_oci_policy struct oci_policy *q =
	    parse_ok("{'linux':{'seccomp':{'defaultAction':'SCMP_ACT_LOG'}}}");
	cleanup_oci_policy struct oci_policy *bare =
	    parse_ok("{'defaultAction':'SCMP_ACT_ALLOW','process':{},'annotations':{}}");

	ok(p && p->default_action == OCI_ACT_ERRNO && p->n_rules == 1 &&
	       strcmp(p->json_prefix, "linux.seccomp.") == 0,
	   "config.json: linux.seccomp is taken, prefix linux.seccomp.");
	ok(q && q->default_action == OCI_ACT_LOG, "a config.json is recognised by 'linux' alone");
	ok(bare && strcmp(bare->json_prefix, "") == 0, "other keys do not make a config.json");
}

int main(void)
{
	test_messages();
	test_more_messages();
	test_load();
	test_fields();
	test_defaults();
	test_config_json();
	return tap_done();
}
