#!/bin/sh
# make install puts the tools, the man pages and the default model where
# PREFIX and DESTDIR say, and the installed tools run.
set -eu
[ "${TL_SUITE:-}" = asan ] && exit 0	# installs the optimised build only
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
make -s -C "$TL_TOP" install DESTDIR="$d" PREFIX=/opt/tl BUILD="$TL_BUILD" OUTBIN="$TL_OUTBIN" >"$d/log" 2>&1 ||
    { cat "$d/log"; exit 1; }
fail=0
for t in embed train predict stack info; do
	"$d/opt/tl/bin/tl-$t" --version >/dev/null || { echo "tl-$t missing"; fail=1; }
	[ -f "$d/opt/tl/share/man/man1/tl-$t.1" ] || { echo "tl-$t.1 missing"; fail=1; }
done
[ -f "$d/opt/tl/share/man/man5/tl-formats.5" ] || { echo "tl-formats.5 missing"; fail=1; }
[ -f "$d/opt/tl/share/man/man7/tl.7" ] || { echo "tl.7 missing"; fail=1; }
cmp -s "$d/opt/tl/share/tl/default.tlm" "$TL_TOP/models/default.tlm" ||
    { echo "default model not installed"; fail=1; }
"$d/opt/tl/bin/tl-info" "$d/opt/tl/share/tl/default.tlm" | grep -q '"kind": "embedding"' ||
    { echo "installed model unreadable"; fail=1; }
# Installed under any PREFIX, tl-embed finds the model installed beside it.
found=$(env -u TL_MODEL "$d/opt/tl/bin/tl-embed" --print-default-model)
[ "$found" -ef "$d/opt/tl/share/tl/default.tlm" ] ||
    { echo "installed tl-embed uses '$found'"; fail=1; }
echo "a good day" | env -u TL_MODEL "$d/opt/tl/bin/tl-embed" >/dev/null ||
    { echo "installed tl-embed cannot embed"; fail=1; }
exit $fail
