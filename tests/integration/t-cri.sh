#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# octrace under Kubernetes' CRI, end to end, with no kubelet: containerd with its CRI plugin,
# driven over gRPC by cri.py (runtime.v1, the calls the kubelet makes). containerd runs with
# its own config, root, state and socket; its config is a base one plus what
# deploy/kubernetes/octrace-node-install adds to it (the `octrace` handler: runc's shim with
# octrace-runtime as BinaryName), and that script puts the build's octrace-hook and
# octrace-runtime, runtime.json and deny.json in the test's dirs. Two images built here by hand
# (no registry): the app (static busybox, integ-prog, sysprobe) and the pause (busybox sleep),
# imported into k8s.io. Pods use the host network (no CNI).
#   1. the installer's config: `containerd config dump` reads it; containerd starts, CRI answers
#   2. a pod of handler "octrace", its container under RuntimeDefault (containerd's profile,
#      adopted by octrace-runtime): add_key and sysfs get the profile's errno (EPERM) and are
#      in the container's audit log
#   3. ExecSync of a probe into that container: denied the same way, exit code through CRI;
#      the audit log has its join, then its denials
#   4. StopPodSandbox and RemovePodSandbox: no pod, container, shim, runc state, octrace
#      process or container process left, no task in ptrace stop
#   5. pod annotation org.octrace.policy=deny (in the admin's --policy-dir): getpgid errno 42,
#      mkdirat errno 13, exit code 5 through CRI; a policy name that is a path and a complain
#      mode the admin does not allow make RunPodSandbox fail, and leave nothing
#   6. a pod of the default handler (runc), with the same annotation: not traced
# The handler is deploy/containerd/config.toml's (t-node-install.sh checks the installer's block
# against it). CRI-O is not packaged in Debian 12 (`apt-cache policy cri-o`: no candidate): its
# handler, deploy/crio/octrace.conf, is checked as configuration only, by t-node-install.sh.
# Usage: t-cri.sh runc HOOK PROG none OCTRACE-RUNTIME SYSPROBE.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctd-lib.sh
. "$(dirname "$0")/ctd-lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] && skip_all "octrace-runtime was not built"
WRAPPER=$(realpath -e "$WRAPPER") || skip_all "octrace-runtime was not built"
SYSPROBE=$(realpath -e "${6:?static sysprobe}")
[ "$RT" = runc ] || { echo "Bail out! t-cri.sh runs runc's shim only"; exit 99; }
ctd_require
# Debian's python3 with Debian's gRPC (test.sh installs them; the first python3 on PATH may be
# another one).
CRIPY=/usr/bin/python3
"$CRIPY" -c 'import grpc, google.protobuf' 2>/dev/null ||
	skip_all "/usr/bin/python3 has no grpc or protobuf (apt-get install python3-grpcio python3-protobuf)"
INSTALLER=$HERE/../../deploy/kubernetes/octrace-node-install
setup
echo "# $(containerd --version)"

NODE=$TMP/node # the node's octrace files, as the installer puts them
CTD_RUNTIME_JSON=$NODE/etc/runtime.json
ctd_init
OCTRACE_HOOK_EXES+=("$NODE/bin/octrace-hook")
CTL=$TMP/ctl # bind-mounted at /ctl: the app's fifo
APP=localhost/octrace-app:latest
PAUSE=localhost/octrace-pause:latest
mkdir -p "$CTL" "$TMP/from/bin" "$TMP/from/policies" "$TMP/pause/bin" || exit 99
mkfifo "$CTL/probe" || exit 99
cp "$SYSPROBE" "$ROOTFS/bin/sysprobe" && ln -s busybox "$ROOTFS/bin/sleep" &&
	cp /bin/busybox "$TMP/pause/bin/" || exit 99

cri() { timeout -k 5 90 "$CRIPY" "$HERE/cri.py" "$SOCK" "$@"; }
c() { timeout -k 5 60 ctr -a "$SOCK" -n k8s.io "$@"; }

