//! Acceptance tests modelled on what CPython's asyncio event-loop tests check
//! (`test_events.py`, `test_base_events.py`, `test_futures.py`): callback ordering, handle
//! state, the loop clock, and futures. Written against the public API only.

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, DropCounter, XorShift};
use spindle::{Builder, Cancelled, Handle};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);

rt_suite!(
    call_later_runs_in_deadline_order_across_wheel_levels,
    call_at_runs_in_deadline_order_when_armed_from_outside,
    handle_state_follows_asyncio,
    call_soon_handle_when_is_not_in_the_future,
    cancelled_handle_drops_closure_before_its_deadline,
    call_at_far_past_runs_soon,
    loop_time_is_monotonic_across_threads,
    callback_panic_does_not_stop_later_callbacks,
    handle_current_in_callback_is_same_runtime,
    future_set_result_then_done,
    future_cancel_then_set_result_is_rejected,
    future_cancel_wakes_awaiter_on_another_executor,
    future_set_result_from_callback,
    future_value_dropped_when_deferred_dropped_unawaited,
    future_set_result_after_deferred_dropped,
    future_promise_dropped_in_callback_cancels,
    many_futures_resolved_by_timers_in_order,
    call_at_now,
    hook_callback_payload_drop_panics,
    cancel_other_due_same_tick,
    deferred_waker_update,
    closure_drop_reenters_timers_on_cancel,
    closure_drop_reenters_timers_at_shutdown,
    exact_timer_counts,
);

/// asyncio `test_call_later` / `test_run_once`: distinct deadlines run in deadline order on one
/// worker, whatever order they were armed in and whichever wheel level they start on. On four
/// workers only well-separated deadlines are checked (equal ones may run in parallel).
fn call_later_runs_in_deadline_order_across_wheel_levels(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut rng = XorShift::new(0x5eed);
    // distinct slots: 1 worker -> 3 ms apart; 4 workers -> 40 ms apart.
    let gap = if workers == 1 { 3 } else { 40 };
    let slots = if workers == 1 { 120u64 } else { 12 };
    let mut order: Vec<u64> = (0..slots).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut handles = Vec::new();
    for &slot in &order {
        let l = log.clone();
        // arm from a worker so the timer goes on a shard via the fast path
        let delay = Duration::from_millis(5 + slot * gap);
        handles.push(h.call_later(delay, move || l.lock().unwrap().push(slot)));
    }
    assert!(wait_until(LONG, || log.lock().unwrap().len() == slots as usize));
    let got = log.lock().unwrap().clone();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(got, sorted, "callbacks ran out of deadline order");
    for t in &handles {
        assert!(!t.is_cancelled(), "a callback that ran is not cancelled");
        assert!(!t.cancel(), "cancel after the run must return false");
    }
}

/// Same as above, but the timers are armed from inside a callback, from a task, and from an
/// outside thread, interleaved: all share one clock and one order.
fn call_at_runs_in_deadline_order_when_armed_from_outside(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let log = Arc::new(Mutex::new(Vec::new()));
    let base = h.time() + Duration::from_millis(30);
    let gap = Duration::from_millis(if workers == 1 { 4 } else { 40 });
    let n = 30u32;
    for i in (0..n).rev() {
        let l = log.clone();
        let when = base + gap * i;
        match i % 3 {
            0 => {
                h.call_at(when, move || l.lock().unwrap().push(i));
            }
            1 => {
                let hh = h.clone();
                rt.block_on(h.spawn(async move {
                    hh.call_at(when, move || l.lock().unwrap().push(i));
                }))
                .unwrap();
            }
            _ => {
                let (tx, rx) = mpsc::channel();
                h.call_soon(move || {
                    let t = spindle::call_at(when, move || l.lock().unwrap().push(i));
                    tx.send(t).unwrap();
                });
                let t = rx.recv_timeout(LONG).unwrap();
                assert_eq!(
                    t.when(),
                    when,
                    "call_at must report the instant it was given"
                );
            }
        }
    }
    assert!(wait_until(LONG, || log.lock().unwrap().len() == n as usize));
    let got = log.lock().unwrap().clone();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}

