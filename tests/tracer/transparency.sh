#!/bin/bash
# `octrace run` without a policy changes nothing a program can observe but TracerPid: the same
# report from selfreport (ids, capabilities, NoNewPrivs 0, Seccomp 0, signal mask and ignored
# signals, open fds, rlimits, personality, dumpable, scheduling, process group, cwd, argv,
# environment) and the same exit status as when run directly, also with an inherited ignored
# signal and an extra inherited fd. With a policy, the same report as under seccomp-exec.
. "$(dirname "$0")/lib.sh"

octrace_exe=$(readlink -f "$OCTRACE")

# compare DESC: OUT/ST of a direct run in d_out/d_st, then the octrace run in OUT/ST.
compare() {
	is "$ST" "$d_st" "$1: same exit status"
	is "$(grep -v '^tracer:' <<<"$OUT")" "$(grep -v '^tracer:' <<<"$d_out")" "$1: same report"
	is "$(grep '^tracer:' <<<"$d_out")" "tracer: none" "$1: untraced when run directly"
	is "$(grep '^tracer:' <<<"$OUT")" "tracer: $octrace_exe" "$1: traced by octrace under octrace"
}

run "$B/selfreport" 5 a1 "a 2"
d_out=$OUT d_st=$ST
run "$OCTRACE" run -- "$B/selfreport" 5 a1 "a 2"
compare "no policy"
is "$(grep -E '^(NoNewPrivs|Seccomp):' <<<"$OUT" | tr -s '\t ' ' ')" "NoNewPrivs: 0
Seccomp: 0" "no policy: NoNewPrivs 0, Seccomp 0"
grep -q '^CapEff:' <<<"$OUT"
ok $? "no policy: the report has the capability sets"

# An inherited ignored signal and an extra inherited fd must reach the program as they are.
trap '' USR2
run "$B/selfreport" 0 5<"$P/deny.json"
d_out=$OUT d_st=$ST
run "$OCTRACE" run -- "$B/selfreport" 0 5<"$P/deny.json"
compare "ignored SIGUSR2 and fd 5 inherited"
trap - USR2

if have_seccomp_exec "with a policy, compared with seccomp-exec"; then
	under_kernel "$P/deny.json" "$B/selfreport" 3
	d_out=$OUT d_st=$ST
	under_octrace "$P/deny.json" "$B/selfreport" 3
	is "$ST" "$d_st" "with a policy: same exit status as under seccomp-exec"
	# one difference, documented (README, Limits): enforce mode stacks two filters, the
	# tracer-mode one from the attach and the enforce-mode one from the exec
	is "$(grep -v '^tracer:\|^Seccomp_filters:' <<<"$OUT")" \
		"$(grep -v '^tracer:\|^Seccomp_filters:' <<<"$d_out")" \
		"with a policy: the same report as under seccomp-exec (NoNewPrivs, Seccomp, ...)"
	kernel_filters=$(sed -n 's/^Seccomp_filters:\t*//p' <<<"$d_out")
	is "$(sed -n 's/^Seccomp_filters:\t*//p' <<<"$OUT")" "$((kernel_filters + 1))" \
		"with a policy: one filter more than under seccomp-exec (the enforce-mode filter)"
fi

finish
