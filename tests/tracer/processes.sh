#!/bin/bash
# Process and thread life cycles under octrace, each with its exit status and output checked:
#   exec from a non-leader thread while the others sit in traced syscalls (docs/kernel-behaviours.md §4),
#     to /bin/true and to sysprobe (the policy still holds after the tid change);
#   vfork (a traced syscall in the vfork child, exec, failed exec);
#   a storm of 200 children, each exiting with its own status (docs/kernel-behaviours.md §5);
#   the leader exits first and a worker's exit(9) is the process status (docs/kernel-behaviours.md §3, 14);
#   clone(CLONE_UNTRACED) (docs/kernel-behaviours.md §11).
. "$(dirname "$0")/lib.sh"

for i in 1 2 3 4 5; do
	under_octrace "$P/deny.json" "$B/execthread" /bin/true
	is "$ST" 0 "exec /bin/true from a non-leader thread (run $i): exit 0" || diag "stderr: $ERR"
done
under_octrace "$P/deny.json" "$B/execthread" "$B/sysprobe" getppid:57005 mkdir:0 getppid:53731
is "$ST" 0 "exec sysprobe from a non-leader thread: exit 0" || diag "stderr: $ERR"
is "$OUT" "getppid:57005 = -1 EPERM
mkdir:0 = -1 EACCES
getppid:53731 SIGSYS code=1 syscall=110 arch=0xc000003e errno=0 addr=after-syscall rip=after-syscall rax=110 args=same
getppid:53731 = pid" "after an exec from a non-leader thread the policy still applies"

under_octrace "$P/deny.json" "$B/vforker"
is "$ST:$OUT" "0:vfork ok" "vfork: each child's status reaches the parent" || diag "stderr: $ERR"

for i in 1 2 3; do
	under_octrace "$P/deny.json" "$B/forktree" 200
	is "$ST:$OUT" "0:200 children ok" "200 children at once, each with its own status (run $i)" ||
		diag "stderr: $ERR"
done

for i in 1 2 3; do
	under_octrace "$P/deny.json" "$B/leaderexit"
	is "$ST:$OUT" "9:leader gone, worker exits 9" \
		"leader exits first, the process status is the worker's exit(9) (run $i)" ||
		diag "stderr: $ERR"
done

# CLONE_UNTRACED is never honoured (docs/kernel-behaviours.md §17): octrace clears the flag, so
# the child is traced like any other (tracer != 0) and gets the policy's own answer, EPERM.
under_octrace "$P/deny.json" "$B/untraced"
is "$ST" 0 "CLONE_UNTRACED: exit 0" || diag "stderr: $ERR"
[[ $OUT == "child: tracer="[1-9]*([0-9])" getppid(ARG_ERRNO)=-1 EPERM
thread ok
fork ok
parent: getppid(ARG_ERRNO)=-1 EPERM" ]]
ok $? "CLONE_UNTRACED: the child is traced anyway and its denied call gets EPERM" "output: $OUT"

# A policy that must not be escaped refuses CLONE_UNTRACED (MASKED_EQ) and clone3 (ENOSYS, so
# glibc falls back to clone for threads and fork): same as under the kernel alone.
expected="clone untraced: = -1 EPERM
thread ok
fork ok
parent: getppid(ARG_ERRNO)=-1 EPERM"
under_octrace "$P/untraced.json" "$B/untraced"
is "$ST:$OUT" "0:$expected" "untraced.json: CLONE_UNTRACED refused, threads and fork still work"
if have_seccomp_exec "untraced.json under seccomp-exec"; then
	under_kernel "$P/untraced.json" "$B/untraced"
	is "$ST:$OUT" "0:$expected" "untraced.json under seccomp-exec: the same"
fi

finish