/// asyncio `TimerHandle.cancelled()` / `cancel()`: false before, true after a winning cancel,
/// and a second cancel changes nothing; clones share state.
fn handle_state_follows_asyncio(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let t = h.call_later(Duration::from_secs(3600), move || r.store(true, SeqCst));
    let c = t.clone();
    assert!(!t.is_cancelled());
    assert!(!c.is_cancelled());
    assert!(c.cancel());
    assert!(t.is_cancelled(), "clones share the cancelled state");
    assert!(!t.cancel());
    assert!(!c.cancel());
    assert!(t.is_cancelled());
    assert!(!ran.load(SeqCst));
    // Debug names the state and never panics.
    let _ = format!("{t:?}");
}

/// A `call_soon` handle is due now: its `when()` is not later than the clock right after.
fn call_soon_handle_when_is_not_in_the_future(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let before = h.time();
    let (tx, rx) = mpsc::channel();
    let t = h.call_soon(move || tx.send(spindle::Handle::current().time()).unwrap());
    let after = h.time();
    assert!(
        t.when() >= before && t.when() <= after,
        "call_soon when() must be 'now'"
    );
    let ran_at = rx.recv_timeout(LONG).unwrap();
    assert!(ran_at >= t.when());
}

/// asyncio drops a cancelled handle's callback at once (`_callback = None`). spindle's contract
/// says the same: promptly, not at its old deadline, also when the cancel comes from outside.
fn cancelled_handle_drops_closure_before_its_deadline(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    let mut handles = Vec::new();
    for i in 0..100u64 {
        let tok = drops.token();
        let t = if i % 2 == 0 {
            h.call_later(Duration::from_secs(60 + i), move || drop(tok))
        } else {
            let (tx, rx) = mpsc::channel();
            let hh = h.clone();
            h.call_soon(move || {
                tx.send(hh.call_later(Duration::from_secs(60 + i), move || drop(tok)))
                    .unwrap()
            });
            rx.recv_timeout(LONG).unwrap()
        };
        handles.push(t);
    }
    for t in &handles {
        assert!(t.cancel());
    }
    assert_eq!(drops.wait_for(100, Duration::from_secs(5)), 100);
    assert!(wait_until(Duration::from_secs(5), || h
        .metrics()
        .timers_pending()
        == 0));
}

