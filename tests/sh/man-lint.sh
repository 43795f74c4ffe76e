#!/bin/sh
# Every man page is clean under mandoc -Tlint, and every tool has one whose
# options include each long option the tool's --help lists.
set -eu
cd "$TL_TOP"
status=0
for m in man/*.[157]; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1) || true
	if [ -n "$out" ]; then echo "$out"; status=1; fi
done
for t in embed train predict stack info; do
	page=man/tl-$t.1
	[ -f "$page" ] || { echo "missing $page"; status=1; continue; }
	for opt in $(tl-$t --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		name=${opt#--}
		grep -Eq -- "Fl (Fl |-)$name" "$page" ||
		    { echo "$page does not document $opt"; status=1; }
	done
done
exit $status
