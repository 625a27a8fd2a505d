#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Live policy (§27) against a hostile policy path: the janitor opens the path the daemon
# started with at each reload, whatever is there now.
#   1. a FIFO with no writer: `octrace reload` fails at once (status 1, "not a regular
#      file"); the janitor does not wait for a writer
#   2. a symlink to /dev/zero: refused the same way (nothing read)
#   3. the policy file back, tightened: the same janitor and tracer apply it (status 0, every
#      process denied getsid with 71)
# Tightening under churn (integ-prog churn: processes forking as fast as they can, children
# starting threads and exec'ing from a thread or from the leader, every process probing):
#   4. four tightenings in a row, each denying one more call: each `octrace reload` exits 0,
#      and from then on no process runs a call the new policy denies (no "LEAK" line), in
#      processes created during the restack included; every round seen by 20 * N probes
#   4b. then 50 SIGHUPs each to the tracer and the janitor while three clients ask at once:
#      the clients exit 0, the daemon and the init live on, a last reload says "unchanged"
# Big policies (~3000 BPF instructions each), reloaded back and forth: a process's filters may
# hold 32768 instructions in all (the kernel's MAX_INSNS_PER_PATH), so after a few reloads no
# process could take another one:
#   5. each reload exits 0 until one is refused, before it is stacked anywhere; nothing is
#      killed (the init still answers, no "failed" process)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

OCTRACE_BIN=$(dirname "$(realpath "$HOOK")")/../tracer/octrace
id=redteam-reload-$RT
policy=$TMP/policy.json
cat >"$TMP/v1.json" <<'JSON'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 } ] }
JSON
cat >"$TMP/v2.json" <<'JSON'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
		{ "names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 71 } ] }
JSON
cp "$TMP/v1.json" "$policy"

fifo=$ROOTFS/tmp/reload.fifo
mkfifo "$fifo"
exec {lines_fd}<>"$fifo"
bundle "$id" --hook-arg=--policy="$policy" --hook-arg=--audit-rate=0 -- /bin/integ-prog reload /tmp/reload.fifo 1
ask() { ask_line "$lines_fd" "$id" "$1"; } # N: the Nth answer
reload() { # the client (bounded: a janitor blocked forever must not hang the test)
	timeout -k 2 10 "$OCTRACE_BIN" reload --container "$id" --root "$TMP/state" 2>"$TMP/reload.err"
	st=$?
}
denied="getsid: main -1 71 thread -1 71 child -1 71 new -1 71 vfork -1 71 stopped -1 71"

if create_start "$id" "$id"; then
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	a=$(ask 1)

	rm -f "$policy"
	mkfifo "$policy"
	reload
	good=true
	[ "$st" = 1 ] || { echo "# octrace reload of a FIFO: status $st"; good=false; }
	grep -q "not a regular file" "$TMP/reload.err" || { show "$TMP/reload.err"; good=false; }
	# a janitor stuck in open(): a writer lets it go (so the rest can run)
	[ "$st" = 124 ] && timeout 5 sh -c "echo x >'$policy'"
	check "1. a FIFO as the policy: refused at once (status $st)" $good

	rm -f "$policy"
	ln -s /dev/zero "$policy"
	reload
	good=true
	[ "$st" = 1 ] || { echo "# octrace reload of /dev/zero: status $st"; good=false; }
	grep -q "not a regular file" "$TMP/reload.err" || { show "$TMP/reload.err"; good=false; }
	check "2. /dev/zero as the policy: refused (status $st)" $good

	rm -f "$policy"
	cp "$TMP/v2.json" "$policy"
	reload
	a=$(ask 2)
	good=true
	[ "$st" = 0 ] || { echo "# octrace reload: status $st"; show "$TMP/reload.err"; good=false; }
	[ "${a% sealed*}" = "$denied" ] || { echo "# answer: $a"; good=false; }
	[ -d "/proc/$tracer" ] && [ -d "/proc/$janitor" ] || { echo "# the daemon is gone"; good=false; }
	$good || show "$LOGS/$id.log"
	check "3. the policy back, tightened: applied by the same daemon (status $st): $a" $good
else
	for i in 1 2 3; do not_ok "$i. (the container did not start)"; done
fi
exec {lines_fd}>&-
remove_container "$id" "${janitor:-}"

id=redteam-churn-$RT
calls=(getsid getpgrp getresgid sched_getscheduler)
policy_round() { # K: the baseline, then the first K calls denied with 71..
	local i rules='{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 }'
	for ((i = 0; i < $1; i++)); do
		rules+=", { \"names\": [\"${calls[i]}\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": $((71 + i)) }"
	done
	printf '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ %s ] }\n' "$rules"
}
policy_round 0 >"$policy"
round=$ROOTFS/tmp/round
echo 0 >"$round"
bundle "$id" --hook-arg=--policy="$policy" --hook-arg=--audit-rate=0 -- /bin/integ-prog churn /tmp/round 3
wait_out() { # TEXT: a line of the container's output (polled, with a deadline)
	local i
	for i in $(seq 1 1500); do
		grep -qF "$1" "$TMP/$id/out" && return 0
		[ -d "/proc/$init_pid" ] || return 1
		sleep 0.02
	done
	return 1
}
if create_start "$id" "$id" && wait_out churning; then
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	good=true
	for k in 1 2 3 4; do
		policy_round "$k" >"$policy.new"
		mv "$policy.new" "$policy"
		reload
		[ "$st" = 0 ] || { echo "# round $k: octrace reload status $st"; show "$TMP/reload.err"; good=false; }
		echo "$k" >"$round"
		wait_out "round $k done" || { echo "# round $k not done"; good=false; }
	done
	grep -q LEAK "$TMP/$id/out" && { grep LEAK "$TMP/$id/out" | head -5 | diag; good=false; }
	[ -d "/proc/$tracer" ] || { echo "# the tracer is gone"; good=false; }
	$good || show "$TMP/$id/out" "$TMP/$id/err" "$LOGS/$id.log"
	check "4. four tightenings under fork/thread/exec churn: each applied, nothing denied ran" $good

	# a flood: SIGHUPs to the tracer and the janitor while three clients ask at once
	pids=()
	for c in 1 2 3; do
		timeout -k 2 60 "$OCTRACE_BIN" reload --container "$id" --root "$TMP/state" \
			>/dev/null 2>"$TMP/flood-$c.err" &
		pids+=($!)
	done
	for i in $(seq 1 50); do kill -HUP "$tracer" "$janitor" 2>/dev/null; done
	sts=
	for p in "${pids[@]}"; do wait "$p"; sts+=" $?"; done
	reload
	good=true
	[ "$sts" = " 0 0 0" ] || { echo "# the clients' statuses:$sts"; show "$TMP"/flood-*.err; good=false; }
	[ "$st" = 0 ] && grep -q unchanged "$TMP/reload.err" ||
		{ echo "# then: status $st"; show "$TMP/reload.err"; good=false; }
	grep -q LEAK "$TMP/$id/out" && { grep LEAK "$TMP/$id/out" | head -5 | diag; good=false; }
	[ -d "/proc/$tracer" ] && [ -d "/proc/$janitor" ] && [ -d "/proc/$init_pid" ] ||
		{ echo "# a process of the daemon or the init is gone"; good=false; }
	$good || show "$LOGS/$id.log"
	check "4b. 100 SIGHUPs and three clients at once: the clients exit 0 ($sts), the daemon serves on, nothing denied ran" $good
