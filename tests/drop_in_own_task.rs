//! Dropping a runtime from inside one of its own tasks must neither panic nor hang: the
//! worker cannot wait for itself, so shutdown finishes on a helper thread once it returns.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn runtime_dropped_inside_its_own_task_shuts_down() {
    let rt = spindle::Builder::new().worker_threads(2).build().unwrap();
    let handle = rt.handle().clone();
    let drops = Arc::new(AtomicUsize::new(0));
    // A task parked forever: shutdown must drop it.
    let d = DropCount(drops.clone());
    handle.spawn(async move {
        let _d = d;
        std::future::pending::<()>().await
    });
    let (tx, rx) = mpsc::channel();
    handle.spawn(async move {
        drop(rt);
        tx.send(()).unwrap();
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("drop(rt) on a worker returned");
    // The parked task is dropped once the workers are gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while drops.load(SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "parked task never dropped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // And the handle now refuses work instead of hanging or panicking.
    let h = handle.spawn(async { 1 });
    assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
    assert!(handle
        .call_later(Duration::from_millis(1), || {})
        .is_cancelled());
}
