//! Unit tests of `wheel` (a sibling file, so `wheel.rs` holds only the code; `super` is `wheel`).

use super::*;
use std::sync::Arc;

struct ItInner {
    deadline: AtomicU64,
    pos: Position,
    id: u64,
}

#[derive(Clone)]
struct It(Arc<ItInner>);

impl It {
    fn new(id: u64, deadline: u64) -> It {
        It(Arc::new(ItInner {
            deadline: AtomicU64::new(deadline),
            pos: Position::new(),
            id,
        }))
    }
    fn id(&self) -> u64 {
        self.0.id
    }
    /// Lazy re-arm: only moves the deadline, the wheel notices when it gets there.
    fn set_deadline(&self, deadline: u64) {
        self.0.deadline.store(deadline, Ordering::Relaxed);
    }
    /// (level, slot) of the item, if linked.
    fn at(&self) -> Option<(usize, usize)> {
        self.0.pos.get().map(|l| (l.level, l.slot))
    }
}

impl WheelItem for It {
    fn deadline(&self) -> u64 {
        self.0.deadline.load(Ordering::Relaxed)
    }
    fn position(&self) -> &Position {
        &self.0.pos
    }
    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Advances and returns the fired items' ids in firing order.
fn fire(w: &mut Wheel<It>, now: u64) -> Vec<u64> {
    let mut out = Vec::new();
    w.advance(now, |it| out.push(it.id()));
    out
}

fn insert(w: &mut Wheel<It>, id: u64, deadline: u64) -> It {
    let it = It::new(id, deadline);
    assert!(w.insert(it.clone()).is_ok(), "insert {deadline} failed");
    it
}

fn pow64(k: u32) -> u64 {
    1 << (LEVEL_BITS * k)
}

#[test]
fn level_and_slot_at_boundaries() {
    let mut w = Wheel::new();
    let cases = [
        (1, (0, 1)),
        (63, (0, 63)),
        (64, (1, 1)),
        (4095, (1, 63)),
        (4096, (2, 1)),
        (MAX_TICK, (9, 63)),
        (u64::MAX, (9, 63)),
    ];
    for (i, &(d, at)) in cases.iter().enumerate() {
        assert_eq!(insert(&mut w, i as u64, d).at(), Some(at), "deadline {d}");
    }
    for k in 1..NUM_LEVELS as u32 {
        let below = insert(&mut w, 100, pow64(k) - 1);
        assert_eq!(below.at(), Some((k as usize - 1, 63)), "64^{k}-1");
        let at = insert(&mut w, 101, pow64(k));
        assert_eq!(at.at(), Some((k as usize, 1)), "64^{k}");
    }
    // Relative to an unaligned elapsed: 100 = 1*64 + 36.
    let mut w = Wheel::with_elapsed(100);
    let cases = [
        (101, (0, 37)),
        (127, (0, 63)),
        (128, (1, 2)),
        (100 + 63, (1, 2)),
        (4095, (1, 63)),
        (4096, (2, 1)),
        (100 + 4096, (2, 1)),
    ];
    for (i, &(d, at)) in cases.iter().enumerate() {
        assert_eq!(insert(&mut w, i as u64, d).at(), Some(at), "deadline {d}");
    }
    // Just below the top: elapsed and MAX_TICK differ only in the low bits.
    let mut w = Wheel::with_elapsed(MAX_TICK - 1);
    assert_eq!(insert(&mut w, 0, u64::MAX).at(), Some((0, 63)));
    assert_eq!(w.next_expiration(), Some(MAX_TICK));
}

#[test]
fn level_for_matches_definition() {
    assert_eq!(level_for(0, 1), 0);
    assert_eq!(level_for(63, 64), 1);
    assert_eq!(level_for(64, 127), 0);
    assert_eq!(level_for(4095, 4096), 2);
    assert_eq!(level_for(0, MAX_TICK), 9);
    assert_eq!(level_for(0, u64::MAX), 9);
    assert_eq!(level_for(u64::MAX, 0), 9);
}

#[test]
fn insert_due_returns_err() {
    let mut w = Wheel::new();
    assert_eq!(w.insert(It::new(0, 0)).unwrap_err().id(), 0);
    let mut w = Wheel::with_elapsed(1000);
    for d in [0, 999, 1000] {
        let it = It::new(d, d);
        let back = w.insert(it.clone()).unwrap_err();
        assert!(back.same(&it) && !it.position().is_linked());
    }
    assert!(w.insert(It::new(1, 1001)).is_ok());
    assert_eq!(w.len(), 1);
    // Past MAX_TICK everything is due, even "never".
    let mut w = Wheel::with_elapsed(MAX_TICK);
    assert!(w.insert(It::new(0, u64::MAX)).is_err());
    let mut w = Wheel::with_elapsed(u64::MAX);
    assert!(w.insert(It::new(0, u64::MAX)).is_err());
    assert!(w.is_empty() && w.next_expiration().is_none());
}

#[test]
fn level0_fires_at_exact_tick() {
    let mut w = Wheel::new();
    for d in 1..64 {
        insert(&mut w, d, d);
    }
    for now in 1..64 {
        assert_eq!(fire(&mut w, now), vec![now]);
    }
    assert!(w.is_empty());
}

#[test]
fn cascades_across_levels() {
    let mut w = Wheel::new();
    let deadlines = [
        64,
        100,
        4096,
        5000,
        pow64(3) + 7,
        pow64(5) + pow64(2) * 3 + 1,
    ];
    let items: Vec<It> = deadlines.iter().map(|&d| insert(&mut w, d, d)).collect();
    assert_eq!(items[3].at(), Some((2, 1)));
    // 5000 = 4096 + 14*64 + 8: level 2 -> level 1 slot 14 -> level 0 slot 8.
    assert_eq!(fire(&mut w, 4096), vec![64, 100, 4096]);
    assert_eq!(items[3].at(), Some((1, 14)));
    assert_eq!(fire(&mut w, 4096 + 14 * 64), vec![]);
    assert_eq!(items[3].at(), Some((0, 8)));
    assert_eq!(fire(&mut w, 4999), vec![]);
    assert_eq!(fire(&mut w, 5000), vec![5000]);
    for &d in &deadlines[4..] {
        assert_eq!(fire(&mut w, d - 1), vec![]);
        assert_eq!(fire(&mut w, d), vec![d]);
    }
    assert!(w.is_empty() && items.iter().all(|it| !it.position().is_linked()));
}

#[test]
fn wrap_around_with_unaligned_elapsed() {
    for start in [100, 4000, pow64(3) - 5] {
        let mut w = Wheel::with_elapsed(start);
        let mut pending: Vec<u64> = (start + 1..=start + 300).collect();
        pending.extend([start + 4096, start + 5000, start + 70_000]);
        for &d in &pending {
            insert(&mut w, d, d);
        }
        let steps = [1, 7, 63, 64, 65, 1, 2, 200, 4000, 100_000];
        let mut now = start;
        for step in steps.iter().cycle() {
            if pending.is_empty() {
                break;
            }
            now += step;
            let mut expect: Vec<u64> = pending.iter().copied().filter(|&d| d <= now).collect();
            pending.retain(|&d| d > now);
            let mut got = fire(&mut w, now);
            assert!(got.windows(2).all(|p| p[0] <= p[1]), "order {got:?}");
            got.sort_unstable();
            expect.sort_unstable();
            assert_eq!(got, expect, "start {start} now {now}");
            assert_eq!(w.len(), pending.len());
        }
    }
}

#[test]
fn huge_jump_fires_exactly_the_due_items() {
    let mut w = Wheel::new();
    let t = 1 << 40;
    let deadlines = [
        1,
        63,
        64,
        4096,
        1 << 20,
        1 << 30,
        t - 1,
        t,
        t + 1,
        1 << 50,
        MAX_TICK,
    ];
    for &d in deadlines.iter().rev() {
        insert(&mut w, d, d);
    }
    assert_eq!(fire(&mut w, t), deadlines[..8].to_vec());
    assert_eq!(w.elapsed(), t);
    assert_eq!(w.len(), 3);
    assert!(w.next_expiration().unwrap() <= t + 1);
    assert_eq!(fire(&mut w, u64::MAX), deadlines[8..].to_vec());
    assert!(w.is_empty() && w.next_expiration().is_none());
    assert_eq!(w.elapsed(), u64::MAX);
}

#[test]
fn max_tick_items_are_kept_and_removable() {
    let mut w = Wheel::new();
    let a = insert(&mut w, 0, MAX_TICK);
    let b = insert(&mut w, 1, u64::MAX);
    assert_eq!(fire(&mut w, MAX_TICK - 1), vec![]);
    assert_eq!(w.len(), 2);
    assert!(w.remove(&a).is_some());
    assert_eq!(fire(&mut w, MAX_TICK), vec![1]);
    assert!(!b.position().is_linked() && w.is_empty());
}

#[test]
fn remove_head_middle_last_and_fix_up() {
    let mut w = Wheel::new();
    let items: Vec<It> = (0..5).map(|id| insert(&mut w, id, 10)).collect();
    let index = |it: &It| it.0.pos.get().unwrap().index;
    // Head: the last item (4) moves to index 0.
    assert!(w.remove(&items[0]).unwrap().same(&items[0]));
    assert_eq!(index(&items[4]), 0);
    assert!(!items[0].position().is_linked());
    // Middle: item 3 (now last) moves to index 2.
    assert!(w.remove(&items[2]).is_some());
    assert_eq!(index(&items[3]), 2);
    // Last: nothing moves.
    assert!(w.remove(&items[3]).is_some());
    assert_eq!((index(&items[4]), index(&items[1])), (0, 1));
    // Twice.
    assert!(w.remove(&items[3]).is_none());
    assert_eq!(w.len(), 2);
    // The moved items are still removable through their fixed-up positions.
    assert!(w.remove(&items[4]).is_some() && w.remove(&items[1]).is_some());
    assert!(w.is_empty() && w.next_expiration().is_none());
    assert_eq!(fire(&mut w, 100), vec![]);
}

#[test]
fn remove_foreign_or_unlinked_items() {
    let mut w = Wheel::new();
    let mut other = Wheel::new();
    let here = insert(&mut w, 0, 10);
    let there = insert(&mut other, 1, 10); // same (level, slot, index) as `here`
    let elsewhere = insert(&mut other, 2, 20);
    let never = It::new(3, 10);
    assert!(w.remove(&there).is_none());
    assert!(w.remove(&elsewhere).is_none());
    assert!(w.remove(&never).is_none());
    assert!(there.position().is_linked() && here.position().is_linked());
    assert_eq!((w.len(), other.len()), (1, 2));
    assert!(other.remove(&there).is_some());
    assert_eq!(fire(&mut w, 10), vec![0]);
    assert_eq!(fire(&mut other, 20), vec![2]);
}

#[test]
fn remove_after_cascade() {
    let mut w = Wheel::new();
    let a = insert(&mut w, 0, 5000);
    let b = insert(&mut w, 1, 5001);
    assert_eq!(a.at(), Some((2, 1)));
    assert_eq!(fire(&mut w, 4992), vec![]);
    assert_eq!(a.at(), Some((0, 8)));
    assert!(w.remove(&a).is_some());
    assert!(w.remove(&a).is_none());
    assert_eq!(fire(&mut w, 6000), vec![1]);
    assert!(!b.position().is_linked());
}

#[test]
fn lazy_rearm_fires_at_the_new_deadline() {
    let mut w = Wheel::new();
    let near = insert(&mut w, 0, 10);
    let far = insert(&mut w, 1, 10);
    let never = insert(&mut w, 2, 10);
    let coarse = insert(&mut w, 3, 5000);
    near.set_deadline(20);
    far.set_deadline(10_000);
    never.set_deadline(u64::MAX);
    coarse.set_deadline(5050);
    assert_eq!(fire(&mut w, 10), vec![]);
    assert_eq!(w.len(), 4);
    assert_eq!(near.at(), Some((0, 20)));
    assert_eq!(far.at(), Some((2, 2)));
    assert_eq!(never.at(), Some((9, 63)));
    assert_eq!(fire(&mut w, 19), vec![]);
    assert_eq!(fire(&mut w, 20), vec![0]);
    assert_eq!(fire(&mut w, 5049), vec![]);
    assert_eq!(fire(&mut w, 5050), vec![3]);
    assert_eq!(fire(&mut w, 9999), vec![]);
    assert_eq!(fire(&mut w, 10_000), vec![1]);
    assert!(w.remove(&never).is_some());
}

#[test]
fn next_expiration_is_a_lower_bound_that_makes_progress() {
    let mut w = Wheel::new();
    assert_eq!(w.next_expiration(), None);
    insert(&mut w, 0, 5000);
    assert_eq!(w.next_expiration(), Some(4096));
    insert(&mut w, 1, 70);
    assert_eq!(w.next_expiration(), Some(64));
    insert(&mut w, 2, 3);
    assert_eq!(w.next_expiration(), Some(3));
    let rearmed = insert(&mut w, 3, 4);
    rearmed.set_deadline(4100);
    let deadlines = [3, 70, 4100, 5000];
    let mut fired = Vec::new();
    let mut steps = 0;
    while let Some(t) = w.next_expiration() {
        let earliest = deadlines[fired.len()];
        assert!(t > w.elapsed() && t <= earliest, "{t} vs {earliest}");
        w.advance(t, |it| fired.push(it.deadline()));
        assert_eq!(w.elapsed(), t);
        steps += 1;
        assert!(steps <= 4 * NUM_LEVELS, "no progress");
    }
    assert_eq!(fired, deadlines);
}

#[test]
fn drain_and_drop_unlink_everything() {
    let mut w = Wheel::new();
    let items: Vec<It> = [5, 5, 70, 5000, MAX_TICK]
        .iter()
        .enumerate()
        .map(|(i, &d)| insert(&mut w, i as u64, d))
        .collect();
    let mut drained = Vec::new();
    w.drain(|it| drained.push(it.id()));
    drained.sort_unstable();
    assert_eq!(drained, vec![0, 1, 2, 3, 4]);
    assert!(w.is_empty() && w.next_expiration().is_none());
    assert!(items.iter().all(|it| !it.position().is_linked()));
    // Reusable afterwards; dropping unlinks what is left.
    assert!(w.insert(items[0].clone()).is_ok());
    drop(w);
    assert!(!items[0].position().is_linked());
}

/// xorshift64*: tiny deterministic PRNG (also drives `time::engine_tests`).
pub(in crate::time) struct Rng(pub(in crate::time) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(in crate::time) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// How far to advance: mostly small, sometimes huge (but the final flush aside, never
    /// past everything at once, so the run keeps exercising the wheel).
    fn step(&mut self) -> u64 {
        match self.below(20) {
            0..=7 => self.below(70),
            8..=13 => self.below(5000),
            14..=17 => self.below(1 << 24),
            _ => self.below(1 << 40),
        }
    }
    /// A delta spanning all levels: mostly small, sometimes huge or "never".
    fn delta(&mut self) -> u64 {
        match self.below(20) {
            0 => 0,
            1..=6 => self.below(64),
            7..=11 => self.below(5000),
            12..=15 => self.below(1 << 24),
            16..=17 => self.below(1 << 45),
            18 => MAX_TICK,
            _ => u64::MAX,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Live,
    Fired,
    Removed,
    Refused,
}

/// Reference model: every item created, its state and its effective deadline.
struct Model {
    items: Vec<It>,
    state: Vec<State>,
}

impl Model {
    fn live(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.items.len()).filter(|&i| self.state[i] == State::Live)
    }
    fn eff(&self, i: usize) -> u64 {
        effective_deadline(&self.items[i])
    }
}

/// Checks invariants 3-5 and that slot starts bound the items' deadlines (invariant 2).
fn check_structure(w: &Wheel<It>) {
    let mut count = 0;
    for (level, lvl) in w.levels.iter().enumerate() {
        let cur = slot_for(w.elapsed, level);
        let base = w.elapsed & !(level_range(level) - 1);
        for (slot, items) in lvl.slots.iter().enumerate() {
            assert_eq!(lvl.occupied >> slot & 1 == 1, !items.is_empty());
            if items.is_empty() {
                continue;
            }
            assert!(slot > cur, "stale slot {level}/{slot} (cur {cur})");
            let start = base + slot as u64 * slot_range(level);
            for (index, it) in items.iter().enumerate() {
                assert_eq!(it.0.pos.get(), Some(Loc { level, slot, index }));
                assert!(effective_deadline(it) >= start);
            }
            count += items.len();
        }
    }
    assert_eq!(count, w.len());
}

fn check_advance(w: &mut Wheel<It>, m: &mut Model, now: u64) {
    let old = w.elapsed();
    let mut fired = Vec::new();
    w.advance(now, |it| fired.push(it));
    let mut last = 0;
    for it in fired {
        let i = it.id() as usize;
        let d = m.eff(i);
        assert_eq!(m.state[i], State::Live, "fired twice or not in wheel");
        assert!(
            d > old && d <= now,
            "fired early/late: {d} not in ({old}, {now}]"
        );
        assert!(d >= last, "out of order");
        assert!(!it.position().is_linked());
        last = d;
        m.state[i] = State::Fired;
    }
    assert_eq!(w.elapsed(), old.max(now));
    check_structure(w);
    // Nothing covered by this advance may stay behind.
    let mut count = 0;
    let mut earliest = u64::MAX;
    for i in m.live() {
        assert!(m.eff(i) > w.elapsed(), "item {i} not fired");
        assert!(m.items[i].position().is_linked());
        earliest = earliest.min(m.eff(i));
        count += 1;
    }
    assert_eq!(w.len(), count);
    match w.next_expiration() {
        None => assert_eq!(count, 0),
        Some(t) => assert!(t > w.elapsed() && t <= earliest),
    }
}

/// `step_cap` bounds each advance so that runs starting near MAX_TICK do not end at once.
fn run_random(seed: u64, start: u64, step_cap: u64, ops: usize) {
    let mut rng = Rng(seed);
    let mut w = Wheel::with_elapsed(start);
    let mut m = Model {
        items: Vec::new(),
        state: Vec::new(),
    };
    for _ in 0..ops {
        let now = w.elapsed();
        match rng.below(100) {
            0..=39 => {
                let id = m.items.len() as u64;
                let d = match rng.below(8) {
                    0 => now.saturating_sub(rng.below(100)),
                    _ => now.saturating_add(rng.delta()),
                };
                let it = It::new(id, d);
                let refused = w.insert(it.clone()).is_err();
                assert_eq!(refused, effective_deadline(&it) <= now);
                m.items.push(it);
                m.state
                    .push(if refused { State::Refused } else { State::Live });
            }
            40..=54 if !m.items.is_empty() => {
                let i = rng.below(m.items.len() as u64) as usize;
                let got = w.remove(&m.items[i]);
                if m.state[i] == State::Live {
                    assert!(got.unwrap().same(&m.items[i]));
                    m.state[i] = State::Removed;
                } else {
                    assert!(got.is_none());
                }
                assert!(!m.items[i].position().is_linked());
                check_structure(&w);
            }
            55..=69 if !m.items.is_empty() => {
                let i = rng.below(m.items.len() as u64) as usize;
                if m.state[i] == State::Live {
                    let it = &m.items[i];
                    it.set_deadline(it.deadline().saturating_add(rng.delta()));
                }
            }
            70..=74 => check_structure(&w),
            _ => {
                // Occasionally go backwards or stay put (no-op).
                let to = match rng.below(10) {
                    0 => now.saturating_sub(rng.below(10)),
                    _ => now.saturating_add(rng.step() % step_cap),
                };
                check_advance(&mut w, &mut m, to);
            }
        }
    }
    check_advance(&mut w, &mut m, u64::MAX);
    assert!(w.is_empty());
    assert!(m.state.iter().all(|&s| s != State::Live));
}

#[test]
fn randomized_against_model() {
    let runs = [
        (0, u64::MAX),
        (100, u64::MAX),
        (4000, u64::MAX),
        (1 << 33, u64::MAX),
        (MAX_TICK - (1 << 30), 1 << 22),
        (MAX_TICK - 5000, 8),
    ];
    for (k, &(start, step_cap)) in runs.iter().enumerate() {
        for seed in 1..=3u64 {
            let seed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k as u64;
            run_random(seed, start, step_cap, 3000);
        }
    }
}
