#!/bin/sh
# tl-stack --freeze: a frozen pipeline gives what the stages give as
# separate processes over pipes (tl-embed | tl-stack | tl-predict), bit for
# bit, for a chain, for the DAG of a head trained on [vector || sentiment],
# through tl-predict's outputs, nested stacking and another pooling; stages
# that do not fit are refused at freeze time, naming the stage; truncated
# or tampered pipeline files fail cleanly.  The default embeddings and the
# example tweets for the main layouts; a small embedding learnt from the
# tweets (with subwords) for the rest, to keep the suite quick.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
M=$TL_TOP/models/default.tlm
ex=$TL_TOP/examples
[ -f "$M" ] || { echo "no $M: make test builds it (make model)"; exit 1; }
cd "$d"
fail=0
no() { echo "not ok: $*"; fail=1; }
# the records of two vector streams (their headers name other models)
same() { # what, file from the pipes, file from the pipeline
	if tail -n +2 "$2" | cmp -s - "$3.body"; then :; else
		no "$1: the pipeline's records differ from the pipes'"
		tail -n +2 "$2" | diff - "$3.body" | head -n 4
	fi
}
body() { tail -n +2 "$1" >"$1.body"; }
# exit status and a message matching a pattern
fails() { # what, status, pattern, command...
	what=$1 want=$2 pat=$3; shift 3
	"$@" >/dev/null 2>err && rc=0 || rc=$?
	[ "$rc" -eq "$want" ] || no "$what: exit $rc, expected $want"
	grep -q -- "$pat" err || { no "$what: message lacks '$pat'"; cat err; }
	[ ! -e bad.tlm ] || no "$what: left bad.tlm behind"
}

awk 'NR == FNR { c[$1]; next } !($1 in c)' "$ex/campaign.tsv" "$ex/tweets.tsv" >sent.tsv
tl-embed -m "$M" --tsv sent.tsv | tl-train -q -o sentiment.tlm
tl-embed -m "$M" --tsv "$ex/campaign.tsv" >camp.vec
tl-embed -m "$M" --jsonl "$ex/new-tweets.jsonl" >new.vec

# The DAG: campaign trained on [vector || sentiment probabilities].
tl-stack -m sentiment.tlm camp.vec | tl-train -q -o dag.tlm
tl-stack --freeze -o dag-pipe.tlm "$M" sentiment.tlm dag.tlm
tl-stack -m sentiment.tlm new.vec | tl-predict -m dag.tlm >a
tl-predict -m dag-pipe.tlm --jsonl "$ex/new-tweets.jsonl" >b && body b
same "DAG" a b
# the header too: the outputs are named as the last model's
cmp -s a b || no "DAG: the pipeline's stream header differs from the pipes'"
tl-stack -m sentiment.tlm camp.vec | tl-predict -m dag.tlm --eval >a
tl-predict -m dag-pipe.tlm --tsv --eval "$ex/campaign.tsv" >b
cmp -s a b || no "DAG: --eval differs"
tl-stack -m sentiment.tlm new.vec | tl-predict -m dag.tlm --top 2 >a
tl-predict -m dag-pipe.tlm --jsonl --top 2 "$ex/new-tweets.jsonl" >b
cmp -s a b || no "DAG: --top differs"
[ "$(wc -l <b)" -eq 30 ] || no "DAG: --top wrote $(wc -l <b) lines, not 30"
# tl-stack applies the pipeline to the embedding's vector streams.
tl-stack --only -m dag-pipe.tlm new.vec | tail -n +2 | cut -f 1,3- >b.body
tl-stack -m sentiment.tlm new.vec | tl-predict -m dag.tlm | cut -f 1,3- >a
same "tl-stack -m pipeline" a b
fails "tl-stack -m pipeline on stacked vectors" 1 "expects 100" \
    sh -c 'tl-stack -m sentiment.tlm new.vec | tl-stack -m dag-pipe.tlm'
tl-info dag-pipe.tlm >info
for m in "$M" sentiment.tlm dag.tlm; do
	dg=$(tl-info --digest "$m" | cut -c1-64)
	grep -q "\"sha256\": \"$dg\"" info || no "the pipeline's lineage lacks $m"
