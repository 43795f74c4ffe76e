#!/bin/sh
# tl-stack on a stream with a sparse part (tl-embed --lexical): a model of
# dense and sparse parts gets both and stacks what tl-predict gives; the
# output keeps the input's dense values and passes its sparse part
# through (the next layer can train on both), --only drops it, and a
# stream without the sparse part the model needs is refused.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
M=$TL_TOP/models/default.tlm
[ -f "$M" ] || { echo "no $M: make test builds it (make model)"; exit 1; }
cd "$d"
fail() { echo "not ok: $*"; exit 1; }
tl-embed -m "$M" --tsv --lexical <"$TL_TOP/examples/tweets.tsv" >t.vec
tl-train -q -C 10 -o lex.tlm t.vec
tl-stack -m lex.tlm t.vec >s.vec
# the stacked columns are tl-predict's probabilities, bit for bit
tl-predict -m lex.tlm t.vec | grep -v '^#' | cut -f3- >want
tl-stack --only -m lex.tlm t.vec | grep -v '^#' | cut -f3- >got
cmp -s want got || fail "stacked outputs differ from tl-predict's"
# input fields: id, label, 100 values, sparse i:v; output: the same with
# the model's k probabilities after the values
k=$(head -n 1 want | awk -F'\t' '{ print NF }')
grep -v '^#' t.vec | cut -f1-102 >in.dense
grep -v '^#' s.vec | cut -f1-102 >out.dense
cmp -s in.dense out.dense || fail "the input's dense values changed"
grep -v '^#' t.vec | cut -f103- >in.sparse
grep -v '^#' s.vec | cut -f$((103 + k))- >out.sparse
cmp -s in.sparse out.sparse || fail "the sparse part did not pass through"
head -n 1 s.vec | grep -q '"sparse":1048576' || fail "header lost sparse"
head -n 1 s.vec | grep -q '"lexical":{' || fail "header lost lexical"
tl-stack --only -m lex.tlm t.vec | head -n 1 | grep -q '"sparse"' &&
    fail "--only kept the sparse part"
# the next layer trains on both parts; binary streams carry them too
tl-train -q -C 10 -o two.tlm s.vec
tl-stack --binary -m lex.tlm t.vec | tl-predict -m two.tlm --labels >b
tl-predict -m two.tlm --labels s.vec >t
cmp -s b t || fail "binary and text stacked streams predict differently"
# vectors without their sparse part: refused, naming stream and model
tl-embed -m "$M" --tsv <"$TL_TOP/examples/tweets.tsv" >dense.vec
if tl-stack -m lex.tlm dense.vec >/dev/null 2>err; then
	fail "a stream without the sparse part was accepted"
fi
grep -q '^tl-stack: dense.vec: lex.tlm needs a sparse part of 1048576 buckets' err ||
    fail "unexpected message: $(cat err)"
echo "ok stack-sparse"
