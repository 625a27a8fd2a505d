#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# A process tree in the container: init forks A and B; A forks A1 and A2. A1 runs four threads
# hammering getpgid (denied: they stop in octrace) and calls exit_group(33) from its main
# thread; only A1 dies: A reaps it (33), then releases A2 (blocked in read() meanwhile), which
# still makes a denied call and exits 0; B's threads make their 2000 denied calls each and
# end. Init checks every status and exits with its own (5 + run). octrace follows the whole tree
# and reports init's status.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

expected_lines() {
	printf '%s\n' 'A1: exit_group(33)' 'A2: alive after A1' 'A: A1 exited 33, A2 exited 0' \
		'B: done' 'init: A exited 0, B exited 0' | sort
}

for i in 1 2 3; do
	id=tree$i
	want=$((5 + i))
	bundle "$id" --hook-arg=--policy="$POLICIES/deny.json" -- /bin/integ-prog tree "$want"
	run "$id" "$id"
	clean_ok=true
	clean || clean_ok=false
	if [ "$status" = "$want" ] && [ "$(sort "$TMP/$id/out")" = "$(expected_lines)" ] &&
		[ ! -s "$TMP/$id/err" ]; then
		ok "tree $i: only the exit_group process died, init's status $want came through"
	else
		not_ok "tree $i: only the exit_group process died, init's status $want came through" \
			"(got $status)"
		show "$TMP/$id/out" "$TMP/$id/err" "$LOGS/$id.log"
	fi
	check "tree $i: log's final line has status $want" [ "$(log_status "$id")" = "$want" ]
	check "tree $i: the summary counts the denied getpgid calls" \
		summary_has "$id" getpgid 'SCMP_ACT_ERRNO(42)'
	check "tree $i: nothing left" $clean_ok
done
finish
