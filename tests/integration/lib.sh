# Shared by the integration tests (sourced). A test is `bash t-NAME.sh RUNTIME HOOK PROG GO`:
# RUNTIME is runc or crun, HOOK octrace-hook, PROG the static integ-prog, GO the static
# gohammer (or "none" when Go was not found at configure time). It speaks TAP.
#
# Every test works in its own mktemp dir: one rootfs (static busybox and the test programs),
# bundles that point at it, the runtime's state (--root) and octrace's logs. The tag
# OCTRACE_INTEG_TAG=<that dir's name> goes into the environment of the container's process and
# of the hook, so the octrace daemon (a fork of the hook) and every process of the container
# carry it (and whatever holds a file of the work dir open, such as the daemon's log, counts as
# this test's too): after each check, `helper.py clean` waits for them to exit (pidfds) and
# fails if any is left, or if any task is in ptrace stop because of them. Nothing sleeps to
# synchronise: the programs report on stdout, fifos and pidfds do the waiting.
set -u

RT=${1:?runtime}
HOOK=$(realpath -e "${2:?octrace-hook}")
PROG=$(realpath -e "${3:?integ-prog}")
GOPROG=${4:-none}
[ "$GOPROG" = none ] || GOPROG=$(realpath -e "$GOPROG")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POLICIES=$HERE/policies
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
RUN_TIMEOUT=${INTEG_RUN_TIMEOUT:-120}

n_tests=0
n_failed=0
diag() { sed -e 's/^/# /'; }
ok() { n_tests=$((n_tests + 1)); echo "ok $n_tests - $*"; }
not_ok() { n_tests=$((n_tests + 1)); n_failed=$((n_failed + 1)); echo "not ok $n_tests - $*"; }
# check DESCRIPTION COMMAND...: one TAP line for a command's success.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
finish() {
	echo "1..$n_tests"
	[ "$n_failed" -eq 0 ]
	exit
}

# Skipping is for developers' machines only: in CI (CI=true) nothing may skip.
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - $* (CI=true: a missing prerequisite is a failure)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 77
}

require() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	command -v "$RT" >/dev/null || skip_all "$RT is not installed (apt-get install $RT)"
	command -v unshare >/dev/null || skip_all "unshare is not installed"
	[ -n "$PY" ] || skip_all "python3 is not installed"
	[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' ||
		skip_all "no static /bin/busybox (apt-get install busybox-static)"
	[ -x "$HOOK" ] && [ -x "$PROG" ] || skip_all "octrace-hook or integ-prog not built"
}

helper() { "$PY" -S "$HERE/helper.py" "$@"; }

# The runtime, with this test's private state dir (set_runtime). crun refuses this machine's
# hybrid cgroup layout: create and run go through rt_cg, a private mount namespace with a pure
# cgroup2 mount and no cgroup manager (shared/OCI-NOTES.md); the other commands only touch its
# state dir.
set_runtime() {
	case $RT in
	runc)
		RT_CMD=(runc --root "$TMP/state")
		RT_CG_CMD=("${RT_CMD[@]}")
		;;
	crun)
		RT_CMD=(crun --root "$TMP/state" --cgroup-manager=disabled)
		RT_CG_CMD=(unshare -m sh -c 'umount -l /sys/fs/cgroup &&
			mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "${RT_CMD[@]}")
		;;
	*)
		echo "Bail out! unknown runtime $RT"
		exit 99
		;;
	esac
}
rt() { "${RT_CMD[@]}" "$@"; }
rt_cg() { timeout -k 5 "$RUN_TIMEOUT" "${RT_CG_CMD[@]}" "$@"; }

