#!/bin/sh
# OpenBLAS is loaded at the first BLAS call (blas.h), not at start-up:
# embedding with mean pooling, tl-info and --help never load it; a fit, a
# nearest-neighbour search and --normalize do.  A library that cannot be
# loaded is a one-line error naming the program, with ld.so's status 127.
set -u
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d"
fail=0
no() { echo "$*"; fail=1; }

tl-embed import --format glove -o m.tlm "$TL_TOP/tests/data/embed-small.glove" ||
    no "import failed"
printf 'the cat sat\non the mat\n' >docs.txt
printf '1\tyes\tthe cat\n2\tno\ton the mat\n3\tyes\tcat sat\n4\tno\tthe mat\n' \
    >lab.tsv
# loads WANT CMD...: whether CMD's run loads libopenblas (LD_DEBUG lists
# every object ld.so opens) is WANT (0 or 1)
loads() {
	want=$1; shift
	LD_DEBUG=files "$@" >/dev/null 2>ld.log || no "failed: $*"
	got=0; grep -q 'file=libopenblas' ld.log && got=1
	[ "$got" = "$want" ] || no "$*: loads OpenBLAS $got, expected $want"
}
loads 0 tl-embed -m m.tlm docs.txt
loads 0 tl-embed -m m.tlm --binary --pool meanmax docs.txt
loads 0 tl-embed --help
loads 0 tl-info m.tlm
loads 1 tl-embed -m m.tlm --normalize docs.txt
loads 1 tl-embed nn -m m.tlm -k 2 cat
loads 1 tl-embed fit -m m.tlm -o f.tlm docs.txt
tl-embed -m m.tlm --tsv lab.tsv >lab.vec || no "embedding the labels failed"
loads 1 tl-train -q -o h.tlm lab.vec

# an object that is not a library where OpenBLAS should be
mkdir lib && : >lib/libopenblas.so.0
LD_LIBRARY_PATH=$PWD/lib tl-embed nn -m m.tlm cat >out 2>err
rc=$?
[ $rc = 127 ] || no "unloadable OpenBLAS: exit $rc, expected 127"
grep -q '^tl-embed: cannot load OpenBLAS (libopenblas.so.0): ' err ||
    no "unloadable OpenBLAS: message '$(cat err)'"
[ -s out ] && no "unloadable OpenBLAS: wrote '$(cat out)'"
exit $fail
