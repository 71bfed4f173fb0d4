//! Virtual time: `start_paused`, `pause`/`resume`/`advance`, auto-advance, on 1 and 4 workers.

#[macro_use]
mod common;

use common::{panic_message, wait_until, XorShift};
use futures::StreamExt;
use spindle::{Builder, Handle, Runtime};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

/// Polls `f` once from inside an async block, with the block's waker.
async fn poll_once<F: std::future::Future>(
    mut f: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(f.as_mut().poll(cx))).await
}

fn paused(workers: usize, auto: bool) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .thread_name("spindle-vt")
        .start_paused(true)
        .auto_advance(auto)
        .build()
        .expect("build runtime")
}

/// A one-hour timeout completes at once, exactly one virtual hour later.
fn one_hour_timeout_is_instant(workers: usize) {
    let rt = paused(workers, true);
    let h = rt.handle().clone();
    let wall = Instant::now();
    let t0 = h.time();
    let r = rt.block_on(h.timeout(3600 * SEC, std::future::pending::<()>()));
    assert!(r.is_err(), "the pending future must time out");
    assert_eq!(h.time() - t0, 3600 * SEC, "exactly one virtual hour");
    assert!(
        wall.elapsed() < 10 * SEC,
        "took {:?} of wall time",
        wall.elapsed()
    );
}

/// A retry loop with exponential backoff, observed attempt by attempt with `advance`.
fn retry_backoff_stepped(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let t0 = h.time();
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let a = attempts.clone();
    let h2 = h.clone();
    h.spawn(async move {
        for i in 0..5u32 {
            a.lock().unwrap().push(h2.time() - t0);
            spindle::sleep(SEC * (1 << i)).await;
        }
    });
    // The first attempt runs without any time passing.
    assert!(wait_until(10 * SEC, || attempts.lock().unwrap().len() == 1));
    rt.block_on(async {
        let mut expected = vec![Duration::ZERO];
        for i in 0..4u32 {
            let backoff = SEC * (1 << i);
            h.advance(backoff - MS).await;
            assert_eq!(
                *attempts.lock().unwrap(),
                expected,
                "1 ms early: no retry yet"
            );
            h.advance(MS).await;
            expected.push(expected[expected.len() - 1] + backoff);
            assert_eq!(
                *attempts.lock().unwrap(),
                expected,
                "retry {} on time",
                i + 1
            );
        }
    });
    assert_eq!(h.time() - t0, 15 * SEC);
}

