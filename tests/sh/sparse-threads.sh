#!/bin/sh
# tl-train on a sparse part writes the same model bytes whatever the
# number of OpenBLAS threads: the fit keeps OpenBLAS to one thread and
# sums in a fixed order.  The example tweets with their lexical n-grams.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
M=$TL_TOP/models/default.tlm
[ -f "$M" ] || { echo "no $M: make test builds it (make model)"; exit 1; }
cd "$d"
tl-embed -m "$M" --tsv --lexical <"$TL_TOP/examples/tweets.tsv" >t.vec
OPENBLAS_NUM_THREADS=1 tl-train -q -C 10 -o 1.tlm t.vec
OPENBLAS_NUM_THREADS=2 tl-train -q -C 10 -o 2.tlm t.vec
cmp 1.tlm 2.tlm || { echo "not ok: the model depends on the thread count"; exit 1; }
