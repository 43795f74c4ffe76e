#!/bin/sh
# make demo's script runs the whole chain on the real GloVe model and each
# stage does what it says: sentiment beats chance on unseen tweets, the
# campaign model is trained on stacked features and records both parents.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
model=$TL_TOP/models/default.tlm
[ -f "$model" ] || { echo "no $model: make test builds it (make model)"; exit 1; }
TL_MODEL=$model DEMO_DIR=$d TL_BIN=$(dirname "$(command -v tl-embed)") \
    sh "$TL_TOP/examples/demo.sh" >"$d/log" 2>&1 || { cat "$d/log"; exit 1; }
fail=0
acc=$(grep -m1 '^accuracy ' "$d/log" | cut -d' ' -f2)
awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' ||
    { echo "sentiment accuracy $acc is not above 0.5 (chance: 0.33)"; fail=1; }
[ "$(grep -c '^accuracy ' "$d/log")" -eq 3 ] || { echo "expected 3 evaluations"; fail=1; }
emb=$(tl-info --digest "$model" | cut -d' ' -f1)
sent=$(tl-info --digest "$d/sentiment.tlm" | cut -d' ' -f1)
tl-info "$d/campaign.tlm" >"$d/info"
grep -q "$emb" "$d/info" || { echo "campaign.tlm lacks the embedding in its lineage"; fail=1; }
grep -q "$sent" "$d/info" || { echo "campaign.tlm lacks the sentiment model in its lineage"; fail=1; }
grep -q '"input_dim": 103' "$d/info" || { echo "campaign.tlm is not trained on 100+3 features"; fail=1; }
[ "$(grep -cE '^(target|skip)	' "$d/log")" -eq 10 ] || { echo "no scores for new tweets"; fail=1; }
[ $fail -eq 0 ] || cat "$d/log"
exit $fail
