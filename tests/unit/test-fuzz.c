/* Robustness of the JSON -> policy -> filter path (after crun's tests_libcrun_fuzzer.c):
 * valid documents truncated and mutated at every byte offset must either parse or fail with
 * one line, never crash or leak (run it under ASan); whatever parses must compile to a
 * program the kernel would accept, or fail with one line. */
#include <linux/audit.h>
#include <string.h>

#include "bpf.h"
#include "cleanup.h"
#include "compile.h"
#include "tap.h"

struct stats {
	unsigned runs, parsed, compiled, bad;
};

static const char *const bases[] = {
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"architectures\":["
    "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"flags\":["
    "\"SECCOMP_FILTER_FLAG_LOG\"],\"listenerPath\":\"/run/x\",\"listenerMetadata\":\"m\","
    "\"syscalls\":[{\"names\":[\"read\",\"write\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
    "\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":"
    "2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},{\"names\":[\"socket\"],"
    "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,\"args\":[{\"index\":0,\"value\":40,"
    "\"op\":\"SCMP_CMP_EQ\"},{\"index\":2,\"value\":18446744073709551615,\"op\":"
    "\"SCMP_CMP_LE\"}]},{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_TRAP\"}]}",
    "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"a\":"
    "\"b\"},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":"
    "[{\"names\":[\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"ioctl\"],"
    "\"action\":\"SCMP_ACT_LOG\",\"args\":[{\"index\":1,\"value\":21505,\"op\":"
    "\"SCMP_CMP_GT\"}]}]}}}",
};

static bool one_line(const struct oci_error *err)
{
	return err != NULL && err->msg[0] != '\0' && strchr(err->msg, '\n') == NULL;
}

static bool program_ok(const struct oci_filter *f)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};

	for (size_t a = 0; a < N_ELEMENTS(arches); a++) {
		for (int nr = -1; nr < 64; nr += 13) {
			struct seccomp_data d = {.nr = nr, .arch = arches[a], .args = {nr, 8, 40}};

			if (bpf_run(f->insns, f->len, &d) == BPF_RUN_INVALID)
				return false;
		}
	}
	return true;
}

static bool compile_ok(const struct oci_policy *p, enum oci_compile_mode mode, struct stats *s)
{
	struct oci_filter *f = NULL;
	struct oci_error *err = NULL;
	uint64_t args[6] = {0};
	enum oci_action a;
	uint32_t e;
	bool good;

	oci_policy_match(p, AUDIT_ARCH_X86_64, 0, args, &a, &e);
	if (oci_policy_compile(p, mode, NULL, &f, &err) < 0) {
		good = one_line(err) && f == NULL;
		oci_error_free(err);
		return good;
	}
	s->compiled++;
	good = program_ok(f);
	oci_filter_free(f);
	return good;
}

static void run(const char *buf, size_t len, struct stats *s)
{
	struct oci_policy *sentinel = (struct oci_policy *)&sentinel, *p = sentinel;
	struct oci_error *err = NULL;
	bool good;

	s->runs++;
	if (oci_policy_parse("f.json", buf, len, &p, &err) < 0) {
		good = one_line(err) && p == sentinel;
		oci_error_free(err);
	} else {
		s->parsed++;
		good = p != NULL && compile_ok(p, OCI_COMPILE_KERNEL, s) &&
		       compile_ok(p, OCI_COMPILE_TRACER, s);
		oci_policy_free(p);
	}
	if (!good && s->bad++ < 5)
		diag("bad outcome for %.*s", (int)len, buf);
}

/* Truncate, delete, duplicate and overwrite every byte in turn. */
static void mutate_each_offset(const char *base, struct stats *s)
{
	static const char replacements[] = {'"', '{', '}', '[', ']',  ',',  ':',	'0',
					    '9', '-', 'x', ' ', '\\', '\0', (char)0xff, 'e'};
	size_t len = strlen(base);
	cleanup_free char *buf = malloc(len + 2);

	for (size_t i = 0; i <= len; i++) {
		run(base, i, s);
		memcpy(buf, base, i);
		memcpy(buf + i, base + i + 1, len - i);
		run(buf, len ? len - 1 : 0, s);
		if (i == len)
			continue;
		memcpy(buf, base, i + 1);
		memcpy(buf + i + 1, base + i, len - i);
		run(buf, len + 1, s);
		for (size_t r = 0; r < sizeof(replacements); r++) {
			memcpy(buf, base, len);
			buf[i] = replacements[r];
			run(buf, len, s);
		}
	}
}

static uint64_t rng = 88172645463325252u;

static size_t rnd(size_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* Several random byte changes at once: reaches states single edits do not. */
static void mutate_randomly(const char *base, struct stats *s)
{
	size_t len = strlen(base);
	cleanup_free char *buf = malloc(len);

	for (int i = 0; i < 20000; i++) {
		memcpy(buf, base, len);
		for (size_t k = rnd(4) + 1; k > 0; k--)
			buf[rnd(len)] = "\"{}[],:0123456789-eE.xtrufalsn \\"[rnd(34)];
		run(buf, rnd(4) == 0 ? rnd(len) + 1 : len, s);
	}
}

int main(void)
{
	for (size_t i = 0; i < N_ELEMENTS(bases); i++) {
		struct stats each = {0}, random = {0};

		mutate_each_offset(bases[i], &each);
		ok(each.bad == 0 && each.parsed > 0,
		   "document %zu, every offset: %u runs, %u parsed, %u programs, %u bad", i,
		   each.runs, each.parsed, each.compiled, each.bad);
		mutate_randomly(bases[i], &random);
		ok(random.bad == 0,
		   "document %zu, random edits: %u runs, %u parsed, %u programs, %u bad", i,
		   random.runs, random.parsed, random.compiled, random.bad);
	}
	return tap_done();
}