/// 1,000 callbacks at random distinct virtual deadlines fire in deadline order, each once.
fn thousand_callbacks_in_deadline_order(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let mut rng = XorShift::new(0x5eed + workers as u64);
    let mut slots: Vec<u64> = (1..=1000).collect();
    for i in (1..slots.len()).rev() {
        slots.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let fired = Arc::new(Mutex::new(Vec::new()));
    let now = h.time();
    rt.block_on(async {
        for &k in &slots {
            let f = fired.clone();
            // Distinct deadlines, 3 ms apart, some of them off the millisecond grid.
            let at = now + MS * (3 * k as u32) + Duration::from_micros(k % 3 * 100);
            h.call_at(at, move || f.lock().unwrap().push(k));
        }
        h.advance(MS * 3001).await;
    });
    let fired = fired.lock().unwrap();
    assert_eq!(fired.len(), 1000, "each fires exactly once");
    assert!(
        fired.windows(2).all(|w| w[0] < w[1]),
        "deadline order: {:?}",
        &fired[..20]
    );
}

/// Sleeps and callbacks armed from threads that are not part of the runtime, while paused.
fn foreign_thread_arms_while_paused(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let t0 = h.time();
    let fired = Arc::new(AtomicBool::new(false));
    let (f, h1) = (fired.clone(), h.clone());
    std::thread::spawn(move || {
        h1.call_later(10 * SEC, move || f.store(true, SeqCst));
    })
    .join()
    .unwrap();
    let h2 = h.clone();
    // Its deadline is fixed here (5 s); it is armed by the thread's first poll, which may
    // come before or after the advance below.
    let s = h.sleep(5 * SEC);
    let sleeper = std::thread::spawn(move || {
        futures::executor::block_on(s);
        h2.time()
    });
    // Driven from yet another foreign thread.
    let h3 = h.clone();
    std::thread::spawn(move || futures::executor::block_on(h3.advance(5 * SEC)))
        .join()
        .unwrap();
    assert_eq!(sleeper.join().unwrap() - t0, 5 * SEC);
    assert!(
        !fired.load(SeqCst),
        "the 10 s callback must not fire at 5 s"
    );
    futures::executor::block_on(h.advance(5 * SEC - MS));
    assert!(!fired.load(SeqCst), "nor at 10 s - 1 ms");
    futures::executor::block_on(h.advance(MS));
    assert!(fired.load(SeqCst), "it fires at 10 s");
}

/// `start_paused` + auto-advance drive a client/server exchange with timeouts and retries;
/// the virtual timeline is exact and the exchange takes no wall time to speak of.
fn client_server_exchange(workers: usize) {
    let rt = paused(workers, true);
    let h = rt.handle().clone();
    let t0 = h.time();
    let wall = Instant::now();
    type Req = (u32, spindle::Promise<u32>);
    let (tx, mut rx) = futures::channel::mpsc::unbounded::<Req>();
    // Server: answers after 2 s of "work"; drops every third request on the floor.
    let server = h.spawn(async move {
        let mut n = 0;
        while let Some((x, reply)) = rx.next().await {
            n += 1;
            if n % 3 == 0 {
                drop(reply);
                continue;
            }
            spindle::spawn(async move {
                spindle::sleep(2 * SEC).await;
                let _ = reply.set_result(x * 10);
            });
        }
        n
    });
    let hc = h.clone();
    let client = h.spawn(async move {
        let mut log = Vec::new();
        for x in 0..4u32 {
            let mut backoff = SEC;
            loop {
                let (p, d) = hc.create_future::<u32>();
                tx.unbounded_send((x, p)).unwrap();
                match spindle::timeout(5 * SEC, d).await {
                    Ok(Ok(v)) => {
                        log.push((x, v, hc.time() - t0));
                        break;
                    }
                    // Dropped (cancelled) or no answer in time: back off and retry.
                    Ok(Err(_)) | Err(_) => {
                        spindle::sleep(backoff).await;
                        backoff *= 2;
                    }
                }
            }
        }
        drop(tx);
        log
    });
    let log = rt.block_on(client).unwrap();
    assert_eq!(rt.block_on(server).unwrap(), 5);
    // Requests 1..=5: #3 is dropped (the cancelled promise fails at once) and followed by a
    // 1 s backoff; each answered request takes 2 s.
    assert_eq!(
        log,
        vec![
            (0, 0, 2 * SEC),
            (1, 10, 4 * SEC),
            (2, 20, 7 * SEC),
            (3, 30, 9 * SEC),
        ]
    );
    assert!(wall.elapsed() < 10 * SEC);
}

/// The same exchange, but the server goes silent: the client's 5 s timeouts fire.
fn client_times_out_on_silent_server(workers: usize) {
    let rt = paused(workers, true);
    let h = rt.handle().clone();
    let t0 = h.time();
    let (p, d) = h.create_future::<u32>();
    let keep = Arc::new(Mutex::new(Some(p))); // never answered, never dropped
    let r = rt.block_on(h.timeout(5 * SEC, d));
    assert!(r.is_err());
    assert_eq!(h.time() - t0, 5 * SEC);
    drop(keep);
}

/// `time()` is monotonic across pause, advance and resume; resume does not jump.
fn pause_resume_monotonic(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    let mut last = h.time();
    let mut check = |t: Instant, what: &str| {
        assert!(t >= last, "{what}: time went backwards");
        last = t;
    };
    for _ in 0..3 {
        check(h.time(), "running");
        h.pause();
        h.pause();
        assert!(h.is_paused());
        let p = h.time();
        check(p, "pause");
        std::thread::sleep(2 * MS);
        assert_eq!(h.time(), p, "paused clock stands still");
        futures::executor::block_on(h.advance(SEC));
        assert_eq!(h.time(), p + SEC);
        check(h.time(), "advance");
        h.resume();
        let r = h.time();
        check(r, "resume");
        assert!(r - (p + SEC) < 5 * SEC, "resume must not jump");
        std::thread::sleep(2 * MS);
        check(h.time(), "running again");
        assert!(h.time() > r, "running again");
    }
    // A timer armed while paused fires at the wall-clock pace after resume.
    h.pause();
    let (tx, rx) = std::sync::mpsc::channel();
    h.call_later(20 * MS, move || tx.send(()).unwrap());
    h.resume();
    rx.recv_timeout(10 * SEC).expect("fires after resume");
}

/// `call_at`, `call_later`, `TimerHandle::when`, `Sleep::deadline/is_elapsed/reset` under pause.
fn timer_apis_follow_the_paused_clock(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let now = h.time();
    let n = Arc::new(AtomicUsize::new(0));
    let (a, b) = (n.clone(), n.clone());
    let t1 = h.call_later(3 * SEC, move || {
        a.fetch_add(1, SeqCst);
    });
    let t2 = h.call_at(now + 4 * SEC, move || {
        b.fetch_add(1, SeqCst);
    });
    assert_eq!(t1.when(), now + 3 * SEC);
    assert_eq!(t2.when(), now + 4 * SEC);
    let soon = h.call_soon(|| {});
    assert_eq!(soon.when(), now);
    let mut s = Box::pin(h.sleep(2 * SEC));
    assert_eq!(s.deadline(), now + 2 * SEC);
    assert!(!s.is_elapsed());
    rt.block_on(async {
        assert!(poll_once(s.as_mut()).await.is_pending());
        s.as_mut().reset(now + 5 * SEC);
        h.advance(3 * SEC).await;
        assert_eq!(n.load(SeqCst), 1);
        assert!(!s.is_elapsed(), "reset to 5 s");
        h.advance(2 * SEC).await;
        assert_eq!(n.load(SeqCst), 2);
        assert!(s.is_elapsed());
        s.as_mut().await;
        // A past call_at runs as soon as possible, with no time passing.
        let (p, d) = h.create_future::<Instant>();
        let h2 = h.clone();
        h.call_at(now, move || {
            let _ = p.set_result(h2.time());
        });
        assert_eq!(d.await.unwrap(), now + 5 * SEC);
    });
}

/// `advance` awaited from a task, from `block_on` and from a foreign thread.
fn advance_from_anywhere(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let t0 = h.time();
    let h2 = h.clone();
    let from_task = rt.block_on(h.spawn(async move {
        h2.advance(10 * SEC).await;
        h2.time()
    }));
    assert_eq!(from_task.unwrap() - t0, 10 * SEC);
    rt.block_on(h.advance(10 * SEC));
    assert_eq!(h.time() - t0, 20 * SEC);
    let h3 = h.clone();
    std::thread::spawn(move || futures::executor::block_on(h3.advance(10 * SEC)))
        .join()
        .unwrap();
    assert_eq!(h.time() - t0, 30 * SEC);
}

/// Exactness: `advance(d)` moves `time()` by exactly `d`, whole ticks or not (API.md; tokio's
/// `test_time_advance_sub_ms`). `sleep(d)` then `advance(d)` completes the sleep when the
/// clock stands on a tick boundary and `d` is whole ticks; a deadline off a boundary fires
/// exactly when the clock reaches the boundary after it (tokio's millisecond rounding), and
/// not a nanosecond before.
fn sleep_then_advance_is_exact(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    h.pause();
    rt.block_on(async {
        let tick = MS; // the default timer tick
        let t0 = h.time(); // `pause` stands on a tick boundary
        for d in [
            SEC,
            Duration::from_micros(1500),
            MS,
            7 * MS,
            Duration::from_micros(1),
            MS,
        ] {
            let before = h.time();
            let mut s = Box::pin(h.sleep(d));
            assert!(poll_once(s.as_mut()).await.is_pending());
            h.advance(d).await;
            assert_eq!(
                h.time() - before,
                d,
                "advance({d:?}) moves time by exactly d"
            );
            // The boundary at or after the deadline.
            let since = (before + d - t0).as_nanos();
            let boundary = t0
                + Duration::from_nanos((since.div_ceil(tick.as_nanos()) * tick.as_nanos()) as u64);
            if boundary == h.time() {
                assert!(
                    s.is_elapsed(),
                    "sleep({d:?}) then advance({d:?}) on the tick grid"
                );
            } else {
                assert!(!s.is_elapsed(), "sleep({d:?}) fired off its tick");
                let rest = boundary - h.time() - Duration::from_nanos(1);
                h.advance(rest).await;
                assert!(!s.is_elapsed(), "sleep({d:?}) fired a nanosecond early");
                h.advance(Duration::from_nanos(1)).await;
                assert!(
                    s.is_elapsed(),
                    "sleep({d:?}) fires at the tick after its deadline"
                );
            }
            s.await;
        }
    });
}

/// Auto-advance waits while a `block_on` future is running, and for the tasks it woke.
fn auto_advance_waits_for_runnable_work(workers: usize) {
    let rt = paused(workers, true);
    let h = rt.handle().clone();
    let fired = Arc::new(AtomicBool::new(false));
    let f = fired.clone();
    let t0 = h.time();
    rt.block_on(async {
        h.call_later(SEC, move || f.store(true, SeqCst));
        // The block_on thread is busy: the runtime is not quiet, the clock stays.
        std::thread::sleep(30 * MS);
        assert!(!fired.load(SeqCst));
        assert_eq!(h.time(), t0);
        // A chain of tasks that each yield: auto-advance waits until all are done.
        let chain = Arc::new(AtomicUsize::new(0));
        for _ in 0..8 {
            let c = chain.clone();
            spindle::spawn(async move {
                for _ in 0..50 {
                    spindle::yield_now().await;
                }
                c.fetch_add(1, SeqCst);
            });
        }
        spindle::sleep(2 * SEC).await;
        assert_eq!(chain.load(SeqCst), 8, "ran before the clock moved to 2 s");
        assert!(fired.load(SeqCst));
        assert_eq!(h.time() - t0, 2 * SEC);
    });
}

/// Bad input: `advance` on a running clock panics with a clear message; `Duration::MAX`
/// saturates (far deadlines fire, a `Duration::MAX` sleep never does).
fn bad_input(workers: usize) {
    let rt = Builder::new()
        .worker_threads(workers)
        .auto_advance(false)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(h.advance(SEC))
    }))
    .unwrap_err();
    let msg = panic_message(&*err).unwrap();
    assert!(msg.contains("paused clock"), "message: {msg}");
    h.pause();
    h.pause();
    let fired = Arc::new(AtomicBool::new(false));
    let f = fired.clone();
    h.call_later(Duration::from_secs(100 * 365 * 86400), move || {
        f.store(true, SeqCst)
    });
    let never = h.call_later(Duration::MAX, || panic!("a Duration::MAX timer fired"));
    let before = h.time();
    futures::executor::block_on(h.advance(Duration::MAX));
    assert!(fired.load(SeqCst), "a 100-year timer fired");
    let moved = h.time() - before;
    assert!(
        moved > Duration::from_secs(100 * 365 * 86400),
        "moved {moved:?}"
    );
    assert!(!never.is_cancelled());
    assert!(never.cancel(), "the Duration::MAX timer is still pending");
    futures::executor::block_on(h.advance(Duration::MAX)); // saturated: no panic, no move
    h.resume();
    h.resume();
    assert!(!h.is_paused());
}

