#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# A Go program as the container's entrypoint (static, CGO_ENABLED=0: Go's runtime starts its
# own threads and moves goroutines between them). Goroutines are busy in syscalls, getpgid and
# mkdirat denied by the policy, getpid allowed, one blocked in read(2), one sleeping; main
# returns (status 0) or calls os.Exit(N) meanwhile. The container stops with main's status,
# every denied call got the policy's errno (gohammer checks), octrace's log agrees, and nothing
# is left.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ "$GOPROG" != none ] || skip_all "gohammer not built: Go was not found at configure time" \
	"(apt-get install golang-go, then reconfigure)"
setup

i=0
for want in 0 3 0 4 0 5; do
	i=$((i + 1))
	id=go$i
	bundle "$id" --hook-arg=--policy="$POLICIES/deny.json" -- /bin/gohammer "$want"
	run "$id" "$id"
	clean_ok=true
	clean || clean_ok=false
	how="main returns"
	[ "$want" = 0 ] || how="os.Exit($want)"
	if [ "$status" = "$want" ] && [ "$(cat "$TMP/$id/out")" = ready ] && [ ! -s "$TMP/$id/err" ]
	then
		ok "go $i: $how while goroutines are in denied syscalls: status $want"
	else
		not_ok "go $i: $how while goroutines are in denied syscalls: status $want (got $status)"
		show "$TMP/$id/out" "$TMP/$id/err" "$LOGS/$id.log"
	fi
	check "go $i: log's final line has status $want" [ "$(log_status "$id")" = "$want" ]
	if summary_has "$id" getpgid 'SCMP_ACT_ERRNO(42)' &&
		summary_has "$id" mkdirat 'SCMP_ACT_ERRNO(13)'; then
		ok "go $i: the summary lists the denied getpgid and mkdirat"
	else
		not_ok "go $i: the summary lists the denied getpgid and mkdirat"
		show "$LOGS/$id.log"
	fi
	check "go $i: nothing left" $clean_ok
done
finish
