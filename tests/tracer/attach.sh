#!/bin/bash
# octrace attach to a running, untraced, multi-threaded program (docs/kernel-behaviours.md §7, 8): its
# leader blocked in read(), a thread spinning in user space, one in a futex, one in a long
# nanosleep, and one creating and joining threads in a loop, each calling a syscall the policy
# denies.
#   --arm-now (ATTACH_ROUNDS times, default 30: attaching races with threads coming and going):
#     the program starts seeing EPERM, TracerPid of every thread is octrace, the read()
#     that was interrupted by the injection returns the line sent afterwards, the sleeper never
#     wakes, the program exits by itself and attach exits with its status (23); a second attach
#     fails with 125 and changes nothing.
#   without --arm-now: nothing is denied until the program's next execve, everything after it is.
. "$(dirname "$0")/lib.sh"

# every_thread_traced PID: TracerPid of each thread of PID is an octrace of this build.
every_thread_traced() {
	local d tr
	for d in /proc/"$1"/task/*; do
		tr=$(tracer_of "$1/task/${d##*/}" 2>/dev/null) || continue
		[ -z "$tr" ] && continue # the thread just ended
		is_octrace "$tr" || return 1
	done
}

wait_traced() {
	local tries=1000
	while [ "$tries" -gt 0 ]; do
		every_thread_traced "$1" && return 0
		sleep 0.01
		tries=$((tries - 1))
	done
	return 1
}

# start_attachme ARGS...: spawn attachme untraced; PID once it is ready.
start_attachme() {
	local line=''
	spawn "$B/attachme" "$@"
	get_line line
	PID=${line#ready }
	[ "$PID" = "$SPAWN_PID" ] || { fail "attachme did not start: '$line'"; PID=''; }
}

# wait_denied APID: the program's next line is "denied", given while attach (APID) still runs.
wait_denied() {
	local line='' tries=30 s
	while [ "$tries" -gt 0 ]; do
		get_line line 1 && break
		s=$(task_state "$1" "$1")
		[ -z "$s" ] || [ "$s" = Z ] && break # attach gave up: no point in waiting
		tries=$((tries - 1))
	done
	is "$line" denied "$2"
}

# end_round: when attach failed, end the program (it waits for a line) and collect both.
end_round() {
	echo quit >&3
	await "$PID" 10
	await "$apid" 10
	diag "attach stderr: $(<"$T/attach.err")"
}

for round in $(seq "${ATTACH_ROUNDS:-30}"); do
	start_attachme
	[ -n "$PID" ] || continue
	is "$(tracer_of "$PID")" 0 "arm-now $round: not traced before attach"
	"$OCTRACE" attach --arm-now --policy "$P/deny.json" "$PID" 2>"$T/attach.err" &
	apid=$!
	_bg+=("$apid")
	if ! wait_denied "$apid" "arm-now $round: after attach the program's denied syscall gets EPERM"; then
		end_round
		continue
	fi
	every_thread_traced "$PID"
	ok $? "arm-now $round: TracerPid of every thread is octrace" \
		"$(grep TracerPid /proc/"$PID"/task/*/status 2>/dev/null)"
	if [ "$round" = 1 ]; then
		run "$OCTRACE" attach --arm-now --policy "$P/deny.json" "$PID"
		is "$ST" 125 "a second attach to a traced process fails with 125" || diag "$ERR"
	fi
	echo quit >&3
	expect_line "read ok" "arm-now $round: the leader's blocked read() returns the line, untouched"
	await "$PID"
	is "$ST/$TIMED_OUT" "23/0" "arm-now $round: the program exits by itself with 23"
	await "$apid"
	is "$ST/$TIMED_OUT" "23/0" "arm-now $round: attach exits with the program's status" ||
		diag "attach stderr: $(<"$T/attach.err")"
	rest=$(timeout 10 cat <&4)
	is "$rest" "" "arm-now $round: no unexpected errno, the sleeper never woke"
done

start_attachme exec "$B/sysprobe" getppid:57005 mkdir:0 getppid:53731
if [ -n "$PID" ]; then
	"$OCTRACE" attach --debug --policy "$P/deny.json" "$PID" 2>"$T/attach.err" &
	apid=$!
	_bg+=("$apid")
	wait_traced "$PID"
	ok $? "attach: every thread gets traced" "$(grep TracerPid /proc/"$PID"/task/*/status 2>/dev/null)" ||
		diag "attach stderr: $(<"$T/attach.err")"
	echo exec >&3
	expect_line "before exec: allowed" "attach without --arm-now: nothing denied before execve"
	expect_line "getppid:57005 = -1 EPERM" "attach: after execve the policy applies (ERRNO)"
	expect_line "mkdir:0 = -1 EACCES" "attach: after execve the policy applies (errnoRet)"
	expect_line "getppid:53731 SIGSYS code=1 syscall=110 *" "attach: after execve the policy applies (TRAP)"
	await "$PID"
	is "$ST/$TIMED_OUT" "0/0" "attach: the exec'd program exits 0"
	await "$apid"
	is "$ST/$TIMED_OUT" "0/0" "attach: attach exits with its status" ||
		diag "attach stderr: $(<"$T/attach.err")"
	grep -q "the filter goes below its stack" "$T/attach.err"
	ok $? "attach: the filter stacked at the exec goes below the new program's stack"
fi

# The same with too little stack for the filter below the new program's arguments: a policy
# of 2900 instructions (23 KiB: an argument rule for each of 300 names, x86_64 and i386) and
# a 48 KiB stack limit of which a 27 KiB environment variable takes most. The exec leaves the
# program 13 to 21 KiB (a random gap of up to 8 KiB comes under the arguments; sysprobe needs
# about 10): the filter goes into a page mapped for it, and the policy applies from the
# program's first instruction.
python3 - "$P/podman.json" >"$T/big.json" <<'PY'
import json, sys
names = [n for n in json.load(open(sys.argv[1]))["syscalls"][0]["names"]
         if n not in ("kexec_load", "getppid")][:300]
rules = [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]
rules += [{"names": [n], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
           "args": [{"index": 1, "value": 0x1000 + i, "op": "SCMP_CMP_EQ"},
                    {"index": 2, "value": 7, "op": "SCMP_CMP_GT"}]} for i, n in enumerate(names)]
json.dump({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules,
           "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]}, sys.stdout)
PY
OCTRACE_TEST_FILL=$(head -c 27648 /dev/zero | tr '\0' x) \
	start_attachme exec "$B/sysprobe" kexec_load:0 getppid:0
if [ -n "$PID" ]; then
	prlimit --pid "$PID" --stack=49152
	ok $? "small stack: the program's next exec gets a 48 KiB stack limit"
	"$OCTRACE" attach --debug --policy "$T/big.json" "$PID" 2>"$T/attach.err" &
	apid=$!
	_bg+=("$apid")
	wait_traced "$PID"
	ok $? "small stack: every thread gets traced"
	echo exec >&3
	expect_line "before exec: allowed" "small stack: nothing denied before execve"
	expect_line "kexec_load:0 = -1 ENOMSG" "small stack: after execve the policy applies"
	expect_line "getppid:0 = pid" "small stack: allowed calls run"
	await "$PID"
	is "$ST/$TIMED_OUT" "0/0" "small stack: the exec'd program exits 0"
	await "$apid"
	is "$ST/$TIMED_OUT" "0/0" "small stack: attach exits with its status"
	grep -q "no room below its stack.*a page is mapped" "$T/attach.err"
	ok $? "small stack: the filter went into a mapped page" ||
		diag "attach stderr: $(tail -n 5 "$T/attach.err")"
fi

finish
