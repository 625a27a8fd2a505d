#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# octrace under containerd, the way deploy/containerd/config.toml and a Kubernetes
# RuntimeClass put it there: runc's shim (io.containerd.runc.v2) with octrace-runtime as its
# runc binary (`ctr run --runc-binary`, the same option as BinaryName). containerd runs with its
# own config, root, state and socket in the work dir (no CRI plugin), the image is an OCI
# archive built here by hand, and octrace-runtime reads a runtime.json of this test
# (OCTRACE_RUNTIME_CONFIG in containerd's environment, which the shim and the wrapper inherit).
#   1. control: plain runc through the same shim; getpgid succeeds; its config.json is kept
#   2. "trace": "all": the container is traced (errno 42 inside), its exit status comes back
#      through ctr, ctr removes it (no container, task, active snapshot, runtime state or
#      bundle left), no octrace process is left; the bundle's config.json differs from the
#      control's only by hooks.prestart, which holds exactly runtime.json's hook
#   3. "trace": "annotated": without the annotation not traced, with it traced
#   3b. `ctr run -d` then `ctr task exec --exec-id` of a probe: denied (errno 42, 13), its
#      status through ctr, a join event then its denial in ID.jsonl, nothing left after
#      `ctr task rm -f`
# Then containerd is stopped, and nothing of it is left.
# Usage: t-containerd.sh runc HOOK PROG none OCTRACE-RUNTIME.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctd-lib.sh
. "$(dirname "$0")/ctd-lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] && skip_all "octrace-runtime was not built"
WRAPPER=$(realpath -e "$WRAPPER") || skip_all "octrace-runtime was not built"
[ "$RT" = runc ] || { echo "Bail out! t-containerd.sh runs runc's shim only"; exit 99; }
ctd_require

setup
echo "# $(containerd --version)"

ctd_init
NS=default
IMAGE=localhost/octrace-bb:latest
CTL=$TMP/ctl # bind-mounted at /ctl: the fifos of the config.json handshake
mkdir -p "$CTL" || exit 99
mkfifo "$CTL/ready" "$CTL/go" || exit 99

cat >"$CTD/config.toml" <<EOF || exit 99
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"
EOF

# runtime_json TRACE: octrace-runtime's configuration (the deployed file's shape), read at
# every create: the build's hook, deny.json, logs in $LOGS.
runtime_json() {
	jq --arg hook "$HOOK" --arg trace "$1" \
		--arg policy "$POLICIES/deny.json" --arg logs "$LOGS" \
		'.runtime = "runc" | .trace = $trace | .hook.path = $hook |
		.hook.args = ["octrace-hook", "--policy", $policy, "--log-dir", $logs]' \
		"${OCTRACE_DEPLOY_DIR:-$HERE/../../deploy}/runtime.json" >"$TMP/runtime.json.new" &&
		mv "$TMP/runtime.json.new" "$TMP/runtime.json"
}

c() { timeout -k 5 60 ctr -a "$SOCK" -n "$NS" "$@"; }

# 0. containerd, then the image: one layer (the test's rootfs), an OCI archive built by hand.
runtime_json all
if ! ctd_start; then
	not_ok "containerd --config with its own root, state and socket starts"
	finish
fi
ok "containerd --config with its own root, state and socket starts"

if oci_archive "$ROOTFS" "$IMAGE" '{"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]}' \
	"$TMP/image.tar" &&
	c images import "$TMP/image.tar" >"$TMP/import.out" 2>&1 &&
	c images ls -q | grep -qxF "$IMAGE"; then
	ok "ctr images import of a hand-built OCI archive: $IMAGE"
else
	not_ok "ctr images import of a hand-built OCI archive: $IMAGE"
	show "$TMP/import.out" "$CTD/containerd.log"
	finish
fi

# ctr_run NAME ID BINARY [ctr run options...] -- CMD...: `ctr run --rm` through runc's shim with
# BINARY as its runc; output in $TMP/NAME.{out,err}; sets $status.
ctr_run() {
	local name=$1 id=$2 bin=$3 opts=()
	shift 3
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	c run --rm --fifo-dir "$CTD/fifo" --runc-binary "$bin" --runc-root "$CTD/runc" \
		--env "OCTRACE_INTEG_TAG=$TAG" \
		--mount "type=bind,src=$CTL,dst=/ctl,options=rbind:rw" "${opts[@]}" \
		"$IMAGE" "$id" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	status=$?
}

