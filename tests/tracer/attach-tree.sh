#!/bin/bash
# octrace attach --arm-now takes a whole process tree (issue 9, cases 4 and 5): PID and every
# descendant, existing or forked while it attaches; it injects the filter into every thread
# group of that tree and into nothing else; a tree holding a seccomp listener is refused.
# P denies getppid (any arguments) with EPERM. The tree is attachtree (tests/tracees): each of
# its threads waits for EOF on stdin (the gate), then probes getppid and prints the result.
#   a) growing tree, attached at random moments (ATTACH_TREE_RUNS times, default 50): once
#      octrace has written its `armed` event (audit log on a fifo), the gate closes and every
#      thread of every process gets EPERM, or the attach failed closed (125, one line on
#      stderr, no task left in a tracing stop or traced). Counts of both are reported.
#   b) a quiescent tree of 200 children and their grandchildren, some multi-threaded, some
#      children forked by a non-leader thread: every task is traced by octrace and has one
#      more seccomp filter than before, the `attach` event's threads and processes are what
#      /proc says, every thread gets EPERM.
#   c) a target (or its child) holding a seccomp user-notification listener: attach fails
#      closed (125, one line naming the listener), the tree is left untraced, unfiltered and
#      running.
#   d) after (a): a sibling of the targets (not a descendant) and the targets' parent (this
#      shell) have the seccomp filters they had before.
# Synchronisation: fifos (the gate, the output, the audit log); timeouts are outer guards.
. "$(dirname "$0")/lib.sh"

RUNS=${ATTACH_TREE_RUNS:-50}
GROW_CAP=${ATTACH_TREE_CAP:-150}   # children per forker thread (two forkers)
GROW_PACE=${ATTACH_TREE_PACE_US:-0} # microseconds between two forks of one forker
GROW_MEM=${ATTACH_TREE_MEM_MB:-64} # touched memory of the target (slower forks)
PG=$T/getppid-eperm.json
cat >"$PG" <<'EOF'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}
EOF

# status_field PATH KEY: a field of a /proc status file ('' if gone).
status_field() {
	local k v
	while read -r k v; do
		[ "$k" = "$2:" ] && echo "$v" && return
	done <"$1" 2>/dev/null
}

# tree_pids PID: PID and every descendant (children of every thread), depth first.
tree_pids() {
	local t c
	echo "$1"
	for t in /proc/"$1"/task/*; do
		for c in $(<"$t/children"); do
			tree_pids "$c"
		done
	done 2>/dev/null
}

# tree_tasks PID: "pid tid Seccomp_filters" for every task of the tree.
tree_tasks() {
	local p t
	for p in $(tree_pids "$1"); do
		for t in /proc/"$p"/task/*; do
			echo "$p ${t##*/} $(status_field "$t/status" Seccomp_filters)"
		done
	done
}

# ours_but SIBLING: the processes of this test still running, but SIBLING ("pid state").
# No external command runs meanwhile (it would carry the tag and be listed itself).
ours_but() {
	local p st
	while read -r p st; do
		[ "$p" = "$1" ] || echo "$p $st"
	done < <(_ours)
}

# holds_listener PID: PID has a seccomp user-notification fd open.
holds_listener() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:seccomp notify" ] && return 0
	done
	return 1
}

# no_leftovers DESC: nothing this test started is left but the sibling (2 s to go); what is
# left is killed.
no_leftovers() {
	local left tries=10 p
	while left=$(ours_but "${SIB:-0}"); [ -n "$left" ]; do
		tries=$((tries - 1))
		[ "$tries" = 0 ] && break
		sleep 0.2
	done
	if [ -z "$left" ]; then
		[ -n "${1:-}" ] && pass "$1"
		return 0
	fi
	fail "${1:-nothing left behind}"
	diag "left running (pid state): $left"
	diag "$(while read -r p _; do echo "$p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done <<<"$left")"
	while read -r p _; do
		kill -KILL "$p" 2>/dev/null
	done <<<"$left"
	return 1
}

