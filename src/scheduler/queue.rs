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
    //! A lock-free FIFO ring (Vyukov's bounded MPMC queue: per-slot sequence numbers) whose
    //! only guarantee is the one spindle may rely on from crossbeam-deque: a push
    //! happens-before the pop that takes its item (Release store of the slot's sequence,
    //! Acquire load). Nothing else orders a push against a pop or an `is_empty` of another
    //! thread: a pop may return `None` while a push made "just before" by another thread is
    //! not yet visible to it, exactly as a store may be unseen by a load on another
    //! location. So every Dekker pair between a push and a pop (or `is_empty`) must carry
    //! spindle's own SeqCst fences on both sides, and a model fails where one is missing
    //! (the mutex deque this replaces ordered every push against every later pop for free).
    //!
    //! Like crossbeam, a pop waits for a push that claimed its position (advanced `tail`)
    //! but has not written yet, and `is_empty` counts such a push, so items are never
    //! reordered or skipped. Capacity is `CAP` items at once (loom models queue a few);
    //! more is a loud failure of the model, never a silent drop. Batches are 2 items (tokio
    //! shrinks its queues under loom too: fewer steps per operation, smaller state space).
    use crate::loom::cell::UnsafeCell;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
    use crate::loom::sync::Arc;
    use std::mem::MaybeUninit;

    const BATCH: usize = 2;
    const CAP: usize = 8;

    struct Slot<T> {
        /// `pos` while free for the push at position `pos`, `pos + 1` once that push wrote
        /// its item, `pos + CAP` once it was popped (free for the next lap).
        seq: AtomicUsize,
        val: UnsafeCell<MaybeUninit<T>>,
    }

    struct Ring<T> {
        /// Next position to pop; advanced by the consumer that claims it (CAS).
        head: AtomicUsize,
        /// Next position to push; advanced by the producer that claims it (RMW).
        tail: AtomicUsize,
        slots: Box<[Slot<T>]>,
    }

    // SAFETY: an item is written only by the producer that claimed its position and read
    // only by the consumer that claimed it, ordered by the slot's sequence (see `push` and
    // `pop`); items move between threads, so `T: Send` suffices.
    unsafe impl<T: Send> Sync for Ring<T> {}
    // SAFETY: as above.
    unsafe impl<T: Send> Send for Ring<T> {}

    impl<T> Ring<T> {
        fn new() -> Self {
            Ring {
                head: AtomicUsize::new(0),
                tail: AtomicUsize::new(0),
                slots: (0..CAP)
                    .map(|i| Slot {
                        seq: AtomicUsize::new(i),
                        val: UnsafeCell::new(MaybeUninit::uninit()),
                    })
                    .collect(),
            }
        }

        fn push(&self, t: T) {
            // Relaxed: only claims a position among producers; the slot's sequence publishes.
            let pos = self.tail.fetch_add(1, Relaxed);
            let slot = &self.slots[pos % CAP];
            // An RMW reads the latest sequence (a plain load could see an older lap and fake
            // a full ring). Acquire: pairs with `pop`'s Release that freed the slot, so our
            // write comes after its read of the previous item.
            let seq = slot.seq.fetch_add(0, Acquire);
            assert_eq!(
                seq, pos,
                "loom queue stand-in: more than {CAP} items queued at once"
            );
            // SAFETY: position `pos` is ours alone (the RMW on `tail`), and the slot is free
            // for it (`seq == pos`): no consumer reads it until our store below.
            slot.val.with_mut(|p| unsafe { (*p).write(t) });
            // Release: the pop that Acquire-loads `pos + 1` sees the item.
            slot.seq.store(pos + 1, Release);
        }

        fn pop(&self) -> Option<T> {
            loop {
                // An RMW reads the latest head (a stale one could only fail the CAS below, or
                // fake an empty queue). Relaxed: consumers share no data through `head`; the
                // item's own sequence orders it.
                let h = self.head.fetch_add(0, Relaxed);
                let slot = &self.slots[h % CAP];
                // Acquire: pairs with `push`'s Release store of `h + 1`.
                if slot.seq.load(Acquire) == h + 1 {
                    // Relaxed: as above; the CAS makes this consumer the only one for `h`.
                    if self
                        .head
                        .compare_exchange(h, h + 1, Relaxed, Relaxed)
                        .is_ok()
                    {
                        // SAFETY: we claimed `h` (CAS) after seeing its push (`seq == h + 1`,
                        // Acquire): the item is initialized and no one else reads it.
                        let t = slot.val.with(|p| unsafe { (*p).assume_init_read() });
                        // Release: pairs with the next lap's `push` Acquire RMW.
                        slot.seq.store(h + CAP, Release);
                        return Some(t);
                    }
                } else if self.tail.load(Relaxed) <= h {
                    // Relaxed: whether a push claimed `h` is all we ask; a claim we do not
                    // see yet is a push not yet ordered before us (no stronger than crossbeam).
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

        fn len(&self) -> usize {
            // Relaxed: a size hint for the batch size only.
            let h = self.head.fetch_add(0, Relaxed);
            self.tail.load(Relaxed).saturating_sub(h)
        }
    }

    impl<T> Drop for Ring<T> {
        fn drop(&mut self) {
            while self.pop().is_some() {}
        }
    }

    pub(crate) struct Local<T>(Arc<Ring<T>>);
    pub(crate) struct Stealer<T>(Arc<Ring<T>>);
    pub(crate) struct Injector<T>(Ring<T>);

    /// Takes about half of `src` (at most `BATCH`): returns the first, pushes the rest into
    /// `dest`.
    fn move_batch<T>(src: &Ring<T>, dest: &Local<T>) -> Option<T> {
        let first = src.pop()?;
        // crossbeam steals half, rounded up: a second item if at least 3 were queued.
        if BATCH > 1 && src.len() >= 2 {
            if let Some(t) = src.pop() {
                dest.push(t);
            }
        }
        Some(first)
    }

    impl<T> Local<T> {
        pub(crate) fn new() -> Self {
            Local(Arc::new(Ring::new()))
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
            Stealer(self.0.clone())
        }
    }

    impl<T> Stealer<T> {
        pub(crate) fn steal_into(&self, dest: &Local<T>) -> Option<T> {
            move_batch(&self.0, dest)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(Ring::new())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
        pub(crate) fn pop_into(&self, dest: &Local<T>, _workers: usize) -> Option<T> {
            move_batch(&self.0, dest)
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
