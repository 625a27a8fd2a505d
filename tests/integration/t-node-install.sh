#!/bin/bash
# deploy/kubernetes/octrace-node-install on its own, against scratch node roots (no engine
# runs; the restart command records its calls). For each engine configuration:
#   install: the octrace handler is there (TOML parsed: the same table as the deploy snippet,
#   deploy/containerd/config.toml or deploy/crio/octrace.conf, the default runtime's options
#   copied), everything else in the file unchanged, the engine restarted once, the binaries,
#   runtime.json and policies in place; install again: no file of the node is written, no
#   restart; uninstall: the configuration byte-identical to before, the installed files gone,
#   one restart.
# Configurations: containerd's own default (`containerd config default`, version 2), one with
# SystemdCgroup = true and no final newline, a containerd 2.x one (version 3), none at all (the
# install creates it, the uninstall removes it), one that already has an octrace runtime (the
# install refuses, one line naming the file, nothing touched); CRI-O with and without
# crio.conf.d; both engines on one node. The whole cycle once more under busybox's sh and
# applets alone (the DaemonSet image's tools).
# Usage: t-node-install.sh INSTALLER. Needs no root.
set -u
INSTALLER=$(realpath -e "${1:?octrace-node-install}")
DEPLOY=$(dirname "$(dirname "$INSTALLER")")
PY=/usr/bin/python3 # tomllib: Python >= 3.11, Debian 12's

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed -e 's/^/# /'; }
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
if ! "$PY" -c 'import tomllib' 2>/dev/null; then
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - $PY has no tomllib (CI=true: a missing prerequisite is a failure)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $PY has no tomllib (Python >= 3.11)"
	exit 77
fi

TMP=$(mktemp -d /tmp/octrace-node-install.XXXXXX) || exit 99
trap 'rm -rf "$TMP"' EXIT
FROM=$TMP/from
mkdir -p "$FROM/bin" "$FROM/policies" || exit 99
printf '#!/bin/sh\necho hook\n' >"$FROM/bin/octrace-hook"
printf '#!/bin/sh\necho runtime\n' >"$FROM/bin/octrace-runtime"
cp "${OCTRACE_DEPLOY_DIR:-$DEPLOY}/runtime.json" "$FROM/" && cp "$DEPLOY/policies/example.json" "$FROM/policies/" &&
	echo '{"defaultAction": "SCMP_ACT_ALLOW"}' >"$FROM/policies/other.json" || exit 99
SH=(sh)

# run ROOT ACTION [OPTIONS...]: the installer on ROOT; its output in $TMP/out, restarts in
# ROOT.restarts (one engine a line); sets $status.
run() {
	local root=$1 action=$2
	shift 2
	"${SH[@]}" "$INSTALLER" "$action" --root "$root" --from "$FROM" \
		--restart "echo \"\$1\" >>'$root.restarts'" "$@" >"$TMP/out" 2>&1
	status=$?
}

# snapshot ROOT [mtime]: every file and directory under ROOT with its mode and content's
# digest (and each file's modification time: nothing was even rewritten).
snapshot() {
	local fmt='%p %y %m\n'
	[ "${2:-}" = mtime ] && fmt='%p %y %m %T@\n'
	(cd "$1" && find . -printf "$fmt" | sort | while read -r p t m rest; do
		if [ "$t" = f ]; then echo "$p $m $(sha256sum <"$p" | cut -d' ' -f1) $rest"; else echo "$p $t $m"; fi
	done)
}