# start_octrace PID [SECS]: `octrace attach --arm-now --policy P --audit FIFO PID` in the background,
# through a wrapper subshell that writes "octrace-pid N" and then "octrace-exit STATUS" into
# the same fifo and exits with octrace's status. Reads the fifo until the `armed` event or
# octrace's exit. Sets WPID (the wrapper), OPID, ATTACH_EV (the attach event's line), ARMED
# (1 if armed), OEXIT (octrace's status if it exited, else ''). When armed, the rest of the
# log is drained into $T/audit.rest by DPID. SECS (default TMO) guards the wait for a line.
start_octrace() {
	local line
	ATTACH_EV='' ARMED=0 OEXIT='' OPID='' DPID=''
	rm -f "$T/audit" "$T/audit.rest"
	mkfifo "$T/audit" || bail "mkfifo"
	exec 5<>"$T/audit" # never blocks; the wrapper's marker ends the reading
	(
		trap - EXIT
		"$OCTRACE" attach --arm-now --policy "$PG" --audit "$T/audit" "$1" \
			2>"$T/attach.err" 5>&- &
		o=$!
		echo "octrace-pid $o" >&5
		wait "$o"
		st=$?
		echo "octrace-exit $st" >&5
		exit "$st"
	) 3>&- 4<&- &
	WPID=$!
	_bg+=("$WPID")
	while IFS= read -r -t "${2:-$TMO}" -u 5 line; do
		case $line in
		"octrace-pid "*) OPID=${line#octrace-pid } ;;
		"octrace-exit "*)
			OEXIT=${line#octrace-exit }
			break
			;;
		*'"event":"attach"'*) ATTACH_EV=$line ;;
		*'"event":"armed"'*)
			ARMED=1
			break
			;;
		esac
	done
	if [ "$ARMED" = 1 ]; then
		sed '/^octrace-exit /q' <&5 5<&- 3>&- 4<&- >"$T/audit.rest" &
		DPID=$!
		_bg+=("$DPID")
	fi
	exec 5<&-
}

# finish_octrace [SECS]: wait for octrace (through its wrapper); ST, TIMED_OUT as await.
finish_octrace() {
	local st timed
	await "$WPID" "${1:-$TMO}"
	[ "$TIMED_OUT" = 1 ] && [ -n "$OPID" ] && kill -KILL "$OPID" 2>/dev/null
	if [ -n "$DPID" ]; then
		st=$ST timed=$TIMED_OUT
		# the wrapper wrote its marker, where the drain stops: let it copy the rest (killed
		# while it copies, it cut the log short: a flake under load). Killed only when the
		# wrapper was, and the marker may never come.
		[ "$timed" = 1 ] && kill "$DPID" 2>/dev/null
		await "$DPID" "${1:-$TMO}"
		ST=$st TIMED_OUT=$timed
	fi
}

# drain_output FILE [SECS]: close the gate (EOF on every member's stdin) and collect the
# tree's stdout until every process is gone (EOF), with an outer guard (default TMO); false
# if the guard fired.
drain_output() {
	local st
	exec 3>&-
	timeout -k 5 "${2:-$TMO}" cat <&4 >"$1"
	st=$?
	exec 4<&-
	[ "$st" != 124 ] && [ "$st" != 137 ]
}

# tree_verdict FILE TARGET: "procs threads children probes bad target_bad lost mismatched
# full" from the tree's output: `end` lines (processes, their threads, their children),
# probe lines (all, not EPERM, the target's not EPERM), `lost` children, processes whose
# number of probe lines is not their number of threads, and whether the forkers got full.
tree_verdict() {
	awk -v target="$2" '
		$1 == "probe" { n[$2]++; probes++; if ($4 != -1) { bad++; if ($2 == target) tbad++ } }
		$1 == "end" { procs++; threads += $3; kids += $4; want[$2] = $3 }
		$1 == "lost" { lost++ }
		$1 == "full" { full = 1 }
		END {
			for (p in want) if (n[p] != want[p]) mism++
			for (p in n) if (!(p in want)) mism++
			if (!(target in want)) mism++
			printf "%d %d %d %d %d %d %d %d %d\n", procs, threads, kids, probes, bad,
				tbad, lost, mism, full
		}' "$1"
}

# tree_ok VERDICT: every process ended, reaped by its parent, every thread probed, all EPERM.
tree_ok() {
	local procs threads kids probes bad tbad lost mism full
	read -r procs threads kids probes bad tbad lost mism full <<<"$1"
	[ "$procs" -gt 0 ] && [ "$kids" = $((procs - 1)) ] && [ "$probes" = "$threads" ] &&
		[ "$bad" = 0 ] && [ "$lost" = 0 ] && [ "$mism" = 0 ]
}

