# shellcheck shell=bash
# podman-lib.sh: podman with a private storage and configuration for one integration test
# (sourced by t-podman.sh and t-podman-exec.sh after lib.sh's setup). PODMAN_ENGINE_EXTRA:
# more lines for containers.conf's [engine] table. Defines PM_RUNTIME, pm, rt_left,
# podman_cleanup (installed as the EXIT trap) and pm_clean.
# podman's configuration, all of it inside $TMP (CONTAINERS_CONF is the only file read).
cat >"$TMP/containers.conf" <<EOF || exit 99
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
${PODMAN_ENGINE_EXTRA:-}
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$TMP/libpod-tmp"
volume_path = "$TMP/storage/volumes"
[network]
network_config_dir = "$TMP/net"
EOF
cat >"$TMP/storage.conf" <<EOF || exit 99
[storage]
driver = "vfs"
graphroot = "$TMP/storage"
runroot = "$TMP/runroot"
EOF
case $RT in
runc)
	PM_RUNTIME=runc # podman's runc, with runc's default state dir (/run/runc)
	;;
crun)
	# podman passes the runtime's name to conmon and to its cleanup command: a script named
	# crun, with the cgroup2 dance for every command and a state dir of this test.
	mkdir -p "$TMP/bin" "$TMP/crun-state"
	cat >"$TMP/bin/crun" <<EOF || exit 99
#!/bin/sh
exec unshare -m sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup &&
	exec crun --cgroup-manager=disabled --root "\$0" "\$@"' "$TMP/crun-state" "\$@"
EOF
	chmod +x "$TMP/bin/crun"
	PM_RUNTIME=$TMP/bin/crun
	;;
esac

# pm ARGS...: podman with this test's storage and configuration. The tag in its environment
# marks conmon and podman's cleanup process too: `clean` waits for them.
pm() {
	env OCTRACE_INTEG_TAG="$TAG" CONTAINERS_CONF="$TMP/containers.conf" \
		CONTAINERS_STORAGE_CONF="$TMP/storage.conf" \
		timeout -k 5 "$RUN_TIMEOUT" podman --root "$TMP/storage" --runroot "$TMP/runroot" \
		--storage-driver vfs --runtime "$PM_RUNTIME" "$@"
}

# Containers of this test still in the runtime's state: runc's /run/runc is shared, so only
# those whose bundle is under $TMP count.
rt_left() {
	case $RT in
	runc) runc list -f json 2>/dev/null |
		jq -r --arg d "$TMP/" '.[]? | select(.bundle | startswith($d)) | .id' ;;
	crun) crun --root "$TMP/crun-state" list -q 2>/dev/null ;;
	esac
}

podman_cleanup() {
	local id
	pm rm --all --force --time 0 >/dev/null 2>&1
	helper kill --tag "$TAG" >/dev/null 2>&1
	for id in $(rt_left); do
		case $RT in
		runc) runc delete --force "$id" >/dev/null 2>&1 ;;
		crun) crun --root "$TMP/crun-state" delete --force "$id" >/dev/null 2>&1 ;;
		esac
	done
	cleanup
}
trap podman_cleanup EXIT
trap 'exit 143' TERM INT HUP # a timeout's SIGTERM still cleans up

# pm_clean: nothing of this test left (octrace daemon, container processes, conmon, podman's
# cleanup process), no container in podman's storage or in the runtime's state.
pm_clean() {
	local rc=0 left
	helper clean --tag "$TAG" --dir "$TMP" --timeout 30 || rc=1
	left=$(pm ps -a -q 2>&1)
	[ -z "$left" ] || { echo "# containers left in podman: $left"; rc=1; }
	left=$(rt_left)
	[ -z "$left" ] || { echo "# containers left in $RT's state: $left"; rc=1; }
	return $rc
}

# pm_import: the image $IMAGE, offline: the rootfs as a tarball imported into the private
# storage (a TAP line; the test ends when it fails). containers/image keeps a blob cache in
# /var/lib/containers/cache whatever the storage root: the import runs in a private mount
# namespace with a scratch /var/lib, so that nothing outside $TMP changes.
pm_import() {
	tar -C "$ROOTFS" -cf "$TMP/rootfs.tar" . || exit 99
	if unshare -m sh -c 'mount -t tmpfs octrace-test /var/lib && exec "$@"' sh \
		env OCTRACE_INTEG_TAG="$TAG" CONTAINERS_CONF="$TMP/containers.conf" \
		CONTAINERS_STORAGE_CONF="$TMP/storage.conf" podman --root "$TMP/storage" \
		--runroot "$TMP/runroot" --storage-driver vfs import --change 'CMD ["/bin/sh"]' \
		"$TMP/rootfs.tar" "$IMAGE" >"$TMP/import.out" 2>&1; then
		ok "podman import: image $IMAGE in the test's own storage"
	else
		not_ok "podman import: image $IMAGE in the test's own storage"
		show "$TMP/import.out"
		finish
	fi
}
