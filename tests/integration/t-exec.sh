#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# `octrace-runtime exec` (issue 10): a process exec'd into a container that octrace traces is
# traced too. The containers are created through octrace-runtime (its runtime.json puts
# octrace-hook, enforcing deny.json, in hooks.prestart); every exec goes through it as well,
# which asks the container's daemon (its join socket) to trace it, then execs the real runtime.
#   1. exec of a probe: getpgid -> errno 42, mkdirat -> 13, its status passes through; the
#      audit log (the container's own ID.jsonl) has a join event with the probe's argv, uid,
#      gid, cwd, followed by the probe's syscall events with the same pid, and a leave event
#      with its status; ID.log says "process WRAPPER joins" and "joined process P exited,
#      status S"; every line passes audit-validate ($AUDIT_VALIDATE)
#   2. exec of a multi-threaded program: every thread is denied
#   3. the exit_group race (integ-prog threads), 20 execs, 5 at a time, while the init keeps
#      running: each exec's own status, no hang, nothing of the execs left, init still there
#   4. exec -d: the detached process is still enforced after the runtime has exited (and its
#      child too); then `kill KILL` while execs run: everything torn down
#   5. exec into the stopped container: fails as the runtime's own exec fails
#   6. exec --process FILE (as containerd passes it) --pid-file FILE: enforced the same
#   7. the bare runtime's exec: its program never runs (the exec barrier in config.json's
#      linux.seccomp: nobody traces it, its execve fails with ENOSYS)
#   8. a container octrace does not trace ("trace": "annotated", no annotation): exec passes
#      straight through (getpgid succeeds, no log)
#   9. the container's daemon is gone (kill -9): the exec fails, status 1, one line in the
#      runtime's --log (json), and the command never runs
#  10. runtime.json names the hook at another path than the container's config.json: the exec
#      is still traced or refused, never untraced (fails today: it passes through)
# Every wrapper and runtime process carries the test's tag (it is in their environment), so
# `helper clean` also waits for them; during check 3 the init and its daemon are excepted.
# Usage: t-exec.sh RUNTIME HOOK PROG none OCTRACE-RUNTIME.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] && skip_all "octrace-runtime was not built"
WRAPPER=$(realpath -e "$WRAPPER") || skip_all "octrace-runtime was not built"
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
setup

# runtime_json FILE TRACE [POLICY]: octrace-runtime's configuration, the build's hook.
runtime_json() {
	jq -n --arg rt "$RT" --arg hook "$HOOK" --arg trace "$2" \
		--arg policy "${3:-$POLICIES/deny.json}" --arg logs "$LOGS" \
		'{runtime: $rt, trace: $trace, hook: {path: $hook,
			args: ["octrace-hook", "--policy", $policy, "--log-dir", $logs,
				"--audit-rate", "0"]}}' >"$1"
}
CONF=$TMP/runtime.json
runtime_json "$CONF" all

# The wrapper with the runtime's global options; crun's create and run go through the private
# cgroup2 mount namespace, as rt_cg does (lib.sh). The environment carries the test's tag.
W_CMD=("$WRAPPER" "${RT_CMD[@]:1}")
if [ "$RT" = crun ]; then
	W_CG_CMD=(unshare -m sh -c 'umount -l /sys/fs/cgroup &&
		mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "${W_CMD[@]}")
else
	W_CG_CMD=("${W_CMD[@]}")
fi
wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$CONF")
w() { "${wenv[@]}" timeout -k 5 60 "${W_CMD[@]}" "$@"; }
w_cg() { "${wenv[@]}" timeout -k 5 60 "${W_CG_CMD[@]}" "$@"; }
# w_pid FILE ARGS...: w, with the wrapper's own pid written to FILE first.
w_pid() {
	local f=$1
	shift
	"${wenv[@]}" timeout -k 5 60 sh -c 'echo $$ >"$0"; exec "$@"' "$f" "${W_CMD[@]}" "$@"
}
rt_exec() { timeout -k 5 60 "${RT_CMD[@]}" exec "$@"; }