tree_describe() {
	local procs threads kids probes bad tbad lost mism full
	read -r procs threads kids probes bad tbad lost mism full <<<"$1"
	echo "$procs processes ($kids reaped by their parent), $threads threads, $probes probes:" \
		"$((probes - bad)) EPERM, $bad not EPERM (target: $tbad); $lost children lost," \
		"$mism processes with a wrong number of probes"
}

# failed_closed DESC: octrace exited 125 with one line on stderr and left no task of ours in a
# tracing stop or traced.
failed_closed() {
	local err lines bad='' p ours files
	err=$(<"$T/attach.err")
	lines=$(grep -c '' <<<"$err")
	[ -z "$err" ] && lines=0
	ours=$(ours_but "${SIB:-0}")
	files=()
	while read -r p _; do
		[ -n "$p" ] && files+=(/proc/"$p"/task/*/stat /proc/"$p"/task/*/status)
	done <<<"$ours"
	# one pass over every task's stat (tid, state) and status (Pid, TracerPid)
	[ "${#files[@]}" -gt 0 ] && bad=$(cat "${files[@]}" 2>/dev/null | awk '
		/^Pid:/ { tid = $2 }
		/^TracerPid:/ && $2 != 0 { printf "task %s: TracerPid %s; ", tid, $2 }
		/^[0-9]+ \(/ { line = $0; sub(/.*\) /, "", line); split(line, f, " ")
			if (f[1] == "t") printf "task %s: state t; ", $1 }' | head -c 600)
	if [ "$OEXIT" = 125 ] && [ "$lines" = 1 ] && [ -z "$bad" ]; then
		pass "$1"
		return 0
	fi
	fail "$1"
	diag "octrace exit $OEXIT, $lines lines on stderr: $err"
	[ -n "$bad" ] && diag "$bad"
	return 1
}

# ------------------------------------------------------------------------------------------
# (a) a growing tree, attached at random moments; (d) a sibling outside it.
"$B/attachtree" idle </dev/null >/dev/null 3>&- 4<&- &
SIB=$!
_bg+=("$SIB")
sib_before=$(status_field /proc/$SIB/status Seccomp_filters)
self_before=$(status_field /proc/$$/status Seccomp_filters)

enforced=0 closed=0 growing=0 bad_runs=0 max_procs=0 hung=0 runs_done=0
GUARD=20 # seconds, per wait of one run (a run takes well under a second)
t0=$(date +%s%N)
for run in $(seq "$RUNS"); do
	if [ "$hung" -ge 2 ]; then
		fail "grow: $hung runs hung; the remaining $((RUNS - run + 1)) runs are not attempted"
		break
	fi
	runs_done=$run
	ready_at=$((RANDOM % GROW_CAP))
	spawn "$B/attachtree" grow "$GROW_CAP" "$ready_at" "$GROW_PACE" "$GROW_MEM"
	line=''
	get_line line
	PID=${line#ready }
	if [ "$PID" != "$SPAWN_PID" ]; then
		fail "grow run $run: attachtree did not start: '$line'"
		bad_runs=$((bad_runs + 1))
		exec 3>&- 4<&-
		await "$SPAWN_PID" 10
		no_leftovers
		continue
	fi
	start_octrace "$PID" "$GUARD"
	if [ "$ARMED" = 1 ]; then
		drain_output "$T/tree.out" "$GUARD"
		drained=$?
		verdict=$(tree_verdict "$T/tree.out" "$PID")
		# a tree that never ended: octrace would not either (EXITKILL ends the tree)
		[ "$drained" != 0 ] && kill -KILL "$OPID" 2>/dev/null
		finish_octrace "$GUARD"
		ost=$ST/$TIMED_OUT
		[ "$drained" != 0 ] || [ "$TIMED_OUT" = 1 ] && hung=$((hung + 1))
		await "$PID" 10
		read -r procs _ _ _ _ _ _ _ full <<<"$verdict"
		[ "$procs" -gt "$max_procs" ] && max_procs=$procs
		[ "${ATTACH_TREE_VERBOSE:-0}" = 1 ] &&
			diag "run $run: ready at $ready_at, attach event threads $(jq -r .threads <<<"$ATTACH_EV")," \
				"processes $(jq -r .processes <<<"$ATTACH_EV"); verdict $verdict"
		if tree_ok "$verdict" && [ "$ost" = 0/0 ]; then
			enforced=$((enforced + 1))
			[ "$full" = 0 ] && growing=$((growing + 1))
			pass "grow run $run (armed at $ready_at+ children): every thread of the tree gets EPERM"
		else
			bad_runs=$((bad_runs + 1))
			fail "grow run $run (armed at $ready_at+ children): every thread of the tree gets EPERM"
			diag "$(tree_describe "$verdict")"
			diag "attach event: $ATTACH_EV"
			diag "octrace exit/timed out: $ost, stderr: $(<"$T/attach.err")"
		fi
	elif [ -n "$OEXIT" ]; then
		if failed_closed "grow run $run (attach at $ready_at+ children): failed closed"; then
			closed=$((closed + 1))
		else
			bad_runs=$((bad_runs + 1))
		fi
		drain_output "$T/tree.out" "$GUARD"
		drained=$?
		[ "$drained" != 0 ] && kill -KILL "$OPID" 2>/dev/null
		finish_octrace "$GUARD"
		[ "$drained" != 0 ] || [ "$TIMED_OUT" = 1 ] && hung=$((hung + 1))
		await "$PID" 10
	else
		bad_runs=$((bad_runs + 1)) hung=$((hung + 1))
		fail "grow run $run: octrace neither armed nor exited within ${GUARD}s"
		kill -KILL "$OPID" 2>/dev/null
		drain_output "$T/tree.out" "$GUARD"
		finish_octrace 10
		await "$PID" 10
	fi
	no_leftovers || bad_runs=$((bad_runs + 1))
done
secs=$((($(date +%s%N) - t0) / 1000000))
diag "grow: $runs_done runs in ${secs} ms: $enforced enforced ($growing of them with the tree still" \
	"growing when octrace reported armed), $closed failed closed, $bad_runs wrong;" \
	"largest tree $max_procs processes"
is "$((enforced + closed))" "$RUNS" "grow: every one of $RUNS runs ended enforced or failed closed ($enforced enforced, $closed failed closed)"

# (d) injection only into the armed tree
is "$(status_field /proc/$SIB/status Seccomp_filters)" "$sib_before" \
	"a sibling of the targets (not a descendant) got no filter"
is "$(status_field /proc/$SIB/status TracerPid)" 0 "the sibling is not traced"
is "$(status_field /proc/$$/status Seccomp_filters)" "$self_before" \
	"the targets' parent (this shell) got no filter"
{
	kill -KILL "$SIB"
	wait "$SIB"
} 2>/dev/null # no "Killed" job report
SIB=0

# ------------------------------------------------------------------------------------------
# (b) a quiescent tree: 200 children, grandchildren, threads.
spawn "$B/attachtree" tree 200
line=''
get_line line 60
PID=${line#ready }
if [ "$PID" = "$SPAWN_PID" ]; then
	tree_tasks "$PID" >"$T/before"
	nprocs=$(cut -d' ' -f1 "$T/before" | sort -u | wc -l)
	nthreads=$(wc -l <"$T/before")
	diag "tree: $nprocs processes, $nthreads threads (counted in /proc before the attach)"
	t0=$(date +%s%N)
	start_octrace "$PID" 30
	ok $((1 - ARMED)) "tree: attach --arm-now arms (the armed event)" \
		"octrace exit ${OEXIT:-?}, stderr: $(<"$T/attach.err")"
	if [ "$ARMED" = 1 ]; then
		secs=$((($(date +%s%N) - t0) / 1000000))
		diag "tree: armed ${secs} ms after octrace started"
		is "$(jq -r .threads <<<"$ATTACH_EV")" "$nthreads" "tree: the attach event's threads is every task of the tree"
		is "$(jq -r .processes <<<"$ATTACH_EV")" "$nprocs" "tree: the attach event's processes is every thread group of the tree"
		tree_tasks "$PID" >"$T/after"
		is "$(cut -d' ' -f1,2 "$T/after")" "$(cut -d' ' -f1,2 "$T/before")" \
			"tree: the same tasks after the attach"
		untraced=0 unfiltered=0 ex_tr='' ex_f=''
		while read -r p t f; do
			tr=$(status_field "/proc/$p/task/$t/status" TracerPid)
			now=$(status_field "/proc/$p/task/$t/status" Seccomp_filters)
			if [ "$tr" != "$OPID" ]; then
				untraced=$((untraced + 1))
				[ "$untraced" -le 3 ] && ex_tr+="task $t of $p: TracerPid $tr; "
			fi
			if [ "$now" != $((f + 1)) ]; then
				unfiltered=$((unfiltered + 1))
				[ "$unfiltered" -le 3 ] && ex_f+="task $t of $p: Seccomp_filters $f -> $now; "
			fi
		done <"$T/before"
		is "$untraced" 0 "tree: every task of the tree is traced by octrace (TracerPid $OPID)" ||
			diag "e.g. $ex_tr"
		is "$unfiltered" 0 "tree: every task of the tree has exactly one more seccomp filter" ||
			diag "e.g. $ex_f"
		drain_output "$T/tree.out" 30 || kill -KILL "$OPID" 2>/dev/null
		verdict=$(tree_verdict "$T/tree.out" "$PID")
		tree_ok "$verdict"
		ok $? "tree: every thread of every process gets EPERM" "$(tree_describe "$verdict")"
		read -r procs threads _ <<<"$verdict"
		is "$procs/$threads" "$nprocs/$nthreads" "tree: every process and thread counted before the attach probed"
		finish_octrace 30
		is "$ST/$TIMED_OUT" 0/0 "tree: octrace exits with the target's status" ||
			diag "stderr: $(<"$T/attach.err")"
		if [ -n "$AUDIT_VALIDATE" ]; then
			{ printf '%s\n' "$ATTACH_EV"; grep -v '^octrace-' "$T/audit.rest"; } >"$T/audit.jsonl"
			run "$AUDIT_VALIDATE" "$T/audit.jsonl"
			ok "$ST" "tree: the audit log is valid" "$OUT $ERR"
		fi
	else
		drain_output "$T/tree.out" 30 || kill -KILL "$OPID" 2>/dev/null
		finish_octrace 30
	fi
	await "$PID" 30
else
	fail "tree: attachtree did not start: '$line'"
	exec 3>&- 4<&-
fi
no_leftovers "tree: nothing left behind"

# ------------------------------------------------------------------------------------------
# (c) a seccomp user-notification listener in the tree: refused, the tree left alone.
for who in self child; do
	spawn "$B/attachtree" listener "$who"
	line=''
	get_line line
	PID=${line#ready }
	if [ "$PID" != "$SPAWN_PID" ]; then
		fail "listener ($who): attachtree did not start: '$line'"
		exec 3>&- 4<&-
		no_leftovers
		continue
	fi
	tree_tasks "$PID" >"$T/before"
	start_octrace "$PID"
	if [ "$ARMED" = 1 ]; then
		fail "listener ($who): attach fails closed (exit 125)"
		diag "octrace armed the tree; attach event: $ATTACH_EV"
	elif [ -n "$OEXIT" ]; then
		failed_closed "listener ($who): attach fails closed (exit 125, one line, nothing stopped or traced)"
		grep -qiE 'listener|notif' "$T/attach.err"
		ok $? "listener ($who): the line names the listener" "stderr: $(<"$T/attach.err")"
		tree_tasks "$PID" >"$T/after"
		is "$(<"$T/after")" "$(<"$T/before")" "listener ($who): the same tasks, no filter added"
	else
		fail "listener ($who): octrace neither armed nor exited within ${TMO}s"
		kill -KILL "$OPID" 2>/dev/null
	fi
	# running: each process answers SIGUSR1, the listener still works, nothing is denied
	holders=0
	alive=0
	for p in $(cut -d' ' -f1 "$T/before" | sort -u); do
		n=0
		holds_listener "$p" && n=2 holders=$((holders + 1))
		kill -USR1 "$p"
		line=''
		get_line line 10
		ppid=$(status_field /proc/"$p"/status PPid)
		if [ "$line" = "alive $p notify=$ppid deny=$ppid answered=$n" ]; then
			alive=$((alive + 1))
		else
			diag "process $p: '$line', expected 'alive $p notify=$ppid deny=$ppid answered=$n'"
		fi
	done
	is "$holders" 1 "listener ($who): one process of the tree holds the listener fd"
	is "$alive" "$(cut -d' ' -f1 "$T/before" | sort -u | wc -l)" \
		"listener ($who): every process still runs, its listener answers, nothing is denied"
	drain_output "$T/tree.out"
	finish_octrace
	await "$PID" 10
	is "$ST/$TIMED_OUT" 0/0 "listener ($who): the target exits by itself with 0"
	no_leftovers "listener ($who): nothing left behind"
done

finish
