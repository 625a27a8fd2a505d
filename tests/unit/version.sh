#!/bin/bash
# version.sh VERSION PROGRAM...: each program's --version is two lines, "NAME VERSION" and
# "libseccomp X.Y.Z" (the library it runs with), and exits 0. TAP.
set -u
want=$1
shift
n=0
failed=0
for prog; do
	n=$((n + 1))
	name=$(basename "$prog")
	out=$("$prog" --version 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ "$(sed -n 1p <<<"$out")" = "$name $want" ] &&
		sed -n 2p <<<"$out" | grep -Eqx 'libseccomp [0-9]+\.[0-9]+\.[0-9]+'; then
		echo "ok $n - $name --version: $(tr '\n' ' ' <<<"$out")"
	else
		echo "not ok $n - $name --version: \"$name $want\", then libseccomp's (status $rc)"
		sed 's/^/# /' <<<"$out"
		failed=1
	fi
done
echo "1..$n"
exit $failed
