//! Run queues: a thin, uniform face over crossbeam-deque, swapped for a loom-visible queue
//! under `cfg(loom)` (loom cannot see inside crossbeam-deque, whose atomics follow the
//! `crossbeam_loom` cfg). Both sides offer the same operations, so the worker is the same code.
//!
//! - [`Local`]: the owner's FIFO deque (push back, pop front; yielded tasks go behind others).
//! - [`Stealer`]: steals half of another worker's deque into ours.
//! - [`Injector`]: the shared MPMC queue for work from outside the workers.

#[cfg(not(loom))]
mod imp {
    use crossbeam_deque::Steal;

    pub(crate) struct Local<T>(crossbeam_deque::Worker<T>);
    pub(crate) struct Stealer<T>(crossbeam_deque::Stealer<T>);
    pub(crate) struct Injector<T>(crossbeam_deque::Injector<T>);

    fn first<T>(mut f: impl FnMut() -> Steal<T>) -> Option<T> {
        loop {
            match f() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => crate::loom::hint::spin_loop(),
            }
        }
    }

    impl<T> Local<T> {
        pub(crate) fn new() -> Self {
            Local(crossbeam_deque::Worker::new_fifo())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.stealer())
        }
    }

    impl<T> Stealer<T> {
        /// Moves about half of the victim's tasks into `dest` and returns one of them.
        pub(crate) fn steal_into(&self, dest: &Local<T>) -> Option<T> {
            first(|| self.0.steal_batch_and_pop(&dest.0))
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(crossbeam_deque::Injector::new())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            first(|| self.0.steal())
        }
        /// A fair share of the queue for one worker: `len / workers + 1`, at most 128.
        /// crossbeam moves at most one block (63 slots) per steal, so a worker that looks at
        /// the injector only every so many polls needs a few steals to keep up with a remote
        /// producer.
        fn fair_share(&self, workers: usize) -> usize {
            const MAX_BATCH: usize = 128;
            (self.0.len() / workers.max(1) + 1).min(MAX_BATCH)
        }

        /// Moves up to `want` tasks into the back of `dest`, in order (a few steals at most).
        fn steal_up_to(&self, dest: &Local<T>, want: usize) {
            let before = dest.0.len();
            for _ in 0..4 {
                let moved = dest.0.len().saturating_sub(before);
                if moved >= want {
                    break;
                }
                if first(|| self.0.steal_batch_with_limit(&dest.0, want - moved)).is_none() {
                    break;
                }
            }
        }

        /// Moves a fair share of the queue into `dest` and returns its oldest task.
        pub(crate) fn pop_into(&self, dest: &Local<T>, workers: usize) -> Option<T> {
            let want = self.fair_share(workers);
            let before = dest.0.len();
            let task = first(|| self.0.steal_batch_with_limit_and_pop(&dest.0, want))?;
            let moved = dest.0.len().saturating_sub(before) + 1;
            self.steal_up_to(dest, want.saturating_sub(moved));
            Some(task)
        }

        /// Like [`pop_into`](Self::pop_into) but keeps every moved task in `dest`, in order
        /// (for a worker whose local queue already holds earlier work: FIFO order from one
        /// producer is kept).
        pub(crate) fn move_into(&self, dest: &Local<T>, workers: usize) {
            self.steal_up_to(dest, self.fair_share(workers));
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }
}

