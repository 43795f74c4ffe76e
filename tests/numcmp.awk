# awk -v tol=T -f numcmp.awk WANT GOT: exit 0 when the two files are the
# same but for numbers that differ by at most T relative to the larger
# (tests/cases/*/tolerance).  Lines must match one to one, and the text
# around the numbers exactly.  Why: the last digits of an optimiser's
# objective or of a float32 probability follow the BLAS kernels OpenBLAS
# picks for the CPU (AVX2 or AVX-512 ones), which no test should pin.
function skeleton(s) {
	gsub(NUM, "#", s)
	return s
}
function numbers(s, a,    k) {
	k = 0
	while (match(s, NUM)) {
		a[++k] = substr(s, RSTART, RLENGTH) + 0
		s = substr(s, RSTART + RLENGTH)
	}
	return k
}
function abs(x) { return x < 0 ? -x : x }
function same(x, y,    a, b, k, i, m) {
	if (x == y)
		return 1
	if (skeleton(x) != skeleton(y))
		return 0
	k = numbers(x, a)
	numbers(y, b)
	for (i = 1; i <= k; i++) {
		m = abs(a[i]) > abs(b[i]) ? abs(a[i]) : abs(b[i])
		if (abs(a[i] - b[i]) > tol * m)
			return 0
	}
	return 1
}
BEGIN { NUM = "[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?" }
NR == FNR { want[++n] = $0; next }
{ if (++got > n || !same(want[got], $0)) bad = 1 }
END { exit bad || got != n }