done
grep -q '"kind": "pipeline"' info || no "tl-info: kind is not pipeline"


tl-stack --only -m sentiment.tlm camp.vec | tl-train -q -o chain.tlm
tl-stack --freeze -o chain-pipe.tlm "$M" sentiment.tlm chain.tlm
tl-stack --only -m sentiment.tlm new.vec | tl-predict -m chain.tlm >a
tl-predict -m chain-pipe.tlm --jsonl "$ex/new-tweets.jsonl" >b && body b
same "chain (--only)" a b

# tl-stack applies pipelines to raw text too, as tl-predict does, each
# pipeline's outputs side by side.
tl-stack --jsonl -m dag-pipe.tlm -m c=chain-pipe.tlm "$ex/new-tweets.jsonl" >s
head -n 1 s | grep -q '"names":\["dag-pipe:skip","dag-pipe:target","c:skip","c:target"\]' ||
    no "tl-stack on text: header $(head -n 1 s)"
tl-predict -m dag-pipe.tlm --jsonl "$ex/new-tweets.jsonl" | tail -n +2 | cut -f 3- >a
tail -n +2 b | cut -f 3- | paste a - >a2
tail -n +2 s | cut -f 3- | cmp -s - a2 || no "tl-stack on text differs from tl-predict"
# An embedding given first makes the records' own components: the stream
# of tl-embed | tl-stack -m sentiment.tlm, header included, and a model
# trained on it freezes with the stages it names.
tl-stack --freeze -o sent-pipe.tlm "$M" sentiment.tlm
tl-stack --tsv -m "$M" -m sentiment=sent-pipe.tlm "$ex/campaign.tsv" >a
tl-stack -m sentiment.tlm camp.vec | cmp -s - a ||
    no "tl-stack --tsv -m EMBEDDING -m PIPELINE differs from the pipes"
tl-stack --tsv -m "$M" "$ex/campaign.tsv" | cmp -s - camp.vec ||
    no "tl-stack --tsv -m EMBEDDING differs from tl-embed --tsv"
# enough rows that every CPU pools a share of a block (textpool.h), with
# another pooling: still tl-embed's stream, byte for byte
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$ex/tweets.tsv"; done >many.tsv
tl-stack --tsv --pool meanmax --normalize -m "$M" many.tsv >many.vec
tl-embed -m "$M" --tsv --pool meanmax --normalize many.tsv | cmp -s - many.vec ||
    no "tl-stack --tsv --pool meanmax on $(wc -l <many.tsv) rows differs from tl-embed"
fails "--only and an embedding alone" 2 "nothing to write" \
    tl-stack --tsv --only -m "$M" "$ex/campaign.tsv"
tl-train -q -o dag2.tlm a
tl-stack --freeze -o dag2-pipe.tlm "$M" sentiment.tlm dag2.tlm ||
    no "a model trained on a pipeline's outputs does not freeze"
fails "tl-stack --text with a head" 2 "not a pipeline" \
    tl-stack --text -m sentiment.tlm "$ex/new-tweets.txt"

# A chain through tl-predict: campaign labels on sentiment's outputs.
tl-predict -m sentiment.tlm camp.vec |
    awk -F '\t' -v OFS='\t' 'NR == FNR { l[FNR] = $2; next }
	FNR > 1 { $2 = l[FNR] } { print }' camp.vec - | tl-train -q -o via.tlm
tl-stack --freeze -o via-pipe.tlm "$M" sentiment.tlm via.tlm
tl-predict -m sentiment.tlm new.vec | tl-predict -m via.tlm >a
tl-predict -m via-pipe.tlm --jsonl "$ex/new-tweets.jsonl" >b && body b
same "chain (tl-predict)" a b

# A small embedding, learnt from the tweets, for the rest.
cut -f 3 "$ex/tweets.tsv" >tweets.txt
tl-embed learn --dim 16 --min-count 2 --bucket 500 --seed 1 -o small.tlm \
    tweets.txt
tl-embed -m small.tlm --tsv sent.tsv | tl-train -q -o s1.tlm
tl-embed -m small.tlm --tsv "$ex/campaign.tsv" >c.vec
tl-embed -m small.tlm "$ex/new-tweets.txt" >n.vec
tl-train -q -o plain.tlm c.vec

