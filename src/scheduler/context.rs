//! The thread-local "current runtime": which runtime a thread belongs to (a worker, or a
//! thread inside `block_on`), so free functions like `spindle::spawn` and `call_later` find
//! their runtime, and so arming on a worker goes to that worker's own shard.
//!
//! It holds the runtime's `Arc<Shared>`; `runtime::Handle::current()` wraps it. The scheduler
//! alone answers "which thread am I on" (issue 9: `runtime/` sits above this module).

use super::worker::Worker;
use super::Shared;
use crate::loom::sync::Arc;
use std::cell::{Cell, RefCell};

struct Context {
    shared: RefCell<Option<Arc<Shared>>>,
    in_block_on: Cell<bool>,
}

crate::loom::thread_local! {
    static CONTEXT: Context = Context {
        shared: RefCell::new(None),
        in_block_on: Cell::new(false),
    };
}

// The worker running on this thread, valid while `enter_worker`'s closure runs. Kept apart
// from `CONTEXT` as a `const`-initialized, destructor-free cell: reading it is one load, and
// it is read on every spawn, wake and timer arm.
#[cfg(not(loom))]
std::thread_local! {
    static WORKER: Cell<*const Worker> = const { Cell::new(std::ptr::null()) };
}
#[cfg(loom)]
loom::thread_local! {
    static WORKER: Cell<*const Worker> = Cell::new(std::ptr::null());
}

/// Restores the previous context when dropped (also on unwind).
pub(crate) struct Restore {
    worker: *const Worker,
    shared: Option<Arc<Shared>>,
    in_block_on: bool,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = WORKER.try_with(|w| w.set(self.worker));
        let _ = CONTEXT.try_with(|c| {
            *c.shared.borrow_mut() = self.shared.take();
            c.in_block_on.set(self.in_block_on);
        });
    }
}

/// Installs a context; `None` (and nothing installed) while the thread's locals are being
/// destroyed: a runtime kept in a thread-local is dropped then, and its shutdown must not
/// panic (std aborts on a panic in a thread-local destructor).
fn enter(worker: *const Worker, shared: Arc<Shared>, in_block_on: bool) -> Option<Restore> {
    let previous = WORKER.try_with(|w| w.replace(worker)).ok()?;
    let restore = CONTEXT.try_with(|c| Restore {
        worker: previous,
        shared: c.shared.borrow_mut().replace(shared),
        in_block_on: c.in_block_on.replace(in_block_on),
    });
    if restore.is_err() {
        let _ = WORKER.try_with(|w| w.set(previous));
    }
    restore.ok()
}

/// Runs `f` as worker `w`'s thread.
pub(crate) fn enter_worker<R>(w: &Worker, f: impl FnOnce() -> R) -> R {
    let _restore = enter(w, w.shared.clone(), false);
    f()
}

/// Runs `f` inside `block_on` of `shared`'s runtime.
pub(crate) fn enter_block_on<R>(shared: &Arc<Shared>, f: impl FnOnce() -> R) -> R {
    let _restore = enter(std::ptr::null(), shared.clone(), true);
    f()
}

/// Runs `f` on a thread the runtime started besides its workers (a blocking-pool thread) or
/// in a thread hook: `Handle::current()` is `shared`'s runtime, and it is neither a worker
/// nor a `block_on` caller.
pub(crate) fn enter_runtime_thread<R>(shared: &Arc<Shared>, f: impl FnOnce() -> R) -> R {
    let _restore = enter(std::ptr::null(), shared.clone(), false);
    f()
}

/// Makes `shared`'s runtime this thread's current one until the returned guard drops
/// (`Handle::enter`).
pub(crate) fn enter_handle(shared: &Arc<Shared>) -> Option<Restore> {
    enter(std::ptr::null(), shared.clone(), in_block_on())
}

/// Runs `f` with `shared`'s runtime as the thread's current one (keeping the thread's worker
/// and `block_on` marks): shutdown's cleanup on the thread that drops the runtime, so a `Drop`
/// that calls `Handle::current()` or `spindle::spawn` behaves as documented after shutdown.
pub(crate) fn with_current<R>(shared: &Arc<Shared>, f: impl FnOnce() -> R) -> R {
    let worker = WORKER.try_with(|w| w.get()).unwrap_or(std::ptr::null());
    let _restore = enter(worker, shared.clone(), in_block_on());
    f()
}

/// Calls `f` with the worker running on this thread, if any.
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&Worker>) -> R) -> R {
    let ptr = WORKER.try_with(|w| w.get()).unwrap_or(std::ptr::null());
    // SAFETY: the pointer is set only by `enter_worker`, whose caller keeps the `Worker`
    // alive (on its stack) for as long as the pointer is installed, and is cleared by
    // `Restore` before that frame ends. It is only read on the same thread.
    f(unsafe { ptr.as_ref() })
}

/// This thread's worker index if it is a worker of `shared`'s runtime.
pub(crate) fn worker_index(shared: &Shared) -> Option<usize> {
    with_worker(|w| {
        w.filter(|w| std::ptr::eq(&*w.shared, shared))
            .map(|w| w.index)
    })
}

pub(crate) fn is_worker_thread() -> bool {
    with_worker(|w| w.is_some())
}

pub(crate) fn in_block_on() -> bool {
    CONTEXT.try_with(|c| c.in_block_on.get()).unwrap_or(false)
}

/// The current runtime's shared state (`Handle::try_current` wraps it).
pub(crate) fn current() -> Option<Arc<Shared>> {
    CONTEXT
        .try_with(|c| c.shared.borrow().clone())
        .ok()
        .flatten()
}
