//! Sleep / sleep_until / Sleep::reset / timeout on the timer wheels, from spindle tasks and
//! from other executors. Shapes follow tokio's tests/time_sleep.rs and time_timeout.rs.

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, XorShift};
use futures::FutureExt;
use spindle::{Elapsed, Handle, Sleep, Timeout};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

rt_suite!(
    sleep_never_early_in_task,
    sleep_until_never_early_and_deadline,
    sleep_zero_and_past_complete,
    many_concurrent_sleeps_never_early,
    is_elapsed_tracks_completion,
    reset_later,
    reset_earlier,
    reset_after_elapsed_rearms,
    reset_many_times_like_idle_timeout,
    sleep_polled_by_plain_block_on,
    sleep_moved_between_executors_updates_waker,
    dropping_unfired_sleep_cancels_timer,
    dropping_sleep_in_task_drops_it,
    sleep_duration_max_with_timeout,
    timeout_ok_on_ready_and_fast_futures,
    timeout_elapsed_on_slow_future,
    timeout_zero_on_ready_future_is_ok,
    timeout_zero_on_pending_future_elapses,
    timeout_from_plain_thread,
    free_functions_in_block_on,
    timeout_racing_inner_completion,
);

fn sleep_never_early_in_task(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(async {
        for ms in [1u64, 5, 20, 60] {
            let d = Duration::from_millis(ms);
            let start = Instant::now();
            spindle::sleep(d).await;
            let e = start.elapsed();
            assert!(e >= d, "sleep({d:?}) returned after {e:?}");
            assert!(e < d + Duration::from_secs(1), "sleep({d:?}) took {e:?}");
        }
    });
    futures::executor::block_on(jh).unwrap();
}

fn sleep_until_never_early_and_deadline(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let jh = rt.handle().spawn(async move {
        let when = h.time() + Duration::from_millis(40);
        let s = spindle::sleep_until(when);
        assert_eq!(s.deadline(), when, "sleep_until(when).deadline() != when");
        s.await;
        let now = Instant::now();
        assert!(now >= when, "sleep_until woke {:?} early", when - now);
        now - when
    });
    let late = futures::executor::block_on(jh).unwrap();
    assert!(
        late < Duration::from_secs(1),
        "sleep_until woke {late:?} late"
    );
}

fn sleep_zero_and_past_complete(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let start = Instant::now();
        spindle::sleep(Duration::ZERO).await;
        let now = Instant::now();
        spindle::sleep_until(now.checked_sub(Duration::from_secs(1)).unwrap_or(now)).await;
        assert!(start.elapsed() < Duration::from_millis(500));
    });
}

fn many_concurrent_sleeps_never_early(workers: usize) {
    let rt = rt(workers);
    let early = Arc::new(AtomicUsize::new(0));
    let mut rng = XorShift::new(5);
    let hs: Vec<_> = (0..2_000)
        .map(|_| {
            let d = Duration::from_micros(rng.below(50_000));
            let early = early.clone();
            rt.handle().spawn(async move {
                let start = Instant::now();
                let s = spindle::sleep(d);
                let deadline = s.deadline();
                assert!(deadline >= start + d);
                s.await;
                if Instant::now() < deadline {
                    early.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in hs {
        futures::executor::block_on(h).unwrap();
    }
    assert_eq!(
        early.load(Ordering::SeqCst),
        0,
        "sleeps completed before their deadline"
    );
}

fn is_elapsed_tracks_completion(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let mut s = Box::pin(spindle::sleep(Duration::from_millis(30)));
        assert!(!s.is_elapsed());
        assert!(s.as_mut().now_or_never().is_none());
        assert!(!s.is_elapsed());
        s.as_mut().await;
        assert!(s.is_elapsed());
    });
}

fn reset_later(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let start = Instant::now();
        let mut s = Box::pin(spindle::sleep(Duration::from_millis(20)));
        assert!(s.as_mut().now_or_never().is_none()); // armed
        let new = start + Duration::from_millis(150);
        s.as_mut().reset(new);
        assert_eq!(s.deadline(), new);
        s.as_mut().await;
        let e = start.elapsed();
        assert!(
            e >= Duration::from_millis(150),
            "reset to later fired at {e:?}"
        );
    });
}

fn reset_earlier(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let start = Instant::now();
        let mut s = Box::pin(spindle::sleep(Duration::from_secs(10)));
        assert!(s.as_mut().now_or_never().is_none());
        let new = Instant::now() + Duration::from_millis(20);
        s.as_mut().reset(new);
        s.as_mut().await;
        assert!(Instant::now() >= new);
        let e = start.elapsed();
        assert!(
            e < Duration::from_secs(2),
            "reset to earlier still took {e:?}"
        );
    });
}

fn reset_after_elapsed_rearms(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let mut s = Box::pin(spindle::sleep(Duration::from_millis(5)));
        s.as_mut().await;
        assert!(s.is_elapsed());
        let new = Instant::now() + Duration::from_millis(50);
        s.as_mut().reset(new);
        assert!(
            !s.is_elapsed(),
            "is_elapsed() still true after reset to the future"
        );
        s.as_mut().await;
        assert!(Instant::now() >= new, "re-armed sleep completed early");
    });
}

