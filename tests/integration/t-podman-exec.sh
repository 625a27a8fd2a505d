#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# podman with octrace-runtime as its OCI runtime (`podman --runtime PATH`; octrace-runtime
# reads this test's runtime.json through OCTRACE_RUNTIME_CONFIG in podman's environment, which
# conmon and podman's cleanup process inherit). The image and podman's settings are
# t-podman.sh's (private storage, containers.conf, crun's cgroup2 script as the real runtime).
#   1. `podman run -d` of a sleeping container through the wrapper: traced (its config.json's
#      hook is runtime.json's)
#   2. `podman exec` of a probe calling denied syscalls: getpgid -> errno 42, mkdirat -> 13,
#      its status comes back through podman
#   3. the container's audit log ID.jsonl: a join event with the probe's argv, then its
#      getpgid denial (SCMP_ACT_ERRNO, 42) with the join's pid
#   4. `podman rm -f`: nothing left (daemon, conmon, container, podman's and the runtime's state)
# Usage: t-podman-exec.sh RUNTIME HOOK PROG none OCTRACE-RUNTIME.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] && skip_all "octrace-runtime was not built"
WRAPPER=$(realpath -e "$WRAPPER") || skip_all "octrace-runtime was not built"

# podman from Debian: CI (.ci/run via test.sh) installs it; a developer's machine gets it here.
if ! command -v podman >/dev/null && [ "${CI:-}" != true ] && [ "$(id -u)" = 0 ]; then
	echo "# podman is not installed: apt-get install podman"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null 2>&1; }
fi
command -v podman >/dev/null || skip_all "podman is not installed (apt-get install podman)"
command -v jq >/dev/null || skip_all "jq is not installed"
setup
ln -s busybox "$ROOTFS/bin/sleep"
echo "# $(podman --version), conmon $(conmon --version 2>/dev/null | head -1)"

IMAGE=localhost/octrace-bb:latest
# conmon gets a PATH and the tag: podman passes it no environment of its own
PODMAN_ENGINE_EXTRA="conmon_env_vars = [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",
	\"OCTRACE_INTEG_TAG=$TAG\"]"
# shellcheck source=podman-lib.sh
. "$HERE/podman-lib.sh"

# 0. The image, offline (podman-lib.sh).
pm_import


# octrace-runtime's configuration: the real runtime is podman's (runc, or the crun script).
CONF=$TMP/runtime.json
jq -n --arg rt "$PM_RUNTIME" --arg hook "$HOOK" --arg policy "$POLICIES/deny.json" \
	--arg logs "$LOGS" '{runtime: $rt, trace: "all", hook: {path: $hook,
		args: ["octrace-hook", "--policy", $policy, "--log-dir", $logs]}}' >"$CONF" || exit 99
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nOCTRACE_RUNTIME_CONFIG=%s exec %s "$@"\n' "$CONF" "$WRAPPER" \
	>"$TMP/bin/octrace-runtime" && chmod +x "$TMP/bin/octrace-runtime" || exit 99
# pmw ARGS...: pm with octrace-runtime as podman's runtime (the last --runtime wins).
pmw() {
	env OCTRACE_INTEG_TAG="$TAG" CONTAINERS_CONF="$TMP/containers.conf" \
		CONTAINERS_STORAGE_CONF="$TMP/storage.conf" \
		timeout -k 5 "$RUN_TIMEOUT" podman --root "$TMP/storage" --runroot "$TMP/runroot" \
		--storage-driver vfs --runtime "$TMP/bin/octrace-runtime" "$@"
}

# 1. podman run -d through the wrapper.
opts=()
[ "$RT" = crun ] && opts+=(--annotation "run.oci.hooks.stderr=$TMP/ex.hook.err")
pmw run -d --name ex --env "OCTRACE_INTEG_TAG=$TAG" "${opts[@]}" "$IMAGE" \
	/bin/sleep 1000 >"$TMP/ex.cid" 2>"$TMP/ex.err" </dev/null
status=$?
cid=$(cat "$TMP/ex.cid" 2>/dev/null)
cfg=$(pm container inspect --format '{{.OCIConfigPath}}' ex 2>/dev/null)
if [ "$status" = 0 ] && [ -n "$cid" ] &&
	[ "$(jq -r '.hooks.prestart[0].path' "$cfg" 2>/dev/null)" = "$HOOK" ] &&
	grep -q "octrace: container $cid: attached to pid " "$LOGS/$cid.log" 2>/dev/null; then
	ok "podman --runtime octrace-runtime run -d: traced (runtime.json's hook in config.json, ID.log attached)"
else
	not_ok "podman --runtime octrace-runtime run -d: traced (status $status, id '$cid')"
	show "$TMP/ex.err" "$TMP/ex.hook.err" "$LOGS/$cid.log"
	jq -c .hooks "$cfg" 2>&1 | diag
fi

# 2. podman exec of the probe.
pmw exec ex /bin/integ-prog probe 3 >"$TMP/exec.out" 2>"$TMP/exec.err" </dev/null
status=$?
if [ "$status" = 3 ] && [ "$(cat "$TMP/exec.out")" = "$(printf 'getpgid: -1 errno 42\nmkdirat: -1 errno 13')" ]; then
	ok "podman exec of a probe: getpgid errno 42, mkdirat errno 13, status 3"
else
	not_ok "podman exec of a probe: getpgid errno 42, mkdirat errno 13, status 3 (status $status)"
	show "$TMP/exec.out" "$TMP/exec.err" "$LOGS/$cid.log"
fi

# 3. The audit log (the daemon writes the exec's last lines after podman exec returns: wait
# for the wrapper, runtime and joined process to be gone).
init=$(pm container inspect --format '{{.State.Pid}}' ex 2>/dev/null)
read -r daemon janitor <<<"$(daemon_of "${init:-0}")"
conmon=$(pm container inspect --format '{{.State.ConmonPid}}' ex 2>/dev/null)
helper clean --tag "$TAG" --dir "$TMP" --timeout 30 --except "${init:-0}" --except "${daemon:-0}" \
	--except "${conmon:-0}" --except "${janitor:-0}" >/dev/null
L=$LOGS/$cid.jsonl
jpid=$(grep -F '"event":"join"' "$L" 2>/dev/null |
	jq -r 'select(.argv == ["/bin/integ-prog","probe","3"]) | .pid')
good=true
[ -n "$jpid" ] && [ "$(wc -w <<<"$jpid")" = 1 ] || { echo "# join events for the probe: '$jpid'"; good=false; }
check "podman exec: ID.jsonl has a join event with the probe's argv" $good
n=$(jq -r -s --argjson p "${jpid:-0}" '(map(.event == "join" and .pid == $p) | index(true)) as $j |
	if $j == null then 0 else .[$j + 1:] | map(select(.event == "syscall" and .pid == $p and
	.syscall == "getpgid" and .action == "SCMP_ACT_ERRNO" and .errno == 42)) | length end' "$L" 2>/dev/null)
if [ "$n" = 1 ]; then
	ok "podman exec: ID.jsonl has the probe's getpgid denial (SCMP_ACT_ERRNO, 42) after its join"
else
	not_ok "podman exec: ID.jsonl has the probe's getpgid denial (SCMP_ACT_ERRNO, 42) after its join ($n)"
	show "$L"
fi

# 4. podman rm -f: nothing left.
pmw rm -f -t 0 ex >/dev/null 2>"$TMP/rm.err" || { echo "# podman rm -f failed"; show "$TMP/rm.err"; }
check "podman rm -f: nothing left (daemon, conmon, container, podman's and $RT's state)" pm_clean
finish
