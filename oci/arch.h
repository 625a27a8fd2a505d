/* Architecture names: libseccomp's short names ("x86_64", used in audit lines) and the OCI
 * spellings ("SCMP_ARCH_X86_64", used in profiles), from the libseccomp token (which is the
 * kernel's AUDIT_ARCH_* value for every architecture but x32). libseccomp itself only maps
 * names to tokens. */
#pragma once

#include <stdint.h>

/* libseccomp's name of a token ("x86_64", "x86", "x32", "aarch64", ...), or NULL. */
const char *oci_arch_name(uint32_t token);
/* The OCI name of a token ("SCMP_ARCH_X86_64"), or NULL. */
const char *oci_arch_oci_name(uint32_t token);
/* The token of the ABI a syscall was made in, from the arch the kernel reports for it: an
 * x32 call is reported as AUDIT_ARCH_X86_64 with __X32_SYSCALL_BIT set in its number. */
uint32_t oci_arch_of_syscall(uint32_t audit_arch, int nr);
