#!/bin/bash
# --profile-out FILE learns an OCI profile from a run, on real programs (/bin/ls, a sh script
# with pipes, subshells and external commands, tests/tracees/auditload with its threads,
# fork, vfork and exec from a thread, sysprobe with an i386 call): the profile is valid for
# `octrace check`, and the same program under it, enforced by octrace and by the kernel
# (seccomp-exec), prints the same and exits the same as in the learning run; a syscall the
# learning run did not make fails with EPERM; every syscall the run's level-all audit log
# shows is in the profile. --profile-base keeps the base's fields and rules (a syscall it
# denies stays denied) and adds one rule with what was seen. Learning under a policy changes
# neither results nor audit log nor summary. i386 and x32 calls are named and listed in their
# own ABI; clone, unshare, socket and personality keep the values seen (EPERM for others,
# kernel and octrace alike), clone3 is ENOSYS; --profile-args none; the stats file;
# `octrace profile merge` (idempotent, commutative, errors); an attach that may let go learns
# without leaving a filter behind. (Many threads and processes at once: profile-load.sh.)
. "$(dirname "$0")/lib.sh"

LOAD=$B/auditload
if ! command -v jq >/dev/null; then
	skip "jq is not installed (apt-get install jq): no profile checks"
	finish
fi

mkdir "$T/lsdir" || bail "mkdir $T/lsdir"
touch "$T/lsdir/one" "$T/lsdir/two"
cat >"$T/script.sh" <<'EOF'
#!/bin/sh
for i in 1 2 3; do echo "line $i"; done
wc -l <"$0" | cat
( cd / && pwd )
x=$(ls -d /tmp)
echo "x=$x"
exit 3
EOF
chmod +x "$T/script.sh"

# A learnt rule other than the unconditional one (jq): an argument rule or clone3's ENOSYS.
ARG_RULE='(.action == "SCMP_ACT_ALLOW" and (.names - ["clone", "unshare", "socket", "personality"]) == []
	and (.args | length) == 1 and .args[0].index == 0
	and (.args[0].op == "SCMP_CMP_EQ" or (.args[0].op == "SCMP_CMP_MASKED_EQ" and (.args[0].value == 2114060288 or .args[0].value == 2114060416))))
	or (.names == ["clone3"] and .action == "SCMP_ACT_ERRNO" and .errnoRet == 38)'

k=0
# expand ARGS...: cmd=(ARGS) with "@DIR" replaced by a new directory holding a "known" file
# (auditload creates entries in its directory: each run gets its own).
expand() {
	k=$((k + 1))
	mkdir "$T/w$k" || bail "mkdir $T/w$k"
	echo known >"$T/w$k/known"
	cmd=("${@//@DIR/$T/w$k}")
}

