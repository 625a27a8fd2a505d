#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# octrace-hook as a createRuntime hook (the runtime spec deprecates prestart; runc >= 1.0.0-rc91
# and crun >= 0.12 run createRuntime hooks at the same point, in the runtime's namespaces, once
# the container's init exists and before it runs the entrypoint):
#   1. config.json with the hook under hooks.createRuntime only (no prestart), --policy
#      deny.json: getpgid and mkdirat fail with the policy's errno inside, the rest runs, the
#      runtime's exit status is the container's; ID.jsonl has the attach, the denials with the
#      policy's action and errno, and the teardown with the status; nothing left
#   2. the same with a policy the hook refuses: the runtime does not start the container (the
#      entrypoint never runs), the hook's error reaches the runtime's caller; nothing left
# Usage: t-stage.sh RUNTIME HOOK PROG none.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"

workload=(sh -c 'touch /ran; /bin/integ-prog probe 0; echo after; exit 7')
stage=(--hook-stage=createRuntime --hook-arg=--audit-level=traced)

# 1. createRuntime, deny.json.
bundle cr "${stage[@]}" --hook-arg=--policy="$POLICIES/deny.json" -- "${workload[@]}"
if [ "$(jq -c '.hooks | keys' "$TMP/cr/config.json")" != '["createRuntime"]' ]; then
	echo "Bail out! the bundle's hooks are not createRuntime only"
	exit 99
fi
run s-cr cr
clean_ok=true
clean || clean_ok=false
if [ "$status" = 7 ] && [ -e "$ROOTFS/ran" ] &&
	[ "$(cat "$TMP/cr/out")" = "$(printf 'getpgid: -1 errno 42\nmkdirat: -1 errno 13\nafter')" ]; then
	ok "createRuntime hook: getpgid errno 42, mkdirat errno 13 inside, the rest runs, status 7"
else
	not_ok "createRuntime hook: getpgid errno 42, mkdirat errno 13 inside, the rest runs, status 7 (status $status)"
	show "$TMP/cr/out" "$TMP/cr/err" "$TMP/cr/hook.err" "$LOGS/s-cr.log"
fi
jsonl=$LOGS/s-cr.jsonl
if [ "$(jq -sc '[.[] | select(.event == "syscall" and .action == "SCMP_ACT_ERRNO") |
	[.syscall, .errno]] | sort' "$jsonl" 2>/dev/null)" = '[["getpgid",42],["mkdirat",13]]' ] &&
	[ "$(jq -sc '[.[0].event, .[-1].event, .[-1].status]' "$jsonl")" = '["attach","teardown",7]' ]; then
	ok "createRuntime hook: ID.jsonl has the attach, the two denials with the policy's errno, the teardown with status 7"
else
	not_ok "createRuntime hook: ID.jsonl has the attach, the two denials with the policy's errno, the teardown with status 7"
	show "$jsonl" "$LOGS/s-cr.log"
fi
check "createRuntime hook: log's final line has status 7" [ "$(log_status s-cr)" = 7 ]
check "createRuntime hook: nothing left" $clean_ok
rm -f "$ROOTFS/ran" && rmdir "$ROOTFS/probe-dir" 2>/dev/null

# 2. createRuntime, a policy the hook refuses: the start fails closed.
bundle bad "${stage[@]}" --hook-arg=--policy="$POLICIES/bad-action.json" -- "${workload[@]}"
run s-bad bad
clean_ok=true
clean || clean_ok=false
if [ "$status" != 0 ] && [ ! -e "$ROOTFS/ran" ] &&
	hook_error bad | grep -q 'octrace-hook: .*bad-action.json'; then
	ok "createRuntime hook, bad policy: the container does not run, the hook's error reaches $RT's caller"
else
	not_ok "createRuntime hook, bad policy: the container does not run, the hook's error reaches $RT's caller (status $status)"
	show "$TMP/bad/out" "$TMP/bad/err" "$TMP/bad/hook.err"
fi
check "createRuntime hook, bad policy: nothing left" $clean_ok
finish
