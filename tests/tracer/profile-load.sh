#!/bin/bash
# Nothing lost: a profile learnt from a busy run (tests/tracees/learnload: forked processes of
# many threads, released together, making ~260 different calls in three ABIs as fast as they
# can, each call by one task only) allows every syscall of it, and enforcing it re-runs the
# workload cleanly with the same results — with the KERNEL enforcing it (seccomp-exec, the
# filter runc would install) and with octrace. Each learning run is checked on its own: every
# syscall of the battery in the profile under its ABI, and in the stats file the exact number
# of calls of every i386 and x32 one (libc never makes those, so every stop was seen and
# counted). Several runs learn the same profile (nothing is lost at random); their merge is
# each of them.
. "$(dirname "$0")/lib.sh"

LOAD=$B/learnload
PROCS=${LEARN_PROCS:-4}
THREADS=${LEARN_THREADS:-6}
ROUNDS=${LEARN_ROUNDS:-20}
RUNS=${LEARN_RUNS:-3}
if ! command -v jq >/dev/null; then
	skip "jq is not installed (apt-get install jq): no profile checks"
	finish
fi

"$LOAD" --list "$ROUNDS" >"$T/battery" || bail "learnload --list"
jq -R 'split(" ") | {abi: .[0], name: .[1], calls: (.[2] | tonumber)}' "$T/battery" |
	jq -s . >"$T/battery.json" || bail "the battery as JSON"
run "$LOAD" "$PROCS" "$THREADS" "$ROUNDS"
native=$(sort <<<"$OUT")
ok "$ST" "native: learnload $PROCS x $THREADS tasks, $ROUNDS rounds, exits 0" "$ERR"
is "$(grep -c varies <<<"$native")" 0 "native: every probe gives the same result in every round"

# check_battery NAME PROFILE STATS: every syscall of the battery is allowed under its ABI, and
# the stats count exactly the i386 and x32 calls (one jq each).
check_battery() {
	local name=$1 prof=$2 stats=$3
	is "$(jq -r --slurpfile b "$T/battery.json" '.architectures as $archs
		| [.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] as $names
		| $b[0][] | . as $c | select(($archs | index($c.abi)) == null or ($names | index($c.name)) == null)
		| "\($c.abi) \($c.name)"' "$prof" 2>&1)" "" \
		"$name: every syscall of the battery is allowed, under its own ABI"
	is "$(jq -r --slurpfile b "$T/battery.json" '.syscalls as $seen | $b[0][]
		| . as $c | ([$seen[] | select(.arch == $c.abi and .syscall == $c.name) | .calls] | add // 0) as $got
		| select(if $c.abi == "SCMP_ARCH_X86_64" then $got < $c.calls else $got != $c.calls end)
		| "\($c.abi) \($c.name): \($got) calls counted, \($c.calls) made"' "$stats" 2>&1)" "" \
		"$name: the stats count every call (exactly, for the $(grep -vc X86_64 "$T/battery") i386 and x32 syscalls)"
}

for r in $(seq "$RUNS"); do
	prof=$T/learnt$r.json stats=$T/learnt$r.stats.json
	run "$OCTRACE" run --profile-out "$prof" --profile-stats "$stats" -- \
		"$LOAD" "$PROCS" "$THREADS" "$ROUNDS"
	ok "$ST" "learning run $r: exits 0" "$ERR"
	is "$(sort <<<"$OUT")" "$native" "learning run $r: the same results as without octrace"
	check_battery "learning run $r" "$prof" "$stats"
done
prof=$T/learnt1.json

if have_seccomp_exec "the kernel enforcing the learnt profile"; then
	under_kernel "$prof" "$LOAD" "$PROCS" "$THREADS" "$ROUNDS"
	ok "$ST" "the kernel enforcing the learnt profile (seccomp-exec): exits 0" "$ERR"
	is "$(sort <<<"$OUT")" "$native" "the kernel enforcing the learnt profile: the same results"
fi
under_octrace "$prof" "$LOAD" "$PROCS" "$THREADS" "$ROUNDS"
ok "$ST" "octrace enforcing the learnt profile: exits 0" "$ERR"
is "$(sort <<<"$OUT")" "$native" "octrace enforcing the learnt profile: the same results"

# A different shape of the same workload: more processes, fewer threads.
run "$OCTRACE" run --profile-out "$T/wide.json" --profile-stats "$T/wide.stats.json" -- \
	"$LOAD" $((PROCS * 3)) 2 "$ROUNDS"
ok "$ST" "learning run, $((PROCS * 3)) processes of 2 threads: exits 0" "$ERR"
check_battery "$((PROCS * 3)) processes of 2 threads" "$T/wide.json" "$T/wide.stats.json"

# The runs learnt the same profile; merging them (in any order) gives it back.
same=0
for r in $(seq 2 "$RUNS"); do
	cmp -s "$prof" "$T/learnt$r.json" || same=$((same + 1))
done
is "$same" 0 "every learning run wrote the same profile" ||
	diag "$(diff <(jq -c '.syscalls[]' "$prof") <(jq -c '.syscalls[]' "$T/learnt2.json"))"
files=()
for r in $(seq "$RUNS"); do files=("$T/learnt$r.json" "${files[@]}"); done
run "$OCTRACE" profile merge "${files[@]}"
is "$OUT" "$(cat "$prof")" "the merge of the runs' profiles is the profile"

# Arguments not kept: the names-only profile passes the run too (clone3 then allowed).
run "$OCTRACE" run --profile-out "$T/names.json" --profile-args none -- \
	"$LOAD" "$PROCS" "$THREADS" "$ROUNDS"
ok "$ST" "--profile-args none: the learning run exits 0" "$ERR"
if have_seccomp_exec "the kernel enforcing the names-only profile"; then
	under_kernel "$T/names.json" "$LOAD" "$PROCS" "$THREADS" "$ROUNDS"
	ok "$ST" "the kernel enforcing the names-only profile: exits 0" "$ERR"
	is "$(sort <<<"$OUT")" "$native" "the kernel enforcing the names-only profile: the same results"
fi

finish