# Nested stacking: s2 on [vector || s1], the head on [vector || s1 || s2].
tl-stack -m s1.tlm c.vec | tl-train -q -o s2.tlm
tl-stack -m s1.tlm c.vec | tl-stack -m s2.tlm | tl-train -q -o top.tlm
tl-stack --freeze -o nest.tlm small.tlm s1.tlm s2.tlm top.tlm
tl-stack -m s1.tlm n.vec | tl-stack -m s2.tlm | tl-predict -m top.tlm >a
tl-predict -m nest.tlm "$ex/new-tweets.txt" >b && body b
same "nested stacking" a b

# Another pooling, recorded at freeze time.
tl-embed -m small.tlm --pool meanmax --normalize --tsv sent.tsv |
    tl-train -q -o mm.tlm
tl-stack --freeze --pool meanmax --normalize -o mm-pipe.tlm small.tlm mm.tlm
tl-embed -m small.tlm --pool meanmax --normalize "$ex/new-tweets.txt" |
    tl-predict -m mm.tlm >a
tl-predict -m mm-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "meanmax, normalised" a b
tl-info mm-pipe.tlm | grep -q '"kind": "meanmax"' || no "the pooling is not recorded"
# Without --pool, --normalize, --sif-a: the pooling the head recorded.
tl-stack --freeze -o mm-rec.tlm small.tlm mm.tlm
tl-predict -m mm-rec.tlm "$ex/new-tweets.txt" >b && body b
same "meanmax, normalised, as the head recorded it" a b
# SIF, with the common component that tl-embed fit stores and another a:
# the embedding's tensors go into the pipeline, not only its vectors.
tl-embed fit -m small.tlm --components 1 -o fit.tlm tweets.txt 2>/dev/null
tl-embed -m fit.tlm --pool sif --sif-a 0.01 --tsv sent.tsv | tl-train -q -o sif.tlm
tl-stack --freeze --pool sif --sif-a 0.01 -o sif-pipe.tlm fit.tlm sif.tlm
tl-embed -m fit.tlm --pool sif --sif-a 0.01 "$ex/new-tweets.txt" |
    tl-predict -m sif.tlm >a
tl-predict -m sif-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "sif with a component" a b
tl-stack --freeze -o sif-rec.tlm fit.tlm sif.tlm
tl-predict -m sif-rec.tlm "$ex/new-tweets.txt" >b && body b
same "sif and its a, as the head recorded them" a b

# A head of dense and sparse parts (tl-embed --lexical): the pipeline
# computes the hashed n-grams from the text next to the pooled vector.
tl-embed -m small.tlm --lexical --tsv sent.tsv | tl-train -q -o lex.tlm
tl-stack --freeze -o lex-pipe.tlm small.tlm lex.tlm
tl-embed -m small.tlm --lexical "$ex/new-tweets.txt" | tl-predict -m lex.tlm >a
tl-predict -m lex-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "a sparse head" a b
tl-embed -m small.tlm "$ex/new-tweets.txt" | tl-predict -m lex.tlm >a 2>/dev/null &&
    tail -n +2 a | cmp -s - b.body && no "a sparse head: its sparse part changes nothing"
tl-info lex-pipe.tlm | grep -q '"hash": "xxh3-64"' || no "the lexical settings are not recorded"
tl-info lex.tlm | grep -A 3 '"lexical"' | grep -q '"ngrams": 2' ||
    no "tl-train does not record the lexical settings of its stream"
# with character n-grams (tl-embed --lexical-chars), which the pipeline
# reads from the head's "input"."lexical" and computes too
tl-embed -m small.tlm --lexical-chars 2-5 --tsv sent.tsv | tl-train -q -o lexc.tlm
tl-stack --freeze -o lexc-pipe.tlm small.tlm lexc.tlm
tl-embed -m small.tlm --lexical-chars 2-5 "$ex/new-tweets.txt" |
    tl-predict -m lexc.tlm >a
