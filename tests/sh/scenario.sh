#!/bin/sh
# The three-party scenario of man tl (EXAMPLES, "The three parties") runs
# as written, on the example data and the default embeddings, and every
# stage does what the page says.  The commands are taken from man/tl.7
# itself (the literal blocks between the "scenario: begin/end" comments),
# so the page and the test cannot drift apart.  Each block is one stage,
# run by bash with pipefail so that a failure inside a pipeline counts.
. "$TL_TOP/tests/scratch.sh"
set -e
TL_MODEL=$TL_TOP/models/default.tlm
export TL_MODEL
[ -f "$TL_MODEL" ] || { echo "no $TL_MODEL: make test builds it (make model)"; exit 1; }
command -v tl-embed >/dev/null || { echo "tl-embed is not on PATH"; exit 1; }
cp "$TL_TOP/examples/tweets.tsv" "$TL_TOP/examples/campaign.tsv" \
    "$TL_TOP/examples/new-tweets.jsonl" "$d"

# Literal blocks between the markers, one file each; \e is mdoc's backslash.
awk -v dir="$d" '
	/^\.\\" scenario: begin/ { on = 1; next }
	/^\.\\" scenario: end/ { on = 0; next }
	on && /^\.Bd -literal/ { n++; f = sprintf("%s/stage%d.sh", dir, n); lit = 1; next }
	on && /^\.Ed/ { lit = 0; close(f); next }
	on && lit { gsub(/\\e/, "\\"); print > f }
	END { print n > (dir "/stages") }
' "$TL_TOP/man/tl.7"
n=$(cat "$d/stages")
[ "$n" -eq 4 ] || { echo "expected 4 command blocks in man/tl.7's scenario, found $n"; exit 1; }

i=1
while [ $i -le "$n" ]; do
	if ! bash -e -o pipefail "stage$i.sh" >"out$i" 2>"err$i"; then
		echo "stage $i failed:"; cat "stage$i.sh" "out$i" "err$i"; exit 1
	fi
	i=$((i + 1))
done

# Party B: 250 tweets, C chosen from the list by cross-validation.
[ "$(wc -l <sentiment.tsv)" -eq 250 ] || no "sentiment.tsv has $(wc -l <sentiment.tsv) rows, not 250"
cut -f1 campaign.tsv >c.ids
! cut -f1 sentiment.tsv | grep -qxFf c.ids || no "party B trained on tweets of party C"
grep -q 'cv: best C=' err1 || no "party B's tl-train did not choose C by cross-validation"
tl-info sentiment.tlm >info-sent
grep -q '"cross_validation"' info-sent || no "sentiment.tlm records no cross-validation"

# Party C: the received model is checked, stacked (100 + 3 features) and
# the campaign model beats chance on the 50 held-out tweets.
grep -q '^ok: ' out2 || no "party C's tl-info --verify of sentiment.tlm printed no ok"
tl-info campaign.tlm >info-camp
grep -q '"input_dim": 103' info-camp || no "campaign.tlm is not trained on 100+3 features"
[ "$(tail -n +2 c-train.vec | wc -l)" -eq 100 ] || no "campaign model not trained on 100 labels"
acc=$(grep -m1 '^accuracy ' out2 | cut -d' ' -f2)
awk -v a="$acc" 'BEGIN { exit !(a > 0.6) }' || no "campaign accuracy on 50 held-out tweets is $acc, not above 0.6"

# Lineage: campaign.tlm names sentiment.tlm (stacked) and the embedding.
tl-info --verify campaign.tlm sentiment.tlm "$TL_MODEL" >verify 2>&1 ||
    { no "tl-info --verify campaign.tlm sentiment.tlm default.tlm failed"; cat verify; }
[ "$(grep -c '^ok: ' verify)" -eq 3 ] || { no "expected 3 lineage checks"; cat verify; }
[ "$(grep -c '^ok: ' out3)" -eq 3 ] || no "the page's own --verify of campaign.tlm did not pass 3 checks"

# Scores for the 30 new tweets: ids t0401..t0430 in order, a class, two
# probabilities that sum to 1.
ids() { seq -f 't0%03g' 401 430; }
check_scores() { # file
	tail -n +2 "$1" | cut -f1 >"$1.ids"
	ids | cmp -s - "$1.ids" || no "$1: ids are not t0401..t0430"
	tail -n +2 "$1" | awk -F '\t' '
		NF != 4 || ($2 != "skip" && $2 != "target") { bad++ }
		{ s = $3 + $4; if (s < 0.9999 || s > 1.0001) bad++ }
		END { exit bad > 0 }' || no "$1: rows are not class, p(skip), p(target)"
	head -n 1 "$1" | grep -q '"names":\["skip","target"\]' || no "$1: header does not name the classes"
}
check_scores scores.vec

# The --oof path: the out-of-fold rows are C's 100 training tweets in the
# order of the stacked stream, their columns replaced the in-sample ones,
# and the in-sample probabilities are the more confident (the leakage the
# out-of-fold ones avoid).
tail -n +2 own-oof.vec | cut -f1 >oof.ids
tail -n +2 own-stacked.vec | cut -f1 | cmp -s - oof.ids || no "own-oof.vec is not in the order of own-stacked.vec"
[ "$(wc -l <oof.ids)" -eq 100 ] || no "own-oof.vec has $(wc -l <oof.ids) rows, not 100"
tail -n +2 own-oof.vec | cut -f 3- >b
tail -n +2 c-train-oof.vec | cut -f 103- | cmp -s - b || no "c-train-oof.vec lacks the out-of-fold columns"
tail -n +2 c-train-oof.vec | cut -f 1-102 >a
tail -n +2 c-train.vec | cut -f 1-102 | cmp -s - a || no "c-train-oof.vec's ids, labels or vectors differ from c-train.vec's"
conf() { tail -n +2 "$1" | cut -f "$2" | awk -F '\t' '
	{ m = $1; for (i = 2; i <= NF; i++) if ($i > m) m = $i; s += m }
	END { printf "%.4f\n", s / NR }'; }
ins=$(conf own-stacked.vec 103-105)
oof=$(conf own-oof.vec 3-5)
echo "mean top probability of own.tlm on its training tweets: in-sample $ins, out-of-fold $oof"
awk -v a="$ins" -v b="$oof" 'BEGIN { exit !(a > b + 0.05) }' ||
    no "in-sample probabilities ($ins) are not clearly more confident than out-of-fold ($oof)"
tl-info campaign-oof.tlm >info-oof
grep -q "$(tl-info --digest own.tlm | cut -c1-64)" info-oof || no "campaign-oof.tlm does not record own.tlm"
check_scores scores-oof.vec

[ $fail -eq 0 ] || for i in 1 2 3 4; do cat "err$i" "out$i"; done
exit $fail
