#!/bin/bash
# The command line contract: check on every valid policy, --summary's table, --complain
# (records, allows everything), exit statuses (the command's own, 128+N for a signal, 126/127
# when it cannot be executed, 2 for usage errors with one line on stderr, 125 when octrace
# cannot attach).
. "$(dirname "$0")/lib.sh"

for f in "$P"/*.json; do
	run "$OCTRACE" check "$f"
	ok "$ST" "check ${f##*/}: valid, exit 0" "exit status $ST, stderr: $ERR"
done

# summary_rows: the table on stderr, whitespace normalised, header first, rows sorted.
summary_rows() {
	local header
	header=$(grep -E '^[[:space:]]*syscall[[:space:]]+calls[[:space:]]+errors[[:space:]]+action[[:space:]]*$' <<<"$ERR" | awk '{$1=$1; print}')
	echo "$header"
	[ -n "$header" ] && sed -n '/^[[:space:]]*syscall[[:space:]]/,$p' <<<"$ERR" | sed 1d | awk 'NF {$1=$1; print}' | sort
}

# --summary: one row per syscall and action that stopped, allowed calls never stop.
run "$OCTRACE" run --summary --policy "$P/deny.json" -- "$B/sysprobe" mkdir:0 mkdir:0 mkdirat:0,0 \
	getppid:1 getppid:53730
ok "$ST" "--summary: exit 0" "exit status $ST, stderr: $ERR"
is "$OUT" "mkdir:0 = -1 EACCES
mkdir:0 = -1 EACCES
mkdirat:0,0 = -1 EACCES
getppid:1 = pid
getppid:53730 = killed SIGSYS" "--summary: the program's output is unchanged"
is "$(summary_rows)" "syscall calls errors action
getppid 1 0 SCMP_ACT_KILL_PROCESS
mkdir 2 2 SCMP_ACT_ERRNO(13)
mkdirat 1 1 SCMP_ACT_ERRNO(13)" "--summary: the table counts each denied syscall with its action"

# --complain: every probe behaves as with no policy at all, and the summary still records
# what the policy would have done.
probes_all=(getppid:1 getppid:2 getppid:5 getppid:7 getppid:8 getppid:9 umask:63+umask:18)
run "$B/sysprobe" "${probes_all[@]}"
direct=$OUT
run "$OCTRACE" run --complain --policy "$P/actions.json" -- "$B/sysprobe" "${probes_all[@]}"
ok "$ST" "--complain: exit 0" "exit status $ST, stderr: $ERR"
is "$OUT" "$direct" "--complain: the program sees no policy at all"
run "$OCTRACE" run --complain --summary --policy "$P/deny.json" -- "$B/sysprobe" mkdir:0 \
	getppid:53730 getppid:53731
is "$OUT" "mkdir:0 = -1 EFAULT
getppid:53730 = pid
getppid:53731 = pid" "--complain --summary: denied calls run"
is "$(summary_rows)" "syscall calls errors action
getppid 1 0 SCMP_ACT_KILL_PROCESS
getppid 1 0 SCMP_ACT_TRAP
mkdir 1 0 SCMP_ACT_ERRNO(13)" "--complain --summary: the table records what the policy would have done"

# Exit statuses.
run "$OCTRACE" run -- sh -c 'exit 3'
is "$ST" 3 "run: the command's exit status"
run "$OCTRACE" run --policy "$P/deny.json" -- sh -c 'kill -USR2 $$'
is "$ST" 140 "run: 128+N when signal N killed the command"
run "$OCTRACE" run -- /nonexistent/octrace-cmd
is "$ST" 127 "run: 127 for a command that does not exist"
printf '#!/bin/sh\nexit 0\n' >"$T/noexec"
chmod 644 "$T/noexec"
run "$OCTRACE" run --policy "$P/deny.json" -- "$T/noexec"
is "$ST" 126 "run: 126 for a command found but not executable"
run "$OCTRACE" run -- true
is "$ST" 0 "run: CMD is looked up in PATH"

# usage_error DESC ARGS...: exit 2, one line on stderr, nothing run (args end in a touch).
usage_error() {
	local desc=$1
	shift
	rm -f "$T/marker"
	run "$OCTRACE" "$@"
	ok $((ST != 2)) "$desc: exit 2" "exit status $ST"
	is "$(wc -l <<<"$ERR")" 1 "$desc: one line on stderr" || diag "stderr: $ERR"
	[ ! -e "$T/marker" ]
	ok $? "$desc: nothing was run"
}
usage_error "no command"
usage_error "unknown command" frobnicate -- touch "$T/marker"
usage_error "run without CMD" run
usage_error "run with an unknown option" run --frobnicate -- touch "$T/marker"
usage_error "run --policy without its argument" run --policy
usage_error "attach without PID" attach
usage_error "attach with a PID that is not a number" attach 12x
usage_error "check without POLICY" check
usage_error "check with two files" check "$P/deny.json" "$P/ops.json"

run "$OCTRACE" --help
ok "$ST" "--help: exit 0" "exit status $ST"
grep -q 'octrace run' <<<"$OUT"
ok $? "--help: prints the usage"

# A pid that does not exist: octrace cannot attach, its own failure.
pid=4000000
while [ -e "/proc/$pid" ]; do pid=$((pid + 1)); done
run "$OCTRACE" attach --arm-now --policy "$P/deny.json" "$pid"
is "$ST" 125 "attach to a pid that does not exist: 125"

finish
