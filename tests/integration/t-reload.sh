#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Live policy (issue 12): the daemon of a running container re-reads its policy file on
# `octrace reload --container ID` or on SIGHUP (to the janitor or to the tracer), under load:
# integ-prog reload runs 4 threads in its init and 4 in a child process looping on getppid
# and (every 16384) a denied mkdirat, and answers each line with getsid(0) as seen by its main thread, a
# thread and a child process started before any reload, a new child, a process that waits in
# vfork and one that sits stopped (SIGSTOP) while the policy changes (their filter is stacked
# at their next stop).
#   1. the policy allows getsid: every answer 0
#   2. tighten (getsid -> ERRNO 71) with `octrace reload`: exit 0; every answer -1 errno 71,
#      the processes and threads that existed before included (a filter stacked on each); a
#      process whose own filter makes seccomp(2) fail cannot take it: killed, one log line
#   3. loosen (back to the first policy) with SIGHUP to the janitor: every answer 0 again
#   4. an invalid policy with `octrace reload`: exit 1, one "refused" line in ID.log, the
#      policy in force stays (every answer 0)
#   5. tighten again with SIGHUP to the tracer: every answer -1 errno 71
#   5b. the same policy again: "unchanged", nothing stacked
#   6. the audit log: policy_reload events applied, applied, refused, applied, unchanged,
#      getsid events with errno 71 from the init and the old child; it passes audit-validate
#   6b. the metrics file counts the reloads and the process that could not take the filter
#   7. `octrace reload` of a container octrace does not trace: exit 125
#   8. complain mode: after a tightening reload nothing is denied, and the init, its thread's
#      process, the vfork and stopped processes and new children record getsid as "would"
#      SCMP_ACT_ERRNO
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

OCTRACE_BIN=$(dirname "$(realpath "$HOOK")")/../tracer/octrace
id=reload-$RT
policy=$TMP/policy.json
cat >"$TMP/v1.json" <<'JSON'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{ "names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42 },
		{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 }
	]
}
JSON
cat >"$TMP/v2.json" <<'JSON'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{ "names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42 },
		{ "names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 71 },
		{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 }
	]
}
JSON
printf '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["getsid"], "action": "SCMP_ACT_NOPE" } ] }\n' >"$TMP/bad.json"
cp "$TMP/v1.json" "$policy"
if ! "$OCTRACE_BIN" check "$TMP/v2.json" >/dev/null 2>&1 || "$OCTRACE_BIN" check "$TMP/bad.json" >/dev/null 2>&1; then
	echo "# the test's policies are not what they should be"
	show "$TMP/v2.json"
fi

