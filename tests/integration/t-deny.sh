#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# A container under a policy that denies syscalls: octrace, not the runtime's own filter, makes
# them fail with the policy's errno inside the container; the rest of the workload runs and
# the exit status is the container's. The policy reaches the hook the two ways an admin can
# give it: --policy FILE (the bundle has no linux.seccomp), and --policy-dir with the
# org.octrace.policy annotation (the bundle's own linux.seccomp allows those syscalls, and the
# runtime installs it). A run of the same bundle without the hook shows the syscalls succeed
# there: the denial is octrace's. The log's summary table lists what was denied.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

# sh: integ-prog's raw getpgid and mkdirat, busybox mkdir (the mkdir syscall), then more work.
workload=(sh -c '/bin/integ-prog probe 0; mkdir /tmp/d; echo "mkdir=$?"; echo after; exit 7')
denied_out='getpgid: -1 errno 42
mkdirat: -1 errno 13
mkdir=1
after'

# deny_case ID NAME DESCRIPTION: run bundle NAME, which octrace must hold to deny.json.
deny_case() {
	local id=$1 name=$2 what=$3 good=true
	run "$id" "$name"
	clean_ok=true
	clean || clean_ok=false # also waits for the daemon's last log line
	[ "$status" = 7 ] || { echo "# runtime exit status $status, want 7"; good=false; }
	[ "$(cat "$TMP/$name/out")" = "$denied_out" ] || { echo "# unexpected output"; good=false; }
	grep -q "can't create directory '/tmp/d': Permission denied" "$TMP/$name/err" ||
		{ echo "# busybox mkdir did not report EACCES"; good=false; }
	[ ! -e "$ROOTFS/probe-dir" ] && [ ! -e "$ROOTFS/tmp/d" ] ||
		{ echo "# a denied mkdir created its directory"; good=false; }
	$good || show "$TMP/$name/out" "$TMP/$name/err" "$LOGS/$id.log"
	check "$what: denied syscalls fail with the policy's errno, the rest runs, status 7" $good
	check "$what: log's final line has status 7" [ "$(log_status "$id")" = 7 ]
	if summary_has "$id" getpgid 'SCMP_ACT_ERRNO(42)' &&
		summary_has "$id" mkdirat 'SCMP_ACT_ERRNO(13)' &&
		summary_has "$id" mkdir 'SCMP_ACT_ERRNO(13)'; then
		ok "$what: summary table lists getpgid, mkdirat and mkdir with their actions"
	else
		not_ok "$what: summary table lists getpgid, mkdirat and mkdir with their actions"
		show "$LOGS/$id.log"
	fi
	check "$what: nothing left" $clean_ok
}

# 1. --policy FILE, no linux.seccomp in the bundle.
bundle admin --hook-arg=--policy="$POLICIES/deny.json" -- "${workload[@]}"
deny_case d-admin admin "--policy"

# 2. The same bundle without the hook: the syscalls succeed (the runtime denies nothing).
bundle nohook --no-hook -- "${workload[@]}"
run d-nohook nohook
if [ "$status" = 7 ] && grep -Eq '^getpgid: [1-9][0-9]* errno 0$' "$TMP/nohook/out" &&
	grep -qx 'mkdirat: 0 errno 0' "$TMP/nohook/out" && grep -qx 'mkdir=0' "$TMP/nohook/out" &&
	[ -d "$ROOTFS/probe-dir" ]; then
	ok "control without the hook: getpgid, mkdirat and mkdir succeed"
else
	not_ok "control without the hook: getpgid, mkdirat and mkdir succeed (status $status)"
	show "$TMP/nohook/out" "$TMP/nohook/err"
fi
check "control: nothing left" clean
rmdir "$ROOTFS/probe-dir" "$ROOTFS/tmp/d" 2>/dev/null

# 3. --policy-dir + annotation; the bundle's own linux.seccomp allows everything denied above.
mkdir -p "$TMP/policies"
cp "$POLICIES/deny.json" "$TMP/policies/deny.json"
bundle named --hook-arg=--policy-dir="$TMP/policies" --annotation org.octrace.policy=deny \
	--seccomp "$POLICIES/bundle-allow.json" -- "${workload[@]}"
deny_case d-named named "--policy-dir + annotation, bundle's seccomp allows"

# 4. The same bundle (its linux.seccomp installed by the runtime) without the hook.
bundle named-nohook --no-hook --seccomp "$POLICIES/bundle-allow.json" -- "${workload[@]}"
run d-named-nohook named-nohook
if [ "$status" = 7 ] && grep -qx 'mkdirat: 0 errno 0' "$TMP/named-nohook/out" &&
	grep -Eq '^getpgid: [1-9][0-9]* errno 0$' "$TMP/named-nohook/out"; then
	ok "control: the bundle's own linux.seccomp allows getpgid and mkdirat"
else
	not_ok "control: the bundle's own linux.seccomp allows getpgid and mkdirat (status $status)"
	show "$TMP/named-nohook/out" "$TMP/named-nohook/err"
fi
check "control with the bundle's seccomp: nothing left" clean
finish
