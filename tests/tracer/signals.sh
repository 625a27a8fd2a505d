#!/bin/bash
# Signals keep their meaning under octrace (docs/kernel-behaviours.md §6, 14), the tracee's threads busy in
# traced (denied) syscalls throughout:
#   SIGSTOP from outside really stops every thread (no answer to a ping while stopped) and
#   SIGCONT continues it, its handler run once; a SIGUSR1 handler runs with the sender's pid;
#   sigqueue()d signals keep their values and order; SIGCHLD reaches a parent with the right
#   siginfo; kill -9 of the tracee makes octrace exit 137 promptly, also while it is stopped and
#   while threads are being created, leaving nothing behind.
. "$(dirname "$0")/lib.sh"

# start_sigtest MODE: spawn sigtest under octrace, PID = its pid once it said ready.
start_sigtest() {
	local line=''
	spawn "$OCTRACE" run --policy "$P/deny.json" -- "$B/sigtest" "$1"
	get_line line
	PID=${line#ready }
	[[ $PID =~ ^[0-9]+$ ]] || { fail "sigtest $1 did not start: '$line'"; PID=''; }
}

# stop_octrace DESC STATUS: tell the program to quit and check octrace's exit status.
quit_and_check() {
	echo quit >&3
	await "$SPAWN_PID"
	is "$ST/$TIMED_OUT" "$2/0" "$1: octrace exits $2"
}

start_sigtest stop
if [ -n "$PID" ]; then
	echo ping >&3
	expect_line "pong cont=0" "stop: the program answers"
	kill -STOP "$PID"
	wait_states "$PID" '^[tT]$'
	ok $? "stop: after SIGSTOP every thread is stopped" "states: $(states "$PID")"
	echo ping >&3
	line=''
	get_line line 1
	is "$line" "" "stop: no answer while stopped"
	all_states "$PID" '^[tT]$'
	ok $? "stop: still stopped a second later" "states: $(states "$PID")"
	kill -CONT "$PID"
	expect_line "pong cont=1" "stop: SIGCONT resumes it and its handler ran once"
	echo ping >&3
	expect_line "pong cont=1" "stop: it keeps running"
	quit_and_check "stop" 0
fi

start_sigtest usr1
if [ -n "$PID" ]; then
	kill -USR1 "$PID"
	expect_line "usr1 code=0 pid=$$" "usr1: the handler runs with SI_USER and the sender's pid"
	kill -USR1 "$PID"
	expect_line "usr1 code=0 pid=$$" "usr1: and again"
	echo ping >&3
	expect_line "pong cont=0" "usr1: the interrupted read() was restarted (SA_RESTART)"
	quit_and_check "usr1" 0
fi

under_octrace "$P/deny.json" "$B/sigtest" queue
is "$ST:$(tail -n1 <<<"$OUT")" "0:queue ok" \
	"queued signals keep sender, SI_QUEUE, values and order" || diag "stderr: $ERR"
under_octrace "$P/deny.json" "$B/sigtest" chld
is "$ST:$(tail -n1 <<<"$OUT")" "0:sigchld ok" "SIGCHLD reaches the parent with its siginfo" ||
	diag "stderr: $ERR"

start_sigtest stop
if [ -n "$PID" ]; then
	kill -TERM "$PID"
	await "$SPAWN_PID"
	is "$ST/$TIMED_OUT" "143/0" "SIGTERM from outside kills it: octrace exits 128+15"
fi

# kill -9 while threads sit in traced syscalls (and, with churn, while new threads come).
for mode in plain plain plain churn churn churn; do
	rm -rf "$T/marker"
	spawn "$OCTRACE" run --policy "$P/deny.json" -- "$B/spin" "$T/marker" \
		"$([ $mode = churn ] && echo churn)"
	line=''
	get_line line
	PID=${line#ready }
	if ! [[ $PID =~ ^[0-9]+$ ]]; then
		fail "kill -9 ($mode): spin did not start: '$line'"
		continue
	fi
	kill -KILL "$PID"
	await "$SPAWN_PID"
	is "$ST/$TIMED_OUT" "137/0" "kill -9 of the tracee ($mode): octrace exits 137 promptly"
	rest=$(timeout 10 cat <&4)
	is "$rest" "" "kill -9 ($mode): the program saw only EACCES"
	check_clean "kill -9 ($mode): nothing left (no process, no task in state t)"
done

# kill -9 of a stopped tracee.
start_sigtest stop
if [ -n "$PID" ]; then
	kill -STOP "$PID"
	wait_states "$PID" '^[tT]$'
	ok $? "stopped, then kill -9: it stopped first" "states: $(states "$PID")"
	kill -KILL "$PID"
	await "$SPAWN_PID"
	is "$ST/$TIMED_OUT" "137/0" "stopped, then kill -9: octrace exits 137 promptly"
fi

finish
