//! The one door to concurrency primitives: `std` normally, `loom` under `cfg(loom)`.
//!
//! Everything in the crate that can interleave (atomics, cells shared between threads, mutexes,
//! condition variables, thread spawning, spin hints) is imported from here, so that a loom model
//! sees every interleaving point of the real code. The module mirrors std's paths
//! (`crate::loom::sync::atomic::AtomicUsize`, ...) so switching is a matter of one `use` line.
//!
//! `Arc` is std's on both sides, on purpose: tasks become `std::task::Waker`s through
//! `std::task::Wake`, which needs a std `Arc`, and trait-object coercion (`Arc<dyn ..>`) is not
//! available for loom's `Arc`. The reference count itself is std's proven code; what loom must
//! see is the protocol around it (task state, timer state, queues, parking), and it does.

pub(crate) mod sync {
    pub(crate) use std::sync::Arc;

    #[cfg(loom)]
    pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
    #[cfg(not(loom))]
    pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

    /// Whether a timed `Condvar` wait that returned unnotified is its timeout. Under loom it
    /// is: loom has no clock, so a timed wait that loops until its deadline would never end
    /// (loom lets a timed wait return spuriously, the "may time out" branch). With std the
    /// waiter re-reads the clock and waits again. Parkers read this instead of a `cfg`.
    pub(crate) const TIMED_WAIT_RETURN_IS_TIMEOUT: bool = cfg!(loom);

    /// Locks a mutex, ignoring poisoning: spindle never panics while holding its own locks
    /// (user code is never called under them), so a poisoned lock still guards valid data.
    pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) mod atomic {
        #[cfg(loom)]
        pub(crate) use loom::sync::atomic::{
            fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
        };
        #[cfg(not(loom))]
        pub(crate) use std::sync::atomic::{
            fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
        };
    }
}

pub(crate) mod cell {
    /// An `UnsafeCell` with loom's closure-based access API, so loom can check that no two
    /// threads touch the contents at once. Under std it compiles to a plain pointer access.
    #[cfg(not(loom))]
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(loom))]
    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    #[cfg(loom)]
    pub(crate) use loom::cell::UnsafeCell;
}

pub(crate) mod thread {
    #[cfg(loom)]
    pub(crate) use loom::thread::{spawn, Builder, JoinHandle};
    #[cfg(not(loom))]
    pub(crate) use std::thread::{spawn, Builder, JoinHandle};
}

pub(crate) mod hint {
    /// A spin-wait hint that loom can see: under loom a spin must yield, or the model of a
    /// spinning thread never lets the thread it waits for make progress.
    #[inline]
    pub(crate) fn spin_loop() {
        #[cfg(loom)]
        loom::thread::yield_now();
        #[cfg(not(loom))]
        std::hint::spin_loop();
    }
}

/// `thread_local!` from std or loom.
macro_rules! spindle_thread_local {
    ($($tt:tt)*) => {
        #[cfg(loom)]
        loom::thread_local!($($tt)*);
        #[cfg(not(loom))]
        std::thread_local!($($tt)*);
    };
}
pub(crate) use spindle_thread_local as thread_local;

// Seeded faults for the loom models' twins (a constant `false` outside loom): part of the
// facade, so the layers below the scheduler name only `loom` for their test hooks.
pub(crate) mod fault;
