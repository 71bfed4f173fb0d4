#!/usr/bin/env bash
# Every test: unit, integration and doc tests, then the loom models (release, bounded
# preemptions, own target dir so the normal build is not invalidated). Ends with one
# summary line counting every test that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { "$@" 2>&1 | tee -a "$log"; }

# --all-features: the `hyper` feature (spindle::hyper, its tests and the http_server example).
run cargo test --workspace --all-features --lib --tests --examples
run cargo test --workspace --all-features --doc
run bash loom-tests/run.sh --tests

awk '/^test result:/ {
       for (i = 2; i <= NF; i++) {
         if ($i ~ /^passed/) passed += $(i - 1)
         if ($i ~ /^failed/) failed += $(i - 1)
       }
     }
     END { printf "summary: %d passed, %d failed\n", passed, failed }' "$log"
