#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# One container, one pair of logs (runtime-hook/hook_logs.h), never shared, never another's:
#   1. Two 250-byte ids with a 249-byte common prefix (runc and crun take ids up to 255 bytes):
#      two files, PREFIX+HASH.log/.jsonl with PREFIX the first 64 bytes and HASH the first 32
#      hex digits of the id's SHA-256 (computed here with Python's hashlib), each with its own
#      container's lines and events only.
#   2. An id outside [A-Za-z0-9._-] (a+b) and the plain id it would sanitise to (a_b): two
#      files.
#   3. An id reused after `delete`: the new container's ID.log and ID.jsonl are new files, the
#      earlier ones were moved to ID@TIME.log and ID@TIME.jsonl (one TIME for both).
#   4. One id in two runtime roots at once: the first container's files are moved away when
#      the second starts; its daemon goes on writing to them (its last line, its teardown)
#      and never to the second's.
#   5. org.octrace.log (with --allow-log-name): two live containers naming the same log get a
#      file each (@NAME.log, and the earlier one moved); a container naming another's id gets
#      @ID.log and leaves the other's ID.log alone.
#   6. (crun, which takes such ids; runc refuses them) An id with a newline: a hashed name, and
#      the daemon's lines naming it stay one line each (the newline escaped), so the id cannot
#      forge a line of the log.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup
ln -s busybox "$ROOTFS/bin/sleep"

# events_only FILE ID: FILE is JSON Lines, not empty, and every event's container is ID.
events_only() {
	"$PY" -S - "$1" "$2" <<'EOF'
import json, sys
n = 0
with open(sys.argv[1]) as f:
    for line in f:
        ev = json.loads(line)
        if ev.get("container") != sys.argv[2]:
            sys.exit(f"# {sys.argv[1]}: an event of {ev.get('container')!r}")
        n += 1
sys.exit(0 if n else f"# {sys.argv[1]}: no events")
EOF
}

# hashed_stem ID: the stem hook_logs.h documents, computed independently.
hashed_stem() {
	"$PY" -S -c '
import hashlib, re, sys
i = sys.argv[1]
p = re.sub(r"[^A-Za-z0-9._-]", "_", i[:64])
p = "_" + p[1:] if p[0] in ".-" else p
print(p + "+" + hashlib.sha256(i.encode()).hexdigest()[:32])' "$1"
}

# own_log ID STEM STATUS: LOGS/STEM.log ends with ID's exit at STATUS, LOGS/STEM.jsonl has
# ID's events only.
own_log() {
	local log=$LOGS/$2.log
	[ -f "$log" ] || { echo "# $log is missing"; ls "$LOGS" | diag; return 1; }
	tail -n 1 "$log" | grep -qF "octrace: container $1: init exited, status $3" ||
		{ echo "# $log does not end with $1's exit"; show "$log"; return 1; }
	[ "$(grep -c 'init exited' "$log")" = 1 ] || { echo "# $log: more than one exit"; return 1; }
	events_only "$LOGS/$2.jsonl" "$1"
}

# 1. Long ids with a common prefix.
long=$(printf 'L%.0s' $(seq 1 249))
for n in 1 2; do
	bundle "long$n" -- sh -c "exit 1$n"
	run "$long$n" "long$n"
	check "$RT, a 250-byte id ($n): exit 1$n" [ "$status" = "1$n" ]
done
settle
for n in 1 2; do
	stem=$(hashed_stem "$long$n")
	check "$RT, a 250-byte id ($n): its own logs, ${stem:60}.log" own_log "$long$n" "$stem" "1$n"
done
long_logs=("$LOGS"/L*+*.log)
check "$RT, long ids: two pairs of logs" [ "${#long_logs[@]}" = 2 ]
check "$RT, long ids: nothing left" clean

# 2. An id with a character outside the plain set, and the plain id it sanitises to.
for id in a+b a_b; do
	bundle "plain-$id" -- sh -c 'exit 3'
	run "$id" "plain-$id"
done
settle
check "$RT, a+b: its own logs" own_log a+b "$(hashed_stem a+b)" 3
check "$RT, a_b: its own logs, a_b.log" own_log a_b a_b 3
check "$RT, a+b and a_b: nothing left" clean

# 3. An id reused after delete.
bundle reuse -- sh -c 'exit 4'
run reused reuse
bundle reuse -- sh -c 'exit 5'
run reused reuse
settle
check "$RT, a reused id: reused.log is the second container's" own_log reused reused 5
moved=$(cd "$LOGS" && ls reused@*.log 2>/dev/null)
check "$RT, a reused id: the first one's moved to one reused@TIME.log ($moved)" \
	[ "$(wc -w <<<"$moved")" = 1 ]
check "$RT, a reused id: reused@TIME.log and .jsonl are the first one's" \
	own_log reused "${moved%.log}" 4
check "$RT, a reused id: nothing left" clean