# The handshake workload: once the probe has run, the container waits on /ctl until the test
# has copied the bundle's config.json out of containerd's state dir.
handshake=(sh -c '/bin/integ-prog probe 0; echo ready >/ctl/ready; read x </ctl/go; exit 7')
BUNDLE_DIR=$CTD/state/io.containerd.runtime.v2.task/$NS
# capture NAME ID: run the handshake's other half in the background, config.json -> NAME.json
capture() {
	(
		timeout 30 cat "$CTL/ready" >/dev/null &&
			cp "$BUNDLE_DIR/$2/config.json" "$TMP/$1.json" &&
			stat -c %a "$BUNDLE_DIR/$2/config.json" >"$TMP/$1.mode"
		# What runs for the container meanwhile: the leftover checks are not vacuous.
		for p in $(marked); do
			echo "$(readlink "/proc/$p/exe") $(tr '\0' ' ' <"/proc/$p/cmdline")"
		done >"$TMP/$1.procs" 2>/dev/null
		timeout 30 sh -c 'echo go >"$1"' sh "$CTL/go"
	) &
	capture_pid=$!
}
# end_capture: a container that died before its handshake leaves the other half blocked on a
# fifo: an open O_RDWR releases it (and does not block when nothing waits).
end_capture() {
	for _ in $(seq 50); do
		kill -0 "$capture_pid" 2>/dev/null || break
		: <>"$CTL/ready"
		: <>"$CTL/go"
		sleep 0.1
	done
	wait "$capture_pid"
}

# ctd_clean ID: nothing of container ID left in containerd, the runtime or the machine.
ctd_clean() {
	local id=$1 rc=0 left p
	helper clean --tag "$TAG" --timeout 30 || rc=1 # the container's processes
	for _ in 1 2 3; do # shims, runc, octrace-runtime, octrace-hook, its daemon
		left=$(marked)
		[ -z "$left" ] && break
		for p in $left; do helper waitpid "$p" --timeout 30 >/dev/null 2>&1; done
	done
	left=$(marked)
	[ -z "$left" ] || { describe $left; rc=1; }
	left=$(octrace_procs)
	[ -z "$left" ] || { echo "# octrace processes left:"; describe $left; rc=1; }
	left=$(c containers ls -q; c tasks ls -q)
	[ -z "$left" ] || { echo "# containerd still has: $left"; rc=1; }
	if c snapshots ls 2>/dev/null | awk 'NR > 1 && $3 == "Active"' | grep -q .; then
		echo "# active snapshots left:"
		c snapshots ls | diag
		rc=1
	fi
	left=$(runc --root "$CTD/runc/$NS" list -q 2>&1)
	[ -z "$left" ] || { echo "# left in runc's state: $left"; rc=1; }
	[ ! -e "$BUNDLE_DIR/$id" ] || { echo "# bundle $BUNDLE_DIR/$id left"; rc=1; }
	return $rc
}

# 1. Control: the same container through the plain runc.
capture control c1
ctr_run control c1 runc -- "${handshake[@]}"
end_capture
clean_ok=true
ctd_clean c1 || clean_ok=false
if [ "$status" = 7 ] && grep -Eq '^getpgid: [1-9][0-9]* errno 0$' "$TMP/control.out" &&
	[ -s "$TMP/control.json" ]; then
	ok "control (plain runc): getpgid succeeds, status 7 through ctr, config.json captured"
else
	not_ok "control (plain runc): getpgid succeeds, status 7 through ctr, config.json captured (status $status)"
	show "$TMP/control.out" "$TMP/control.err"
fi
check "control: ctr removed the container, nothing left" $clean_ok

# 2. octrace-runtime, "trace": "all": the same container, traced.
capture traced c1
ctr_run traced c1 "$WRAPPER" -- "${handshake[@]}"
end_capture
clean_ok=true
ctd_clean c1 || clean_ok=false
if [ "$status" = 7 ] && grep -qx 'getpgid: -1 errno 42' "$TMP/traced.out" &&
	grep -qx 'mkdirat: -1 errno 13' "$TMP/traced.out"; then
	ok "octrace-runtime: traced, getpgid denied with errno 42 inside; status 7 through ctr"