tl-predict -m lexc-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "a sparse head with character n-grams" a b
tl-embed -m small.tlm --lexical "$ex/new-tweets.txt" |
    tl-predict -m lexc.tlm --force >a &&
    tail -n +2 a | cmp -s - b.body && no "character n-grams: they change nothing"
tl-info lexc.tlm | grep -A 8 '"lexical"' | tr -d ' \n' | grep -q '"chars":\[2,5\]' ||
    no "tl-train does not record the character n-grams of its stream"
tl-info lexc-pipe.tlm | grep -A 8 '"lexical"' | tr -d ' \n' | grep -q '"chars":\[2,5\]' ||
    no "the pipeline does not record the character n-grams"
tl-info lex-pipe.tlm | grep -q '"chars"' && no "a pipeline without character n-grams names them"
# sparse heads whose parts were made otherwise cannot share the one part
# a pipeline computes
tl-embed -m small.tlm --lexical-chars 2-5 --tsv sent.tsv |
    tl-stack -m lex.tlm --force |
    tl-train -q -o lexmix.tlm
fails "sparse heads of other lexical settings" 1 "lexmix: its sparse part was made otherwise than lex's" \
    tl-stack --freeze -o bad.tlm small.tlm lex.tlm lexmix.tlm
# a sparse part hashed otherwise (per its stream's header) is refused
tl-embed -m small.tlm --lexical --tsv sent.tsv |
    sed '1s/"hash":"xxh3-64"/"hash":"md5"/' | tl-train -q -o lexmd5.tlm
fails "a sparse part hashed otherwise" 1 "lexmd5: its sparse part's n-gram order or buckets or hashing" \
    tl-stack --freeze -o bad.tlm small.tlm lexmd5.tlm
fails "a sparse pipeline on vectors" 1 "sparse" tl-stack -m lex-pipe.tlm n.vec
# A sparse head on [vector || a sparse head's outputs] (tl-stack passes
# the sparse part through): the DAG gets the text's n-grams at both heads.
tl-embed -m small.tlm --lexical --tsv sent.tsv | tl-stack -m lex.tlm |
    tl-train -q -o lex2.tlm
tl-stack --freeze -o lex2-pipe.tlm small.tlm lex.tlm lex2.tlm
tl-embed -m small.tlm --lexical "$ex/new-tweets.txt" | tl-stack -m lex.tlm |
    tl-predict -m lex2.tlm >a
tl-predict -m lex2-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "a sparse head on stacked sparse outputs" a b
# A sparse head on a dense head's outputs alone, its sparse part pasted on.
lexpart() { tl-embed -m small.tlm --lexical "$@" | tail -n +2 | cut -f 19-; }
lexpart --tsv sent.tsv >lex.part
tl-embed -m small.tlm --tsv sent.tsv | tl-predict -m s1.tlm >s1.vec
{ head -n 1 s1.vec | sed 's/}$/,"sparse":1048576,"lexical":{"ngrams":2,"hash":"xxh3-64"}}/'
  tail -n +2 s1.vec | paste - lex.part; } | tl-train -q -o lex-on-s1.tlm
tl-stack --freeze -o lex-on-s1-pipe.tlm small.tlm s1.tlm lex-on-s1.tlm
lexpart "$ex/new-tweets.txt" >new.part
tl-embed -m small.tlm "$ex/new-tweets.txt" | tl-predict -m s1.tlm >s1n.vec
{ head -n 1 s1n.vec | sed 's/}$/,"sparse":1048576,"lexical":{"ngrams":2,"hash":"xxh3-64"}}/'
  tail -n +2 s1n.vec | paste - new.part; } | tl-predict -m lex-on-s1.tlm >a
tl-predict -m lex-on-s1-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "a sparse head on a dense head's outputs" a b

# Blocks of thousands of texts: every CPU pools a share and applies the
# heads to it, each with heads of its own (tl_head_share), into its rows
# of the outputs: still what the pipes give, byte for byte, for the DAG,
# a sparse head on stacked sparse outputs, and a network on stacked ones.
tl-stack -m s1.tlm c.vec | tl-train -q -t mlp --hidden 8 --epochs 5 -o net.tlm
tl-stack --freeze -o net-pipe.tlm small.tlm s1.tlm net.tlm
tl-embed -m "$M" --tsv many.tsv | tl-stack -m sentiment.tlm |
    tl-predict -m dag.tlm >a
