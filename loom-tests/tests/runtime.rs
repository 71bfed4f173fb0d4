//! Paths 7 and 8: the whole runtime (`Builder`, one worker thread spawned through the loom
//! facade, the real worker loop, sleep protocol and shutdown).
#![cfg(loom)]

use loom::thread;
use spindle::__loom::SharedProbe;
use spindle::Builder;
use spindle_loom_tests::{model, model_catches, Counter, Fault};
use std::time::Duration;

fn one_worker() -> spindle::Runtime {
    Builder::new().worker_threads(1).build().unwrap()
}

/// Path 7. A task spawned from outside (injector push, fence, `notify_one`) races the only
/// worker going to sleep (search, register as a sleeper, re-check, park). The task runs: a
/// lost wakeup leaves the worker and the `block_on` thread parked, which loom reports as a
/// deadlock.
fn spawn_vs_sleep() {
    let rt = one_worker();
    let ran = Counter::new();
    let r = ran.clone();
    let jh = rt.handle().spawn(async move { r.inc() });
    rt.block_on(jh).unwrap();
    assert_eq!(ran.get(), 1);
    drop(rt);
}

#[test]
fn runtime_spawn_vs_sleep() {
    model(spawn_vs_sleep);
}

#[test]
fn runtime_spawn_vs_sleep_catches_missing_recheck() {
    model_catches(Fault::ParkSkipsRecheck, spawn_vs_sleep);
}

/// Path 8. Another thread spawns a task that completes, a task that stays idle forever (its
/// first `Pending` poll registers it with the runtime, which alone can then drop it) and
/// arms a `call_later`, while the runtime shuts down. When both are done, each future was
/// dropped exactly once (it ran, or was cancelled) and the callback's closure exactly once (a
/// one-hour timer never runs: it is cancelled by the closing shard or by the arming thread's
/// re-check), and once the handles are gone nothing keeps the runtime's shared state alive
/// (no task left in a queue).
fn shutdown_vs_spawn_and_call_later() {
    let rt = one_worker();
    let h = rt.handle().clone();
    let probe = SharedProbe::new(&h);
    let (fut_drops, cb_drops, cb_runs) = (Counter::new(), Counter::new(), Counter::new());
    let (fd, cd, cr) = (fut_drops.clone(), cb_drops.clone(), cb_runs.clone());
    let spawner = thread::spawn(move || {
        let g = fd.guard();
        let done = h.spawn(async move { drop(g) });
        let g = fd.guard();
        let idle = h.spawn(async move {
            let _g = g;
            std::future::pending::<()>().await
        });
        let g = cd.guard();
        let t = h.call_later(Duration::from_secs(3600), move || {
            drop(g);
            cr.inc()
        });
        (done, idle, t)
    });
    drop(rt);
    let (done, idle, t) = spawner.join().unwrap();
    assert_eq!(
        fut_drops.get(),
        2,
        "each future ran or was dropped, exactly once"
    );
    assert!(idle.is_finished(), "the idle task was not cancelled");
    assert_eq!(cb_runs.get(), 0);
    assert_eq!(cb_drops.get(), 1, "the callback's closure was leaked");
    assert!(t.is_cancelled());
    drop((done, idle, t));
    assert!(probe.is_freed(), "a task or entry keeps the runtime alive");
}

#[test]
fn runtime_shutdown_vs_spawn_and_call_later() {
    model(shutdown_vs_spawn_and_call_later);
}

#[test]
fn runtime_shutdown_vs_spawn_catches_missing_redrain() {
    model_catches(
        Fault::PushSkipsClosedRedrain,
        shutdown_vs_spawn_and_call_later,
    );
}

#[test]
fn runtime_shutdown_vs_call_later_catches_missing_closed_recheck() {
    model_catches(
        Fault::ArmSkipsClosedRecheck,
        shutdown_vs_spawn_and_call_later,
    );
}