# q ID JQ-ARGS...: jq -r over LOG_DIR/ID.jsonl.
q() {
	local id=$1
	shift
	jq -r "$@" "$LOGS/$id.jsonl"
}
# join_pid ID ARGV-JSON: the pid of the join event whose argv is ARGV-JSON.
join_pid() {
	grep -F '"event":"join"' "$LOGS/$1.jsonl" | jq -r --argjson a "$2" 'select(.argv == $a) | .pid'
}
# denied ID: "pid tid" of every getpgid denied with errno 42.
denied() {
	q "$1" 'select(.event == "syscall" and .syscall == "getpgid" and
		.action == "SCMP_ACT_ERRNO" and .errno == 42) | "\(.pid) \(.tid)"'
}

# valid FILE: audit-validate accepts every line of a non-empty FILE.
valid() {
	local out lines
	lines=$(wc -l <"$1" 2>/dev/null) || return 1
	out=$("$AUDIT_VALIDATE" "$1" 2>&1) && [ "$out" = "$lines lines valid" ] && [ "$lines" -gt 0 ] &&
		return 0
	echo "# audit-validate: $out"
	return 1
}

state_of() { # ID FIELD
	rt state "$1" 2>/dev/null | jq -r ".$2"
}
tracer_of() { # PID
	awk '$1 == "TracerPid:" { print $2 }' "/proc/$1/status" 2>/dev/null
}
probe_out() { # ERRNO-OF-GETPGID ERRNO-OF-MKDIRAT
	printf 'getpgid: -1 errno %s\nmkdirat: -1 errno %s\n' "$1" "$2"
}

# start ID NAME HOW: a container of bundle NAME (no hook of its own: the wrapper adds it) through
# the wrapper, HOW run (run -d) or create (create, then start); sets $init_pid.
start() {
	local id=$1 dir=$TMP/$2
	init_pid=
	if [ "$3" = run ]; then
		w_cg run -d --bundle "$dir" "$id" >"$dir/out" 2>"$dir/err" </dev/null ||
			{ echo "# wrapper run -d $id failed"; show "$dir/err" "$dir/hook.err"; return 1; }
	else
		w_cg create --bundle "$dir" "$id" >"$dir/out" 2>"$dir/err" </dev/null ||
			{ echo "# wrapper create $id failed"; show "$dir/err" "$dir/hook.err"; return 1; }
		w start "$id" 2>>"$dir/err" || { echo "# wrapper start $id failed"; show "$dir/err"; return 1; }
	fi
	init_pid=$(state_of "$id" pid)
	[ "$(state_of "$id" status)" = running ] && [ -n "$init_pid" ] && [ "$init_pid" != 0 ] ||
		{ echo "# $id is not running"; rt state "$id" 2>&1 | diag; return 1; }
}

# procs_gone: no process of the test left (lib.sh's clean also wants no container in the
# runtime's state; a stopped one is still there until `delete`).
procs_gone() { helper clean --tag "$TAG" --dir "$TMP" --timeout 30; }

# stop ID: kill the container, wait for everything of the test to be gone, delete it.
stop() {
	local rc=0
	rt kill "$1" KILL 2>/dev/null
	procs_gone || rc=1
	rt delete -f "$1" 2>/dev/null
	clean || rc=1
	return $rc
}
# init_status ID: the status of octrace's "init exited" line.
init_status() {
	sed -n "s/.*octrace: container $1: init exited, status \([0-9]*\)\$/\1/p" "$LOGS/$1.log" 2>/dev/null
}

sleeper=(sh -c 'exec /bin/busybox sleep 1000')

# ---- e1: a sleeping init, `run -d` through the wrapper: checks 1, 2, 3, 6, 7 ----
bundle c1 --no-hook -- "${sleeper[@]}"
if ! start e1 c1 run; then
	not_ok "$RT: wrapper run -d of e1, traced"
	finish
fi
e1_init=$init_pid
e1_daemon=$(tracer_of "$e1_init")
read -r _ e1_janitor <<<"$(daemon_of "$e1_init")"
if grep -q "octrace: container e1: attached to pid $e1_init, " "$LOGS/e1.log" 2>/dev/null &&
	[ -n "$e1_daemon" ] && [ "$e1_daemon" != 0 ]; then
	ok "$RT: wrapper run -d: e1's init $e1_init traced by $e1_daemon (octrace's log says so)"
else
	not_ok "$RT: wrapper run -d: e1's init $e1_init traced (octrace's log says so)"
	show "$LOGS/e1.log" "$TMP/c1/err" "$TMP/c1/hook.err"
fi

