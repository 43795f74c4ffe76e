#!/bin/sh
# tl-train on a sparse part writes the same model bytes whatever the
# number of OpenBLAS threads: the fit keeps OpenBLAS to one thread and
# sums in a fixed order.  --cv fits its combinations side by side on that
# many threads, and still chooses the same, writes the same out-of-fold
# outputs and reports the folds in the same order on stderr.  The example
# tweets with their lexical n-grams.
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
# ten times the records: enough work for the objective's own threads
{ head -n 1 t.vec; for i in 0 1 2 3 4 5 6 7 8 9; do tail -n +2 t.vec; done; } >t10.vec
OPENBLAS_NUM_THREADS=1 tl-train -q -C 10 -o 1.tlm t10.vec
OPENBLAS_NUM_THREADS=2 tl-train -q -C 10 -o 2.tlm t10.vec
cmp 1.tlm 2.tlm || { echo "not ok: the model depends on the thread count (4,000 rows)"; exit 1; }
fail=0
for n in 1 2 3; do
	OPENBLAS_NUM_THREADS=$n tl-train -v -C 0.1,1,10 --dense-weight 0.3,1 \
	    --cv 3 --seed 4 --oof cv$n.oof -o cv$n.tlm t.vec 2>cv$n.err
	# the last line gives the refit's time
	sed '$d' cv$n.err >cv$n.lines
done
for n in 2 3; do
	cmp -s cv1.tlm cv$n.tlm || { echo "--cv on $n threads: another model"; fail=1; }
	cmp -s cv1.oof cv$n.oof || { echo "--cv on $n threads: other out-of-fold outputs"; fail=1; }
	cmp -s cv1.lines cv$n.lines || { echo "--cv on $n threads: other lines on stderr"
		diff cv1.lines cv$n.lines | head -n 4; fail=1; }
done
# 4 weightings x 3 C x 2 weights, 3 folds each, a summary each, the choice
[ "$(grep -c ': cv C=' cv1.lines)" -eq 96 ] || { echo "--cv: $(grep -c ': cv C=' cv1.lines) lines, not 96"; fail=1; }
grep -q ': cv: best C=' cv1.lines || { echo "--cv: no choice reported"; fail=1; }
exit $fail