fn reset_many_times_like_idle_timeout(workers: usize) {
    // The most common server operation: push an idle timeout forward on every event.
    let rt = rt(workers);
    let h = rt.handle().clone();
    let baseline = h.metrics().timers_pending();
    rt.block_on(async {
        let mut s = Box::pin(spindle::sleep(Duration::from_secs(30)));
        assert!(s.as_mut().now_or_never().is_none());
        for i in 0..20_000u64 {
            let d = Duration::from_secs(30) + Duration::from_micros(i);
            s.as_mut().reset(Instant::now() + d);
            if i % 1000 == 0 {
                assert!(s.as_mut().now_or_never().is_none());
            }
        }
        // Finally a short one, which must fire.
        let new = Instant::now() + Duration::from_millis(10);
        s.as_mut().reset(new);
        s.as_mut().await;
        assert!(Instant::now() >= new);
    });
    assert!(
        wait_until(Duration::from_secs(1), || h.metrics().timers_pending()
            <= baseline + 2),
        "timers_pending() = {} after 20k resets (baseline {baseline})",
        h.metrics().timers_pending()
    );
}

fn sleep_polled_by_plain_block_on(workers: usize) {
    let rt = rt(workers);
    let s = rt.handle().sleep(Duration::from_millis(30));
    let deadline = s.deadline();
    let t = std::thread::spawn(move || {
        let start = Instant::now();
        futures::executor::block_on(s);
        (start, Instant::now())
    });
    let (start, end) = t.join().unwrap();
    assert!(end >= deadline, "completed {:?} early", deadline - end);
    assert!(end - start < Duration::from_secs(2));
    // And sleep_until made from the handle.
    let when = rt.handle().time() + Duration::from_millis(20);
    futures::executor::block_on(rt.handle().sleep_until(when));
    assert!(Instant::now() >= when);
}

fn sleep_moved_between_executors_updates_waker(workers: usize) {
    // Poll on a spindle task first (registers that task's waker), then move it to a plain
    // thread's executor: completion must wake the new waker.
    let rt = rt(workers);
    let s = rt.handle().sleep(Duration::from_millis(40));
    // (Returned inside an Option: a task yielding a bare future reads like a forgotten await.)
    let s = futures::executor::block_on(rt.handle().spawn(async move {
        let mut s = Box::pin(s);
        assert!(s.as_mut().now_or_never().is_none());
        Some(s)
    }))
    .unwrap()
    .unwrap();
    let deadline = s.deadline();
    let t = std::thread::spawn(move || futures::executor::block_on(s));
    t.join().unwrap();
    assert!(Instant::now() >= deadline);
}

fn dropping_unfired_sleep_cancels_timer(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let m0 = h.metrics();
    let jh = rt.handle().spawn(async {
        let mut sleeps: Vec<Pin<Box<Sleep>>> = (0..10)
            .map(|_| Box::pin(spindle::sleep(Duration::from_millis(60))))
            .collect();
        for s in &mut sleeps {
            assert!(s.as_mut().now_or_never().is_none());
        }
        drop(sleeps);
    });
    futures::executor::block_on(jh).unwrap();
    assert!(
        wait_until(Duration::from_secs(1), || h.metrics().timers_pending()
            <= m0.timers_pending()),
        "timers_pending() did not return to baseline after dropping sleeps: {:?} -> {:?}",
        m0,
        h.metrics()
    );
    std::thread::sleep(Duration::from_millis(150));
    let m = h.metrics();
    assert_eq!(
        m.timers_fired(),
        m0.timers_fired(),
        "dropped sleeps' timers fired anyway"
    );
}

fn dropping_sleep_in_task_drops_it(workers: usize) {
    // Abort a task blocked in a long sleep: its timer goes away.
    let rt = rt(workers);
    let h = rt.handle().clone();
    let m0 = h.metrics();
    let jh = rt.handle().spawn(async {
        spindle::sleep(Duration::from_secs(60)).await;
    });
    std::thread::sleep(Duration::from_millis(20));
    jh.abort();
    assert!(futures::executor::block_on(jh).unwrap_err().is_cancelled());
    assert!(
        wait_until(Duration::from_secs(1), || h.metrics().timers_pending()
            <= m0.timers_pending()),
        "timer of an aborted sleeping task still pending: {:?}",
        h.metrics()
    );
}

fn sleep_duration_max_with_timeout(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let s = spindle::sleep(Duration::MAX);
        let _ = s.deadline(); // must not panic
        let r = spindle::timeout(Duration::from_millis(20), s).await;
        assert!(r.is_err(), "sleep(Duration::MAX) completed");
        let far = Instant::now() + Duration::from_secs(86_400 * 365 * 10);
        let r = spindle::timeout(Duration::from_millis(5), spindle::sleep_until(far)).await;
        assert!(r.is_err());
        let r = spindle::timeout(Duration::MAX, async { 3 }).await;
        assert_eq!(r.unwrap(), 3);
    });
}

