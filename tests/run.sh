#!/bin/sh
# Run every test of tl and print one closing line "N passed, N failed".
#
# Kinds of tests, each printing TAP-like "ok NAME" / "not ok NAME" lines:
#   $BUILD/tests/test_*   C unit tests of the core (tests/unit/)
#   tests/cases/*/        CLI cases as data: cmd, stdin, out, err, status
#   tests/sh/*.sh         CLI scenarios that need a script (pipes, /dev/full)
#   tests/py/test_*.py    reference tests against numpy / scikit-learn
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
OUTBIN=${OUTBIN:-bin}
PATH="$top/$OUTBIN:$PATH"
TL_TOP=$top
TL_BUILD=$top/$BUILD
TL_OUTBIN=$top/$OUTBIN
export PATH TL_TOP TL_BUILD TL_OUTBIN
unset TL_MODEL
suite=${TL_SUITE:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # name, command...: run a test that prints its own TAP lines
	name=$1; shift
	out=$("$@" 2>"$log.err"); rc=$?
	printf '%s\n' "$out" | grep -E '^(not )?ok ' >>"$log"
	printf '%s\n' "$out" | grep -E '^not ok ' >&2
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok '; then
		echo "not ok $name (exit $rc)" >>"$log"
		echo "not ok $name (exit $rc)" >&2
	fi
	if [ $rc -ne 0 ]; then sed 's/^/    /' "$log.err" >&2; fi
	rm -f "$log.err"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done
run cases sh tests/cases/run.sh
for t in tests/sh/*.sh; do
	[ -f "$t" ] || continue
	if sh "$t" >"$log.out" 2>&1; then
		echo "ok $t" >>"$log"
	else
		echo "not ok $t" >>"$log"; echo "not ok $t" >&2
		sed 's/^/    /' "$log.out" >&2
	fi
	rm -f "$log.out"
done
for t in tests/py/test_*.py; do
	[ -f "$t" ] && run "$t" /usr/bin/python3 "$t"
done

# Keep a combined log when asked (make test runs two suites), naming the
# suite in each line.
if [ -n "${TL_LOG:-}" ]; then
	sed "s/^\(\(not \)\{0,1\}ok \)/\1${suite:+[$suite] }/" "$log" >>"$TL_LOG"
fi
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
echo "${suite:+$suite: }$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
