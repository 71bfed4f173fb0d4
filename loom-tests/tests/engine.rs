//! Issue 12, the timer engine v2: pooled entries with the count in the entry, the generation
//! a `TimerHandle` records, blocks released to their pool from any thread, and the intrusive
//! inbox.
#![cfg(loom)]

use loom::thread;
use spindle::__loom::{handle_is_current, Due, Shard, Timer};
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// Handle clone/drop vs fire vs cancel vs owner reclaim, then pool recycle vs the late
/// handle. A remote arm (inbox: one reference) and its handle; another thread holds a clone
/// of the handle, cancels through it and drops it, while the owner drains the inbox, fires the
/// timer if it is due, runs it, drops its own references and arms the next timer from its
/// pool (which reuses the block once every reference is gone). Exactly one of the cancel and
/// the run wins, the closure is dropped once, the late handle's block is never reused under
/// it (its generation still matches), and the next timer is never cancelled by it.
fn handle_vs_fire_vs_reclaim() {
    let shard = Shard::new();
    let (ran, dropped) = (Counter::new(), Counter::new());
    let (r, g) = (ran.clone(), dropped.guard());
    let timer = shard.remote_arm(5, move || {
        let _g = g;
        r.inc();
    });
    let late = timer.handle();
    let canceller = thread::spawn(move || {
        let cancelled = late.cancel();
        if !handle_is_current(&late) {
            // Do not touch the block again (it is the next timer's now).
            std::mem::forget(late);
            panic!("a block was reused under a live handle");
        }
        drop(late);
        cancelled
    });
    let mut due = Due::new();
    shard.owner_turn(Some(5), &mut due);
    let fired = due.run_all();
    drop(timer);
    let next = Timer::unarmed(100, || {});
    let cancelled = canceller.join().unwrap();
    assert_eq!(
        fired + usize::from(cancelled),
        1,
        "exactly one of cancel and run wins"
    );
    assert_eq!(ran.get(), fired);
    assert!(
        !next.is_cancelled(),
        "a stale handle cancelled the next timer in its block"
    );
    drop(shard);
    assert_eq!(dropped.get(), 1, "the closure is dropped exactly once");
}

#[test]
fn engine_handle_vs_fire_vs_reclaim() {
    model(handle_vs_fire_vs_reclaim);
}

#[test]
fn engine_handle_vs_reclaim_catches_use_after_recycle() {
    model_catches(Fault::EntryCloneSkipsCount, handle_vs_fire_vs_reclaim);
}

/// Two other threads release the last references to two entries of this thread's pool at
/// once (both push onto the pool's lock-free `remote` list). The owner's next two entries
/// reuse exactly those two blocks: no released block is lost or handed out twice.
fn remote_release_vs_reuse() {
    let a = Timer::unarmed(10, || {});
    let b = Timer::unarmed(10, || {});
    let blocks = [a.block(), b.block()];
    let ta = thread::spawn(move || drop(a));
    let tb = thread::spawn(move || drop(b));
    ta.join().unwrap();
    tb.join().unwrap();
    let c = Timer::unarmed(10, || {});
    let d = Timer::unarmed(10, || {});
    let mut got = [c.block(), d.block()];
    got.sort_unstable();
    let mut want = blocks;
    want.sort_unstable();
    assert_eq!(got, want, "a released block was lost (or handed out twice)");
}

#[test]
fn engine_remote_release_vs_reuse() {
    model(remote_release_vs_reuse);
}

#[test]
fn engine_remote_release_catches_lost_free() {
    model_catches(Fault::PoolRemotePushStore, remote_release_vs_reuse);
}

/// Remote push vs owner drain: another thread pushes two arms (the second reaches that
/// thread's drain batch, so it also tries to file the inbox itself) while the owner runs its
/// turn. Every arm reaches the wheel and fires exactly once: nothing is lost.
fn remote_push_vs_owner_drain() {
    let shard = Shard::new();
    let (ran, dropped) = (Counter::new(), Counter::new());
    let arm = |s: &Shard, tick, ran: &Counter, dropped: &Counter| {
        let (r, g) = (ran.clone(), dropped.guard());
        s.remote_arm(tick, move || {
            let _g = g;
            r.inc();
        })
    };
    // Both arms on the pusher's thread: the drain batch is counted per pushing thread
    // (`time::pushes`), so its second push completes the batch and may file the inbox.
    let pusher = {
        let (s, ran, dropped) = (shard.clone(), ran.clone(), dropped.clone());
        thread::spawn(move || (arm(&s, 5, &ran, &dropped), arm(&s, 6, &ran, &dropped)))
    };
    let mut due = Due::new();
    shard.owner_turn(Some(10), &mut due);
    let (first, second) = pusher.join().unwrap();
    shard.owner_turn(Some(10), &mut due);
    due.run_all();
    assert_eq!(ran.get(), 2, "a remote arm was lost in the inbox");
    drop((first, second));
    shard.close();
    assert_eq!(dropped.get(), 2);
}

#[test]
fn engine_remote_push_vs_owner_drain() {
    model(remote_push_vs_owner_drain);
}

#[test]
fn engine_remote_push_catches_lost_push() {
    model_catches(Fault::InboxDrainNotAtomic, remote_push_vs_owner_drain);
}
