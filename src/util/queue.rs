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
    //! A mutex-protected deque: every operation is one loom-visible critical section. Batches
    //! are shrunk to 2 items (tokio shrinks its queues under loom for the same reason: fewer
    //! steps per operation keep the state space small).
    use crate::loom::sync::{lock, Arc, Mutex};
    use std::collections::VecDeque;

    const BATCH: usize = 2;

    pub(crate) struct Local<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

    fn move_batch<T>(src: &Mutex<VecDeque<T>>, dest: &Local<T>) -> Option<T> {
        let mut batch: VecDeque<T> = {
            let mut src = lock(src);
            let n = src.len().div_ceil(2).min(BATCH);
            src.drain(..n).collect()
        };
        let first = batch.pop_front()?;
        lock(&dest.0).extend(batch);
        Some(first)
    }

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
        pub(crate) fn steal_into(&self, dest: &Local<T>) -> Option<T> {
            move_batch(&self.0, dest)
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, t: T) {
            lock(&self.0).push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
        pub(crate) fn pop_into(&self, dest: &Local<T>, _workers: usize) -> Option<T> {
            move_batch(&self.0, dest)
        }
        pub(crate) fn move_into(&self, dest: &Local<T>, _workers: usize) {
            let batch: Vec<T> = {
                let mut src = lock(&self.0);
                let n = src.len().min(BATCH);
                src.drain(..n).collect()
            };
            lock(&dest.0).extend(batch);
        }
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
    }
}

pub(crate) use imp::{Injector, Local, Stealer};