tl-predict -m dag-pipe.tlm --tsv many.tsv >b && body b
same "the DAG on $(wc -l <many.tsv) texts" a b
tl-embed -m small.tlm --lexical --tsv many.tsv | tl-stack -m lex.tlm |
    tl-predict -m lex2.tlm >a
tl-predict -m lex2-pipe.tlm --tsv many.tsv >b && body b
same "sparse heads on many texts" a b
tl-embed -m small.tlm --tsv many.tsv | tl-stack -m s1.tlm |
    tl-predict -m net.tlm >a
tl-predict -m net-pipe.tlm --tsv many.tsv >b && body b
same "a network on many texts" a b

# A head that does not record its embedding (trained on a stream without
# a header) takes the stage before it.
tl-embed -m small.tlm --no-header --tsv sent.tsv | tl-train -q -o nh.tlm
tl-stack --freeze -o nh-pipe.tlm small.tlm nh.tlm
tl-embed -m small.tlm "$ex/new-tweets.txt" | tl-predict -m nh.tlm >a
tl-predict -m nh-pipe.tlm "$ex/new-tweets.txt" >b && body b
same "a head without its embedding's digest" a b

# tl-embed's input rules: a malformed JSON line stops the run with its
# line number, or is skipped and counted with --skip-bad.
{ head -n 2 "$ex/new-tweets.jsonl"; echo '{"id_str": "x", '; tail -n 1 "$ex/new-tweets.jsonl"; } >bad.jsonl
fails "a malformed JSON line" 1 "bad.jsonl:3:" tl-predict -m nh-pipe.tlm --jsonl bad.jsonl
tl-predict -m nh-pipe.tlm --jsonl --skip-bad --labels bad.jsonl >b 2>err
[ "$(wc -l <b)" -eq 3 ] && grep -q "skipped 1 malformed line" err ||
    no "--skip-bad: $(wc -l <b) records; $(cat err)"

# Stages that do not fit, named; nothing written.
# The pooling a head was trained on is in its stream's header and its
# description, and checked; a head without it (a stream without header)
# is trusted, and only the dimension checked.
tl-embed -m small.tlm --pool meanmax --normalize </dev/null | head -n 1 |
    grep -q '"pool":{"kind":"meanmax","normalize":true}' ||
    no "tl-embed's header lacks the pooling"
tl-info mm.tlm | grep -A 3 '"pool"' | grep -q '"kind": "meanmax"' ||
    no "tl-train does not record the pooling"
tl-stack -m s1.tlm c.vec | head -n 1 | grep -q '"pool":{"kind":"mean"' ||
    no "tl-stack drops the pooling from the header"
tl-stack --tsv -m small.tlm --pool max sent.tsv | tl-train -q -o mx.tlm
tl-info mx.tlm | grep -A 3 '"pool"' | grep -q '"kind": "max"' ||
    no "tl-stack on text does not record its pooling"
fails "pooling of another kind" 1 "mm: was trained on vectors pooled as {\"kind\":\"meanmax\",\"normalize\":true}, but the pipeline would pool them as {\"kind\":\"meanmax\",\"normalize\":false}" \
    tl-stack --freeze --pool meanmax -o bad.tlm small.tlm mm.tlm
fails "another sif a" 1 "sif: was trained on vectors pooled as" \
    tl-stack --freeze --pool sif -o bad.tlm fit.tlm sif.tlm
fails "pooling of another dimension, not recorded" 1 "nh: takes 16 values per record, but its inputs give 32 (small with meanmax pooling gives 32)" \
    tl-stack --freeze --pool meanmax -o bad.tlm small.tlm nh.tlm
fails "another embedding" 1 "s1: was trained on the outputs of model" \
    tl-stack --freeze -o bad.tlm "$M" s1.tlm
fails "stages out of order" 1 "dag: was trained with the outputs of model" \
    tl-stack --freeze -o bad.tlm "$M" dag.tlm sentiment.tlm