# 1. What the installer makes of a base config: containerd's own paths and the CRI plugin as a
# node without CAP_SYS_RESOURCE needs it (restrict_oom_score_adj), runc with a private --root.
cat >"$CTD/config.toml" <<EOF || exit 99
version = 2
root = "$CTD/root"
state = "$CTD/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CTD/cni/bin"
    conf_dir = "$CTD/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$CTD/runc"
EOF
cp "$HOOK" "$WRAPPER" "$TMP/from/bin/" && cp "$POLICIES/deny.json" "$TMP/from/policies/" &&
	jq --arg hook "$NODE/bin/octrace-hook" --arg dir "$NODE/etc/policies" --arg logs "$LOGS" \
		'.runtime = "runc" | .trace = "all" | .hook.path = $hook |
		.hook.args = ["octrace-hook", "--policy-dir", $dir, "--log-dir", $logs]' \
		"${OCTRACE_DEPLOY_DIR:-$HERE/../../build/deploy}/runtime.json" >"$TMP/from/runtime.json" || exit 99
if sh "$INSTALLER" install --root / --from "$TMP/from" --engine containerd \
	--containerd-config "$CTD/config.toml" --bindir "$NODE/bin" --confdir "$NODE/etc" \
	--no-restart >"$TMP/install.out" 2>&1 &&
	containerd --config "$CTD/config.toml" config dump >"$TMP/dump.toml" 2>&1 &&
	grep -qxF "            BinaryName = \"$NODE/bin/octrace-runtime\"" "$TMP/dump.toml" &&
	cmp -s "$HOOK" "$NODE/bin/octrace-hook" && cmp -s "$TMP/from/runtime.json" "$CTD_RUNTIME_JSON"; then
	ok "octrace-node-install: the octrace handler in containerd's config (config dump reads it), the files in place"
else
	not_ok "octrace-node-install: the octrace handler in containerd's config (config dump reads it), the files in place"
	show "$TMP/install.out" "$TMP/dump.toml"
	finish
fi

if ctd_start OCTRACE_INTEG_TAG="$TAG" && cri wait-up 20 >"$TMP/version.json" 2>"$TMP/version.err" &&
	[ "$(jq -r .runtime_api_version "$TMP/version.json")" = v1 ]; then
	ok "containerd with the CRI plugin starts; CRI Version over gRPC: $(jq -r '.runtime_name + " " + .runtime_version' "$TMP/version.json")"
else
	not_ok "containerd with the CRI plugin starts; CRI Version over gRPC answers runtime API v1"
	show "$TMP/version.err" "$TMP/version.json"
	grep -iE 'level=(error|fatal)' "$CTD/containerd.log" | tail -5 | diag
	finish
fi

if oci_archive "$ROOTFS" "$APP" '{"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]}' "$TMP/app.tar" &&
	oci_archive "$TMP/pause" "$PAUSE" \
		'{"Entrypoint": ["/bin/busybox", "sleep", "2147483647"]}' "$TMP/pause.tar" &&
	c images import "$TMP/app.tar" >"$TMP/import.out" 2>&1 &&
	c images import "$TMP/pause.tar" >>"$TMP/import.out" 2>&1 &&
	[ "$(c images ls -q | grep -cxF -e "$APP" -e "$PAUSE")" = 2 ]; then
	ok "ctr -n k8s.io images import of the app and pause images, built offline"
else
	not_ok "ctr -n k8s.io images import of the app and pause images, built offline"
	show "$TMP/import.out"
	finish
fi

NS_OPTS='{"network": "NODE", "pid": "CONTAINER", "ipc": "POD"}'
# runp NAME HANDLER ANNOTATIONS: RunPodSandbox (host network); sets $pod (empty on failure,
# the error in $TMP/NAME.runp.err) and $pod_json, the pod's config.
runp() {
	local name=$1 handler=$2 ann=$3
	mkdir -p "$TMP/podlogs/$name"
	pod_json=$TMP/$name.pod.json
	jq -n --arg name "$name" --arg logs "$TMP/podlogs/$name" --argjson ann "$ann" \
		--argjson ns "$NS_OPTS" '{metadata: {name: $name, uid: ($name + "-uid"),
		namespace: "octrace-test", attempt: 0}, log_directory: $logs, annotations: $ann,
		linux: {security_context: {namespace_options: $ns}}}' >"$pod_json"
	pod=$(cri RunPodSandbox "$(jq -c --arg h "$handler" '{config: ., runtime_handler: $h}' \
		"$pod_json")" 2>"$TMP/$name.runp.err" | jq -r .pod_sandbox_id)
}

