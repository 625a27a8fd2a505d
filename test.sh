#!/usr/bin/env bash
# Install what octrace needs on Debian 12, build it (plain and with ASan+UBSan), run the whole
# test suite in both builds, and print `N passed, N failed[, N skipped]` as the last line.
# Run as root: the tracer and integration tests trace real programs and containers.
set -uo pipefail
cd "$(dirname "$0")"

DEPS=(meson ninja-build pkg-config gcc libc6-dev python3 libseccomp-dev libyajl-dev
      libcap-dev strace busybox-static runc crun golang-go jq python3-jsonschema podman containerd
      python3-grpcio python3-protobuf prometheus-node-exporter)

install_deps() {
	local missing=()
	for p in "${DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # DIR [meson options...]
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null || return 1
	ninja -C "$dir" >/dev/null
}

run_suite() { # DIR
	meson test -C "$1" --no-rebuild --print-errorlogs --num-processes 2 >"$1/test-output.txt" 2>&1
	local rc=$?
	grep -E '^ *[0-9]+/[0-9]+ ' "$1/test-output.txt" || cat "$1/test-output.txt"
	return $rc
}

count() { # DIR... -> "passed failed skipped"
	python3 - "$@" <<'PY'
import json, sys
p = f = s = 0
for d in sys.argv[1:]:
    try:
        lines = open(d + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        f += 1
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
print(p, f, s)
PY
}

install_deps || { echo "test.sh: installing build dependencies failed"; echo "0 passed, 1 failed"; exit 1; }
builds=()
for spec in "build" "build-asan -Db_sanitize=address,undefined -Db_lundef=false"; do
	read -r dir opts <<<"$spec"
	# shellcheck disable=SC2086
	if ! build "$dir" $opts; then
		echo "test.sh: build in $dir failed"
		mkdir -p "$dir/meson-logs"; : >"$dir/meson-logs/testlog.json"
		echo '{"name": "build '"$dir"'", "result": "FAIL"}' >"$dir/meson-logs/testlog.json"
		builds+=("$dir")
		continue
	fi
	echo "== $dir"
	run_suite "$dir"
	builds+=("$dir")
done
read -r passed failed skipped <<<"$(count "${builds[@]}")"
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