/// `call_at` with an instant an hour in the past runs as soon as possible.
fn call_at_far_past_runs_soon(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let Some(past) = h.time().checked_sub(Duration::from_secs(3600)) else {
        return; // the clock's epoch is too recent to express an hour ago on this system
    };
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let t = h.call_at(past, move || tx.send(()).unwrap());
    assert_eq!(t.when(), past);
    rx.recv_timeout(LONG).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// `loop.time()` is monotonic, also when read on different threads in a causal chain.
fn loop_time_is_monotonic_across_threads(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let mut last = h.time();
    for _ in 0..200 {
        let (tx, rx) = mpsc::channel();
        h.call_soon(move || tx.send(Handle::current().time()).unwrap());
        let t = rx.recv_timeout(LONG).unwrap();
        assert!(t >= last, "time went backwards across threads");
        let now = h.time();
        assert!(now >= t);
        last = now;
    }
}

/// asyncio's default exception handler logs and the loop goes on: every callback after a
/// raising one still runs, and each payload reaches the hook once.
fn callback_panic_does_not_stop_later_callbacks(workers: usize) {
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let rt = Builder::new()
        .worker_threads(workers)
        .on_callback_panic(move |p| {
            assert_eq!(common::panic_message(&*p).as_deref(), Some("cb boom"));
            s.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..200 {
        let r = ran.clone();
        if i % 4 == 0 {
            h.call_soon(|| panic!("cb boom"));
        } else {
            h.call_later(Duration::from_millis(i % 7), move || {
                r.fetch_add(1, SeqCst);
            });
        }
    }
    assert!(wait_until(LONG, || ran.load(SeqCst) == 150 && seen.load(SeqCst) == 50));
    // the runtime still spawns and joins afterwards
    assert_eq!(rt.block_on(h.spawn(async { 7 })).unwrap(), 7);
}

/// `asyncio.get_running_loop()` inside a callback is the loop that runs it.
fn handle_current_in_callback_is_same_runtime(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    h.call_later(Duration::from_millis(2), move || {
        let cur = Handle::current();
        // spawn through the current handle and report its result via a second callback
        let jh = cur.spawn(async { 41 + 1 });
        let tx2 = tx.clone();
        cur.spawn(async move {
            tx2.send(jh.await.unwrap()).unwrap();
        });
        tx.send(cur.metrics().workers()).unwrap();
    });
    let mut got = [
        rx.recv_timeout(LONG).unwrap(),
        rx.recv_timeout(LONG).unwrap(),
    ];
    got.sort_unstable();
    let mut want = [42, workers];
    want.sort_unstable();
    assert_eq!(got, want);
}

/// `test_futures`: result set before awaiting; done() reflects it; cancel() after done is false.
fn future_set_result_then_done(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, d) = h.create_future::<Vec<u8>>();
    assert!(!d.is_done());
    assert!(!p.is_cancelled());
    assert_eq!(p.set_result(vec![1, 2, 3]), Ok(()));
    assert!(d.is_done());
    assert!(!d.cancel(), "cancel of a done future is false");
    assert!(d.is_done());
    assert_eq!(rt.block_on(d).unwrap(), vec![1, 2, 3]);
}

/// `test_futures`: cancel() first, then set_result gives the value back; the awaiter sees
/// Cancelled; Cancelled is an Error with a message.
fn future_cancel_then_set_result_is_rejected(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, d) = h.create_future::<String>();
    assert!(d.cancel());
    assert!(d.is_done(), "a cancelled future is done");
    assert!(!d.cancel());
    assert!(p.is_cancelled());
    assert_eq!(p.set_result("late".into()), Err("late".to_string()));
    let err: Cancelled = rt.block_on(d).unwrap_err();
    assert!(!err.to_string().is_empty());
    let _: &dyn std::error::Error = &err;
}

/// A Deferred awaited on a foreign executor is woken by cancel() from a worker callback.
fn future_cancel_wakes_awaiter_on_another_executor(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, d) = h.create_future::<u32>();
    let d = Arc::new(Mutex::new(Some(d)));
    let d2 = d.clone();
    let waiter = std::thread::spawn(move || {
        struct ByRef(Arc<Mutex<Option<spindle::Deferred<u32>>>>);
        impl Future for ByRef {
            type Output = Result<u32, Cancelled>;
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                let mut g = self.0.lock().unwrap();
                Pin::new(g.as_mut().unwrap()).poll(cx)
            }
        }
        futures::executor::block_on(ByRef(d2))
    });
    std::thread::sleep(Duration::from_millis(20));
    let d3 = d.clone();
    h.call_later(Duration::from_millis(5), move || {
        assert!(d3.lock().unwrap().as_ref().unwrap().cancel());
    });
    assert!(waiter.join().unwrap().is_err());
    assert!(p.is_cancelled());
    assert_eq!(p.set_result(1), Err(1));
}

/// loop.call_later(d, fut.set_result, v): the classic asyncio pattern.
fn future_set_result_from_callback(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, d) = h.create_future::<&'static str>();
    let start = Instant::now();
    h.call_later(Duration::from_millis(30), move || {
        p.set_result("ok").unwrap()
    });
    let got = rt.block_on(async move { spindle::spawn(d).await.unwrap() });
    assert_eq!(got, Ok("ok"));
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "set_result ran early"
    );
}

