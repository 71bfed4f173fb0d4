//! Unit tests of `quiet` (a sibling file, so `quiet.rs` holds only the code; `super` is `quiet`).

use super::*;

#[test]
fn commit_fails_after_an_enter_even_if_it_left_again() {
    let q = Quiet::new(1);
    let t = q.leave().unwrap();
    q.enter();
    let t2 = q.leave().unwrap();
    assert!(!q.commit(t), "ABA: an enter and a leave in between");
    assert!(q.commit(t2));
    assert_eq!(q.active(), 1);
}

#[test]
fn agent_counts_once_and_never_after_done() {
    let q = Quiet::new(1); // the agent itself
    let a = Agent::new_runnable();
    a.wake(&q);
    a.wake(&q);
    assert_eq!(q.active(), 1);
    assert!(a.idle(&q).is_none(), "woken while running: still counted");
    assert_eq!(q.active(), 1);
    assert!(a.idle(&q).is_some());
    a.wake(&q);
    assert!(a.resume(&q).is_none());
    assert_eq!(q.active(), 1);
    assert!(a.finish(&q).is_some());
    a.wake(&q);
    assert_eq!(q.active(), 0);
}
