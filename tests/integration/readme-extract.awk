# awk -v dir=DIR -f readme-extract.awk README.md: the fenced blocks that README.md marks for
# t-readme.sh, each into a file of DIR. A marker is an HTML comment on a line of its own,
# directly followed by a fenced block (``` ... ```):
#   <!-- readme-test: run NAME -->      -> DIR/run.NAME
#   <!-- readme-test: output NAME -->   -> DIR/output.NAME
#   <!-- readme-test: file PATH -->     -> DIR/file.N, and "N PATH" in DIR/files
# A marker of another kind, a name used twice, or a marker without its block is an error
# (exit 1, naming the README's line).
function fail(msg) {
	printf "README.md:%d: %s\n", FNR, msg > "/dev/stderr"
	bad = 1
	exit 1
}
BEGIN {
	printf "" > (dir "/files")
}
/^<!-- readme-test: / {
	if (want)
		fail("a marker where the block of line " want_line " was expected")
	if (NF != 5 || $5 != "-->" || $3 !~ /^(run|output|file)$/)
		fail("expected <!-- readme-test: run|output|file NAME -->")
	if ($3 == "file") {
		out = dir "/file." ++nfiles
		print nfiles, $4 > (dir "/files")
	} else {
		if ($4 !~ /^[a-z0-9][a-z0-9-]*$/)
			fail("a name is [a-z0-9-]+: \"" $4 "\"")
		out = dir "/" $3 "." $4
		if (out in seen)
			fail($3 " " $4 " is marked twice")
		seen[out] = 1
	}
	want = 1
	want_line = FNR
	next
}
want && /^```/ {
	want = 0
	inside = 1
	printf "" > out
	next
}
want && !/^[ \t]*$/ {
	fail("the marker of line " want_line " is not followed by a fenced block")
}
inside && /^```/ {
	inside = 0
	close(out)
	next
}
inside {
	print > out
}
END {
	if (bad)
		exit 1
	if (want || inside)
		fail("the README ends inside the block marked on line " want_line)
}
