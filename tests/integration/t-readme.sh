#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The README, executed: its install and engine quick starts run as a new user would run them,
# word for word, and what it says happens is checked. The commands are not copied here: they
# are the README's fenced blocks marked for this test (readme-extract.awk),
#   <!-- readme-test: run NAME -->      a shell block, run as it is
#   <!-- readme-test: output NAME -->   what run NAME prints (each line, in this order)
#   <!-- readme-test: file PATH -->     what the installed file PATH holds (JSON: the same
#                                       document; else each line, in this order)
# so that when the README changes, this fails until its commands work again.
#
# Everything runs in a mount and pid namespace of its own (unshare -m -p): /usr and /etc are
# overlays whose writes land in the work dir, /run, /var/lib and /var/log are empty tmpfs. So
# `ninja install` to /usr, appending to /etc/containerd/config.toml, podman's and containerd's
# default storage and the hook's /var/log/octrace all happen as the README says, and nothing
# of it reaches the machine; every process left is this test's (helper.py clean --all).
# What the README's commands cannot do on these VMs is the test's environment, never a change
# to a command:
#   - podman: a containers.conf (CONTAINERS_CONF) with runc, cgroupfs, a file events log,
#     no network and ulimits the VM allows;
#   - no registry: docker.io/library/busybox is built here (a static busybox) and imported;
#     `ctr images pull` imports it (a shell function, ctr otherwise untouched);
#   - no systemd: `systemctl restart containerd` (a shell function) starts containerd with its
#     default configuration and waits for its READY=1 (sd_notify).
# The blocks run in a copy of the source tree, with an environment as bare as a login's.
# Then, beyond the README: the same build installed with another --prefix, --bindir,
# --sysconfdir and --datadir, whose files must name each other, and uninstalled (nothing
# left).
# Usage: t-readme.sh runc HOOK PROG none REAPER SOURCE-ROOT
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REAPER=$(realpath -e "${5:?reaper}")
SRC=$(realpath -e "${6:?source root}")
[ "$RT" = runc ] || { echo "Bail out! t-readme.sh: podman and containerd use runc here"; exit 99; }

if [ "${T_README_INNER:-}" != 1 ]; then
	require
	for p in podman containerd ctr containerd-shim-runc-v2 meson ninja jq unshare; do
		command -v $p >/dev/null ||
			skip_all "$p is not installed (apt-get install podman containerd meson ninja-build jq)"
	done
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
		skip_all "no overlay filesystem"
	TMP=$(mktemp -d /tmp/octrace-readme.XXXXXX) || exit 99
	# (the namespace's mounts, the machine's /usr and /etc among them, die with it; if one
	# were still in view here, nothing is removed)
	trap '[ -n "${INTEG_KEEP:-}" ] || findmnt -rn -o TARGET | grep -qF "$TMP/" ||
		rm -rf "$TMP"' EXIT
	trap 'exit 143' TERM INT HUP # a timeout's SIGTERM still cleans up
	# reaper: pid 1 of the namespace reaps its orphans (conmon, the daemons) at once; when it
	# exits (or unshare dies: --kill-child), the kernel kills whatever is left in the namespace.
	T_README_INNER=1 TMP=$TMP unshare -m -p -f --kill-child --mount-proc "$REAPER" \
		bash "$0" "$@"
	exit
fi

# ---- inside the namespaces ----
LOGDIR=/var/log/octrace
IMAGE=docker.io/library/busybox:latest
RD=$TMP/readme
W=$TMP/src
mkdir -p "$TMP/home" "$TMP/net" "$RD" || exit 99

# 0. The private machine.
# The machine's own /usr and /etc stay in view under $TMP/lower: the overlays' lower layers.
private_fs() {
	local d
	for d in usr etc; do
		mkdir -p "$TMP/lower/$d" "$TMP/ov/$d.up" "$TMP/ov/$d.work" &&
			mount --bind "/$d" "$TMP/lower/$d" &&
			mount -t overlay octrace-readme -o \
				"lowerdir=$TMP/lower/$d,upperdir=$TMP/ov/$d.up,workdir=$TMP/ov/$d.work" "/$d" ||
			return 1
	done
	for d in /run /var/lib /var/log; do
		mount -t tmpfs octrace-readme "$d" || return 1
	done
}
if ! private_fs >"$TMP/mounts.err" 2>&1; then
	not_ok "a private /usr, /etc (overlays), /run, /var/lib and /var/log"
	show "$TMP/mounts.err"
	finish
