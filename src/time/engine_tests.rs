//! Issue 12: the wheel's randomized differential test over the real pooled entries, whose
//! blocks are released and reused (with a new generation) while the run goes on: a reused
//! block starts unlinked, is filed and removed like any entry, and the wheel never hands out
//! an entry that was released.

use super::entry::{Due, Entry};
use super::pool::EntryRef;
use super::wheel::tests::Rng;
use super::wheel::{Wheel, WheelItem, MAX_TICK};
use std::collections::HashMap;

/// A deadline delta spanning all levels, never 0 (this test's mix; the PRNG is the wheel
/// test's).
fn delta(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0..=3 => 1 + rng.below(64),
        4..=6 => 1 + rng.below(5000),
        7..=8 => 1 + rng.below(1 << 24),
        _ => MAX_TICK,
    }
}

fn run(seed: u64, ops: usize) {
    let mut rng = Rng(seed);
    let mut wheel: Wheel<EntryRef> = Wheel::new();
    // Live entries in the wheel: block address -> (our reference, effective deadline).
    let mut live: HashMap<usize, (EntryRef, u64)> = HashMap::new();
    let mut reused = 0;
    let mut seen_blocks: HashMap<usize, u32> = HashMap::new();
    for _ in 0..ops {
        let now = wheel.elapsed();
        match rng.below(10) {
            0..=3 => {
                let d = now.saturating_add(delta(&mut rng)).min(MAX_TICK);
                let e = Entry::new_callback(d, 0, || ());
                let block = EntryRef::as_ptr(&e) as usize;
                assert!(!live.contains_key(&block), "a live block handed out twice");
                assert!(!e.position().is_linked(), "a reused block starts unlinked");
                if let Some(&g) = seen_blocks.get(&block) {
                    assert!(e.gen != g, "a reused block keeps its generation");
                    reused += 1;
                }
                seen_blocks.insert(block, e.gen);
                wheel
                    .insert(e.clone())
                    .expect("a future deadline is accepted");
                live.insert(block, (e, d));
            }
            4..=5 if !live.is_empty() => {
                // Cancel + unlink, then release both references (the block is reused later).
                let k = *live
                    .keys()
                    .nth(rng.below(live.len() as u64) as usize)
                    .unwrap();
                let (e, _) = live.remove(&k).unwrap();
                assert!(e.cancel().is_some());
                let removed = wheel.remove(&e).expect("a live entry is in the wheel");
                assert!(EntryRef::ptr_eq(&removed, &e));
                assert!(wheel.remove(&e).is_none(), "removed twice");
                drop((removed, e));
            }
            6 if !live.is_empty() => {
                // Lazy re-arm later (one CAS; the wheel re-files it when its slot comes up).
                let k = *live
                    .keys()
                    .nth(rng.below(live.len() as u64) as usize)
                    .unwrap();
                let (e, d) = live.get_mut(&k).unwrap();
                let later = d.saturating_add(delta(&mut rng)).min(MAX_TICK);
                assert!(e.reset_later(later));
                *d = later;
            }
            _ => {
                let to = now.saturating_add(delta(&mut rng) % (1 << 20));
                let mut fired = Vec::new();
                wheel.advance(to, |e| fired.push(e));
                for e in fired {
                    let block = EntryRef::as_ptr(&e) as usize;
                    let (mine, d) = live.remove(&block).expect("fired a released entry");
                    assert!(EntryRef::ptr_eq(&mine, &e));
                    assert!(
                        d > now && d <= to,
                        "fired at {to}, deadline {d} (from {now})"
                    );
                    assert_eq!(e.deadline_tick(), d);
                    assert_eq!(e.on_due(to), Due::Queued);
                }
                for (e, d) in live.values() {
                    assert!(*d > to, "deadline {d} not fired by {to}");
                    assert!(e.position().is_linked());
                }
            }
        }
    }
    assert!(reused > 0, "the run never reused a block");
    let mut rest = Vec::new();
    wheel.drain(|e| rest.push(e));
    assert_eq!(rest.len(), live.len());
}

#[test]
fn randomized_wheel_over_pooled_entries() {
    for seed in 1..=4u64 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 4000);
    }
}
