#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# octrace-runtime adopts the bundle's own seccomp profile (README, "octrace-runtime, the
# runc/crun wrapper"): with a hook that has no --policy (and no org.octrace.policy annotation),
# the bundle's linux.seccomp is kept as BUNDLE/octrace-policy.json, handed to the hook as
# --policy, and config.json's linux.seccomp becomes its exec barrier. Two real profiles:
# podman's default (tests/policies/podman.json) and containerd's default
# (policies/containerd.json: `ctr containers create --seccomp` of containerd 1.6.20, the spec's
# .linux.seccomp). For each:
#   1. the bare runtime (no wrapper, no hook) with the bundle: a static sysprobe's battery as
#      the init and as an exec'd process agree (but getpgid: crun's exec'd process is in a
#      process group of the parent namespace, getpgid gives 0); without any filter at least 5
#      probes differ (the battery tells a filter's answers apart)
#   2. the same bundle through octrace-runtime: the init's and the exec'd process's battery
#      give exactly what the bare runtime's do — but one documented difference (README,
#      Limits): runc answers a syscall number above the profile's highest (1000) with ENOSYS
#      (its -ENOSYS stub, which crun does not add), octrace with the profile's default errno
#   3. config.json after create: the profile's exec barrier (neither kills nor traps: ALLOW but
#      execve and execveat, TRACE with errnoRet 28672), hooks.prestart's hook has --policy
#      BUNDLE/octrace-policy.json, and that file equals the original profile (jq -S)
#   4. the audit log ID.jsonl: the init's denials (add_key and the default action, with the
#      profile's errno), a join event for the exec'd sysprobe, then its denials with its pid
#   5. nothing left after kill KILL
# Usage: t-adopt.sh RUNTIME HOOK PROG none OCTRACE-RUNTIME SYSPROBE.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] && skip_all "octrace-runtime was not built"
WRAPPER=$(realpath -e "$WRAPPER") || skip_all "octrace-runtime was not built"
SYSPROBE=$(realpath -e "${6:?static sysprobe}")
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
ldd "$SYSPROBE" 2>&1 | grep -q 'not a dynamic executable' || skip_all "$SYSPROBE is not static"
setup
cp "$SYSPROBE" "$ROOTFS/bin/sysprobe" || exit 99
ln -s busybox "$ROOTFS/bin/sleep"

# octrace-runtime's configuration: the build's hook WITHOUT --policy.
CONF=$TMP/runtime.json
jq -n --arg rt "$RT" --arg hook "$HOOK" --arg logs "$LOGS" \
	'{runtime: $rt, trace: "all", hook: {path: $hook,
		args: ["octrace-hook", "--log-dir", $logs]}}' >"$CONF" || exit 99

W_CMD=("$WRAPPER" "${RT_CMD[@]:1}")
if [ "$RT" = crun ]; then
	W_CG_CMD=(unshare -m sh -c 'umount -l /sys/fs/cgroup &&
		mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "${W_CMD[@]}")
else
	W_CG_CMD=("${W_CMD[@]}")
fi
wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$CONF")
w() { "${wenv[@]}" timeout -k 5 60 "${W_CMD[@]}" "$@"; }
w_cg() { "${wenv[@]}" timeout -k 5 60 "${W_CG_CMD[@]}" "$@"; }
r() { env "OCTRACE_INTEG_TAG=$TAG" timeout -k 5 60 "${RT_CMD[@]}" "$@"; }
r_cg() { env "OCTRACE_INTEG_TAG=$TAG" timeout -k 5 60 "${RT_CG_CMD[@]}" "$@"; }

state_of() { rt state "$1" 2>/dev/null | jq -r ".$2"; }
procs_gone() { helper clean --tag "$TAG" --dir "$TMP" --timeout 30; }
stop() { # ID
	local rc=0
	rt kill "$1" KILL 2>/dev/null
	procs_gone || rc=1
	rt delete -f "$1" 2>/dev/null
	clean || rc=1
	return $rc
}

