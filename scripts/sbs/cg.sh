#!/bin/bash
# cg.sh WHAT N: total instructions (all threads) of the micro program, old then new.
# OLD_BIN/NEW_BIN: the micro program built against each checkout.
what=$1; n=$2; tmp=${TMPDIR:-/tmp}/sbs-cg
for v in old new; do
  eval bin=\$${v^^}_BIN; out=$tmp.$v.$what.$n
  rm -f "$out".[0-9]*
  valgrind --tool=callgrind --callgrind-out-file="$out.%p" "$bin" "$what" "$n" >/dev/null 2>"$out.log"
  echo "$v $what $n $(grep -h '^totals:\|^summary:' "$out".[0-9]* | tail -1 | awk '{print $2}')"
done
