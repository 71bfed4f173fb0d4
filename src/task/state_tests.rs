//! Unit tests of `state` (a sibling file, so `state.rs` holds only the code; `super` is `state`).

use super::*;

#[test]
fn wake_during_poll_reschedules_once() {
    let s = State::new();
    assert_eq!(s.transition_to_running(), ToRunning::Poll);
    assert_eq!(s.transition_to_notified(), OnWake::Nothing);
    assert_eq!(s.transition_to_notified(), OnWake::Nothing);
    assert_eq!(s.transition_to_idle(), ToIdle::Reschedule);
    assert_eq!(
        s.transition_to_notified(),
        OnWake::Nothing,
        "already queued"
    );
    assert_eq!(s.transition_to_running(), ToRunning::Poll);
    assert_eq!(s.transition_to_idle(), ToIdle::Idle);
    assert_eq!(s.transition_to_notified(), OnWake::Submit);
}

#[test]
fn abort_idle_task_submits_and_cancels() {
    let s = State::new();
    assert_eq!(s.transition_to_running(), ToRunning::Poll);
    assert_eq!(s.transition_to_idle(), ToIdle::Idle);
    assert_eq!(s.transition_to_cancelled(), OnWake::Submit);
    assert_eq!(s.transition_to_cancelled(), OnWake::Nothing);
    assert_eq!(s.transition_to_running(), ToRunning::Cancel);
    let prev = s.transition_to_complete();
    assert!(prev.has_join_interest() && !prev.is_complete());
    assert_eq!(
        s.transition_to_notified(),
        OnWake::Nothing,
        "wake after completion"
    );
    assert_eq!(s.transition_to_running(), ToRunning::Ignore);
}

#[test]
fn join_drop_after_complete_owns_output() {
    let s = State::new();
    s.transition_to_running();
    s.transition_to_complete();
    assert!(s.drop_join_interest().is_complete());
}

#[test]
fn shutdown_claims_queued_task() {
    let s = State::new();
    assert!(s.transition_to_shutdown());
    assert_eq!(
        s.transition_to_running(),
        ToRunning::Ignore,
        "stale queue entry"
    );
    s.transition_to_complete();
    assert!(!s.transition_to_shutdown());
}
