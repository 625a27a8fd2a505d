#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# octrace under podman, the way deploy/hooks.d/octrace.json puts it there: podman's hooks.d
# runs octrace-hook for a container annotated org.octrace.trace=true, and only for it. The
# image is built offline (podman import of a static rootfs) in a private storage root, and every
# podman command runs with this test's own root, runroot, tmpdir and containers.conf (the
# settings shared/OCI-NOTES.md gives as flags), so nothing outside the work dir changes but
# runc's usual state dir, /run/runc, where the containers are deleted. runc is podman's own
# runc; crun goes through a --runtime script that does the cgroup2 dance and keeps its state
# in the work dir.
#   1. annotated: octrace holds the container to deny.json (getpgid -> errno 42) and logs it
#   2. not annotated (or annotated "false"): not traced, getpgid succeeds, no log
#   3. podman's own default seccomp profile (taken from the config.json podman generates) as
#      octrace's policy, with --security-opt seccomp=unconfined: every probe of a static
#      sysprobe gets what it gets when the runtime enforces that profile itself; a run without
#      any filter shows that the probes tell the two apart.
# Usage: t-podman.sh RUNTIME HOOK PROG none SYSPROBE (SYSPROBE: a static sysprobe).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SYSPROBE=$(realpath -e "${5:?static sysprobe}")
DEPLOY=${OCTRACE_DEPLOY_DIR:-$HERE/../../deploy}
HOOKS_D_FILE=$DEPLOY/hooks.d/octrace.json

# podman from Debian: CI (.ci/run via test.sh) installs it; a developer's machine gets it here.
if ! command -v podman >/dev/null && [ "${CI:-}" != true ] && [ "$(id -u)" = 0 ]; then
	echo "# podman is not installed: apt-get install podman"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null 2>&1; }
fi
command -v podman >/dev/null || skip_all "podman is not installed (apt-get install podman)"
command -v jq >/dev/null || skip_all "jq is not installed"
[ -f "$HOOKS_D_FILE" ] || skip_all "no $HOOKS_D_FILE"
ldd "$SYSPROBE" 2>&1 | grep -q 'not a dynamic executable' || skip_all "$SYSPROBE is not static"
setup
cp "$SYSPROBE" "$ROOTFS/bin/sysprobe" || exit 99
echo "# $(podman --version), conmon $(conmon --version 2>/dev/null | head -1)"

IMAGE=localhost/octrace-bb:latest
# shellcheck source=podman-lib.sh
. "$HERE/podman-lib.sh"

# hooks_dir DIR ARGS...: DIR/octrace.json, deploy/hooks.d/octrace.json with the build's hook
# and ARGS as its admin arguments (and in its environment the tag, and the sanitizers'
# options of a sanitized build); everything else, `when` and `stages`, is the deployed file's.
hooks_dir() {
	local dir=$1 env=("OCTRACE_INTEG_TAG=$TAG") v
	shift
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && env+=("$v=${!v}")
	done
	mkdir -p "$dir"
	jq --arg path "$HOOK" \
		--argjson args "$(printf '%s\n' "$@" | jq -R . | jq -s .)" \
		--argjson env "$(printf '%s\n' "${env[@]}" | jq -R . | jq -s .)" \
		'.hook.path = $path | .hook.args = ["octrace-hook"] + $args | .hook.env = $env' \
		<"$HOOKS_D_FILE" >"$dir/octrace.json"
}

# prun NAME [podman run options...] -- CMD...: `podman run --rm` of the image; output in
# $TMP/NAME.{out,err}, the container's id in $TMP/NAME.cid; sets $status.
prun() {
	local name=$1 opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	# crun sends a hook's stderr nowhere unless asked.
	[ "$RT" = crun ] && opts+=(--annotation "run.oci.hooks.stderr=$TMP/$name.hook.err")
	rm -f "$TMP/$name.cid"
	pm run --rm --cidfile "$TMP/$name.cid" --env "OCTRACE_INTEG_TAG=$TAG" "${opts[@]}" \
		"$IMAGE" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	status=$?
	cid=$(cat "$TMP/$name.cid" 2>/dev/null)
}

