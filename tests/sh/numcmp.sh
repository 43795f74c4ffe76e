#!/bin/sh
# tests/numcmp.awk, which compares the output of CLI cases that hold a
# 'tolerance' file: equal text around the numbers, each number within the
# relative tolerance, the same lines.  Each check names what it expects.
set -u
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
awkf=$TL_TOP/tests/numcmp.awk
fail=0
# check WANT-EXIT WANT GOT: numcmp with tolerance 1e-5 exits WANT-EXIT
check() {
	printf '%s\n' "$2" >want
	printf '%s\n' "$3" >got
	awk -v tol=1e-5 -f "$awkf" want got
	rc=$?
	if [ "$rc" -ne "$1" ]; then
		echo "numcmp '$2' vs '$3': exit $rc, expected $1"
		fail=1
	fi
}
check 0 'objective 65.2738645, x 0.437006' 'objective 65.273865, x 0.437007'
check 0 'p 0.89519185 q -1e-3' 'p 0.8951919 q -1.000001e-3'
check 0 'same text' 'same text'
check 1 'objective 65.2738645' 'objective 65.28'
check 1 'objective 65.27, x 1' 'objective 65.27; x 1'
check 1 'a 1' 'b 1'
check 1 'v 1 2' 'v 1 2 3'
check 1 'v 0.5' 'v -0.5'
printf 'a 1\n' >want; printf 'a 1\nb 2\n' >got
awk -v tol=1e-5 -f "$awkf" want got && { echo "an extra line passed"; fail=1; }
awk -v tol=1e-5 -f "$awkf" got want && { echo "a missing line passed"; fail=1; }
exit $fail