# round_trip NAME STATUS CMD... <EXPECTED: learn NAME's profile from CMD ("@DIR" in CMD
# becomes a fresh dir at each run), which must print EXPECTED and exit STATUS, then run CMD
# under it with octrace and with seccomp-exec: the same output, the same status.
round_trip() {
	local name=$1 status=$2 prof=$T/$1.json learn_out learn_st expected
	shift 2
	expected=$(cat)
	local -a cmd
	expand "$@"
	run "$OCTRACE" run --profile-out "$prof" --audit "$T/$name.jsonl" --audit-level all -- \
		"${cmd[@]}" 3>/dev/null
	learn_out=$OUT learn_st=$ST
	is "$OUT" "$expected" "$name: the learning run's output"
	is "$ST" "$status" "$name: the learning run's status" || diag "$ERR"
	[ -s "$prof" ]
	ok $? "$name: learning run (status $learn_st) wrote a profile" "stderr: $ERR"
	run "$OCTRACE" check "$prof"
	ok "$ST" "$name: the profile is valid for octrace check" "$ERR"
	is "$(jq -r '"\(.defaultAction) \(.defaultErrnoRet) \(.syscalls[0].action) \(.syscalls[0] | has("args"))"' "$prof")" \
		"SCMP_ACT_ERRNO 1 SCMP_ACT_ALLOW false" "$name: default ERRNO(EPERM), then one unconditional ALLOW rule"
	is "$(jq -r '.syscalls[0].names | (. == (sort | unique)) and index("execve") != null and index("execveat") != null' "$prof")" \
		true "$name: names sorted, unique, with execve and execveat"
	is "$(jq -c "[.syscalls[1:][] | select($ARG_RULE | not)]" "$prof")" "[]" \
		"$name: every other rule keeps an argument of clone, unshare, socket, personality, or is clone3's ENOSYS"
	[ "$(jq -r 'select(.event == "syscall") | .syscall' "$T/$name.jsonl" | sort -u | wc -l)" -ge 10 ]
	ok $? "$name: the run's audit log (level all) has at least 10 different syscalls"
	is "$(jq -r 'select(.event == "syscall") | .syscall' "$T/$name.jsonl" | sort -u |
		grep -vxFf <(jq -r '.syscalls[].names[]' "$prof"))" "" \
		"$name: every syscall of the run's audit log is in the profile"

	expand "$@"
	run "$OCTRACE" run --policy "$prof" -- "${cmd[@]}" 3>/dev/null
	is "$OUT" "$learn_out" "$name: under the profile (octrace): the same output"
	is "$ST" "$learn_st" "$name: under the profile (octrace): the same status" || diag "$ERR"
	have_seccomp_exec "$name: under the profile (kernel)" || return 0
	expand "$@"
	run "$SECCOMP_EXEC" "$prof" -- "${cmd[@]}" 3>/dev/null
	is "$OUT" "$learn_out" "$name: under the profile (seccomp-exec): the same output"
	is "$ST" "$learn_st" "$name: under the profile (seccomp-exec): the same status" || diag "$ERR"
}

round_trip ls 0 /bin/ls -a "$T/lsdir" <<'EOF'
.
..
one
two
EOF
round_trip script 3 "$T/script.sh" <<'EOF'
line 1
line 2
line 3
7
/
x=/tmp
EOF
# no policy while learning: auditload's getppid(0xdead) succeeds, its children exit 13, 14
round_trip auditload 7 "$LOAD" @DIR <<'EOF'
main getppid = pid
mkdirat denied = 0
openat known = 0
openat bad pointer = -1 EFAULT
bind unix = 0
connect unix = 0
connect inet = 0
uname = 0
thread getppid = pid
fork child status 13
vfork child status 14
final getppid = pid
EOF
round_trip sysprobe 0 "$B/sysprobe" getpid i386:getpid <<'EOF'
getpid = pid
i386:getpid = pid
EOF
is "$(jq -r '.architectures | sort | join(" ")' "$T/sysprobe.json")" "SCMP_ARCH_X86 SCMP_ARCH_X86_64" \
	"sysprobe: the i386 call's architecture is in the profile"

# What the learning run did not do is denied (EPERM): an unseen syscall, an unseen i386 one.
probes "unseen syscalls under the learnt profile" "$T/sysprobe.json" \
	"getpid i386:getpid getpriority:0,0 i386:getppid" <<'EOF'
getpid = pid
i386:getpid = pid
getpriority:0,0 = -1 EPERM
i386:getppid = -1 EPERM
EOF

