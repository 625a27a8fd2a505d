# shellcheck shell=bash
# lib.sh: TAP output and helpers shared by the tracer tests (sourced by each test script).
#
# Environment, set by tests/tracer/meson.build:
#   OCTRACE       the octrace binary
#   SECCOMP_EXEC  the reference tool (kernel actions, as runc would install them); may be empty
#                 while it does not exist: the tests that need it then skip (fail under CI)
#   TRACEES       directory of the tracee programs (tests/tracees)
#   POLICIES      tests/policies in the source tree
#   CI=true       nothing may skip: a skip is reported as a failure
# Exit status: 0 (the TAP lines say what failed), 99 harness error (Bail out!).
# Synchronisation is by pipes and fifos; timeouts are outer guards only.

set -u
shopt -s nullglob extglob

TMO=${TMO:-60}		# outer guard for one octrace invocation, seconds
_n=0
_bg=()

bail() {
	echo "Bail out! $*"
	exit 99
}

diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

pass() {
	_n=$((_n + 1))
	echo "ok $_n - $*"
}

fail() {
	_n=$((_n + 1))
	echo "not ok $_n - $*"
}

skip() {
	if [ "${CI:-}" = true ]; then
		fail "$* (skipped, but CI=true forbids skipping)"
	else
		_n=$((_n + 1))
		echo "ok $_n - # SKIP $*"
	fi
}

# ok COND_STATUS DESC [DIAG]: pass when the first argument is 0.
ok() {
	if [ "$1" -eq 0 ]; then
		pass "$2"
	else
		fail "$2"
		[ -n "${3:-}" ] && diag "$3"
	fi
	return "$1"
}

# is GOT EXPECTED DESC: string equality, with a diff on failure.
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
		return 0
	fi
	fail "$3"
	diag "$(diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$1") | sed '1,2d;s/^/  /')"
	return 1
}

