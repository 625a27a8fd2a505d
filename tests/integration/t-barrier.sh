#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The filter octrace-runtime has the runtime install in place of the policy (issue 13, the
# start target; docs/kernel-behaviours.md §22): the policy's exec barrier, which the runtime
# compiles in no time, and with which nothing runs that the policy's tracer form (the whole
# policy, with TRACE for what it denies) would have denied. The policy is an allowlist:
# containerd's default profile without getpgid, its default answer errno 42. Each container's
# init is `integ-prog lines`: one call per line the test writes to its fifo.
#   1. config.json after create: linux.seccomp is the barrier (SCMP_ACT_ALLOW by default,
#      execve and execveat SCMP_ACT_TRACE with errnoRet 28672, the policy's architectures)
#   2. enforce, traced: getpgid, mseal (462: newer than libseccomp 2.5, no policy can name
#      it: the default action) and the i386 getpgid all get errno 42; the init's child execs
#      /bin/true (status 0); no execve event in the audit log (the barrier's stop is not a
#      syscall of the policy's)
#   3. complain, traced: the same calls run (getpgid 0, mseal EINVAL, getpgid32 0, exec 0)
#   4. complain, kill -9 of the tracer: getpgid, mseal and getpgid32 fail with ENOSYS
#      (octrace's filter, nobody tracing), and so does the exec (the barrier)
#   5. the bare runtime's exec into that container: fails before its program runs (no output,
#      a failure status)
#   6. a policy with SCMP_ACT_KILL_PROCESS gets the tracer form instead (default TRACE
#      28672: the runtime applies the kill even in complain mode)
# Usage: t-barrier.sh RUNTIME HOOK PROG none OCTRACE-RUNTIME.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] && skip_all "octrace-runtime was not built"
WRAPPER=$(realpath -e "$WRAPPER") || skip_all "octrace-runtime was not built"
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
setup

POLICY=$TMP/allowlist.json
jq '.defaultErrnoRet = 42 | .syscalls |= map(.names -= ["getpgid"])' \
	"$POLICIES/containerd.json" >"$POLICY" || exit 99
# runtime_json FILE POLICY [HOOK-ARG...]: octrace-runtime's configuration, the build's hook.
runtime_json() {
	local out=$1 policy=$2
	shift 2
	jq -n --arg rt "$RT" --arg hook "$HOOK" --arg policy "$policy" --arg logs "$LOGS" \
		--argjson more "$(printf '%s\n' "$@" | jq -R . | jq -s 'map(select(. != ""))')" \
		'{runtime: $rt, trace: "all", hook: {path: $hook,
			args: (["octrace-hook", "--policy", $policy, "--log-dir", $logs,
				"--audit-rate", "0"] + $more)}}' >"$out"
}
W_CMD=("$WRAPPER" "${RT_CMD[@]:1}")
if [ "$RT" = crun ]; then
	W_CMD=(unshare -m sh -c 'umount -l /sys/fs/cgroup &&
		mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "${W_CMD[@]}")
fi
w() { # CONF ARGS...: the wrapper with runtime.json CONF
	local conf=$1
	shift
	env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$conf" timeout -k 5 60 \
		"${W_CMD[@]}" "$@"
}
state_of() { rt state "$1" 2>/dev/null | jq -r ".$2"; }

# start CONF ID: container ID of bundle ID (its init `integ-prog lines /tmp/ID.fifo`), created
# and started through the wrapper; sets $init_pid and opens $fifo_fd on its fifo.
start() {
	local conf=$1 id=$2
	init_pid=
	mkfifo "$ROOTFS/tmp/$id.fifo" || return 1
	exec {fifo_fd}<>"$ROOTFS/tmp/$id.fifo"
	bundle "$id" --no-hook -- /bin/integ-prog lines "/tmp/$id.fifo"
	w "$conf" create --bundle "$TMP/$id" "$id" >"$TMP/$id/out" 2>"$TMP/$id/err" </dev/null ||
		{ echo "# wrapper create $id failed"; show "$TMP/$id/err" "$TMP/$id/hook.err"; return 1; }
	cp "$TMP/$id/config.json" "$TMP/$id/config.created.json"
	w "$conf" start "$id" 2>>"$TMP/$id/err" ||
		{ echo "# wrapper start $id failed"; show "$TMP/$id/err"; return 1; }
	init_pid=$(state_of "$id" pid)
	[ "$(state_of "$id" status)" = running ] && [ -n "$init_pid" ] && [ "$init_pid" != 0 ] ||
		{ echo "# $id is not running"; return 1; }
}
# ask ID WHAT...: one line per WHAT to the init; prints its answers, one line each.
ask() {
	local id=$1 what have
	shift
	for what in "$@"; do
		have=$(wc -l <"$TMP/$id/out")
		echo "$what" >&"$fifo_fd"
		for _ in $(seq 1 500); do
			[ "$(wc -l <"$TMP/$id/out")" -gt "$have" ] && break
			sleep 0.02 # the container's stdout is a file: polled
		done
		sed -n "$((have + 1))p" "$TMP/$id/out"
	done
}
# stop ID: kill the container, wait for everything of the test to be gone, delete it.
stop() {
	local rc=0
	rt kill "$1" KILL 2>/dev/null
	helper clean --tag "$TAG" --dir "$TMP" --timeout 30 || rc=1
	rt delete -f "$1" 2>/dev/null
	clean || rc=1
	return $rc
}
calls=(getpgid mseal getpgid32 exec)
answers() { # GETPGID MSEAL GETPGID32 EXEC: the lines the init must print for calls
	printf 'getpgid: %s\nmseal: %s\ngetpgid32: %s\nexec: %s' "$@"
}

