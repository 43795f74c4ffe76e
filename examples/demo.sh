#!/bin/sh
# The transfer chain, end to end, on the example tweets (make demo):
#   party A  GloVe 6B 100d word vectors (the default model)
#   party B  learns sentiment from 250 labelled tweets  -> sentiment.tlm
#   party C  stacks B's model onto its own vectors and learns, from only
#            100 labels, whom to send its campaign      -> campaign.tlm
# then scores new raw tweets, and freezes the chain into one pipeline model
# that scores raw tweets by itself.  Work files go to build/demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="${TL_BIN:-$top/bin}:$PATH"
ex=$top/examples
out=${DEMO_DIR:-$top/build/demo}
mkdir -p "$out"
cd "$out"

step() { printf '\n== %s\n' "$*"; }

step "party A: the embedding model (GloVe 6B 100d)"
model=$(tl-embed --print-default-model)
tl-info "$model" | grep -E '"(kind|name|dim|vocab_size|sha256)"'

step "party B: embed the 250 sentiment tweets that party C will not use"
cut -f1 "$ex/campaign.tsv" | sort >campaign.ids
sort -t "$(printf '\t')" -k1,1 "$ex/tweets.tsv" | join -t "$(printf '\t')" -v1 - campaign.ids \
    >sentiment-train.tsv
tl-embed -v --tsv sentiment-train.tsv >sentiment-train.vec
echo "$(wc -l <sentiment-train.tsv) tweets -> sentiment-train.vec"

step "party B: train the sentiment model, choosing C by 5-fold cross-validation"
tl-train -C 0.01,0.1,1,10,100 --cv 5 -o sentiment.tlm sentiment-train.vec 2>&1 |
    grep -v ' fold [0-9]'

step "party B: check it on the 150 tweets it never saw (their sentiment labels)"
sort -t "$(printf '\t')" -k1,1 "$ex/tweets.tsv" | join -t "$(printf '\t')" - campaign.ids \
    >sentiment-check.tsv
tl-embed --tsv sentiment-check.tsv | tl-predict -m sentiment.tlm --eval

step "party C: embed its 150 campaign tweets and stack B's sentiment model on"
tl-embed --tsv "$ex/campaign.tsv" >campaign.vec
tl-stack -m sentiment.tlm campaign.vec >campaign-stacked.vec
echo "id, campaign label and the 3 appended sentiment columns of the first rows:"
tail -n +2 campaign-stacked.vec | head -n 3 | cut -f 1,2,103-105
head -n 101 campaign-stacked.vec >c-train.vec
tail -n 50 campaign-stacked.vec >c-test.vec

step "party C: train the campaign model on 100 labels, test on 50"
tl-train -C 0.01,0.1,1,10,100 --cv 5 -o campaign.tlm c-train.vec 2>&1 |
    grep -v ' fold [0-9]'
tl-predict -m campaign.tlm --eval c-test.vec

step "party C, for comparison: the same 100 labels without B's model"
head -n 101 campaign.vec |
    tl-train -q -C 0.01,0.1,1,10,100 --cv 5 -o campaign-plain.tlm
tail -n 50 campaign.vec | tl-predict -m campaign-plain.tlm --eval

step "party C: score new raw tweets (examples/new-tweets.txt)"
tl-embed "$ex/new-tweets.txt" | tl-stack -m sentiment.tlm |
    tl-predict --no-header -m campaign.tlm | cut -f 2 |
    paste - "$ex/new-tweets.txt" | head -n 10 | cut -c 1-100

step "party C: freeze the embedding and both layers into one file, and score raw JSON tweets"
tl-stack --freeze -o campaign-pipeline.tlm "$model" sentiment.tlm campaign.tlm
ls -l campaign-pipeline.tlm | awk '{ print $NF ": " $5 " bytes" }'
tl-predict -m campaign-pipeline.tlm --jsonl --labels "$ex/new-tweets.jsonl" >frozen.labels
tl-embed --jsonl "$ex/new-tweets.jsonl" | tl-stack -m sentiment.tlm |
    tl-predict -m campaign.tlm --labels >piped.labels
cmp piped.labels frozen.labels
echo "the same labels as tl-embed | tl-stack | tl-predict"
head -n 5 frozen.labels
echo
echo "lineage of campaign.tlm:"
tl-info campaign.tlm | sed -n '/"lineage"/,/]/p'