/// A value set on a future nobody awaits is dropped exactly once, when the Deferred goes.
fn future_value_dropped_when_deferred_dropped_unawaited(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    let (p, d) = h.create_future();
    p.set_result(drops.token()).unwrap();
    assert_eq!(drops.get(), 0);
    drop(d);
    assert_eq!(drops.get(), 1);
}

/// set_result after the Deferred was dropped: nobody can read the value; it is handed back
/// or dropped, exactly once either way, and nothing panics.
fn future_set_result_after_deferred_dropped(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    let (p, d) = h.create_future();
    drop(d);
    match p.set_result(drops.token()) {
        Ok(()) => {}
        Err(tok) => drop(tok),
    }
    assert_eq!(drops.get(), 1, "the value must be dropped exactly once");
}

/// A Promise dropped inside a timer callback (never set) resolves the awaiting task with
/// Cancelled, like a future whose producer went away.
fn future_promise_dropped_in_callback_cancels(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, d) = h.create_future::<u8>();
    h.call_later(Duration::from_millis(5), move || drop(p));
    let r = rt.block_on(h.spawn(d)).unwrap();
    assert!(r.is_err());
}

/// Futures resolved by call_later at increasing delays complete in delay order for a task
/// awaiting them in sequence, and none completes before its timer.
fn many_futures_resolved_by_timers_in_order(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let mut deferreds = Vec::new();
    let start = h.time();
    for i in 0..50u64 {
        let (p, d) = h.create_future::<u64>();
        h.call_later(Duration::from_millis(i * 2), move || {
            p.set_result(i).unwrap()
        });
        deferreds.push((i, d));
    }
    let hh = h.clone();
    rt.block_on(async move {
        for (i, d) in deferreds {
            assert_eq!(d.await.unwrap(), i);
            assert!(hh.time() >= start + Duration::from_millis(i * 2));
        }
    });
}

/// asyncio: a callback scheduled by call_soon inside a callback runs after the current one
/// returns (never nested inside it), and callbacks from one thread keep FIFO order. One
/// worker only: with more, the two may run in parallel by design.
#[test]
fn call_soon_inside_callback_runs_after_it_returns_and_fifo() {
    watchdog("call_soon_inside_callback", || {
        let rt = rt(1);
        let h = rt.handle().clone();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let l = log.clone();
        h.call_soon(move || {
            for i in 0..100 {
                let l2 = l.clone();
                spindle::call_soon(move || l2.lock().unwrap().push(i));
            }
            let tx = tx.clone();
            spindle::call_soon(move || tx.send(()).unwrap());
            // nothing scheduled above may have run yet: we are still inside this callback
            std::thread::sleep(Duration::from_millis(20));
            l.lock().unwrap().push(-1);
        });
        rx.recv_timeout(LONG).unwrap();
        let got = log.lock().unwrap().clone();
        let mut want = vec![-1];
        want.extend(0..100);
        assert_eq!(got, want);
    });
}