/// Auto-advance on a runtime paused at run time jumps idle sleepers; `Handle::current`
/// inside tasks sees the same clock.
fn pause_at_runtime_with_auto_advance(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    h.pause();
    // "Never" is not a deadline to jump to.
    let never = h.call_later(Duration::MAX, || panic!("a Duration::MAX timer fired"));
    let t0 = h.time();
    let got = rt.block_on(h.spawn(async {
        spindle::sleep(600 * SEC).await;
        Handle::current().time()
    }));
    assert_eq!(got.unwrap() - t0, 600 * SEC);
    rt.block_on(h.sleep(SEC));
    assert_eq!(h.time() - t0, 601 * SEC);
    assert!(never.cancel());
}

/// A runtime that never goes quiet (a task that keeps yielding) holds `advance` back; dropping
/// the runtime completes it rather than leaving its thread hanging.
fn shutdown_completes_pending_advance(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let spinning = Arc::new(AtomicBool::new(false));
    let s = spinning.clone();
    h.spawn(async move {
        loop {
            s.store(true, SeqCst);
            spindle::yield_now().await;
        }
    });
    assert!(wait_until(10 * SEC, || spinning.load(SeqCst)));
    let t0 = h.time();
    let h2 = h.clone();
    let advancer = std::thread::spawn(move || futures::executor::block_on(h2.advance(SEC)));
    std::thread::sleep(30 * MS);
    assert!(!advancer.is_finished(), "a busy runtime is never quiet");
    assert_eq!(h.time(), t0);
    drop(rt);
    advancer.join().unwrap();
}

