//! The runtime's clock: reading it, pausing it, and converting between `Instant`s and ticks.
//!
//! Tick `t` covers `[start + t*tick, start + (t+1)*tick)`. A deadline rounds *up* to the next
//! tick boundary and a callback fires once the current tick (rounded *down*) reaches it, so a
//! callback never runs before its deadline. Deadlines beyond `MAX_TICK` ticks (about 36
//! million years at 1 ms) saturate to `MAX_TICK`, which the wheel keeps but never reaches.
//!
//! **Pausing (virtual time, for tests).** One word, `mode`, says which clock is read:
//!
//! | `mode` | reading |
//! |---|---|
//! | `REAL` | `Instant::now()` (the hot path: one extra `Acquire` load, a plain `mov` on x86) |
//! | `SHIFTED` | `Instant::now() + offset` (resumed after a pause: time continues from the paused instant, no jump) |
//! | anything else | paused at that many nanoseconds after `start` |
//!
//! `pause` rounds the paused instant up to the next tick boundary (a step of less than one
//! tick, so that `sleep(d)` then `advance(d)` right after a pause completes for whole-tick
//! `d`); every move after that (`set_paused`) lands exactly where it is asked to, so
//! `advance(d)` moves `time()` by exactly `d` (the contract, and what tokio's paused clock
//! does). A timer still fires only once the tick reached (rounded *down*) is its deadline's
//! tick (rounded *up*), so it is never early, and a timer whose deadline is not on a tick
//! boundary fires when the clock reaches the boundary after it (auto-advance jumps there;
//! tokio's millisecond timers behave the same). Writers (`pause`, `resume`, `set_paused`) are serialized by
//! `ctl`; readers take no lock. The paused value is the mode word itself, so one load gives a
//! consistent reading. Virtual time is capped below `MAX_TICK` ticks, so "never" (a
//! `Duration::MAX` deadline) stays never even after a `Duration::MAX` advance.

use super::wheel::MAX_TICK;
use crate::loom::sync::atomic::{AtomicU64, Ordering::*};
use crate::loom::sync::{lock, Mutex};
use std::time::{Duration, Instant};

/// `mode`: the wall clock, no offset.
const REAL: u64 = u64::MAX;
/// `mode`: the wall clock plus `offset`.
const SHIFTED: u64 = u64::MAX - 1;

pub(crate) struct Clock {
    start: Instant,
    tick_nanos: u64,
    /// `REAL`, `SHIFTED`, or the paused reading in nanoseconds since `start` (module docs).
    mode: AtomicU64,
    /// While `SHIFTED`: virtual minus wall nanoseconds, as `i64` bits.
    offset: AtomicU64,
    /// Serializes the writers of `mode` and `offset`.
    ctl: Mutex<()>,
    /// The largest virtual reading, in nanoseconds since `start` (below `MAX_TICK` ticks).
    cap: u64,
}

impl Clock {
    pub(crate) fn new(tick: Duration) -> Clock {
        Clock::with_start(Instant::now(), tick)
    }

    pub(crate) fn with_start(start: Instant, tick: Duration) -> Clock {
        let tick_nanos = u64::try_from(tick.as_nanos()).unwrap_or(u64::MAX).max(1);
        let cap = (SHIFTED - 1).min((MAX_TICK - 1).saturating_mul(tick_nanos));
        let cap = cap - cap % tick_nanos;
        Clock {
            start,
            tick_nanos,
            mode: AtomicU64::new(REAL),
            offset: AtomicU64::new(0),
            ctl: Mutex::new(()),
            cap,
        }
    }

    /// The runtime's current time (the paused instant while paused). Not inlined: the check
    /// and its cold branch would grow every caller (measured: callers then stop being
    /// inlined themselves, which costs more than this call).
    #[inline(never)]
    pub(crate) fn now(&self) -> Instant {
        // Acquire: pairs with the Release stores in `pause`/`resume`/`set_paused` (a `SHIFTED`
        // reader then sees the `offset` stored before it).
        let mode = self.mode.load(Acquire);
        if mode == REAL {
            return Instant::now();
        }
        self.virtual_now(mode)
    }

