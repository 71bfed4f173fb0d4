//! create_future: (Promise, Deferred) set from any thread, awaited from any executor,
//! cancellable from either side (asyncio's loop.create_future / Future.set_result / cancel).

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, DropCounter, OnDrop};
use futures::FutureExt;
use spindle::{Cancelled, Deferred, Promise};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

rt_suite!(
    set_from_other_thread_then_awaited_in_task,
    awaited_from_plain_block_on,
    set_before_await,
    is_done_transitions,
    deferred_cancel_rejects_set_result,
    cancel_after_set_returns_false,
    cancel_twice_second_is_false,
    dropping_promise_yields_cancelled,
    dropping_promise_wakes_waiting_task,
    deferred_cancel_wakes_waiting_task,
    value_dropped_exactly_once,
    many_pairs_across_threads,
    deferred_pending_survives_timeout_then_set,
    deferred_from_one_runtime_awaited_on_another,
);

fn set_from_other_thread_then_awaited_in_task(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<String>();
    let jh = rt.handle().spawn(deferred);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        promise.set_result("from thread".to_string())
    });
    assert!(
        t.join().unwrap().is_ok(),
        "set_result on a live pair must succeed"
    );
    let v = futures::executor::block_on(jh).unwrap();
    assert_eq!(v.unwrap(), "from thread");
}

fn awaited_from_plain_block_on(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u64>();
    // Set from a runtime task, awaited on a plain thread with another executor.
    let waiter = std::thread::spawn(move || futures::executor::block_on(deferred));
    std::thread::sleep(Duration::from_millis(20));
    drop(rt.handle().spawn(async move {
        spindle::sleep(Duration::from_millis(5)).await;
        promise.set_result(99).unwrap();
    }));
    assert_eq!(waiter.join().unwrap().unwrap(), 99);
}

fn set_before_await(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<Vec<u8>>();
    promise.set_result(vec![1, 2, 3]).unwrap();
    assert!(deferred.is_done());
    assert_eq!(rt.block_on(deferred).unwrap(), vec![1, 2, 3]);
}

fn is_done_transitions(workers: usize) {
    let rt = rt(workers);
    let (promise, mut deferred) = rt.handle().create_future::<u8>();
    assert!(!deferred.is_done());
    assert!(!promise.is_cancelled());
    assert!(
        (&mut deferred).now_or_never().is_none(),
        "Deferred ready before set_result"
    );
    assert!(!deferred.is_done());
    std::thread::spawn(move || promise.set_result(1).unwrap())
        .join()
        .unwrap();
    assert!(deferred.is_done(), "is_done() false after set_result");
    assert_eq!(rt.block_on(&mut deferred).unwrap(), 1);
}

fn deferred_cancel_rejects_set_result(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<String>();
    assert!(
        deferred.cancel(),
        "cancel() of a pending Deferred must return true"
    );
    assert!(
        deferred.is_done(),
        "a cancelled Deferred is done (asyncio: done() after cancel)"
    );
    assert!(
        promise.is_cancelled(),
        "Promise must observe the cancellation"
    );
    let back = promise.set_result("late".to_string());
    assert_eq!(
        back,
        Err("late".to_string()),
        "set_result after cancel must give the value back"
    );
    let r: Result<String, Cancelled> = rt.block_on(deferred);
    let err = r.expect_err("cancelled Deferred must yield Err(Cancelled)");
    let as_error: &dyn std::error::Error = &err;
    assert!(
        !as_error.to_string().is_empty(),
        "Cancelled Display is empty"
    );
}

fn cancel_after_set_returns_false(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u8>();
    promise.set_result(4).unwrap();
    assert!(
        !deferred.cancel(),
        "cancel() after set_result must return false"
    );
    assert_eq!(
        rt.block_on(deferred).unwrap(),
        4,
        "value lost by a late cancel()"
    );
}

fn cancel_twice_second_is_false(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u8>();
    assert!(deferred.cancel());
    assert!(!deferred.cancel());
    assert!(promise.is_cancelled());
    drop(promise);
    assert!(rt.block_on(deferred).is_err());
}

fn dropping_promise_yields_cancelled(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u8>();
    drop(promise);
    let r = rt.block_on(deferred);
    assert!(
        r.is_err(),
        "dropped Promise must yield Err(Cancelled), got {r:?}"
    );
}

fn dropping_promise_wakes_waiting_task(workers: usize) {
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u8>();
    let jh = rt.handle().spawn(deferred);
    std::thread::sleep(Duration::from_millis(20));
    assert!(!jh.is_finished());
    std::thread::spawn(move || drop(promise)).join().unwrap();
    let r = futures::executor::block_on(jh).unwrap();
    assert!(
        r.is_err(),
        "waiting task must see Err(Cancelled) after the Promise was dropped"
    );
}

