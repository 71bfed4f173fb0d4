//! "The runtime is quiet": the decision that lets a paused clock move (auto-advance, and each
//! step of `Handle::advance`).
//!
//! **Agents.** The runtime counts its *agents*, the threads that may produce work or read the
//! clock on its behalf: every worker thread that is not parked, every thread inside
//! `block_on` whose future is runnable, and every running blocking task (hook:
//! `scheduler::pause::blocking_task_started` / `blocking_task_finished`, unused until a blocking
//! pool calls them, so the count of blocking tasks is 0). Threads that merely hold a `Handle` are
//! *not* agents: the runtime cannot know that they will arm a timer later (see
//! `scheduler::pause` for what that means to users).
//!
//! **State word.** `state = gen << 32 | active`. [`enter`](Quiet::enter) adds one agent and
//! bumps `gen`; [`leave`](Quiet::leave) removes one, and the agent that brings `active` to 0
//! gets a [`Token`]: the word it left behind. The runtime is *quiet* when the holder of the
//! newest token finds no runnable work ([`World::busy`]); it may then move the clock, but
//! only after [`commit`](Quiet::commit): a CAS from its token to `active = 1, gen + 1`, which
//! also counts the committer as an agent again while it moves the clock and wakes owners.
//!
//! **The rule for wakes.** Whoever makes an agent runnable counts it *before* making it
//! runnable: a `block_on` thread's waker calls `enter` and only then unparks the thread
//! ([`Agent::wake`]), and an agent that counts itself ([`Agent::resume`]) does so before it
//! shows as runnable. Workers are the one exception: a parked worker counts itself when it
//! wakes, because every reason to unpark a worker is work that [`World::busy`] sees (a
//! queued task or callback, a due timer, a drained inbox), published before the unpark.
//!
//! **Proof sketch (no jump past work about to run).** Suppose the clock moves at commit `C`
//! with token `T`, read by the leave `L` that brought `active` to 0. All operations on
//! `state` are SeqCst RMWs, so they are totally ordered, and the CAS at `C` succeeded on the
//! very word `L` left: no `enter` lies between `L` and `C` (each changes `gen`, and `gen`
//! does not wrap within one decision), and no other commit either (it would need a newer
//! token). Take any work `w` that would run "at the old time":
//! 1. `w` published by an agent `a` (a task woke another, a callback armed a timer): `a`
//!    published it before its own `leave`, which precedes `L` (or is `L`), so the busy check
//!    after `L` sees `w` and no commit happens.
//! 2. `w` is a `block_on` thread woken by some agent: the waker's `enter` comes before the
//!    unpark. If before `L`, `active` would not be 0 at `L` unless the thread ran and left
//!    again (so `w` is done); if after `C`, the wake happened after the decision, and the
//!    woken thread rightly sees the new time. It cannot lie between `L` and `C` (the CAS
//!    would fail).
//! 3. `w` published by a non-agent (a foreign thread): ordered after `C` if the busy check
//!    missed it; that thread's work is concurrent with the decision by definition.
//!
//! **Fast exit.** A decision whose [`World::may_plan`] is false (the clock is not paused)
//! ends before the [`World::busy`] scan: `plan` would be `None` anyway, so nothing commits,
//! exactly as if `busy` had been true. This is what keeps a runtime that never pauses from
//! paying a scan of every queue and shard (and a clock read) each time its last agent parks.
//! It stays live: `Handle::pause` stores the paused mode and then *kicks* (enter, leave,
//! settle), so if our leave came before the kick's enter, the kick holds the newer token and
//! decides; if after, our leave (a SeqCst RMW reading the kick's release sequence)
//! happens-after the mode store, so `may_plan` sees the paused clock. (Loom model
//! `quiet::fast_exit_vs_pause`; its twin seeds `Fault::QuietKickSkipped`.)
//!
//! Liveness: the last agent to leave always holds the newest token and runs the decision, so
//! a quiet runtime with a pending deadline is never left waiting (the loom model
//! `quiet::quiet_vs_concurrent_wake` checks both directions; its twin seeds
//! `Fault::QuietWakeEntersLate`, a waker that unparks first and lets the thread count itself).

use crate::loom::fault::Fault;
use crate::loom::sync::atomic::{AtomicU64, AtomicU8, Ordering::SeqCst};

