#!/usr/bin/env bash
# Every test: unit, integration and doc tests, then the loom models (release, bounded
# preemptions, own target dir so the normal build is not invalidated).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --lib --tests --examples
cargo test --workspace --doc
bash loom-tests/run.sh