fn timeout_ok_on_ready_and_fast_futures(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        assert_eq!(
            spindle::timeout(Duration::from_secs(1), async { 5 })
                .await
                .unwrap(),
            5
        );
        let start = Instant::now();
        let r = spindle::timeout(
            Duration::from_secs(2),
            spindle::sleep(Duration::from_millis(10)),
        )
        .await;
        assert!(r.is_ok());
        assert!(start.elapsed() < Duration::from_secs(1));
        // A channel value arriving from another thread in time.
        let (tx, rx) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            let _ = tx.send(8);
        });
        assert_eq!(
            spindle::timeout(Duration::from_secs(5), rx)
                .await
                .unwrap()
                .unwrap(),
            8
        );
    });
}

fn timeout_elapsed_on_slow_future(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let start = Instant::now();
        let r = spindle::timeout(Duration::from_millis(30), futures::future::pending::<()>()).await;
        let e = start.elapsed();
        let err: Elapsed = r.expect_err("pending future cannot finish");
        assert!(
            e >= Duration::from_millis(30),
            "timed out early, after {e:?}"
        );
        assert!(e < Duration::from_secs(2), "timed out late, after {e:?}");
        let as_error: &dyn std::error::Error = &err;
        assert!(!as_error.to_string().is_empty(), "Elapsed Display is empty");
        assert!(!format!("{err:?}").is_empty());
        let r = spindle::timeout(
            Duration::from_millis(10),
            spindle::sleep(Duration::from_secs(5)),
        )
        .await;
        assert!(r.is_err());
    });
}

fn timeout_zero_on_ready_future_is_ok(workers: usize) {
    // tokio: a zero timeout still polls the inner future first.
    let rt = rt(workers);
    rt.block_on(async {
        assert_eq!(
            spindle::timeout(Duration::ZERO, async { 1 }).await.unwrap(),
            1
        );
        assert_eq!(
            spindle::timeout(Duration::ZERO, futures::future::ready("r"))
                .await
                .unwrap(),
            "r"
        );
    });
}

fn timeout_zero_on_pending_future_elapses(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let start = Instant::now();
        let r = spindle::timeout(Duration::ZERO, futures::future::pending::<()>()).await;
        assert!(r.is_err());
        assert!(start.elapsed() < Duration::from_millis(500));
    });
}

fn timeout_from_plain_thread(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let t = std::thread::spawn(move || {
        let start = Instant::now();
        let r = futures::executor::block_on(
            h.timeout(Duration::from_millis(30), futures::future::pending::<()>()),
        );
        assert!(r.is_err());
        assert!(start.elapsed() >= Duration::from_millis(30));
        let r = futures::executor::block_on(h.timeout(Duration::from_secs(5), async { 4 }));
        r.unwrap()
    });
    assert_eq!(t.join().unwrap(), 4);
}

fn free_functions_in_block_on(workers: usize) {
    let rt = rt(workers);
    let out = rt.block_on(async {
        let start = Instant::now();
        spindle::sleep(Duration::from_millis(10)).await;
        spindle::sleep_until(Instant::now() + Duration::from_millis(10)).await;
        let r = spindle::timeout(Duration::from_millis(10), futures::future::pending::<u8>()).await;
        (
            start.elapsed(),
            r.is_err(),
            Handle::current().metrics().workers(),
        )
    });
    assert!(out.0 >= Duration::from_millis(30));
    assert!(out.1);
    assert_eq!(out.2, workers);
}

fn timeout_racing_inner_completion(workers: usize) {
    // Inner future and the timeout fire at nearly the same time: always a clean Ok or Err,
    // never a hang or a double completion.
    let rt = rt(workers);
    let hs: Vec<_> = (0..200u64)
        .map(|i| {
            rt.handle().spawn(async move {
                let d = Duration::from_micros(500 + (i % 5) * 100);
                spindle::timeout(d, spindle::sleep(d)).await.is_ok()
            })
        })
        .collect();
    for h in hs {
        let _ok_or_elapsed: bool = futures::executor::block_on(h).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn futures_are_send() {
    fn send<T: Send>() {}
    send::<Sleep>();
    send::<Timeout<futures::future::Ready<u8>>>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<Elapsed>();
}

#[test]
fn free_sleep_panics_outside_runtime() {
    watchdog("free_sleep_panics_outside_runtime", || {
        let r = std::thread::spawn(|| drop(spindle::sleep(Duration::from_millis(1)))).join();
        assert!(r.is_err(), "spindle::sleep outside a runtime must panic");
        let r = std::thread::spawn(|| drop(spindle::timeout(Duration::from_millis(1), async {})))
            .join();
        assert!(r.is_err(), "spindle::timeout outside a runtime must panic");
    })
}

/// A future that counts its polls and finishes on the second one.
struct TwoPolls(u32);

impl Future for TwoPolls {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.0 += 1;
        if self.0 >= 2 {
            Poll::Ready(self.0)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn timeout_forwards_inner_wakeups() {
    watchdog("timeout_forwards_inner_wakeups", || {
        let rt = rt(1);
        let r = rt.block_on(rt.handle().timeout(Duration::from_secs(5), TwoPolls(0)));
        assert_eq!(r.unwrap(), 2);
    })
}
