#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The hook attaches only to the container's init (runtime-hook/hook_pid.h): the runtime's
# child, started after it, in the namespaces config.json asks for, pid 1 of a new pid
# namespace. The state comes from the runtime, so a wrong pid is forged here:
#   1. Through the real runtime, with state-filter.py editing the state (the filter execs the
#      hook: its parent is the runtime): a host process (with and without a pid namespace in
#      the bundle), another container's init (with a new pid namespace, and with the bundle
#      joining that init's pid namespace), a process started after the runtime (what a reused
#      pid would be), a pid that exited. Each start fails, the entrypoint never runs, the
#      runtime's output has exactly one line of the hook naming the check, the victim process
#      is alive and untraced, and nothing is left.
#   2. Normal starts pass, as prestart and as createRuntime hooks: a new pid namespace, none,
#      the other container's pid namespace joined, its network namespace joined.
#   3. The namespace rules, which a real runtime never breaks: fake-runtime.py plays the
#      runtime (the child is its child) and puts the child in other namespaces than
#      config.json asks for; each is refused with its own line, and the right ones attach.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup
ln -s busybox "$ROOTFS/bin/sleep"
filter=(--hook "$PY" --hook-arg=-S --hook-arg="$HERE/state-filter.py")

tracer_of() { sed -n 's/^TracerPid:\t//p' "/proc/$1/status" 2>/dev/null; }

# one_hook_line NAME: the runtime's output quotes the hook's error exactly once, on one line.
one_hook_line() {
	local n
	n=$(hook_error "$1" | grep -c 'octrace-hook: ')
	[ "$n" = 1 ] || { echo "# $n lines of the hook's"; return 1; }
}

k=0
# refused DESCRIPTION CAUSE VICTIM [bundle options...]: the start fails on CAUSE (a grep -E
# pattern after "octrace-hook: "); VICTIM (a pid, or "") must be alive and untraced after.
refused() {
	local what=$1 cause=$2 victim=$3 id name good=true
	shift 3
	k=$((k + 1))
	id=r$k
	name=$id
	bundle "$name" "$@" -- sh -c "touch /marker-$id; exit 0"
	run "$id" "$name"
	[ "$status" != 0 ] || { echo "# $RT run exited 0"; good=false; }
	[ ! -e "$ROOTFS/marker-$id" ] || { echo "# the entrypoint ran"; good=false; }
	hook_error "$name" | grep -Eq "octrace-hook: container $id: $cause" ||
		{ echo "# the runtime's output lacks \"octrace-hook: container $id: $cause\""; good=false; }
	one_hook_line "$name" || good=false
	if [ -n "$victim" ]; then
		[ -d "/proc/$victim" ] || { echo "# pid $victim is gone"; good=false; }
		[ "$(tracer_of "$victim")" = 0 ] || { echo "# pid $victim is traced"; good=false; }
	fi
	if $good; then
		ok "$RT, $what: refused; $(hook_error "$name" | grep -o 'octrace-hook: .*' | head -1)"
	else
		not_ok "$RT, $what: refused on \"$cause\" (exit $status)"
		show "$TMP/$name/out" "$TMP/$name/err" "$TMP/$name/hook.err"
	fi
}

parent='pid [0-9]+: refused: its parent is pid [0-9]+, not the runtime that runs the hook \(pid [0-9]+\)'

# 1a. A host process, started by this test before the runtime.
env OCTRACE_INTEG_TAG="$TAG" sleep 1000 &
host=$!
refused "a host process in the state (new pid namespace)" "$parent" "$host" \
	"${filter[@]}" --hook-arg=pid="$host" --hook-arg="$HOOK"
refused "a host process in the state (no pid namespace)" "$parent" "$host" \
	"${filter[@]}" --hook-arg=pid="$host" --hook-arg="$HOOK" --no-ns pid
refused "a host process in the state (createRuntime)" "$parent" "$host" \
	"${filter[@]}" --hook-arg=pid="$host" --hook-arg="$HOOK" --hook-stage createRuntime
