#!/bin/sh
# OpenBLAS and libcrypto are loaded at their first call (blas.h, evp.h),
# not at start-up: embedding with mean pooling, tl-info and --help never
# load OpenBLAS, while a fit, a nearest-neighbour search and --normalize
# do; tl-embed loads libcrypto only when its model's SHA-256 is not in the
# digest cache.  A library that cannot be loaded is a one-line error
# naming the program, with ld.so's status 127.
. "$TL_TOP/tests/scratch.sh"

tl-embed import --format glove -o m.tlm "$TL_TOP/tests/data/embed-small.glove" ||
    no "import failed"
printf 'the cat sat\non the mat\n' >docs.txt
printf '1\tyes\tthe cat\n2\tno\ton the mat\n3\tyes\tcat sat\n4\tno\tthe mat\n' \
    >lab.tsv
# loads LIB WANT CMD...: whether CMD's run loads LIB (LD_DEBUG lists every
# object ld.so opens) is WANT (0 or 1)
loads() {
	lib=$1 want=$2; shift 2
	LD_DEBUG=files "$@" >/dev/null 2>ld.log || no "failed: $*"
	got=0; grep -q "file=$lib" ld.log && got=1
	[ "$got" = "$want" ] || no "$*: loads $lib $got, expected $want"
}
loads libopenblas 0 tl-embed -m m.tlm docs.txt
loads libopenblas 0 tl-embed -m m.tlm --binary --pool meanmax docs.txt
loads libopenblas 0 tl-embed --help
loads libopenblas 0 tl-info m.tlm
loads libopenblas 1 tl-embed -m m.tlm --normalize docs.txt
loads libopenblas 1 tl-embed nn -m m.tlm -k 2 cat
loads libopenblas 1 tl-embed fit -m m.tlm -o f.tlm docs.txt
tl-embed -m m.tlm --tsv lab.tsv >lab.vec || no "embedding the labels failed"
loads libopenblas 1 tl-train -q -o h.tlm lab.vec

XDG_CACHE_HOME=$PWD/cache TL_DIGEST_CACHE=all
export XDG_CACHE_HOME TL_DIGEST_CACHE
loads libcrypto 1 tl-embed -m m.tlm docs.txt	# hashes, fills the cache
loads libcrypto 0 tl-embed -m m.tlm docs.txt	# finds it there
loads libcrypto 1 tl-info --digest m.tlm

# an object that is not a library where OpenBLAS should be
mkdir lib && : >lib/libopenblas.so.0
LD_LIBRARY_PATH=$PWD/lib tl-embed nn -m m.tlm cat >out 2>err
rc=$?
[ $rc = 127 ] || no "unloadable OpenBLAS: exit $rc, expected 127"
grep -q '^tl-embed: cannot load OpenBLAS (libopenblas.so.0): ' err ||
    no "unloadable OpenBLAS: message '$(cat err)'"
[ -s out ] && no "unloadable OpenBLAS: wrote '$(cat out)'"
: >lib/libcrypto.so.3
LD_LIBRARY_PATH=$PWD/lib tl-info --digest m.tlm >out 2>err
rc=$?
[ $rc = 127 ] || no "unloadable libcrypto: exit $rc, expected 127"
grep -q '^tl-info: cannot load libcrypto (libcrypto.so.3): ' err ||
    no "unloadable libcrypto: message '$(cat err)'"
exit $fail