    /// The current tick: whole ticks elapsed since start.
    #[inline(always)]
    pub(crate) fn now_tick(&self) -> u64 {
        // Acquire: as in `now`.
        let mode = self.mode.load(Acquire);
        if mode == REAL {
            return self.floor_tick(Instant::now());
        }
        self.floor_tick(self.virtual_now(mode))
    }

    #[cold]
    #[inline(never)]
    fn virtual_now(&self, mode: u64) -> Instant {
        let nanos = if mode == SHIFTED {
            self.shifted_nanos()
        } else {
            mode
        };
        self.instant_at(nanos)
    }

    /// Wall nanoseconds since start plus the offset, clamped to `[0, cap]`.
    fn shifted_nanos(&self) -> u64 {
        // Relaxed: published by the Release store of `mode` that made us read `SHIFTED`.
        let offset = self.offset.load(Relaxed) as i64;
        let wall = nanos_since(self.start, Instant::now()) as i128;
        (wall + offset as i128).clamp(0, self.cap as i128) as u64
    }

    fn instant_at(&self, nanos: u64) -> Instant {
        saturating_add(self.start, Duration::from_nanos(nanos))
    }

    /// Whether the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        // Relaxed: a snapshot; callers that act on it re-check under `ctl` or tolerate a race.
        !matches!(self.mode.load(Relaxed), REAL | SHIFTED)
    }

    /// The paused reading in nanoseconds since start, `None` while running.
    pub(crate) fn paused_nanos(&self) -> Option<u64> {
        // Acquire: as in `now`.
        match self.mode.load(Acquire) {
            REAL | SHIFTED => None,
            n => Some(n),
        }
    }

    /// Stops the clock at the current reading rounded up to a tick boundary (a forward step of
    /// less than one tick; monotonic). Pausing a paused clock does nothing. A reading that
    /// races with `pause` on another thread may still see the wall clock once.
    pub(crate) fn pause(&self) {
        let _g = lock(&self.ctl);
        let nanos = match self.mode.load(Relaxed) {
            REAL => nanos_since(self.start, Instant::now()).min(self.cap),
            SHIFTED => self.shifted_nanos(),
            _ => return,
        };
        let nanos = self.ceil_to_tick(nanos);
        // Release: pairs with the Acquire loads of readers.
        self.mode.store(nanos, Release);
    }

    /// Lets the clock run again from the paused instant: `now()` stays monotonic, with no
    /// jump. Resuming a running clock does nothing.
    pub(crate) fn resume(&self) {
        let _g = lock(&self.ctl);
        let Some(paused) = self.paused_nanos() else {
            return;
        };
        let wall = nanos_since(self.start, Instant::now()) as i128;
        let offset = (paused as i128 - wall).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        // Relaxed: published by the Release store of `mode` below.
        self.offset.store(offset as u64, Relaxed);
        // Release: pairs with the Acquire loads of readers.
        self.mode
            .store(if offset == 0 { REAL } else { SHIFTED }, Release);
    }

    /// While paused: moves the clock forward to exactly `nanos` since start, capped (never
    /// backwards). Returns the new reading; `None` if running.
    pub(crate) fn set_paused(&self, nanos: u64) -> Option<u64> {
        let _g = lock(&self.ctl);
        let now = self.paused_nanos()?;
        let nanos = nanos.min(self.cap).max(now);
        // Release: pairs with the Acquire loads of readers.
        self.mode.store(nanos, Release);
        Some(nanos)
    }

    /// The largest reading the virtual clock takes, in nanoseconds since start.
    pub(crate) fn cap(&self) -> u64 {
        self.cap
    }

    /// `from + d` (nanoseconds since start) as the paused clock will reach it: exact,
    /// saturating at the cap.
    pub(crate) fn target_after(&self, from: u64, d: Duration) -> u64 {
        let d = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        from.saturating_add(d).min(self.cap)
    }

    fn ceil_to_tick(&self, nanos: u64) -> u64 {
        let up = nanos
            .div_ceil(self.tick_nanos)
            .saturating_mul(self.tick_nanos);
        up.min(self.cap)
    }

    /// Nanoseconds since start of an instant (saturating).
    #[cfg(test)]
    pub(crate) fn nanos_of(&self, t: Instant) -> u64 {
        nanos_since(self.start, t)
    }

    /// The nanoseconds since start at which tick `t` begins (saturating).
    pub(crate) fn nanos_of_tick(&self, t: u64) -> u64 {
        t.saturating_mul(self.tick_nanos)
    }

    /// The wall-clock instant a worker parked until tick `t` must wake at: `None` while paused
    /// (a paused clock moves only when the runtime moves it, and then it unparks the owners
    /// that are due), the tick's start shifted back to the wall clock after a resume.
    pub(crate) fn park_deadline(&self, t: u64) -> Option<Instant> {
        // Acquire: as in `now`.
        match self.mode.load(Acquire) {
            REAL => self.instant_of(t),
            SHIFTED => {
                // Relaxed: as in `shifted_nanos`.
                let offset = self.offset.load(Relaxed) as i64 as i128;
                let wall = (self.nanos_of_tick(t) as i128 - offset).clamp(0, u64::MAX as i128);
                Some(self.instant_at(wall as u64))
            }
            _ => None,
        }
    }

    pub(crate) fn floor_tick(&self, t: Instant) -> u64 {
        (nanos_since(self.start, t) / self.tick_nanos).min(MAX_TICK)
    }

    /// The first tick at or after `deadline`: firing when `now_tick >= deadline_tick` is never
    /// early.
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        match nanos_since(self.start, deadline) {
            // Beyond 584 years: "never", like everything past MAX_TICK.
            u64::MAX => MAX_TICK,
            nanos => nanos.div_ceil(self.tick_nanos).min(MAX_TICK),
        }
    }

    /// `now + delay`, saturating: `Duration::MAX` becomes a far instant that maps to MAX_TICK.
    #[inline]
    pub(crate) fn deadline_after(&self, delay: Duration) -> Instant {
        saturating_add(self.now(), delay)
    }

    /// The instant at which tick `t` begins (for park timeouts); `None` if unrepresentable.
    pub(crate) fn instant_of(&self, t: u64) -> Option<Instant> {
        let nanos = (t as u128).checked_mul(self.tick_nanos as u128)?;
        // `try_from`, not `as`: whole seconds past u64::MAX must give `None`, not wrap to an
        // early instant (with a 60 s tick, a far tick would park for seconds instead).
        let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
        let d = Duration::new(secs, (nanos % 1_000_000_000) as u32);
        self.start.checked_add(d)
    }
}

/// Nanoseconds from `start` to `t` (0 if `t` is earlier), saturating at `u64::MAX` (584
/// years): plain 64-bit arithmetic, as this is on every arm's path.
fn nanos_since(start: Instant, t: Instant) -> u64 {
    let d = t.saturating_duration_since(start);
    d.as_secs()
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(u64::from(d.subsec_nanos())))
        .unwrap_or(u64::MAX)
}

/// `t + d`, saturating at [`far_future`] (an instant every wheel treats as "never") instead
/// of overflowing: how every deadline in the crate is computed.
pub(crate) fn saturating_add(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or_else(|| far_future(t))
}

/// An instant far enough to saturate any wheel, and still representable (`Instant + Duration`
/// overflows long before `Duration::MAX`).
pub(crate) fn far_future(from: Instant) -> Instant {
    let mut d = Duration::from_secs(u64::MAX / 4);
    loop {
        if let Some(t) = from.checked_add(d) {
            return t;
        }
        d /= 2;
    }
}

#[cfg(all(test, not(loom)))]
#[path = "clock_tests.rs"]
mod tests;

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("tick_nanos", &self.tick_nanos)
            .field("paused", &self.is_paused())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
#[path = "clock_pause_tests.rs"]
mod pause_tests;
