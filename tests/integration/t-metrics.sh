#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The container's Prometheus metrics (issue 12, docs/metrics.md): with --metrics-dir DIR the
# daemon keeps DIR/ID.prom while the container runs. Debian's prometheus-node-exporter, its
# textfile collector pointed at DIR, is scraped on 127.0.0.1 while the container waits on a
# fifo: no scrape error, and octrace_syscalls_total for the denied getpgid (8 calls) and
# mkdirat (1) and the logged chdir (SCMP_ACT_LOG) equal the counts of the audit log's events;
# denials, audit events written and the stop histogram's count agree with the log too; the
# pod's labels are there; every read of the file is whole (it is renamed into place) and no
# temporary file is left. After the container ends the file is gone. The default directory
# is readable by an unprivileged user; a process joining the container (octrace-runtime
# exec) is counted as the audit log's join; with --metrics-dir none nothing is written.
# shellcheck source=lib.sh
# Usage: t-metrics.sh RUNTIME HOOK PROG none OCTRACE-RUNTIME.
. "$(dirname "$0")/lib.sh"
WRAPPER=${5:-none}
[ "$WRAPPER" = none ] || WRAPPER=$(realpath -e "$WRAPPER")
setup
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"
NODE_EXPORTER=$(command -v prometheus-node-exporter) ||
	skip_all "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)"

MDIR=$TMP/metrics
cat >"$TMP/policy.json" <<'EOF'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{ "names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42 },
		{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
		{ "names": ["chdir"], "action": "SCMP_ACT_LOG" }
	]
}
EOF
admin=(--hook-arg=--policy="$TMP/policy.json" --hook-arg=--audit-level=traced
	--hook-arg=--metrics-dir="$MDIR") # (m3 takes the first two)
pod=(--annotation io.kubernetes.cri.sandbox-name=web-7d4
	--annotation io.kubernetes.cri.sandbox-namespace=shop)
# 3 chdir (logged), 7 + 1 getpgid and 1 mkdirat (denied); then "ready" and wait for "go"
workload=(sh -c 'cd /tmp; cd /; cd /tmp; /bin/integ-prog flood 7 && /bin/integ-prog probe 0 &&
	echo ready >/tmp/metrics.ready && read x </tmp/metrics.go; exit 0')

NE_PID=
stop_exporter() {
	[ -n "$NE_PID" ] && kill "$NE_PID" 2>/dev/null && wait "$NE_PID" 2>/dev/null
	NE_PID=
}
trap 'stop_exporter; cleanup' EXIT

# A free port on 127.0.0.1 (the kernel's pick; node_exporter binds it right after).
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$MDIR"
"$NODE_EXPORTER" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$MDIR" --web.listen-address="127.0.0.1:$PORT" \
	>"$TMP/node-exporter.log" 2>&1 &
NE_PID=$!

# scrape: node_exporter's /metrics on stdout (non-zero when it does not answer).
scrape() {
	"$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
		"http://127.0.0.1:$PORT/metrics" 2>/dev/null
}
# until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds or the deadline passes
# (for the asynchronous writers: node_exporter starting, the janitor's file).
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}
check "node_exporter $(prometheus-node-exporter --version 2>&1 | head -1 | awk '{print $3}') answers on 127.0.0.1:$PORT" \
	until_ok 20 eval 'scrape >/dev/null'

ID=metrics-$RT-1
FILE=$MDIR/$ID.prom
# value SERIES: the value of the sample SERIES (name{labels}) in $SCRAPE, or "none".
value() {
	awk -v s="$1" 'index($0, s " ") == 1 { print $2; found = 1 } END { if (!found) print "none" }' \
		<<<"$SCRAPE"
}
# series NAME [KEY="VALUE"...]: NAME{...} with the container's labels, sorted by name as
# node_exporter writes them.
series() {
	local name=$1
	shift
	printf '%s{%s}' "$name" "$(printf '%s\n' "$@" "container=\"$ID\"" 'namespace="shop"' \
		'pod="web-7d4"' | LC_ALL=C sort | paste -sd, -)"
}
sc() { value "$(series octrace_syscalls_total "syscall=\"$1\"" "action=\"$2\"")"; }
# audit_count SYSCALL ACTION: the audit log's syscall events of SYSCALL with ACTION.
audit_count() {
	jq -r --arg s "$1" --arg a "$2" 'select(.event == "syscall" and .syscall == $s and .action == $a) | .tid' \
		"$LOGS/$ID.jsonl" | wc -l
}
torn=0
# settled: one scrape, and whether it shows the container's counts in full: the same as the
# audit log's, getpgid's 8. Counts files read whole ($torn: a file without its last line).
settled() {
	local f
	f=$(cat "$FILE" 2>/dev/null) || return 1
	[ "$(tail -n 1 <<<"$f" | cut -d'{' -f1)" = octrace_stop_seconds_count ] || torn=$((torn + 1))
	SCRAPE=$(scrape) || return 1
	[ "$(sc getpgid SCMP_ACT_ERRNO)" = 8 ] &&
		[ "$(sc getpgid SCMP_ACT_ERRNO)" = "$(audit_count getpgid SCMP_ACT_ERRNO)" ] &&
		[ "$(sc chdir SCMP_ACT_LOG)" = "$(audit_count chdir SCMP_ACT_LOG)" ] &&
		[ "$(value "$(series octrace_audit_events_total 'result="written"')")" = "$(wc -l <"$LOGS/$ID.jsonl")" ]
}

