#!/bin/bash
# DENIALS BY NOTIFICATION, ATTACKED (docs/kernel-behaviours.md §29): a process armed alone
# gets the enforce-mode filter with its ERRNO slots as SECCOMP_RET_USER_NOTIF and a listener
# that octrace copies and the task closes before it runs; a thread of octrace's answers. A
# hostile workload (tests/tracees/notifyhostile.c, tests/policies/deny.json) attacks it, and
# each attack is compared with the kernel enforcing the same policy (seccomp-exec) and with
# denials by seccomp stop (OCTRACE_DENY_BY=stop). Asserted:
#  1  the listener is nowhere in the workload: fds 0..1023 scanned (links, fdinfo,
#     NOTIF_ID_VALID, NOTIF_SEND CONTINUE) from a constructor and at main; the run's
#     --debug says the denials are by notification (the attacks below are not vacuous);
#  2  a child takes every fd of its parent with pidfd_getfd while the parent execs, and a
#     helper does it to its shell that execs the target (sh -c 'helper & exec target'):
#     no listener;
#  3  64 threads make denied calls while 4 fork, exec and exit, then exit_group(3): every
#     errno the policy's, status 3, no hang, nothing left in state t;
#  4  signals to a thread in denied calls: a handler with SA_RESTART, one without (the
#     kernel's ERRNO never waits, so never gives EINTR: neither may octrace), SIGSTOP and
#     SIGCONT of the process: the kernel's output, and one audit record per call;
#  5  the workload's own filters on the denied call (ERRNO 5, TRAP, KILL, TRACE): the
#     kernel's results; its own USER_NOTIF without a listener, and NEW_LISTENER: denied
#     (ENOSYS and EBUSY, README Limits);
#  6  20000 denials from 8 threads, --audit-rate 0: every line valid, one record each, the
#     teardown's count equal;
#  7  a path rewritten by another thread as soon as each denied mkdir returns: the log
#     has every path exactly as the call made it, in order;
#  8  a process of the command's user outside the session takes fds 3..7 of the
#     command of an unprivileged octrace run around its exec: no listener (such a task is
#     not given one: only a task all root's, whose fds only root can take, is);
#  9  a policy that denies close() of the fd the listener gets (> 2): no hang (octrace's
#     injected close of the listener meets its new filter: the listener is served before it,
#     and a call octrace injects is answered CONTINUE), denials by notification, the
#     kernel's results.
. "$(dirname "$0")/lib.sh"

POL=$P/deny.json
H=$B/notifyhostile
[ -x "$H" ] || bail "no notifyhostile in $B"
have_seccomp_exec "denials by notification, attacked" || finish
command -v jq >/dev/null || { skip "jq is not installed (apt-get install jq)"; finish; }
LOG=$T/audit.jsonl

# by_both DESC CMD...: the kernel's output and status, then octrace's with denials by
# notification and by stop: the same.
by_both() {
	local desc=$1 kout kst by
	shift
	under_kernel "$POL" "$@"
	kout=$OUT kst=$ST
	for by in notification stop; do
		OCTRACE_DENY_BY=$by under_octrace "$POL" "$@"
		is "$ST" "$kst" "$desc, denials by $by: the kernel's exit status" "stderr: $ERR"
		is "$OUT" "$kout" "$desc, denials by $by: the kernel's output"
	done
}

# getppid_records: the getppid denials in $LOG, and the teardown's count of them.
getppid_records() {
	printf '%s %s' \
		"$(jq -r 'select(.event == "syscall" and .syscall == "getppid" and .errno == 1) |
			.tid' "$LOG" | wc -l)" \
		"$(jq -r 'select(.event == "teardown") | .counts[] |
			select(.syscall == "getppid") | .calls' "$LOG")"
}

# 1 the listener, hunted from inside
hunted="hunt ctor = none
hunt main = none
mkdir = -1 EACCES"
run "$OCTRACE" run --debug --policy "$POL" -- "$H" hunt
ok "$ST" "hunt: octrace run exits 0" "stderr: $ERR"
is "$OUT" "$hunted" "hunt: no listener in the workload, from a constructor or main"
grep -q 'armed, denials by notification' <<<"$ERR"
ok $? "hunt: the workload was armed with denials by notification" "$(tail -n 3 <<<"$ERR")"
by_both "hunt" "$H" hunt

# 2 pidfd_getfd from a child or a helper, at the exec
run "$OCTRACE" run --policy "$POL" -- "$H" getfd-exec "$H" hunt
ok "$ST" "getfd-exec: octrace run exits 0" "stderr: $ERR"
is "$(sort <<<"$OUT")" "$(sort <<<"getfd = none
$hunted")" "getfd-exec: the child never got a listener from its parent across its exec"
run "$OCTRACE" run --debug --policy "$POL" -- sh -c "\"$H\" getfd-parent \$\$ notifyhostile &
	exec \"$H\" hunt"