# toml_check FILE TABLE SNIPPET SNIPPET_TABLE [DEFAULT_OPTIONS]: FILE parses, and its TABLE
# (dotted, quoted parts allowed) equals SNIPPET's SNIPPET_TABLE, plus in its options those of
# the default runtime (DEFAULT_OPTIONS in the file before the install, $ORIG) but BinaryName.
# With $ORIG: FILE without TABLE's last part equals ORIG.
toml_check() {
	"$PY" - "$@" <<'PY'
import json, os, re, sys, tomllib

def parts(dotted):
    return [p.strip('"') for p in re.findall(r'"[^"]*"|[^.]+', dotted)]

def table(doc, dotted):
    for p in parts(dotted):
        doc = doc[p]
    return doc

path, name, snippet, snippet_name, *default = sys.argv[1:]
orig = tomllib.load(open(os.environ["ORIG"], "rb")) if os.environ.get("ORIG") else None
doc = tomllib.load(open(path, "rb"))
got = table(doc, name)
want = table(tomllib.load(open(snippet, "rb")), snippet_name)
if default and orig:
    copied = dict(table(orig, default[0]))
    copied.pop("BinaryName", None)
    want["options"].update(copied)
if got != want:
    print("got  %s\nwant %s" % (json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)))
    sys.exit(1)
if orig is not None:
    *up, last = parts(name)
    del table(doc, ".".join('"%s"' % p for p in up))[last]
    if doc != orig:
        print("the rest of the file changed")
        sys.exit(1)
PY
}

CTD_V2='plugins."io.containerd.grpc.v1.cri".containerd.runtimes.octrace'
CTD_V3='plugins."io.containerd.cri.v1.runtime".containerd.runtimes.octrace'
RUNC_V2='plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options'
CTD_SNIPPET=${OCTRACE_DEPLOY_DIR:-$DEPLOY}/containerd/config.toml
CRIO_SNIPPET=${OCTRACE_DEPLOY_DIR:-$DEPLOY}/crio/octrace.conf
CRIO_TABLE=crio.runtime.runtimes.octrace

# The installed files on ROOT (default bindir and confdir).
files_in_place() {
	local root=$1
	cmp -s "$FROM/bin/octrace-hook" "$root/usr/local/bin/octrace-hook" &&
		cmp -s "$FROM/bin/octrace-runtime" "$root/usr/local/bin/octrace-runtime" &&
		[ -x "$root/usr/local/bin/octrace-runtime" ] &&
		cmp -s "$FROM/runtime.json" "$root/etc/octrace/runtime.json" &&
		cmp -s "$FROM/policies/other.json" "$root/etc/octrace/policies/other.json" &&
		cmp -s "$FROM/policies/example.json" "$root/etc/octrace/policies/example.json"
}

# cycle NAME ROOT CONFIG ENGINES TOMLCHECK...: install, install, uninstall on ROOT (a scratch
# node made by the caller); CONFIG is the engine file whose bytes the uninstall restores
# (absent before: absent after); ENGINES the restarts expected, space-separated; TOMLCHECK the
# arguments of toml_check after the file.
cycle() {
	local name=$1 root=$2 config=$3 engines=$4 before after
	shift 4
	before=$(snapshot "$root")
	[ -e "$config" ] && cp -p "$config" "$TMP/orig"
	run "$root" install
	if [ "$status" = 0 ] && [ "$(sort "$root.restarts" 2>/dev/null | xargs)" = "$engines" ] &&
		files_in_place "$root" &&
		ORIG=$([ -e "$TMP/orig" ] && echo "$TMP/orig") toml_check "$config" "$@" >"$TMP/toml" 2>&1; then
		ok "$name: install: the handler as the deploy snippet has it, the rest unchanged, files in place, restarted: $engines"
	else
		not_ok "$name: install: the handler as the deploy snippet has it, the rest unchanged, files in place, restarted: $engines (status $status)"
		diag <"$TMP/out"
		diag <"$TMP/toml"
		[ -e "$config" ] && tail -20 "$config" | diag
	fi
	after=$(snapshot "$root" mtime)
	rm -f "$root.restarts"
	run "$root" install
	if [ "$status" = 0 ] && [ ! -e "$root.restarts" ] && [ "$(snapshot "$root" mtime)" = "$after" ]; then
		ok "$name: installed twice = installed once (no file written, no restart)"
	else
		not_ok "$name: installed twice = installed once (no file written, no restart) (status $status)"
		diag <"$TMP/out"
		diff <(echo "$after") <(snapshot "$root" mtime) | diag
	fi
	run "$root" uninstall
	if [ "$status" = 0 ] && [ "$(sort "$root.restarts" 2>/dev/null | xargs)" = "$engines" ] &&
		if [ -e "$TMP/orig" ]; then cmp "$TMP/orig" "$config"; else [ ! -e "$config" ]; fi &&
		[ "$(snapshot "$root")" = "$before" ]; then
		ok "$name: uninstall: the configuration byte-identical to before, the node as it was, restarted: $engines"
	else
		not_ok "$name: uninstall: the configuration byte-identical to before, the node as it was, restarted: $engines (status $status)"
		diag <"$TMP/out"
		diff <(echo "$before") <(snapshot "$root") | diag
	fi
	rm -f "$TMP/orig" "$root.restarts"
}

