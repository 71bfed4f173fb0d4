// Fixed-work micro programs for callgrind: instruction counts, old vs new spindle.
use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const D30: Duration = Duration::from_secs(30);

fn rt(workers: usize) -> spindle::Runtime {
    spindle::Builder::new().worker_threads(workers).build().unwrap()
}

fn in_task<F: FnOnce() + Send + 'static>(rt: &spindle::Runtime, f: F) {
    let (tx, rx) = mpsc::channel();
    rt.handle().spawn(async move { f(); tx.send(()).unwrap(); });
    rx.recv().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args[1].as_str();
    let n: usize = args[2].parse().unwrap();
    let r = rt(if what.ends_with("2") { 2 } else { 1 });
    match what {
        // arm + cancel inside a task on the worker (timer_churn_local_1worker)
        "churn" => in_task(&r, move || {
            for _ in 0..n {
                let h = spindle::call_later(D30, || ());
                assert!(h.cancel());
            }
        }),
        "sleep" => in_task(&r, move || {
            let mut cx = Context::from_waker(Waker::noop());
            for _ in 0..n {
                let s = pin!(spindle::sleep(D30));
                assert!(s.poll(&mut cx).is_pending());
            }
        }),
        "reset" => in_task(&r, move || {
            let mut cx = Context::from_waker(Waker::noop());
            let mut s = pin!(spindle::sleep(D30));
            for _ in 0..n {
                s.as_mut().reset(Instant::now() + D30);
                assert!(s.as_mut().poll(&mut cx).is_pending());
            }
        }),
        // remote arm + cancel from the main thread
        "remote" => {
            let h = r.handle().clone();
            for _ in 0..n {
                let t = h.call_later(D30, || ());
                assert!(t.cancel());
            }
        }
        "time" => in_task(&r, move || {
            let h = spindle::Handle::current();
            let mut x = 0u64;
            for _ in 0..n { x = x.wrapping_add(h.time().elapsed().as_nanos() as u64); }
            std::hint::black_box(x);
        }),
        // n callbacks of 1..=n ms fire (timer_fire_light-like): count per fire
        "fire" | "fire2" => {
            let (tx, rx) = mpsc::channel::<()>();
            let h = r.handle().clone();
            let left = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(n));
            for i in 0..n {
                let tx = tx.clone();
                let left = left.clone();
                h.call_later(Duration::from_micros(200 * (i as u64 % 50) + 100), move || {
                    if left.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) == 1 { tx.send(()).unwrap(); }
                });
            }
            rx.recv().unwrap();
        }
        // ping_pong rounds: spawn pair, oneshot there and back, via block_on
        "pingpong" | "pingpong2" => {
            use futures::channel::oneshot;
            for _ in 0..n {
                r.block_on(async {
                    let (tx1, rx1) = oneshot::channel::<()>();
                    let (tx2, rx2) = oneshot::channel::<()>();
                    spindle::spawn(async move { rx1.await.unwrap(); tx2.send(()).unwrap(); });
                    tx1.send(()).unwrap();
                    rx2.await.unwrap();
                });
            }
        }
        "spawn" | "spawn2" => {
            r.block_on(async move {
                let mut hs = Vec::with_capacity(n);
                for _ in 0..n { hs.push(spindle::spawn(async {})); }
                for h in hs { h.await.unwrap(); }
            });
        }
        "yield" => r.block_on(async move {
            for _ in 0..n { spindle::yield_now().await; }
        }),
        // tasks yielding on the worker (yield_many-like, no block_on in the loop)
        "yieldt" | "yieldt2" => {
            let (tx, rx) = mpsc::channel::<()>();
            let left = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(100));
            for _ in 0..100 {
                let tx = tx.clone();
                let left = left.clone();
                r.handle().spawn(async move {
                    for _ in 0..n / 100 { spindle::yield_now().await; }
                    if left.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) == 1 { tx.send(()).unwrap(); }
                });
            }
            rx.recv().unwrap();
        }
        // a chain of spawns on the worker (chained_spawn-like)
        "chain" => {
            fn step(n: usize, tx: mpsc::Sender<()>) {
                if n == 0 { tx.send(()).unwrap(); return; }
                spindle::spawn(async move { step(n - 1, tx) });
            }
            let (tx, rx) = mpsc::channel::<()>();
            r.handle().spawn(async move { step(n, tx) });
            rx.recv().unwrap();
        }
        // one remote spawn at a time, waited for: one worker park/unpark cycle per round
        "rtt" => {
            let (tx, rx) = mpsc::sync_channel::<()>(1);
            for _ in 0..n {
                let tx = tx.clone();
                r.handle().spawn(async move { tx.send(()).unwrap(); });
                rx.recv().unwrap();
            }
        }
        "blockon" => { for _ in 0..n { r.block_on(async {}); } }
        // block_on awaiting a Sleep that a worker fires (wake from a worker each round)
        "blockon_wake" => { let h = r.handle().clone(); for _ in 0..n { r.block_on(h.sleep(Duration::from_micros(1))); } }
        "idle" | "idle2" => std::thread::sleep(Duration::from_secs(n as u64)),
        _ => panic!("what?"),
    }
    let _ = Poll::<()>::Pending;
}
