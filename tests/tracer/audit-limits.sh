#!/bin/bash
# The audit log's bounds under `octrace run` (docs/audit-format.md, "Volume"): with
# --audit-max-size the log is rotated to FILE.1, whole lines only, at most two files each
# within the limit, the teardown in the newest counting every call; with --audit-rate the
# events past the rate are dropped and counted in "suppressed" events, and lines written +
# drops = the teardown's count exactly; bad values are one line and exit 2. And "comm", which
# octrace caches per task: a rename by prctl is seen at once at level all, a write to
# /proc/self/task/TID/comm within the cache's 100 ms, at every level.
#
# Workloads: redteam "flood N 110 0" (N getppid calls, denied by the policy below), renamer.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || {
	skip "jq is not installed (apt-get install jq): no audit log checks"
	finish
}
[ -x "${AUDIT_VALIDATE:-}" ] || {
	skip "audit-validate (AUDIT_VALIDATE) is not built"
	finish
}
R=$B/redteam
N=4000
LIMIT=$((256 * 1024))

cat >"$T/p.json" <<'EOF'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}
EOF

valid() { # FILE DESC: audit-validate accepts every line of a non-empty FILE
	local out lines
	lines=$(wc -l <"$1")
	out=$("$AUDIT_VALIDATE" "$1" 2>&1)
	[ "$out" = "$lines lines valid" ] && [ "$lines" -gt 0 ]
	ok $? "$2" "audit-validate: $out"
}

teardown_calls() { # FILE: the getppid calls in FILE's teardown
	jq -r 'select(.event == "teardown") | .counts[] | select(.syscall == "getppid") | .calls' "$1"
}

flood() { # LOG OPTS...: octrace run of N denied getppid calls
	local log=$1
	shift
	run "$OCTRACE" run --policy "$T/p.json" --audit "$log" "$@" -- "$R" flood "$N" 110 0 </dev/null
	is "$ST:$OUT" "0:flood done" "flood $*: the workload ran, octrace exited 0" || diag "$ERR"
}

# 1. Rotation.
flood "$T/rot.jsonl" --audit-max-size 256K --audit-rate 0
is "$(cd "$T" && echo rot.jsonl*)" "rot.jsonl rot.jsonl.1" "rotation: FILE and FILE.1, nothing else"
for f in rot.jsonl rot.jsonl.1; do
	size=$(stat -c %s "$T/$f" 2>/dev/null || echo 0)
	[ "$size" -gt 0 ] && [ "$size" -le "$LIMIT" ]
	ok $? "rotation: $f within $LIMIT bytes ($size)"
	valid "$T/$f" "rotation: every line of $f whole and valid"
done
[ "$(stat -c %s "$T/rot.jsonl.1")" -gt $((LIMIT - 1024)) ]
ok $? "rotation: the rotated file is full"
is "$(jq -rs '.[-1].event' "$T/rot.jsonl"):$(teardown_calls "$T/rot.jsonl")" "teardown:$N" \
	"rotation: the teardown is the last line of FILE, all $N calls counted"
first=$(jq -r 'select(.event == "syscall") | .time' "$T/rot.jsonl" | head -1)
last1=$(jq -r 'select(.event == "syscall") | .time' "$T/rot.jsonl.1" | tail -1)
[[ "$last1" < "$first" || "$last1" == "$first" ]]
ok $? "rotation: FILE.1 holds the older lines ($last1 <= $first)"

# 2. Rate limit: exact counts.
flood "$T/rate.jsonl" --audit-rate 200
valid "$T/rate.jsonl" "rate: every line valid"
written=$(jq -r 'select(.event == "syscall" and .syscall == "getppid") | .tid' "$T/rate.jsonl" | wc -l)
dropped=$(jq -r 'select(.event == "suppressed") | .syscalls[]? | select(.syscall == "getppid") |
	.dropped' "$T/rate.jsonl" | awk '{ s += $1 } END { print s + 0 }')
diag "rate 200/s: $written getppid events written, $dropped dropped"
[ "$dropped" -gt 0 ] && [ "$written" -ge 190 ]
ok $? "rate: about one second's worth written (200, the exec event among them) ($written), the rest dropped ($dropped)"
is "$((written + dropped)):$(teardown_calls "$T/rate.jsonl")" "$N:$N" \
	"rate: written + dropped = $N = the teardown's count"
is "$(jq -r 'select(.event == "attach" or .event == "armed") | .event' "$T/rate.jsonl" | tr '\n' ' ')" \
	"attach armed " "rate: attach and armed are never dropped"
# the defaults: 1000 events a second, 64M
flood "$T/default.jsonl"
written=$(jq -r 'select(.event == "syscall") | .tid' "$T/default.jsonl" | wc -l)
[ "$written" -lt "$N" ] && [ "$(jq -r 'select(.event == "suppressed") | .dropped' "$T/default.jsonl" |
	awk '{ s += $1 } END { print s + 0 }')" -gt 0 ]
ok $? "default rate (1000/s): $written of $N events written, the rest suppressed"

# 3. Bad values: one line, exit 2, nothing run.
for bad in "--audit-max-size 100K" "--audit-max-size 64MB" "--audit-max-size -1" \
	"--audit-rate fast" "--audit-rate -3"; do
	# shellcheck disable=SC2086
	run "$OCTRACE" run --audit "$T/bad.jsonl" $bad -- "$R" flood 1 110 0
	[ "$ST" = 2 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && [[ $ERR == *"${bad%% *}"* ]] && [ -z "$OUT" ]
	ok $? "$bad: refused, one line naming the option, exit 2" "status $ST: $ERR"
done
run "$OCTRACE" run --audit-rate 5 -- "$R" flood 1 110 0
is "$ST:$ERR" "2:octrace: --audit-rate needs --audit FILE (see 'octrace --help')" \
	"--audit-rate without --audit: refused"

# 4. comm, cached per task.
for level in all denied; do
	run "$OCTRACE" run --policy "$P/deny.json" --audit "$T/comm-$level.jsonl" \
		--audit-level "$level" -- "$B/renamer"
	is "$ST:$(tail -1 <<<"$OUT")" "0:renamed ok" "renamer at level $level: ran" || diag "$ERR"
	comms=$(jq -r 'select(.event == "syscall" and .syscall == "getppid") | .comm' \
		"$T/comm-$level.jsonl" | tr '\n' ' ')
	if [ "$level" = all ]; then
		is "$comms" "renamer by-prctl by-proc " \
			"level all: prctl(PR_SET_NAME) seen at once, a /proc/self/task/TID/comm write within 100 ms"
	else
		# prctl does not stop at level denied: the name is picked up within 100 ms
		[[ $comms == "renamer "*" by-proc " ]]
		ok $? "level denied: a rename is picked up within 100 ms (got: $comms)"
	fi
done
finish
