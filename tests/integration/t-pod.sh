#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Kubernetes pods in the audit log (issue 12): a bundle carrying the annotations containerd's
# CRI plugin writes (io.kubernetes.cri.sandbox-name, -namespace, -uid, container-name,
# image-name) gets "pod", "namespace", "pod_uid", "container_name" and "image" on every line
# of ID.jsonl, every line valid; the same from CRI-O's keys (io.kubernetes.pod.name, ...). A
# pod's sandbox (container-type sandbox) is enforced as any container but audited at level
# denied (no syscall event of its allowed-but-traced calls), unless the admin passes
# --audit-sandbox. A bundle without them has none of the keys.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup
command -v jq >/dev/null || skip_all "jq is not installed (apt-get install jq)"

admin=(--hook-arg=--policy="$POLICIES/deny.json" --hook-arg=--audit-level=traced)
ctd=(--annotation io.kubernetes.cri.sandbox-name=web-7d4
	--annotation io.kubernetes.cri.sandbox-namespace=shop
	--annotation io.kubernetes.cri.sandbox-uid=0f1e2d3c-aaaa-bbbb-cccc-000000000001
	--annotation io.kubernetes.cri.container-name=nginx
	--annotation io.kubernetes.cri.image-name=localhost/octrace-bb:latest)
crio=(--annotation io.kubernetes.pod.name=api-1 --annotation io.kubernetes.pod.namespace=prod
	--annotation io.kubernetes.container.name=app
	--annotation io.kubernetes.cri-o.ImageName=localhost/app:1)

# labels ID: the distinct "pod namespace pod_uid container_name image" of ID.jsonl's lines,
# and how many lines lack one
labels() {
	jq -r '[.pod, .namespace, .pod_uid, .container_name, .image] | map(. // "-") | join(" ")' \
		"$LOGS/$1.jsonl" | sort | uniq -c | awk '{ $1 = $1 } 1'
}
valid() {
	[ ! -x "${AUDIT_VALIDATE:-}" ] && return 0
	"$AUDIT_VALIDATE" "$LOGS/$1.jsonl" >/dev/null 2>&1
}

bundle p-ctd "${admin[@]}" "${ctd[@]}" -- /bin/integ-prog probe 3
run p-ctd p-ctd
n=$(wc -l <"$LOGS/p-ctd.jsonl")
got=$(labels p-ctd)
if [ "$status" = 3 ] && [ "$got" = "$n web-7d4 shop 0f1e2d3c-aaaa-bbbb-cccc-000000000001 nginx localhost/octrace-bb:latest" ] &&
	valid p-ctd && [ "$(jq -r 'select(.event == "syscall") | .syscall' "$LOGS/p-ctd.jsonl" | sort -u | tr '\n' ' ')" = "getpgid mkdirat " ]; then
	ok "containerd's annotations: pod, namespace, pod_uid, container_name, image on all $n lines, valid"
else
	not_ok "containerd's annotations: pod, namespace, pod_uid, container_name, image on every line (status $status)"
	echo "# $got ($n lines)"
fi

bundle p-crio "${admin[@]}" "${crio[@]}" -- /bin/integ-prog probe 3
run p-crio p-crio
n=$(wc -l <"$LOGS/p-crio.jsonl")
got=$(labels p-crio)
[ "$status" = 3 ] && [ "$got" = "$n api-1 prod - app localhost/app:1" ] && valid p-crio
check "CRI-O's annotations: pod, namespace, container_name, image on all $n lines ($got)" [ $? = 0 ]

# the sandbox: denied-level audit (the probe's getpgid and mkdirat are denials: still there;
# exec, clone... lifecycle events of level traced are not)
bundle p-pause "${admin[@]}" "${ctd[@]}" --annotation io.kubernetes.cri.container-type=sandbox \
	-- /bin/integ-prog probe 3
run p-pause p-pause
bundle p-pause-all "${admin[@]}" --hook-arg=--audit-sandbox "${ctd[@]}" \
	--annotation io.kubernetes.cri.container-type=sandbox -- /bin/integ-prog probe 3
run p-pause-all p-pause-all
lvl=$(jq -r 'select(.event == "attach") | .level' "$LOGS/p-pause.jsonl")
lvl2=$(jq -r 'select(.event == "attach") | .level' "$LOGS/p-pause-all.jsonl")
den=$(jq -r 'select(.event == "syscall") | .syscall' "$LOGS/p-pause.jsonl" | sort -u | tr '\n' ' ')
check "sandbox container: audited at level denied (its denials kept: $den), traced with --audit-sandbox" \
	[ "$lvl" = denied ] && [ "$lvl2" = traced ] && [ "$den" = "getpgid mkdirat " ]

bundle p-none "${admin[@]}" -- /bin/integ-prog probe 3
run p-none p-none
check "no pod annotations: no pod keys" [ "$(jq -r 'select(.pod or .namespace or .image) | .event' "$LOGS/p-none.jsonl" | wc -l)" = 0 ]
check "nothing left" clean
finish