# --profile-base: the base's fields and rules kept, one ALLOW rule added for what was seen
# and the base does not already allow unconditionally.
cat >"$T/base.json" <<'EOF'
{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"architectures": ["SCMP_ARCH_X86_64"],
	"syscalls": [
		{"names": ["getcpu"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
		{"names": ["getppid"], "action": "SCMP_ACT_ALLOW",
		 "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
		{"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"}
	]
}
EOF
jq '{ociVersion: "1.0.2", process: {args: ["sh"]}, linux: {seccomp: .}}' "$T/base.json" \
	>"$T/base-config.json"
base_probes=(getppid:0 "getcpu:0,0,0" i386:getpid)
for base in base base-config; do
	prof=$T/from-$base.json
	run "$OCTRACE" run --profile-out "$prof" --profile-base "$T/$base.json" -- \
		"$B/sysprobe" "${base_probes[@]}"
	is "$OUT" "getppid:0 = pid
getcpu:0,0,0 = 0
i386:getpid = pid" "--profile-base $base.json: the learning run is not enforced" || diag "$ERR"
	run "$OCTRACE" check "$prof"
	ok "$ST" "--profile-base $base.json: the profile is valid for octrace check" "$ERR"
	is "$(jq -Sc '.syscalls |= .[:3] | .architectures |= sort' "$prof")" \
		"$(jq -Sc '.architectures += ["SCMP_ARCH_X86"] | .architectures |= sort' "$T/base.json")" \
		"--profile-base $base.json: the base's fields and rules kept (a bare object), the i386 arch added"
	is "$(jq -r '"\(.syscalls[3].action) \(.syscalls[3] | has("args"))"' "$prof")" \
		"SCMP_ACT_ALLOW false" "--profile-base $base.json: one unconditional ALLOW rule appended"
	is "$(jq -c "[.syscalls[4:][] | select($ARG_RULE | not)]" "$prof")" "[]" \
		"--profile-base $base.json: then only argument rules"
	is "$(jq -r '.syscalls[3].names | map(select(. == "getppid" or . == "getcpu" or . == "getpid" or
		. == "read" or . == "write" or . == "close")) | sort | join(" ")' "$prof")" \
		"getcpu getpid getppid" \
		"--profile-base $base.json: seen syscalls added, those the base allows already left out"
done
is "$(jq -S . "$T/from-base-config.json")" "$(jq -S . "$T/from-base.json")" \
	"--profile-base: a config.json base gives the same profile as its bare linux.seccomp"
probes "under the profile learnt on a base" "$T/from-base.json" \
	"getppid:0 getppid:5 getcpu:0,0,0 i386:getpid getpriority:0,0" <<'EOF'
getppid:0 = pid
getppid:5 = pid
getcpu:0,0,0 = -1 ENOSYS
i386:getpid = pid
getpriority:0,0 = -1 EPERM
EOF

# Learning under a policy (one stop per syscall: the learning filter stops what the policy
# allows too): the policy applies as without learning, and the audit log and the summary are
# those of the same run without --profile-out (a learning stop is not a policy stop); the
# profile has every call, denied ones included.
pol_probes=(getppid:0xdead getpid mkdir:0 uname)
for mode in enforce complain; do
	flags=(--policy "$P/audit.json")
	[ "$mode" = complain ] && flags+=(--complain)
	run "$OCTRACE" run "${flags[@]}" --summary --audit "$T/pol-$mode-plain.jsonl" -- \
		"$B/sysprobe" "${pol_probes[@]}"
	plain_out=$OUT plain_sum=$ERR
	run "$OCTRACE" run "${flags[@]}" --summary --audit "$T/pol-$mode-learn.jsonl" \
		--profile-out "$T/pol-$mode.json" -- "$B/sysprobe" "${pol_probes[@]}"
	is "$OUT" "$plain_out" "under a policy ($mode): learning changes no result"
	is "$ERR" "$plain_sum" "under a policy ($mode): the same summary"
	is "$(jq -c 'select(.event == "syscall") | [.syscall, .action, .rule]' "$T/pol-$mode-learn.jsonl")" \
		"$(jq -c 'select(.event == "syscall") | [.syscall, .action, .rule]' "$T/pol-$mode-plain.jsonl")" \
		"under a policy ($mode): the same audit events"
	is "$(jq -r '[.syscalls[].names[] | select(. == "getppid" or . == "getpid" or . == "mkdir" or . == "uname")] | join(" ")' "$T/pol-$mode.json")" \
		"getpid getppid mkdir uname" "under a policy ($mode): the profile has the denied calls too"
done
run "$OCTRACE" run --policy "$P/audit.json" --profile-out "$T/pol.json" -- "$B/sysprobe" "${pol_probes[@]}"
is "$OUT" "getppid:0xdead = -1 EPERM
getpid = pid
mkdir:0 = -1 EACCES
uname = -1 EFAULT" "under a policy (enforce): the denials apply while learning"

# Architectures: int $0x80 getppid is i386 syscall 64 (x86_64's 64 is semget). It is named
# getppid, listed under SCMP_ARCH_X86 (in the stats too), and the kernel enforcing the
# profile passes the run. An x32 call (ENOSYS on a kernel without x32) is listed under
# SCMP_ARCH_X32: without it there, the enforcing filter would kill the caller (bad arch).
run "$OCTRACE" run --profile-out "$T/i386.json" --profile-stats "$T/i386.stats.json" -- \
	"$B/sysprobe" i386:getppid 0x40000027
is "$OUT" "i386:getppid = pid
0x40000027 = -1 ENOSYS" "i386 and x32: the learning run" || diag "$ERR"
is "$(jq -r '[.architectures[]] | join(" ")' "$T/i386.json")" \
	"SCMP_ARCH_X86 SCMP_ARCH_X32 SCMP_ARCH_X86_64" "i386 and x32: every ABI seen is listed"
is "$(jq -r '[.syscalls[].names[] | select(. == "getppid" or . == "semget")] | join(" ")' "$T/i386.json")" \
	getppid "i386 and x32: i386's 64 is learnt as getppid, not as x86_64's 64 (semget)"
is "$(jq -r '.syscalls[] | select(.nr == 64 or .nr == 1073741863) | "\(.arch) \(.syscall) \(.calls)"' "$T/i386.stats.json")" \
	"SCMP_ARCH_X86 getppid 1
SCMP_ARCH_X32 getpid 1" "i386 and x32: the stats name each call in its own ABI"
probes "i386 and x32: under the learnt profile" "$T/i386.json" "i386:getppid 0x40000027" <<'END'
i386:getppid = pid
0x40000027 = -1 ENOSYS
END

# Arguments kept (--profile-args default): socket families, unshare's namespaces,
# personality's persona as seen; what was not seen is EPERM, for the kernel and for octrace.
args_run=(socket:1,1 socket:10,2 unshare:0 personality:0xffffffff)
run "$OCTRACE" run --profile-out "$T/args.json" --profile-stats "$T/args.stats.json" -- \
	"$B/sysprobe" "${args_run[@]}"
ok "$ST" "arguments: the learning run" "$ERR"
is "$(jq -c '[.syscalls[1:][] | select(.names[0] != "clone") | [.names[0], .args[0].op, .args[0].value, .args[0].valueTwo]]' "$T/args.json")" \
	'[["personality","SCMP_CMP_EQ",4294967295,null],["socket","SCMP_CMP_EQ",1,null],["socket","SCMP_CMP_EQ",10,null],["unshare","SCMP_CMP_MASKED_EQ",2114060416,null]]' \
	"arguments: one rule per value seen, EQ or MASKED_EQ on the namespace flags"
is "$(jq -c '[.syscalls[] | select(.names == ["clone"]) | .args]' "$T/args.json")" \
	'[[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]]' \
	"arguments: sysprobe's forks give docker's own clone rule (no namespace flag)"
probes "arguments: under the learnt profile" "$T/args.json" \
	"socket:1,1 socket:10,2 socket:2,2 unshare:0 unshare:0x04000000 personality:0xffffffff personality:8" <<'END'
socket:1,1 = 3
socket:10,2 = 3
socket:2,2 = -1 EPERM
unshare:0 = 0
unshare:0x04000000 = -1 EPERM
personality:0xffffffff = 0
personality:8 = -1 EPERM
END
run "$OCTRACE" run --profile-out "$T/names.json" --profile-args none -- "$B/sysprobe" "${args_run[@]}"
is "$(jq -c '[(.syscalls | length), (.syscalls[0].names | index("socket") != null and index("clone") != null)]' "$T/names.json")" \
	"[1,true]" "--profile-args none: one unconditional rule with socket and clone"
probes "--profile-args none: under the learnt profile" "$T/names.json" \
	"socket:2,2 unshare:0x04000000 personality:8" <<'END'
socket:2,2 = 3
unshare:0x04000000 = 0
personality:8 = 0
END
run "$OCTRACE" run --profile-out "$T/x.json" --profile-args some -- true
[ "$ST" = 2 ] && [[ $ERR == *"--profile-args"*some* ]] && [ "$(wc -l <<<"$ERR")" = 1 ]
ok $? "--profile-args some: refused in one line, status 2" "status $ST: $ERR"

# clone3: its flags are in memory, where no filter looks. Learning answers it ENOSYS (glibc's
# pthread_create then uses clone, whose flags are kept) and the profile denies it so.
run "$OCTRACE" run --profile-out "$T/c3.json" -- "$B/sysprobe" clone3:0,0
is "$OUT" "clone3:0,0 = -1 ENOSYS" "clone3: ENOSYS while learning" || diag "$ERR"
is "$(jq -c '[.syscalls[] | select(.names | index("clone3")) | [.action, .errnoRet]]' "$T/c3.json")" \
	'[["SCMP_ACT_ERRNO",38]]' "clone3: SCMP_ACT_ERRNO(ENOSYS) in the profile, as podman's"

# The stats side file: one entry per (ABI, syscall, value), each naming the rule of the
# profile that allows it; the executable that made it first.
stats=$T/args.stats.json
is "$(jq -r '.profile' "$stats")" "$T/args.json" "stats: names its profile"
is "$(jq -c --slurpfile p "$T/args.json" '.syscalls[] | select(. as $e | ($e.rule | type) != "number" or
	($p[0].syscalls[$e.rule].names | index($e.syscall)) == null or $e.action != "SCMP_ACT_ALLOW")' "$stats" 2>&1)" "" \
	"stats: every syscall seen is allowed by the rule its entry names, which names it"
