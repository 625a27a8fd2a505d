#include "arch.h"

#include <linux/audit.h>
#include <seccomp.h>
#include <stddef.h>

#include "cleanup.h"

#define X32_SYSCALL_BIT 0x40000000u

/* Every architecture libseccomp 2.5 knows, so that any policy that parses can be written
 * back out. */
static const struct {
	uint32_t token;
	const char *name;
	const char *oci;
} archs[] = {
    {SCMP_ARCH_X86_64, "x86_64", "SCMP_ARCH_X86_64"},
    {SCMP_ARCH_X86, "x86", "SCMP_ARCH_X86"},
    {SCMP_ARCH_X32, "x32", "SCMP_ARCH_X32"},
    {SCMP_ARCH_ARM, "arm", "SCMP_ARCH_ARM"},
    {SCMP_ARCH_AARCH64, "aarch64", "SCMP_ARCH_AARCH64"},
    {SCMP_ARCH_MIPS, "mips", "SCMP_ARCH_MIPS"},
    {SCMP_ARCH_MIPS64, "mips64", "SCMP_ARCH_MIPS64"},
    {SCMP_ARCH_MIPS64N32, "mips64n32", "SCMP_ARCH_MIPS64N32"},
    {SCMP_ARCH_MIPSEL, "mipsel", "SCMP_ARCH_MIPSEL"},
    {SCMP_ARCH_MIPSEL64, "mipsel64", "SCMP_ARCH_MIPSEL64"},
    {SCMP_ARCH_MIPSEL64N32, "mipsel64n32", "SCMP_ARCH_MIPSEL64N32"},
    {SCMP_ARCH_PPC, "ppc", "SCMP_ARCH_PPC"},
    {SCMP_ARCH_PPC64, "ppc64", "SCMP_ARCH_PPC64"},
    {SCMP_ARCH_PPC64LE, "ppc64le", "SCMP_ARCH_PPC64LE"},
    {SCMP_ARCH_S390, "s390", "SCMP_ARCH_S390"},
    {SCMP_ARCH_S390X, "s390x", "SCMP_ARCH_S390X"},
    {SCMP_ARCH_PARISC, "parisc", "SCMP_ARCH_PARISC"},
    {SCMP_ARCH_PARISC64, "parisc64", "SCMP_ARCH_PARISC64"},
    {SCMP_ARCH_RISCV64, "riscv64", "SCMP_ARCH_RISCV64"},
};

const char *oci_arch_name(uint32_t token)
{
	for (size_t i = 0; i < N_ELEMENTS(archs); i++)
		if (archs[i].token == token)
			return archs[i].name;
	return NULL;
}

const char *oci_arch_oci_name(uint32_t token)
{
	for (size_t i = 0; i < N_ELEMENTS(archs); i++)
		if (archs[i].token == token)
			return archs[i].oci;
	return NULL;
}

uint32_t oci_arch_of_syscall(uint32_t audit_arch, int nr)
{
	if (audit_arch == AUDIT_ARCH_X86_64 && nr >= 0 && ((uint32_t)nr & X32_SYSCALL_BIT))
		return SCMP_ARCH_X32;
	return audit_arch;
}
