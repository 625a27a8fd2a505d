# shellcheck shell=bash
# hostile-lib.sh: what tests/tracer/hostile.sh and tests/integration/t-hostile.sh share (sourced):
# the probes each hostile program runs, per ABI; documented(), the kernel's reference output
# turned into octrace's (the stricter results the README documents (Limits)); mismatch(); escaped(), the
# invariant. The programs are tests/tracees/{owntrace,ownnotify,escape}.c; the kernel's
# reference outputs are tests/tracer/hostile/PROG.ABI.{deny,kill}.

# The probes of each program, per ABI (see each program's comment).
# shellcheck disable=SC2034 # used by the scripts that source this file
declare -A PROBES
PROBES[own.x86_64]="x86_64:getppid:trace:0 x86_64:getppid:trace:0x8000
	x86_64:getppid:trace:0x8001 x86_64:getppid:trace:0xffff x86_64:getegid:trace:0
	x86_64:getegid:trace:0x8000 x86_64:getegid:trace:0x8001 x86_64:getppid:errno:5
	x86_64:getppid:trap x86_64:getppid:kill
	thread/x86_64:getppid:trace:0 thread/x86_64:getppid:trace:0x8001
	thread/x86_64:getegid:trace:0 thread/x86_64:getppid:errno:5 thread/x86_64:getppid:trap
	vfork/x86_64:getppid:trace:0 vfork/x86_64:getegid:trace:0x8000 vfork/x86_64:getppid:kill"
PROBES[own.i386]="i386:getppid:trace:0 i386:getppid:trace:0x8000 i386:getppid:trace:0x8001
	i386:getegid:trace:0 i386:getegid:trace:0x8000 i386:getppid:errno:5 i386:getppid:trap
	i386:getppid:kill thread/i386:getppid:trace:0 vfork/i386:getegid:trace:0"
PROBES[own.x32]="x32:getppid:trace:0 x32:getppid:trace:0x8001 x32:getegid:trace:0
	x32:getppid:errno:5 x32:getppid:trap x32:getppid:kill"
PROBES[notify.x86_64]="x86_64:thread x86_64:fork thread/x86_64:thread thread/x86_64:fork"
PROBES[notify.i386]="i386:thread i386:fork thread/i386:thread"
PROBES[notify.x32]="x32:thread x32:fork"
PROBES[escape.x86_64]="x86_64:clone:traceme x86_64:clone:seize x86_64:clone3:traceme
	x86_64:clone3:seize x86_64:vfork:untraced thread/x86_64:clone:traceme thread/x86_64:clone:seize
	thread/x86_64:clone3:traceme x86_64:race x86_64:fork:traceme thread/x86_64:fork:traceme
	x86_64:attach:sibling x86_64:seize:sibling x86_64:attach:thread x86_64:seize:thread"
PROBES[escape.i386]="i386:clone:traceme i386:clone:seize i386:clone3:traceme i386:clone3:seize
	thread/i386:clone:traceme i386:race i386:fork:traceme i386:attach:sibling
	i386:seize:sibling i386:attach:thread"
PROBES[escape.x32]="x32:clone:traceme x32:clone3:seize x32:fork:traceme x32:attach:sibling
	x32:seize:sibling"

# documented < KERNEL-OUTPUT: what octrace must print instead, as one bash glob per line: the
# kernel's lines, changed only where the README (Limits) documents octrace as stricter.
documented() {
	sed -E '
	# listener: a task octrace enforces may not create one: -EBUSY, so no supervisor runs.
	/ supervisor: continue /d
	s/ listener = ok$/ listener = -1 EBUSY/
	# clone3: -ENOSYS whatever its flags: no child, nothing else of the probe happens.
	/^[^ ]*:clone3:[^ ]* /{
		/ parent: /!d
		s/ parent: .*/ parent: clone -1 ENOSYS/
	}
	s/ clone3 results: .*/ clone3 results: -1 ENOSYS; children: none; children getppid: none/
	# CLONE_UNTRACED is cleared: the child is traced by octrace from its first instruction.
	s/ child tracer before: untraced$/ child tracer before: octrace/
	# ptrace TRACEME/ATTACH/SEIZE: -EPERM (the tracer stays octrace).
	s/ (traceme|seize) = ok$/ \1 = -1 EPERM/
	s/ child tracer after: parent$/ child tracer after: octrace/
	s/^([^ ]*:(attach|seize):sibling) = ok$/\1 = -1 EPERM/
	# x32 on a kernel without it: ENOSYS, or the guard refusing first (EPERM, EBUSY).
	s/^(x32:[^ ]* traceme) = -1 ENOSYS$/\1 = @(-1 ENOSYS|-1 EPERM)/
	s/^([^ ]*x32:(attach|seize):[a-z]+) = -1 ENOSYS$/\1 = @(-1 ENOSYS|-1 EPERM)/
	s/^(x32:[^ ]*) listener = -1 ENOSYS$/\1 listener = @(-1 ENOSYS|-1 EBUSY)/
	'
	# Not relaxed: the own ERRNO or TRAP against the policy's KILL. The kernel kills; so does
	# octrace, whose enforce-mode filter (stacked at the exec) answers KILL in the kernel.
}

# mismatch GOT PATTERNS: nothing if GOT has as many lines as PATTERNS, each matching its bash
# glob; else the first difference and a diff.
mismatch() {
	local -a got pat
	local i bad=
	mapfile -t got <<<"$1"
	mapfile -t pat <<<"$2"
	if [ "${#got[@]}" != "${#pat[@]}" ]; then
		bad="${#got[@]} lines, expected ${#pat[@]}"
	else
		for i in "${!pat[@]}"; do
			# shellcheck disable=SC2053
			[[ ${got[i]} == ${pat[i]} ]] && continue
			bad="line $((i + 1)): got '${got[i]}', expected '${pat[i]}'"
			break
		done
	fi
	[ -z "$bad" ] && return 0
	echo "$bad"
	diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$1") | sed '1,2d;s/^/  /'
}

# untraced_lines OUT: lines of escape's output showing a task the tracer does not trace (only
# meaningful where the tracer is visible in the pid namespace: TracerPid).
untraced_lines() {
	grep -E '(before|after): untraced$|children: (.*,)?untraced(;|,)' <<<"$1"
}

# escaped OUT deny|kill: the lines showing that the denied getppid ran, reached a supervisor or
# a tracer of the tracee's own, or (kill) returned at all. The own-ERRNO probes may return
# their errno under PK (the open difference above).
escaped() {
	grep -E 'getppid[^ ]* = ok$|children getppid: (.*,)?ok(,|$)|supervisor: continue getppid|seccomp stops [1-9]' <<<"$1"
	[ "$2" = kill ] || return 0
	grep -E 'getppid[^ ]* = -1 |children getppid: (.*,)?-1 ' <<<"$1"
}

