#!/usr/bin/env bash
# The unit tests, the boundary tests (reliability, shutdown, timer cancel, chaos) and the timer
# tests (issue 12: pooled entries, inline closures, the intrusive inbox) under
# AddressSanitizer + LeakSanitizer, on the nightly toolchain, in target/asan. Prints a line
# and exits 0 where nightly is missing. `SPINDLE_CHAOS_SECS` defaults to 4 here (ASan slows
# every allocation; the chaos rounds are time-bounded, so the run stays a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "asan: skipped (no nightly toolchain: \`rustup toolchain install nightly\` enables it)"
    exit 0
fi
target=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export SPINDLE_CHAOS_SECS=${SPINDLE_CHAOS_SECS:-4}
start=$(date +%s)
cargo +nightly test --target "$target" --target-dir target/asan \
    --lib --test reliability --test rt_shutdown --test timer_cancel --test chaos \
    --test timers --test sleep_timeout --test periodic --test interval --test timer_alloc
echo "asan: done in $(( $(date +%s) - start )) s"
