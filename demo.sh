#!/usr/bin/env bash
# Install octrace's build dependencies on Debian 12, build it, and trace a demo command
# under deploy/policies/example.json, printing the summary of what the policy acted on.
# Run as root.
set -euo pipefail
cd "$(dirname "$0")"

export DEBIAN_FRONTEND=noninteractive
deps=(meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libyajl-dev libcap-dev)
missing=()
for p in "${deps[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "== octrace run --policy deploy/policies/example.json --summary -- sh -c '...'"
set +e
build/tracer/octrace run --policy deploy/policies/example.json --summary -- sh -c "
	echo 'hello from a traced shell'
	mkdir '$dir/denied' || echo 'mkdir was denied by the policy (EACCES), as expected'
	uname -sr
	exit 3"
echo "== exit status: $? (the command's own)"
