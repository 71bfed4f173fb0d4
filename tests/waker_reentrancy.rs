//! Waker code is user code: a waker woken by a firing `Sleep` may arm and cancel timers on
//! the very worker (and shard) that is firing it. tokio's `drop_from_wake` has the same shape.

use futures::task::{waker, ArcWake};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::Context;
use std::time::Duration;

/// On wake: arms (and cancels) more timers than the owner's staging buffer holds, then
/// forwards the wake to the task.
struct ArmingWaker {
    inner: Mutex<Option<std::task::Waker>>,
    armed: AtomicUsize,
}

impl ArcWake for ArmingWaker {
    fn wake_by_ref(this: &Arc<Self>) {
        for _ in 0..300 {
            let t = spindle::call_later(Duration::from_secs(30), || {});
            t.cancel();
            this.armed.fetch_add(1, SeqCst);
        }
        if let Some(w) = this.inner.lock().unwrap().take() {
            w.wake();
        }
    }
}

#[test]
fn waker_arming_timers_on_the_firing_worker_does_not_deadlock() {
    let rt = spindle::Builder::new().worker_threads(1).build().unwrap();
    let (tx, rx) = mpsc::channel();
    rt.handle().spawn(async move {
        let arming = Arc::new(ArmingWaker {
            inner: Mutex::new(None),
            armed: AtomicUsize::new(0),
        });
        let w = waker(arming.clone());
        let mut sleep = Box::pin(spindle::sleep(Duration::from_millis(5)));
        std::future::poll_fn(|cx: &mut Context<'_>| {
            *arming.inner.lock().unwrap() = Some(cx.waker().clone());
            let mut inner_cx = Context::from_waker(&w);
            Pin::new(&mut sleep).as_mut().poll(&mut inner_cx)
        })
        .await;
        tx.send(arming.armed.load(SeqCst)).unwrap();
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(armed) => assert!(armed >= 300),
        Err(_) => {
            // Dropping a runtime whose worker is deadlocked would hang the test instead.
            std::mem::forget(rt);
            panic!("the worker deadlocked inside a wake");
        }
    }
}