is "$(jq -r '.syscalls[] | select(.syscall == "socket") | "\(.arg.value) \(.calls) \(.exe)"' "$stats")" \
	"1 1 $B/sysprobe
10 1 $B/sysprobe" "stats: socket per family, with its calls and first executable"
is "$(jq -r '[.syscalls[] | select(.calls < 1 or (.pid | type) != "number")] | length' "$stats")" 0 \
	"stats: every entry has a count and the process that made it first"
run "$OCTRACE" run --profile-stats "$T/s.json" -- true
[ "$ST" = 2 ] && [[ $ERR == *"--profile-out"* ]]
ok $? "--profile-stats without --profile-out: refused, status 2" "status $ST: $ERR"

# octrace profile merge: what any input allows, in a canonical form (the learnt profiles are
# in it already): idempotent, commutative, and the kernel enforcing the merge passes both runs.
merge() { run "$OCTRACE" profile merge "$@"; }
merge "$T/args.json"
is "$OUT" "$(cat "$T/args.json")" "merge: a learnt profile alone comes back unchanged"
merge "$T/args.json" "$T/args.json"
is "$OUT" "$(cat "$T/args.json")" "merge: idempotent (A + A = A)"
merge "$T/args.json" "$T/i386.json"
ab=$OUT
merge "$T/i386.json" "$T/args.json"
is "$OUT" "$ab" "merge: commutative (A + B = B + A, byte for byte)"
printf '%s\n' "$ab" >"$T/ab.json"
merge "$T/ab.json" "$T/i386.json" "$T/args.json"
is "$OUT" "$ab" "merge: merging the merge with its inputs changes nothing"
is "$(jq -r '.architectures | join(" ")' "$T/ab.json")" "SCMP_ARCH_X86 SCMP_ARCH_X32 SCMP_ARCH_X86_64" \
	"merge: the union of the architectures"
