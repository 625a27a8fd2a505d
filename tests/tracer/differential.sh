#!/bin/bash
# DIFFERENTIAL: the same program under the kernel's own enforcement (seccomp-exec) and under
# octrace must print the same thing, line for line: return values, errnos, death signals, and
# what a SIGSYS handler sees. Run for a podman-like profile (ERRNO(ENOSYS) default, ~390 names,
# personality and clone argument rules, clone3 refused, an EPERM group) and for every valid
# policy in tests/policies with one common probe list, x86_64 and i386 entries (an arch the
# policy does not list takes the bad-arch action).
. "$(dirname "$0")/lib.sh"

probes "podman-like profile" "$P/podman.json" "getppid personality:0xffffffff personality:0
	personality:8 personality:4 personality:131080 acct:0 kexec_load:0 reboot:0
	mount:0,0,0,0,0 unshare:0 clone:0x10000 clone:0x10010000 clone3:0,0 socket:40,1,0
	socket:1,999,0 uname:0 bpf:0,0,0 chroot:0 mkdir:0 setns:0xffffffff,0 userfaultfd:0
	io_uring_setup:0,0 init_module:0,0,0 open_by_handle_at:0xffffffff,0,0 keyctl:0 add_key:0
	pivot_root:0,0 setdomainname:0,0 umask:18 getcwd:0,0 i386:getppid i386:personality:4
	i386:acct:0 i386:kexec_load:0 i386:socketcall:0,0 i386:clone:0x10010000 i386:getuid32" </dev/null

common="getppid getppid:1 getppid:2 getppid:3 getppid:5 getppid:7 getppid:8 getppid:9
	getppid:57005 getppid:53729 getppid:53730 getppid:53731 getppid:0xffffffff
	getppid:0x100000001 getppid:0xfffffffffffffffe getpid:0,0xffffffff getpid:1
	getpid:0x8000000000000000 gettid:0,0,0x7fffffff gettid:5 gettid:7,101 getuid:3
	getuid:0,0,0,0x1234567890 getgid:0,0,0,0,1000 geteuid:0,0,0,0,0,0x100000000
	getegid:0x120000000034 getpgrp mkdir:0 umask:63+umask:18 personality:4
	i386:getppid:57005 i386:getppid:53731 i386:getppid:1 i386:getppid:8 i386:mkdir:0"
for f in "$P"/*.json; do
	trace=
	[ "${f##*/}" = actions.json ] && trace="getppid:9" # SCMP_ACT_TRACE there
	TRACE_PROBES=$trace probes "${f##*/}, common probes" "$f" "$common" </dev/null
done

# Filters stack (docs/kernel-behaviours.md §10): a program that installs its own filter under octrace (as a
# runtime does after octrace armed the container) gets both: each narrows what the other
# allows, exactly as two kernel filters would.
if have_seccomp_exec "filters stack"; then
	stack=(getppid:57005 "getppid:1,2" getppid:53731 mkdir:0 gettid:5 getppid)
	run "$SECCOMP_EXEC" "$P/deny.json" -- "$SECCOMP_EXEC" "$P/combine.json" -- "$B/sysprobe" "${stack[@]}"
	kernel=$OUT
	run "$OCTRACE" run --policy "$P/deny.json" -- "$SECCOMP_EXEC" "$P/combine.json" -- \
		"$B/sysprobe" "${stack[@]}"
	is "$OUT" "getppid:57005 = -1 EPERM
getppid:1,2 = -1 EISDIR
getppid:53731 SIGSYS code=1 syscall=110 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=110 args=same
getppid:53731 = pid
mkdir:0 = -1 EACCES
gettid:5 = -1 ENFILE
getppid = pid" "filters stack: octrace's policy and the program's own filter both apply"
	is "$OUT" "$kernel" "filters stack: the same as two kernel filters"
fi

finish
