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
#   4. `octrace attach --container` of a complain-mode container whose tracer was killed: its
#      init (integ-prog lines: a getpgid per line it reads) gets getpgid = 0 while traced,
#      ENOSYS (38) once the tracer is gone, 0 again after the re-attach; the new tracer traces
#      it, the audit log has a reattach event whose `since` is the tracer_died event's time,
#      then the init's getpgid events again, and still passes audit-validate
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

status_line() { # PID KEY
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status" 2>/dev/null
}
record_of() { # ID: the record file naming container ID, if any
	# (the state as a runtime wrote it: compact from a hook, indented from `runtime state`)
	grep -lE "\"id\": ?\"$1\"" /run/octrace/containers/*.json 2>/dev/null |
		xargs -r grep -lE "\"bundle\": ?\"$TMP/" 2>/dev/null
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
# 4. re-attach
OCTRACE_BIN=$(dirname "$(realpath "$HOOK")")/../tracer/octrace
id=death-again
fifo=$ROOTFS/tmp/death.fifo
rm -f "$fifo"
mkfifo "$fifo"
exec {lines_fd}<>"$fifo"
bundle "$id" --hook-arg=--policy="$POLICIES/deny.json" --hook-arg=--complain \
	-- /bin/integ-prog lines /tmp/death.fifo
# one line in, one getpgid out: wait for the Nth output line
ask() { ask_line "$lines_fd" "$id" "$1"; } # N: the Nth answer
good=true
if create_start "$id" "$id"; then
	a1=$(ask 1)
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	kill -9 "$tracer"
	helper waitpid "$janitor" --timeout 30
	a2=$(ask 2)
	root_args=()
	root_args=(--root "$TMP/state")
	"$OCTRACE_BIN" attach --container "$id" --runtime "$RT" "${root_args[@]}" \
		>"$TMP/reattach.out" 2>&1
	st=$?
	a3=$(ask 3)
	read -r tracer2 _ <<<"$(daemon_of "$init_pid")"
	[ "$a1 | $a2 | $a3" = "getpgid: 0 errno 0 | getpgid: -1 errno 38 | getpgid: 0 errno 0" ] ||
		{ echo "# answers: $a1 | $a2 | $a3"; good=false; }
	[ "$st" = 0 ] || { echo "# octrace attach --container: status $st"; show "$TMP/reattach.out"; good=false; }
	[ -n "$tracer2" ] && [ "$tracer2" != "$tracer" ] || { echo "# tracer after: '$tracer2'"; good=false; }
	# one record for the container, where execs look (the re-attach keyed it by the runtime's
	# --root as the first hook did), with a daemon listening on its join socket
	recs=$(record_of "$id")
	[ "$(wc -w <<<"$recs")" = 1 ] && ss -xl 2>/dev/null | grep -qF "${recs%.json}.sock" ||
		{ echo "# records after the re-attach: '$recs'"; good=false; }
	died=$(jq -r 'select(.event == "tracer_died") | .time' "$LOGS/$id.jsonl" 2>/dev/null)
	since=$(jq -r 'select(.event == "reattach") | .since' "$LOGS/$id.jsonl" 2>/dev/null)
	[ -n "$died" ] && [ "$since" = "$died" ] || { echo "# tracer_died at '$died', reattach since '$since'"; good=false; }
	n=$(jq -s --argjson p "$init_pid" '(map(.event == "reattach") | index(true)) as $r |
		.[$r + 1:] | map(select(.event == "syscall" and .syscall == "getpgid" and .pid == $p)) |
		length' "$LOGS/$id.jsonl" 2>/dev/null)
	[ "${n:-0}" -ge 1 ] || { echo "# no getpgid event of the init after the reattach"; good=false; }
	if [ -x "${AUDIT_VALIDATE:-}" ]; then
		"$AUDIT_VALIDATE" "$LOGS/$id.jsonl" >/dev/null 2>&1 ||
			{ echo "# $id.jsonl does not pass audit-validate"; good=false; }
	fi
	$good || show "$LOGS/$id.log" "$LOGS/$id.jsonl"
else
	good=false
fi
check "4. octrace attach --container after the tracer died: getpgid 0, ENOSYS, 0 again; reattach event since the death; one record, its join socket live; audited again" $good
exec {lines_fd}>&-
remove_container "$id"
check "nothing left" clean
finish
