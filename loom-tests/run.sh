#!/usr/bin/env bash
# The loom suite: every model in loom-tests/tests against spindle's real code, and each
# model's seeded-fault twin. Release build, bounded preemptions, own target dir (a
# `--cfg loom` build must not invalidate the normal one).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-2} \
    cargo test --release -p spindle-loom-tests --target-dir target/loom "$@"