# 1. exec of the probe.
w_pid "$TMP/1.wpid" exec e1 /bin/integ-prog probe 3 >"$TMP/1.out" 2>"$TMP/1.err" </dev/null
status=$?
wpid=$(cat "$TMP/1.wpid")
if [ "$status" = 3 ] && [ "$(cat "$TMP/1.out")" = "$(probe_out 42 13)" ] && [ ! -s "$TMP/1.err" ]; then
	ok "1. exec probe: getpgid errno 42, mkdirat errno 13, status 3 passes through"
else
	not_ok "1. exec probe: getpgid errno 42, mkdirat errno 13, status 3 passes through (status $status)"
	show "$TMP/1.out" "$TMP/1.err" "$LOGS/e1.log"
fi
# the daemon writes its last lines after the runtime has returned: wait for it
helper clean --tag "$TAG" --dir "$TMP" --timeout 30 --except "$e1_init" \
	--except "$e1_daemon" --except "${e1_janitor:-0}" >/dev/null
jpid=$(join_pid e1 '["/bin/integ-prog","probe","3"]')
good=true
[ -n "$jpid" ] && [ "$(wc -w <<<"$jpid")" = 1 ] || { echo "# join events for the probe: '$jpid'"; good=false; }
if $good; then
	got=$(q e1 --argjson p "$jpid" 'select(.event == "join" and .pid == $p) |
		"\(.tid) \(.uid) \(.gid) \(.cwd)"')
	[ "$got" = "$jpid 0 0 /" ] || { echo "# join event: tid uid gid cwd '$got'"; good=false; }
	# the syscall events of the probe come after the join, with its pid
	got=$(q e1 -s --argjson p "$jpid" '(map(.event == "join" and .pid == $p) | index(true)) as $j |
		.[$j + 1:] | map(select(.event == "syscall" and .comm == "integ-prog" and
		(.syscall == "getpgid" or .syscall == "mkdirat") and
		.pid == $p)) | map("\(.syscall) \(.errno)") | join(",")')
	[ "$got" = "getpgid 42,mkdirat 13" ] ||
		{ echo "# the probe's syscall events after its join: '$got'"; good=false; }
	got=$(q e1 --argjson p "$jpid" 'select(.event == "syscall" and .pid != $p and
		(.syscall == "getpgid" or .syscall == "mkdirat")) | .pid' | wc -l)
	[ "$got" = 0 ] || { echo "# $got getpgid/mkdirat events of another pid"; good=false; }
fi
$good || { show "$LOGS/e1.jsonl"; }
check "1. audit: a join event (argv, uid 0, gid 0, cwd /) then the probe's denials, same pid" $good
if grep -q "container e1: process $wpid joins\$" "$LOGS/e1.log" &&
	grep -q "container e1: joined process $jpid exited, status 3\$" "$LOGS/e1.log" &&
	[ "$(q e1 --argjson p "${jpid:-0}" 'select(.event == "leave" and .pid == $p) | .status')" = 3 ]; then
	ok "1. ID.log: process $wpid (the wrapper) joins; joined process $jpid exited, status 3; a leave event"
else
	not_ok "1. ID.log: process $wpid (the wrapper) joins; joined process exited, status 3; a leave event"
	show "$LOGS/e1.log"
fi
if [ -x "${AUDIT_VALIDATE:-}" ]; then
	check "1. every line of e1.jsonl passes audit-validate" valid "$LOGS/e1.jsonl"
elif [ "${CI:-}" = true ]; then
	not_ok "1. every line of e1.jsonl passes audit-validate (AUDIT_VALIDATE not built; CI=true)"
else
	ok "1. every line of e1.jsonl passes audit-validate # SKIP AUDIT_VALIDATE not built"
fi

# 2. Two threads (and the leader) hammering getpgid; exit_group(21) from a third once both
# have been denied: any allowed getpgid makes integ-prog exit 100.
w exec e1 /bin/integ-prog threads 2 21 thread >"$TMP/2.out" 2>"$TMP/2.err" </dev/null
status=$?
helper clean --tag "$TAG" --dir "$TMP" --timeout 30 --except "$e1_init" \
	--except "$e1_daemon" --except "${e1_janitor:-0}" >/dev/null
jpid=$(join_pid e1 '["/bin/integ-prog","threads","2","21","thread"]')
tids=$(denied e1 | awk -v p="${jpid:-x}" '$1 == p { print $2 }' | sort -u | wc -l)
allowed=$(q e1 --argjson p "${jpid:-0}" 'select(.event == "syscall" and .pid == $p and
	.syscall == "getpgid" and .action != "SCMP_ACT_ERRNO")' | wc -l)
if [ "$status" = 21 ] && [ -n "$jpid" ] && [ "$tids" -ge 2 ] && [ "$allowed" = 0 ]; then
	ok "2. exec of 2 threads hammering getpgid: every thread denied ($tids threads in the audit), status 21"
else
	not_ok "2. exec of 2 threads hammering getpgid: every thread denied, status 21 (status $status, join pid '$jpid', $tids threads denied, $allowed allowed)"
	show "$TMP/2.out" "$TMP/2.err"
fi

# 3. The exit_group race, 20 execs, 5 at a time, each with its own status.
good=true
declare -A st3
for batch in 0 1 2 3; do
	pids=()
	for j in 1 2 3 4 5; do
		i=$((batch * 5 + j))
		who=main
		[ $((i % 2)) = 0 ] && who=thread
		w exec e1 /bin/integ-prog threads 3 $((40 + i)) $who \
			>"$TMP/3.$i.out" 2>"$TMP/3.$i.err" </dev/null &
		pids+=($!)
	done
	for j in 1 2 3 4 5; do
		i=$((batch * 5 + j))
		wait "${pids[$((j - 1))]}"
		st3[$i]=$?
	done
done
bad=
for i in $(seq 1 20); do
	[ "${st3[$i]}" = $((40 + i)) ] || bad+=" exec $i: ${st3[$i]} (want $((40 + i)))"
done
[ -z "$bad" ] || { echo "# statuses:$bad"; good=false; }
clean_ok=true
helper clean --tag "$TAG" --dir "$TMP" --timeout 30 --except "$e1_init" --except "$e1_daemon" --except "${e1_janitor:-0}" ||
	clean_ok=false
for i in $(seq 1 20); do
	grep -Eq "joined process [0-9]+ exited, status $((40 + i))\$" "$LOGS/e1.log" ||
		{ echo "# ID.log: no \"joined process exited, status $((40 + i))\""; good=false; }
done
n=$(q e1 'select(.event == "join" and .argv[1] == "threads" and .argv[2] == "3") | .pid' | sort -u | wc -l)
[ "$n" = 20 ] || { echo "# $n join events for the 20 execs"; good=false; }
$good || show "$TMP/3.1.err" "$TMP/3.2.err"
check "3. exit_group race, 20 execs 5 at a time: each exits with its own status, no hang" $good
check "3. nothing of the execs left (wrappers, runtimes, daemons, processes, ptrace stops)" $clean_ok
if [ "$(state_of e1 status)" = running ] && [ -d "/proc/$e1_init" ] &&
	[ -n "$e1_daemon" ] && [ "$e1_daemon" != 0 ] && [ "$(tracer_of "$e1_init")" = "$e1_daemon" ]; then
	ok "3. the init ($e1_init) still running, still traced by its daemon ($e1_daemon)"
else
	not_ok "3. the init ($e1_init) still running, still traced by its daemon ($e1_daemon)"
	rt state e1 2>&1 | diag
fi

# 6. --process FILE (the container's process with other args, as containerd writes it) and
# --pid-file.
jq '.process | .args = ["/bin/integ-prog", "probe", "6"] | .terminal = false' \
	"$TMP/c1/config.json" >"$TMP/6.process.json"
w exec --process "$TMP/6.process.json" --pid-file "$TMP/6.pid" e1 \
	>"$TMP/6.out" 2>"$TMP/6.err" </dev/null
status=$?
helper clean --tag "$TAG" --dir "$TMP" --timeout 30 --except "$e1_init" --except "$e1_daemon" --except "${e1_janitor:-0}" \
	>/dev/null
ppid6=$(cat "$TMP/6.pid" 2>/dev/null)
jpid=$(join_pid e1 '["/bin/integ-prog","probe","6"]')
if [ "$status" = 6 ] && [ "$(cat "$TMP/6.out")" = "$(probe_out 42 13)" ]; then
	ok "6. exec --process FILE --pid-file: getpgid errno 42, mkdirat errno 13, status 6"
else
	not_ok "6. exec --process FILE --pid-file: getpgid errno 42, mkdirat errno 13, status 6 (status $status)"
	show "$TMP/6.out" "$TMP/6.err"
fi
if [ -n "$ppid6" ] && [ "$jpid" = "$ppid6" ] &&
	[ "$(denied e1 | awk -v p="$ppid6" '$1 == p' | wc -l)" = 1 ]; then
	ok "6. the --pid-file's pid ($ppid6) is the join event's and the denied getpgid's"
else
	not_ok "6. the --pid-file's pid ('$ppid6') is the join event's ('$jpid') and the denied getpgid's"
fi

# 7. The bare runtime's exec on the same container: its program must never run.
rt_exec e1 /bin/integ-prog probe 7 >"$TMP/7.out" 2>"$TMP/7.err" </dev/null
status=$?
if [ ! -s "$TMP/7.out" ] && [ "$status" != 0 ]; then
	ok "7. bare $RT exec into a traced container: its program never runs (status $status: $(head -c 200 "$TMP/7.err"))"
else
	not_ok "7. bare $RT exec into a traced container: its program never runs (status $status)"
	show "$TMP/7.out" "$TMP/7.err"
fi
rmdir "$ROOTFS/probe-dir" 2>/dev/null # the bare exec's mkdirat may have created it

# 10. runtime.json names the same hook at another path than the container's config.json does
# (octrace-hook moved or reinstalled elsewhere since the container was created): the exec must
# still be traced, or refused; never run untraced.
ln -s "$HOOK" "$TMP/octrace-hook-moved"
CONF=$TMP/runtime-moved.json
jq --arg h "$TMP/octrace-hook-moved" '.hook.path = $h' "$TMP/runtime.json" >"$CONF"
wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$CONF")
w exec e1 /bin/integ-prog probe 10 >"$TMP/10.out" 2>"$TMP/10.err" </dev/null
status=$?
if grep -Eq '^getpgid: [0-9]+ errno 0$' "$TMP/10.out"; then
	not_ok "10. hook path in runtime.json changed since create: exec traced or refused, never untraced (it ran UNTRACED: $(head -1 "$TMP/10.out"), status $status)"
	show "$TMP/10.out" "$TMP/10.err"
elif grep -qx 'getpgid: -1 errno 42' "$TMP/10.out" || [ "$status" != 0 ]; then
	ok "10. hook path in runtime.json changed since create: exec traced or refused ($(head -1 "$TMP/10.out"), status $status)"
else
	not_ok "10. hook path in runtime.json changed since create: exec traced or refused (no output, status $status)"
	show "$TMP/10.out" "$TMP/10.err"
fi
rmdir "$ROOTFS/probe-dir" 2>/dev/null
CONF=$TMP/runtime.json
wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$CONF")

# The in-kernel enforce-mode filter could not be put on some exec'd processes (crun exec
# without --process: no no_new_privs and no CAP_SYS_ADMIN); octrace then applies KILL and TRAP
# itself. Recorded, not a failure.
n=$(grep -c "enforce-mode filter not installed" "$LOGS/e1.log")
echo "# e1.log: \"enforce-mode filter not installed\" for $n exec'd processes"

check "e1: kill KILL, nothing left" stop e1

# ---- e2: create + start through the wrapper: checks 4, 5 ----
bundle c2 --no-hook -- "${sleeper[@]}"
if start e2 c2 create; then
	# 4a. exec -d of a hammer (2 threads and a child process): still enforced after the
	# runtime has exited.
	mkfifo "$TMP/4d.fifo" "$TMP/4f.fifo"
	exec {dfd}<>"$TMP/4d.fifo"
	good=true
	w exec -d --pid-file "$TMP/4d.pid" e2 /bin/integ-prog hammer 2 \
		>"$TMP/4d.fifo" 2>"$TMP/4d.err" </dev/null
	status=$?
	[ "$status" = 0 ] || { echo "# exec -d returned $status"; good=false; }
	line=
	read -r -t 30 -u "$dfd" line
	[ "$line" = ready ] || { echo "# no \"ready\" from the detached hammer (got '$line')"; good=false; }
	dpid=$(cat "$TMP/4d.pid" 2>/dev/null)
	dtracer=$(tracer_of "${dpid:-0}")
	# traced by the container's own daemon, the init's tracer
	if $good && [ -n "$dpid" ] && [ -d "/proc/$dpid" ] && [ -n "$dtracer" ] && [ "$dtracer" != 0 ] &&
		[ "$dtracer" = "$(tracer_of "$init_pid")" ]; then
		# The hammers fill the audit log fast (~100 MB): only what is appended from here on
		# (its first 4 MB) is looked at, with grep.
		size1=$(stat -c %s "$LOGS/e2.jsonl")
		# another exec in between: the detached one keeps being denied meanwhile
		w exec e2 /bin/integ-prog probe 4 >"$TMP/4p.out" 2>"$TMP/4p.err" </dev/null
		status=$?
		[ "$status" = 4 ] && [ "$(cat "$TMP/4p.out")" = "$(probe_out 42 13)" ] ||
			{ echo "# the second exec: status $status"; show "$TMP/4p.out" "$TMP/4p.err"; good=false; }
		[ -d "/proc/$dpid" ] && [ "$(tracer_of "$dpid")" = "$dtracer" ] ||
			{ echo "# the detached hammer $dpid died or lost its tracer (an allowed getpgid makes it exit 100)"; good=false; }
		# "pid tid" of the getpgid denials appended since, the probe's excepted
		pp=$(join_pid e2 '["/bin/integ-prog","probe","4"]')
		tail -c +$((size1 + 1)) "$LOGS/e2.jsonl" | head -c 4000000 |
			grep -F '"syscall":"getpgid"' | grep -F '"action":"SCMP_ACT_ERRNO","errno":42' |
			sed -n 's/.*"pid":\([0-9]*\),"tid":\([0-9]*\),.*/\1 \2/p' |
			awk -v pp="${pp:-x}" '$1 != pp' >"$TMP/4d.denied"
		n2=$(awk -v p="$dpid" '$1 == p' "$TMP/4d.denied" | wc -l)
		[ "$n2" -gt 0 ] ||
			{ echo "# no denied getpgid of the detached pid after the runtime exited"; good=false; }
		# its child process (forked before its threads): denied too
		kids=$(awk -v p="$dpid" '$1 != p { print $1 }' "$TMP/4d.denied" | sort -u | wc -l)
		[ "$kids" = 1 ] || { echo "# $kids other processes with denied getpgid (want the child)"; good=false; }
		echo "# detached pid $dpid traced by $dtracer: $n2 denied getpgid among the next lines"
	else
		echo "# detached pid '$dpid', tracer '$dtracer'"
		good=false
	fi
	$good || show "$TMP/4d.err" "$LOGS/e2.log"
	check "4. exec -d: the detached hammer (and its child) still enforced after the runtime exited" $good

	# 4b. two more execs in the foreground, then kill KILL of the container.
	exec {ffd}<>"$TMP/4f.fifo"
	fpids=()
	for k in 1 2; do
		w exec e2 /bin/integ-prog hammer 1 >"$TMP/4f.fifo" 2>"$TMP/4f.$k.err" </dev/null &
		fpids+=($!)
	done
	good=true
	for k in 1 2; do
		line=
		read -r -t 30 -u "$ffd" line
		[ "$line" = ready ] || { echo "# foreground hammer $k: no \"ready\" (got '$line')"; good=false; }
	done
	w kill e2 KILL 2>"$TMP/4k.err" || { echo "# wrapper kill e2 KILL failed"; show "$TMP/4k.err"; good=false; }
	fst=
	for p in "${fpids[@]}"; do
		wait "$p"
		fst+=" $?"
	done
	echo "# the foreground execs returned:$fst"
	grep -qE '(^| )12[45]( |$)' <<<"$fst" && { echo "# an exec timed out"; good=false; }
	exec {dfd}<&- {ffd}<&-
	clean_ok=true
	procs_gone || clean_ok=false
	[ "$(init_status e2)" = 137 ] || { echo "# log: init status '$(init_status e2)', want 137"; good=false; }
	n=$(grep -Ec "container e2: joined process [0-9]+ exited, (status|signal)" "$LOGS/e2.log")
	[ "$n" = 4 ] || { echo "# $n \"joined process exited\" lines, want 4"; good=false; }
	$good || show "$LOGS/e2.log"
	check "4. kill KILL while 3 execs run: the execs return, init status 137" $good
	check "4. nothing left: no process, no task in ptrace stop, no daemon" $clean_ok

	# 5. The container is stopped: the wrapper's exec fails as the runtime's own.
	if [ "$(state_of e2 status)" = stopped ]; then
		n_before=$(grep -c " joins\$" "$LOGS/e2.log")
		w exec e2 /bin/integ-prog probe 5 >"$TMP/5w.out" 2>"$TMP/5w.err" </dev/null
		sw=$?
		rt_exec e2 /bin/integ-prog probe 5 >"$TMP/5r.out" 2>"$TMP/5r.err" </dev/null
		sr=$?
		msg() { sed -e 's/time="[^"]*" //' "$1"; }
		if [ "$sw" = "$sr" ] && [ "$sw" != 0 ] && [ "$(msg "$TMP/5w.err")" = "$(msg "$TMP/5r.err")" ] &&
			[ ! -s "$TMP/5w.out" ]; then
			ok "5. exec into the stopped container: fails as $RT exec does (status $sw, same message)"
		else
			not_ok "5. exec into the stopped container: fails as $RT exec does (wrapper $sw, $RT $sr)"
			show "$TMP/5w.out" "$TMP/5w.err" "$TMP/5r.err"
		fi
		check "5. no join attempted for a stopped container" \
			[ "$(grep -c " joins\$" "$LOGS/e2.log")" = "$n_before" ]
	else
		not_ok "5. exec into the stopped container (e2 is '$(state_of e2 status)', not stopped)"
	fi
	rt delete -f e2 2>/dev/null
	check "e2: deleted, nothing left" clean
else
	not_ok "4. wrapper create + start of e2"
	clean
fi

# ---- e3: "trace": "annotated", no annotation: check 8 ----
CONF=$TMP/runtime-annotated.json
runtime_json "$CONF" annotated
wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$CONF")
bundle c3 --no-hook -- "${sleeper[@]}"
if start e3 c3 run; then
	w exec e3 /bin/integ-prog probe 8 >"$TMP/8.out" 2>"$TMP/8.err" </dev/null
	status=$?
	if [ "$status" = 8 ] && grep -Eq '^getpgid: [0-9]+ errno 0$' "$TMP/8.out" &&
		grep -qx 'mkdirat: 0 errno 0' "$TMP/8.out" && [ ! -e "$LOGS/e3.log" ] &&
		[ "$(jq -c .hooks "$TMP/c3/config.json")" = null ] && [ "$(tracer_of "$init_pid")" = 0 ]; then
		ok "8. untraced container (annotated, no annotation): exec passes through, getpgid succeeds, status 8, no log"
	else
		not_ok "8. untraced container (annotated, no annotation): exec passes through, getpgid succeeds, status 8, no log (status $status)"
		show "$TMP/8.out" "$TMP/8.err" "$LOGS/e3.log"
	fi
	rmdir "$ROOTFS/probe-dir" 2>/dev/null
else
	not_ok "8. wrapper run -d of an untraced container"
fi
check "e3: kill KILL, nothing left" stop e3

# ---- e4: the container's daemon is gone (kill -9, in audit mode so that the init lives on):
# check 9 ----
CONF=$TMP/runtime-complain.json
jq '.hook.args += ["--complain"]' "$TMP/runtime-annotated.json" | jq '.trace = "all"' >"$CONF"
wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$CONF")
bundle c4 --no-hook -- "${sleeper[@]}"
if start e4 c4 run; then
	d4=$(tracer_of "$init_pid")
	[ -n "$d4" ] && [ "$d4" != 0 ] && kill -9 "$d4"
	helper waitpid "${d4:-0}" --timeout 10 >/dev/null 2>&1
	w --log "$TMP/9.log" --log-format json exec e4 /bin/touch /marker-e4 \
		>"$TMP/9.out" 2>"$TMP/9.err" </dev/null
	status=$?
	line=$(cat "$TMP/9.log" 2>/dev/null)
	if [ "$status" = 1 ] && [ "$(wc -l <"$TMP/9.log")" = 1 ] &&
		[ "$(jq -r .level <<<"$line")" = error ] &&
		jq -r .msg <<<"$line" | grep -q '^octrace-runtime: container e4: cannot trace the process joining it: ' &&
		[ ! -e "$ROOTFS/marker-e4" ] && [ ! -s "$TMP/9.out" ]; then
		ok "9. the container's daemon is gone: exec fails, status 1, one json line in --log, not run"
		echo "# $line"
	else
		not_ok "9. the container's daemon is gone: exec fails, status 1, one json line in --log, not run (status $status)"
		show "$TMP/9.log" "$TMP/9.out" "$TMP/9.err"
		ls "$ROOTFS" | diag
	fi
else
	not_ok "9. wrapper run -d of e4"
fi
check "e4: kill KILL, nothing left" stop e4
finish