kill "$host"
wait "$host" 2>/dev/null
check "$RT, host process: nothing left" clean

# 1b. Another container's init, untraced (its bundle has no hook).
bundle other --no-hook -- sleep 1000
if create_start other other; then
	other=$init_pid
	refused "another container's init in the state" "$parent" "$other" \
		"${filter[@]}" --hook-arg=pid="$other" --hook-arg="$HOOK" \
		--hook-arg=--policy="$POLICIES/deny.json"
	refused "another container's init, its pid namespace joined" "$parent" "$other" \
		"${filter[@]}" --hook-arg=pid="$other" --hook-arg="$HOOK" \
		--ns pid="/proc/$other/ns/pid"

	# 2a. ... whose namespaces a traced container may join.
	for ns in pid network; do
		proc=$ns
		[ "$ns" = network ] && proc=net
		bundle "join-$ns" --ns "$ns=/proc/$other/ns/$proc" -- sh -c 'exit 7'
		run "j-$ns" "join-$ns"
		helper wait-gone --tag "$TAG" --timeout 30 --except "$other"
		if [ "$status" = 7 ] && [ "$(log_status "j-$ns")" = 7 ] &&
			grep -q "octrace: container j-$ns: attached to pid" "$LOGS/j-$ns.log"; then
			ok "$RT, the other container's $ns namespace joined: traced, status 7"
		else
			not_ok "$RT, the other container's $ns namespace joined: traced, status 7 (got $status)"
			show "$TMP/join-$ns/err" "$TMP/join-$ns/hook.err" "$LOGS/j-$ns.log"
		fi
	done
	rt kill other KILL
	helper waitpid "$other" >/dev/null
	rt delete other
else
	not_ok "$RT, another container to forge the state with"
fi
check "$RT, other container: nothing left" clean

# 1c. A process that started after the runtime (a reused pid would be one), and one that
# exited.
refused "a process started after the runtime" "$parent" "" \
	"${filter[@]}" --hook-arg=pid=fresh --hook-arg="$HOOK"
fresh=$(cat "$TMP/r$k/fresh.pid")
check "$RT, a process started after the runtime: alive and untraced" \
	[ "$(tracer_of "$fresh")" = 0 ]
kill -KILL "$fresh" # crun leaves signals blocked in its hooks
refused "a pid that exited" 'pid [0-9]+: no such process' "" \
	"${filter[@]}" --hook-arg=pid=gone --hook-arg="$HOOK"
check "$RT, fresh and gone pids: nothing left" clean

# 2b. Normal starts, prestart and createRuntime, with and without a pid namespace.
for stage in prestart createRuntime; do
	for pidns in new none; do
		name=ok-$stage-$pidns
		opts=(--hook-stage "$stage")
		[ "$pidns" = none ] && opts+=(--no-ns pid)
		bundle "$name" "${opts[@]}" -- sh -c 'exit 5'
		run "$name" "$name"
		settle
		if [ "$status" = 5 ] && [ "$(log_status "$name")" = 5 ]; then
			ok "$RT, $stage hook, pid namespace $pidns: traced, status 5"
		else
			not_ok "$RT, $stage hook, pid namespace $pidns: traced, status 5 (got $status)"
			show "$TMP/$name/err" "$TMP/$name/hook.err" "$LOGS/$name.log"
		fi
	done
done
check "$RT, normal starts: nothing left" clean

