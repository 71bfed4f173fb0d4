#!/bin/bash
# Alternate old/new criterion bench binaries with one filter; results in $OUT/{S,T}-{old,new}-i.txt.
# OLD_DIR/NEW_DIR: the checkouts (criterion writes under their target/); OLD_S/NEW_S/OLD_T/NEW_T:
# the scheduler and timers bench binaries of each.
set -u
OUT=${OUT:-target/sbs}; PAIRS=${PAIRS:-3}; FILTER=${FILTER:-/spindle}; WHICH=${WHICH:-S T}
mkdir -p "$OUT"
for i in $(seq 1 "$PAIRS"); do
  for w in $WHICH; do
    for v in old new; do
      eval B=\$${v^^}_$w; eval D=\$${v^^}_DIR
      (cd "$D" && "$B" --bench "$FILTER" --warm-up-time 1 --measurement-time 3 --noplot) > "$OUT/$w-$v-$i.txt" 2>&1
    done
  done
done
