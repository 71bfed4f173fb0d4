#!/usr/bin/env bash
# The loom suite: every model in loom-tests/tests against spindle's real code, and each
# model's seeded-fault twin. Release build with debug assertions (the real code's
# debug_asserts are checked in every explored interleaving), bounded preemptions, own target
# dir (a `--cfg loom` build must not invalidate the normal one). Extra arguments go to
# `cargo test`, e.g. `loom-tests/run.sh --test shard -- --nocapture`.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-3} \
    cargo test --release -p spindle-loom-tests --target-dir target/loom "$@"
