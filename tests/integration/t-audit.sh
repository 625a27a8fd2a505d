#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The hook's per-container audit log, LOG_DIR/ID.jsonl (docs/audit-format.md). With
# --audit-level traced and deny.json: every line passes audit-validate (AUDIT_VALIDATE) and
# carries "container": ID, the log starts with the attach and ends with the teardown whose
# status is the container's, and the denied getpgid and mkdirat are there with the policy's
# action, errno, rule index and decoded path. The org.octrace.audit-level annotation is the
# container creator's: "all" is refused (the container does not start) while the admin's
# maximum is the default (the --audit-level), and accepted with --max-audit-level all, when
# the log also has the allowed syscalls with their return values. The entrypoint (pid 1 of the
# container, the only task) is armed with denials by notification (docs/kernel-behaviours.md
# §29), which these checks then cover; at level all with denials by seccomp stop.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
[ -x "${AUDIT_VALIDATE:-}" ] || skip_all "audit-validate (AUDIT_VALIDATE) is not built"

workload=(sh -c 'touch /marker-$0; /bin/integ-prog probe 0; echo after; exit 6')
admin=(--hook-arg=--policy="$POLICIES/deny.json" --hook-arg=--audit-level=traced)

# valid FILE: audit-validate accepts every line of a non-empty FILE.
valid() {
	local out lines
	lines=$(wc -l <"$1" 2>/dev/null) || return 1
	out=$("$AUDIT_VALIDATE" "$1" 2>&1) && [ "$out" = "$lines lines valid" ] && [ "$lines" -gt 0 ] &&
		return 0
	echo "# audit-validate: $out"
	return 1
}

# q ID JQ-ARGS...: jq -r over LOG_DIR/ID.jsonl.
q() {
	local id=$1
	shift
	jq -r "$@" "$LOGS/$id.jsonl"
}

# started ID NAME: the container ran its workload (status 6, its output).
started() {
	[ "$status" = 6 ] && [ -e "$ROOTFS/marker-$1" ] &&
		[ "$(cat "$TMP/$2/out")" = "getpgid: -1 errno 42
mkdirat: -1 errno 13
after" ] && return 0
	echo "# $RT run $1: status $status, want 6 and the workload's output"
	show "$TMP/$2/out" "$TMP/$2/err" "$LOGS/$1.log"
	return 1
}

# common ID LEVEL: the checks every accepted container's audit log passes.
common() {
	local id=$1 level=$2
	check "$RT, $level: $id.jsonl exists, mode 0640" [ "$(stat -c %a "$LOGS/$id.jsonl" 2>&1)" = 640 ]
	check "$RT, $level: every line of $id.jsonl is valid" valid "$LOGS/$id.jsonl"
	check "$RT, $level: every line has \"container\": \"$id\"" \
		[ "$(q "$id" --arg id "$id" 'select(.container != $id)' | wc -l)" = 0 ]
	check "$RT, $level: the first line is the attach, at level $level" \
		[ "$(q "$id" -s '.[0] | "\(.event) \(.mode) \(.level)"')" = "attach enforce $level" ]
	check "$RT, $level: the last line is the teardown, with the container's status 6" \
		[ "$(q "$id" -s '.[-1] | "\(.event) \(.status)"')" = "teardown 6" ]
	check "$RT, $level: the entrypoint's exec is there" \
		[ "$(q "$id" 'select(.event == "exec") | .path' | head -1)" = /bin/busybox ]
	local by=notification
	[ "$level" = all ] && by=stop # every call stops at its entry and exit there (§29)
	check "$RT, $level: the entrypoint, pid 1 alone, is armed with denials by $by (§29)" \
		[ "$(q "$id" 'select(.event == "armed") | .denials' | head -1)" = "$by" ]
	check "$RT, $level: getpgid denied, ERRNO(42), rule 0" \
		[ "$(q "$id" 'select(.event == "syscall" and .syscall == "getpgid") |
			"\(.comm) \(.action) \(.errno) \(.rule)"')" = "integ-prog SCMP_ACT_ERRNO 42 0" ]
	check "$RT, $level: mkdirat denied, ERRNO(13), rule 1, decoded path /probe-dir" \
		[ "$(q "$id" 'select(.event == "syscall" and .syscall == "mkdirat") |
			"\(.action) \(.errno) \(.rule) \(.decoded.path)"')" = "SCMP_ACT_ERRNO 13 1 /probe-dir" ]
	check "$RT, $level: the .log's last line has status 6" [ "$(log_status "$id")" = 6 ]
}

# 1. The admin's --audit-level traced.
bundle traced "${admin[@]}" -- "${workload[@]}" a-traced
run a-traced traced
clean_ok=true
clean || clean_ok=false # also waits for the daemon's last lines
check "$RT, traced: the container ran" started a-traced traced
common a-traced traced
check "$RT, traced: only syscalls that stopped (each names its rule), no return values" \
	[ "$(q a-traced 'select(.event == "syscall" and (has("rule") | not) or has("ret"))' | wc -l)" = 0 ]
check "$RT, traced: nothing left" $clean_ok

# 2. The annotation asks for more than the admin allows: refused, the container never starts.
bundle refused "${admin[@]}" --annotation org.octrace.audit-level=all -- "${workload[@]}" a-refused
run a-refused refused
if [ "$status" != 0 ] && [ ! -e "$ROOTFS/marker-a-refused" ] &&
	hook_error refused | grep -q 'annotation org.octrace.audit-level: refused'; then
	ok "$RT, annotation audit-level=all over the admin's traced: refused, not started"
else
	not_ok "$RT, annotation audit-level=all over the admin's traced: refused, not started (status $status)"
	show "$TMP/refused/out" "$TMP/refused/err" "$TMP/refused/hook.err"
fi
check "$RT, refused: no audit log written" [ ! -s "$LOGS/a-refused.jsonl" ]
check "$RT, refused: nothing left" clean

# 3. With --max-audit-level all the same annotation is accepted: every syscall, with "ret".
bundle all "${admin[@]}" --hook-arg=--max-audit-level=all \
	--annotation org.octrace.audit-level=all -- "${workload[@]}" a-all
run a-all all
clean_ok=true
clean || clean_ok=false
check "$RT, all: the container ran" started a-all all
common a-all all
check "$RT, all: allowed syscalls appear, with their return value and no rule" \
	[ "$(q a-all 'select(.event == "syscall" and .action == "SCMP_ACT_ALLOW" and
		(has("rule") | not) and has("ret")) | .syscall' | sort -u | wc -l)" -ge 5 ]
check "$RT, all: the workload's writes are there (allowed, with the bytes written)" \
	[ "$(q a-all 'select(.event == "syscall" and .syscall == "write" and .comm == "integ-prog" and
		.action == "SCMP_ACT_ALLOW" and .ret > 0)' | jq -s length)" = 2 ]
check "$RT, all: every syscall event has a return value" \
	[ "$(q a-all 'select(.event == "syscall" and (has("ret") | not))' | wc -l)" = 0 ]
check "$RT, all: nothing left" $clean_ok
finish
