/* Learning stops: see learn.h. With a policy, enforce.c decides the stop as usual and
 * observe_seccomp() records it; without one, the stop is learn_seccomp_stop()'s alone. */
#include "learn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>
#include <unistd.h>

#include "arch.h"
#include "compile.h"
#include "log.h"
#include "profile.h"

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

#define REG_OFFSET(reg) offsetof(struct user_regs_struct, reg)

bool learn_stop_data(const struct session *s, uint32_t data)
{
	return s->learn_filter != NULL && data == OCI_TRACE_DATA_LEARN;
}

/* The executable of a task, for the stats: /proc/TID/exe (NULL if it cannot be read). */
static char *exe_of(pid_t tid)
{
	char link[64], buf[4096];
	ssize_t n;
	char *exe;

	snprintf(link, sizeof(link), "/proc/%d/exe", tid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	exe = strdup(buf);
	if (exe == NULL)
		abort();
	return exe;
}

void learn_note(struct session *s, struct tracee *t, uint32_t arch, int nr, const uint64_t args[6])
{
	struct profile_syscall *e = profile_add(s->profile, arch, nr, args);

	if (e == NULL || e->calls != 1 || !s->profile->stats)
		return;
	e->exe = exe_of(t->tid);
	e->pid = tracee_tgid(t);
}

static bool poke(struct tracee *t, size_t offset, long value)
{
	if (ptrace(PTRACE_POKEUSER, t->tid, offset, value) == 0)
		return true;
	tracee_request_failed(t, "PTRACE_POKEUSER");
	return false;
}

/* Interventions without a policy. clone(CLONE_UNTRACED) would make a child that no tracer
 * follows and whose every syscall then fails (its filter traces them): the flag is cleared
 * (the kernel re-runs the filter on the new arguments, which allows it without a second
 * stop). clone3 gets ENOSYS when arguments are kept: libc then uses clone, whose namespace
 * flags the learnt rule can test. `skip_ret`: set the return value too (a seccomp stop; at
 * an entry stop the kernel has put -ENOSYS there already). */
static void intervene(struct session *s, struct tracee *t, uint32_t arch, int nr,
		      const uint64_t args[6], bool skip_ret)
{
	uint32_t token = oci_arch_of_syscall(arch, nr);
	uint64_t mask = 0;
	enum profile_cond c = profile_cond_of(token, nr, &mask);

	if (c == PROFILE_COND_MASKED && mask == PROFILE_CLONE_NS_MASK &&
	    (args[0] & CLONE_UNTRACED)) {
		size_t reg = arch == AUDIT_ARCH_I386 ? REG_OFFSET(rbx) : REG_OFFSET(rdi);

		poke(t, reg, (long)(args[0] & ~(uint64_t)CLONE_UNTRACED));
	} else if (c == PROFILE_COND_ENOSYS && t->armed && !s->profile->args_none) {
		if (poke(t, REG_OFFSET(orig_rax), -1) && skip_ret)
			poke(t, REG_OFFSET(rax), -ENOSYS);
	}
}

struct restart learn_seccomp_stop(struct session *s, struct tracee *t,
				  const struct __ptrace_syscall_info *info)
{
	int nr = (int)info->seccomp.nr;

	if (s->profile == NULL)
		return RESUME(0);
	intervene(s, t, info->arch, nr, info->seccomp.args, true);
	if (t->armed)
		learn_note(s, t, info->arch, nr, info->seccomp.args);
	return RESUME(0);
}

void learn_syscall_entry(struct session *s, struct tracee *t,
			 const struct __ptrace_syscall_info *info)
{
	int nr = (int)info->entry.nr;

	if (s->policy == NULL)
		intervene(s, t, info->arch, nr, info->entry.args, false);
	learn_note(s, t, info->arch, nr, info->entry.args);
}