struct PanicWaker;

impl std::task::Wake for PanicWaker {
    fn wake(self: Arc<Self>) {
        panic!("advance waker panics");
    }
}

/// A waker that panics when its `advance` completes (user code, run by the quiet decision on
/// a worker or another thread) is contained: the runtime keeps deciding and moving time.
fn panicking_advance_waker_is_contained(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let t0 = h.time();
    let waker = std::task::Waker::from(Arc::new(PanicWaker));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut adv = Box::pin(h.advance(SEC));
    // Its first poll may already run the whole decision (the runtime is quiet).
    let first = std::future::Future::poll(adv.as_mut(), &mut cx).is_ready();
    futures::executor::block_on(h.advance(2 * SEC));
    assert!(first || std::future::Future::poll(adv.as_mut(), &mut cx).is_ready());
    // 2 s, or 3 s if the first advance had only moved the clock when the second started.
    let t1 = h.time();
    assert!(t1 - t0 >= 2 * SEC && t1 - t0 <= 3 * SEC);
    rt.block_on(async {
        let mut s = Box::pin(h.sleep(SEC));
        assert!(poll_once(s.as_mut()).await.is_pending());
        h.advance(SEC).await;
        assert!(
            s.is_elapsed(),
            "the runtime still moves time and fires timers"
        );
    });
    assert_eq!(h.time() - t1, SEC);
}