fn deferred_cancel_wakes_waiting_task(workers: usize) {
    // The Deferred is shared (cancel takes &self); a task waits on it, another thread cancels.
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u8>();
    let shared = Arc::new(Mutex::new(deferred));
    let s2 = shared.clone();
    let polled = Arc::new(AtomicBool::new(false));
    let p2 = polled.clone();
    let jh = rt.handle().spawn(futures::future::poll_fn(move |cx| {
        p2.store(true, Ordering::SeqCst);
        let mut d = s2.lock().unwrap();
        std::pin::Pin::new(&mut *d).poll(cx)
    }));
    assert!(wait_until(Duration::from_secs(5), || polled.load(Ordering::SeqCst)));
    std::thread::sleep(Duration::from_millis(10));
    assert!(shared.lock().unwrap().cancel());
    let r = futures::executor::block_on(jh).unwrap();
    assert!(
        r.is_err(),
        "task awaiting a cancelled Deferred must get Err(Cancelled)"
    );
    assert!(promise.is_cancelled());
    assert!(promise.set_result(1).is_err());
}

fn value_dropped_exactly_once(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    // Delivered: dropped once, by whoever ends up owning it.
    let (promise, deferred) = rt.handle().create_future::<OnDrop>();
    promise.set_result(drops.token()).unwrap();
    let v = rt.block_on(deferred).unwrap();
    assert_eq!(drops.get(), 0);
    drop(v);
    assert_eq!(drops.get(), 1);
    // Set but never awaited: dropped with the Deferred.
    let (promise, deferred) = rt.handle().create_future::<OnDrop>();
    promise.set_result(drops.token()).unwrap();
    drop(deferred);
    assert_eq!(drops.wait_for(2, Duration::from_secs(1)), 2);
    // Rejected after cancel: handed back, not dropped inside.
    let (promise, deferred) = rt.handle().create_future::<OnDrop>();
    assert!(deferred.cancel());
    let back = promise.set_result(drops.token()).expect_err("cancelled");
    assert_eq!(drops.get(), 2, "rejected value dropped instead of returned");
    drop(back);
    assert_eq!(drops.get(), 3);
}

fn many_pairs_across_threads(workers: usize) {
    const PAIRS: usize = 1_000;
    let rt = rt(workers);
    let mut promises: Vec<Option<Promise<usize>>> = Vec::new();
    let mut joins = Vec::new();
    for i in 0..PAIRS {
        let (p, d) = rt.handle().create_future::<usize>();
        promises.push(Some(p));
        joins.push(rt.handle().spawn(async move { (i, d.await) }));
    }
    let promises = Arc::new(Mutex::new(promises));
    let setters: Vec<_> = (0..4)
        .map(|t| {
            let promises = promises.clone();
            std::thread::spawn(move || {
                for i in (t..PAIRS).step_by(4) {
                    let p = promises.lock().unwrap()[i].take().unwrap();
                    p.set_result(i * 3).unwrap();
                }
            })
        })
        .collect();
    for s in setters {
        s.join().unwrap();
    }
    for j in joins {
        let (i, r) = futures::executor::block_on(j).unwrap();
        assert_eq!(r.unwrap(), i * 3);
    }
}

fn deferred_pending_survives_timeout_then_set(workers: usize) {
    let rt = rt(workers);
    let (promise, mut deferred) = rt.handle().create_future::<u32>();
    let r = rt.block_on(
        rt.handle()
            .timeout(Duration::from_millis(20), &mut deferred),
    );
    assert!(r.is_err(), "Deferred without a value completed");
    assert!(!deferred.is_done());
    assert!(
        !promise.is_cancelled(),
        "timing out an await is not a cancel"
    );
    promise.set_result(6).unwrap();
    let start = Instant::now();
    assert_eq!(rt.block_on(deferred).unwrap(), 6);
    assert!(start.elapsed() < Duration::from_secs(1));
}

fn deferred_from_one_runtime_awaited_on_another(workers: usize) {
    let rt1 = rt(workers);
    let rt2 = rt(1);
    let (promise, deferred): (Promise<u8>, Deferred<u8>) = rt1.handle().create_future();
    let jh = rt2.handle().spawn(deferred);
    let _ = rt1.handle().call_later(Duration::from_millis(5), move || {
        promise.set_result(2).unwrap();
    });
    assert_eq!(futures::executor::block_on(jh).unwrap().unwrap(), 2);
}

#[test]
fn types_have_the_promised_traits() {
    fn send<T: Send>() {}
    fn send_unpin<T: Send + Unpin>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    send::<Promise<String>>();
    send_unpin::<Deferred<String>>();
    error::<Cancelled>();
}

#[test]
fn create_future_works_in_block_on_and_tasks() {
    watchdog("create_future_works_in_block_on_and_tasks", || {
        let rt = rt(2);
        let v = rt.block_on(async {
            let (p, d) = spindle::Handle::current().create_future::<&'static str>();
            drop(spindle::spawn(async move {
                spindle::sleep(Duration::from_millis(5)).await;
                p.set_result("ok").unwrap();
            }));
            d.await
        });
        assert_eq!(v.unwrap(), "ok");
    })
}
