#!/bin/sh
# tl-predict and tl-stack run their products on one OpenBLAS thread
# (blas.h, tl_blas_filter_threads) unless OPENBLAS_NUM_THREADS says
# otherwise: each is counted by its tasks in /proc while it waits for more
# input, after a first block of 2048 records went through its head.
set -u
d=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$d"' EXIT
cd "$d"
fail=0
pid=
no() { echo "$*"; fail=1; }

# 2100 records of 100 values and 20 classes: products big enough that
# OpenBLAS would share them out
awk 'BEGIN { srand(1); for (i = 0; i < 2100; i++) { printf "%d\tc%d", i, i % 20
	for (j = 0; j < 100; j++) printf "\t%.3f", rand() - 0.5 + (j == i % 20)
	printf "\n" } }' >v.tsv
tl-train -q -o m.tlm v.tsv || no "training failed"

# tasks ENV CMD...: the number of threads of CMD, fed v.tsv and then
# nothing more, with the environment ENV ("-" for none); three times
# v.tsv, as one block is kept back while the next is read
tasks() {
	env=$1; shift
	rm -f fifo; mkfifo fifo
	if [ "$env" = - ]; then "$@" <fifo >/dev/null & pid=$!
	else env "$env" "$@" <fifo >/dev/null & pid=$!; fi
	exec 3>fifo
	cat v.tsv v.tsv v.tsv >&3
	n=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.1	# the block's product, then a wait on the fifo
		n=$(ls /proc/$pid/task 2>/dev/null | wc -l)
	done
	exec 3>&-
	wait $pid 2>/dev/null
	echo "$n"
}
unset OPENBLAS_NUM_THREADS
for p in "tl-predict -m m.tlm" "tl-stack -m m.tlm"; do
	n=$(tasks - $p)
	[ "$n" = 1 ] || no "$p: $n threads, expected 1"
	if [ "$(nproc)" -gt 1 ]; then
		n=$(tasks OPENBLAS_NUM_THREADS=2 $p)
		[ "$n" -gt 1 ] ||
		    no "$p: OPENBLAS_NUM_THREADS=2 gave $n threads, expected more than 1"
	fi
done
[ $fail = 0 ] && echo ok
exit $fail