# ctr_start POD NAME SECCOMP CMD...: in POD, the pod runp made last, CreateContainer (image
# APP, profile SECCOMP, the tag in its environment, $CTL at /ctl, log NAME.log in the pod's log
# dir) and StartContainer; sets $cid.
ctr_start() {
	local pod=$1 name=$2 seccomp=$3 cfg cmd
	shift 3
	# the command as a JSON array, one argument a line (jq 1.6 takes a "-c" after --args for
	# its own option, and drops a final NUL)
	cmd=$(printf '%s\n' "$@" | jq -Rsc 'split("\n")[:-1]')
	cfg=$(jq -n --arg name "$name" --arg image "$APP" --arg sc "$seccomp" --arg tag "$TAG" \
		--arg ctl "$CTL" --argjson ns "$NS_OPTS" --argjson cmd "$cmd" '{metadata: {name: $name},
		image: {image: $image}, command: $cmd,
		envs: [{key: "OCTRACE_INTEG_TAG", value: $tag}],
		mounts: [{container_path: "/ctl", host_path: $ctl}], log_path: ($name + ".log"),
		linux: {security_context: {seccomp: {profile_type: $sc}, namespace_options: $ns}}}')
	cid=$(cri CreateContainer "$(jq -c --arg pod "$pod" --argjson cfg "$cfg" \
		'{pod_sandbox_id: $pod, config: $cfg, sandbox_config: .}' "$pod_json")" \
		2>"$TMP/$name.err" | jq -r .container_id) &&
		[ -n "$cid" ] && cri StartContainer "{\"container_id\": \"$cid\"}" >/dev/null 2>>"$TMP/$name.err"
}

# stdout_of POD NAME: what container NAME of the pod named POD wrote on stdout (its CRI log).
stdout_of() {
	awk '$2 == "stdout" { sub(/^[^ ]+ [^ ]+ [^ ]+ /, ""); print }' "$TMP/podlogs/$1/$2.log" 2>/dev/null
}

# audit_denials FILE SYSCALL ERRNO: how many SCMP_ACT_ERRNO records of SYSCALL with ERRNO.
audit_denials() {
	jq -s --arg sc "$2" --argjson e "$3" '[.[] | select(.event == "syscall" and
		.syscall == $sc and .action == "SCMP_ACT_ERRNO" and .errno == $e)] | length' \
		"$1" 2>/dev/null
}

# pod_gone NAME: Stop and RemovePodSandbox of $pod; then nothing of it is left.
pod_gone() {
	local rc=0
	cri StopPodSandbox "{\"pod_sandbox_id\": \"$pod\"}" \
		RemovePodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null 2>"$TMP/$1.stop.err" ||
		{ show "$TMP/$1.stop.err"; rc=1; }
	nothing_left || rc=1
	return $rc
}

# nothing_left: no pod or container in CRI, no process of this test but containerd (shims,
# runc, hooks, daemons, pause and container processes), no task in ptrace stop, no runc state.
nothing_left() {
	local rc=0 left
	left=$(cri ListPodSandbox ListContainers | jq -c '.items // .containers // empty')
	[ -z "$left" ] || { echo "# pods or containers left: $left"; rc=1; }
	helper clean --tag "$TAG" --dir "$TMP" --except "$ctd_pid" --timeout 30 || rc=1
	left=$(marked)
	[ -z "$left" ] || { describe $left; rc=1; }
	left=$(octrace_procs)
	[ -z "$left" ] || { echo "# octrace processes left:"; describe $left; rc=1; }
	left=$(runc --root "$CTD/runc/k8s.io" list -q 2>/dev/null)
	[ -z "$left" ] || { echo "# left in runc's state: $left"; rc=1; }
	return $rc
}

