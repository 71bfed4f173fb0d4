//! A worker stuck in a long task must not make the idle workers spin while they watch its
//! timers: they look at its shard every few ticks, not continuously.
#![cfg(target_os = "linux")]

mod common;

use common::cpu_ticks;
use std::time::Duration;

#[test]
fn idle_workers_do_not_spin_while_an_owner_is_stuck() {
    let rt = spindle::Builder::new().worker_threads(3).build().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let (fired_tx, fired_rx) = std::sync::mpsc::channel();
    rt.handle().spawn(async move {
        // A timer on this worker's shard that fires while it is stuck, so the shard's
        // published next deadline goes stale in the past...
        spindle::call_later(Duration::from_millis(5), move || fired_tx.send(()).unwrap());
        tx.send(()).unwrap();
        // ...then block this worker (sleeping: it uses no CPU itself) for 1.5 s.
        std::thread::sleep(Duration::from_millis(1500));
    });
    rx.recv().unwrap();
    // The timer is not hostage: an idle worker fires it.
    fired_rx
        .recv_timeout(Duration::from_millis(800))
        .expect("stuck owner's timer fired by a thief");
    let before = cpu_ticks();
    std::thread::sleep(Duration::from_millis(1000));
    let used = cpu_ticks() - before;
    // Two idle workers spinning would burn ~200 ticks here; polling every few ms costs a few.
    assert!(
        used <= 30,
        "idle workers used {used} CPU ticks in 1 s while an owner was stuck"
    );
}
