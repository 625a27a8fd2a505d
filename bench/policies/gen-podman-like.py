#!/usr/bin/env python3
"""Regenerate podman-like.json: a container-default-shaped OCI linux.seccomp policy.

ERRNO(ENOSYS) default, one big unconditional ALLOW list (every x86_64 and i386 syscall name
libseccomp knows, minus the privileged / host-wide ones a runtime's default profile refuses),
personality/clone/socket allowed only with argument rules, clone3 -> ENOSYS, and an explicit
EPERM group -- the shape of podman's and Docker's defaults, so "allowed" syscalls are measured
through a filter of realistic size. Usage: gen-podman-like.py > podman-like.json
"""
import ctypes
import json
import re
import textwrap

HEADERS = ["/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
           "/usr/include/x86_64-linux-gnu/asm/unistd_32.h"]
AUDIT_ARCHS = [0xC000003E, 0x40000003]  # x86_64, i386

DENY = set("""
acct add_key bpf clock_adjtime clock_adjtime64 clock_settime clock_settime64 create_module
delete_module finit_module get_kernel_syms get_mempolicy init_module ioperm iopl kcmp
kexec_file_load kexec_load keyctl lookup_dcookie mbind mount mount_setattr move_mount open_tree
fsopen fsconfig fsmount fspick move_pages migrate_pages name_to_handle_at nfsservctl
open_by_handle_at perf_event_open personality pivot_root process_vm_readv process_vm_writev
ptrace query_module quotactl quotactl_fd reboot request_key set_mempolicy
set_mempolicy_home_node setns settimeofday stime swapon swapoff sysfs _sysctl syslog umount
umount2 unshare uselib userfaultfd ustat vm86 vm86old vhangup tuxcall security afs_syscall
putpmsg getpmsg clone clone3 socket bdflush idle break ftime gtty stty lock mpx prof profil
ulimit oldfstat oldlstat oldstat oldolduname olduname sgetmask ssetmask signal waitpid nice
pciconfig_iobase pciconfig_read pciconfig_write landlock_create_ruleset landlock_add_rule
landlock_restrict_self memfd_secret process_madvise set_thread_area get_thread_area modify_ldt
vserver epoll_ctl_old epoll_wait_old uretprobe
""".split())
ARG_RULED = {"clone", "clone3", "socket", "personality"}


def known_names():
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    names = set()
    for h in HEADERS:
        names |= set(re.findall(r"#define __NR_(\w+) ", open(h).read()))
    return {n for n in names
            if any(lib.seccomp_syscall_resolve_name_arch(a, n.encode()) >= 0 for a in AUDIT_ARCHS)}


def rule(names, action, **extra):
    r = {"names": names, "action": action}
    r.update(extra)
    return r


def arg(index, value, op, **extra):
    a = {"index": index, "value": value}
    a.update(extra)
    a["op"] = op
    return a


def policy():
    known = known_names()
    rules = [rule(sorted(known - DENY), "SCMP_ACT_ALLOW")]
    for persona in [0, 8, 0x20000, 0x20008, 0xFFFFFFFF]:
        rules.append(rule(["personality"], "SCMP_ACT_ALLOW",
                          args=[arg(0, persona, "SCMP_CMP_EQ")]))
    # clone without any namespace flag (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET)
    rules.append(rule(["clone"], "SCMP_ACT_ALLOW",
                      args=[arg(0, 0x7E020000, "SCMP_CMP_MASKED_EQ", valueTwo=0)]))
    rules.append(rule(["clone3"], "SCMP_ACT_ERRNO", errnoRet=38))
    rules.append(rule(["socket"], "SCMP_ACT_ALLOW", args=[arg(0, 40, "SCMP_CMP_NE")]))  # AF_VSOCK
    rules.append(rule(sorted((known & DENY) - ARG_RULED)[:24], "SCMP_ACT_ERRNO", errnoRet=1))
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": rules}


def names_json(names, indent):
    body = ", ".join(json.dumps(n) for n in names)
    if len(body) < 70:
        return "[" + body + "]"
    lines = textwrap.wrap(body, 98 - len(indent), initial_indent=indent + "  ",
                          subsequent_indent=indent + "  ", break_on_hyphens=False)
    return "[\n" + "\n".join(lines) + "\n" + indent + "]"


def rule_json(r):
    parts = ['"names": ' + names_json(r["names"], "      ")]
    for k, v in r.items():
        if k == "args":
            parts.append('"args": [' + ", ".join(json.dumps(a) for a in v) + "]")
        elif k != "names":
            parts.append(json.dumps(k) + ": " + json.dumps(v))
    return "    {\n      " + ",\n      ".join(parts) + "\n    }"


def main():
    p = policy()
    print("{")
    for k in ["defaultAction", "defaultErrnoRet", "architectures"]:
        print("  %s: %s," % (json.dumps(k), json.dumps(p[k])))
    print('  "syscalls": [')
    print(",\n".join(rule_json(r) for r in p["syscalls"]))
    print("  ]")
    print("}")


if __name__ == "__main__":
    main()
