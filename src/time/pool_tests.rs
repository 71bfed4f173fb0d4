//! Unit tests of `pool` (a sibling file, so `pool.rs` holds only the code; `super` is `pool`).

use super::*;
use std::sync::atomic::{AtomicUsize as StdUsize, Ordering::SeqCst};
use std::sync::Arc;

#[test]
fn inline_and_boxed_closures_run_or_drop_once() {
    struct D(Arc<StdUsize>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let drops = Arc::new(StdUsize::new(0));
    let runs = Arc::new(StdUsize::new(0));
    // Small (inline) and big (boxed) captures, each called once and dropped once.
    let (d, r) = (D(drops.clone()), runs.clone());
    InlineFn::new(move || drop((d, r.fetch_add(1, SeqCst)))).call();
    let (d, r, big) = (D(drops.clone()), runs.clone(), [7u64; 16]);
    InlineFn::new(move || drop((d, r.fetch_add(big[3] as usize, SeqCst)))).call();
    drop(InlineFn::new({
        let d = D(drops.clone());
        move || drop(d)
    }));
    drop(InlineFn::new({
        let (d, big) = (D(drops.clone()), [0u8; 100]);
        move || drop((d, big))
    }));
    assert_eq!(runs.load(SeqCst), 8);
    assert_eq!(drops.load(SeqCst), 4);
}

#[test]
fn blocks_are_reused_with_a_new_generation() {
    let a = super::super::entry::Entry::new_callback(10, 0, || ());
    let (p, g) = (EntryRef::as_ptr(&a), a.gen);
    drop(a);
    let b = super::super::entry::Entry::new_callback(10, 0, || ());
    assert!(
        std::ptr::eq(EntryRef::as_ptr(&b), p),
        "LIFO reuse of the block"
    );
    assert_eq!(b.gen, g.wrapping_add(1));
    // Released on another thread: back to this thread's pool through `remote`.
    let c = super::super::entry::Entry::new_callback(10, 0, || ());
    let pc = EntryRef::as_ptr(&c) as usize;
    std::thread::spawn(move || drop(c)).join().unwrap();
    let d = super::super::entry::Entry::new_callback(10, 0, || ());
    assert_eq!(EntryRef::as_ptr(&d) as usize, pc);
    // A thread's blocks outlive it (released after its pool closed: to the heap).
    let e = std::thread::spawn(|| super::super::entry::Entry::new_callback(1, 0, || ()))
        .join()
        .unwrap();
    assert_eq!(EntryRef::count(&e), 1);
    drop((b, d, e));
}

#[test]
fn entry_size() {
    // The pending-memory goal counts this (plus the wheel's slot pointer).
    assert!(
        std::mem::size_of::<Entry>() <= 128,
        "{}",
        std::mem::size_of::<Entry>()
    );
    eprintln!("size_of::<Entry>() = {}", std::mem::size_of::<Entry>());
}