# 3. The namespace rules, with fake-runtime.py as the runtime. A sleeper in its own pid and
# network namespaces gives the paths to join.
# It carries no tag (the checks wait for tagged processes): it is killed (SIGKILL: it is the
# init of its pid namespace) at the end.
mkfifo "$TMP/ready"
unshare -p -n -f sh -c "echo up >'$TMP/ready'; exec sleep 1000" &
unshare_pid=$!
read -r _ <"$TMP/ready"
sleeper=$(cat "/proc/$unshare_pid/task/$unshare_pid/children")
sleeper=${sleeper% }
trap 'kill -KILL "$sleeper" 2>/dev/null; cleanup' EXIT
fk=0
# fake DESCRIPTION NAMESPACES-JSON WANT [fake-runtime options...]: WANT is "attached" or the
# cause (grep -E) of the one line the hook must print.
fake() {
	local what=$1 json=$2 want=$3 id out rc lines
	shift 3
	fk=$((fk + 1))
	id=$TAG-f$fk
	mkdir -p "$TMP/fake$fk"
	printf '{"ociVersion": "1.0.2", "linux": {"namespaces": %s}}\n' "$json" \
		>"$TMP/fake$fk/config.json"
	out=$(env OCTRACE_INTEG_TAG="$TAG" "$PY" -S "$HERE/fake-runtime.py" \
		--bundle "$TMP/fake$fk" --id "$id" "$@" -- "$HOOK" --log-dir "$LOGS")
	rc=$(head -n 1 <<<"$out")
	lines=$(tail -n +2 <<<"$out")
	helper wait-gone --tag "$TAG" --timeout 30 >/dev/null
	if [ "$want" = attached ]; then
		if [ "$rc" = 0 ] && [ -z "$lines" ] &&
			grep -q "octrace: container $id: attached to pid" "$LOGS/$id.log"; then
			ok "fake runtime, $what: attached"
		else
			not_ok "fake runtime, $what: attached (exit $rc)"
			echo "$lines" | diag
		fi
	elif [ "$rc" != 0 ] && [ "$(wc -l <<<"$lines")" = 1 ] &&
		grep -Eq "^octrace-hook: container $id: pid [0-9]+: refused: $want" <<<"$lines"; then
		ok "fake runtime, $what: ${lines#octrace-hook: }"
	else
		not_ok "fake runtime, $what: refused, one line with \"$want\" (exit $rc)"
		echo "$lines" | diag
	fi
}
fake "new pid and mount namespaces" '[{"type": "pid"}, {"type": "mount"}]' attached \
	--new pid --new mount
fake "new pid namespace asked, the runtime's given" '[{"type": "pid"}]' \
	"its pid namespace is the runtime's, and config.json asks for a new one \(linux.namespaces\[0\]\)"
fake "no pid namespace asked, a new one given" '[{"type": "mount"}]' \
	'its pid namespace is not the runtime.s, and config.json lists no pid namespace' \
	--new pid --new mount
fake "pid 2 of a new pid namespace" '[{"type": "pid"}]' \
	'it is pid 2 of its new pid namespace, not 1' --new pid --pid2
fake "new mount namespace asked, the runtime's given" '[{"type": "pid"}, {"type": "mount"}]' \
	"its mount namespace is the runtime's, and config.json asks for a new one \(linux.namespaces\[1\]\)" \
	--new pid
fake "no uts namespace asked, a new one given" '[{"type": "pid"}]' \
	'its uts namespace is not the runtime.s, and config.json lists no uts namespace' \
	--new pid --new uts
fake "a pid namespace path, another new one given" \
	"[{\"type\": \"pid\", \"path\": \"/proc/$sleeper/ns/pid\"}]" \
	'its pid namespace is not the one config.json names \(linux.namespaces\[0\].path\)' --new pid
fake "a pid namespace path, joined" "[{\"type\": \"pid\", \"path\": \"/proc/$sleeper/ns/pid\"}]" \
	attached --join pid="/proc/$sleeper/ns/pid"
fake "a network namespace path, another new one given" \
	"[{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/$sleeper/ns/net\"}]" \
	'its network namespace is not the one config.json names \(linux.namespaces\[1\].path\)' \
	--new pid --new network
fake "a network namespace path, joined" \
	"[{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/$sleeper/ns/net\"}]" \
	attached --new pid --join network="/proc/$sleeper/ns/net"
kill -KILL "$sleeper"
wait "$unshare_pid" 2>/dev/null
check "fake runtime: nothing left" clean
finish
