//! A tiny per-thread xorshift generator: picks steal victims and remote shards without
//! coordination. Quality does not matter, only that threads spread out.

use std::cell::Cell;

// Through the facade: under loom each model thread gets its own generator, freshly seeded in
// every execution, so the choices (and so the interleavings) replay deterministically.
crate::loom::thread_local! {
    static STATE: Cell<u32> = Cell::new(seed());
}

#[cfg(loom)]
fn seed() -> u32 {
    0x9e37_79b9
}

#[cfg(not(loom))]
fn seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(&h as *const _ as usize);
    (h.finish() as u32) | 1
}

/// A pseudo-random number in `0..n` (`n > 0`).
pub(crate) fn below(n: usize) -> usize {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s.set(x);
        ((x as u128 * n as u128) >> 32) as usize
    })
}

// Through the facade too (one choice per model thread under loom).
crate::loom::thread_local! {
    static HOME: Cell<usize> = Cell::new(below(1 << 16));
}

/// A per-thread sticky choice in `0..n`: a thread outside the runtime keeps arming on the
/// same shard, so its timers, counters and reference counts stay on cache lines it alone
/// shares with that shard's owner instead of bouncing between all threads.
pub(crate) fn home(n: usize) -> usize {
    HOME.with(|h| h.get() % n)
}
