#!/bin/sh
# A full disk fails every writer of model files with a message naming the
# file, and replaces nothing: the model already there stays as it was and
# no temporary file is left.  tl-train --oof whose out-of-fold file does
# not fit keeps the old model too (the model is put in place only once
# every output is written).  The disk is a 16 KB tmpfs mounted in a mount
# namespace of the script's own (unshare -rm: no root needed).
if [ -z "${TL_FULL_DISK_NS:-}" ]; then
	TL_FULL_DISK_NS=1 exec unshare -rm sh "$0" "$@"
fi
. "$TL_TOP/tests/scratch.sh"
ex=$TL_TOP/examples
mkdir disk
mount -t tmpfs -o size=16k tmpfs disk || { no "cannot mount a tmpfs"; exit 1; }
trap 'umount "$d/disk"; rm -rf "$d"' EXIT

# writes WHAT COMMAND...: COMMAND, writing disk/m.tlm over the small model
# there, fails with a message naming it and leaves the old one alone
writes() {
	what=$1; shift
	cp old.tlm disk/m.tlm
	"$@" >/dev/null 2>err && no "$what: succeeded on a full disk"
	grep -q "^${1##*/}: disk/m.tlm: .*No space left on device" err ||
	    no "$what: message '$(cat err)'"
	cmp -s old.tlm disk/m.tlm || no "$what: the old model was changed"
	ls disk | grep -q tmp && no "$what: left $(ls disk) behind"
	rm -f disk/m.tlm
}

tl-embed import --format glove -o small.tlm "$TL_TOP/tests/data/embed-small.glove"
tl-embed -m small.tlm --tsv "$ex/tweets.tsv" >dense.vec
tl-embed -m small.tlm --tsv --lexical "$ex/tweets.tsv" >lex.vec
tl-train -q -o old.tlm dense.vec		# about 1 KB
tl-train -q -o lex.tlm lex.vec			# about 26 KB
# 400 words of 20 values: about 40 KB as a model
awk 'BEGIN { for (i = 0; i < 400; i++) { printf "w%d", i
	for (j = 0; j < 20; j++) printf " %.3f", sin(i * 20 + j); print "" } }' >wide.glove
tl-embed import --format glove -o wide.tlm wide.glove
cut -f 3 "$ex/tweets.tsv" >tweets.txt
awk 'BEGIN { for (i = 0; i < 100; i++) print "w" i, "w" (i * 7 % 400) }' >wide.txt

writes "tl-train -o" tl-train -q -o disk/m.tlm lex.vec
writes "tl-embed import" tl-embed import --format glove -o disk/m.tlm wide.glove
writes "tl-embed fit" tl-embed fit -m wide.tlm -o disk/m.tlm wide.txt
writes "tl-embed learn" tl-embed learn --dim 20 --epochs 1 --threads 1 \
    --min-count 1 -o disk/m.tlm tweets.txt
writes "tl-stack --freeze" tl-stack --freeze -o disk/m.tlm small.tlm lex.tlm

# --oof on the full disk: the model next to it is not replaced
cp old.tlm m.tlm
tl-train -q --cv 3 -C 1,10 --oof disk/oof -o m.tlm lex.vec 2>err &&
    no "tl-train --oof: succeeded on a full disk"
grep -q "^tl-train: disk/oof: .*No space left on device" err ||
    no "tl-train --oof: message '$(cat err)'"
cmp -s old.tlm m.tlm || no "tl-train --oof: the model was replaced"
ls | grep -q 'm\.tlm\.tmp' && no "tl-train --oof: left a temporary model"
[ -e disk/oof ] && no "tl-train --oof: left a partial disk/oof"
exit $fail