fi
ok "a private /usr, /etc (overlays), /run, /var/lib and /var/log"

# The source tree as a clone has it: no build dirs, no .git.
mkdir -p "$W" || exit 99
for e in "$SRC"/* "$SRC"/.[!.]*; do
	if [ -e "$e" ] && [ "$(basename "$e")" != .git ] && [ ! -d "$e/meson-private" ]; then
		cp -a "$e" "$W/" || { echo "Bail out! cannot copy $e"; exit 99; }
	fi
done

if awk -v dir="$RD" -f "$HERE/readme-extract.awk" "$W/README.md" >"$TMP/extract.err" 2>&1; then
	ok "README.md: the blocks marked readme-test: $(cd "$RD" && echo run.* output.* |
		sed 's/\./ /g') and $(wc -l <"$RD/files") files"
else
	not_ok "README.md: the blocks marked readme-test"
	show "$TMP/extract.err"
	finish
fi
for b in run.install output.podman-hooks run.podman-hooks run.podman-runtime \
	output.podman-runtime run.containerd output.containerd run.uninstall; do
	[ -s "$RD/$b" ] || { not_ok "README.md has a block marked readme-test: ${b/./ }"; finish; }
done

# The test's environment for the README's commands.
cat >"$TMP/containers.conf" <<EOF || exit 99
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_config_dir = "$TMP/net"
EOF
cat >"$TMP/machine.sh" <<EOF || exit 99
# This machine's stand-ins (t-readme.sh): no systemd, no registry.
systemctl() {
	[ "\$*" = "restart containerd" ] || { echo "t-readme: systemctl \$* is not here" >&2; return 1; }
	python3 "$HERE/readme-containerd.py" "$TMP/containerd.pid" "$TMP/containerd.log"
}
ctr() {
	if [ "\$1 \$2" = "images pull" ]; then
		[ "\$3" = "$IMAGE" ] || { echo "t-readme: no registry for \$3" >&2; return 1; }
		command ctr images import "$TMP/busybox.tar"
	else
		command ctr "\$@"
	fi
}
EOF
env_bare=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	HOME="$TMP/home" LANG=C.UTF-8 CONTAINERS_CONF="$TMP/containers.conf")

# readme NAME [TIMEOUT]: the README's block NAME, in the source copy; output (stdout and
# stderr) in $TMP/NAME.out; sets $status.
readme() {
	(cd "$W" && timeout -k 5 "${2:-120}" "${env_bare[@]}" \
		bash -e -c '. "$1"; . "$2"' readme "$TMP/machine.sh" "$RD/run.$1") \
		>"$TMP/$1.out" 2>&1 </dev/null
	status=$?
}

# says NAME: each line of the README's output block NAME is in what run NAME printed, in order.
says() {
	awk 'BEGIN { i = n = 0 } NR == FNR { want[n++] = $0; next } i < n && index($0, want[i]) { i++ }
		END { exit (i < n) }' "$RD/output.$1" "$TMP/$1.out"
}

# denied_logs NAME: the hook's logs NAME.log and NAME.jsonl in /var/log/octrace, as the README
# describes them: the summary's mkdir row, the init's status 1 on the last line, and the
# audit log's mkdir denial.
denied_logs() {
	local log=$LOGDIR/$1.log
	[ -f "$log" ] && [ -f "$LOGDIR/$1.jsonl" ] &&
		grep -Eq '^mkdir +1 +1 +SCMP_ACT_ERRNO\(13\)$' "$log" &&
		tail -n 1 "$log" | grep -Eq 'octrace: container [^ ]+: init exited, status 1$' &&
		[ "$(jq -c 'select(.event == "syscall" and (.syscall == "mkdir" or .syscall == "mkdirat"))
			| [.action, .errno]' "$LOGDIR/$1.jsonl")" = '["SCMP_ACT_ERRNO",13]' ]
}

# recipe NAME LOGNAME [PIDFILE]: run the README's block NAME (a container whose mkdir the
# example policy denies), then check its status 1, its output and its logs, and that nothing
# is left running (but the process PIDFILE names, once the block has run).
recipe() {
	local name=$1 what=$2 left keep=()
	readme "$name"
	[ -n "${3:-}" ] && [ -s "$3" ] && keep=(--except "$(cat "$3")")
	left=$(helper clean --all --timeout 30 "${keep[@]}")
	if [ "$status" = 1 ] && says "$name"; then
		ok "README $name: status 1, and it prints what the README says"
	else
		not_ok "README $name: status 1, and it prints what the README says (status $status)"
		show "$RD/run.$name" "$TMP/$name.out"
	fi
	if denied_logs "$what"; then
		ok "README $name: $LOGDIR/$what.log (summary, status) and $what.jsonl (the denial)"
	else
		not_ok "README $name: $LOGDIR/$what.log (summary, status) and $what.jsonl (the denial)"
		ls -l "$LOGDIR" 2>&1 | diag
		show "$LOGDIR/$what.log" "$LOGDIR/$what.jsonl"
	fi
	if [ -z "$left" ]; then
		ok "README $name: nothing left running"
	else
		not_ok "README $name: nothing left running"
		echo "$left"
	fi
}

# agree BINDIR CONFDIR HOOKSDIR DOCDIR: the files of one install name each other: the hook
# and policies of the hooks.d file and runtime.json are the installed ones, the snippets'
# octrace-runtime is, the programs' compiled-in paths are those of the files (octrace-runtime's
# configuration, the hook's log and policy dirs), one handler name throughout, no placeholder
# left. Prints what disagrees.
agree() {
	local bin=$1 conf=$2 hooks=$3/octrace.json doc=$4 f pdir ldir
	for f in "$bin/octrace" "$bin/octrace-hook" "$bin/octrace-runtime"; do
		[ -x "$f" ] || echo "no $f"
	done
	for f in "$hooks" "$conf/runtime.json"; do
		[ "$(jq -r .hook.path "$f")" = "$bin/octrace-hook" ] || echo "$f: hook.path is not $bin/octrace-hook"
		pdir=$(jq -r '.hook.args as $a | $a | index("--policy-dir") as $i | $a[$i + 1]' "$f")
		ldir=$(jq -r '.hook.args as $a | $a | index("--log-dir") as $i | $a[$i + 1]' "$f")
		[ "$pdir" = "$conf/policies" ] && [ -f "$pdir/example.json" ] ||
			echo "$f: --policy-dir $pdir, not $conf/policies (with example.json)"
		"$bin/octrace-hook" --help | grep -qF "DIR/ID.log (default $ldir)" ||
			echo "$f: --log-dir $ldir is not octrace-hook's default"
	done
	"$bin/octrace-hook" --help | grep -qF "(installed: $conf/policies)" ||
		echo "octrace-hook --help does not name $conf/policies"
	"$bin/octrace-runtime" --octrace-help | grep -qF "or $conf/runtime.json (missing" ||
		echo "octrace-runtime does not read $conf/runtime.json"
	grep -qxF "    BinaryName = \"$bin/octrace-runtime\"" "$doc/containerd/config.toml" ||
		echo "containerd/config.toml: BinaryName is not $bin/octrace-runtime"
	grep -qxF "runtime_path = \"$bin/octrace-runtime\"" "$doc/crio/octrace.conf" ||
		echo "crio/octrace.conf: runtime_path is not $bin/octrace-runtime"
	grep -qxF 'handler: octrace' "$doc/kubernetes/runtimeclass.yaml" &&
		grep -qxF 'runtimeClassName: octrace' <(sed 's/^ *//' "$doc/kubernetes/pod-example.yaml") &&
		grep -qF 'containerd.runtimes.octrace]' "$doc/containerd/config.toml" &&
		grep -qxF '[crio.runtime.runtimes.octrace]' "$doc/crio/octrace.conf" ||
		echo "the handler is not \"octrace\" in every snippet and the RuntimeClass"
	grep -l '@[A-Z_]*@' "$hooks" "$conf/runtime.json" "$doc"/*/* 2>/dev/null |
		sed 's/$/: a placeholder left/'
}

# 1. Install, as the README says.
readme install 600
if [ "$status" = 0 ]; then
	ok "README install: $(head -1 "$RD/run.install")"
else
	not_ok "README install (status $status)"
	tail -n 30 "$TMP/install.out" | diag
	finish
fi
version=$(meson introspect --projectinfo "$W/build-usr" | jq -r .version)
good=true
for p in octrace octrace-hook octrace-runtime; do
	out=$(/usr/bin/$p --version 2>&1)
	if [ "$(sed -n 1p <<<"$out")" != "$p $version" ] ||
		! sed -n 2p <<<"$out" | grep -Eqx 'libseccomp [0-9]+\.[0-9]+\.[0-9]+'; then
		good=false
		echo "# /usr/bin/$p --version:"
		diag <<<"$out"
	fi
done
# octrace-runtime's own two lines, then runc's
/usr/bin/octrace-runtime --version | sed -n 3p | grep -q '^runc version ' || good=false
check "/usr/bin/{octrace,octrace-hook,octrace-runtime} --version: $version, libseccomp's, then (octrace-runtime) runc's" $good

left=$(agree /usr/bin /etc/octrace /usr/share/containers/oci/hooks.d /usr/share/doc/octrace 2>&1)
if [ -z "$left" ]; then
	ok "installed in /usr and /etc: the files name each other and the programs' defaults"
else
	not_ok "installed in /usr and /etc: the files name each other and the programs' defaults"
	diag <<<"$left"
fi

# the installed files the README shows
while read -r n path; do
	f=$RD/file.$n
	if [[ $path == *.json ]]; then
		same=$([ -f "$path" ] && [ "$(jq -cS . "$path")" = "$(jq -cS . "$f")" ] && echo true)
	else
		same=$(awk 'BEGIN { i = n = 0 } NR == FNR { if (NF) want[n++] = $0; next }
			i < n && $0 == want[i] { i++ } END { exit (i < n) }' "$f" "$path" && echo true)
	fi
	if [ "$same" = true ]; then
		ok "installed $path: as the README shows it"
	else
		not_ok "installed $path: as the README shows it"
		diff "$f" "$path" 2>&1 | diag
	fi
done <"$RD/files"

# The image the README's commands name, built here: podman's, and saved for ctr's "pull".
rootfs=$TMP/rootfs
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/etc" &&
	cp /bin/busybox "$rootfs/bin/" || exit 99
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"
done
tar -C "$rootfs" -cf "$TMP/rootfs.tar" . || exit 99
if "${env_bare[@]}" podman import --change 'CMD ["sh"]' \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	"$TMP/rootfs.tar" "$IMAGE" >"$TMP/image.out" 2>&1 &&
	"${env_bare[@]}" podman save --format docker-archive -o "$TMP/busybox.tar" "$IMAGE" \
		>>"$TMP/image.out" 2>&1; then
	ok "$IMAGE: a static busybox, in podman's storage and saved for ctr"
else
	not_ok "$IMAGE: a static busybox, in podman's storage and saved for ctr"
	show "$TMP/image.out"
	finish
fi

# 2. podman through the installed hooks.d file.
recipe podman-hooks @demo

# 3. podman with octrace-runtime as its runtime.
recipe podman-runtime @demo-rt

# 4. containerd: the snippet appended to Debian's config.toml, containerd (re)started, ctr run
# through octrace-runtime.
recipe containerd demo-ctr "$TMP/containerd.pid"
ctd_pid=$(cat "$TMP/containerd.pid" 2>/dev/null)
if [ -n "$ctd_pid" ] && ctr plugins ls 2>&1 | grep -Eq '^io\.containerd\.grpc\.v1 +cri .* ok *$'; then
	ok "containerd's CRI plugin loads /etc/containerd/config.toml with the octrace runtime"
else
	not_ok "containerd's CRI plugin loads /etc/containerd/config.toml with the octrace runtime"
	ctr plugins ls 2>&1 | grep cri | diag
	grep -i 'level=\(error\|warning\).*cri' "$TMP/containerd.log" | head -5 | diag
fi
left=
if [ -n "$ctd_pid" ] && kill -TERM "$ctd_pid" && helper waitpid "$ctd_pid" --timeout 20 &&
	left=$(helper clean --all --timeout 30) && [ -z "$left" ]; then
	ok "containerd stopped: nothing left running"
else
	not_ok "containerd stopped: nothing left running (containerd pid '$ctd_pid')"
	[ -z "$left" ] || echo "$left"
fi

# 5. Uninstall, as the README says: nothing of the install left in /usr or /etc. What the
# overlays hold then: directories copied up from below, and the README's own change to
# /etc/containerd/config.toml.
readme uninstall
left=$(cd "$TMP/ov" && find usr.up etc.up -mindepth 1 | while read -r e; do
	lower=$TMP/lower/${e%%.up/*}/${e#*.up/}
	[ "$e" = etc.up/containerd/config.toml ] && continue
	[ -d "$e" ] && [ ! -L "$e" ] && [ -d "$lower" ] && continue
	echo "$e"
done)
if [ "$status" = 0 ] && [ -z "$left" ]; then
	ok "README uninstall: nothing of the install left in /usr or /etc"
else
	not_ok "README uninstall: nothing of the install left in /usr or /etc (status $status)"
	diag <<<"$left"
	show "$TMP/uninstall.out"
fi

# 6. Another layout, beyond the README: the same build with another --prefix, --bindir,
# --datadir and a --sysconfdir outside the prefix. Its files name each other and nothing of
# /usr or /etc/octrace; octrace-runtime reads its own runtime.json; uninstalled, nothing is
# left of it.
P=$TMP/layout
if (cd "$W" && "${env_bare[@]}" meson configure build-usr -Dprefix="$P" -Dbindir=sbin \
	-Ddatadir=data -Dsysconfdir="$P-etc" && "${env_bare[@]}" meson install -C build-usr) \
	>"$TMP/layout.out" 2>&1; then
	ok "meson install --prefix $P --bindir sbin --datadir data --sysconfdir $P-etc"
else
	not_ok "meson install --prefix $P --bindir sbin --datadir data --sysconfdir $P-etc"
	tail -n 30 "$TMP/layout.out" | diag
	finish
fi
left=$(agree "$P/sbin" "$P-etc/octrace" "$P/data/containers/oci/hooks.d" "$P/data/doc/octrace" 2>&1
	grep -rlaE '/usr/local/(etc|share|bin/octrace)|/usr/bin/octrace|/usr/share/(doc/octrace|containers)|/etc/octrace' \
		--exclude=octrace-node.yaml --exclude=octrace-node-install --exclude=Containerfile \
		"$P" "$P-etc" | sed 's/$/: names another install/')
# (the Kubernetes node installer and its DaemonSet name the node's own layout, /usr/local/bin
# and /etc/octrace, whatever this build's prefix: they install the image's static binaries)
if [ -z "$left" ]; then
	ok "that install's files name each other and its programs' defaults, nothing of /usr or /etc"
else
	not_ok "that install's files name each other and its programs' defaults, nothing of /usr or /etc"
	diag <<<"$left"
fi
# octrace-runtime reads that runtime.json: one naming a runtime that does not exist fails
cp "$P-etc/octrace/runtime.json" "$TMP/runtime.json.orig" &&
	jq '.runtime = "/nonexistent/octrace-readme-rt"' "$TMP/runtime.json.orig" \
		>"$P-etc/octrace/runtime.json" || exit 99
out=$("${env_bare[@]}" "$P/sbin/octrace-runtime" state x 2>&1)
rc=$?
cp "$TMP/runtime.json.orig" "$P-etc/octrace/runtime.json" || exit 99
if [ "$rc" = 1 ] && grep -qF /nonexistent/octrace-readme-rt <<<"$out"; then
	ok "that octrace-runtime reads $P-etc/octrace/runtime.json"
else
	not_ok "that octrace-runtime reads $P-etc/octrace/runtime.json (status $rc)"
	diag <<<"$out"
fi
(cd "$W" && "${env_bare[@]}" ninja -C build-usr uninstall) >"$TMP/layout-un.out" 2>&1
status=$?
left=$(find "$P" "$P-etc" 2>/dev/null)
if [ "$status" = 0 ] && [ -z "$left" ]; then
	ok "ninja uninstall of that layout: $P and $P-etc are gone"
else
	not_ok "ninja uninstall of that layout: $P and $P-etc are gone (status $status)"
	diag <<<"$left"
	show "$TMP/layout-un.out"
fi

left=$(helper clean --all --timeout 30)
check "nothing left running in the test's namespace" [ -z "$left" ]
[ -z "$left" ] || echo "$left"
finish
