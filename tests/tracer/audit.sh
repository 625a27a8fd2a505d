#!/bin/bash
# --audit FILE on a real workload (tests/tracees/auditload: threads, fork, vfork, clone3,
# exec from a non-leader thread with known argv, denied calls, an open of a known path, an
# open of (char *)1, unix and 127.0.0.1 sockets) under tests/policies/audit.json, at each
# --audit-level, enforcing and complaining. Every line of every log passes audit-validate
# (AUDIT_VALIDATE, the format of docs/audit-format.md) and the events are the ones the run
# made, with its pids, paths, actions, errnos, rule indexes and exit statuses; the last line
# is the teardown, whose status is octrace's and whose counts are the --summary table's.
# An audit log that cannot be opened is one line and exit 2, with the command not run.
#
# audit.json: rule 0 getppid(0xdead) ERRNO(EPERM), rule 1 mkdir/mkdirat ERRNO(EACCES),
# rule 2 openat/bind/connect/execve/clone/clone3 LOG, rule 3 uname TRACE(42).
. "$(dirname "$0")/lib.sh"

POLICY=$P/audit.json
LOAD=$(realpath -e "$B/auditload") || bail "no auditload in $B"

if ! command -v jq >/dev/null; then
	skip "jq is not installed (apt-get install jq): no audit log checks"
	finish
fi

# The workload's stdout when octrace enforces audit.json (see auditload.c).
ENFORCED='main getppid = -1 EPERM
mkdirat denied = -1 EACCES
openat known = 0
openat bad pointer = -1 EFAULT
bind unix = 0
connect unix = 0
connect inet = 0
uname = 0
thread getppid = -1 EPERM
fork child status 3
vfork child status 4
final getppid = -1 EPERM'

# valid FILE DESC: audit-validate accepts every line ("N lines valid", N the file's lines).
valid() {
	local out st lines
	if [ -z "${AUDIT_VALIDATE:-}" ] || [ ! -x "$AUDIT_VALIDATE" ]; then
		skip "$2: audit-validate (AUDIT_VALIDATE) is not built"
		return 1
	fi
	lines=$(wc -l <"$1")
	out=$("$AUDIT_VALIDATE" "$1" 2>&1)
	st=$?
	if [ "$st" = 0 ] && [ "$out" = "$lines lines valid" ] && [ "$lines" -gt 0 ]; then
		pass "$2"
		return 0
	fi
	fail "$2"
	diag "audit-validate exit $st: $out"
	local n
	n=$(sed -n 's/^[^:]*:\([0-9]*\):.*/\1/p' <<<"$out" | head -1)
	[ -n "$n" ] && diag "line $n: $(sed -n "${n}p" "$1" | cut -c1-600)"
	return 1
}

# q JQ-ARGS...: jq -r over the log of the last audited run ($LOG).
q() {
	jq -r "$@" "$LOG"
}

# fact NAME: what auditload wrote on fd 3 (a pid, a tid, the inet port).
fact() {
	sed -n "s/^$1 //p" "$RUN/facts"
}

k=0
# audited LEVEL [OCTRACE-OPTIONS...]: auditload in a fresh dir under octrace with --audit;
# sets RUN (the dir), LOG, OUT, ST, ERR.
audited() {
	local level=$1
	shift
	k=$((k + 1))
	RUN=$T/run$k
	LOG=$T/audit$k.jsonl
	mkdir "$RUN" || bail "mkdir $RUN"
	echo known >"$RUN/known"
	run "$OCTRACE" run --audit "$LOG" --audit-level "$level" --summary "$@" -- \
		"$LOAD" "$RUN" 3>"$RUN/facts"
	[ -f "$LOG" ] || : >"$LOG"
}

# summary_rows: --summary's table on stderr as "syscall calls errors action", sorted.
summary_rows() {
	sed -n '/^ *syscall  *calls  *errors  *action *$/,$p' <<<"$ERR" | sed 1d |
		awk 'NF == 4 {print $1, $2, $3, $4}' | sort
}

# teardown_rows: the teardown's counts in the same form.
teardown_rows() {
	q 'select(.event == "teardown") | .counts[] |
		"\(.syscall) \(.calls) \(.errors) \(.action)\(if has("errno") then "(\(.errno))" else "" end)"' |
		sort
}

