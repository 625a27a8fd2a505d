#!/bin/bash
# ERRNO BY DIVERSION (docs/kernel-behaviours.md §28): octrace denies with an errno by changing
# the syscall number at the seccomp stop to a reserved one that its own filters answer with
# that errno, where every filter of the process is its own; otherwise with two register
# writes. Asserted:
# - ownfilter (tests/tracees/ownfilter.c): a program that installs, after octrace attached,
#   a filter answering ERRNO(5), TRAP, KILL_PROCESS or KILL_THREAD for every number no kernel
#   knows (the reserved ones among them), through seccomp(), prctl() or seccomp(TSYNC), from
#   the main thread, a thread or a vfork child, then makes the call the policy denies
#   (getppid, ERRNO 13 in tests/policies/divert.json), one it allows and an unknown one: the
#   kernel gives the reference tests/tracer/hostile/ownfilter.ABI.deny, and octrace gives
#   exactly the kernel's output; three ABIs. The race/ probes install with TSYNC from a
#   second thread while the main thread is in the middle of 20000 denied calls;
# - the same with the filter installed before octrace attached, and between the attach and
#   the program's exec;
# - all of that with denials by notification (the default here, §29) and by seccomp stop
#   (OCTRACE_DENY_BY=stop);
# - the mechanism (strace on octrace, denials by stop): one POKEUSER of orig_rax to 0x3fffe000 + 13 and no
#   write of rax while the program has no filter of its own; two writes once it has one;
#   the TSYNC installs of the race probes are held (octrace --debug);
# - audit level all: the denied call's event has the policy's errno and returns -13; the
#   install is an allowed call with guard "filter".
. "$(dirname "$0")/lib.sh"

REF=$(dirname "$0")/hostile
POL=$P/divert.json
have_seccomp_exec "ERRNO by diversion needs the kernel reference" || finish
[ -x "$B/ownfilter" ] || bail "no ownfilter in $B"

X32=on
[ "$("$B/sysprobe" 0x40000027)" = "0x40000027 = -1 ENOSYS" ] && X32=off
diag "x32 syscalls: $X32"

declare -A PROBES
PROBES[x86_64]="x86_64:seccomp:none x86_64:seccomp:errno:5 x86_64:seccomp:errno:13
	x86_64:seccomp:trap x86_64:seccomp:kill x86_64:seccomp:killthread x86_64:prctl:kill
	x86_64:prctl:errno:5 x86_64:tsync:kill x86_64:tsync:trap thread/x86_64:seccomp:kill
	thread/x86_64:tsync:errno:5 thread/x86_64:prctl:trap vfork/x86_64:seccomp:errno:5
	vfork/x86_64:seccomp:kill race/x86_64:kill race/x86_64:errno:5 race/x86_64:trap"
PROBES[i386]="i386:seccomp:none i386:seccomp:errno:5 i386:seccomp:trap i386:seccomp:kill
	i386:prctl:killthread i386:tsync:kill thread/i386:seccomp:trap vfork/i386:prctl:errno:5
	race/i386:kill race/i386:errno:5"
PROBES[x32]="x32:seccomp:none x32:seccomp:errno:5 x32:seccomp:trap x32:seccomp:kill
	x32:prctl:kill thread/x32:seccomp:errno:5 race/x32:kill"

for abi in x86_64 i386 x32; do
	# shellcheck disable=SC2206
	probes=(${PROBES[$abi]})
	ref=$(<"$REF/ownfilter.$abi.deny") || bail "no reference $REF/ownfilter.$abi.deny"
	under_kernel "$POL" "$B/ownfilter" "${probes[@]}"
	ok "$ST" "ownfilter $abi: seccomp-exec exits 0" "exit status $ST, stderr: $ERR"
	if [ "$abi" = x32 ] && [ "$X32" = on ]; then
		diag "ownfilter x32: this kernel runs x32 syscalls: its own output is the reference"
		ref=$OUT
	else
		is "$OUT" "$ref" "ownfilter $abi: the kernel gives the reference results"
	fi
	for by in notification stop; do
		OCTRACE_DENY_BY=$by under_octrace "$POL" "$B/ownfilter" "${probes[@]}"
		ok "$ST" "ownfilter $abi, denials by $by: octrace run exits 0" \
			"exit status $ST, stderr: $ERR"
		is "$OUT" "$ref" "ownfilter $abi, denials by $by: octrace gives exactly the kernel's results"
	done
done