# node NAME: a scratch node root with /usr/local/bin (as every node has).
node() {
	rm -rf "${TMP:?}/$1" "$TMP/$1.restarts"
	mkdir -p "$TMP/$1/usr/local/bin" && echo "$TMP/$1"
}

containerd_cases() {
	local r
	# containerd's own default configuration (version 2): runc's options copied as they are.
	r=$(node default)
	mkdir -p "$r/etc/containerd"
	if command -v containerd >/dev/null; then
		containerd config default >"$r/etc/containerd/config.toml"
	else
		echo "# containerd is not installed: a short version 2 config instead"
		printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = false\n' \
			>"$r/etc/containerd/config.toml"
	fi
	cycle "containerd default config (v2)" "$r" "$r/etc/containerd/config.toml" containerd \
		"$CTD_V2" "$CTD_SNIPPET" "$CTD_V2" "$RUNC_V2"
	if command -v containerd >/dev/null; then
		run "$r" install
		if containerd --config "$r/etc/containerd/config.toml" config dump >"$TMP/dump" 2>&1 &&
			grep -qxF '            BinaryName = "/usr/local/bin/octrace-runtime"' "$TMP/dump"; then
			ok "containerd config dump reads the installed config: the octrace runtime's BinaryName"
		else
			not_ok "containerd config dump reads the installed config: the octrace runtime's BinaryName"
			head -20 "$TMP/dump" | diag
		fi
		run "$r" uninstall
	fi

	# SystemdCgroup = true (a systemd node), no final newline, 0600.
	r=$(node systemd)
	mkdir -p "$r/etc/containerd"
	printf '%s\n' 'version = 2' '' '[plugins."io.containerd.grpc.v1.cri".containerd]' \
		'  default_runtime_name = "runc"' \
		'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]' \
		'  runtime_type = "io.containerd.runc.v2"' \
		'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]' |
		{ cat; printf '  SystemdCgroup = true'; } >"$r/etc/containerd/config.toml"
	chmod 600 "$r/etc/containerd/config.toml"
	cycle "containerd, SystemdCgroup = true, no final newline, mode 0600" "$r" \
		"$r/etc/containerd/config.toml" containerd \
		"$CTD_V2" "$CTD_SNIPPET" "$CTD_V2" "$RUNC_V2"

	# containerd 2.x (version 3), the default runtime named crun.
	r=$(node v3)
	mkdir -p "$r/etc/containerd"
	printf '%s\n' 'version = 3' '[plugins."io.containerd.cri.v1.runtime".containerd]' \
		'  default_runtime_name = "crun"' \
		'  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.crun]' \
		'    runtime_type = "io.containerd.runc.v2"' \
		'    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.crun.options]' \
		'      BinaryName = "/usr/bin/crun"' '      SystemdCgroup = true' \
		>"$r/etc/containerd/config.toml"
	cycle "containerd 2.x config (v3), default runtime crun" "$r" \
		"$r/etc/containerd/config.toml" containerd \
		"$CTD_V3" "$CTD_SNIPPET" "$CTD_V2" \
		'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.crun.options'

	# No config.toml at all: created (version 2), removed by the uninstall.
	r=$(node none)
	mkdir -p "$r/etc/containerd"
	cycle "containerd without config.toml" "$r" "$r/etc/containerd/config.toml" containerd \
		"$CTD_V2" "$CTD_SNIPPET" "$CTD_V2"
}