/// A blocking task holds auto-advance while it is queued or running (tokio's rule): a
/// sleeping task does not see the clock jump until the blocking task is done.
fn blocking_task_holds_auto_advance(workers: usize) {
    let rt = paused(workers, true);
    let h = rt.handle().clone();
    let t0 = h.time();
    let h2 = h.clone();
    let blocking = h.spawn_blocking(move || {
        let before = h2.time();
        std::thread::sleep(50 * MS); // real time; every worker is idle meanwhile
        h2.time() - before
    });
    let sleeper = h.spawn(async { spindle::sleep(3600 * SEC).await });
    let moved = rt.block_on(blocking).unwrap();
    assert_eq!(
        moved,
        Duration::ZERO,
        "the clock jumped while a blocking task ran"
    );
    rt.block_on(sleeper).unwrap();
    assert_eq!(
        h.time() - t0,
        3600 * SEC,
        "auto-advance resumes once it is done"
    );
}

/// `call_every` and `interval` step with `advance`, on the paused clock's grid.
fn periodic_timers_follow_advance(workers: usize) {
    let rt = paused(workers, false);
    let h = rt.handle().clone();
    let t0 = h.time();
    let runs = Arc::new(Mutex::new(Vec::new()));
    let r = runs.clone();
    let h2 = h.clone();
    let every = h.call_every(10 * SEC, move || r.lock().unwrap().push(h2.time() - t0));
    let ticks = rt.block_on(async {
        let mut iv = h.interval(7 * SEC);
        let mut ticks = vec![iv.tick().await - t0]; // the first tick is at once
        for _ in 0..3 {
            let mut tick = Box::pin(iv.tick());
            assert!(
                poll_once(tick.as_mut()).await.is_pending(),
                "no tick before time"
            );
            h.advance(7 * SEC).await;
            ticks.push(tick.await - t0);
        }
        ticks
    });
    assert_eq!(ticks, [Duration::ZERO, 7 * SEC, 14 * SEC, 21 * SEC]);
    assert_eq!(*runs.lock().unwrap(), [10 * SEC, 20 * SEC]);
    assert_eq!(every.when() - t0, 30 * SEC, "when() is the next run");
    rt.block_on(h.advance(8 * SEC)); // to 29 s
    assert_eq!(*runs.lock().unwrap(), [10 * SEC, 20 * SEC], "nothing early");
    rt.block_on(h.advance(SEC));
    assert_eq!(*runs.lock().unwrap(), [10 * SEC, 20 * SEC, 30 * SEC]);
    assert!(every.cancel());
    rt.block_on(h.advance(60 * SEC));
    assert_eq!(runs.lock().unwrap().len(), 3, "no run after cancel");
}

rt_suite!(
    blocking_task_holds_auto_advance,
    periodic_timers_follow_advance,
    panicking_advance_waker_is_contained,
    shutdown_completes_pending_advance,
    one_hour_timeout_is_instant,
    retry_backoff_stepped,
    thousand_callbacks_in_deadline_order,
    foreign_thread_arms_while_paused,
    client_server_exchange,
    client_times_out_on_silent_server,
    pause_resume_monotonic,
    timer_apis_follow_the_paused_clock,
    advance_from_anywhere,
    sleep_then_advance_is_exact,
    auto_advance_waits_for_runnable_work,
    bad_input,
    pause_at_runtime_with_auto_advance,
);
