#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The daemon's privileges and its death (issue 11). The hook's daemon is two processes: the
# tracer (uid 65534, CAP_SYS_PTRACE and CAP_KILL only, no_new_privs, its own seccomp filter)
# and its parent, the janitor (root's ids, no capability: it removes the container's record
# when the tracer ends, and writes the tracer's death to the logs).
#   1. both, read from /proc while a container runs: ids, capability sets, NoNewPrivs, Seccomp
#   2. complain mode, kill -9 of the tracer: the container runs on; ID.log says the tracer died
#      (signal 9) and what that means; ID.jsonl has a tracer_died event (signal 9, complain)
#      that passes audit-validate; the container's record stays (the container runs)
#   3. enforce mode, kill -9 of the tracer: the container's init dies with it (EXITKILL); the
#      tracer_died event (enforce); the record is gone
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

status_line() { # PID KEY
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status" 2>/dev/null
}
record_of() { # ID: the record file naming container ID, if any
	grep -l -F "\"id\":\"$1\"" /run/octrace/containers/*.json 2>/dev/null |
		xargs -r grep -l -F "\"bundle\":\"$TMP/" 2>/dev/null
}

for mode in complain enforce; do
	id=death-$mode
	args=(--hook-arg=--policy="$POLICIES/deny.json")
	[ $mode = complain ] && args+=(--hook-arg=--complain)
	bundle "$id" "${args[@]}" -- /bin/busybox sleep 1000
	if ! create_start "$id" "$id"; then
		not_ok "$mode: the container starts"
		continue
	fi
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	if [ $mode = complain ]; then
		t="$(status_line "$tracer" Uid) $(status_line "$tracer" CapEff) $(status_line "$tracer" CapBnd) $(status_line "$tracer" NoNewPrivs) $(status_line "$tracer" Seccomp)"
		j="$(status_line "$janitor" Uid) $(status_line "$janitor" CapEff) $(status_line "$janitor" CapBnd) $(status_line "$janitor" NoNewPrivs)"
		if [ "$t" = "65534 65534 65534 65534 0000000000080020 0000000000080020 1 2" ] &&
			[ "$j" = "0 0 0 0 0000000000000000 0000000000000000 1" ]; then
			ok "1. tracer $tracer: uid 65534, CAP_SYS_PTRACE+CAP_KILL, no_new_privs, seccomp; janitor $janitor: root, no capability"
		else
			not_ok "1. tracer: uid 65534, CAP_SYS_PTRACE+CAP_KILL, no_new_privs, seccomp; janitor: root, no capability"
			echo "# tracer $tracer: $t"
			echo "# janitor $janitor: $j"
		fi
	fi
	kill -9 "$tracer"
	helper waitpid "$janitor" --timeout 30 || echo "# the janitor is still there"
	good=true
	line=$(grep -F "octrace: container $id: the tracer (pid $tracer) died (signal 9): " "$LOGS/$id.log")
	ev=$(jq -c --argjson t "$tracer" 'select(.event == "tracer_died" and .tracer == $t) |
		[.signal, .mode, .pid]' "$LOGS/$id.jsonl" 2>/dev/null)
	[ -n "$line" ] || { echo "# ID.log has no line for the tracer's death"; good=false; }
	[ "$ev" = "[9,\"$mode\",$init_pid]" ] || { echo "# tracer_died event: '$ev'"; good=false; }
	if [ -x "${AUDIT_VALIDATE:-}" ]; then
		"$AUDIT_VALIDATE" "$LOGS/$id.jsonl" >/dev/null 2>&1 ||
			{ echo "# $id.jsonl does not pass audit-validate"; good=false; }
	fi
	if [ $mode = complain ]; then
		[ -d "/proc/$init_pid" ] || { echo "# the init died with the tracer"; good=false; }
		[ -n "$(record_of "$id")" ] || { echo "# the record is gone"; good=false; }
		$good || show "$LOGS/$id.log"
		check "2. complain: kill -9 of the tracer: the container runs on; ID.log, tracer_died (signal 9), record kept" $good
	else
		helper waitpid "$init_pid" --timeout 30 || { echo "# the init survived its tracer"; good=false; }
		[ -z "$(record_of "$id")" ] || { echo "# the record is still there"; good=false; }
		$good || show "$LOGS/$id.log"
		check "3. enforce: kill -9 of the tracer: the init dies with it; ID.log, tracer_died (signal 9), record removed" $good
	fi
	rt kill "$id" KILL 2>/dev/null
	helper waitpid "$init_pid" --timeout 30
	rt delete -f "$id" 2>/dev/null
	# the record of a container whose tracer died stays until the next one of that id: ours
	rm -f "$(record_of "$id")" "$(record_of "$id" | sed 's/\.json$/.sock/')"
done
check "nothing left" clean
finish
