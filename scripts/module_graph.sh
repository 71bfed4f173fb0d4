#!/usr/bin/env bash
# Prints spindle's module import graph (`from -> to (files)`, read from the `crate::` paths in
# src/) and fails on a cycle among runtime/, scheduler/, time/ or on time/ or task/ naming a
# module above them (issue 9). The check itself is tests/module_graph.rs, which the test suite
# (scripts/test-all.sh, `cargo test --tests`) runs too.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q --test module_graph -- --nocapture --test-threads 1 layering_has_no_cycle 2>&1 \
    | grep -v '^running\|^test result\|^$\|^test \|^\.*$'
