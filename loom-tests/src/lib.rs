//! Helpers for the loom models in `tests/` (run them with `loom-tests/run.sh`).
//!
//! Every model file starts with `#![cfg(loom)]`: the internals it drives (`spindle::__loom`)
//! exist only in a `--cfg loom` build, so a plain `cargo test` compiles the models to nothing.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use spindle::__loom::Fault;

/// The preemption bound: `LOOM_MAX_PREEMPTIONS`, 2 by default (every model's bug needs at
/// most two preemptions; 3 multiplies the run time without finding more).
pub fn preemptions() -> usize {
    std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// Runs `f` under `loom::model` with a bounded preemption count.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(preemptions());
    b.check(move || {
        r.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    // Shown with `--nocapture`: how much of the state space the bound let loom explore.
    eprintln!(
        "loom: {} executions (preemption bound {})",
        runs.load(std::sync::atomic::Ordering::Relaxed),
        preemptions()
    );
}

/// Runs the same model with `fault` seeded into spindle's real code, and asserts that loom
/// reports a failure (a failed assertion, a data race, a deadlock or a leak).
pub fn model_catches<F>(fault: Fault, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let _seeded = spindle::__loom::seed(fault);
    let res = catch_unwind(AssertUnwindSafe(|| model(f)));
    assert!(
        res.is_err(),
        "loom did not catch the seeded fault {fault:?}: the model cannot fail"
    );
}

/// Counts events (runs, drops) across model threads, visible to loom.
#[derive(Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn new() -> Counter {
        Counter(Arc::new(AtomicUsize::new(0)))
    }
    pub fn inc(&self) {
        self.0.fetch_add(1, SeqCst);
    }
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
    /// A value that bumps this counter when dropped.
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.clone())
    }
}

/// Bumps its counter on drop: captured by closures and futures to count their drops.
pub struct DropGuard(Counter);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.inc();
    }
}
