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

finish