# 2. Handler octrace, RuntimeDefault: the app probes, hands its output over /ctl/probe, sleeps.
runp rd octrace '{}'
if [ -n "$pod" ] &&
	ctr_start "$pod" app RuntimeDefault sh -c \
		'/bin/sysprobe add_key:0 sysfs:3 >/ctl/probe; exec /bin/sleep 100000'; then
	app=$cid
	timeout 30 cat "$CTL/probe" >"$TMP/rd.out"
	if [ "$(cat "$TMP/rd.out")" = "$(printf 'add_key:0 = -1 EPERM\nsysfs:3 = -1 EPERM')" ]; then
		ok "octrace handler, RuntimeDefault: add_key and sysfs fail with the profile's EPERM"
	else
		not_ok "octrace handler, RuntimeDefault: add_key and sysfs fail with the profile's EPERM"
		show "$TMP/rd.out"
	fi
else
	not_ok "octrace handler, RuntimeDefault: pod and container start"
	show "$TMP/rd.runp.err" "$TMP/app.err"
	grep -iE 'level=(error|warning)' "$CTD/containerd.log" | tail -5 | diag
	finish
fi

# 3. ExecSync into it.
cri ExecSync "$(jq -nc --arg c "$app" '{container_id: $c, cmd: ["/bin/sysprobe", "add_key:0",
	"sysfs:3", "getpid"], timeout: 30}')" >"$TMP/exec.json" 2>"$TMP/exec.err"
exec_out=$(jq -r '.stdout // "" | @base64d' "$TMP/exec.json" 2>/dev/null)
if [ "$(jq -r '.exit_code // 0' "$TMP/exec.json" 2>/dev/null)" = 0 ] &&
	[ "$exec_out" = "$(printf 'add_key:0 = -1 EPERM\nsysfs:3 = -1 EPERM\ngetpid = pid')" ]; then
	ok "ExecSync of a probe: add_key and sysfs denied with EPERM, getpid allowed, exit code 0 through CRI"
else
	not_ok "ExecSync of a probe: add_key and sysfs denied with EPERM, getpid allowed, exit code 0 through CRI"
	show "$TMP/exec.json" "$TMP/exec.err" "$LOGS/$app.log"
fi

# 4. Stop and remove the pod; then the audit log is complete.
check "StopPodSandbox, RemovePodSandbox: no pod, container, process, ptrace stop or runc state left" \
	pod_gone rd
