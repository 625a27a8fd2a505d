#!/bin/bash
# KILL_THREAD kills the calling thread only: the others go on and the process exits with its
# own status (42); KILL_PROCESS kills every thread with SIGSYS as the death signal (128+31 from
# octrace, WTERMSIG == SIGSYS under the kernel alone). Both checked under octrace and under
# seccomp-exec. (TRAP's siginfo and registers are compared in actions.sh and differential.sh.)
. "$(dirname "$0")/lib.sh"

for i in 1 2 3; do
	under_octrace "$P/deny.json" "$B/killthread" thread
	is "$ST:$OUT" "42:victim killed, others alive" \
		"KILL_THREAD under octrace (run $i): only the victim died, exit 42" || diag "stderr: $ERR"
	under_octrace "$P/deny.json" "$B/killthread" process
	is "$ST:$OUT" "159:" "KILL_PROCESS under octrace (run $i): killed by SIGSYS, exit 159" ||
		diag "stderr: $ERR"
done

if have_seccomp_exec "kill actions under seccomp-exec"; then
	under_kernel "$P/deny.json" "$B/killthread" thread
	is "$ST:$OUT" "42:victim killed, others alive" "KILL_THREAD under seccomp-exec: the same"
	# The wait status itself, not a shell's 128+N: sysprobe's parent reports WTERMSIG.
	under_kernel "$P/deny.json" "$B/sysprobe" getppid:53730 getppid:53729
	is "$OUT" "getppid:53730 = killed SIGSYS
getppid:53729 = killed SIGSYS" "under seccomp-exec the wait status says WTERMSIG == SIGSYS"
	under_kernel "$P/deny.json" "$B/killthread" process
	is "$ST:$OUT" "159:" "KILL_PROCESS under seccomp-exec: killed by SIGSYS"
fi
under_octrace "$P/deny.json" "$B/sysprobe" getppid:53730 getppid:53729
is "$OUT" "getppid:53730 = killed SIGSYS
getppid:53729 = killed SIGSYS" "under octrace the wait status says WTERMSIG == SIGSYS"

# In enforce mode the kernel applies KILL_*, TRAP itself (the filter stacked at the exec):
# octrace records them where it sees them, at the exit stop and at the SIGSYS delivery.
run "$OCTRACE" run --policy "$P/deny.json" --audit "$T/kills.jsonl" -- "$B/sysprobe" \
	getppid:53731 getppid:53730 getppid:53729 getppid:53728
is "$(jq -r 'select(.event == "syscall") | "\(.syscall) \(.args[0]) \(.action) \(.rule)"' "$T/kills.jsonl")" \
	"getppid 53731 SCMP_ACT_TRAP 3
getppid 53730 SCMP_ACT_KILL_PROCESS 2
getppid 53729 SCMP_ACT_KILL_THREAD 1" \
	"audit: the kernel's TRAP and KILLs are recorded, each once, with their rule"
is "$(jq -r 'select(.event == "teardown") | [.counts[] | "\(.action) \(.calls)"] | sort | join(",")' "$T/kills.jsonl")" \
	"SCMP_ACT_KILL_PROCESS 1,SCMP_ACT_KILL_THREAD 1,SCMP_ACT_TRAP 1" \
	"audit: and counted once each in the teardown (the allowed getppid not at all)"

# A policy that kills seccomp(2): octrace's own injected seccomp calls must not be killed
# (they run under the tracer-mode filter, which only traces it), the program's is.
cat >"$T/kill-seccomp.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["seccomp"], "action": "SCMP_ACT_KILL_PROCESS"}]}
JSON
under_octrace "$T/kill-seccomp.json" "$B/sysprobe" getppid seccomp:1,0,0
is "$ST:$OUT" "0:getppid = pid
seccomp:1,0,0 = killed SIGSYS" \
	"a policy killing seccomp: octrace arms the program, the program's seccomp is killed" ||
	diag "stderr: $ERR"
if have_seccomp_exec "a policy killing seccomp under seccomp-exec"; then
	under_kernel "$T/kill-seccomp.json" "$B/sysprobe" getppid seccomp:1,0,0
	is "$ST:$OUT" "0:getppid = pid
seccomp:1,0,0 = killed SIGSYS" "a policy killing seccomp under seccomp-exec: the same"
fi

finish
