//! Helpers for the loom models in `tests/` (run them with `loom-tests/run.sh`).
//!
//! Every model file starts with `#![cfg(loom)]`: the internals it drives (`spindle::__loom`)
//! exist only in a `--cfg loom` build, so a plain `cargo test` compiles the models to nothing.
#![cfg(loom)]

#[cfg(not(debug_assertions))]
compile_error!(
    "build the loom models with debug assertions: RUSTFLAGS=\"--cfg loom -C debug-assertions\" \
     (use loom-tests/run.sh)"
);

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;

pub use spindle::__loom::Fault;

/// The preemption bound: `LOOM_MAX_PREEMPTIONS`, 3 by default. Every seeded bug is caught at
/// 2; the third preemption costs about 15 s on 2 cores (mostly the shutdown model) and
/// explores deeper interleavings of the real code, so the suite keeps it.
pub fn preemptions() -> usize {
    std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// Runs `f` under `loom::model` with a bounded preemption count.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    model_within(preemptions(), f)
}

/// [`model`] at a preemption bound of at most `bound` (never above the suite's own), for the
/// whole-runtime models whose state space at the suite's bound costs minutes: each says why.
pub fn model_within<F>(bound: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let bound = bound.min(preemptions());
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.check(move || {
        r.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    // Shown with `--nocapture`: how much of the state space the bound let loom explore.
    eprintln!(
        "loom: {} executions (preemption bound {bound})",
        runs.load(std::sync::atomic::Ordering::Relaxed),
    );
}

/// Set in the child process that runs a model with its fault seeded.
const CHILD: &str = "SPINDLE_LOOM_SEEDED_CHILD";

/// Runs the same model with `fault` seeded into spindle's real code, and asserts that loom
/// reports a failure (a failed assertion, a data race, a deadlock or a leak).
///
/// The seeded model runs in a child process (this test binary, filtered to the calling
/// test): after loom reports a deadlock it has no active thread, and a destructor that
/// touches a loom object while the panic unwinds aborts the process. The child's failure,
/// abort included, is the expected outcome; its exiting cleanly fails the test.
pub fn model_catches<F>(fault: Fault, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    model_catches_because(fault, seeded_reason(fault), f)
}

/// [`model_catches`] with the expected failure given here rather than by `seeded_reason`:
/// the child's report must contain `reason` (e.g. "deadlock" for a lost wakeup, or the
/// model's own assertion message), so the twin fails for the seeded reason and not another.
pub fn model_catches_because<F>(fault: Fault, reason: &str, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    seeded_child(fault, reason, None, f)
}

/// [`model_catches`] with the child's preemption bound lowered to `bound` (every seeded bug
/// is caught at 2): for a twin of a whole-runtime model whose full search at the suite's
/// bound takes minutes, while the bug needs fewer preemptions to show.
pub fn model_catches_within<F>(fault: Fault, bound: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    seeded_child(fault, seeded_reason(fault), Some(bound), f)
}

fn seeded_child<F>(fault: Fault, reason: &str, bound: Option<usize>, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    if std::env::var_os(CHILD).is_some() {
        let _seeded = spindle::__loom::seed(fault);
        model(f);
        return; // loom found nothing: the child passes, and the parent fails
    }
    let test = std::thread::current()
        .name()
        .expect("libtest runs each test on a thread named after it")
        .to_owned();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    if let Some(bound) = bound {
        child.env("LOOM_MAX_PREEMPTIONS", bound.min(preemptions()).to_string());
    }
    let out = child
        .args([
            test.as_str(),
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the seeded model");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "loom did not catch the seeded fault {fault:?}: the model cannot fail\n{stdout}{stderr}"
    );
    // Failing is not enough: it must fail for the seeded reason (issue 10), not for some
    // other bug or a crash of the harness.
    assert!(
        stderr.contains(reason) || stdout.contains(reason),
        "the seeded fault {fault:?} failed the model, but not with `{reason}`\n{stdout}{stderr}"
    );
    // What loom reported (shown with `--nocapture`).
    let report: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.contains("panicked at"))
        .take(2)
        .collect();
    eprintln!("seeded {fault:?}: {}", report.join(" "));
}

/// What loom (or the model's own assertion) reports when `fault` is seeded: a deadlock, a
/// data race (`Causality violation`), or the message of the assertion that names the broken
/// property. A twin passes only if its child failed with this text.
fn seeded_reason(fault: Fault) -> &'static str {
    const DEADLOCK: &str = "deadlock; threads";
    const RACE: &str = "Causality violation";
    #[allow(unreachable_patterns)]
    match fault {
        Fault::EntryCancelNotAtomic => RACE,
        Fault::ClearStagedNotAtomic => "cancelled staged entry still referenced",
        Fault::ArmReadsParkedBeforePush => DEADLOCK,
        Fault::ShardReleaseRelaxed => RACE,
        Fault::NotifyRunningSubmits => "queued twice",
        Fault::NotifiedWakeReadOnly => "a wake was lost",
        Fault::AbortRunningNoNotify => DEADLOCK,
        Fault::DropJoinIgnoresComplete => RACE,
        Fault::ParkSkipsRecheck => DEADLOCK,
        Fault::PushSkipsClosedRedrain => "each future ran or was dropped, exactly once",
        Fault::ArmSkipsClosedRecheck => "the callback's closure was leaked",
        Fault::PromiseSetBeforeWrite => RACE,
        Fault::DeferredCancelNotAtomic => "exactly one of set_result and cancel wins",
        Fault::ShutdownDropsSleepWaker => DEADLOCK,
        Fault::StagingPublishRelaxed => "staged slot read before its publication",
        Fault::ThiefSkipsRepublish => "a drained remote timer is invisible to watchers",
        Fault::PeriodicCancelDropsDuringRun => RACE,
        Fault::PoolIdleSkipsRecheck => DEADLOCK,
        Fault::QuietWakeEntersLate => "jumped the clock past work about to run",
        Fault::UnparkSkipsIoWaker => DEADLOCK,
        Fault::ParkIoSkipsAnnounce => DEADLOCK,
        Fault::PollReadySkipsRecheck => "readiness lost",
        Fault::InboxPushSkipsFence | Fault::InboxResetSkipsFence => {
            "a remote arm is invisible to watchers"
        }
        Fault::CloseSkipsFence | Fault::CloseOutsideSkipsFence => {
            "an arm that raced the shard's close kept its closure"
        }
        Fault::PushRemoteSkipsFence | Fault::FinishShutdownSkipsFence => {
            "a unit pushed during shutdown was drained by nobody"
        }
        Fault::PoolCloseSkipsFence | Fault::PoolSubmitSkipsFence => {
            "a task submitted while the pool closed was never cancelled"
        }
        Fault::ParkSkipsFence | Fault::PoolIdleSkipsFence | Fault::PoolExitSkipsFence => DEADLOCK,
        Fault::OwnerArmSkipsWatchFence => "a sleeper parked past the new timer's watch",
        Fault::SleeperKeepsSearching => "woke nobody",
        // issue 12
        Fault::EntryCloneSkipsCount => "a block was reused under a live handle",
        Fault::PoolRemotePushStore => "a released block was lost",
        Fault::InboxDrainNotAtomic => "a remote arm was lost in the inbox",
        other => panic!("no expected failure recorded for {other:?}: add it to `seeded_reason`"),
    }
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
