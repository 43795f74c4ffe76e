#!/usr/bin/python3
"""Write tests/data/lexical-charwb.tsv: the character n-grams that
scikit-learn's analyzer='char_wb' makes of single words, for
tests/unit/test_lexical.c.  Run from the top of the tree:
    /usr/bin/python3 tests/data/lexical-charwb.py >tests/data/lexical-charwb.tsv
The words are lower case and NFKC already, each one token of tl's general
tokenizer, so the tokens tl-embed hashes are these words."""
import sys

from sklearn.feature_extraction.text import CountVectorizer

WORDS = ["a", "at", "cat", "sat", "naïve", "日本語", "über", "ça", "ñ",
    "€", "𐐷𐐷", "transfer", "o'neil", "e.g", "3.14"]
RANGES = [(2, 5), (1, 1), (3, 3), (4, 8), (1, 8), (6, 8)]

out = sys.stdout
out.write("# made by tests/data/lexical-charwb.py from scikit-learn's "
    "char_wb analyzer:\n# MIN TAB MAX TAB word TAB its n-grams in "
    "scikit-learn's order, TAB-separated\n")
for lo, hi in RANGES:
	analyze = CountVectorizer(analyzer="char_wb", ngram_range=(lo, hi),
	    lowercase=False).build_analyzer()
	for w in WORDS:
		grams = analyze(w)
		assert all("\t" not in g for g in grams)
		out.write("\t".join([str(lo), str(hi), w] + grams) + "\n")
