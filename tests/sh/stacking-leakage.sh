#!/bin/sh
# Stacking a model onto the records it was trained on leaks: its in-sample
# probabilities are over-confident, and a second layer trained on them
# trusts it blindly.  Out-of-fold probabilities (tl-train --cv --oof) do
# not.  On a data set made to show it, the in-sample-stacked second layer
# must fit its training records (almost) perfectly yet do clearly worse on
# held-out records than the out-of-fold-stacked one.
#
# The data (numpy, seed 1): labels neg/pos alternating; x, 200 weak noisy
# features (class means +-0.08, unit noise); z, 2 stronger ones (+-0.6).
# 80 training records, 1000 test records.  Layer 1 learns from x with
# C = 100: with more features than records it separates its training
# records (in-sample probabilities near 0 and 1) but is right on about 2
# test records in 3.  Layer 2 learns from z and layer 1's probabilities.
. "$TL_TOP/tests/scratch.sh"
set -e
/usr/bin/python3 - <<'EOF'
import numpy as np
rng = np.random.default_rng(1)
def make(n, name):
    y = np.arange(n) % 2
    s = 2 * y - 1
    x = rng.standard_normal((n, 200)) + 0.08 * s[:, None]
    z = rng.standard_normal((n, 2)) + 0.6 * s[:, None]
    lab = np.where(y == 1, "pos", "neg")
    for arr, suf in ((x, "x"), (z, "z")):
        with open(f"{name}-{suf}.vec", "w") as f:
            for i in range(n):
                f.write(f"{name}{i:04d}\t{lab[i]}\t"
                        + "\t".join(f"{v:.4f}" for v in arr[i]) + "\n")
make(80, "train")
make(1000, "test")
EOF

trainacc() { grep -o 'training accuracy [0-9.]*' "$1" | cut -d' ' -f3; }
testacc() { tl-predict -m "$1" --eval "$2" >"$1.eval"; grep '^accuracy ' "$1.eval" | cut -d' ' -f2; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# Layer 1 on all training records, and its out-of-fold probabilities.
tl-train -C 100 --cv 5 --oof oof.vec -o l1.tlm train-x.vec 2>l1.log
tail -n +2 oof.vec | cut -f 1,2 >a
cut -f 1,2 train-x.vec | cmp -s - a || no "oof.vec: ids and labels are not those of train-x.vec, in order"
head -n 1 oof.vec | grep -q '"names":\["neg","pos"\]' || no "oof.vec: header does not name the classes"
l1_train=$(trainacc l1.log)
l1_test=$(testacc l1.tlm test-x.vec)

# Second-layer inputs: z followed by layer 1's probabilities, in-sample
# (tl-stack of the final model on its own training records) or out-of-fold.
tl-stack --only -m l1.tlm train-x.vec | tail -n +2 | cut -f 3- | paste train-z.vec - >l2-ins.vec
tail -n +2 oof.vec | cut -f 3- | paste train-z.vec - >l2-oof.vec
tl-stack --only -m l1.tlm test-x.vec | tail -n +2 | cut -f 3- | paste test-z.vec - >l2-test.vec
for k in ins oof; do
	tl-train -C 1 -o "l2-$k.tlm" "l2-$k.vec" 2>"l2-$k.log"
done
ins_train=$(trainacc l2-ins.log)
oof_train=$(trainacc l2-oof.log)
ins_test=$(testacc l2-ins.tlm l2-test.vec)
oof_test=$(testacc l2-oof.tlm l2-test.vec)
tl-train -C 1 -o z.tlm train-z.vec 2>/dev/null
z_test=$(testacc z.tlm test-z.vec)
echo "layer 1: training accuracy $l1_train, test $l1_test"
echo "layer 2 on in-sample probabilities: training accuracy $ins_train, test $ins_test"
echo "layer 2 on out-of-fold probabilities: training accuracy $oof_train, test $oof_test"
echo "z alone: test $z_test"

# The data set shows what it should: layer 1 overfits.
gt "$l1_train" 0.99 || no "layer 1 does not fit its training records ($l1_train)"
gt 0.75 "$l1_test" || no "layer 1 is too good on test ($l1_test) to show leakage"
# In-sample stacking: an inflated training accuracy, a worse test accuracy.
gt "$ins_train" 0.99 || no "in-sample layer 2's training accuracy $ins_train is not inflated"
gt "$ins_train" "$(awk -v a="$ins_test" 'BEGIN { print a + 0.2 }')" ||
    no "in-sample layer 2: training $ins_train is not far above test $ins_test"
gt "$oof_test" "$(awk -v a="$ins_test" 'BEGIN { print a + 0.05 }')" ||
    no "out-of-fold layer 2 ($oof_test) is not clearly better on test than in-sample ($ins_test)"
# Out-of-fold stacking: an honest training accuracy, and layer 1 helps.
gt 0.9 "$oof_train" || no "out-of-fold layer 2's training accuracy $oof_train looks inflated"
gt "$oof_test" "$z_test" || no "out-of-fold stacking ($oof_test) does not beat z alone ($z_test)"
exit $fail
