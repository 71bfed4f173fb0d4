//! `UnwindSafe` / `RefUnwindSafe` for the public handles, as tokio declares them for its
//! `Runtime`, `Handle` and `JoinHandle`.
//!
//! Without these, `std::panic::catch_unwind(|| rt.block_on(..))` (a shape tokio's own tests
//! and many users write) does not compile, because the shared runtime state holds trait
//! objects (hooks, tasks) and cells that the compiler cannot prove unwind safe. The promise
//! is sound here: every piece of shared state is a lock-free state machine or a mutex-guarded
//! queue whose invariants hold between any two steps, and user code (tasks, callbacks, hooks,
//! Drops, wakers) runs inside `catch_unwind` at the points where the runtime contains panics,
//! so a panic observed through one of these handles never leaves the runtime half-updated.

use std::panic::{RefUnwindSafe, UnwindSafe};

use crate::future::{Deferred, Promise};
use crate::runtime::handle::Handle;
use crate::runtime::runtime::Runtime;
use crate::task::{JoinError, JoinHandle};
use crate::time::{Sleep, TimerHandle};

impl UnwindSafe for Runtime {}
impl RefUnwindSafe for Runtime {}
impl UnwindSafe for Handle {}
impl RefUnwindSafe for Handle {}
impl<T> UnwindSafe for JoinHandle<T> {}
impl<T> RefUnwindSafe for JoinHandle<T> {}
impl UnwindSafe for JoinError {}
impl RefUnwindSafe for JoinError {}
impl UnwindSafe for TimerHandle {}
impl RefUnwindSafe for TimerHandle {}
impl UnwindSafe for Sleep {}
impl RefUnwindSafe for Sleep {}
impl<T> UnwindSafe for Promise<T> {}
impl<T> RefUnwindSafe for Promise<T> {}
impl<T> UnwindSafe for Deferred<T> {}
impl<T> RefUnwindSafe for Deferred<T> {}
