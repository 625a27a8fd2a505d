#!/bin/bash
# `octrace run --metrics FILE` (docs/metrics.md): tests/tracees/auditload under
# tests/policies/audit.json, with --audit at level traced, enforcing and complaining. FILE is
# written at the end, 0644, with nothing else left beside it; octrace_syscalls_total per
# (syscall, action) is exactly the audit log's syscall events per (syscall, action — in
# complain mode the one it "would" have taken); octrace_denials_total is the events octrace
# made fail (enforce: every ERRNO; complain: the guards' only); the stop histogram counts
# every one of them; the audit events written are the log's lines. A FILE in a directory that
# does not exist is one line and exit 2, the command not run.
. "$(dirname "$0")/lib.sh"

POLICY=$P/audit.json
LOAD=$(realpath -e "$B/auditload") || bail "no auditload in $B"
if ! command -v jq >/dev/null; then
	skip "jq is not installed (apt-get install jq): no metrics checks"
	finish
fi

# metric_rows: "syscall action count" of octrace_syscalls_total in $M, sorted.
metric_rows() {
	sed -n 's/^octrace_syscalls_total{.*,syscall="\([^"]*\)",action="\([^"]*\)"} \([0-9]*\)$/\1 \2 \3/p' \
		"$M" | sort
}
# audit_rows: the same from the audit log's syscall events.
audit_rows() {
	jq -r 'select(.event == "syscall") | "\(.syscall) \(.would // .action)"' "$LOG" |
		sort | uniq -c | awk '{ print $2, $3, $1 }' | sort
}
# value NAME: the value of the one sample of NAME in $M.
value() {
	awk -v n="$1" 'index($0, n "{") == 1 { print $2 }' "$M"
}

for mode in enforce complain; do
	RUN=$T/run-$mode
	LOG=$T/$mode.jsonl
	M=$T/out-$mode/metrics.prom
	mkdir -p "$RUN" "$T/out-$mode" || bail "mkdir"
	echo known >"$RUN/known"
	extra=()
	[ "$mode" = complain ] && extra=(--complain)
	run "$OCTRACE" run --policy "$POLICY" "${extra[@]}" --audit "$LOG" --audit-level traced \
		--metrics "$M" -- "$LOAD" "$RUN" 3>/dev/null
	is "$ST" 7 "$mode: exit status 7 (the workload's)" || diag "stderr: $ERR"
	is "$(stat -c %a "$M" 2>&1)" 644 "$mode: the metrics file is there, 0644"
	is "$(ls -A "$T/out-$mode")" metrics.prom "$mode: no temporary file beside it"
	rows=$(metric_rows)
	is "$rows" "$(audit_rows)" "$mode: octrace_syscalls_total per (syscall, action) = the audit log's events"
	diag "$rows"
	[ "$(wc -l <<<"$rows")" -ge 4 ]
	ok $? "$mode: at least 4 series (getppid, mkdirat, openat, uname ...)"
	if [ "$mode" = enforce ]; then
		want=$(jq -r 'select(.event == "syscall" and .action == "SCMP_ACT_ERRNO") | .tid' "$LOG" | wc -l)
	else
		want=$(jq -r 'select(.event == "syscall" and has("guard")) | .tid' "$LOG" | wc -l)
	fi
	is "$(value octrace_denials_total)" "$want" "$mode: octrace_denials_total = the log's denials ($want)"
	is "$(value octrace_stop_seconds_count)" "$(jq -r 'select(.event == "syscall") | .tid' "$LOG" | wc -l)" \
		"$mode: every acted-on stop is in the histogram"
	is "$(sed -n 's/^octrace_audit_events_total{.*result="written"} //p' "$M")" "$(wc -l <"$LOG")" \
		"$mode: audit events written = the log's lines"
	is "$(sed -n 's/^octrace_info{.*mode="\([a-z]*\)"} 1$/\1/p' "$M")" "$mode" "$mode: octrace_info's mode"
done

run "$OCTRACE" run --metrics "$T/nowhere/m.prom" -- "$B/sysprobe" getpid
is "$ST $(wc -l <<<"$ERR")" "2 1" "--metrics in a missing directory: one line, exit 2"
diag "$ERR"
is "$OUT" "" "and the command did not run"
finish