const ACTIVE_MASK: u64 = (1 << 32) - 1;
const ONE_GEN: u64 = 1 << 32;

/// The runtime's agent count and decision generation (module docs).
#[derive(Debug)]
pub(crate) struct Quiet {
    state: AtomicU64,
}

/// The word left by the leave that brought the agent count to 0.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub(crate) struct Token(u64);

/// What the holder of a token looks at and does (the runtime, or a model's stand-in).
pub(crate) trait World {
    /// What would happen if the runtime were quiet.
    type Plan;
    /// Runnable work exists somewhere (someone counted or about to be counted runs it).
    fn busy(&self) -> bool;
    /// What a quiet runtime should do now (`None`: nothing, e.g. auto-advance is off and no
    /// `advance` is waiting, or no deadline is pending).
    fn plan(&self) -> Option<Self::Plan>;
    /// Carries out a committed plan (move the clock, unpark owners, wake `advance`rs).
    fn apply(&self, plan: Self::Plan);
    /// Whether a plan can exist at all (the runtime: the clock is paused). `false` ends the
    /// decision before the costly [`busy`](World::busy) scan; see "Fast exit" above.
    fn may_plan(&self) -> bool {
        true
    }
}

impl Quiet {
    pub(crate) fn new(agents: usize) -> Quiet {
        Quiet {
            state: AtomicU64::new(agents as u64),
        }
    }

    /// One more agent (a parked worker woke up, a `block_on` thread is made runnable).
    pub(crate) fn enter(&self) {
        self.state.fetch_add(ONE_GEN + 1, SeqCst);
    }

    /// One agent fewer; the last one gets the token.
    pub(crate) fn leave(&self) -> Option<Token> {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(prev & ACTIVE_MASK > 0, "quiet: more leaves than enters");
        (prev & ACTIVE_MASK == 1).then_some(Token(prev - 1))
    }

    /// Claims the decision: succeeds iff nothing entered or committed since `token`'s leave.
    /// On success the caller is an agent again (it must `leave` when done).
    pub(crate) fn commit(&self, token: Token) -> bool {
        self.state
            .compare_exchange(token.0, token.0 + ONE_GEN + 1, SeqCst, SeqCst)
            .is_ok()
    }

    /// A blocking task starts running (counts as an agent); see
    /// `scheduler::pause::blocking_task_started`, the hook a blocking pool calls.
    pub(crate) fn blocking_started(&self) {
        self.enter();
    }

    /// A blocking task finished; the caller then runs [`settle`] with the token, if any
    /// (`scheduler::pause::blocking_task_finished`).
    pub(crate) fn blocking_finished(&self) -> Option<Token> {
        self.leave()
    }

    /// Number of agents (for tests and debugging).
    #[allow(dead_code)]
    pub(crate) fn active(&self) -> u64 {
        self.state.load(SeqCst) & ACTIVE_MASK
    }
}

/// Leaves as an agent and, if that made the runtime quiet, runs the decision: while no work
/// is runnable and there is something to do, commit, apply, and leave again.
pub(crate) fn leave_and_settle<W: World>(quiet: &Quiet, world: &W) {
    let Some(token) = quiet.leave() else { return };
    settle(quiet, token, world);
}

/// The calling thread acts as an agent for a moment, so that a change it just made (the
/// clock paused, an `advance` registered) is decided on even if the runtime was already
/// quiet and nobody else will leave (what the fast exit relies on, module docs).
pub(crate) fn kick<W: World>(quiet: &Quiet, world: &W) {
    if crate::loom::fault::is(Fault::QuietKickSkipped) {
        return; // seeded fault (loom only): the change is left for a leave that never comes
    }
    quiet.enter();
    leave_and_settle(quiet, world);
}

/// The decision for the holder of `token` (module docs).
pub(crate) fn settle<W: World>(quiet: &Quiet, mut token: Token, world: &W) {
    loop {
        // Fast exit (module docs): a running clock has no plan; whoever pauses it decides.
        if !world.may_plan() {
            return;
        }
        if world.busy() {
            return; // whoever runs that work leaves later and decides again
        }
        let Some(plan) = world.plan() else { return };
        if !quiet.commit(token) {
            return; // someone entered: the last of them to leave decides
        }
        world.apply(plan);
        match quiet.leave() {
            Some(t) => token = t,
            None => return,
        }
    }
}