# 0. The image, offline (podman-lib.sh).
pm_import

hooks_dir "$TMP/hooks" --policy "$POLICIES/deny.json" --log-dir "$LOGS"
probe_out='getpgid: -1 errno 42
mkdirat: -1 errno 13'

# 1. Annotated: traced.
prun traced --hooks-dir "$TMP/hooks" --annotation org.octrace.trace=true -- \
	/bin/integ-prog probe 7
clean_ok=true
pm_clean || clean_ok=false
if [ "$status" = 7 ] && [ "$(cat "$TMP/traced.out")" = "$probe_out" ]; then
	ok "annotated org.octrace.trace=true: octrace denies getpgid with errno 42, status 7"
else
	not_ok "annotated org.octrace.trace=true: octrace denies getpgid with errno 42, status 7 (status $status)"
	show "$TMP/traced.out" "$TMP/traced.err" "$TMP/traced.hook.err"
fi
if [ -n "$cid" ] && [ "$(log_status "$cid")" = 7 ] &&
	summary_has "$cid" getpgid 'SCMP_ACT_ERRNO(42)'; then
	ok "annotated: the log LOG-DIR/ID.log has the summary and status 7"
else
	not_ok "annotated: the log LOG-DIR/ID.log has the summary and status 7 (id '$cid')"
	ls -l "$LOGS" 2>&1 | diag
	show "$LOGS/$cid.log"
fi
check "annotated: nothing left (daemon, container, conmon, podman's and $RT's state)" $clean_ok

# 2. Not annotated, or annotated with a value the hooks.d regex does not match: not traced.
for ann in none false; do
	opts=(--hooks-dir "$TMP/hooks")
	[ "$ann" = none ] || opts+=(--annotation "org.octrace.trace=$ann")
	prun "plain-$ann" "${opts[@]}" -- /bin/integ-prog probe 7
	clean_ok=true
	pm_clean || clean_ok=false
	what="annotation $ann"
	[ "$ann" = none ] && what="no annotation"
	if [ "$status" = 7 ] && grep -Eq '^getpgid: [1-9][0-9]* errno 0$' "$TMP/plain-$ann.out" &&
		grep -qx 'mkdirat: 0 errno 0' "$TMP/plain-$ann.out"; then
		ok "$what: not traced, getpgid and mkdirat succeed"
	else
		not_ok "$what: not traced, getpgid and mkdirat succeed (status $status)"
		show "$TMP/plain-$ann.out" "$TMP/plain-$ann.err"
	fi
	if [ -n "$cid" ] && [ ! -e "$LOGS/$cid.log" ] && [ ! -e "$LOGS/$cid.jsonl" ]; then
		ok "$what: no octrace log"
	else
		not_ok "$what: no octrace log (id '$cid')"
		ls -l "$LOGS" 2>&1 | diag
	fi
	check "$what: nothing left" $clean_ok
done

# 3. podman's default seccomp profile, from the config.json podman hands the runtime.
pm run --name profile --env "OCTRACE_INTEG_TAG=$TAG" "$IMAGE" true >/dev/null 2>"$TMP/profile.err"
cfg=$(pm container inspect --format '{{.OCIConfigPath}}' profile 2>>"$TMP/profile.err")
jq .linux.seccomp "$cfg" >"$TMP/podman-profile.json" 2>>"$TMP/profile.err"
pm rm profile >/dev/null 2>>"$TMP/profile.err"
if [ "$(jq -r '.defaultAction' "$TMP/podman-profile.json" 2>/dev/null)" = SCMP_ACT_ERRNO ] &&
	[ "$(jq '[.syscalls[].names[]] | length' "$TMP/podman-profile.json")" -gt 300 ]; then
	ok "podman's default seccomp profile, from the bundle's config.json"
	jq -r '"# profile: \(.defaultAction)(\(.defaultErrnoRet)), \(.syscalls | length) rules, \([.syscalls[].names[]] | length) names, \(.architectures | join(" "))"' \
		"$TMP/podman-profile.json"