# Checks every level shares: the run, the lifecycle, the denials, the teardown.
# In complain mode getppid(0xdead) succeeds and the children exit 13 and 14, not 3 and 4.
common_checks() { # WHAT MODE FORK_STATUS VFORK_STATUS
	local what=$1 mode=$2 leader
	is "$ST" 7 "$what: exit status 7 (the exec'd image's)" || diag "stderr: $ERR"
	valid "$LOG" "$what: every line of the log is valid"
	leader=$(fact leader)
	[ -n "$leader" ] || bail "$what: auditload wrote no facts"

	is "$(q -s '.[0] | "\(.event) \(.pid) \(.tid) \(.mode) \(.level)"')" \
		"attach $leader $leader $mode ${what%% *}" "$what: the first line is attach (pid, mode, level)"
	is "$(q -s '.[1:3] | map(.event) | sort | join(" ")')" "armed exec" \
		"$what: then armed and exec"
	is "$(q -s '[.[1:3][] | select(.event == "exec")][0] | "\(.pid) \(.tid) \(.path)"')" \
		"$leader $leader $LOAD" "$what: the first exec: the command's pid and path"
	is "$(q -s '.[-1].event')" teardown "$what: the last line is the teardown"
	is "$(q 'select(.event == "teardown") | .status')" "$ST" \
		"$what: teardown status is octrace's exit status"

	# clone (threads), fork, vfork: the parent's pid and tid, the child's tid
	is "$(q --argjson l "$leader" 'select(.event == "clone" and .pid == $l and .tid == $l) | .child' | sort)" \
		"$(printf '%s\n' "$(fact thread)" "$(fact blocked)" "$(fact execer)" | sort)" \
		"$what: a clone event for each thread, with its tid"
	is "$(q --argjson l "$leader" 'select(.event == "fork" and .pid == $l and .tid == $l) | .child')" \
		"$(fact fork)" "$what: the fork event names the child's pid"
	is "$(q --argjson l "$leader" 'select(.event == "vfork" and .pid == $l and .tid == $l) | .child')" \
		"$(fact vfork)" "$what: the vfork event names the child's pid"
	# the exec from a non-leader thread: reported under the leader, with the former tid
	is "$(q -s '[.[] | select(.event == "exec")][1] | "\(.pid) \(.tid) \(.path) \(.former_tid)"')" \
		"$leader $leader $LOAD $(fact execer)" "$what: exec from a non-leader thread: leader's tid, former_tid"

	# the denials, with everything the policy says about them
	is "$(q 'select(.event == "syscall" and .syscall == "mkdirat") |
		"\(.pid) \(.tid) \(.comm) \(.arch) \(.nr) \(.args[2]) \(.would // .action) \(.errno) \(.rule) \(.decoded.dirfd) \(.decoded.path)"')" \
		"$leader $leader auditload x86_64 258 488 SCMP_ACT_ERRNO 13 1 AT_FDCWD $RUN/denied" \
		"$what: mkdirat denied: ERRNO, errno 13, rule 1, decoded dirfd and path"
	is "$(q 'select(.event == "syscall" and .syscall == "getppid") |
		"\(.tid) \(.args[0]) \(.would // .action) \(.errno) \(.rule)"')" \
		"$leader 57005 SCMP_ACT_ERRNO 1 0
$(fact thread) 57005 SCMP_ACT_ERRNO 1 0
$(fact fork) 57005 SCMP_ACT_ERRNO 1 0
$(fact vfork) 57005 SCMP_ACT_ERRNO 1 0
$leader 57005 SCMP_ACT_ERRNO 1 0" \
		"$what: getppid(0xdead) denied in the leader, a thread, the fork and vfork children, after the exec"

	# how tasks ended
	is "$(q 'select(.event == "exit_group") | "\(.pid) \(.tid) \(.status)"')" \
		"$(fact fork) $(fact fork) $3
$(fact vfork) $(fact vfork) $4
$leader $leader 7" "$what: exit_group of the fork child ($3), the vfork child ($4), the final image (7)"
	is "$(q --argjson t "$(fact thread)" 'select(.event == "exit" and .tid == $t) | "\(.pid) \(.status)"')" \
		"$leader 0" "$what: exit of the joined thread, status 0"
	is "$(q --argjson l "$leader" 'select(.event == "exit" and .tid == $l) | .status')" 7 \
		"$what: exit of the leader, status 7"
	is "$(q --argjson t "$(fact blocked)" 'select(.event == "exit" and .tid == $t) | "\(.pid) \(.status)"')" \
		"$leader 0" "$what: exit of the thread the exec killed: its pid is the leader's"
	# every event of a thread of the workload names the workload's pid; the children their own
	is "$(q --argjson l "$leader" --argjson th "[$(fact thread), $(fact blocked), $(fact execer)]" \
		--argjson ch "[$(fact fork), $(fact vfork)]" 'select(has("tid")) |
		if .tid == $l or (.tid | IN($th[])) then select(.pid != $l)
		elif .tid | IN($ch[]) then select(.pid != .tid) else empty end | "\(.event) pid \(.pid) tid \(.tid)"')" "" \
		"$what: every event's pid is its task's thread group"

	# the teardown's counts are the --summary table's, and its totals their sums
	is "$(teardown_rows)" "$(summary_rows)" "$what: teardown counts are the --summary table's"
	is "$(q 'select(.event == "teardown") | "\(.calls) \(.errors)"')" \
		"$(q 'select(.event == "teardown") | "\([.counts[].calls] | add // 0) \([.counts[].errors] | add // 0)"')" \
		"$what: teardown calls and errors are the sums of its counts"
}

# The events of rules 2 and 3 (LOG, TRACE), which levels traced and all record.
logged_checks() { # WHAT
	local what=$1 leader port
	leader=$(fact leader)
	port=$(fact port)
	is "$(q --arg p "$RUN/known" 'select(.event == "syscall" and .syscall == "openat" and .decoded.path == $p) |
		"\(.tid) \(.would // .action) \(.rule) \(.decoded.dirfd) \(.decoded.flags)"')" \
		"$leader SCMP_ACT_LOG 2 AT_FDCWD O_RDONLY|O_CLOEXEC" "$what: openat of the known path, decoded"
	is "$(q 'select(.event == "syscall" and .syscall == "openat" and .args[1] == 1) |
		"\(.decoded.path.error) \(.decoded.flags)"')" "EFAULT O_RDONLY" \
		"$what: openat((char *)1): the path decodes to an error, not a crash"
	is "$(q 'select(.event == "syscall" and (.syscall == "bind" or .syscall == "connect")) |
		"\(.syscall) \(.rule) \(.decoded.family) \(.decoded.addr)"')" \
		"bind 2 AF_UNIX $RUN/sock
connect 2 AF_UNIX $RUN/sock
bind 2 AF_INET 127.0.0.1:0
connect 2 AF_INET 127.0.0.1:$port" "$what: bind and connect, unix and inet, addresses decoded"
	# (at level all the event is written at the exit stop, when the thread has the leader's tid)
	is "$(q -c 'select(.event == "syscall" and .syscall == "execve") | [.decoded.path, .decoded.argv]')" \
		"$(jq -cn --arg l "$LOAD" --arg d "$RUN" '[$l, [$l, "final", $d, "two words"]]')" \
		"$what: execve from the thread: path and argv decoded"
	local by=execer
	[ "$what" = all ] && by=leader
	is "$(q 'select(.event == "syscall" and .syscall == "execve") | .tid')" "$(fact $by)" \
		"$what: execve made by the thread ($by's tid)"
	is "$(q --argjson l "$leader" 'select(.event == "syscall" and .syscall == "clone" and .tid == $l and (.decoded.flags | contains("CLONE_THREAD") | not)) | .decoded.flags')" \
		"CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD" "$what: fork()'s clone: flags decoded"
	# clone3 is refused by octrace's guard whatever the policy says (its flags are in memory
	# another thread can change): ENOSYS, and glibc creates the thread with clone instead
	is "$(q 'select(.event == "syscall" and .syscall == "clone3") | "\(.action) \(.errno) \(.rule) \(.guard) \(.decoded.flags | split("|") | index("CLONE_THREAD") != null)"' | sort -u)" \
		"SCMP_ACT_ERRNO 38 guard clone3 true" "$what: pthread_create's clone3: refused by the clone3 guard, flags decoded (CLONE_THREAD)"
	is "$(q 'select(.event == "syscall" and .syscall == "clone3") | .tid' | wc -l)" \
		"$(q 'select(.event == "syscall" and .syscall == "clone" and (.decoded.flags | contains("CLONE_THREAD"))) | .tid' | wc -l)" \
		"$what: each refused clone3 is followed by a thread clone (glibc's fallback)"
	is "$(q 'select(.event == "syscall" and .syscall == "uname") | "\(.would // .action) \(.errno) \(.rule)"')" \
		"SCMP_ACT_TRACE 42 3" "$what: uname: TRACE with its data, rule 3"
}

# --- enforcing, level denied: only what the policy denies
audited denied --policy "$POLICY"
is "$OUT" "$ENFORCED" "denied: the workload's output"
common_checks "denied level" enforce 3 4
is "$(q 'select(.event == "syscall") | .action' | sort -u | tr '\n' ' ')" "SCMP_ACT_ERRNO " \
	"denied: the only syscall events are the denials (no LOG, TRACE or ALLOW)"
is "$(q 'select(.event == "syscall" and has("ret"))' | wc -l)" 0 "denied: no return values"
is "$(q 'select(.event == "syscall") | "\(.syscall) \(.action)"' | sort | uniq -c | awk '{print $2, $3, $1}')" \
	"$(q 'select(.event == "teardown") | .counts[] | select(.action == "SCMP_ACT_ERRNO") | "\(.syscall) \(.action) \(.calls)"' | sort)" \
	"denied: one event per denied call counted in the teardown"

# --- enforcing, level traced: also LOG and TRACE, with their decoded arguments
audited traced --policy "$POLICY"
is "$OUT" "$ENFORCED" "traced: the workload's output"
common_checks "traced level" enforce 3 4
logged_checks traced
is "$(q 'select(.event == "syscall" and (has("rule") | not))' | wc -l)" 0 \
	"traced: every syscall event names its rule (nothing allowed in the kernel)"
is "$(q 'select(.event == "syscall" and has("ret"))' | wc -l)" 0 "traced: no return values"
is "$(q 'select(.event == "syscall") | "\(.syscall) \(.action)"' | sort | uniq -c | awk '{print $2, $3, $1}')" \
	"$(q 'select(.event == "teardown") | .counts[] | "\(.syscall) \(.action) \(.calls)"' | sort)" \
	"traced: one event per call counted in the teardown"

# --- enforcing, level all: every syscall, with its return value
audited all --policy "$POLICY"
is "$OUT" "$ENFORCED" "all: the workload's output"
common_checks "all level" enforce 3 4
logged_checks all
is "$(q 'select(.event == "syscall" and .syscall == "write" and .args[0] == 1 and .action == "SCMP_ACT_ALLOW" and (has("rule") | not) and .ret > 0)' | jq -s length)" \
	"$(grep -c . <<<"$ENFORCED")" "all: each line written is an allowed write with its return value, no rule"
is "$(q 'select(.event == "syscall" and (has("ret") | not)) | .syscall')" "" \
	"all: every syscall event has a return value"
is "$(q 'select(.event == "syscall" and (.syscall == "mkdirat" or .syscall == "getppid" or (.syscall == "openat" and .args[1] == 1))) | "\(.syscall) \(.ret)"' | sort -u)" \
	"getppid -1
mkdirat -13
openat -14" "all: denied and failed calls return -errno"
is "$(q --arg p "$RUN/known" 'select(.event == "syscall" and .decoded.path == $p) | .ret >= 0')" true \
	"all: the open of the known path succeeded"
is "$(q 'select(.event == "syscall") | "\(.syscall) \(.action) \(if .ret < 0 then 1 else 0 end)"' |
	awk '{c[$1" "$2]++; e[$1" "$2]+=$3} END {for (x in c) print x, c[x], e[x]}' | sort)" \
	"$(q 'select(.event == "teardown") | .counts[] | "\(.syscall) \(.action) \(.calls) \(.errors)"' | sort)" \
	"all: teardown calls and errors per syscall are the events and their negative returns"

# --- complain: the program runs as without a policy; events say what would have happened
mkdir "$T/plain" && echo known >"$T/plain/known"
run "$OCTRACE" run -- "$LOAD" "$T/plain" 3>"$T/plain/facts"
plain_out=$OUT plain_st=$ST
audited traced --complain --policy "$POLICY"
is "$OUT" "$plain_out" "complain: the workload's output is the one without a policy"
is "$ST" "$plain_st" "complain: the exit status is the one without a policy ($plain_st)"
[ -d "$RUN/denied" ]
ok $? "complain: the denied mkdirat created its directory"
common_checks "traced level, complain" complain 13 14
logged_checks "complain"
is "$(q 'select(.event == "syscall" and .rule != "guard") | "\(.action) \(has("would"))"' | sort -u)" "SCMP_ACT_ALLOW true" \
	"complain: every syscall event the policy decided is allowed and says what the policy would do"
is "$(q 'select(.event == "syscall" and .rule == "guard") | "\(.syscall) \(.action) \(.errno) \(.guard) \(has("would"))"' | sort -u)" \
	"clone3 SCMP_ACT_ERRNO 38 clone3 false" "complain: the guards still answer (clone3 refused, no would)"
is "$(q 'select(.event == "syscall" and .syscall == "mkdirat") | "\(.action) \(.would) \(.errno)"')" \
	"SCMP_ACT_ALLOW SCMP_ACT_ERRNO 13" "complain: mkdirat would have been ERRNO(13)"

# --- complain, level denied: only what the policy would deny
audited denied --complain --policy "$POLICY"
is "$OUT" "$plain_out" "complain, denied: the workload's output is the one without a policy"
valid "$LOG" "complain, denied: every line of the log is valid"
is "$(q 'select(.event == "syscall" and .rule != "guard") | "\(.syscall) \(.action) \(.would) \(.errno) \(.rule)"' | sort | uniq -c | awk '{$1=$1; print}')" \
	"5 getppid SCMP_ACT_ALLOW SCMP_ACT_ERRNO 1 0
1 mkdirat SCMP_ACT_ALLOW SCMP_ACT_ERRNO 13 1" \
	"complain, denied: the syscall events are exactly what the policy would deny"
is "$(q 'select(.event == "syscall" and .rule == "guard") | .guard' | sort -u)" "clone3" \
	"complain, denied: and what the guards refused (clone3)"

# --- attach --complain, then SIGTERM: octrace lets go, and the log ends with detach, teardown.
# Under deny.json (getppid(0xdead) ERRNO): audit.json's LOG on clone3 would leave attachme,
# once detached, unable to create threads (the filter stays: ENOSYS, see README's Limits).
spawn "$B/attachme"
line=''
get_line line
PID=${line#ready }
[ "$PID" = "$SPAWN_PID" ] || bail "attachme did not start: '$line'"
LOG=$T/attach.jsonl
"$OCTRACE" attach --arm-now --complain --policy "$P/deny.json" --audit "$LOG" "$PID" \
	2>"$T/attach.err" &
apid=$!
_bg+=("$apid")
# A churn thread's getppid(0xdead) in the log shows octrace attached and armed: the log is
# polled for it (observing a state, as lib.sh's wait_states does; 10 s guard).
for ((tries = 1000; tries > 0; tries--)); do
	grep -q '"would"' "$LOG" 2>/dev/null && break
	sleep 0.01
done
[ "$tries" -gt 0 ]
ok $? "attach --complain: a churn thread's getppid(0xdead) is logged with \"would\"" \
	"stderr: $(<"$T/attach.err")"
kill -TERM "$apid"
await "$apid"
attach_st=$ST
echo quit >&3
await "$PID"
is "$ST" 23 "attach, SIGTERM: the program goes on and exits by itself (23)"
valid "$LOG" "attach, SIGTERM: every line of the log is valid"
is "$(q -s '.[0] | "\(.event) \(.pid) \(.mode)"')" "attach $PID complain" "attach: the first line is the attach"
is "$(q -s '[.[] | select(.event == "detach")] | "\(length) \(.[0].pid) \(.[0].tasks >= 1)"')" "1 $PID true" \
	"attach, SIGTERM: one detach event, with the tasks let go"
# (a thread that was exiting as octrace let go is still reaped, and its exit logged)
is "$(q -s '.[-1].event, ([.[(map(.event) | index("detach")) + 1:-1][].event] - ["exit"] | length)')" \
	"teardown
0" "attach, SIGTERM: after the detach only exits of dying threads, then the teardown, last"
is "$(q 'select(.event == "teardown") | .status')" "$attach_st" \
	"attach, SIGTERM: teardown status is octrace's exit status ($attach_st)"

# --- an audit log that cannot be opened: one line naming it, exit 2, nothing run
mkdir "$T/adir"
ln -s "$T/target.jsonl" "$T/link.jsonl"
echo existing >"$T/existing"
ln -s "$T/existing" "$T/link-existing.jsonl"
for bad in "$T/missing/a.jsonl" "$T/adir" "$T/link.jsonl" "$T/link-existing.jsonl"; do
	rm -f "$T/ran"
	run "$OCTRACE" run --policy "$POLICY" --audit "$bad" -- sh -c ": >'$T/ran'"
	is "$ST" 2 "unwritable --audit $bad: exit 2"
	[ "$(wc -l <<<"$ERR")" = 1 ] && [[ $ERR == *"$bad"* ]]
	ok $? "unwritable --audit $bad: one line on stderr naming the file" "stderr: $ERR"
	[ ! -e "$T/ran" ]
	ok $? "unwritable --audit $bad: the command did not run"
done
[ ! -e "$T/target.jsonl" ] && [ "$(cat "$T/existing")" = existing ]
ok $? "--audit through a symlink: its target was neither created nor written"

finish