/// FIFO of call_soon from an outside thread on one worker, interleaved with call_soon from
/// the block_on thread of the same runtime (each producer's own order is kept).
#[test]
fn call_soon_fifo_per_producer_from_outside_threads() {
    watchdog("call_soon_fifo_outside", || {
        let rt = rt(1);
        let h = rt.handle().clone();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for p in 0..3u32 {
            let h = h.clone();
            let log = log.clone();
            threads.push(std::thread::spawn(move || {
                for i in 0..500u32 {
                    let l = log.clone();
                    h.call_soon(move || l.lock().unwrap().push((p, i)));
                }
            }));
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(wait_until(LONG, || log.lock().unwrap().len() == 1500));
        let got = log.lock().unwrap().clone();
        for p in 0..3 {
            let seq: Vec<u32> = got.iter().filter(|e| e.0 == p).map(|e| e.1).collect();
            assert_eq!(
                seq,
                (0..500).collect::<Vec<_>>(),
                "producer {p} lost FIFO order"
            );
        }
    });
}

/// The asyncio contract that call_soon callbacks run before timers due later: on one worker,
/// a call_soon armed after a call_later(50 ms) still runs first.
#[test]
fn call_soon_runs_before_later_timer() {
    watchdog("call_soon_before_later", || {
        let rt = rt(1);
        let h = rt.handle().clone();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (l1, l2) = (log.clone(), log.clone());
        h.call_later(Duration::from_millis(50), move || {
            l1.lock().unwrap().push("later")
        });
        h.call_soon(move || l2.lock().unwrap().push("soon"));
        assert!(wait_until(LONG, || log.lock().unwrap().len() == 2));
        assert_eq!(*log.lock().unwrap(), vec!["soon", "later"]);
    });
}

/// asyncio `call_at(loop.time())`: due now, when() is exactly that instant, and it runs.
fn call_at_now(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let now = h.time();
    let (tx, rx) = mpsc::channel();
    let t = h.call_at(now, move || tx.send(()).unwrap());
    assert_eq!(t.when(), now);
    rx.recv_timeout(LONG).unwrap();
}

/// on_callback_panic drops a payload whose Drop panics: contained, callbacks keep running.
fn hook_callback_payload_drop_panics(workers: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .on_callback_panic(drop)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    for _ in 0..10 {
        h.call_soon(|| std::panic::panic_any(PanicOnDrop));
    }
    std::thread::sleep(Duration::from_millis(50));
    let (tx, rx) = mpsc::channel();
    for _ in 0..20 {
        let tx = tx.clone();
        h.call_later(Duration::from_millis(1), move || tx.send(()).unwrap());
    }
    for _ in 0..20 {
        rx.recv_timeout(LONG).unwrap();
    }
}

/// Two callbacks due at the same instant, the first cancels the second (which may already be
/// queued to run): cancel() returns true exactly when the second never runs, and its closure
/// is dropped either way.
fn cancel_other_due_same_tick(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..200 {
        let when = h.time() + Duration::from_millis(2);
        let slot: Arc<Mutex<Option<spindle::TimerHandle>>> = Arc::new(Mutex::new(None));
        let ran_b = Arc::new(AtomicBool::new(false));
        let won = Arc::new(Mutex::new(None));
        let (tx, rx) = mpsc::channel();
        let (s, wn, rb) = (slot.clone(), won.clone(), ran_b.clone());
        let mut guard = slot.lock().unwrap();
        let drops = DropCounter::new();
        let tok = drops.token();
        h.call_at(when, move || {
            let t = s.lock().unwrap().take().unwrap();
            *wn.lock().unwrap() = Some(t.cancel());
            tx.send(()).unwrap();
        });
        *guard = Some(h.call_at(when, move || {
            let _t = tok;
            rb.store(true, SeqCst);
        }));
        drop(guard);
        rx.recv_timeout(LONG).unwrap();
        assert_eq!(drops.wait_for(1, LONG), 1);
        std::thread::sleep(Duration::from_millis(1));
        let won = won.lock().unwrap().unwrap();
        assert!(
            won != ran_b.load(SeqCst),
            "cancel returned {won} and B ran = {}",
            ran_b.load(SeqCst)
        );
    }
}

struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop boom");
        }
    }
}

/// The same for a Deferred, resolved from a callback.
fn deferred_waker_update(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, mut d) = h.create_future::<u8>();
    let noop = futures::task::noop_waker_ref();
    assert!(Pin::new(&mut d)
        .poll(&mut Context::from_waker(noop))
        .is_pending());
    let t = std::thread::spawn(move || futures::executor::block_on(d));
    std::thread::sleep(Duration::from_millis(20));
    h.call_soon(move || p.set_result(4).unwrap());
    assert_eq!(t.join().unwrap().unwrap(), 4);
}