fifo=$ROOTFS/tmp/reload.fifo
rm -f "$fifo"
mkfifo "$fifo"
exec {lines_fd}<>"$fifo"
bundle "$id" --hook-arg=--policy="$policy" --hook-arg=--audit-rate=0 -- /bin/integ-prog reload /tmp/reload.fifo 4
ask() { ask_line "$lines_fd" "$id" "$1"; } # N: the Nth answer
# wait_log N TEXT: ID.log has N lines with TEXT (the janitor and tracer act asynchronously)
wait_log() {
	local i
	for i in $(seq 1 1500); do
		[ "$(grep -cF "$2" "$LOGS/$id.log" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.02
	done
	echo "# ID.log has fewer than $1 lines with '$2'"
	return 1
}
reload() { # the client, its status in $st, its stderr in $TMP/reload.err
	local t0=$EPOCHREALTIME
	"$OCTRACE_BIN" reload --container "$id" --root "$TMP/state" 2>"$TMP/reload.err"
	st=$?
	echo "# octrace reload: status $st in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }') ms"
}
allowed="getsid: main 0 0 thread 0 0 child 0 0 new 0 0 vfork 0 0 stopped 0 0"
denied="getsid: main -1 71 thread -1 71 child -1 71 new -1 71 vfork -1 71 stopped -1 71"
# a process whose own filter refuses seccomp(2) cannot take a new filter: killed at the first
# reload (enforce mode: it must not run on under the policy it escaped)

if create_start "$id" "$id"; then
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	a=$(ask 1)
	[ "$a" = "$allowed sealed 0 0" ] || show "$TMP/$id/out" "$TMP/$id/err"
	check "1. the first policy allows getsid: $a" test "$a" = "$allowed sealed 0 0"

	cp "$TMP/v2.json" "$policy"
	reload
	a=$(ask 2)
	good=true
	[ "$st" = 0 ] || { echo "# octrace reload: status $st"; show "$TMP/reload.err"; good=false; }
	[ "$a" = "$denied sealed gone" ] || { echo "# answer: $a"; good=false; }
	grep -q "the new policy's filter not installed .*: killed" "$LOGS/$id.log" ||
		{ echo "# no log line for the sealed process"; good=false; }
	$good || show "$LOGS/$id.log"
	check "2. tighten with octrace reload (status $st): every process and thread denied getsid with 71, the sealed process killed" $good

	cp "$TMP/v1.json" "$policy"
	kill -HUP "$janitor"
	wait_log 2 "policy reloaded from $policy"
	a=$(ask 3)
	[ "$a" = "$allowed sealed gone" ] || show "$LOGS/$id.log"
	check "3. loosen with SIGHUP to the janitor: getsid allowed again: $a" test "$a" = "$allowed sealed gone"

	cp "$TMP/bad.json" "$policy"
	reload
	a=$(ask 4)
	good=true
	[ "$st" = 1 ] || { echo "# octrace reload of a bad policy: status $st"; good=false; }
	grep -q "policy reload refused: .*SCMP_ACT_NOPE" "$TMP/reload.err" ||
		{ echo "# the client's error"; show "$TMP/reload.err"; good=false; }
	n=$(grep -c "policy reload refused" "$LOGS/$id.log")
	[ "$n" = 1 ] || { echo "# ID.log: $n refused lines"; good=false; }
	[ "$a" = "$allowed sealed gone" ] || { echo "# answer: $a"; good=false; }
	$good || show "$LOGS/$id.log"
	check "4. an invalid policy is refused (status $st, one log line), the one in force stays" $good

	cp "$TMP/v2.json" "$policy"
	kill -HUP "$tracer"
	wait_log 3 "policy reloaded from $policy"
	a=$(ask 5)
	[ "$a" = "$denied sealed gone" ] || show "$LOGS/$id.log"
	check "5. tighten with SIGHUP to the tracer: $a" test "$a" = "$denied sealed gone"
	reload
	grep -q "unchanged" "$TMP/reload.err" || show "$TMP/reload.err"
	check "5b. the same policy again: status $st, unchanged (nothing stacked)" \
		grep -q "unchanged" "$TMP/reload.err"

	good=true
	[ -d "/proc/$tracer" ] || { echo "# the tracer is gone"; good=false; }
	ev=$(jq -r 'select(.event == "policy_reload") | .result' "$LOGS/$id.jsonl" 2>/dev/null | paste -sd ' ')
	[ "$ev" = "applied applied refused applied unchanged" ] || { echo "# policy_reload events: $ev"; good=false; }
	# the vfork parent and the stopped process take the filter at their next stop
	dv=$(jq -r 'select(.event == "policy_reload" and .result == "applied") |
		"\(.processes)/\(.deferred)/\(.failed)"' "$LOGS/$id.jsonl" 2>/dev/null | paste -sd ' ')
	echo "# processes/deferred/failed per reload: $dv"
	want_failed=1 # the first: the sealed process
	for x in $dv; do
		IFS=/ read -r p d f <<<"$x"
		[ "$p" -ge 3 ] && [ "$d" -ge 2 ] && [ "$f" = "$want_failed" ] ||
			{ echo "# a reload stacked on $p processes, deferred $d, failed $f"; good=false; }
		want_failed=0
	done
	n=$(jq -s --argjson p "$init_pid" 'map(select(.event == "syscall" and .syscall == "getsid" and
		.errno == 71 and .action == "SCMP_ACT_ERRNO")) | map(.pid) | unique | length' \
		"$LOGS/$id.jsonl" 2>/dev/null)
	[ "${n:-0}" -ge 3 ] || { echo "# getsid denials audited from $n processes (want the init, the old child, new ones)"; good=false; }
	if [ -x "${AUDIT_VALIDATE:-}" ]; then
		"$AUDIT_VALIDATE" "$LOGS/$id.jsonl" >/dev/null 2>&1 ||
			{ echo "# $id.jsonl does not pass audit-validate"; "$AUDIT_VALIDATE" "$LOGS/$id.jsonl" 2>&1 | head -5 | diag; good=false; }
	fi
	$good || show "$LOGS/$id.log"
	check "6. audit: policy_reload applied, applied, refused, applied, unchanged (vfork and stopped processes deferred); getsid denials audited; valid" $good
	# the metrics file (written by the janitor at most once a second)
	prom=/run/octrace/metrics/$id.prom
	want='applied 3|filter_not_installed 1|refused 1|unchanged 1'
	got=
	for i in $(seq 1 300); do
		got=$(awk '/^octrace_policy_reloads_total/ { sub(/.*result="/, ""); sub(/"}/, ""); print }
			/^octrace_attach_failures_total.*filter_not_installed/ { print "filter_not_installed " $NF }' \
			"$prom" 2>/dev/null | sort | paste -sd '|')
		[ "$got" = "$want" ] && break
		sleep 0.02
	done
	[ "$got" = "$want" ] || show "$prom"
	check "6b. metrics: reloads applied 3, unchanged 1, refused 1; 1 filter not installed ($got)" \
		test "$got" = "$want"
else
	for i in 1 2 3 4 5 6 6b; do not_ok "$i. (the container did not start)"; done
fi
exec {lines_fd}>&-
remove_container "$id" "${janitor:-}"
sanitizer_free "$LOGS/$id.log"

# complain mode: the tracer-mode filter is stacked; nothing is denied, the new policy's
# verdicts are recorded ("would")
id=reload-complain-$RT
cp "$TMP/v1.json" "$policy"
exec {lines_fd}<>"$fifo"
bundle "$id" --hook-arg=--policy="$policy" --hook-arg=--complain --hook-arg=--audit-rate=0 \
	-- /bin/integ-prog reload /tmp/reload.fifo 2
if create_start "$id" "$id"; then
	a1=$(ask 1)
	cp "$TMP/v2.json" "$policy"
	reload
	a2=$(ask 2)
	good=true
	all="$allowed sealed 0 0"
	[ "$st" = 0 ] && [ "$a1" = "$all" ] && [ "$a2" = "$all" ] ||
		{ echo "# status $st, answers: $a1 | $a2"; good=false; }
	n=$(jq -s 'map(select(.event == "syscall" and .syscall == "getsid" and
		.action == "SCMP_ACT_ALLOW" and .would == "SCMP_ACT_ERRNO")) | map(.pid) | unique |
		length' "$LOGS/$id.jsonl" 2>/dev/null)
	[ "${n:-0}" -ge 5 ] || { echo "# getsid recorded as would-deny from $n processes"; good=false; }
	$good || show "$LOGS/$id.log"
	check "8. complain mode: a reload records the new policy's verdicts in every process (from $n), denies nothing" $good
else
	not_ok "8. complain mode (the container did not start)"
fi
exec {lines_fd}>&-
remove_container "$id"

"$OCTRACE_BIN" reload --container reload-none-$TAG 2>"$TMP/none.err"
st=$?
[ "$st" = 125 ] || show "$TMP/none.err"
check "7. octrace reload of a container nobody traces: status $st" test "$st" = 125
check "nothing left" clean
finish
