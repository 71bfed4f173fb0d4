//! `Builder`: runtime settings, validated at `build()`.

use super::runtime::Runtime;
use crate::scheduler::PanicHook;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// The most worker threads a runtime accepts (the idle state packs counts in 16 bits).
pub(crate) const MAX_WORKERS: usize = 4096;
const MIN_TIMER_TICK: Duration = Duration::from_micros(1);
const MAX_TIMER_TICK: Duration = Duration::from_secs(60);

/// Configures and builds a [`Runtime`].
///
/// ```
/// use std::time::Duration;
/// let rt = spindle::Builder::new()
///     .worker_threads(2)
///     .thread_name("my-server")
///     .timer_tick(Duration::from_millis(1))
///     .build()
///     .unwrap();
/// assert_eq!(rt.handle().metrics().workers(), 2);
/// ```
#[derive(Clone)]
pub struct Builder {
    pub(crate) worker_threads: Option<usize>,
    pub(crate) thread_name: String,
    pub(crate) timer_tick: Duration,
    pub(crate) on_callback_panic: Option<Arc<PanicHook>>,
    // ----- blocking pool and thread hooks (issue 14): `blocking::api`, `runtime::hooks` -----
    /// `max_blocking_threads`, `thread_keep_alive`, `on_thread_start`, `on_thread_stop`.
    pub(crate) blocking: crate::blocking::Settings,
    // Virtual time (`scheduler::pause`): the clock starts paused; auto-advance when quiet.
    pub(crate) start_paused: bool,
    pub(crate) auto_advance: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("timer_tick", &self.timer_tick)
            .field(
                "on_callback_panic",
                &self.on_callback_panic.as_ref().map(|_| ".."),
            )
            .field("blocking", &self.blocking)
            .field("start_paused", &self.start_paused)
            .field("auto_advance", &self.auto_advance)
            .finish()
    }
}

impl Builder {
    /// Default settings: `num_cpus::get()` workers named `spindle-worker-N`, 1 ms timer tick,
    /// callback panics printed to stderr.
    ///
    /// ```
    /// let rt = spindle::Builder::new().build().unwrap();
    /// assert_eq!(rt.handle().metrics().workers(), num_cpus::get());
    /// ```
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "spindle-worker".to_owned(),
            timer_tick: Duration::from_millis(1),
            on_callback_panic: None,
            blocking: Default::default(),
            start_paused: false,
            auto_advance: true,
        }
    }

    /// Number of worker threads (each with its own run queue and timer shard). Must be in
    /// `1..=4096`; checked by [`build`](Self::build).
    ///
    /// ```
    /// let err = spindle::Builder::new().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// Prefix of the worker threads' names; worker `i` is named `"{prefix}-{i}"`.
    ///
    /// ```
    /// let rt = spindle::Builder::new().worker_threads(1).thread_name("io").build().unwrap();
    /// let name = rt.block_on(async {
    ///     spindle::spawn(async { std::thread::current().name().unwrap().to_owned() }).await
    /// });
    /// assert_eq!(name.unwrap(), "io-0");
    /// ```
    pub fn thread_name(&mut self, prefix: impl Into<String>) -> &mut Self {
        self.thread_name = prefix.into();
        self
    }

    /// Timer wheel resolution (default 1 ms), between 1 µs and 60 s. Deadlines are rounded
    /// up to a tick, so callbacks are never early and at most about one tick late on an
    /// unloaded runtime.
    ///
    /// ```
    /// let rt = spindle::Builder::new().timer_tick(std::time::Duration::from_micros(100)).build();
    /// assert!(rt.is_ok());
    /// ```
    pub fn timer_tick(&mut self, tick: Duration) -> &mut Self {
        self.timer_tick = tick;
        self
    }

    /// Called with the payload when a `call_*` callback panics (on the worker that ran it,
    /// which keeps running). Default: one line on stderr naming the callback's type.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let panics = Arc::new(AtomicUsize::new(0));
    /// let p = panics.clone();
    /// let rt = spindle::Builder::new()
    ///     .on_callback_panic(move |_payload| { p.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// rt.handle().call_soon(|| panic!("oops"));
    /// while panics.load(Ordering::SeqCst) == 0 { std::thread::yield_now(); }
    /// ```
    pub fn on_callback_panic<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn(Box<dyn std::any::Any + Send>) + Send + Sync + 'static,
    {
        self.on_callback_panic = Some(Arc::new(f));
        self
    }

    /// Starts the runtime. Bad settings give `ErrorKind::InvalidInput` with a message saying
    /// which; failing to start a thread gives that error (threads already started are
    /// stopped).
    ///
    /// ```
    /// let err = spindle::Builder::new().timer_tick(std::time::Duration::ZERO).build().unwrap_err();
    /// assert!(err.to_string().contains("timer_tick"));
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let workers = self.worker_threads.unwrap_or_else(num_cpus::get);
        if workers == 0 {
            return Err(invalid("worker_threads must be at least 1 (got 0)".into()));
        }
        if workers > MAX_WORKERS {
            return Err(invalid(format!(
                "worker_threads must be at most {MAX_WORKERS} (got {workers})"
            )));
        }
        if self.timer_tick < MIN_TIMER_TICK || self.timer_tick > MAX_TIMER_TICK {
            return Err(invalid(format!(
                "timer_tick must be between {MIN_TIMER_TICK:?} and {MAX_TIMER_TICK:?} (got {:?})",
                self.timer_tick
            )));
        }
        self.blocking.validate()?;
        if self.thread_name.contains('\0') {
            // std would panic on it when naming the threads.
            return Err(invalid(format!(
                "thread_name must not contain a NUL byte (got {:?})",
                self.thread_name
            )));
        }
        Runtime::start(self.clone(), workers)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
