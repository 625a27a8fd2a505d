#!/bin/bash
# octrace attach --arm-now while the target is inside vfork (posix_spawn: clone with
# CLONE_VM|CLONE_VFORK), back to back (docs/kernel-behaviours.md §18): a vfork parent cannot
# stop before its child execs or exits, so the attach filters the vfork child, lets it go, and
# takes the parent in another round. Each of ATTACH_VFORK_RUNS runs (default 20) attaches at
# once after the target says it is ready: the target must end up denied, every child it
# spawns afterwards too, octrace must exit with the target's status, nothing may be left.
. "$(dirname "$0")/lib.sh"
need_root

runs=${ATTACH_VFORK_RUNS:-20}
later=20
armed=0
for i in $(seq 1 "$runs"); do
	spawn "$B/spawner" "$later"
	line=''
	get_line line
	pid=${line#ready }
	if [ "$pid" != "$SPAWN_PID" ]; then
		fail "run $i: spawner did not start: '$line'"
		continue
	fi
	"$OCTRACE" attach --arm-now --policy "$P/deny.json" "$pid" >/dev/null 2>"$T/attach.err" &
	apid=$!
	_bg+=("$apid")
	line=''
	get_line line 60
	await "$apid" 60
	ast=$ST
	exec 3>&-
	await "$pid" 10
	if [[ $line == "armed after "*"; later children: $later denied, 0 allowed; in flight: "* ]] &&
		[ "$ast" = 0 ] && [ "$TIMED_OUT" = 0 ]; then
		armed=$((armed + 1))
	else
		fail "run $i: attach during vfork: every later child denied, octrace exits 0"
		diag "spawner: ${line:-<nothing>}; octrace exit $ast; stderr: $(<"$T/attach.err")"
	fi
done
is "$armed" "$runs" "attach during posix_spawn, $runs runs: the target and all its later children enforced"
check_clean "attach during vfork: nothing left (no process, no task in state t)"
finish