# One child per probe: allowed calls (x86_64, i386), personality's argument rules, a syscall
# each profile denies by name or by its default action, an unknown number, and the privileged
# calls both deny.
probes=(
	getpid i386:getpid getpgid:0 mkdir:0
	personality:0xffffffff i386:personality:0xffffffff personality:0x20008
	personality:0x400000 add_key:0 1000 sysfs:3 setns:0 io_pgetevents:0 perf_event_open:0
	i386:nice:0 kexec_load:0 bpf:0 vhangup clock_settime:0 clone3:0 keyctl:0 unshare:0x10000000
)
# Without a filter (the runtime's --security-opt seccomp=unconfined): one run, the reference
# that shows which probes a profile changes.
bundle none --no-hook -- /bin/sysprobe "${probes[@]}"
r_cg run --bundle "$TMP/none" adopt-none >"$TMP/none/out" 2>"$TMP/none/err" </dev/null
none_status=$?
r delete -f adopt-none >/dev/null 2>&1
if [ "$none_status" = 0 ] && [ "$(wc -l <"$TMP/none/out")" -ge ${#probes[@]} ]; then
	ok "$RT without a filter: the ${#probes[@]} probes run"
else
	not_ok "$RT without a filter: the ${#probes[@]} probes run (status $none_status)"
	show "$TMP/none/out" "$TMP/none/err"
fi
check "without a filter: nothing left" clean

# init_cmd NAME: sets $init: the init: the battery to /tmp/NAME.init, "ready" into the fifo,
# then sleep.
init_cmd() {
	init=(sh -c "/bin/sysprobe ${probes[*]} >/tmp/$1.init 2>&1; echo ready >/tmp/$1.fifo;
		exec /bin/sleep 1000")
}
# up ID NAME HOW: bundle NAME's container ID started by HOW (bare: the runtime, create + start;
# wrapped: octrace-runtime, create + start), its battery done; copies config.json after create
# to NAME/created.json.
up() {
	local id=$1 name=$2 how=$3 dir=$TMP/$2 line fd
	rm -f "$ROOTFS/tmp/$name.fifo" "$ROOTFS/tmp/$name.init"
	mkfifo "$ROOTFS/tmp/$name.fifo" || return 1
	exec {fd}<>"$ROOTFS/tmp/$name.fifo"
	if [ "$how" = bare ]; then
		r_cg create --bundle "$dir" "$id" >"$dir/out" 2>"$dir/err" </dev/null &&
			cp "$dir/config.json" "$dir/created.json" &&
			r start "$id" 2>>"$dir/err"
	else
		w_cg create --bundle "$dir" "$id" >"$dir/out" 2>"$dir/err" </dev/null &&
			cp "$dir/config.json" "$dir/created.json" &&
			w start "$id" 2>>"$dir/err"
	fi || { echo "# $how create/start of $id failed"; show "$dir/err" "$dir/hook.err"; exec {fd}<&-; return 1; }
	line=
	read -r -t 30 -u "$fd" line
	exec {fd}<&-
	[ "$line" = ready ] || { echo "# $id: no \"ready\" from the init (got '$line')"; return 1; }
	cp "$ROOTFS/tmp/$name.init" "$dir/init.out"
}

# battery PROFILE-NAME PROFILE-FILE: checks 1 to 5 for one profile.
battery() {
	local pn=$1 prof=$2
	local b=$pn-bare t=$pn-oct good p a n jpid who sc want L init_pid
	# Marked: probes whose answer the profile changes (from the bare runtime's init battery).
	init_cmd "$b"
	bundle "$b" --no-hook --seccomp "$prof" -- "${init[@]}"
	init_cmd "$t"
	bundle "$t" --no-hook --seccomp "$prof" -- "${init[@]}"

	# 1. the bare runtime
	if up "ab-$pn" "$b" bare; then
		r exec "ab-$pn" /bin/sysprobe "${probes[@]}" >"$TMP/$b/exec.out" 2>"$TMP/$b/exec.err" </dev/null
		status=$?
		[ "$status" = 0 ] || echo "# bare exec: status $status"
		n=0
		for p in "${probes[@]}"; do
			a=$(grep -F "$p = " "$TMP/$b/init.out")
			[ -n "$a" ] && [ "$a" != "$(grep -F "$p = " "$TMP/none/out")" ] && n=$((n + 1))
		done
		if [ "$(wc -l <"$TMP/$b/init.out")" -ge ${#probes[@]} ] &&
			cmp -s <(grep -v '^getpgid:' "$TMP/$b/init.out") <(grep -v '^getpgid:' "$TMP/$b/exec.out") &&
			[ "$n" -ge 5 ]; then
			ok "$pn profile, bare $RT: init and exec'd battery agree (getpgid aside), $n probes differ from no filter"
		else
			not_ok "$pn profile, bare $RT: init and exec'd battery agree (getpgid aside), >= 5 probes differ from no filter ($n)"
			diff "$TMP/$b/init.out" "$TMP/$b/exec.out" | diag
		fi
		sed "s/^/# $pn bare: /" "$TMP/$b/init.out"
	else
		not_ok "$pn profile, bare $RT: container up"
	fi
	check "$pn profile, bare $RT: kill KILL, nothing left" stop "ab-$pn"

	# 2. octrace-runtime, a hook without --policy
	if ! up "at-$pn" "$t" wrapped; then
		not_ok "$pn profile through octrace-runtime: container up"
		check "$pn profile through octrace-runtime: nothing left" stop "at-$pn"
		return
	fi
	w exec "at-$pn" /bin/sysprobe "${probes[@]}" >"$TMP/$t/exec.out" 2>"$TMP/$t/exec.err" </dev/null
	status=$?
	# runc's -ENOSYS stub for numbers past the profile (README, Limits): the bare runtime's
	# "1000 = -1 ENOSYS" is the profile's default errno under octrace; still denied
	if [ "$RT" = runc ]; then
		local deflt
		case $(jq -r '.defaultErrnoRet // 1' "$prof") in
		1) deflt="-1 EPERM" ;;
		38) deflt="-1 ENOSYS" ;;
		*) deflt= ;;
		esac
		for f in "$TMP/$b/init.out" "$TMP/$b/exec.out"; do
			[ -n "$deflt" ] && sed -i "s/^1000 = -1 ENOSYS\$/1000 = $deflt/" "$f"
		done
	fi
	if cmp -s "$TMP/$b/init.out" "$TMP/$t/init.out" && [ -s "$TMP/$t/init.out" ]; then
		ok "$pn profile adopted: the traced init's battery is the bare $RT's"
	else
		not_ok "$pn profile adopted: the traced init's battery is the bare $RT's"
		diff "$TMP/$b/init.out" "$TMP/$t/init.out" | diag
		show "$TMP/$t/err" "$TMP/$t/hook.err"
	fi
	if [ "$status" = 0 ] && cmp -s "$TMP/$b/exec.out" "$TMP/$t/exec.out" && [ -s "$TMP/$t/exec.out" ]; then
		ok "$pn profile adopted: the exec'd battery through the wrapper is the bare $RT exec's"
	else
		not_ok "$pn profile adopted: the exec'd battery through the wrapper is the bare $RT exec's (status $status)"
		diff "$TMP/$b/exec.out" "$TMP/$t/exec.out" | diag
		show "$TMP/$t/exec.err"
	fi

	# 3. config.json after create, octrace-policy.json
	good=true
	jq -e --slurpfile p "$prof" '.linux.seccomp == {defaultAction: "SCMP_ACT_ALLOW",
		architectures: $p[0].architectures, syscalls: [{names: ["execve", "execveat"],
		action: "SCMP_ACT_TRACE", errnoRet: 28672}]}' "$TMP/$t/created.json" >/dev/null ||
		{ jq -c .linux.seccomp "$TMP/$t/created.json" 2>&1 | head -c 2000 | diag; good=false; }
	check "$pn profile adopted: config.json after create has its exec barrier (ALLOW but execve/execveat: TRACE 28672; the profile's architectures)" $good
	if [ -s "$TMP/$t/octrace-policy.json" ] &&
		[ "$(jq -S . "$TMP/$t/octrace-policy.json")" = "$(jq -S . "$prof")" ]; then
		ok "$pn profile adopted: BUNDLE/octrace-policy.json is the original profile"
	else
		not_ok "$pn profile adopted: BUNDLE/octrace-policy.json is the original profile"
		ls -l "$TMP/$t" | diag
		diff <(jq -S . "$prof") <(jq -S . "$TMP/$t/octrace-policy.json" 2>&1) | head -20 | diag
	fi
	if jq -e --arg p "$TMP/$t/octrace-policy.json" '.hooks.prestart | map(.args) |
		any(. as $a | ($a | index("--policy")) as $i | $i != null and $a[$i + 1] == $p)' \
		"$TMP/$t/created.json" >/dev/null; then
		ok "$pn profile adopted: the hook in config.json has --policy BUNDLE/octrace-policy.json"
	else
		not_ok "$pn profile adopted: the hook in config.json has --policy BUNDLE/octrace-policy.json"
		jq -c .hooks "$TMP/$t/created.json" | diag
	fi

	# 4. the audit log: the init's denials and the exec'd one's, after its join event
	init_pid=$(state_of "at-$pn" pid)
	read -r d_tracer d_janitor <<<"$(daemon_of "$init_pid")"
	helper clean --tag "$TAG" --dir "$TMP" --timeout 30 --except "$init_pid" \
		--except "${d_tracer:-0}" --except "${d_janitor:-0}" >/dev/null
	good=true
	L=$LOGS/at-$pn.jsonl
	jpid=$(grep -F '"event":"join"' "$L" 2>/dev/null | jq -r --argjson a \
		"$(printf '%s\n' /bin/sysprobe "${probes[@]}" | jq -R . | jq -sc .)" 'select(.argv == $a) | .pid')
	[ -n "$jpid" ] && [ "$(wc -w <<<"$jpid")" = 1 ] || { echo "# join events of the exec'd sysprobe: '$jpid'"; good=false; }
	check "$pn profile adopted: ID.jsonl has a join event for the exec'd sysprobe" $good
	# The denials, with the errno the bare runtime's battery got: add_key (the default action
	# of both profiles) and sysfs (podman's EPERM rule; containerd's default). sysprobe makes
	# each probe in a child: the exec'd one's are the join pid's children (fork events).
	for who in init exec; do
		good=true
		for sc in add_key sysfs; do
			want=$(sed -n "s/^$sc:[^ ]* = -1 \(E[A-Z]*\)\$/\1/p" "$TMP/$b/init.out")
			case $want in EPERM) want=1 ;; ENOSYS) want=38 ;; *) want="?$want" ;; esac
			n=$(jq -r -s --arg sc "$sc" --arg who "$who" --argjson j "${jpid:-0}" \
				'(map(select(.event == "fork" and .pid == $j) | .child) + [$j]) as $kids |
				map(select(.event == "syscall" and .syscall == $sc and
					.action == "SCMP_ACT_ERRNO" and
					(if $who == "exec" then (.pid | IN($kids[])) else (.pid | IN($kids[]) | not) end))) |
				map(.errno) | unique | map(tostring) | join(",")' "$L" 2>/dev/null)
			[ "$n" = "$want" ] || { echo "# $who: $sc denials with errno '$n', want $want"; good=false; }
		done
		check "$pn profile adopted: ID.jsonl has the $who's add_key and sysfs denials (SCMP_ACT_ERRNO, the bare runtime's errno)" $good
	done
	check "$pn profile through octrace-runtime: kill KILL, nothing left" stop "at-$pn"
}

battery podman "$HERE/../policies/podman.json"
battery containerd "$POLICIES/containerd.json"
finish
