#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Fail closed. octrace-hook fed a bad state on stdin exits non-zero with one line on stderr
# that names the cause. Run by the runtime with a bad state (through state-filter.py), a
# missing bundle, a pid that is not there, an invalid policy (--policy, --policy-dir +
# annotation, or a bundle's linux.seccomp that the runtimes accept but octrace does not) or a
# refused mode: the runtime's run fails, the entrypoint never runs (it would create a marker
# file), the runtime's error output carries the hook's line, and nothing is left.
# The line is one line whatever the values it echoes hold: control characters in an id, an
# annotation value or a path are escaped (\n, \xHH), directly and through the runtime (crun
# takes ids with a newline; runc does not).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

# 1. octrace-hook run directly: STATE on stdin -> non-zero, exactly one stderr line with CAUSE.
# An exited and reaped pid (never hand the hook a live pid: it would attach to it).
gone=$(
	sh -c 'exit 0' &
	wait $!
	echo $!
)
direct() { # DESCRIPTION STATE CAUSE
	local err=$TMP/direct.err rc
	printf '%s' "$2" | env -i OCTRACE_INTEG_TAG="$TAG" "$HOOK" --log-dir "$TMP/direct-logs" \
		>"$TMP/direct.out" 2>"$err"
	rc=$?
	if [ "$rc" != 0 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "^octrace-hook: .*$3" "$err" &&
		[ ! -s "$TMP/direct.out" ]; then
		ok "direct, $1: exit $rc, one line: $(cat "$err")"
	else
		not_ok "direct, $1: exit $rc, want non-zero and one line naming \"$3\""
		show "$err" "$TMP/direct.out"
	fi
}
state() { # PID BUNDLE
	printf '{"ociVersion":"1.0.2","id":"e1","status":"creating","pid":%s,"bundle":"%s"}' "$1" "$2"
}
direct "empty stdin" '' 'state: .*malformed JSON'
direct "not JSON" '{bad' 'state: .*malformed JSON'
direct "truncated JSON" '{"ociVersion":"1.0.2","id":' 'state: .*malformed JSON'
direct "an array" '[1,2]' 'state: expected an object'
direct "no pid" '{"ociVersion":"1.0.2","id":"e1","status":"creating","bundle":"/"}' \
	'state: pid: missing'
direct "pid a string" "$(state '"12"' "$TMP/base")" 'state: pid: expected a number'
direct "missing bundle" "$(state "$gone" "$TMP/no-such-bundle")" \
	"$TMP/no-such-bundle/config.json: cannot read: No such file or directory"
direct "pid not there" "$(state "$gone" "$TMP/base")" "pid $gone: no such process"
direct "an id with a newline" \
	"{\"ociVersion\":\"1.0.2\",\"id\":\"e1\\nforged: x\",\"pid\":$gone,\"bundle\":\"$TMP/base\"}" \
	"container e1\\\\nforged: x: pid $gone: no such process"
direct "an annotation with control characters" \
	"{\"ociVersion\":\"1.0.2\",\"id\":\"e1\",\"pid\":$gone,\"bundle\":\"$TMP/base\",\"annotations\":{\"org.octrace.policy\":\"a\\nb\\u001b[31m\\u0007\"}}" \
	'annotation org.octrace.policy: refused: "a\\nb\\x1b\[31m\\x07" is not a policy name'
direct "a bundle path with a newline" "$(state "$gone" "$TMP/no\\nbundle")" \
	"$TMP/no\\\\nbundle/config.json: cannot read: No such file or directory"
check "direct: nothing left" clean

# 2. Through the runtime: the container must not start.
mkdir -p "$TMP/policies"
cp "$POLICIES/deny.json" "$POLICIES/bad-action.json" "$TMP/policies/"
filter=(--hook "$PY" --hook-arg=-S --hook-arg="$HERE/state-filter.py")
k=0
refused() { # DESCRIPTION CAUSE [bundle options...]
	local what=$1 cause=$2 id name good=true
	shift 2
	k=$((k + 1))
	id=e$k
	name=$id
	bundle "$name" "$@" -- sh -c "touch /marker-$id; exit 0"
	run "$id" "$name"
	[ "$status" != 0 ] || { echo "# $RT run exited 0"; good=false; }
	[ ! -e "$ROOTFS/marker-$id" ] || { echo "# the entrypoint ran"; good=false; }
	hook_error "$name" | grep -q "octrace-hook: .*$cause" ||
		{ echo "# the runtime's error output lacks \"octrace-hook: ...$cause\""; good=false; }
	if $good; then
		ok "$RT, $what: not started; $(hook_error "$name" | grep -o 'octrace-hook: .*' | head -1)"
	else
		not_ok "$RT, $what: not started, error names \"$cause\" (exit $status)"
		show "$TMP/$name/out" "$TMP/$name/err" "$TMP/$name/hook.err"
	fi
	check "$RT, $what: nothing left" clean
}
refused "bad JSON state" 'state: .*malformed JSON' \
	"${filter[@]}" '--hook-arg=raw={"ociVersion":' --hook-arg="$HOOK" \
	--hook-arg=--policy="$POLICIES/deny.json"
refused "missing bundle" "$TMP/no-such-bundle/config.json: cannot read: No such file" \
	"${filter[@]}" --hook-arg=bundle="$TMP/no-such-bundle" --hook-arg="$HOOK" \
	--hook-arg=--policy="$POLICIES/deny.json"
refused "pid not there" 'pid [0-9]*: no such process' \
	"${filter[@]}" --hook-arg=pid=gone --hook-arg="$HOOK" \
	--hook-arg=--policy="$POLICIES/deny.json"
refused "--policy with bad JSON" 'bad-syntax.json: .*malformed JSON' \
	--hook-arg=--policy="$POLICIES/bad-syntax.json"
refused "--policy with an unknown action" \
	'bad-action.json: syscalls\[0\].action: unknown action "SCMP_ACT_DENY_PLEASE"' \
	--hook-arg=--policy="$POLICIES/bad-action.json"
refused "--policy naming a missing file" "$TMP/missing.json: cannot read" \
	--hook-arg=--policy="$TMP/missing.json"
refused "annotation naming an invalid policy" 'bad-action.json: .*unknown action' \
	--hook-arg=--policy-dir="$TMP/policies" --annotation org.octrace.policy=bad-action
refused "annotation naming a missing policy" 'nosuch.json: cannot read' \
	--hook-arg=--policy-dir="$TMP/policies" --annotation org.octrace.policy=nosuch
refused "bundle linux.seccomp with an empty names list" 'syscalls\[0\].names: empty' \
	--seccomp "$POLICIES/bundle-empty-names.json"
refused "complain mode not allowed by the admin" 'complain mode is not allowed' \
	--hook-arg=--policy="$POLICIES/deny.json" --annotation org.octrace.mode=complain
refused "unknown mode" 'unknown mode "bogus"' \
	--hook-arg=--policy="$POLICIES/deny.json" --annotation org.octrace.mode=bogus

# Control characters through the runtime: one line, escaped. runc quotes the hook's stderr
# in its own message (a backslash doubled), crun writes it to hook.err as it is.
escaped() { # DESCRIPTION NAME TEXT: the hook's one line is "octrace-hook: TEXT"
	local good=true quoted
	if [ "$RT" = runc ]; then
		quoted=$(printf '%s' "$3" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
		grep -qF "stderr: octrace-hook: $quoted\\n\"" "$TMP/$2/err" || good=false
	else
		[ "$(grep -c 'octrace-hook: ' "$TMP/$2/hook.err")" = 1 ] &&
			grep -qxF "octrace-hook: $3" "$TMP/$2/hook.err" || good=false
	fi
	if $good; then
		ok "$RT, $1: one line, escaped"
	else
		not_ok "$RT, $1: one line \"octrace-hook: $3\""
		show "$TMP/$2/err" "$TMP/$2/hook.err"
	fi
}
refused "a mode with control characters" 'unknown mode' \
	--hook-arg=--policy="$POLICIES/deny.json" --annotation $'org.octrace.mode=bad\nmode\e[31m'
escaped "a mode with control characters" "e$k" \
	'annotation org.octrace.mode: unknown mode "bad\nmode\x1b[31m"'
if [ "$RT" = crun ]; then
	bundle e-nl "${filter[@]}" --hook-arg=pid=gone --hook-arg="$HOOK" -- sh -c 'exit 0'
	run $'nl\noctrace-hook: forged' e-nl
	check "$RT, an id with a newline, a pid not there: not started" [ "$status" != 0 ]
	escaped "an id with a newline" e-nl \
		"$(printf 'container nl\\noctrace-hook: forged: pid %s: no such process' \
			"$(sed -n 's/.*forged: pid \([0-9]*\): no such process.*/\1/p' "$TMP/e-nl/hook.err")")"
	check "$RT, an id with a newline: nothing left" clean
else
	echo "# runc refuses an id with a newline itself (invalid container ID format)"
fi

# The runtimes themselves accept that linux.seccomp: without the hook the container runs.
bundle e-control --no-hook --seccomp "$POLICIES/bundle-empty-names.json" -- \
	sh -c 'touch /marker-e-control; exit 3'
run e-control e-control
check "control: $RT runs the empty-names linux.seccomp without the hook" \
	[ "$status" = 3 -a -e "$ROOTFS/marker-e-control" ]
check "control: nothing left" clean
finish