bundle m1 "${admin[@]}" "${pod[@]}" -- "${workload[@]}"
mkfifo "$ROOTFS/tmp/metrics.ready" "$ROOTFS/tmp/metrics.go" || exit 99
# both fifos held open here (read-write: opening never blocks): "go" waits in the pipe until
# the container reads it
exec {ready}<>"$ROOTFS/tmp/metrics.ready" {go}<>"$ROOTFS/tmp/metrics.go"
line=
if create_start "$ID" m1; then
	read -r -t 30 -u "$ready" line
fi
check "$RT: the container ran its syscalls and waits (\"$line\")" [ "$line" = ready ]
check "$RT: $ID.prom scraped with the audit log's counts (within 20 s)" until_ok 20 settled
echo "# scrape excerpt:"
grep '^octrace_syscalls_total\|^octrace_denials\|^octrace_stop_seconds\|^node_textfile_scrape_error' <<<"$SCRAPE" | diag
check "$RT: node_textfile_scrape_error 0 (the file parses), never 1" \
	[ "$(value node_textfile_scrape_error)" = 0 ]
check "$RT: getpgid SCMP_ACT_ERRNO: 8, as in the audit log" \
	[ "$(sc getpgid SCMP_ACT_ERRNO)" = 8 ] && [ "$(audit_count getpgid SCMP_ACT_ERRNO)" = 8 ]
check "$RT: mkdirat SCMP_ACT_ERRNO: 1, as in the audit log" \
	[ "$(sc mkdirat SCMP_ACT_ERRNO)" = 1 ] && [ "$(audit_count mkdirat SCMP_ACT_ERRNO)" = 1 ]
n_chdir=$(audit_count chdir SCMP_ACT_LOG)
check "$RT: chdir SCMP_ACT_LOG: $(sc chdir SCMP_ACT_LOG), the audit log's $n_chdir (>= 3)" \
	[ "$(sc chdir SCMP_ACT_LOG)" = "$n_chdir" ] && [ "$n_chdir" -ge 3 ]
n_denied=$(jq -r 'select(.event == "syscall" and .action == "SCMP_ACT_ERRNO") | .tid' "$LOGS/$ID.jsonl" | wc -l)
check "$RT: octrace_denials_total 9, the audit log's ERRNO events ($n_denied)" \
	[ "$(value "$(series octrace_denials_total)")" = 9 ] && [ "$n_denied" = 9 ]
n_syscalls=$(jq -r 'select(.event == "syscall") | .tid' "$LOGS/$ID.jsonl" | wc -l)
check "$RT: every acted-on stop timed: octrace_stop_seconds_count = $n_syscalls syscall events" \
	[ "$(value "$(series octrace_stop_seconds_count)")" = "$n_syscalls" ]
inf=$(series octrace_stop_seconds_bucket)
inf="${inf%\}},le=\"+Inf\"}" # node_exporter writes a bucket's "le" last
check "$RT: the histogram's +Inf bucket is its count" [ "$(value "$inf")" = "$n_syscalls" ]
check "$RT: audit events: written = the log's $(wc -l <"$LOGS/$ID.jsonl") lines, 0 suppressed" \
	[ "$(value "$(series octrace_audit_events_total 'result="suppressed"')")" = 0 ]
check "$RT: octrace_info has mode enforce" [ "$(value "$(series octrace_info 'mode="enforce"')")" = 1 ]
check "$RT: $ID.prom is 0644 in DIR, no temporary file beside it" \
	[ "$(stat -c %a "$FILE" 2>&1)" = 644 ] && [ "$(ls -A "$MDIR")" = "$ID.prom" ]
check "$RT: every read of the file was whole ($torn torn)" [ "$torn" = 0 ]

echo go >&"$go"
settle
exec {ready}<&- {go}<&-
check "$RT: the container ended, status 0" [ "$(log_status "$ID")" = 0 ]
rt delete --force "$ID" >/dev/null 2>&1
check "$RT: after the teardown $ID.prom is gone" [ ! -e "$FILE" ]
SCRAPE=$(scrape)
check "$RT: and node_exporter no longer shows the container" \
	[ "$(value "$(series octrace_info 'mode="enforce"')")" = none ] &&
	[ "$(value node_textfile_scrape_error)" = 0 ]

# The default directory, /run/octrace/metrics: readable by node_exporter's unprivileged user
# (here nobody) through /run/octrace, while the container runs; gone after.
ID3=metrics-$RT-3
bundle m3 "${admin[@]:0:2}" -- sh -c \
	'echo ready >/tmp/metrics.ready && read x </tmp/metrics.go; exit 0'
