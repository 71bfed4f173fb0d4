//! `Notified`: a runnable unit in a run queue (a task, or a due `call_*` callback), and its
//! cancel at shutdown.

use super::Shared;
use crate::loom::sync::Arc;
use crate::task::RawTask;
use crate::time::pool::EntryRef;

/// A runnable unit in a run queue.
pub(crate) enum Notified {
    Task(Arc<dyn RawTask>),
    /// A due `call_*` callback (QUEUED).
    Timer(EntryRef),
}

impl Notified {
    /// Shutdown: a queued unit that will never run is cancelled, dropping its future or
    /// closure now (a callback's cancel is counted in `timers_cancelled`).
    pub(crate) fn cancel(self, shared: &Shared) {
        match self {
            Notified::Task(t) => t.shutdown(),
            Notified::Timer(e) => {
                if e.cancel().is_some() {
                    shared.remotes[e.shard as usize]
                        .shard
                        .count_shutdown_cancels(1);
                }
            }
        }
    }
}
