#!/bin/sh
# Nothing is lost: a failed run leaves an existing -o file untouched and no
# temporary behind; a full disk is reported by every stream writer; a
# reader that closes the pipe early ends the writer quietly with status 0.
. "$TL_TOP/tests/scratch.sh"

# 3 classes, 4 features, 300 rows, from a fixed formula.
awk 'BEGIN { OFS = "\t"; for (i = 0; i < 300; i++) { c = i % 3;
	print "r" i, "c" c, sin(i) + c, cos(i * 7) - c, sin(i * 3) * c, (i % 7) / 7 } }' >good.vec
sed '150s/\t[^\t]*$/\tnan/' good.vec >nan.vec

tl-train -q -o m.tlm good.vec || no "training on good data failed"
cp m.tlm before.tlm
tl-train -q -o m.tlm nan.vec 2>err && no "training on NaN data succeeded"
grep -q '^tl-train: nan.vec:150: ' err || no "NaN message: $(cat err)"
cmp -s m.tlm before.tlm || no "failed run changed the existing model"
ls m.tlm.tmp.* >/dev/null 2>&1 && no "temporary file left behind"

for cmd in "tl-predict -m m.tlm good.vec" "tl-stack -m m.tlm good.vec" \
    "tl-train -q good.vec" "tl-info m.tlm"; do
	$cmd >/dev/full 2>err; rc=$?
	[ $rc -eq 1 ] || no "$cmd >/dev/full: exit $rc"
	tool=${cmd%% *}
	grep -q "^$tool: .*No space left on device" err || no "$cmd >/dev/full: '$(cat err)'"
done

# -o onto a device writes to the device, never renames over it; -o through
# a symbolic link replaces the link's target and keeps the link.
tl-predict -m m.tlm -o /dev/null good.vec || no "-o /dev/null failed"
[ -c /dev/null ] || no "-o /dev/null replaced the device"
tl-predict -m m.tlm -o /dev/full good.vec 2>err && no "-o /dev/full succeeded"
grep -q "^tl-predict: /dev/full: .*No space left on device" err || no "-o /dev/full: '$(cat err)'"
[ -c /dev/full ] || no "-o /dev/full replaced the device"
ln -s m.tlm link.tlm
tl-train -q -o link.tlm good.vec && [ -L link.tlm ] || no "-o through a link lost the link"
tl-train -q -o . good.vec 2>err && no "-o directory succeeded"

# Replacing a file keeps its mode (a private file stays private); a new
# file gets 0666 less the umask.
chmod 600 m.tlm && tl-train -q -o m.tlm good.vec &&
    [ "$(stat -c %a m.tlm)" = 600 ] || no "-o over a 0600 file: mode $(stat -c %a m.tlm)"
rm -f new.tlm && (umask 027 && tl-train -q -o new.tlm good.vec) &&
    [ "$(stat -c %a new.tlm)" = 640 ] || no "-o new file, umask 027: mode $(stat -c %a new.tlm)"

# Binary output to a terminal is refused (script(1) gives the tool a tty).
if command -v script >/dev/null 2>&1; then
	for cmd in "tl-stack --binary -m m.tlm good.vec" \
	    "tl-predict --binary -m m.tlm good.vec"; do
		script -qec "$cmd" /dev/null >out 2>&1 && no "$cmd on a tty succeeded"
		grep -q "refusing to write binary data to a terminal" out ||
		    no "$cmd on a tty: '$(cat out)'"
	done
	# a model, with the way to cross-validate only
	script -qec "tl-train -q --cv 2 good.vec" /dev/null >out 2>&1 &&
	    no "tl-train on a tty succeeded"
	grep -q "refusing to write a model to a terminal: give -o FILE, or -o /dev/null to cross-validate only" out ||
	    no "tl-train --cv on a tty: '$(cat out)'"
	script -qec "tl-train -q good.vec" /dev/null >out 2>&1 &&
	    no "tl-train on a tty succeeded"
	grep -q "refusing to write a model to a terminal: give -o FILE or a pipe" out ||
	    no "tl-train on a tty: '$(cat out)'"
fi

# A long stream cut short by head: quiet, status 0.
for i in 1 2 3 4 5 6 7 8 9 10; do cat good.vec; done >big.vec
for i in 1 2 3 4 5 6 7 8 9 10; do cat big.vec; done >bigger.vec
for cmd in "tl-predict -m m.tlm bigger.vec" "tl-stack -m m.tlm bigger.vec"; do
	{ $cmd 2>err; echo $? >rc; } | head -n 1 >/dev/null
	[ "$(cat rc)" = 0 ] || no "$cmd | head: exit $(cat rc)"
	[ -s err ] && no "$cmd | head: stderr '$(cat err)'"
done

# --oof - cut short by head: the model is still written, status 0; all
# three fitters (dense, sparse, mlp) write it the same way.
awk 'BEGIN { OFS = "\t"; print "#{\"tl\":\"vectors\",\"version\":1,\"dim\":2,\"sparse\":8}"
	for (i = 0; i < 30000; i++) print "r" i, "c" i % 2, i % 5, i % 3, (i % 2) ":1" }' >sp.vec
for cmd in "tl-train -q --cv 2 -o oof.tlm bigger.vec" \
    "tl-train -q --cv 2 -o oof.tlm sp.vec" \
    "tl-train -q -t mlp --epochs 2 --cv 2 -o oof.tlm bigger.vec"; do
	rm -f oof.tlm
	{ $cmd --oof - 2>err; echo $? >rc; } | head -n 1 >/dev/null
	[ "$(cat rc)" = 0 ] || no "$cmd --oof - | head: exit $(cat rc)"
	[ -s oof.tlm ] || no "$cmd --oof - | head: no model"
	[ -s err ] && no "$cmd --oof - | head: stderr '$(cat err)'"
done
exit $fail
