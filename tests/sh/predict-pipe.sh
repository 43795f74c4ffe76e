#!/bin/sh
# tl-predict ... | head -1: a reader that stops early ends tl-predict
# quietly with status 0, in text and binary form, and -o keeps working.
. "$TL_TOP/tests/scratch.sh"

tl-train -q -o m.tlm "$TL_TOP/tests/data/train-3class.vec" || no "training failed"
# 60 rows x 2000 = 120000 records: far more than a pipe buffer
awk '{ for (i = 0; i < 2000; i++) print }' "$TL_TOP/tests/data/train-3class.vec" >big.vec

for opt in "" "--binary" "--no-header" "--labels" "--top 2"; do
	{ tl-predict $opt -m m.tlm big.vec 2>err; echo $? >rc; } | head -c 100 >/dev/null
	[ "$(cat rc)" = 0 ] || no "tl-predict $opt | head: exit $(cat rc)"
	[ -s err ] && no "tl-predict $opt | head: stderr '$(cat err)'"
done
{ tl-predict --eval -m m.tlm big.vec 2>err; echo $? >rc; } | head -1 >first
[ "$(cat rc)" = 0 ] || no "tl-predict --eval | head -1: exit $(cat rc)"
grep -q '^accuracy 0\.7833 (94000/120000)$' first || no "eval line: '$(cat first)'"

tl-predict -m m.tlm big.vec | head -1 >first
grep -q '^#{"tl":"vectors"' first || no "first line: '$(cat first)'"
[ "$(tl-predict -m m.tlm -o out.vec big.vec; wc -l <out.vec)" -eq 120001 ] ||
    no "tl-predict -o: wrong line count"
exit $fail