else
	not_ok "octrace-runtime: traced, getpgid denied with errno 42 inside; status 7 through ctr (status $status)"
	show "$TMP/traced.out" "$TMP/traced.err"
	grep -iE 'level=(error|warning)' "$CTD/containerd.log" | tail -5 | diag
fi
if [ "$(log_status c1)" = 7 ] && summary_has c1 getpgid 'SCMP_ACT_ERRNO(42)'; then
	ok "octrace-runtime: the hook's log has the summary and status 7"
else
	not_ok "octrace-runtime: the hook's log has the summary and status 7"
	show "$LOGS/c1.log"
fi
if grep -q '^[^ ]*/containerd-shim-runc-v2 ' "$TMP/traced.procs" &&
	grep -qF "$HOOK " "$TMP/traced.procs"; then
	ok "octrace-runtime: while it ran, its shim and octrace's daemon were seen"
else
	not_ok "octrace-runtime: while it ran, its shim and octrace's daemon were seen"
	show "$TMP/traced.procs"
fi
check "octrace-runtime: ctr removed the container; no shim, runc or octrace process left" \
	$clean_ok
want_hooks=$(jq -c '{prestart: [.hook | {path, args}]}' "$TMP/runtime.json")
if [ -s "$TMP/traced.json" ] &&
	[ "$(jq -c '.hooks | with_entries(.value |= map({path, args}))' "$TMP/traced.json")" = \
		"$want_hooks" ] &&
	[ "$(jq -c '.hooks.prestart[0] | keys' "$TMP/traced.json")" = '["args","path"]' ] &&
	[ "$(jq -S 'del(.hooks, .linux.seccomp)' "$TMP/traced.json")" = \
		"$(jq -S 'del(.hooks, .linux.seccomp)' "$TMP/control.json")" ] &&
	[ "$(jq -c '.linux.seccomp | [.defaultAction, (.syscalls[] | .names, .action, .errnoRet)]' "$TMP/traced.json")" = \
		'["SCMP_ACT_ALLOW",["execve","execveat"],"SCMP_ACT_TRACE",28672]' ] &&
	[ "$(jq -c .hooks "$TMP/control.json")" = null ] &&
	cmp -s "$TMP/traced.mode" "$TMP/control.mode"; then
	ok "octrace-runtime's config.json: runtime.json's hook added to hooks.prestart, linux.seccomp the policy's exec barrier (execve, execveat: TRACE), nothing else changed"
else
	not_ok "octrace-runtime's config.json: runtime.json's hook added to hooks.prestart, linux.seccomp the policy's exec barrier (execve, execveat: TRACE), nothing else changed"
	echo "# want hooks $want_hooks"
	jq -c .hooks "$TMP/traced.json" 2>&1 | diag
	diff <(jq -S . "$TMP/control.json" 2>&1) <(jq -S . "$TMP/traced.json" 2>&1) | head -40 | diag
	cat "$TMP/control.mode" "$TMP/traced.mode" 2>&1 | diag
fi

# 3. "trace": "annotated" (runtime.json is read at every create).
runtime_json annotated
ctr_run ann-none c2 "$WRAPPER" -- /bin/integ-prog probe 5
clean_ok=true
ctd_clean c2 || clean_ok=false
if [ "$status" = 5 ] && grep -Eq '^getpgid: [1-9][0-9]* errno 0$' "$TMP/ann-none.out" &&
	[ ! -e "$LOGS/c2.log" ]; then
	ok "\"trace\": \"annotated\", no annotation: not traced (getpgid succeeds, no log), status 5"
else
	not_ok "\"trace\": \"annotated\", no annotation: not traced (getpgid succeeds, no log), status 5 (status $status)"
	show "$TMP/ann-none.out" "$TMP/ann-none.err"
fi
check "\"trace\": \"annotated\", no annotation: nothing left" $clean_ok
ctr_run ann-true c3 "$WRAPPER" --annotation org.octrace.trace=true -- /bin/integ-prog probe 5
clean_ok=true
ctd_clean c3 || clean_ok=false
if [ "$status" = 5 ] && grep -qx 'getpgid: -1 errno 42' "$TMP/ann-true.out" &&
	[ "$(log_status c3)" = 5 ]; then
	ok "\"trace\": \"annotated\", org.octrace.trace=true: traced (errno 42, log), status 5"