ok "$ST" "sh -c 'helper & exec target': octrace run exits 0" "stderr: $ERR"
is "$(sort <<<"$OUT")" "$(sort <<<"getfd = none
$hunted")" "sh -c 'helper & exec target': the helper never got a listener"
grep -q 'armed, denials by notification' <<<"$ERR"
ok $? "sh -c 'helper & exec target': the shell was armed with denials by notification"
check_clean "pidfd_getfd attacks: nothing left behind"

# 3 many threads, forks, execs, exit_group
by_both "hammer (64 threads, 500 denied calls each, churn)" "$H" hammer 64 500
is "$OUT" "hammer = all -1 EPERM" "hammer: every denied call got EPERM"
check_clean "hammer: nothing left (no process, no task in state t)"

# 4 signals during the wait
for how in restart norestart stop; do
	by_both "signals $how (5000 denied calls)" "$H" signals "$how" 5000
	is "$OUT" "signals $how = all -1 EPERM" "signals $how: every denied call got EPERM"
	rm -f "$LOG"
	run "$OCTRACE" run --policy "$POL" --audit "$LOG" --audit-rate 0 -- "$H" signals "$how" 5000
	is "$(getppid_records)" "5000 5000" \
		"signals $how: one audit record per denied call, and the teardown counts as many"
done
check_clean "signals: nothing left (no process, no task in state t)"

# 5 filters of the workload's own, on the denied call itself
by_both "own filters" "$H" ownfilter errno5 trap kill trace
for by in notification stop; do
	OCTRACE_DENY_BY=$by under_octrace "$POL" "$H" ownfilter notif listener
	is "$OUT" "notif filter = ok
notif getppid = -1 ENOSYS
notif getegid = ok
listener filter = -1 EBUSY
listener getppid = -1 EPERM" "own USER_NOTIF without a listener, own NEW_LISTENER, denials by $by: denied"
done

# 6 an audit flood
for by in notification stop; do
	rm -f "$LOG"
	OCTRACE_DENY_BY=$by run "$OCTRACE" run --policy "$POL" --audit "$LOG" --audit-rate 0 -- \
		"$H" flood 8 20000
	ok "$ST" "flood, denials by $by: octrace run exits 0" "stderr: $ERR"
	is "$OUT" "flood = all -1 EPERM" "flood, denials by $by: every denied call got EPERM"
	if [ -x "${AUDIT_VALIDATE:-}" ]; then
		run "$AUDIT_VALIDATE" "$LOG"
		ok "$ST" "flood, denials by $by: every audit line is valid" "$OUT $ERR"
	else
		skip "audit-validate (AUDIT_VALIDATE) is not built"
	fi
	is "$(getppid_records)" "20000 20000" \
		"flood, denials by $by: 20000 records, and the teardown counts 20000"
done

# 7 a path rewritten once each call returns
expected=$(seq 0 1999 | sed 's|^|/nonexistent-octrace/|')
for by in notification stop; do
	rm -f "$LOG"
	OCTRACE_DENY_BY=$by run "$OCTRACE" run --policy "$POL" --audit "$LOG" --audit-rate 0 -- \
		"$H" sequence 2000
	is "$OUT" "sequence = all -1 EACCES" "sequence, denials by $by: every mkdir got EACCES"
	is "$(jq -r 'select(.event == "syscall" and .syscall == "mkdir") | .decoded.path' "$LOG")" \
		"$expected" "sequence, denials by $by: each path as the call made it, in order"
done

# 8 a thief outside the session, of the command's user (an unprivileged octrace run): it
# could take the listener in the moment the task holds it, and answer CONTINUE
if command -v runuser >/dev/null && runuser -u nobody -- test -x "$H" -a -r "$POL"; then
	TMO=60 run runuser -u nobody -- bash -c '"$1" run --policy "$2" -- "$3" hunt >/dev/null &
		o=$!
		"$3" thief $o
		wait $o' _ "$OCTRACE" "$POL" "$H"
	ok "$ST" "thief: octrace run as nobody exits 0" "exit status $ST, stderr: $ERR"
	is "$OUT" "thief = none" "thief: a process of the same user outside the session gets no listener"
else
	skip "runuser, or the build and policies not readable by nobody: no thief"
fi

# 9 a policy that denies the listener's close
cat >"$T/close.json" <<'EOF'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [
		{"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 9,
		 "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_GT"}]},
		{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
	]
}
EOF
# rt-static: no close of its own (a dynamic loader's would fail under this policy)
TMO=20 run "$OCTRACE" run --debug --policy "$T/close.json" -- "$B/rt-static"
ok "$ST" "close(fd > 2) denied: octrace run exits 0 (no wait for an answer nobody reads)" \
	"exit status $ST, stderr: $(tail -n 3 <<<"$ERR")"
is "$OUT" "hello" "close(fd > 2) denied: the program ran"
grep -q 'denials by notification' <<<"$ERR"
ok $? "close(fd > 2) denied: denials by notification all the same (the injected close is octrace's own call: answered CONTINUE)"
TMO=20 under_kernel "$T/close.json" "$B/rt-static"
is "$OUT" "hello" "close(fd > 2) denied: the kernel's output"

finish
