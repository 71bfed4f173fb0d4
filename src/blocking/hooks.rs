//! Running a thread hook (`Builder::on_thread_start` / `on_thread_stop`): a hook that panics
//! is caught and reported with one line on stderr, and the thread goes on. Used by the
//! workers (`runtime::hooks::worker_main`) and the pool threads (`pool::thread_main`).

/// A thread hook.
pub(crate) type Hook = dyn Fn() + Send + Sync;

pub(crate) fn run_start(hook: Option<&Hook>) {
    run_hook("on_thread_start", hook);
}

pub(crate) fn run_stop(hook: Option<&Hook>) {
    run_hook("on_thread_stop", hook);
}

fn run_hook(what: &str, hook: Option<&Hook>) {
    let Some(hook) = hook else { return };
    if let Err(payload) = crate::util::panic::catch(hook) {
        let msg = crate::task::error::panic_message(&*payload).unwrap_or_else(|| "..".into());
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        eprintln!("spindle: {what} hook panicked on thread `{name}`: {msg}");
        // The payload's Drop is user code too.
        crate::util::panic::dispose(payload);
    }
}
