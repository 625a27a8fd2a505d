#!/bin/bash
# Every action, through real syscalls (sysprobe, one child per probe), with the errno or death
# signal checked against the expected line and against seccomp-exec (the kernel's own actions).
# The probe getppid(N) is harmless whatever N; the policies single out N.
. "$(dirname "$0")/lib.sh"

# SCMP_ACT_ERRNO with errnoRet / default EPERM / 0 / the largest errno libseccomp takes,
# KILL (= KILL_THREAD: alone in its process it dies of SIGSYS), KILL_THREAD, KILL_PROCESS,
# TRAP (handler sees the kernel's siginfo and registers, then the call returns RAX = the syscall
# number), TRACE (octrace is the tracer: recorded and allowed; the kernel alone gives ENOSYS),
# LOG and ALLOW (the call runs), an
# unmatched call runs, and ERRNO means "not executed" (umask keeps its value).
TRACE_PROBES="getppid:9" probes "actions" "$P/actions.json" "getppid getppid:1 getppid:2 getppid:3 getppid:4 getppid:5
	getppid:6 getppid:7 getppid:8 getppid:9 getppid:10 getppid:11 getppid:12
	getpid:0,0,0,0,0,8 getpid:8 umask:63+umask:18 umask:62+umask:18" <<'OUT'
getppid = pid
getppid:1 = -1 EACCES
getppid:2 = -1 EPERM
getppid:3 = 0
getppid:4 = -1 E4094
getppid:5 = killed SIGSYS
getppid:6 = killed SIGSYS
getppid:7 = killed SIGSYS
getppid:8 SIGSYS code=1 syscall=110 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=110 args=same
getppid:8 = pid
getppid:9 = pid
getppid:10 = pid
getppid:11 = pid
getppid:12 = pid
getpid:0,0,0,0,0,8 SIGSYS code=1 syscall=39 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=39 args=same
getpid:0,0,0,0,0,8 = pid
getpid:8 = pid
umask:63 = -1 EPERM
umask:18 = 18
umask:62 = 18
umask:18 = 62
OUT

# SCMP_ACT_NOTIFY without a listener fails with ENOSYS.
probes "notify" "$P/notify.json" "getppid:1 getppid:2" <<'OUT'
getppid:1 = -1 ENOSYS
getppid:2 = pid
OUT

# The i386 entry (int $0x80) is a different arch: the policy lists it, so its rules apply to
# the i386 getppid, with si_arch and si_syscall of i386 in the TRAP handler.
probes "deny.json, x86_64 and i386" "$P/deny.json" "getppid:57005 getppid:53729 getppid:53730
	getppid:53731 mkdir:0 mkdirat:0,0 getppid:57004 i386:getppid:57005 i386:getppid:53729
	i386:getppid:53730 i386:getppid:53731 i386:mkdir:0 i386:getppid:57004" <<'OUT'
getppid:57005 = -1 EPERM
getppid:53729 = killed SIGSYS
getppid:53730 = killed SIGSYS
getppid:53731 SIGSYS code=1 syscall=110 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=110 args=same
getppid:53731 = pid
mkdir:0 = -1 EACCES
mkdirat:0,0 = -1 EACCES
getppid:57004 = pid
i386:getppid:57005 = -1 EPERM
i386:getppid:53729 = killed SIGSYS
i386:getppid:53730 = killed SIGSYS
i386:getppid:53731 SIGSYS code=1 syscall=64 arch=0x40000003 errno=0 addr=after-syscall rip=after-syscall rax=64 args=same
i386:getppid:53731 = pid
i386:mkdir:0 = -1 EACCES
i386:getppid:57004 = pid
OUT

# The same policy inside a whole config.json (linux.seccomp) behaves the same.
probes "config.json" "$P/config.json" "getppid:57005 getppid:53731 mkdir:0 getppid:1" <<'OUT'
getppid:57005 = -1 EPERM
getppid:53731 SIGSYS code=1 syscall=110 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=110 args=same
getppid:53731 = pid
mkdir:0 = -1 EACCES
getppid:1 = pid
OUT

# Default actions with an allow list: ERRNO without defaultErrnoRet is EPERM; TRAP and
# KILL_PROCESS apply to every syscall not listed; a listed ERRNO rule still applies.
probes "defaultAction ERRNO" "$P/default-eperm.json" "getpid getppid gettid:1,2,3 getpgrp
	getpid+getppid+getpid" <<'OUT'
getpid = pid
getppid = -1 EPERM
gettid:1,2,3 = -1 EPERM
getpgrp = -1 EIO
getpid = pid
getppid = -1 EPERM
getpid = pid
OUT

probes "defaultAction TRAP" "$P/default-trap.json" "getpid getppid gettid:1,2,3 getpgrp" <<'OUT'
getpid = pid
getppid SIGSYS code=1 syscall=110 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=110 args=same
getppid = pid
gettid:1,2,3 SIGSYS code=1 syscall=186 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=186 args=same
gettid:1,2,3 = pid
getpgrp = -1 EIO
OUT

probes "defaultAction KILL_PROCESS" "$P/default-kill.json" "getpid getppid gettid:1,2,3 getpgrp
	getpid+getppid+getpid" <<'OUT'
getpid = pid
getppid = killed SIGSYS
gettid:1,2,3 = killed SIGSYS
getpgrp = -1 EIO
getpid = pid
getpid+getppid+getpid = killed SIGSYS
OUT

finish