else
	not_ok "\"trace\": \"annotated\", org.octrace.trace=true: traced (errno 42, log), status 5 (status $status)"
	show "$TMP/ann-true.out" "$TMP/ann-true.err" "$LOGS/c3.log"
fi
check "\"trace\": \"annotated\", annotated: nothing left" $clean_ok

# 3b. `ctr task exec` into a traced container ("trace": "all" again): the wrapper's exec joins
# the container's octrace; the exec'd probe is denied and audited after its join event.
runtime_json all
c run -d --fifo-dir "$CTD/fifo" --runc-binary "$WRAPPER" --runc-root "$CTD/runc" \
	--env "OCTRACE_INTEG_TAG=$TAG" "$IMAGE" c4 sh -c 'exec /bin/busybox sleep 1000' \
	>"$TMP/exec-run.out" 2>"$TMP/exec-run.err" </dev/null
status=$?
if [ "$status" = 0 ] && [ "$(c tasks ls 2>/dev/null | awk '$1 == "c4" { print $3 }')" = RUNNING ] &&
	grep -q "octrace: container c4: attached to pid " "$LOGS/c4.log" 2>/dev/null; then
	ok "ctr run -d through octrace-runtime: c4 running, traced (ID.log attached)"
else
	not_ok "ctr run -d through octrace-runtime: c4 running, traced (status $status)"
	show "$TMP/exec-run.out" "$TMP/exec-run.err" "$LOGS/c4.log"
fi
c tasks exec --fifo-dir "$CTD/fifo" --exec-id probe4 c4 /bin/integ-prog probe 4 \
	>"$TMP/exec.out" 2>"$TMP/exec.err" </dev/null
status=$?
if [ "$status" = 4 ] && [ "$(cat "$TMP/exec.out")" = "$(printf 'getpgid: -1 errno 42\nmkdirat: -1 errno 13')" ]; then
	ok "ctr task exec of a probe: getpgid errno 42, mkdirat errno 13, status 4 through ctr"
else
	not_ok "ctr task exec of a probe: getpgid errno 42, mkdirat errno 13, status 4 through ctr (status $status)"
	show "$TMP/exec.out" "$TMP/exec.err" "$LOGS/c4.log"
fi
c tasks rm -f c4 >/dev/null 2>"$TMP/exec-rm.err" || show "$TMP/exec-rm.err"
c containers rm c4 >/dev/null 2>>"$TMP/exec-rm.err" || show "$TMP/exec-rm.err"
clean_ok=true
ctd_clean c4 || clean_ok=false
jpid=$(grep -F '"event":"join"' "$LOGS/c4.jsonl" 2>/dev/null |
	jq -r 'select(.argv == ["/bin/integ-prog","probe","4"]) | .pid')
n=$(jq -r -s --argjson p "${jpid:-0}" '(map(.event == "join" and .pid == $p) | index(true)) as $j |
	if $j == null then 0 else .[$j + 1:] | map(select(.event == "syscall" and .pid == $p and
	.syscall == "getpgid" and .action == "SCMP_ACT_ERRNO" and .errno == 42)) | length end' \
	"$LOGS/c4.jsonl" 2>/dev/null)
if [ -n "$jpid" ] && [ "$(wc -w <<<"$jpid")" = 1 ] && [ "$n" = 1 ] &&
	grep -Eq "container c4: joined process $jpid exited, status 4\$" "$LOGS/c4.log"; then
	ok "ctr task exec: ID.jsonl has a join event (pid $jpid), then its getpgid denial (ERRNO 42); ID.log its status 4"
else
	not_ok "ctr task exec: ID.jsonl has a join event, then its getpgid denial (ERRNO 42); ID.log its status 4 (join pid '$jpid', $n denials)"
	show "$LOGS/c4.log" "$LOGS/c4.jsonl"
fi
check "ctr task exec: task and container removed, nothing left" $clean_ok

# 4. Stop containerd: it exits, and nothing it started is left.
check "containerd stopped, nothing it started left" ctd_stop
finish
