# shellcheck shell=bash
# A private containerd for t-containerd.sh and t-cri.sh (sourced after lib.sh). The test's
# containerd has its own config, root, state and socket under $TMP/ctd, and octrace-runtime
# reads a runtime.json of the test ($CTD_RUNTIME_JSON, default $TMP/runtime.json, through
# OCTRACE_RUNTIME_CONFIG in containerd's environment, which its shims, runc, the wrapper, the
# hook and octrace's daemon inherit: that variable marks them). Images are OCI archives built here by hand: no registry.
#
#   ctd_require            containerd, ctr, runc's shim, jq (skip_all if missing; installed
#                          on a developer's machine)
#   ctd_init               $CTD, $SOCK, the cleanup trap (call after setup)
#   ctd_start ENV=VALUE... start containerd with $CTD/config.toml, wait until it answers
#   ctd_stop               SIGTERM, wait for it; returns 1 if anything it started is left
#   marked                 the pids of what containerd started (containerd excepted)
#   octrace_procs          the running forks of the build's (or an installed) octrace-hook
#   oci_archive ROOTFS NAME CONFIG OUT   an OCI archive of one layer (ROOTFS) named NAME with
#                          the image config CONFIG (JSON: Cmd, Env, Entrypoint...)

ctd_require() {
	# containerd from Debian: CI (.ci/run via test.sh) installs it; a developer's machine
	# gets it here.
	if ! command -v containerd >/dev/null && [ "${CI:-}" != true ] && [ "$(id -u)" = 0 ]; then
		echo "# containerd is not installed: apt-get install containerd"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd \
					>/dev/null 2>&1; }
	fi
	local p
	for p in containerd ctr containerd-shim-runc-v2 jq sha256sum; do
		command -v $p >/dev/null || skip_all "$p is not installed (apt-get install containerd jq)"
	done
}

ctd_init() {
	CTD=$TMP/ctd
	SOCK=$CTD/containerd.sock
	CTD_RUNTIME_JSON=${CTD_RUNTIME_JSON:-$TMP/runtime.json}
	OCTRACE_HOOK_EXES=("$HOOK")
	mkdir -p "$CTD/fifo" || exit 99
	# The shims' sockets go to /run/containerd/s whatever the config says: remove what we
	# created.
	run_dirs_before=$(ls -d /run/containerd /run/containerd/s /run/containerd/fifo 2>/dev/null)
	ctd_pid=
	trap ctd_cleanup EXIT
	trap 'exit 143' TERM INT HUP # a timeout's SIGTERM still stops containerd
}

