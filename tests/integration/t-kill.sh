#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# `RT kill ID KILL` while the container is under heavy traced load: the init's six threads and
# a child process's three hammer getpgid (denied: every call stops in octrace); the kill comes
# once each of the six has been denied 100 times. The container
# tears down at once: detached (`run -d`), `delete` works as soon as the init has exited; in the
# foreground, `run` returns 137 and leaves no container. octrace logs status 137 and nothing of
# it or of the container is left.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

# start_loaded ID MODE: start the hammering container; MODE detached or foreground (then
# $run_pid is the backgrounded `RT run`). Returns once the program said "ready" on the fifo.
start_loaded() {
	local id=$1 dir=$TMP/$1 line
	bundle "$id" --hook-arg=--policy="$POLICIES/deny.json" -- /bin/integ-prog hammer 6
	mkfifo "$dir/fifo"
	exec {ready_fd}<>"$dir/fifo"
	if [ "$2" = detached ]; then
		rt_cg run -d --bundle "$dir" "$id" >"$dir/fifo" 2>"$dir/err" </dev/null ||
			{ echo "# $RT run -d failed"; show "$dir/err" "$dir/hook.err"; return 1; }
	else
		rt_cg run --bundle "$dir" "$id" >"$dir/fifo" 2>"$dir/err" </dev/null &
		run_pid=$!
	fi
	if ! read -r -t 60 -u "$ready_fd" line || [ "$line" != ready ]; then
		echo "# no \"ready\" from the container within 60 s (got '$line')"
		show "$dir/err" "$dir/hook.err" "$LOGS/$id.log"
		return 1
	fi
}

for i in 1 2 3 4; do
	id=k$i
	good=true
	mode=detached
	[ $((i % 2)) = 0 ] && mode=foreground
	if start_loaded "$id" "$mode"; then
		pid=$(rt state "$id" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
		rt kill "$id" KILL 2>>"$TMP/$id/err" || { echo "# $RT kill failed"; good=false; }
		if [ $mode = detached ]; then
			helper waitpid "$pid" --timeout 60 || { echo "# init still there after 60 s"; good=false; }
			rt delete "$id" 2>>"$TMP/$id/err" || { echo "# $RT delete failed"; good=false; }
		else
			wait "$run_pid"
			status=$?
			[ "$status" = 137 ] || { echo "# $RT run returned $status, want 137"; good=false; }
		fi
	else
		good=false
	fi
	exec {ready_fd}<&-
	clean || good=false
	got=$(log_status "$id")
	[ "$got" = 137 ] || { echo "# log: status '$got', want 137"; good=false; }
	echo "# getpgid calls denied before the kill: $(awk '$1 == "getpgid" { print $2 }' \
		"$LOGS/$id.log" 2>/dev/null)"
	if $good; then
		ok "kill $i ($mode): torn down under load, deleted, status 137, nothing left"
	else
		not_ok "kill $i ($mode): torn down under load, deleted, status 137, nothing left"
		show "$TMP/$id/err" "$TMP/$id/hook.err" "$LOGS/$id.log"
		ps -eo pid,stat,comm | diag
	fi
done
finish
