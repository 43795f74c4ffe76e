# Read "id label v1 ... vd" lines (tl-embed --no-header of one word per
# line, the word as its id via --tsv) and print each word with its nearest
# other word by cosine.
BEGIN { FS = "\t" }
{
	w[NR] = $1
	d = NF - 2
	s = 0
	for (k = 3; k <= NF; k++) { v[NR, k] = $k; s += $k * $k }
	norm[NR] = sqrt(s) + 1e-30
}
END {
	for (i = 1; i <= NR; i++) {
		best = -2
		for (j = 1; j <= NR; j++) {
			if (j == i) continue
			c = 0
			for (k = 3; k <= d + 2; k++) c += v[i, k] * v[j, k]
			c /= norm[i] * norm[j]
			if (c > best) { best = c; bw = w[j] }
		}
		print w[i], bw
	}
}
