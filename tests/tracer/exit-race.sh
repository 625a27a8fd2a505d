#!/bin/bash
# docs/kernel-behaviours.md §1-3, the seed case: exit_group while 8 sibling threads loop on a syscall the
# policy denies (every call a seccomp stop). Run EXIT_RACE_RUNS times (default 1000): every run
# exits with the status the main thread gave exit_group, none needs its outer guard, and no
# process of the run is left (checked after every run: nothing in our environment tag, no task
# in state t). exitrace exits 99 itself if a sibling ever saw anything but EPERM.
. "$(dirname "$0")/lib.sh"

runs=${EXIT_RACE_RUNS:-1000}
bad=0
hung=0
left=0
statuses=""
for ((i = 1; i <= runs; i++)); do
	status=$((i % 100 + 1))
	timeout -k 5 20 "$OCTRACE" run --policy "$P/deny.json" -- "$B/exitrace" "$status" 8
	st=$?
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		hung=$((hung + 1))
	elif [ "$st" != "$status" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 5 ] && statuses+="run $i: exit $st, expected $status; "
	fi
	if [ -n "$(_ours)" ]; then
		left=$((left + 1))
		[ "$left" -le 3 ] && diag "run $i left: $(_ours)"
		for p in $(_ours | cut -d' ' -f1); do kill -KILL "$p" 2>/dev/null; done
	fi
done
is "$hung" 0 "$runs runs: none hung (outer guard of 20 s never fired)"
is "$bad" 0 "$runs runs: every one exited with its exit_group status" || diag "$statuses"
is "$left" 0 "$runs runs: no process of a run was left behind"

finish
