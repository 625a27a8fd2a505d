#!/bin/bash
# When octrace itself goes away (docs/kernel-behaviours.md §13, 14):
#   kill -9 of octrace while the tracee's threads sit in seccomp stops of a denied mkdir: the
#   tracee dies with it (PTRACE_O_EXITKILL) and the pending mkdir never runs (without EXITKILL
#   the kernel would run it: the marker directory would appear);
#   SIGTERM to octrace in enforce mode: the tracee is not left running unenforced (it is gone,
#   no marker); in --complain mode octrace may detach instead, but leaves no task stopped.
. "$(dirname "$0")/lib.sh"

# start_spin ARGS...: spin under octrace; PID is the tracee, SPAWN_PID octrace.
start_spin() {
	local line=''
	rm -rf "$T/marker"
	spawn "$OCTRACE" run "$@"
	get_line line
	PID=${line#ready }
	[[ $PID =~ ^[0-9]+$ ]] || { fail "spin did not start: '$line'"; PID=''; }
}

# Denials by seccomp stop (OCTRACE_DENY_BY=stop) and by notification (the default, §29).
for run in plain/stop churn/stop plain/stop churn/notification plain/notification \
	churn/notification; do
	mode=${run%/*} by=${run#*/}
	OCTRACE_DENY_BY=$by start_spin --policy "$P/deny.json" -- "$B/spin" "$T/marker" "$mode"
	[ -n "$PID" ] || continue
	kill -KILL "$SPAWN_PID"
	await "$SPAWN_PID"
	wait_gone "$PID" 10
	ok $? "kill -9 octrace ($run): the tracee dies with it" "tracee $PID: $(states "$PID")"
	[ ! -e "$T/marker" ]
	ok $? "kill -9 octrace ($run): the pending denied mkdir never ran"
	rest=$(timeout 10 cat <&4)
	if [ "$by" = stop ]; then
		is "$rest" "" "kill -9 octrace ($run): the tracee never saw anything but EACCES"
	else
		# the listener may close (the tracer's files) just before the tracer's exit kills
		# the tracee: the kernel answers the waiting mkdir ENOSYS then — denied still
		[[ $rest == "" || $rest == "unexpected -38" ]]
		ok $? "kill -9 octrace ($run): the tracee saw EACCES, or ENOSYS as the tracer died" \
			"got: $rest"
	fi
	check_clean "kill -9 octrace ($run): nothing left (no process, no task in state t)"
done

for i in 1 2; do
	start_spin --policy "$P/deny.json" -- "$B/spin" "$T/marker" churn
	[ -n "$PID" ] || continue
	kill -TERM "$SPAWN_PID"
	await "$SPAWN_PID"
	is "$TIMED_OUT" 0 "SIGTERM to octrace (enforce, run $i): octrace exits"
	wait_gone "$PID" 10
	ok $? "SIGTERM to octrace (enforce, run $i): the tracee does not run on unenforced" \
		"tracee $PID: $(states "$PID"), TracerPid $(tracer_of "$PID" 2>/dev/null)"
	[ ! -e "$T/marker" ]
	ok $? "SIGTERM to octrace (enforce, run $i): no denied mkdir ran"
	timeout 10 cat <&4 >/dev/null
	check_clean "SIGTERM to octrace (enforce, run $i): nothing left"
done

# --complain: detaching is allowed; whatever octrace does, nothing stays stopped. (attachme:
# its denied calls are allowed here, it just waits for a line.)
spawn "$OCTRACE" run --complain --policy "$P/deny.json" -- "$B/attachme"
line=''
get_line line
PID=${line#ready }
if [[ $PID =~ ^[0-9]+$ ]]; then
	kill -TERM "$SPAWN_PID"
	await "$SPAWN_PID"
	is "$TIMED_OUT" 0 "SIGTERM to octrace --complain: octrace exits"
	if wait_gone "$PID" 2; then
		pass "SIGTERM to octrace --complain: the tracee was ended"
	else
		is "$(tracer_of "$PID")" 0 "SIGTERM to octrace --complain: the tracee was detached"
		echo quit >&3
		expect_line "read ok" "SIGTERM to octrace --complain: the detached tracee runs on"
		wait_gone "$PID" 10
		ok $? "SIGTERM to octrace --complain: the detached tracee exits by itself"
	fi
else
	fail "attachme did not start under --complain: '$line'"
fi

finish
