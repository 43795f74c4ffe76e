#!/bin/sh
# Data-driven CLI cases.  Each directory tests/cases/NAME/ holds:
#   cmd      one shell command, run in a scratch copy of the directory
#   stdin    its standard input (optional; default empty)
#   out      expected standard output (optional: not compared if absent)
#   err      expected standard error (optional: must be empty if absent)
#   status   expected exit status (optional; default 0)
#   tolerance  a relative tolerance for the numbers in out and err
#            (optional; default: the bytes must be equal; ../numcmp.awk)
# $TL_TOP is the source tree (tests/data/ holds shared inputs).
set -u
cd "$(dirname "$0")"

# same CASE WANT GOT: whether GOT is what WANT expects for CASE
same() {
	if [ -f "$1/tolerance" ]; then
		awk -v tol="$(cat "$1/tolerance")" -f ../numcmp.awk "$2" "$3"
	else
		cmp -s "$2" "$3"
	fi
}

for dir in */; do
	name=${dir%/}
	[ -f "$name/cmd" ] || continue
	scratch=$(mktemp -d)
	cp -R "$name/." "$scratch/"
	stdin=/dev/null
	[ -f "$name/stdin" ] && stdin="$scratch/stdin"
	(cd "$scratch" && sh ./cmd <"$stdin" >"$scratch/.out" 2>"$scratch/.err")
	rc=$?
	want_rc=0
	[ -f "$name/status" ] && want_rc=$(cat "$name/status")
	why=
	[ "$rc" -eq "$want_rc" ] || why="exit $rc, expected $want_rc"
	if [ -z "$why" ] && [ -f "$name/out" ] &&
	    ! same "$name" "$name/out" "$scratch/.out"; then
		why="stdout differs"
		diff "$name/out" "$scratch/.out" | head -20 | sed 's/^/    /' >&2
	fi
	if [ -z "$why" ]; then
		if [ -f "$name/err" ]; then
			same "$name" "$name/err" "$scratch/.err" ||
			    why="stderr differs"
		elif [ -s "$scratch/.err" ]; then
			why="unexpected stderr"
		fi
		[ -n "$why" ] && sed 's/^/    /' "$scratch/.err" >&2
	fi
	if [ -z "$why" ]; then echo "ok case $name"; else echo "not ok case $name: $why"; fi
	rm -rf "$scratch"
done
