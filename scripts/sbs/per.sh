#!/bin/bash
# per.sh WHAT N1 N2: instructions per operation, old and new (difference of two sizes).
what=$1; a=$2; b=$3; here=$(dirname "$0")
declare -A R
while read -r v _ n ir; do R[$v.$n]=$ir; done < <("$here/cg.sh" "$what" "$a"; "$here/cg.sh" "$what" "$b")
o=$(( (R[old.$b]-R[old.$a]) / (b-a) )); nn=$(( (R[new.$b]-R[new.$a]) / (b-a) ))
echo "$what: old $o new $nn ratio $(python3 -c "print(round($nn/$o,3))")"