# Processes started for this test's containerd (they inherit its environment: shims, runc,
# octrace-runtime, octrace-hook and its daemon), containerd itself excepted. One grep over
# every process: a loaded machine has many.
marked() {
	local f pid
	grep -lzxF "OCTRACE_RUNTIME_CONFIG=$CTD_RUNTIME_JSON" /proc/[0-9]*/environ 2>/dev/null |
		while IFS= read -r f; do
			pid=${f#/proc/}
			pid=${pid%/environ}
			[ "$pid" = "$ctd_pid" ] || echo "$pid"
		done
}
# The octrace daemons still running: forks of the build's octrace-hook (or of the copies in
# OCTRACE_HOOK_EXES).
octrace_procs() {
	local h
	for h in "${OCTRACE_HOOK_EXES[@]}"; do
		stat -c %N /proc/[0-9]*/exe 2>/dev/null | grep -F " -> '$h'" |
			sed -e "s|^'/proc/\([0-9]*\)/exe'.*|\1|"
	done
}
describe() { # PID...
	local pid
	for pid; do
		echo "# left: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done
}

# The cleanup trap: kill containerd and everything it started, force-delete what runc still
# has, unmount what is left under the work dir, remove the run dirs it created.
ctd_cleanup() {
	local pid m ns
	[ -n "$ctd_pid" ] && kill -KILL "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null
	for pid in $(marked); do kill -KILL "$pid" 2>/dev/null; done
	helper kill --tag "$TAG" >/dev/null 2>&1
	for ns in "$CTD"/runc/*; do
		[ -d "$ns" ] || continue
		for pid in $(runc --root "$ns" list -q 2>/dev/null); do
			runc --root "$ns" delete --force "$pid" >/dev/null 2>&1
		done
	done
	findmnt -rn -o TARGET | grep -F "$TMP/" | sort -r | while read -r m; do
		umount -l "$m"
	done
	for m in /run/containerd/fifo /run/containerd/s /run/containerd; do
		grep -qxF "$m" <<<"$run_dirs_before" || rmdir "$m" 2>/dev/null
	done
	cleanup
}

# ctd_start VAR=VALUE...: containerd with $CTD/config.toml and these variables added to its
# environment (OCTRACE_RUNTIME_CONFIG=$CTD_RUNTIME_JSON always), log in $CTD/containerd.log.
# Returns 1 (log shown) if it does not answer within 20 s.
ctd_start() {
	env OCTRACE_RUNTIME_CONFIG="$CTD_RUNTIME_JSON" "$@" \
		containerd --config "$CTD/config.toml" >"$CTD/containerd.log" 2>&1 </dev/null &
	ctd_pid=$!
	local _
	for _ in $(seq 100); do # containerd has no readiness signal but its socket: 20 s at most
		timeout 10 ctr -a "$SOCK" version >/dev/null 2>&1 && return 0
		kill -0 "$ctd_pid" 2>/dev/null || break
		sleep 0.2
	done
	show "$CTD/containerd.log"
	return 1
}

# ctd_stop: SIGTERM; it exits, and nothing it started is left (else what is, as comments).
ctd_stop() {
	local left
	kill -TERM "$ctd_pid"
	if ! helper waitpid "$ctd_pid" --timeout 20 >/dev/null 2>&1; then
		echo "# containerd did not stop on SIGTERM within 20 s"
		return 1
	fi
	wait "$ctd_pid" 2>/dev/null
	ctd_pid=
	left=$(marked)
	[ -z "$left" ] && return 0
	describe $left
	return 1
}

# oci_archive ROOTFS NAME CONFIG OUT: an OCI image layout in a fresh dir, archived to OUT: one
# uncompressed layer of ROOTFS, the image config {architecture, os, config: CONFIG, rootfs},
# one manifest named NAME (for `ctr images import`).
oci_archive() {
	local rootfs=$1 name=$2 config=$3 out=$4 dir d s layer cfg man
	dir=$(mktemp -d "$TMP/oci.XXXXXX") || return 1
	blob() { # FILE -> "DIGEST SIZE", FILE copied into the layout
		d=$(sha256sum "$1" | cut -d' ' -f1) && s=$(stat -c %s "$1") &&
			cp "$1" "$dir/blobs/sha256/$d" && echo "$d $s"
	}
	mkdir -p "$dir/blobs/sha256" &&
		tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" \
			-cf "$dir/layer.tar" . &&
		layer=$(blob "$dir/layer.tar") &&
		jq -n --arg l "sha256:${layer% *}" --argjson c "$config" '{architecture: "amd64",
			os: "linux", config: $c, rootfs: {type: "layers", diff_ids: [$l]}}' \
			>"$dir/image-config.json" &&
		cfg=$(blob "$dir/image-config.json") &&
		jq -n --arg c "sha256:${cfg% *}" --argjson cs "${cfg#* }" \
			--arg l "sha256:${layer% *}" --argjson ls "${layer#* }" '{schemaVersion: 2,
			mediaType: "application/vnd.oci.image.manifest.v1+json",
			config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c,
				size: $cs},
			layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l,
				size: $ls}]}' >"$dir/image-manifest.json" &&
		man=$(blob "$dir/image-manifest.json") &&
		rm "$dir/layer.tar" "$dir/image-config.json" "$dir/image-manifest.json" &&
		jq -n --arg m "sha256:${man% *}" --argjson ms "${man#* }" --arg name "$name" \
			'{schemaVersion: 2, manifests: [{
				mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m,
				size: $ms, annotations: {"io.containerd.image.name": $name,
				"org.opencontainers.image.ref.name": "latest"}}]}' >"$dir/index.json" &&
		echo '{"imageLayoutVersion": "1.0.0"}' >"$dir/oci-layout" &&
		tar -C "$dir" -cf "$out" . &&
		rm -rf "$dir"
}
