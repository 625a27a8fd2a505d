#!/bin/bash
# Every comparison operator at its boundaries (value-1, value, value+1; MASKED_EQ with matching
# and non-matching bits inside and outside the mask), on each argument index, with 32-bit word
# boundaries and values above 2^63; then how conditions and rules combine (runc's rules):
# conditions on different args are ANDed, several conditions on the SAME index split the whole
# rule into ORed single-condition rules, several rules for one syscall are ORed, a rule whose
# action is the default one is ignored, unknown names are skipped. Each rule has its own errno,
# so the output says which one matched; checked against expected lines and seccomp-exec.
. "$(dirname "$0")/lib.sh"

# NE a0 2^32 (EAGAIN), LT a1 2^32 (ENOMEM), LE a2 2^31-1 (EACCES), EQ a3 0x1234567890
# (EFAULT), GE a4 1000 (EBUSY), GT a5 2^32-1 (EEXIST), MASKED_EQ a0 mask 0xff00000000ff
# == 0x120000000034 (EXDEV); getpgrp has no rule.
probes "ops" "$P/ops.json" "getppid:0xffffffff getppid:0x100000000 getppid:0x100000001
	getpid:0,0xffffffff getpid:0,0x100000000 getpid:0,0x100000001
	gettid:0,0,0x7ffffffe gettid:0,0,0x7fffffff gettid:0,0,0x80000000 gettid:0,0,0xffffffff7fffffff
	getuid:0,0,0,0x123456788f getuid:0,0,0,0x1234567890 getuid:0,0,0,0x1234567891 getuid:0,0,0,0x34567890
	getgid:0,0,0,0,999 getgid:0,0,0,0,1000 getgid:0,0,0,0,1001
	geteuid:0,0,0,0,0,0xfffffffe geteuid:0,0,0,0,0,0xffffffff geteuid:0,0,0,0,0,0x100000000
	getegid:0x120000000034 getegid:0x7a12abcdef0034 getegid:0x120000000035 getegid:0x130000000034
	getegid:0x34 getpgrp" <<'OUT'
getppid:0xffffffff = -1 EAGAIN
getppid:0x100000000 = pid
getppid:0x100000001 = -1 EAGAIN
getpid:0,0xffffffff = -1 ENOMEM
getpid:0,0x100000000 = pid
getpid:0,0x100000001 = pid
gettid:0,0,0x7ffffffe = -1 EACCES
gettid:0,0,0x7fffffff = -1 EACCES
gettid:0,0,0x80000000 = pid
gettid:0,0,0xffffffff7fffffff = pid
getuid:0,0,0,0x123456788f = id
getuid:0,0,0,0x1234567890 = -1 EFAULT
getuid:0,0,0,0x1234567891 = id
getuid:0,0,0,0x34567890 = id
getgid:0,0,0,0,999 = id
getgid:0,0,0,0,1000 = -1 EBUSY
getgid:0,0,0,0,1001 = -1 EBUSY
geteuid:0,0,0,0,0,0xfffffffe = id
geteuid:0,0,0,0,0,0xffffffff = id
geteuid:0,0,0,0,0,0x100000000 = -1 EEXIST
getegid:0x120000000034 = -1 EXDEV
getegid:0x7a12abcdef0034 = -1 EXDEV
getegid:0x120000000035 = id
getegid:0x130000000034 = id
getegid:0x34 = id
getpgrp = pid
OUT

# Values of 2^63 and above (unsigned 64-bit comparisons): EQ 2^64-2 (EAGAIN), GE 2^63
# (ENOMEM), MASKED_EQ high word all ones (EACCES), LT 2^63 (EFAULT).
probes "ops above 2^63" "$P/ops-u64.json" "getppid:0xfffffffffffffffd getppid:0xfffffffffffffffe
	getppid:0xffffffffffffffff getpid:0x7fffffffffffffff getpid:0x8000000000000000
	getpid:0x8000000000000001 gettid:0xffffffff12345678 gettid:0xfffffffe12345678
	gettid:0x7fffffff00000000 getuid:0x7fffffffffffffff getuid:0x8000000000000000
	getuid:0xffffffffffffffff" <<'OUT'
getppid:0xfffffffffffffffd = pid
getppid:0xfffffffffffffffe = -1 EAGAIN
getppid:0xffffffffffffffff = pid
getpid:0x7fffffffffffffff = pid
getpid:0x8000000000000000 = -1 ENOMEM
getpid:0x8000000000000001 = -1 ENOMEM
gettid:0xffffffff12345678 = -1 EACCES
gettid:0xfffffffe12345678 = pid
gettid:0x7fffffff00000000 = pid
getuid:0x7fffffffffffffff = -1 EFAULT
getuid:0x8000000000000000 = id
getuid:0xffffffffffffffff = id
OUT

# getppid: a0 == 1 AND a1 == 2 (EISDIR). getpid: a0 == 1, a0 == 2, a1 == 7 on one rule:
# split, so any one of them matches (EINVAL). geteuid: a0 >= 10, a0 <= 20: split, matches
# everything (EFBIG). gettid: three rules, a0 == 5 (ENFILE), a0 == 6 (EMFILE), a1 > 100
# (ENFILE). getuid and getgid share a rule a0 == 3 (ENOTTY). getresuid's rule also names an
# unknown syscall, which is skipped (ETXTBSY). getegid: an ALLOW rule, the default, ignored.
probes "combining conditions and rules" "$P/combine.json" "getppid:1,2 getppid:1,3 getppid:0,2
	getpid:1 getpid:2 getpid:3,7 getpid:3 getpid:0,0 geteuid:5 geteuid:30 geteuid:15
	gettid:5 gettid:6 gettid:7,101 gettid:7,100 gettid:7 getuid:3 getgid:3 getuid:4 getgid:2
	getresuid:0,0,0 getegid:1 getresgid:0,0,0" <<'OUT'
getppid:1,2 = -1 EISDIR
getppid:1,3 = pid
getppid:0,2 = pid
getpid:1 = -1 EINVAL
getpid:2 = -1 EINVAL
getpid:3,7 = -1 EINVAL
getpid:3 = pid
getpid:0,0 = pid
geteuid:5 = -1 EFBIG
geteuid:30 = -1 EFBIG
geteuid:15 = -1 EFBIG
gettid:5 = -1 ENFILE
gettid:6 = -1 EMFILE
gettid:7,101 = -1 ENFILE
gettid:7,100 = pid
gettid:7 = pid
getuid:3 = -1 ENOTTY
getgid:3 = -1 ENOTTY
getuid:4 = id
getgid:2 = id
getresuid:0,0,0 = -1 ETXTBSY
getegid:1 = id
getresgid:0,0,0 = -1 EFAULT
OUT

finish
