#!/bin/sh
# tl-embed --threads N writes the same bytes as --threads 1, for every
# pooling and form, over inputs of many blocks and several files; on a
# malformed line it writes every record before it and nothing after.
. "$TL_TOP/tests/scratch.sh"

tl-embed import --format glove -o m.tlm "$TL_TOP/tests/data/embed-small.glove" ||
    no "import failed"
# 6000 documents (a dozen blocks) of known and unknown words, some long,
# some empty, some not ASCII
awk 'BEGIN {
	split("the cat sat on mat . , do n'"'"'t cross-country Caf\303\251 x", w, " ")
	for (i = 1; i <= 6000; i++) {
		n = (i * 7) % 23; s = ""
		for (j = 0; j < n; j++)
			s = s w[1 + (i * 13 + j * 5) % 12] " "
		if (i % 1000 == 0)
			for (j = 0; j < 3000; j++) s = s "cat "
		print s
	}
}' >docs.txt
head -100 docs.txt >few.txt

for opt in "" "--binary" "--pool sif" "--pool max" "--pool meanmax --normalize" \
    "--digits 6" "--tsv --skip-bad"; do
	tl-embed $opt -m m.tlm --threads 1 docs.txt few.txt >one 2>err1 ||
	    no "tl-embed $opt --threads 1: exit $?"
	for t in 2 5; do
		tl-embed $opt -m m.tlm --threads $t docs.txt few.txt >many 2>err ||
		    no "tl-embed $opt --threads $t: exit $?"
		cmp -s one many || no "tl-embed $opt: --threads $t differs from 1"
		cmp -s err1 err || no "tl-embed $opt: stderr differs with $t"
	done
done
[ "$(tl-embed -m m.tlm --no-header docs.txt few.txt | wc -l)" -eq 6100 ] ||
    no "wrong number of records"

# a malformed JSON line (2500) after many good ones
awk '{ printf "{\"id_str\": \"%d\", \"text\": \"%s\"}\n", NR, $0 }' docs.txt |
    sed '2500s/}$//' >tweets.jsonl
for t in 1 2 5; do
	tl-embed -m m.tlm --jsonl --threads $t tweets.jsonl >out.$t 2>err.$t
	[ $? = 1 ] || no "bad JSON line, --threads $t: exit status not 1"
	grep -q '^tl-embed: tweets.jsonl:2500: ' err.$t ||
	    no "--threads $t: '$(cat err.$t)'"
	[ "$(wc -l <out.$t)" -eq 2500 ] ||
	    no "--threads $t: $(wc -l <out.$t) lines out, expected header + 2499"
done
cmp -s out.1 out.2 && cmp -s out.1 out.5 || no "partial output differs"

tl-embed -m m.tlm --threads 0 few.txt >/dev/null 2>&1
[ $? = 2 ] || no "--threads 0 is not a usage error"
exit $fail