#[cfg(loom)]
mod imp {
    //! The injectors (the runtime's, each shard's inbox, the blocking pool's queues) are a
    //! lock-free FIFO of write-once slots whose only guarantee is the one spindle may rely
    //! on from crossbeam-deque: a push happens-before the pop that takes its item (Release
    //! store of the slot's state, Acquire load). Nothing else orders a push against a pop or
    //! an `is_empty` on another thread: a pop may return `None` while a push made "just
    //! before" by another thread is not yet visible to it, as a store may be unseen by a load
    //! of another location. So every Dekker pair between a push and a pop (or `is_empty`)
    //! must carry spindle's own SeqCst fences on both sides, and a model fails where one is
    //! missing (`loom-tests/tests/fences.rs`). The mutex deque this replaces ordered every
    //! push before every later pop for free, so no model could see a missing fence.
    //!
    //! Like crossbeam, a pop waits for a push that claimed its position (advanced `tail`)
    //! but has not written yet, and `is_empty` counts such a push, so items are never
    //! reordered or skipped. Slots are never reused (fewer steps per operation than a ring
    //! with sequence numbers, so a smaller state space): a queue takes `CAP` pushes in one
    //! model run, and more is a loud failure of the model, never a silent drop. A steal
    //! moves one item, a fairness move up to 2 (tokio shrinks its queues under loom too).
    //! The workers' own deques stay mutex deques (see `Local`).
    use crate::loom::cell::UnsafeCell;
    use crate::loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering::*};
    use crate::loom::sync::{lock, Arc, Mutex};
    use std::collections::VecDeque;
    use std::mem::MaybeUninit;

    const BATCH: usize = 2;
    const CAP: usize = 16;
    const EMPTY: u8 = 0;
    const FULL: u8 = 1;

    struct Slot<T> {
        /// EMPTY until its push wrote the item, then FULL (a popped slot is behind `head`).
        state: AtomicU8,
        val: UnsafeCell<MaybeUninit<T>>,
    }

    struct Queue<T> {
        /// Next position to pop; advanced by the consumer that claims it (CAS).
        head: AtomicUsize,
        /// Next position to push; advanced by the producer that claims it (RMW).
        tail: AtomicUsize,
        slots: Box<[Slot<T>]>,
    }

    // SAFETY: an item is written only by the producer that claimed its position and read
    // only by the consumer that claimed it, ordered by the slot's state (see `push` and
    // `pop`); items move between threads, so `T: Send` suffices.
    unsafe impl<T: Send> Sync for Queue<T> {}
    // SAFETY: as above.
    unsafe impl<T: Send> Send for Queue<T> {}

    impl<T> Queue<T> {
        fn new() -> Self {
            Queue {
                head: AtomicUsize::new(0),
                tail: AtomicUsize::new(0),
                slots: (0..CAP)
                    .map(|_| Slot {
                        state: AtomicU8::new(EMPTY),
                        val: UnsafeCell::new(MaybeUninit::uninit()),
                    })
                    .collect(),
            }
        }

        fn push(&self, t: T) {
            // Relaxed: only claims a position among producers; the slot's state publishes.
            let pos = self.tail.fetch_add(1, Relaxed);
            let slot = self
                .slots
                .get(pos)
                .expect("loom queue stand-in: more pushes in one model run than its CAP");
            // SAFETY: position `pos` is ours alone (the RMW on `tail`) and its slot is
            // written once; no consumer reads it before our store below.
            slot.val.with_mut(|p| unsafe { (*p).write(t) });
            // Release: the pop that Acquire-loads FULL sees the item.
            slot.state.store(FULL, Release);
        }

        fn pop(&self) -> Option<T> {
            loop {
                // An RMW reads the latest head (a stale one could only fail the CAS below, or
                // fake an empty queue). Relaxed: consumers share no data through `head`; the
                // item's own state orders it.
                let h = self.head.fetch_add(0, Relaxed);
                let slot = self.slots.get(h)?;
                // Acquire: pairs with `push`'s Release store of FULL.
                if slot.state.load(Acquire) == FULL {
                    // Relaxed: as above; the CAS makes this consumer the only one for `h`.
                    if self
                        .head
                        .compare_exchange(h, h + 1, Relaxed, Relaxed)
                        .is_ok()
                    {
                        // SAFETY: we claimed `h` (CAS) after seeing its push (FULL, Acquire):
                        // the item is initialized, and no one else reads it (`head` is past
                        // it for good).
                        return Some(slot.val.with(|p| unsafe { (*p).assume_init_read() }));
                    }
                } else if self.tail.load(Relaxed) <= h {
                    // Relaxed: whether a push claimed `h` is all we ask; a claim we do not
                    // see yet is a push not ordered before us (no stronger than crossbeam).
                    return None;
                }
                // Another consumer took `h`, or a push claimed it and is writing: retry.
                crate::loom::hint::spin_loop();
            }
        }

        fn is_empty(&self) -> bool {
            // Relaxed RMW and load: as in `pop` (latest head; a claim not seen is not ours).
            let h = self.head.fetch_add(0, Relaxed);
            self.tail.load(Relaxed) <= h
        }
    }

    impl<T> Drop for Queue<T> {
        fn drop(&mut self) {
            while self.pop().is_some() {}
        }
    }

    // A worker's own deque stays a mutex deque: no protocol pairs a push onto it with
    // another thread's pop or `is_empty` (a local push wakes a helper with a relaxed check,
    // `Shared::push`: a missed wake costs parallelism, never the task), so its strength hides
    // no missing fence, and the worker loop touches it on every turn: lock-free, it
    // multiplied the whole-runtime models' state space for nothing.
    pub(crate) struct Local<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Injector<T>(Queue<T>);

    impl<T> Local<T> {
        pub(crate) fn new() -> Self {
            Local(Arc::new(Mutex::new(VecDeque::new())))
        }
        pub(crate) fn push(&self, t: T) {
            lock(&self.0).push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(self.0.clone())
        }
    }

    impl<T> Stealer<T> {
        /// Steals one item (crossbeam steals about half; one keeps the models small).
        pub(crate) fn steal_into(&self, _dest: &Local<T>) -> Option<T> {
            lock(&self.0).pop_front()
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(Queue::new())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        pub(crate) fn pop_into(&self, _dest: &Local<T>, _workers: usize) -> Option<T> {
            self.0.pop()
        }
        pub(crate) fn move_into(&self, dest: &Local<T>, _workers: usize) {
            for _ in 0..BATCH {
                match self.0.pop() {
                    Some(t) => dest.push(t),
                    None => break,
                }
            }
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }
}

pub(crate) use imp::{Injector, Local, Stealer};