else
	not_ok "podman's default seccomp profile, from the bundle's config.json ($cfg)"
	show "$TMP/profile.err" "$TMP/podman-profile.json"
fi
hooks_dir "$TMP/hooks-profile" --policy "$TMP/podman-profile.json" --log-dir "$LOGS"

# One child per probe (sysprobe): allowed calls (x86_64, i386 and x32), the profile's EPERM
# list, its personality argument rules, its default action (ENOSYS) for a syscall it does
# not name and for an unknown number. Without any filter, those marked * give another result.
probes=(
	getpid i386:getpid 0x40000027 getpgid:0 mkdir:0
	personality:0xffffffff i386:personality:0xffffffff personality:0x20008
	personality:0x400000 # * ENOSYS, the default action: no rule allows this persona
	add_key:0 # * ENOSYS, the default action: not in the profile
	1000      # ENOSYS: no such syscall
	sysfs:3   # * EPERM
	setns:0   # in both an ALLOW rule and an ERRNO(EPERM) rule of the profile
	io_pgetevents:0 # * EPERM
	perf_event_open:0 # * EPERM
	i386:nice:0 # * EPERM (an i386-only syscall)
	kexec_load:0 bpf:0 vhangup clock_settime:0
)
discriminating=(personality:0x400000 add_key:0 sysfs:3 io_pgetevents:0 perf_event_open:0
	i386:nice:0)

prun prof-runtime -- /bin/sysprobe "${probes[@]}" # the runtime enforces podman's default
rt_status=$status
prun prof-octrace --hooks-dir "$TMP/hooks-profile" --annotation org.octrace.trace=true \
	--security-opt seccomp=unconfined -- /bin/sysprobe "${probes[@]}"
oc_status=$status
oc_cid=$cid
prun prof-none --security-opt seccomp=unconfined -- /bin/sysprobe "${probes[@]}"
none_status=$status
clean_ok=true
pm_clean || clean_ok=false
n_probes=$(wc -l <"$TMP/prof-runtime.out")
if [ "$rt_status" = 0 ] && [ "$oc_status" = 0 ] && [ "$n_probes" -ge ${#probes[@]} ] &&
	cmp -s "$TMP/prof-runtime.out" "$TMP/prof-octrace.out"; then
	ok "podman's profile: octrace gives each of $n_probes probes what $RT's own filter gives"
else
	not_ok "podman's profile: octrace gives each probe what $RT's own filter gives (status $rt_status, $oc_status)"
	diff "$TMP/prof-runtime.out" "$TMP/prof-octrace.out" | diag
	show "$TMP/prof-runtime.err" "$TMP/prof-octrace.err" "$TMP/prof-octrace.hook.err"
fi
good=true
for p in "${discriminating[@]}"; do
	a=$(grep -F "$p = " "$TMP/prof-runtime.out")
	b=$(grep -F "$p = " "$TMP/prof-none.out")
	if [ -z "$a" ] || [ "$a" = "$b" ]; then
		echo "# $p: with the profile '$a', without a filter '$b'"
		good=false
	fi
done
[ "$none_status" = 0 ] || good=false
check "podman's profile: without any filter the ${#discriminating[@]} marked probes give other results" $good
sed 's/^/# runtime: /' "$TMP/prof-runtime.out" | head -40
if [ -n "$oc_cid" ] && [ "$(log_status "$oc_cid")" = 0 ] &&
	summary_has "$oc_cid" add_key 'SCMP_ACT_ERRNO(38)' &&
	summary_has "$oc_cid" sysfs 'SCMP_ACT_ERRNO(1)'; then
	ok "podman's profile: octrace's log lists add_key ERRNO(38) and sysfs ERRNO(1)"
else
	not_ok "podman's profile: octrace's log lists add_key ERRNO(38) and sysfs ERRNO(1)"
	show "$LOGS/$oc_cid.log"
fi
check "podman's profile: nothing left" $clean_ok
finish
