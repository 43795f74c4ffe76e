#!/bin/sh
# Expected outputs must not hold the path of the checkout they were made in:
# CI runs a fresh clone elsewhere.
cd "$TL_TOP/tests/cases" || exit 1
found=$(grep -rlF -- "$TL_TOP" . 2>/dev/null)
[ -z "$found" ] && exit 0
echo "expected files holding $TL_TOP:"; echo "$found"
exit 1
