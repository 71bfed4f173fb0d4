//! Failure 6 of issue 10: the thieves' grace and look rate have a wall-clock floor, so with
//! a 1 µs `timer_tick` idle workers do not wake continuously while an owner is stuck (before
//! the floor: ~70 CPU ticks per second here). Its own binary: it measures the process's CPU.
#![cfg(target_os = "linux")]

mod common;

use common::{cpu_ticks, watchdog};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn tiny_tick_idle_workers_do_not_spin_while_an_owner_is_stuck() {
    watchdog("tiny_tick_cpu", move || {
        let rt = spindle::Builder::new()
            .worker_threads(3)
            .timer_tick(Duration::from_micros(1))
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let (fired_tx, fired_rx) = mpsc::channel();
        rt.handle().spawn(async move {
            spindle::call_later(Duration::from_millis(5), move || fired_tx.send(()).unwrap());
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(1500));
        });
        rx.recv().unwrap();
        fired_rx
            .recv_timeout(Duration::from_millis(800))
            .expect("stuck owner's timer fired by a thief");
        let before = cpu_ticks();
        std::thread::sleep(Duration::from_millis(1000));
        let used = cpu_ticks() - before;
        assert!(
            used <= 12,
            "idle workers used {used} CPU ticks in 1 s while an owner was stuck (1 µs tick)"
        );
    });
}
