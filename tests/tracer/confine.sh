#!/bin/bash
# The hook's tracer, confined (issue 11): after its attach it runs as uid/gid 65534 with only
# CAP_SYS_PTRACE and CAP_KILL, no_new_privs and a seccomp filter of its own (tracer/caps.c,
# tracer/confine.c; docs/kernel-behaviours.md §24).
#   1. /proc/self/status of a process confined that way: the ids, the capability sets (the
#      bounding set too), NoNewPrivs 1, Seccomp 2
#   2. what it must not do: /etc/shadow opens with EACCES; socket, setresuid(0), execve,
#      mount, unshare kill it with SIGSYS before it can say it survived
#   3. it still traces: as uid 65534 with those two capabilities, octrace attaches to a root
#      process blocked in read(), which then execs a program calling a denied syscall: the
#      enforce-mode filter goes in at that exec (the vDSO found from the auxiliary vector on
#      the new program's stack: /proc/PID/auxv is root's), the call gets the policy's errno
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_root
PROBE=$B/../tracer/confine-probe
[ -x "$PROBE" ] || bail "no $PROBE"

out=$("$PROBE" status)
want="Uid:	65534	65534	65534	65534
Gid:	65534	65534	65534	65534
CapInh:	0000000000000000
CapPrm:	0000000000080020
CapEff:	0000000000080020
CapBnd:	0000000000080020
CapAmb:	0000000000000000
NoNewPrivs:	1
Seccomp:	2"
if [ "$out" = "$want" ]; then
	pass "1. confined: uid/gid 65534, CAP_SYS_PTRACE + CAP_KILL in every set, no_new_privs, seccomp filter"
else
	fail "1. confined: uid/gid 65534, CAP_SYS_PTRACE + CAP_KILL in every set, no_new_privs, seccomp filter"
	diag "$out"
fi

out=$("$PROBE" shadow)
[ "$out" = "shadow: errno
errno 13" ] && pass "2. /etc/shadow for writing: EACCES" ||
	{ fail "2. /etc/shadow for writing: EACCES"; diag "$out"; }
for a in socket setuid execve bind-mount unshare; do
	out=$("$PROBE" "$a" 2>&1)
	st=$?
	if [ "$st" = $((128 + 31)) ] && [ -z "$out" ]; then
		pass "2. $a: killed by SIGSYS"
	else
		fail "2. $a: killed by SIGSYS (status $st)"
		diag "$out"
	fi
done

# 3. an unprivileged tracer across a root process's exec
fifo=$T/go
mkfifo "$fifo"
sh -c 'read -r x <"$1" && exec "$2" mkdir' sh "$fifo" "$B/sysprobe" >"$T/probe.out" 2>&1 &
target=$!
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=+sys_ptrace,+kill \
	--ambient-caps=+sys_ptrace,+kill -- timeout "$TMO" "$OCTRACE" attach \
	--policy "$P/deny.json" "$target" >"$T/attach.out" 2>&1 &
attach=$!
# attached: the target's TracerPid is octrace's
for _ in $(seq 1 200); do
	tp=$(awk '$1 == "TracerPid:" { print $2 }' "/proc/$target/status" 2>/dev/null)
	[ -n "$tp" ] && [ "$tp" != 0 ] && break
	sleep 0.02 # polling /proc: octrace attach says nothing when it is attached
done
echo go >"$fifo"
wait "$target"
wait "$attach"
st=$?
if grep -q '^mkdir = -1 EACCES$' "$T/probe.out" && [ "$st" = 0 ] && [ "$tp" != 0 ]; then
	pass "3. uid 65534 + CAP_SYS_PTRACE: the root process's exec is armed, mkdir gets EACCES"
else
	fail "3. uid 65534 + CAP_SYS_PTRACE: the root process's exec is armed, mkdir gets EACCES (attach $st, tracer '$tp')"
	diag "$(cat "$T/probe.out" "$T/attach.out")"
fi
finish
