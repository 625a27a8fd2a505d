#!/bin/bash
# Every kind of bad policy input: `octrace check F` and `octrace run --policy F -- CMD` exit 2
# with exactly one line on stderr, the message naming the file and the JSON path; `run` never
# executes CMD (it would create a marker file). Messages are the parser's (oci/policy.c,
# oci/json.c; the same wording as tests/unit/test-policy.c).
. "$(dirname "$0")/lib.sh"

cd "$P/bad" || bail "no $P/bad"

while IFS='|' read -r file msg; do
	[ -z "$file" ] && continue
	run "$OCTRACE" check "$file"
	ok $((ST != 2)) "check $file: exit 2" "exit status $ST"
	is "$ERR" "$msg" "check $file: the one-line message"

	rm -f "$T/marker"
	run "$OCTRACE" run --policy "$file" -- touch "$T/marker"
	ok $((ST != 2)) "run --policy $file: exit 2" "exit status $ST"
	is "$ERR" "$msg" "run --policy $file: the same one-line message"
	[ ! -e "$T/marker" ]
	ok $? "run --policy $file: the command did not run"
done <<'CASES'
malformed.json|malformed.json: line 3, column 5: malformed JSON: lexical error: invalid char in json text.
empty.json|empty.json: line 1, column 1: malformed JSON: parse error: premature EOF
not-an-object.json|not-an-object.json: expected an object, got array
wrong-type.json|wrong-type.json: syscalls[0].names: expected an array, got string
unknown-action.json|unknown-action.json: syscalls[1].action: unknown action "SCMP_ACT_FOO"
unknown-default.json|unknown-default.json: defaultAction: unknown action "SCMP_ACT_DENY"
notify-default.json|notify-default.json: defaultAction: SCMP_ACT_NOTIFY cannot be the default action
missing-default.json|missing-default.json: defaultAction: missing
unknown-op.json|unknown-op.json: syscalls[0].args[1].op: unknown operator "SCMP_CMP_FOO"
unknown-arch.json|unknown-arch.json: architectures[1]: unknown architecture "SCMP_ARCH_FOO"
index6.json|index6.json: syscalls[0].args[0].index: 6 is out of range (0-5)
negative-value.json|negative-value.json: syscalls[0].args[0].value: -1 is out of range (0-18446744073709551615)
errno-range.json|errno-range.json: syscalls[0].errnoRet: 65536 is out of range (0-65535)
empty-names.json|empty-names.json: syscalls[1].names: empty
empty-name.json|empty-name.json: syscalls[0].names[1]: empty
duplicate-key.json|duplicate-key.json: syscalls[0]: duplicate key "action"
config-no-seccomp.json|config-no-seccomp.json: linux.seccomp: missing
config-bad-action.json|config-bad-action.json: linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_BAD"
nope.json|nope.json: cannot read: No such file or directory
.|.: cannot read: Is a directory
CASES

# The short option and a policy given by absolute path: the message names the file as given.
rm -f "$T/marker"
run "$OCTRACE" run -p "$P/bad/unknown-op.json" -- touch "$T/marker"
ok $((ST != 2)) "run -p: exit 2" "exit status $ST"
is "$ERR" "$P/bad/unknown-op.json: syscalls[0].args[1].op: unknown operator \"SCMP_CMP_FOO\"" \
	"run -p ABSOLUTE: the message names the file as given"
[ ! -e "$T/marker" ]
ok $? "run -p: the command did not run"

finish