cleanup() {
	local id
	helper kill --tag "$TAG" >/dev/null 2>&1
	for id in $(rt list -q 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1
	done
	[ -n "${INTEG_KEEP:-}" ] || rm -rf "$TMP"
}

setup() {
	require
	TMP=$(mktemp -d /tmp/octrace-integ.XXXXXX) || exit 99
	TAG=$(basename "$TMP")
	set_runtime
	trap cleanup EXIT
	LOGS=$TMP/logs
	ROOTFS=$TMP/rootfs
	mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/sys" "$TMP/base" ||
		exit 99
	cp /bin/busybox "$PROG" "$ROOTFS/bin/" || exit 99
	[ "$GOPROG" = none ] || cp "$GOPROG" "$ROOTFS/bin/" || exit 99
	local a
	for a in sh mkdir touch echo cat true rmdir; do
		ln -s busybox "$ROOTFS/bin/$a"
	done
	(cd "$TMP/base" && "$RT" spec) || { echo "# $RT spec failed"; exit 99; }
	echo "# $RT: $("$RT" --version | head -1), work dir $TMP"
}

# bundle NAME [helper config options...] -- ARGS...: a bundle in $TMP/NAME with octrace-hook as
# its prestart hook (--log-dir $LOGS unless --no-hook or a --hook-arg=--log-dir is given).
# The run's output goes to $TMP/NAME/{out,err}.
bundle() {
	local name=$1 hook=(--hook "$HOOK")
	shift
	local opts=() have_log=false
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		--no-hook) hook=() ;;
		--hook) hook=(--hook "$2"); shift ;;
		--hook-arg=--log-dir=*) have_log=true; opts+=("$1") ;;
		*) opts+=("$1") ;;
		esac
		shift
	done
	shift
	[ ${#hook[@]} -gt 0 ] && ! $have_log && opts+=("--hook-arg=--log-dir=$LOGS")
	# crun sends a hook's stderr nowhere unless asked (its run.oci.hooks.stderr annotation).
	[ "$RT" = crun ] && opts+=(--annotation "run.oci.hooks.stderr=$TMP/$name/hook.err")
	mkdir -p "$TMP/$name"
	: >"$TMP/$name/hook.err"
	helper config --base "$TMP/base/config.json" --out "$TMP/$name/config.json" \
		--rootfs "$ROOTFS" --tag "$TAG" "${hook[@]}" "${opts[@]}" -- "$@"
}

# run ID NAME: `RT run` of bundle NAME in the foreground; sets $status; output in NAME/out,err.
run() {
	local id=$1 dir=$TMP/$2
	rt_cg run --bundle "$dir" "$id" >"$dir/out" 2>"$dir/err" </dev/null
	status=$?
}

# The hook's error as the runtime reported it: runc quotes the hook's stderr in its own error
# message (unquoted here: \\, \" and \n), crun writes it to the bundle's hook.err as it is
# (see bundle).
hook_error() { # NAME
	sed -e 's/\\\\/\x01/g' -e 's/\\"/"/g' -e 's/\\n/\n/g' -e 's/\x01/\\/g' \
		"$TMP/$1/err" 2>/dev/null
	cat "$TMP/$1/hook.err" 2>/dev/null
}

# hook_error_has NAME TEXT: the hook's error, as the runtime reported it, has the line
# "octrace-hook: TEXT" (fixed text; prints the output when not).
hook_error_has() {
	hook_error "$1" | grep -qF "octrace-hook: $2" && return 0
	echo "# the runtime's output lacks \"octrace-hook: $2\""
	show "$TMP/$1/err" "$TMP/$1/hook.err"
	return 1
}

# Wait until the daemon and the container's processes are gone (the daemon writes its last
# log line after the runtime has seen the init exit).
settle() { helper wait-gone --tag "$TAG" --timeout 30; }

# log_status ID: the status in the log's final line (after settle).
log_status() {
	tail -n 1 "$LOGS/$1.log" 2>/dev/null |
		sed -n "s/.*octrace: container $1: init exited, status \([0-9]*\)\$/\1/p"
}

# summary_has ID SYSCALL ACTION: the log's summary table has a row for SYSCALL with ACTION.
summary_has() {
	grep -Eq "^$2 +[0-9]+ +[0-9]+ +$(printf '%s' "$3" | sed 's/[()]/\\&/g')\$" "$LOGS/$1.log"
}

# clean: nothing of this test left (daemon, container processes, tasks in ptrace stop,
# containers in the runtime's state). Prints what is left as comments.
clean() {
	local left rc=0
	helper clean --tag "$TAG" --dir "$TMP" --timeout 30 || rc=1
	left=$(rt list -q 2>&1)
	if [ -n "$left" ]; then
		echo "# containers left in $RT's state: $left"
		rc=1
	fi
	return $rc
}

# show FILE...: a failed check's evidence, as TAP comments.
show() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || { echo "# ($f: missing)"; continue; }
		echo "# --- $f"
		head -c 4000 "$f" | diag
	done
}

# create_start ID NAME: `RT create` then `RT start` of bundle NAME (output in NAME/out,err);
# sets $init_pid. Returns non-zero (with comments) if either fails.
create_start() {
	local id=$1 dir=$TMP/$2
	init_pid=
	if ! rt_cg create --bundle "$dir" "$id" >"$dir/out" 2>"$dir/err" </dev/null; then
		echo "# $RT create $id failed"
		show "$dir/err" "$dir/hook.err"
		return 1
	fi
	init_pid=$(rt state "$id" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
	if ! rt start "$id" 2>>"$dir/err"; then
		echo "# $RT start $id failed"
		show "$dir/err"
		return 1
	fi
}

# remove_container ID [DAEMON]: kill and delete container ID (its init $init_pid), then wait
# for the daemon's janitor DAEMON, if given, to be gone (its last log lines written).
remove_container() {
	rt kill "$1" KILL 2>/dev/null
	helper waitpid "${init_pid:-0}" --timeout 30
	rt delete -f "$1" 2>/dev/null
	[ -z "${2:-}" ] || helper waitpid "$2" --timeout 30
}

# sanitizer_free LOG...: a check that no daemon log has an ASan/LSan/UBSan report.
sanitizer_free() {
	if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$@" 2>/dev/null | grep -q .; then
		show "$@"
		not_ok "the daemons' logs have a sanitizer report"
	else
		ok "the daemons' logs have no sanitizer report"
	fi
}

# ask_line FD ID N: a line into the container's fifo FD (integ-prog lines / reload answer
# each line read), then the Nth answer: the Nth line of ID's stdout (a file: polled while
# the init $init_pid lives).
ask_line() {
	echo go >&"$1"
	local i
	for i in $(seq 1 1000); do
		[ "$(wc -l <"$TMP/$2/out")" -ge "$3" ] && break
		[ -d "/proc/$init_pid" ] || break
		sleep 0.02 # the container's stdout is a file: polled
	done
	sed -n "${3}p" "$TMP/$2/out"
}

# daemon_of INIT: the pids of the octrace daemon of a traced container whose init is INIT:
# its tracer (INIT's TracerPid) and the tracer's parent, the janitor (root, no capability:
# it removes the container's record when the tracer ends). Empty for an untraced INIT.
daemon_of() {
	local tracer
	tracer=$(awk '$1 == "TracerPid:" { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$tracer" ] && [ "$tracer" != 0 ] || return 0
	echo "$tracer $(awk '$1 == "PPid:" { print $2 }' "/proc/$tracer/status" 2>/dev/null)"
}