# A filter of the program's own that is there before octrace attaches (octrace runs under
# it), or that the program installs before its exec (unarmed: the setup filter's guard).
kernel_ref="x86_64:seccomp:none getppid = -1 EACCES
x86_64:seccomp:none getegid = ok
x86_64:seccomp:none = killed SIGSYS"
for how in seccomp:kill tsync:trap prctl:errno:5; do
	run "$B/ownfilter" --exec "x86_64:$how" -- "$SECCOMP_EXEC" "$POL" -- \
		"$B/ownfilter" x86_64:seccomp:none
	kernel=$OUT
	case $how in
	seccomp:kill) is "$kernel" "$kernel_ref" "own $how, then the kernel's policy: reference" ;;
	*) is "$(head -2 <<<"$kernel")" "$(head -2 <<<"$kernel_ref")" \
		"own $how, then the kernel's policy: getppid EACCES, getegid ok" ;;
	esac
	run "$B/ownfilter" --exec "x86_64:$how" -- "$OCTRACE" run --policy "$POL" -- \
		"$B/ownfilter" x86_64:seccomp:none
	is "$OUT" "$kernel" "own $how before the attach: octrace gives the kernel's results"
	run "$OCTRACE" run --policy "$POL" -- "$B/ownfilter" --exec "x86_64:$how" -- \
		"$B/ownfilter" x86_64:seccomp:none
	is "$OUT" "$kernel" "own $how between the attach and the exec: the kernel's results"
done

# The mechanism, seen from octrace's side (strace traces octrace, not its tracee).
if command -v strace >/dev/null; then
	pokes() { # PROBE: octrace's POKEUSER writes for it, as "orig_rax:N rax:N diverted:N"
		OCTRACE_DENY_BY=stop strace -qq -e trace=ptrace -e signal=none -o "$T/strace" \
			"$OCTRACE" run --policy "$POL" -- "$B/ownfilter" "$1" >/dev/null 2>&1
		printf 'orig_rax:%s rax:%s diverted:%s' \
			"$(grep -c 'PTRACE_POKEUSER, [0-9]*, 8\*ORIG_RAX' "$T/strace")" \
			"$(grep -c 'PTRACE_POKEUSER, [0-9]*, 8\*RAX' "$T/strace")" \
			"$(grep -c 'PTRACE_POKEUSER, [0-9]*, 8\*ORIG_RAX, 0x3fffe00d)' "$T/strace")"
	}
	is "$(pokes x86_64:seccomp:none)" "orig_rax:1 rax:0 diverted:1" \
		"no filter of its own: the denial is one write, orig_rax = 0x3fffe000 + 13"
	is "$(pokes x86_64:seccomp:errno:5)" "orig_rax:1 rax:1 diverted:0" \
		"with a filter of its own: two writes (orig_rax = -1, rax = -13)"
	is "$(pokes i386:prctl:trap)" "orig_rax:1 rax:1 diverted:0" \
		"i386, prctl(PR_SET_SECCOMP): two writes"
else
	skip "strace is not installed: the requests are not checked"
fi
OCTRACE_DENY_BY=stop run "$OCTRACE" run --debug --policy "$POL" -- "$B/ownfilter" \
	race/x86_64:errno:5 race/i386:kill
held=$(grep -c 'TSYNC filter install held' <<<"$ERR")
[ "$held" -ge 1 ]
ok $? "race probes: a TSYNC install waits for the diverted thread ($held of 2 held)" \
	"$(tail -n 3 <<<"$ERR")"

# The audit log at level all: the return value is the policy's errno.
if command -v jq >/dev/null; then
	LOG=$T/audit.jsonl
	run "$OCTRACE" run --policy "$POL" --audit "$LOG" --audit-level all -- \
		"$B/ownfilter" x86_64:seccomp:none x86_64:prctl:errno:5
	ok "$ST" "audit: octrace run exits 0" "exit status $ST, stderr: $ERR"
	is "$(jq -r 'select(.event == "syscall" and .syscall == "getppid") |
		[.action, .errno, .ret] | map(tostring) | join(" ")' "$LOG" | sort | uniq -c |
		sed 's/^ *//')" "2 SCMP_ACT_ERRNO 13 -13" \
		"audit: both denied getppid calls (diverted, then not) return -13, errno 13"
	is "$(jq -r 'select(.event == "syscall" and .syscall == "prctl" and .args[0] == 22) |
		[.action, .rule, .guard, .ret] | map(tostring) | join(" ")' "$LOG")" \
		"SCMP_ACT_ALLOW guard filter 0" "audit: prctl(PR_SET_SECCOMP) is allowed, guard filter"
else
	skip "jq is not installed (apt-get install jq): no audit log checks"
fi

finish
