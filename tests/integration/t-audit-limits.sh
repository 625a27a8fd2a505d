#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The hook's audit log is bounded by the admin's --audit-max-size and --audit-rate, and its
# counts stay exact (docs/audit-format.md, Limits). With deny.json, a container making 4000
# denied getpgid calls:
#   --audit-max-size 256K --audit-rate 0: LOG_DIR/ID.jsonl and ID.jsonl.1 only, each within
#   256 KiB, every line whole and valid; the teardown (last line of ID.jsonl) counts all 4000;
#   ID.jsonl.1 holds the lines just before ID.jsonl's.
#   --audit-rate 300 (no rotation): some events dropped; the getpgid lines written plus the
#   getpgid drops of the "suppressed" events are exactly 4000, the teardown's count.
# A limit the hook refuses (10K) stops the container from starting. No annotation can change
# either limit (there is none for them).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
[ -x "${AUDIT_VALIDATE:-}" ] || skip_all "audit-validate (AUDIT_VALIDATE) is not built"

N=4000
LIMIT=$((256 * 1024))
workload=(/bin/integ-prog flood "$N")
admin=(--hook-arg=--policy="$POLICIES/deny.json" --hook-arg=--audit-level=traced)

valid() { # FILE: audit-validate accepts every line of a non-empty FILE
	local out lines
	lines=$(wc -l <"$1" 2>/dev/null) || return 1
	out=$("$AUDIT_VALIDATE" "$1" 2>&1) && [ "$out" = "$lines lines valid" ] && [ "$lines" -gt 0 ] &&
		return 0
	echo "# audit-validate $1: $out"
	return 1
}

flooded() { # ID NAME: the container ran its N denied calls
	[ "$status" = 0 ] && [ "$(cat "$TMP/$2/out")" = "flood $N denied" ] && return 0
	echo "# $RT run $1: status $status"
	show "$TMP/$2/out" "$TMP/$2/err" "$LOGS/$1.log"
	return 1
}

# teardown_getpgid FILE: the getpgid calls in FILE's teardown.
teardown_getpgid() {
	jq -r 'select(.event == "teardown") | .counts[] | select(.syscall == "getpgid") | .calls' "$1"
}

# 1. Rotation.
bundle rot "${admin[@]}" --hook-arg=--audit-max-size=256K --hook-arg=--audit-rate=0 \
	-- "${workload[@]}"
run rot rot
clean_ok=true
clean || clean_ok=false
check "$RT, rotation: the container ran" flooded rot rot
check "$RT, rotation: ID.jsonl and ID.jsonl.1, nothing else" \
	[ "$(cd "$LOGS" && echo rot.jsonl*)" = "rot.jsonl rot.jsonl.1" ]
for f in rot.jsonl rot.jsonl.1; do
	size=$(stat -c %s "$LOGS/$f" 2>/dev/null || echo 0)
	check "$RT, rotation: $f within $LIMIT bytes ($size)" [ "$size" -gt 0 -a "$size" -le "$LIMIT" ]
	check "$RT, rotation: every line of $f whole and valid" valid "$LOGS/$f"
	check "$RT, rotation: $f has mode 0640" [ "$(stat -c %a "$LOGS/$f" 2>&1)" = 640 ]
done
check "$RT, rotation: the rotated file was full (more than $LIMIT - 1 KiB)" \
	[ "$(stat -c %s "$LOGS/rot.jsonl.1")" -gt $((LIMIT - 1024)) ]
check "$RT, rotation: the teardown is the last line of ID.jsonl and counts all $N calls" \
	[ "$(jq -rs '.[-1].event' "$LOGS/rot.jsonl"):$(teardown_getpgid "$LOGS/rot.jsonl")" = "teardown:$N" ]
check "$RT, rotation: fewer lines kept than calls made (the oldest rotated away)" \
	[ "$(cat "$LOGS/rot.jsonl.1" "$LOGS/rot.jsonl" | grep -c '"syscall":"getpgid"')" -lt "$N" ]
check "$RT, rotation: nothing left" $clean_ok

# 2. Rate limit: counts exact.
bundle rate "${admin[@]}" --hook-arg=--audit-rate=300 -- "${workload[@]}"
run rate rate
clean_ok=true
clean || clean_ok=false
check "$RT, rate: the container ran" flooded rate rate
check "$RT, rate: every line of ID.jsonl valid" valid "$LOGS/rate.jsonl"
# (the hook's tracer holds ID.jsonl.1 open from the start, empty until a rotation)
check "$RT, rate: no rotation (default 64M)" [ ! -s "$LOGS/rate.jsonl.1" ]
written=$(jq -r 'select(.event == "syscall" and .syscall == "getpgid") | .tid' "$LOGS/rate.jsonl" | wc -l)
dropped=$(jq -r 'select(.event == "suppressed") | .syscalls[]? | select(.syscall == "getpgid") |
	.dropped' "$LOGS/rate.jsonl" | awk '{ s += $1 } END { print s + 0 }')
echo "# $RT, rate 300/s: $written getpgid events written, $dropped dropped"
check "$RT, rate: some events dropped, in suppressed events" [ "$dropped" -gt 0 ]
check "$RT, rate: written + dropped = $N = the teardown's count" \
	[ "$((written + dropped)):$(teardown_getpgid "$LOGS/rate.jsonl")" = "$N:$N" ]
check "$RT, rate: nothing left" $clean_ok

# 3. A bad limit is the admin's mistake: the container does not start, the hook says why.
bundle bad "${admin[@]}" --hook-arg=--audit-max-size=10K -- "${workload[@]}"
run bad bad
if [ "$status" != 0 ] && [ ! -s "$TMP/bad/out" ] && hook_error bad | grep -q -- '--audit-max-size'; then
	ok "$RT, --audit-max-size=10K: refused, not started"
else
	not_ok "$RT, --audit-max-size=10K: refused, not started (status $status)"
	show "$TMP/bad/out" "$TMP/bad/err" "$TMP/bad/hook.err"
fi
check "$RT, bad limit: nothing left" clean
finish