probes "merge: the merged profile passes both runs" "$T/ab.json" \
	"${args_run[*]} i386:getppid 0x40000027 socket:2,2" <<'END'
socket:1,1 = 3
socket:10,2 = 3
unshare:0 = 0
personality:0xffffffff = 0
i386:getppid = pid
0x40000027 = -1 ENOSYS
socket:2,2 = -1 EPERM
END
merge "$T/ab.json" "$T/names.json"
is "$(jq -c '[.syscalls[] | select(.names | index("socket"))] | [length, .[0].args]' <<<"$OUT")" \
	"[1,null]" "merge: a profile allowing socket outright absorbs the family rules"
merge "$T/args.json" "$P/default-kill.json"
[ "$ST" = 2 ] && [ "$OUT" = "" ] && [ "$(wc -l <<<"$ERR")" = 1 ] &&
	[[ $ERR == *"$P/default-kill.json: defaultAction: differs from $T/args.json"* ]]
ok $? "merge: different default actions: one line naming the file and field, status 2" \
	"status $ST: $ERR"
merge "$T/args.json" "$T/missing.json"
[ "$ST" = 2 ] && [[ $ERR == *"$T/missing.json"* ]]
ok $? "merge: a missing file: named, status 2" "status $ST: $ERR"
run "$OCTRACE" profile merge
[ "$ST" = 2 ] && [[ $ERR == *"at least one PROFILE"* ]]
ok $? "profile merge without a file: usage error" "status $ST: $ERR"