/// A cancelled closure whose Drop arms a timer, cancels another and spawns (re-entering the
/// timer code from inside cancel): no deadlock, counts return to zero.
fn closure_drop_reenters_timers_on_cancel(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    for i in 0..50 {
        let other = h.call_later(Duration::from_secs(100), || {});
        let r = Reenter(h.clone(), Some(other), drops.clone());
        let t = h.call_later(Duration::from_secs(100), move || drop(r));
        if i % 2 == 0 {
            assert!(t.cancel());
        } else {
            let (tx, rx) = mpsc::channel();
            h.call_soon(move || tx.send(t.cancel()).unwrap());
            assert!(rx.recv_timeout(LONG).unwrap());
        }
    }
    assert_eq!(drops.wait_for(50, LONG), 50);
    assert!(
        wait_until(LONG, || h.metrics().timers_pending() == 0),
        "{:?}",
        h.metrics()
    );
}

/// The same Drops run by shutdown: drop returns and every closure is dropped.
fn closure_drop_reenters_timers_at_shutdown(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    for _ in 0..50 {
        let other = h.call_later(Duration::from_secs(100), || {});
        let r = Reenter(h.clone(), Some(other), drops.clone());
        h.call_later(Duration::from_secs(100), move || drop(r));
    }
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(5));
    // closures armed during shutdown are dropped (already-cancelled handles)
    assert_eq!(drops.wait_for(50, LONG), 50);
}

/// A closure payload whose Drop re-enters the timer code.
struct Reenter(spindle::Handle, Option<spindle::TimerHandle>, DropCounter);
impl Drop for Reenter {
    fn drop(&mut self) {
        let d = self.2.clone();
        let tok = d.token();
        let _ = self
            .0
            .call_later(Duration::from_millis(1), move || drop(tok));
        if let Some(t) = self.1.take() {
            t.cancel();
        }
        drop(self.0.spawn(async {}));
    }
}

/// The timer counters are exact on a fresh runtime: each callback or Sleep that fired counts
/// once in timers_fired, each one cancelled (cancel() or a dropped unfired Sleep) once in
/// timers_cancelled, whether armed or cancelled on a worker or outside, and pending returns
/// to zero.
fn exact_timer_counts(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let m0 = h.metrics();
    assert_eq!(
        (
            m0.timers_fired(),
            m0.timers_cancelled(),
            m0.timers_pending()
        ),
        (0, 0, 0)
    );
    let (tx, rx) = mpsc::channel();
    // 10 from outside, 10 from a worker, fired
    for _ in 0..10 {
        let tx = tx.clone();
        h.call_later(Duration::from_millis(2), move || tx.send(()).unwrap());
    }
    let tx2 = tx.clone();
    rt.block_on(h.spawn(async move {
        for _ in 0..10 {
            let tx = tx2.clone();
            spindle::call_later(Duration::from_millis(2), move || tx.send(()).unwrap());
        }
    }))
    .unwrap();
    for _ in 0..20 {
        rx.recv_timeout(LONG).unwrap();
    }
    // 10 cancelled from outside, 10 cancelled on a worker
    let outs: Vec<_> = (0..10)
        .map(|_| h.call_later(Duration::from_secs(60), || {}))
        .collect();
    for t in &outs {
        assert!(t.cancel());
    }
    rt.block_on(h.spawn(async {
        for _ in 0..10 {
            assert!(spindle::call_later(Duration::from_secs(60), || {}).cancel());
        }
    }))
    .unwrap();
    // 5 sleeps that complete, 5 dropped early
    rt.block_on(async {
        for _ in 0..5 {
            spindle::sleep(Duration::from_millis(1)).await;
        }
        for _ in 0..5 {
            let _ = spindle::timeout(
                Duration::from_millis(1),
                spindle::sleep(Duration::from_secs(60)),
            )
            .await;
        }
    });
    assert!(
        wait_until(LONG, || h.metrics().timers_pending() == 0),
        "{:?}",
        h.metrics()
    );
    let m = h.metrics();
    // fired: 20 callbacks + 5 sleeps + 5 timeouts' own timers = 30; cancelled: 20 + 5 inner sleeps
    assert_eq!(m.timers_fired(), 30, "{m:?}");
    assert_eq!(m.timers_cancelled(), 25, "{m:?}");
}
