#!/bin/bash
# --profile-out FILE learns an OCI profile from a run, on real programs (/bin/ls, a sh script
# with pipes, subshells and external commands, tests/tracees/auditload with its threads,
# fork, vfork and exec from a thread, sysprobe with an i386 call): the profile is valid for
# `octrace check`, and the same program under it, enforced by octrace and by the kernel
# (seccomp-exec), prints the same and exits the same as in the learning run; a syscall the
# learning run did not make fails with EPERM; every syscall the run's level-all audit log
# shows is in the profile. --profile-base keeps the base's fields and rules (a syscall it
# denies stays denied) and adds one rule with what was seen.
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

# A profile that cannot be written: one line naming the file, a failing status.
run "$OCTRACE" run --profile-out "$T/missing/p.json" -- true
[ "$ST" != 0 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && [[ $ERR == *"$T/missing/p.json"* ]]
ok $? "--profile-out in a missing directory: fails with one line naming the file" \
	"exit status $ST, stderr: $ERR"
is "$(find "$T" -maxdepth 1 -name '.*.json.*')" "" "--profile-out: no temporary file left next to the profiles"

finish