fails "an unused stage" 1 "s2: no later stage takes its outputs" \
    tl-stack --freeze -o bad.tlm small.tlm s1.tlm s2.tlm plain.tlm
fails "no embedding first" 1 "sentiment: the first stage must be the embedding" \
    tl-stack --freeze -o bad.tlm sentiment.tlm dag.tlm
fails "the same model twice" 1 "the same model as" \
    tl-stack --freeze -o bad.tlm small.tlm s1.tlm s1.tlm
fails "two stages of one name" 2 "two stages named 'a'" \
    tl-stack --freeze -o bad.tlm small.tlm a=s1.tlm a=s2.tlm
fails "no -o" 2 "-o FILE is required" tl-stack --freeze small.tlm s1.tlm
fails "one model" 2 "give the embedding and" tl-stack --freeze -o bad.tlm small.tlm
fails "--pool without --freeze" 2 "go with --freeze" tl-stack --pool max -m s1.tlm c.vec
fails "text options, not a pipeline" 2 "is not a pipeline model" \
    tl-predict --tsv -m s1.tlm "$ex/campaign.tsv"

# Damaged pipeline files fail with a message, not a crash.
size=$(wc -c <nest.tlm)
head -c $((size - 100)) nest.tlm >trunc.tlm
fails "a truncated pipeline" 1 "trunc.tlm" tl-predict -m trunc.tlm "$ex/new-tweets.txt"
# rewrite the description (same length, spaces pad the header)
tamper() { # out, python expression on the description d
	/usr/bin/python3 - "${src:-nest.tlm}" "$1" "$2" <<'EOF'
import json, struct, sys
src, dst, expr = sys.argv[1:]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
d = json.loads(h["__metadata__"]["tl"])
exec(expr)
h["__metadata__"]["tl"] = json.dumps(d)
s = json.dumps(h).encode()
s += b" " * ((8 - len(s) % 8) % 8)
open(dst, "wb").write(struct.pack("<Q", len(s)) + s + b[8 + n:])
EOF
}
tamper t1.tlm 'd["stages"][2]["input"]["base"] = 5'
fails "a stage fed by a later one" 1 "not an earlier stage" \
    tl-predict -m t1.tlm "$ex/new-tweets.txt"
tamper t2.tlm 'd["stages"][3]["input"]["stacked"] = [1]'
fails "a stage whose inputs do not add up" 1 "stage 3: takes" \
    tl-predict -m t2.tlm "$ex/new-tweets.txt"
tamper t3.tlm 'd["stages"][0]["pool"]["kind"] = "median"'
fails "an unknown pooling" 1 "pool" tl-predict -m t3.tlm "$ex/new-tweets.txt"
tamper t4.tlm 'del d["stages"]'
fails "no stages" 1 "stages" tl-predict -m t4.tlm "$ex/new-tweets.txt"
tamper t5.tlm 'del d["stages"][1]["description"]'
fails "a stage without its description" 1 "pipeline: stage 1: not a tl model" \
    tl-predict -m t5.tlm "$ex/new-tweets.txt"
tamper t6.tlm 'd["stages"][3]["description"]["input_dim"] = 7'
fails "a stage whose description lies" 1 "pipeline: stage 3: " \
    tl-predict -m t6.tlm "$ex/new-tweets.txt"
src=lex-pipe.tlm tamper t7.tlm 'd["stages"][1]["lexical"]["buckets"] = 7'
fails "a sparse stage with other lexical settings" 1 "stage 1: no \"lexical\" settings" \
    tl-predict -m t7.tlm "$ex/new-tweets.txt"
src=lexc-pipe.tlm tamper t9.tlm 'd["stages"][1]["lexical"]["chars"] = [5, 2]'
fails "character n-grams of no sizes" 1 "stage 1: \"lexical\" \"chars\" is not" \
    tl-predict -m t9.tlm "$ex/new-tweets.txt"
src=lex-pipe.tlm tamper t8.tlm 'del d["stages"][1]["lexical"]'
fails "a sparse stage without lexical settings" 1 "stage 1: no \"lexical\"" \
    tl-predict -m t8.tlm "$ex/new-tweets.txt"

[ $fail -eq 0 ] && echo "ok"
exit $fail