# attach in trace mode may let go (SIGINT detaches): it learns at syscall-entry stops and
# leaves no filter behind, so the process runs on unharmed after octrace has gone.
spawn "$B/attachme"
line=''
get_line line
if [ "$line" = "ready $SPAWN_PID" ]; then
	alog=$T/attach-learn.jsonl
	"$OCTRACE" attach --arm-now --profile-out "$T/attach.json" --audit "$alog" \
		--audit-level all "$SPAWN_PID" 2>"$T/attach.err" &
	apid=$!
	_bg+=("$apid")
	for _ in $(seq 1000); do # observation: a churn thread's clone, then a getppid
		tr -d '\n' <"$alog" 2>/dev/null | grep -q '"syscall":"clone".*"syscall":"getppid"' && break
		sleep 0.01
	done
	kill -INT "$apid"
	await "$apid"
	is "$ST/$TIMED_OUT" "130/0" "attach --profile-out: SIGINT ends it (128+2)" ||
		diag "$(<"$T/attach.err")"
	is "$(tracer_of "$SPAWN_PID")/$(awk '/^Seccomp:/ { print $2 }' "/proc/$SPAWN_PID/status")" "0/0" \
		"attach --profile-out: detached, and no filter left in the process"
	is "$(jq -r '[.syscalls[].names[] | select(. == "getppid" or . == "clone")] | join(" ")' "$T/attach.json")" \
		"getppid clone" "attach --profile-out: the profile has the churn threads' getppid and clone"
	echo quit >&3
	expect_line "read ok" "attach --profile-out: the process runs on: its read() returns the line"
	await "$SPAWN_PID"
	is "$ST" 23 "attach --profile-out: the process exits by itself with 23"
else
	fail "attachme did not start: '$line'"
fi

# A profile that cannot be written: one line naming the file, a failing status.
run "$OCTRACE" run --profile-out "$T/missing/p.json" -- true
[ "$ST" != 0 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && [[ $ERR == *"$T/missing/p.json"* ]]
ok $? "--profile-out in a missing directory: fails with one line naming the file" \
	"exit status $ST, stderr: $ERR"
is "$(find "$T" -maxdepth 1 -name '.*.json.*')" "" "--profile-out: no temporary file left next to the profiles"

finish
