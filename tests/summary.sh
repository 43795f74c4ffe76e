#!/bin/sh
# The closing line of make test: counts over every suite in LOG.
log=$1
passed=$(grep -c '^ok ' "$log" 2>/dev/null)
failed=$(grep -c '^not ok ' "$log" 2>/dev/null)
if [ "${failed:-0}" -gt 0 ]; then
	echo "failed:" >&2
	grep '^not ok ' "$log" | sed 's/^/  /' >&2
fi
echo "${passed:-0} passed, ${failed:-0} failed"
[ "${failed:-0}" -eq 0 ] && [ "${passed:-0}" -gt 0 ]