# both fifos held open here (read-write: opening never blocks): "go" waits in the pipe until
# the container reads it
exec {ready}<>"$ROOTFS/tmp/metrics.ready" {go}<>"$ROOTFS/tmp/metrics.go"
line=
if create_start "$ID3" m3; then
	read -r -t 30 -u "$ready" line
fi
# as_nobody_reads: uid 65534 reads the file whole
as_nobody_reads() {
	setpriv --reuid=65534 --regid=65534 --clear-groups cat "/run/octrace/metrics/$ID3.prom" 2>/dev/null |
		grep -q "^octrace_stop_seconds_count{container=\"$ID3\","
}
check "$RT, default --metrics-dir: /run/octrace/metrics/$ID3.prom readable by uid 65534 (\"$line\")" \
	until_ok 20 as_nobody_reads
echo go >&"$go"
settle
exec {ready}<&- {go}<&-
rt delete --force "$ID3" >/dev/null 2>&1
check "$RT, default --metrics-dir: the file is gone after the teardown" \
	[ ! -e "/run/octrace/metrics/$ID3.prom" ]

# A process that joins the container (octrace-runtime exec): octrace_joins_total is the audit
# log's join events, and its denied getpgid is counted.
if [ "$WRAPPER" = none ]; then
	check "$RT, joins: octrace-runtime (the test's 5th argument) was built" false
else
	ID4=metrics-$RT-4
	jq -n --arg rt "$RT" --arg hook "$HOOK" --arg policy "$TMP/policy.json" --arg logs "$LOGS" \
		--arg mdir "$MDIR" '{runtime: $rt, trace: "all", hook: {path: $hook,
			args: ["octrace-hook", "--policy", $policy, "--log-dir", $logs,
				"--audit-level", "traced", "--metrics-dir", $mdir]}}' >"$TMP/runtime.json"
	wenv=(env "OCTRACE_INTEG_TAG=$TAG" "OCTRACE_RUNTIME_CONFIG=$TMP/runtime.json")
	W_CMD=("$WRAPPER" "${RT_CMD[@]:1}")
	if [ "$RT" = crun ]; then
		W_CG_CMD=(unshare -m sh -c 'umount -l /sys/fs/cgroup &&
			mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh "${W_CMD[@]}")
	else
		W_CG_CMD=("${W_CMD[@]}")
	fi
	bundle m4 --no-hook -- sh -c 'echo ready >/tmp/metrics.ready && read x </tmp/metrics.go; exit 0'
	exec {ready}<>"$ROOTFS/tmp/metrics.ready" {go}<>"$ROOTFS/tmp/metrics.go"
	line=
	if "${wenv[@]}" timeout -k 5 60 "${W_CG_CMD[@]}" create --bundle "$TMP/m4" "$ID4" \
		>"$TMP/m4/out" 2>"$TMP/m4/err" </dev/null &&
		"${wenv[@]}" timeout -k 5 60 "${W_CMD[@]}" start "$ID4" 2>>"$TMP/m4/err"; then
		read -r -t 30 -u "$ready" line
	fi
	"${wenv[@]}" timeout -k 5 60 "${W_CMD[@]}" exec "$ID4" /bin/integ-prog probe 5 \
		>"$TMP/m4/exec.out" 2>&1 </dev/null
	st=$?
	check "$RT, joins: the exec'd probe was denied (status $st, \"$line\")" [ "$st" = 5 ] &&
		[ "$(cat "$TMP/m4/exec.out")" = "getpgid: -1 errno 42
mkdirat: -1 errno 13" ]
	# joined: the file shows the join and the probe's getpgid, as the audit log does
	joined() {
		local f
		f=$(cat "$MDIR/$ID4.prom" 2>/dev/null) || return 1
		[ "$(sed -n 's/^octrace_joins_total{.*} //p' <<<"$f")" = 1 ] &&
			[ "$(sed -n 's/^octrace_syscalls_total{.*,syscall="getpgid",action="SCMP_ACT_ERRNO"} //p' <<<"$f")" = 1 ] &&
			[ "$(grep -c '"event":"join"' "$LOGS/$ID4.jsonl")" = 1 ]
	}
	check "$RT, joins: octrace_joins_total 1, the audit log's one join; its getpgid counted" \
		until_ok 20 joined
	echo go >&"$go"
	settle
	exec {ready}<&- {go}<&-
	rt delete --force "$ID4" >/dev/null 2>&1
	check "$RT, joins: the file is gone after the teardown" [ ! -e "$MDIR/$ID4.prom" ]
fi

# --metrics-dir none: no file anywhere the hook could have written one
bundle m2 "${admin[@]}" --hook-arg=--metrics-dir=none -- /bin/integ-prog probe 0
run "metrics-$RT-2" m2
check "$RT, --metrics-dir none: the container ran (status $status), no file" \
	[ "$status" = 0 ] && [ -z "$(ls -A "$MDIR")" ] && [ ! -e "/run/octrace/metrics/metrics-$RT-2.prom" ]
stop_exporter
check "$RT: nothing left" clean
finish
