#!/bin/sh
# Make sure the Debian packages a step needs are present: install them with
# apt-get when root, otherwise stop with the one command to run.
# Usage: deps.sh build|test|model|bench
set -eu

need_build="gcc make libjansson-dev libopenblas-dev libutf8proc-dev libxxhash-dev libssl-dev"
need_test="clang python3 python3-numpy python3-sklearn mandoc"
need_model="npm"
need_bench="fasttext liblinear-tools python3-sklearn gnuplot-nox hyperfine"

case "${1:-build}" in
build) pkgs=$need_build ;;
test) pkgs="$need_build $need_test" ;;
model) pkgs=$need_model ;;
bench) pkgs="$need_test $need_bench" ;;
*) echo "deps.sh: unknown step '$1'" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
# npm may come from outside Debian (nodesource, nvm): accept it on PATH.
case "$missing" in *" npm"*) command -v npm >/dev/null 2>&1 &&
    missing=$(echo "$missing" | sed 's/ npm//') ;; esac
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	exit 0
fi
echo "tl: missing packages; run: sudo apt-get install$missing" >&2
exit 1
