#!/bin/sh
# The conventions every tool shares: --help (stdout, exit 0), --version,
# unknown option (exit 2: what is wrong, and the --help hint), missing input file (exit 1,
# "tl-x: FILE: ..." on one line).
set -u
fail=0
check() { # description, expected status, actual status
	if [ "$2" != "$3" ]; then echo "$1: exit $3, expected $2"; fail=1; fi
}
for t in embed train predict stack info; do
	tool=tl-$t
	out=$($tool --help 2>/dev/null); check "$tool --help" 0 $?
	echo "$out" | grep -q '^usage: ' || { echo "$tool --help: no usage line"; fail=1; }
	v=$($tool --version); check "$tool --version" 0 $?
	[ "$v" = "$tool (tl) $(sed -n 's/.*TL_VERSION "\(.*\)"/\1/p' "$TL_TOP/src/lib/cli.h")" ] ||
	    { echo "$tool --version printed '$v'"; fail=1; }
	err=$($tool --no-such-option 2>&1 >/dev/null); check "$tool --no-such-option" 2 $?
	[ "$err" = "$tool: unknown option '--no-such-option'
Try '$tool --help' for more information." ] ||
	    { echo "$tool --no-such-option: message '$err'"; fail=1; }
done
for t in train info; do
	err=$(tl-$t /nonexistent/x 2>&1 >/dev/null); check "tl-$t missing file" 1 $?
	case $err in
	"tl-$t: /nonexistent/x: "*) ;;
	*) echo "tl-$t missing file: message '$err'"; fail=1 ;;
	esac
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "tl-$t: more than one line"; fail=1; }
done
exit $fail
