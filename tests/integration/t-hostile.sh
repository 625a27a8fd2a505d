#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# HOSTILE CONTAINER (issue 9) in real containers: the programs of tests/tracer/hostile.sh
# (owntrace, ownnotify, escape: own TRACE/ERRNO/TRAP/KILL filters, an own user-notification
# listener, CLONE_UNTRACED + TRACEME/SEIZE, clone3 and its flags race, PTRACE_ATTACH/SEIZE of
# a sibling; x86_64, i386 and x32 syscalls) run as the container's entrypoint, for each policy
# P (getppid -> EPERM) and PK (getppid -> KILL_PROCESS) of tests/policies/hostile*.json:
#   kernel   the runtime enforces the policy itself (the bundle's linux.seccomp), no hook:
#            the output must be tests/tracer/hostile's reference (what seccomp-exec gives)
#   hook     octrace-hook --policy POLICY, no linux.seccomp in the bundle: octrace alone
#   bundle   octrace-hook without --policy, the bundle's linux.seccomp is the policy: the
#            runtime's filter and octrace both enforce it (the usual deployment)
# Under the hook, the output must be the reference with exactly the README's documented
# stricter results (documented() in tests/tracer/hostile-lib.sh), and in every case the
# denied getppid never runs (under PK: never returns). One difference with the tracer tests:
# octrace runs outside the container's pid namespace, so TracerPid reads 0 inside it and a
# task octrace traces looks "untraced" to the programs (container_view below); whether every
# task is traced is shown by TRACEME/SEIZE being refused instead.
# Usage: t-hostile.sh RUNTIME HOOK PROG none OWNTRACE OWNNOTIFY ESCAPE (static builds).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PROGS=()
for p in "${5:?owntrace}" "${6:?ownnotify}" "${7:?escape}"; do
	p=$(realpath -e "$p") || exit 99
	ldd "$p" 2>&1 | grep -q 'not a dynamic executable' || skip_all "$p is not static"
	PROGS+=("$p")
done
# shellcheck source=../tracer/hostile-lib.sh
. "$HERE/../tracer/hostile-lib.sh"
REF=$HERE/../tracer/hostile
HPOL=$HERE/../policies
setup
cp "${PROGS[0]}" "$ROOTFS/bin/owntrace" && cp "${PROGS[1]}" "$ROOTFS/bin/ownnotify" &&
	cp "${PROGS[2]}" "$ROOTFS/bin/escape" || exit 99

# x32: the references are those of a kernel without CONFIG_X86_X32_ABI (x32 calls ENOSYS).
X32=on
[ "$("${PROGS[2]}" x32:fork:traceme | head -1)" = "x32:fork:traceme traceme = -1 ENOSYS" ] &&
	X32=off
echo "# x32 syscalls: $X32"

# container_view: octrace's expected lines as the container sees them (TracerPid 0 for a tracer
# outside its pid namespace).
container_view() {
	sed -E 's/ child tracer (before|after): octrace$/ child tracer \1: untraced/'
}

# The program of each probe set, in the container.
declare -A EXE=([own]=owntrace [notify]=ownnotify [escape]=escape)

# one PROG ABI deny|kill kernel|hook|bundle: one container whose entrypoint is the program
# (no shell: busybox sh calls getppid at its start).
one() {
	local prog=$1 abi=$2 pol=$3 how=$4 policy id name out ref bad what clean_ok=true
	policy=$HPOL/hostile.json
	[ "$abi" = x86_64 ] || policy=$HPOL/hostile-compat.json
	[ "$pol" = kill ] && policy=${policy%.json}-kill.json
	# shellcheck disable=SC2206
	local cmd=("/bin/${EXE[$prog]}" ${PROBES[$prog.$abi]})
	name=$how-$prog-$abi-$pol
	id=h-$name
	what="${EXE[$prog]} $abi, ${policy##*/}, $how"
	case $how in
	kernel) bundle "$name" --no-hook --seccomp "$policy" -- "${cmd[@]}" ;;
	hook) bundle "$name" --hook-arg=--policy="$policy" -- "${cmd[@]}" ;;
	bundle) bundle "$name" --seccomp "$policy" -- "${cmd[@]}" ;;
	esac
	run "$id" "$name"
	clean || clean_ok=false
	out=$(<"$TMP/$name/out")
	if [ "$status" = 0 ]; then
		ok "$what: the container exits 0"
	else
		not_ok "$what: the container exits 0 (status $status)"
		show "$TMP/$name/err" "$TMP/$name/hook.err" "$LOGS/$id.log"
	fi
	ref=$(<"$REF/${EXE[$prog]}.$abi.$pol")
	if [ "$abi" = x32 ] && [ "$X32" = on ]; then
		ref=$KERNEL_OUT # this kernel runs x32 syscalls: its own output is the reference
	fi
	if [ "$how" = kernel ]; then
		KERNEL_OUT=$out
		bad=$(mismatch "$out" "$ref")
		[ "$abi" = x32 ] && [ "$X32" = on ] && bad=
	else
		bad=$(mismatch "$out" "$(documented <<<"$ref" | container_view)")
	fi
	if [ -z "$bad" ]; then
		ok "$what: $([ "$how" = kernel ] && echo "the reference results" ||
			echo "the reference or the documented stricter results")"
	else
		not_ok "$what: $([ "$how" = kernel ] && echo "the reference results" ||
			echo "the reference or the documented stricter results")"
		diag <<<"$bad"
	fi
	bad=$(escaped "$out" "$pol")
	if [ -z "$bad" ]; then
		ok "$what: getppid never runs$([ "$pol" = kill ] && echo " (dies of SIGSYS)")"
	else
		not_ok "$what: getppid never runs$([ "$pol" = kill ] && echo " (dies of SIGSYS)")"
		diag <<<"$bad"
	fi
	if [ "$how" != kernel ]; then
		check "$what: the log's final line has status 0" [ "$(log_status "$id")" = 0 ]
	fi
	check "$what: nothing left" $clean_ok
}

KERNEL_OUT=
for prog in own notify escape; do
	for abi in x86_64 i386 x32; do
		for pol in deny kill; do
			for how in kernel hook bundle; do
				one "$prog" "$abi" "$pol" "$how"
			done
		done
	done
done
finish
