#!/bin/sh
# A short run of tests/fuzz.py on the build under test (the sanitizer build
# in make test's second suite): mutated streams, models, JSON lines and TSV
# must each end in exit 0, 1 or 2, with a message naming the tool when not
# 0.  make fuzz runs longer.
exec python3 "$TL_TOP/tests/fuzz.py" --bin "$TL_OUTBIN" \
    --model "$TL_TOP/models/default.tlm" --iters 300 --seed 11
