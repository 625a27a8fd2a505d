#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# exit_group against traced syscalls, 50 times: the container's init is multi-threaded, every
# thread hammers getpgid (denied by the policy, so each call stops in octrace), and once all of
# them have been denied at least once one thread calls exit_group. The leader (WHO=main) or
# another thread (WHO=thread) exits, and the container is run either in the foreground (`run`:
# the runtime returns the status) or as create + start + `delete` once the init has exited.
# Each time: the status is the one given to exit_group, octrace's log says so, `delete`
# succeeds, and no octrace process, container process or task in ptrace stop is left.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

runs=${INTEG_EXITRACE_RUNS:-50}
threads=4
failures=0
for i in $(seq 1 "$runs"); do
	id=x$i
	want=$i # a different status each time
	who=main
	[ $(((i / 2) % 2)) = 1 ] && who=thread
	mode=run
	[ $((i % 2)) = 0 ] && mode=delete
	bundle "$id" --hook-arg=--policy="$POLICIES/deny.json" -- \
		/bin/integ-prog threads "$threads" "$want" "$who"
	good=true
	if [ $mode = run ]; then
		run "$id" "$id"
		[ "$status" = "$want" ] || { echo "# $RT run returned $status, want $want"; good=false; }
	else
		if create_start "$id" "$id"; then
			helper waitpid "$init_pid" --timeout 60 ||
				{ echo "# init $init_pid still there after 60 s"; good=false; }
			rt delete "$id" 2>>"$TMP/$id/err" ||
				{ echo "# $RT delete $id failed"; good=false; }
		else
			good=false
		fi
	fi
	clean || good=false # waits for the daemon's last log line too
	got=$(log_status "$id")
	[ "$got" = "$want" ] || { echo "# log: status '$got', want $want"; good=false; }
	[ ! -s "$TMP/$id/err" ] || { echo "# the run wrote on stderr"; good=false; }
	if $good; then
		ok "run $i ($mode, exit_group from $who): status $want, deleted, nothing left"
		rm -rf "${TMP:?}/$id"
	else
		not_ok "run $i ($mode, exit_group from $who): status $want, deleted, nothing left"
		show "$TMP/$id/out" "$TMP/$id/err" "$LOGS/$id.log"
		ps -eo pid,stat,comm | diag
		failures=$((failures + 1))
		[ "$failures" -lt 3 ] || { echo "# three failures: giving up"; break; }
	fi
done
finish