jsonl=$LOGS/$app.jsonl
# The EPERM denials (sorted syscall names) before the exec's join, and after it from the
# processes the joined sysprobe forked (one per probe).
jpid=$(jq -r 'select(.event == "join" and .argv[0] == "/bin/sysprobe") | .pid' "$jsonl" 2>/dev/null)
denials=$(jq -sc --argjson j "${jpid:-0}" '(map(.event == "join" and .pid == $j) | index(true))
	as $i | if $i == null then null else
	([.[$i + 1:][] | select(.event == "fork" and .pid == $j) | .child]) as $kids |
	def eperm: select(.event == "syscall" and .action == "SCMP_ACT_ERRNO" and .errno == 1);
	{before: [.[:$i][] | eperm | .syscall] | sort,
	 exec: [.[$i + 1:][] | eperm | select(.pid as $p | $kids | any(.[]; . == $p)) | .syscall]
		| sort} end' "$jsonl" 2>/dev/null)
if [ "$(jq -c .before <<<"$denials" 2>/dev/null)" = '["add_key","sysfs"]' ]; then
	ok "the init's add_key and sysfs denials (SCMP_ACT_ERRNO, errno 1) are in ID.jsonl"
else
	not_ok "the init's add_key and sysfs denials (SCMP_ACT_ERRNO, errno 1) are in ID.jsonl ($denials)"
	show "$jsonl" "$LOGS/$app.log"
fi
if [ -n "$jpid" ] && [ "$(wc -w <<<"$jpid")" = 1 ] &&
	[ "$(jq -c .exec <<<"$denials")" = '["add_key","sysfs"]' ] &&
	grep -q "container $app: joined process $jpid exited, status 0" "$LOGS/$app.log" &&
	[ "$(log_status "$app")" = 137 ]; then
	ok "ExecSync: ID.jsonl has the join (pid $jpid), then its add_key and sysfs denials; ID.log its status 0, then the init's 137"
else
	not_ok "ExecSync: ID.jsonl has the join, then its add_key and sysfs denials; ID.log its status 0, then the init's 137 (join pid '$jpid', $denials)"
	show "$jsonl" "$LOGS/$app.log"
fi
echo "# audit lines of the pod's app container:"
jq -c 'select(.event == "syscall" or .event == "join") | {event, pid, syscall, action, errno, argv}
	| with_entries(select(.value != null))' "$jsonl" 2>/dev/null | diag

# 5. The policy a pod's annotation names, within what the admin's hook arguments allow.
runp ann octrace '{"org.octrace.policy": "deny"}'
if [ -n "$pod" ] && ctr_start "$pod" probe Unconfined /bin/integ-prog probe 5 &&
	code=$(cri wait-exited "$cid" 30 2>"$TMP/ann.wait.err") && [ "$code" = 5 ] &&
	[ "$(stdout_of ann probe)" = "$(printf 'getpgid: -1 errno 42\nmkdirat: -1 errno 13')" ]; then
	ok "org.octrace.policy=deny: getpgid errno 42, mkdirat errno 13, exit code 5 through CRI"
else
	not_ok "org.octrace.policy=deny: getpgid errno 42, mkdirat errno 13, exit code 5 through CRI (exit code '${code:-}')"
	show "$TMP/ann.runp.err" "$TMP/probe.err" "$TMP/ann.wait.err" "$TMP/podlogs/ann/probe.log"
fi
probe=$cid
check "org.octrace.policy=deny: Stop/RemovePodSandbox, nothing left" pod_gone ann
if [ "$(audit_denials "$LOGS/$probe.jsonl" getpgid 42)" = 1 ] &&
	[ "$(log_status "$probe")" = 5 ]; then
	ok "org.octrace.policy=deny: the getpgid denial (errno 42) in ID.jsonl, status 5 in ID.log"
else
	not_ok "org.octrace.policy=deny: the getpgid denial (errno 42) in ID.jsonl, status 5 in ID.log"
	show "$LOGS/$probe.jsonl" "$LOGS/$probe.log"
fi

for bad in '{"org.octrace.policy": "../policies/deny"}' '{"org.octrace.mode": "complain"}'; do
	runp bad octrace "$bad"
	what="annotations $bad (not allowed by the hook's arguments)"
	if [ -z "$pod" ] && grep -q 'octrace-hook: .*annotation' "$TMP/bad.runp.err"; then
		ok "$what: RunPodSandbox fails with octrace-hook's error"
	else
		not_ok "$what: RunPodSandbox fails with octrace-hook's error (pod '$pod')"
		show "$TMP/bad.runp.err"
	fi
	check "$what: nothing left" nothing_left
done

# 6. The default handler: not traced, whatever the annotations.
runp plain "" '{"org.octrace.policy": "deny"}'
if [ -n "$pod" ] && ctr_start "$pod" probe Unconfined /bin/integ-prog probe 3 &&
	code=$(cri wait-exited "$cid" 30 2>"$TMP/plain.wait.err") && [ "$code" = 3 ] &&
	stdout_of plain probe | grep -Eqx 'getpgid: [1-9][0-9]* errno 0' &&
	stdout_of plain probe | grep -qx 'mkdirat: 0 errno 0' &&
	[ ! -e "$LOGS/$cid.log" ] && [ ! -e "$LOGS/$pod.log" ]; then
	ok "default handler (runc): not traced (getpgid and mkdirat succeed, no octrace log), exit code 3"
else
	not_ok "default handler (runc): not traced (getpgid and mkdirat succeed, no octrace log), exit code 3 (exit code '${code:-}')"
	show "$TMP/plain.runp.err" "$TMP/probe.err" "$TMP/podlogs/plain/probe.log"
	ls "$LOGS" 2>&1 | diag
fi
check "default handler: Stop/RemovePodSandbox, nothing left" pod_gone plain

check "containerd stopped, nothing it started left" ctd_stop
finish
