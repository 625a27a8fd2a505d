#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Annotations are the container creator's, not the admin's: a path given as
# org.octrace.policy or org.octrace.log is refused, the container does not start, and nothing
# is written outside the admin's log dir. The traps are real: the log dir is $TMP/a/b/logs and
# the policy dir $TMP/a/b/policies, so "../../etc/x" would land on $TMP/a/etc/x(.json|.log),
# where a valid allow-everything policy waits to be picked; "/etc/shadow" and "/etc/x" are
# the host's. Then the same annotations with plain names work: org.octrace.policy=deny
# enforces DIR/deny.json, org.octrace.log=NAME writes LOGDIR/@NAME.log (the admin passes
# --allow-log-name); without --allow-log-name, org.octrace.log is refused.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup

logdir=$TMP/a/b/logs
pdir=$TMP/a/b/policies
mkdir -p "$logdir" "$pdir" "$TMP/a/etc"
cp "$POLICIES/deny.json" "$pdir/deny.json"
printf '{"defaultAction": "SCMP_ACT_ALLOW"}\n' >"$TMP/a/etc/x.json"
admin=(--hook-arg=--log-dir="$logdir" --hook-arg=--policy-dir="$pdir" --hook-arg=--allow-log-name)

# What may not change: everything under $TMP/a but the log dir, the host's /etc, the names in /.
snapshot() {
	find "$TMP/a" -path "$logdir" -prune -o -printf '%p %s %T@\n' | sort
	ls -a --full-time /etc | sed 1d
	ls -a /
	stat -c '%n %s %Y %Z' /etc/shadow
	sha256sum /etc/shadow
}

k=0
refused() { # ANNOTATION VALUE WHAT
	local id name good=true before after
	k=$((k + 1))
	id=p$k
	name=$id
	bundle "$name" "${admin[@]}" --annotation "$1=$2" -- sh -c "touch /marker-$id; exit 0"
	before=$(snapshot)
	run "$id" "$name"
	after=$(snapshot)
	[ "$status" != 0 ] || { echo "# $RT run exited 0"; good=false; }
	[ ! -e "$ROOTFS/marker-$id" ] || { echo "# the entrypoint ran"; good=false; }
	hook_error "$name" | grep -q "octrace-hook: annotation $1: refused: \"$2\" is not a $3 name" ||
		{ echo "# the runtime's error output lacks the hook's refusal"; good=false; }
	if [ "$before" != "$after" ]; then
		echo "# something changed outside the log dir:"
		diff <(echo "$before") <(echo "$after") | diag
		good=false
	fi
	for f in /etc/x /etc/x.log /etc/x.json /etc/shadow.log /etc/shadow.json "$TMP/a/etc/x.log" \
		"$TMP/a/etc/shadow.log" "$TMP/a/b/etc" "$TMP/a/x.log" "$TMP/etc"; do
		[ ! -e "$f" ] || { echo "# $f exists"; good=false; }
	done
	if $good; then
		ok "$RT, $1=$2: refused, not started, nothing written outside the log dir"
	else
		not_ok "$RT, $1=$2: refused, not started, nothing written outside the log dir"
		show "$TMP/$name/err" "$TMP/$name/hook.err"
	fi
	check "$RT, $1=$2: nothing left" clean
}

for value in ../../etc/x /etc/shadow /etc/x ../x ./deny deny/../deny ..; do
	refused org.octrace.policy "$value" policy
done
for value in ../../etc/x /etc/shadow /etc/x ../x ..; do
	refused org.octrace.log "$value" log
done

# Plain names are what the annotations are for.
bundle named "${admin[@]}" --annotation org.octrace.policy=deny \
	--annotation org.octrace.log=my-ctr.1 -- \
	sh -c 'touch /marker-named; /bin/integ-prog probe 4'
run p-named named
clean_ok=true
clean || clean_ok=false
if [ "$status" = 4 ] && [ -e "$ROOTFS/marker-named" ] &&
	grep -qx 'getpgid: -1 errno 42' "$TMP/named/out" && [ -f "$logdir/@my-ctr.1.log" ] &&
	[ ! -e "$logdir/p-named.log" ] && [ ! -e "$logdir/my-ctr.1.log" ] &&
	grep -q 'octrace: container p-named: init exited, status 4$' "$logdir/@my-ctr.1.log"; then
	ok "$RT, org.octrace.policy=deny and org.octrace.log=my-ctr.1: enforced, logged to @my-ctr.1.log"
else
	not_ok "$RT, org.octrace.policy=deny and org.octrace.log=my-ctr.1: enforced, logged to @my-ctr.1.log"
	show "$TMP/named/out" "$TMP/named/err" "$TMP/named/hook.err"
	ls -la "$logdir" | diag
fi
check "$RT, plain names: nothing left" $clean_ok

# A name needs the admin's --policy-dir: without one the annotation is refused too.
bundle nodir --annotation org.octrace.policy=deny -- sh -c 'touch /marker-nodir; exit 0'
run p-nodir nodir
check "$RT, org.octrace.policy without --policy-dir: refused, not started" \
	[ "$status" != 0 -a ! -e "$ROOTFS/marker-nodir" ]
hook_error nodir | grep -q 'refused: no --policy-dir' ||
	{ echo "# no refusal in the runtime's output"; show "$TMP/nodir/err" "$TMP/nodir/hook.err"; }
check "$RT, no --policy-dir: nothing left" clean

# Naming the log is the admin's to allow: without --allow-log-name the start fails.
bundle noallow --annotation org.octrace.log=mine -- sh -c 'touch /marker-noallow; exit 0'
run p-noallow noallow
check "$RT, org.octrace.log without --allow-log-name: refused, not started" \
	[ "$status" != 0 -a ! -e "$ROOTFS/marker-noallow" ]
check "$RT, org.octrace.log without --allow-log-name: the refusal in the runtime's output" \
	hook_error_has noallow 'annotation org.octrace.log: refused: naming the log is not allowed by the admin (--allow-log-name)'
check "$RT, org.octrace.log without --allow-log-name: no log of that name" \
	[ ! -e "$LOGS/@mine.log" -a ! -e "$LOGS/mine.log" ]
check "$RT, --allow-log-name not given: nothing left" clean
finish