else
	not_ok "4. (the container did not start)"
	show "$TMP/$id/out" "$TMP/$id/err"
fi
remove_container "$id" "${janitor:-}"

id=redteam-big-$RT
big_policy() { # ERRNO: 3000 ioctl rules, each with its own request number
	python3 -c '
import json, sys
rules = [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
rules += [{"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": int(sys.argv[1]),
	   "args": [{"index": 1, "value": 0x7e000000 + i, "op": "SCMP_CMP_EQ"}]} for i in range(3000)]
print(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules}))' "$1"
}
big_policy 5 >"$policy"
exec {lines_fd}<>"$fifo"
bundle "$id" --hook-arg=--policy="$policy" --hook-arg=--audit-rate=0 -- /bin/integ-prog reload /tmp/reload.fifo 1
if create_start "$id" "$id"; then
	read -r tracer janitor <<<"$(daemon_of "$init_pid")"
	a=$(ask 1)
	good=true
	statuses=
	for k in $(seq 1 14); do
		big_policy $((5 + k % 2)) >"$policy.new"
		mv "$policy.new" "$policy"
		reload
		statuses+=" $st"
		[ "$st" = 0 ] || break
	done
	echo "# reload statuses:$statuses"
	[ "$st" = 1 ] && grep -q "instructions" "$TMP/reload.err" ||
		{ echo "# no reload refused for the filters' size"; show "$TMP/reload.err"; good=false; }
	# (integ-prog's sealed process refuses seccomp(2): killed at the first reload, as meant)
	grep "filter not installed" "$LOGS/$id.log" | grep -qv "Operation not permitted" &&
		{ echo "# processes killed"; good=false; }
	a=$(ask 2)
	[ -n "$a" ] && [ -d "/proc/$init_pid" ] || { echo "# the init is gone"; good=false; }
	$good || show "$LOGS/$id.log"
	check "5. big policies reloaded until refused for the kernel's filter size limit, nothing killed" $good
else
	not_ok "5. (the container did not start)"
fi
exec {lines_fd}>&-
remove_container "$id" "${janitor:-}"
sanitizer_free "$LOGS"/*.log
check "nothing left" clean
finish