# ---- 1, 2: enforce ----
CONF=$TMP/runtime-enforce.json
runtime_json "$CONF" "$POLICY"
id=start-enforce
if start "$CONF" "$id"; then
	good=true
	jq -e '.linux.seccomp == {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["execve", "execveat"], action: "SCMP_ACT_TRACE",
			errnoRet: 28672}]}' "$TMP/$id/config.created.json" >/dev/null ||
		{ good=false; jq -c .linux.seccomp "$TMP/$id/config.created.json" | head -c 2000 | diag; }
	check "1. config.json after create: linux.seccomp is the policy's exec barrier" $good
	got=$(ask "$id" "${calls[@]}")
	want=$(answers "-1 errno 42" "-1 errno 42" "-1 errno 42" "0 errno 0")
	n=$(jq -r 'select(.event == "syscall" and (.syscall == "execve" or .syscall == "execveat"))
		| .syscall' "$LOGS/$id.jsonl" | wc -l)
	if [ "$got" = "$want" ] && [ "$n" = 0 ]; then
		ok "2. enforce: getpgid, mseal (462), i386 getpgid denied (42); exec runs; no execve event"
	else
		not_ok "2. enforce: getpgid, mseal (462), i386 getpgid denied (42); exec runs; no execve event ($n)"
		diag <<<"$got"
		show "$LOGS/$id.log"
	fi
	check "enforce: kill KILL, nothing left" stop "$id"
	exec {fifo_fd}>&-
else
	not_ok "1. the enforce-mode container starts through the wrapper"
fi

# ---- 3, 4, 5: complain, then without its tracer ----
CONF=$TMP/runtime-complain.json
runtime_json "$CONF" "$POLICY" --complain
id=start-complain
if start "$CONF" "$id"; then
	got=$(ask "$id" "${calls[@]}")
	want=$(answers "0 errno 0" "-1 errno 22" "0 errno 0" "0 errno 0")
	[ "$got" = "$want" ] || diag <<<"$got"
	check "3. complain, traced: getpgid, mseal (EINVAL), i386 getpgid and exec run" \
		test "$got" = "$want"
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	kill -9 "${tracer:-0}"
	helper waitpid "${janitor:-0}" --timeout 30 >/dev/null
	got=$(ask "$id" "${calls[@]}")
	want=$(answers "-1 errno 38" "-1 errno 38" "-1 errno 38" "-1 errno 38")
	[ "$got" = "$want" ] || diag <<<"$got"
	check "4. complain, the tracer killed: getpgid, mseal, i386 getpgid and exec fail with ENOSYS" \
		test "$got" = "$want"
	timeout -k 5 60 "${RT_CMD[@]}" exec "$id" /bin/integ-prog probe 5 >"$TMP/5.out" \
		2>"$TMP/5.err" </dev/null
	status=$?
	if [ ! -s "$TMP/5.out" ] && [ "$status" != 0 ]; then
		ok "5. bare $RT exec: fails before its program runs (status $status: $(head -c 200 "$TMP/5.err"))"
	else
		not_ok "5. bare $RT exec: fails before its program runs (status $status)"
		show "$TMP/5.out" "$TMP/5.err"
	fi
	rmdir "$ROOTFS/probe-dir" 2>/dev/null
	check "complain: kill KILL, nothing left" stop "$id"
	exec {fifo_fd}>&-
	# the record of a container whose tracer died stays until the next hook start: ours
	grep -lE "\"bundle\": ?\"$TMP/" /run/octrace/containers/*.json 2>/dev/null |
		while read -r f; do rm -f "$f" "${f%.json}.sock"; done
else
	not_ok "3. the complain-mode container starts through the wrapper"
fi

# ---- 6: a policy that kills in the kernel ----
jq '.syscalls += [{names: ["getpgid"], action: "SCMP_ACT_KILL_PROCESS"}]' "$POLICY" \
	>"$TMP/kill.json" || exit 99
CONF=$TMP/runtime-kill.json
runtime_json "$CONF" "$TMP/kill.json"
id=start-kill
bundle "$id" --no-hook -- /bin/true
if w "$CONF" create --bundle "$TMP/$id" "$id" >"$TMP/$id/out" 2>"$TMP/$id/err" </dev/null; then
	good=true
	jq -e '.linux.seccomp | .defaultAction == "SCMP_ACT_TRACE" and .defaultErrnoRet == 28672
		and any(.syscalls[]; .names == ["getpgid"] and .action == "SCMP_ACT_KILL_PROCESS")' \
		"$TMP/$id/config.json" >/dev/null || good=false
	check "6. a policy with SCMP_ACT_KILL_PROCESS: config.json gets its tracer form" $good
	check "6. kill KILL, nothing left" stop "$id"
else
	not_ok "6. wrapper create with a killing policy"
	show "$TMP/$id/err" "$TMP/$id/hook.err"
fi
finish