# 4. One id in two runtime roots at once: the first keeps writing to its moved files.
RT2_CMD=("${RT_CMD[@]/#$TMP\/state/$TMP/state2}")
RT2_CG_CMD=("${RT_CG_CMD[@]/#$TMP\/state/$TMP/state2}")
rt2() { "${RT2_CMD[@]}" "$@"; }
mkfifo "$ROOTFS/twin.go"
bundle twin1 -- sh -c "read x <'/twin.go'; exit 6"
if create_start twin twin1; then
	first=$init_pid
	bundle twin2 -- sh -c 'exit 7'
	timeout -k 5 "$RUN_TIMEOUT" "${RT2_CG_CMD[@]}" run --bundle "$TMP/twin2" twin \
		>"$TMP/twin2/out" 2>"$TMP/twin2/err" </dev/null
	second=$?
	echo go >"$ROOTFS/twin.go"
	helper waitpid "$first" >/dev/null
	settle
	rt delete twin
	moved=$(cd "$LOGS" && ls twin@*.log 2>/dev/null)
	check "$RT, one id in two roots: the second ran (status $second)" [ "$second" = 7 ]
	check "$RT, one id in two roots: twin.log is the second's" own_log twin twin 7
	check "$RT, one id in two roots: the first's moved log ($moved) got its last line" \
		own_log twin "${moved%.log}" 6
	check "$RT, one id in two roots: the first's attach is in its own audit log" \
		grep -q "\"event\":\"attach\",\"container\":\"twin\",\"pid\":$first," \
		"$LOGS/${moved%.log}.jsonl"
	check "$RT, one id in two roots: and not in the second's" \
		test "$(grep -c "\"pid\":$first," "$LOGS/twin.jsonl")" = 0
else
	not_ok "$RT, one id in two roots: the first container"
fi
for id in $(rt2 list -q 2>/dev/null); do rt2 delete --force "$id" >/dev/null 2>&1; done
check "$RT, one id in two roots: nothing left" clean

# 5. org.octrace.log, allowed by the admin.
allow=(--hook-arg=--allow-log-name)
mkfifo "$ROOTFS/named.go"
bundle named1 "${allow[@]}" --annotation org.octrace.log=shared -- \
	sh -c "read x <'/named.go'; exit 8"
if create_start n1 named1; then
	n1=$init_pid
	bundle named2 "${allow[@]}" --annotation org.octrace.log=shared -- sh -c 'exit 9'
	run n2 named2
	echo go >"$ROOTFS/named.go"
	helper waitpid "$n1" >/dev/null
	settle
	rt delete n1
	moved=$(cd "$LOGS" && ls @shared@*.log 2>/dev/null)
	check "$RT, two containers naming one log: @shared.log is the second's" own_log n2 @shared 9
	check "$RT, two containers naming one log: the first's moved ($moved), its own" \
		own_log n1 "${moved%.log}" 8
else
	not_ok "$RT, two containers naming one log: the first container"
fi
check "$RT, two containers naming one log: nothing left" clean

mkfifo "$ROOTFS/victim.go"
bundle victim -- sh -c "read x <'/victim.go'; exit 10"
if create_start victim victim; then
	v=$init_pid
	before=$(stat -c %i "$LOGS/victim.log" "$LOGS/victim.jsonl")
	bundle attacker "${allow[@]}" --annotation org.octrace.log=victim -- sh -c 'exit 11'
	run attacker attacker
	after=$(stat -c %i "$LOGS/victim.log" "$LOGS/victim.jsonl")
	check "$RT, a log named after another container: victim.log and .jsonl the same files" \
		[ "$before" = "$after" ]
	echo go >"$ROOTFS/victim.go"
	helper waitpid "$v" >/dev/null
	settle
	rt delete victim
	check "$RT, a log named after another container: victim.log is the victim's" \
		own_log victim victim 10
	check "$RT, a log named after another container: the attacker's is @victim.log" \
		own_log attacker @victim 11
else
	not_ok "$RT, a log named after another container: the victim container"
fi
check "$RT, a log named after another container: nothing left" clean

if [ "$RT" = crun ]; then
	nl=$'nl\noctrace: container nl: init exited, status 0'
	bundle nl -- sh -c 'exit 12'
	run "$nl" nl
	settle
	stem=$(hashed_stem "$nl")
	check "$RT, an id with a newline: exit 12" [ "$status" = 12 ]
	check "$RT, an id with a newline: logs $stem.log and .jsonl" \
		events_only "$LOGS/$stem.jsonl" "$nl"
	check "$RT, an id with a newline: no line of the log starts inside the id" \
		eval "! grep -q '^octrace: ' '$LOGS/$stem.log'"
	check "$RT, an id with a newline: the last line is the exit, the id escaped" \
		[ "$(tail -n 1 "$LOGS/$stem.log" | cut -d' ' -f2-)" = \
		'octrace: container nl\noctrace: container nl: init exited, status 0: init exited, status 12' ]
	check "$RT, an id with a newline: nothing left" clean
else
	echo "# runc refuses an id with a newline itself (invalid container ID format)"
fi
finish