const IDLE: u8 = 0;
const RUNNABLE: u8 = 1;
/// Runnable, and woken again while running: the next `idle` must not stop counting.
const NOTIFIED: u8 = 2;
const DONE: u8 = 3;

/// An agent that is made runnable by wakers (a `block_on` thread): counted from a wake (or
/// its start) until it goes idle with no wake pending, never after `finish`.
///
/// A wake that comes while the agent runs (it polled, registered its waker, and has not
/// called `idle` yet) marks it `NOTIFIED`, and the `idle` that follows keeps it counted: it
/// is about to run again. Without that, it would stop counting between `idle` and its next
/// poll with a wake pending, and the clock could move past that poll.
#[derive(Debug)]
pub(crate) struct Agent {
    state: AtomicU8,
}

impl Agent {
    /// A runnable agent; the caller has counted it (`Quiet::enter`).
    pub(crate) fn new_runnable() -> Agent {
        Agent {
            state: AtomicU8::new(RUNNABLE),
        }
    }

    /// A waker: counts the agent before the caller unparks it (the rule for wakes).
    #[allow(dead_code)] // the loom probe's entry; `block_on` calls `wake_with`
    pub(crate) fn wake(&self, quiet: &Quiet) {
        self.wake_with(|| quiet.enter());
    }

    /// [`wake`](Self::wake), where `enter` counts the agent (`Quiet::enter`); it runs only
    /// when the wake finds the agent idle, the one case that counts it. So a wake of a
    /// running agent (a future that wakes itself, as `yield_now` does) needs no access to
    /// the runtime: `block_on`'s waker upgrades its `Weak` runtime reference only in `enter`.
    pub(crate) fn wake_with(&self, enter: impl FnOnce()) {
        if crate::loom::fault::is(Fault::QuietWakeEntersLate) {
            return; // seeded fault (loom only): the woken thread counts itself, too late
        }
        let mut s = self.state.load(SeqCst);
        loop {
            let next = match s {
                IDLE => RUNNABLE,
                RUNNABLE => NOTIFIED,
                _ => return, // already notified, or gone
            };
            match self.state.compare_exchange(s, next, SeqCst, SeqCst) {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        if s == IDLE {
            enter();
        }
    }

    /// The agent runs (after a wake-up, spurious or not): counts itself if no waker did.
    /// It counts itself *before* it shows as runnable: a waker that sees it runnable does
    /// not count it, so a gap between the two would let the clock move while it runs. If a
    /// waker counted it meanwhile, it takes its own count back; the caller settles with the
    /// token, if any.
    pub(crate) fn resume(&self, quiet: &Quiet) -> Option<Token> {
        if self.state.load(SeqCst) != IDLE {
            return None; // a waker counted us
        }
        quiet.enter();
        if self
            .state
            .compare_exchange(IDLE, RUNNABLE, SeqCst, SeqCst)
            .is_ok()
        {
            return None;
        }
        quiet.leave()
    }

    /// The agent is about to wait: stops counting unless a wake came meanwhile; the caller
    /// settles with the token.
    pub(crate) fn idle(&self, quiet: &Quiet) -> Option<Token> {
        match self.state.compare_exchange(RUNNABLE, IDLE, SeqCst, SeqCst) {
            Ok(_) => quiet.leave(),
            Err(NOTIFIED) => {
                // Woken while running: stay counted, run again (the unpark is pending).
                let _ = self
                    .state
                    .compare_exchange(NOTIFIED, RUNNABLE, SeqCst, SeqCst);
                None
            }
            Err(_) => None,
        }
    }

    /// Whether the agent counts (for the loom model).
    #[allow(dead_code)]
    pub(crate) fn is_counted(&self) -> bool {
        matches!(self.state.load(SeqCst), RUNNABLE | NOTIFIED)
    }

    /// The agent is gone for good: later wakes count nothing.
    pub(crate) fn finish(&self, quiet: &Quiet) -> Option<Token> {
        match self.state.swap(DONE, SeqCst) {
            RUNNABLE | NOTIFIED => quiet.leave(),
            _ => None,
        }
    }
}

#[cfg(all(test, not(loom)))]
#[path = "quiet_tests.rs"]
mod tests;