# Every tracer test runs as root (attach, filters without no_new_privs, real containers).
need_root() {
	[ "$(id -u)" = 0 ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - tracer tests must run as root (CI=true forbids skipping)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP tracer tests need root"
	exit 0
}

# have_seccomp_exec DESC: true if the reference tool exists, else skip DESC.
have_seccomp_exec() {
	[ -n "${SECCOMP_EXEC:-}" ] && [ -x "$SECCOMP_EXEC" ] && return 0
	skip "$1: seccomp-exec (SECCOMP_EXEC) is not built"
	return 1
}

# run CMD...: run with the outer guard; sets OUT (stdout), ERR (stderr), ST (exit status;
# 124 means the guard fired).
run() {
	OUT=$(timeout -k 5 "$TMO" "$@" 2>"$T/stderr")
	ST=$?
	ERR=$(<"$T/stderr")
}

# The two ways of enforcing a policy on a command.
under_octrace() { # POLICY CMD...
	local p=$1
	shift
	run "$OCTRACE" run --policy "$p" -- "$@"
}

under_kernel() { # POLICY CMD...
	local p=$1
	shift
	run "$SECCOMP_EXEC" "$p" -- "$@"
}

# spawn CMD...: start CMD in the background with its stdin fed from fd 3 and its stdout read
# from fd 4 (both fifos); SPAWN_PID is CMD's pid (no wrapper in between).
spawn() {
	exec 3>&- 4<&-
	rm -f "$T/in" "$T/out"
	mkfifo "$T/in" "$T/out" || bail "mkfifo in $T"
	"$@" <"$T/in" >"$T/out" &
	SPAWN_PID=$!
	_bg+=("$SPAWN_PID")
	exec 3>"$T/in" 4<"$T/out"
}

# get_line VAR [SECS]: next line of the spawned program's stdout (false on EOF or timeout).
get_line() {
	IFS= read -r -t "${2:-30}" -u 4 "$1"
}

# expect_line EXPECTED DESC: the spawned program's next line is EXPECTED (a glob pattern).
expect_line() {
	local line=''
	get_line line
	# shellcheck disable=SC2053
	if [[ $line == $1 ]]; then
		pass "$2"
		return 0
	fi
	fail "$2"
	diag "expected a line matching: $1"
	diag "got: ${line:-<nothing: EOF or 30 s without a line>}"
	return 1
}

# await PID [SECS]: wait for a child of this shell; ST is its status, TIMED_OUT 1 if the
# guard (SECS, default TMO) had to SIGKILL it. The guard is a subshell blocked in `read -t`
# on a fifo nobody writes: no extra process, and SIGKILLing it cannot race with its action.
await() {
	local pid=$1 secs=${2:-$TMO} timer
	rm -f "$T/timed-out"
	(
		trap - EXIT
		exec 9<>"$T/never"
		read -r -t "$secs" -u 9
		[ $? -gt 128 ] || exit 0
		: >"$T/timed-out"
		kill -KILL "$pid"
	) 2>/dev/null &
	timer=$!
	wait "$pid" 2>/dev/null
	ST=$?
	kill -KILL "$timer" 2>/dev/null # a bare subshell in `read`: nothing to clean up
	wait "$timer" 2>/dev/null
	TIMED_OUT=0
	[ -e "$T/timed-out" ] && TIMED_OUT=1
	return 0
}

# task_state PID TID: one-letter state of a task ('' if gone).
task_state() {
	local line=''
	read -r line 2>/dev/null <"/proc/$1/task/$2/stat" || return 0
	line=${line##*) }
	echo "${line%% *}"
}

# states PID: the states of all tasks of PID, sorted and unique ("t", "S R", ...).
states() {
	local d
	for d in /proc/"$1"/task/*; do
		task_state "$1" "${d##*/}"
	done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# all_states PID REGEX: PID exists and the state of every one of its tasks matches REGEX.
all_states() {
	local s all
	all=$(states "$1")
	[ -n "$all" ] || return 1
	for s in $all; do
		[[ $s =~ $2 ]] || return 1
	done
}

# wait_states PID REGEX [SECS]: poll until all_states holds (e.g. REGEX '^[tT]$'). Polling is
# how a state is observed; SECS (default 10) is only a guard.
wait_states() {
	local tries=$((${3:-10} * 100))
	while [ "$tries" -gt 0 ]; do
		all_states "$1" "$2" && return 0
		sleep 0.01
		tries=$((tries - 1))
	done
	return 1
}

# wait_gone PID [SECS]: poll until PID no longer exists or is a zombie.
wait_gone() {
	local tries=$((${2:-10} * 100)) s
	while [ "$tries" -gt 0 ]; do
		s=$(task_state "$1" "$1")
		[ -z "$s" ] || [ "$s" = Z ] && return 0
		sleep 0.01
		tries=$((tries - 1))
	done
	return 1
}

# tracer_of PID: TracerPid of a task (0 if untraced).
tracer_of() {
	local k v
	while read -r k v; do
		[ "$k" = TracerPid: ] && echo "$v" && return
	done <"/proc/$1/status"
}

# is_octrace PID: PID runs the octrace under test.
is_octrace() {
	[ "$1" != 0 ] && [ /proc/"$1"/exe -ef "$OCTRACE" ]
}

# Processes this test started that are still running (they carry our tag in their
# environment): "pid state comm" lines.
_ours() {
	local f p line
	for f in $(env -u OCTRACE_TEST_TAG grep -lzx "OCTRACE_TEST_TAG=$OCTRACE_TEST_TAG" \
		/proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/environ}
		[ "$p" = $$ ] && continue
		read -r line 2>/dev/null <"/proc/$p/stat" || continue
		echo "$p ${line##*) }" | cut -d' ' -f1,2
	done
}

# Tasks anywhere in a tracing stop (t) traced by octrace or by nothing, and octrace
# processes still running. A task that vanishes while being looked at is not reported.
_stuck() {
	local d p s tr
	for d in /proc/[0-9]*/task/[0-9]*; do
		p=${d#/proc/}
		p=${p%%/*}
		s=$(task_state "$p" "${d##*/}")
		[ "$s" = t ] || continue
		tr=$(tracer_of "$p/task/${d##*/}" 2>/dev/null)
		[ -z "$tr" ] && continue
		if [ "$tr" = 0 ] || is_octrace "$tr"; then
			echo "task ${d##*/} of pid $p in state t, TracerPid $tr"
		fi
	done
	for d in /proc/[0-9]*; do
		is_octrace "${d#/proc/}" && echo "octrace still running: pid ${d#/proc/}"
	done
}

# check_clean DESC: nothing of this test is left: no process it started, no task in a
# tracing stop, no octrace (tasks traced by other tracers, e.g. a debugger or another build's
# octrace, are not ours). A process that is just ending gets 2 s to go. Leftovers of our own
# are killed afterwards.
check_clean() {
	local ours stuck p tries=10
	while :; do
		ours=$(_ours)
		stuck=$(_stuck)
		[ -z "$ours$stuck" ] && break
		tries=$((tries - 1))
		[ "$tries" = 0 ] && break
		sleep 0.2
	done
	if [ -z "$ours$stuck" ]; then
		pass "${1:-nothing left behind}"
		return 0
	fi
	fail "${1:-nothing left behind}"
	[ -n "$ours" ] && diag "left running (pid state): $ours"
	[ -n "$stuck" ] && diag "$stuck"
	while read -r p _; do
		kill -KILL "$p" 2>/dev/null
	done <<<"$ours"
	return 1
}

finish() {
	exec 3>&- 4<&-
	check_clean "after the whole script: no leftover process, no task in state t, no octrace"
	echo "1..$_n"
	exit 0 # the TAP lines carry the verdict; a non-zero status would read as a harness error
}

_cleanup() {
	local p
	[ "$BASHPID" = $$ ] || return 0 # a subshell (bash may run the trap in one)
	exec 3>&- 4<&-
	for p in "${_bg[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}

[ -x "${OCTRACE:-/nonexistent}" ] || bail "OCTRACE is not an executable: '${OCTRACE:-}'"
[ -d "${TRACEES:-}" ] || bail "TRACEES is not a directory: '${TRACEES:-}'"
[ -d "${POLICIES:-}" ] || bail "POLICIES is not a directory: '${POLICIES:-}'"
need_root
T=$(mktemp -d /tmp/octrace-test.XXXXXX) || bail "mktemp"
mkfifo "$T/never"
trap _cleanup EXIT
export OCTRACE_TEST_TAG="$$.$RANDOM"
P=$POLICIES
B=$TRACEES

# probes DESC POLICY PROBES: run `sysprobe PROBES` (one word each) under octrace and, when it
# exists, under seccomp-exec. The expected output, if any, comes on stdin: both must print
# exactly that, and in any case the same as each other.
probes() {
	local desc=$1 policy=$2 expected oct_out oct_st oct_err
	# shellcheck disable=SC2206
	local list=($3)
	expected=$(cat)
	under_octrace "$policy" "$B/sysprobe" "${list[@]}"
	oct_out=$OUT oct_st=$ST oct_err=$ERR
	ok "$oct_st" "$desc: octrace run exits 0" "exit status $oct_st, stderr: $oct_err"
	[ -n "$expected" ] && is "$oct_out" "$expected" "$desc: octrace gives the expected results"
	have_seccomp_exec "$desc: differential" || return 0
	under_kernel "$policy" "$B/sysprobe" "${list[@]}"
	ok "$ST" "$desc: seccomp-exec exits 0" "exit status $ST, stderr: $ERR"
	# SCMP_ACT_TRACE: with no tracer the kernel fails the call with ENOSYS; octrace is the
	# tracer and allows it (recorded), as documented. TRACE_PROBES names those probes.
	local kout=$OUT p
	for p in ${TRACE_PROBES:-}; do
		is "$(printf '%s\n' "$kout" | grep -c "^$p = -1 ENOSYS\$")" 1 \
			"$desc: $p (SCMP_ACT_TRACE) is ENOSYS without a tracer"
		kout=$(printf '%s\n' "$kout" | sed "s/^$p = -1 ENOSYS\$/$p = pid/")
	done
	[ -n "$expected" ] && is "$kout" "$expected" "$desc: seccomp-exec gives the expected results"
	is "$oct_out" "$kout" "$desc: octrace and seccomp-exec print the same"
}
