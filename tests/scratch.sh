# Sourced by the scripts of tests/sh: a scratch directory $d, the working
# directory and removed at exit, and `no MESSAGE`, which reports a failed
# check and sets fail (the script ends with `exit $fail`).
set -u
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
fail=0
no() { echo "$*"; fail=1; }