refusal_case() {
	local r sum
	r=$(node theirs)
	mkdir -p "$r/etc/containerd"
	printf '%s\n' 'version = 2' \
		'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.octrace]' \
		'  runtime_type = "io.containerd.runc.v2"' >"$r/etc/containerd/config.toml"
	sum=$(snapshot "$r")
	run "$r" install
	if [ "$status" != 0 ] && [ "$(wc -l <"$TMP/out")" = 1 ] &&
		grep -qF "$r/etc/containerd/config.toml: already has an octrace runtime" "$TMP/out" &&
		[ ! -e "$r.restarts" ] && [ "$(snapshot "$r")" = "$sum" ]; then
		ok "a config with an octrace runtime of its own: refused, one line naming the file, nothing touched"
	else
		not_ok "a config with an octrace runtime of its own: refused, one line naming the file, nothing touched (status $status)"
		diag <"$TMP/out"
	fi
}

crio_cases() {
	local r
	r=$(node crio)
	mkdir -p "$r/etc/crio/crio.conf.d"
	printf '[crio.runtime]\ndefault_runtime = "runc"\n' >"$r/etc/crio/crio.conf.d/10-crio.conf"
	cycle "CRI-O with crio.conf.d" "$r" "$r/etc/crio/crio.conf.d/99-octrace.conf" crio \
		"$CRIO_TABLE" "$CRIO_SNIPPET" "$CRIO_TABLE"

	r=$(node crio-nodir)
	mkdir -p "$r/etc/crio"
	cycle "CRI-O without crio.conf.d (made, then removed)" "$r" \
		"$r/etc/crio/crio.conf.d/99-octrace.conf" crio \
		"$CRIO_TABLE" "$CRIO_SNIPPET" "$CRIO_TABLE"

	r=$(node both)
	mkdir -p "$r/etc/crio/crio.conf.d" "$r/etc/containerd"
	cycle "containerd and CRI-O on one node (--engine auto)" "$r" \
		"$r/etc/crio/crio.conf.d/99-octrace.conf" "containerd crio" \
		"$CRIO_TABLE" "$CRIO_SNIPPET" "$CRIO_TABLE"
}

containerd_cases
refusal_case
crio_cases

# A policy taken out of --from between two installs is taken off the node.
r=$(node manifest)
mkdir -p "$r/etc/crio"
run "$r" install
mv "$FROM/policies/other.json" "$TMP/other.json"
run "$r" install
if [ "$status" = 0 ] && [ ! -e "$r/etc/octrace/policies/other.json" ] &&
	[ -e "$r/etc/octrace/policies/example.json" ]; then
	ok "a policy no longer in --from is removed by the next install"
else
	not_ok "a policy no longer in --from is removed by the next install (status $status)"
	diag <"$TMP/out"
fi
mv "$TMP/other.json" "$FROM/policies/other.json"

# The same cycle with busybox's sh and applets alone on PATH (the DaemonSet image's).
if [ -x /bin/busybox ]; then
	mkdir -p "$TMP/bb" && /bin/busybox --install -s "$TMP/bb"
	SH=(env PATH="$TMP/bb" /bin/busybox sh)
	r=$(node busybox)
	mkdir -p "$r/etc/containerd"
	# a node's config with runc's runtime and its options (as the snippet's octrace one)
	sed -n '/runtimes\.octrace\]/,$p' "$CTD_SNIPPET" | sed 's/runtimes\.octrace/runtimes.runc/' |
		{ echo 'version = 2'; cat; } >"$r/etc/containerd/config.toml"
	cycle "busybox sh and applets only" "$r" "$r/etc/containerd/config.toml" containerd \
		"$CTD_V2" "$CTD_SNIPPET" "$CTD_V2" "$RUNC_V2"
	SH=(sh)
elif [ "${CI:-}" = true ]; then
	not_ok "no /bin/busybox (busybox-static) to run the installer with"
fi

echo "1..$n"
[ "$failed" = 0 ]
