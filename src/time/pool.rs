//! Entry memory: pooled timer entries, their reference count, and closures stored inline.
//!
//! This module holds the timer engine's memory `unsafe` (the state machine's callback cell is
//! in `entry`, the staging buffer's raw pointers in `shard`); every `// SAFETY:` below names
//! one of these invariants.
//!
//! ```text
//!   thread T (a worker, or any thread that arms)            any thread
//!   -------------------------------------------            ----------
//!   alloc: pop T's `local` list (no atomics)               last EntryRef dropped:
//!          else take T's `remote` list (one swap)            drop the payload in place,
//!          else the heap (`live` += 1)                       T's own pool? push `local`
//!                                                            else CAS-push T's `remote`
//!   T exits: free `local`, swap `remote` to CLOSED and        (`remote` is CLOSED: give the
//!            free it, drop T's own count on `live`              block to the heap, `live` -= 1)
//! ```
//!
//! Invariants:
//! - **P1 (refcount)**: an entry's block is initialized and not in any free list while its
//!   `refs` is > 0. `EntryRef` is the only owner of a count; `from_raw` / `into_raw` move a
//!   count in and out of a raw pointer (the staging buffer). The count reaching 0 is seen by
//!   exactly one `EntryRef::drop` (one `fetch_sub`), which alone releases the block.
//! - **P2 (owner-only local list)**: a pool's `local` list (and `local_len`) is touched only
//!   by the thread whose thread-local owns the pool; other threads reach it only through
//!   `remote`, a lock-free stack (CAS push, the owner takes it whole with one swap: no ABA,
//!   because nobody pops single nodes from it).
//! - **P3 (pool lifetime)**: `live` counts the blocks of this pool not yet given back to the
//!   heap, plus one for the owner thread. A block holds a count from its heap allocation to
//!   its heap free, so a thread releasing a block can always reach the pool; whoever brings
//!   `live` to 0 frees the pool.
//! - **P4 (closed)**: `remote == CLOSED` iff the owner thread has exited (its thread-local
//!   was destroyed). From then on nobody pushes to it (a pusher that sees CLOSED frees its
//!   block to the heap instead) and the owner never reads it again.
//! - **P5 (generation)**: a block's generation grows by one per reuse. A `TimerHandle` records
//!   it; because the handle also holds a count (P1), the block is never reused under it, so
//!   the generation check in `TimerHandle` is a second, independent guard against a stale
//!   handle ever acting on the next timer that reuses the block.
//! - **F1 (inline closure)**: an `InlineFn` holds either an `F` (when it fits in 32 bytes at
//!   alignment <= 8) or a `Box<F>`, and its vtable was made for exactly that `F` and that
//!   storage. Its value is moved out at most once (`call` consumes it; `Drop` only runs if
//!   `call` did not).
//!
//! Proof note: P1 is the `Arc` argument (increments Relaxed because a count can only be made
//! from an existing one; the decrement is Release and the last one Acquire, so every use of
//! the entry happens before its release). A released block goes to exactly one list (the
//! releasing thread decides by comparing the pool pointer with its own thread-local pool,
//! which is P2's owner test). `remote`'s pushes are Release CASes and the owner's takes are
//! Acquire swaps, so the owner sees each block's `next` link and generation written by the
//! pusher. P3/P4: a pusher holds a block, hence a count, hence the pool is alive while it
//! reads `remote`; the swap to CLOSED is one RMW on the same word as the CAS pushes, so every
//! push is ordered before it (and freed by the closer) or after it (and sees CLOSED).

use super::entry::Entry;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering::*};
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::{self, NonNull};

/// A released block's header, written over the dead entry.
#[repr(C)]
struct Free {
    next: *mut Free,
    gen: u32,
}

const _: () = assert!(
    std::mem::size_of::<Free>() <= std::mem::size_of::<Entry>()
        && std::mem::align_of::<Free>() <= std::mem::align_of::<Entry>()
);

/// More free blocks than this on one thread's own list go back to the heap (a burst of a
/// million timers does not stay reserved for that thread forever).
const LOCAL_CAP: usize = 4096;

/// The address `remote` holds once closed (P4); never dereferenced.
static CLOSED: u8 = 0;

fn closed() -> *mut Free {
    ptr::addr_of!(CLOSED) as *mut Free
}

fn layout() -> Layout {
    Layout::new::<Entry>()
}

/// One thread's pool of entry blocks.
pub(crate) struct Pool {
    /// P2: owner thread only.
    local: UnsafeCell<(*mut Free, usize)>,
    /// Blocks released by other threads (P2), or CLOSED (P4).
    remote: AtomicPtr<Free>,
    /// P3.
    live: AtomicUsize,
}

impl Pool {
    fn new() -> Pool {
        Pool {
            local: UnsafeCell::new((ptr::null_mut(), 0)),
            remote: AtomicPtr::new(ptr::null_mut()),
            live: AtomicUsize::new(1),
        }
    }

    /// Owner thread: a block to build an entry in, and its generation.
    fn take(&self) -> (NonNull<Free>, u32) {
        // SAFETY: P2, we are the owner thread (only `Owner::take` calls this).
        let (head, len) = self.local.with_mut(|l| unsafe { *l });
        let head = if head.is_null() {
            // Acquire: pairs with the Release CAS in `push_remote` (the link and generation).
            self.remote.swap(ptr::null_mut(), Acquire)
        } else {
            head
        };
        if let Some(block) = NonNull::new(head) {
            // SAFETY: a block in one of our lists is a released, unshared `Free` (P1, P2).
            let (next, gen) = unsafe { ((*head).next, (*head).gen) };
            // SAFETY: P2.
            self.local
                .with_mut(|l| unsafe { *l = (next, len.saturating_sub(1)) });
            return (block, gen.wrapping_add(1));
        }
        // Relaxed: only the final decrement (AcqRel) needs ordering (P3).
        self.live.fetch_add(1, Relaxed);
        // SAFETY: `Entry` has a non-zero size.
        let p = unsafe { alloc(layout()) };
        match NonNull::new(p.cast::<Free>()) {
            Some(p) => (p, 0),
            None => handle_alloc_error(layout()),
        }
    }

    /// Owner thread: a released block goes on the local list.
    ///
    /// # Safety
    /// P2 (we are the owner), and `block` is released and unshared (P1).
    unsafe fn push_local(&self, block: *mut Free, gen: u32) {
        // SAFETY: P2.
        let (head, len) = self.local.with_mut(|l| unsafe { *l });
        if len >= LOCAL_CAP {
            // SAFETY: the caller's contract; we hold one of `live`'s counts for it.
            return unsafe { self.free_block(block) };
        }
        // SAFETY: the caller's contract: the block is ours to write.
        unsafe { block.write(Free { next: head, gen }) };
        // SAFETY: P2.
        self.local.with_mut(|l| unsafe { *l = (block, len + 1) });
    }

    /// Any other thread: a released block goes back to its pool, or to the heap if the pool's
    /// owner is gone (P4).
    ///
    /// # Safety
    /// `this` is the block's pool and `block` is released and unshared (P1, P3: the block's
    /// count keeps `this` alive until we free the block).
    unsafe fn push_remote(this: *const Pool, block: *mut Free, gen: u32) {
        // SAFETY: P3, the block's count keeps the pool alive.
        let pool = unsafe { &*this };
        // Relaxed: the CAS below re-validates it.
        let mut head = pool.remote.load(Relaxed);
        loop {
            if head == closed() {
                // SAFETY: the caller's contract.
                return unsafe { Pool::free_block_of(this, block) };
            }
            // SAFETY: the caller's contract: the block is ours to write until the CAS.
            unsafe { block.write(Free { next: head, gen }) };
            // seeded fault (loom only): `PoolRemotePushStore` writes the head without a CAS.
            if crate::loom::fault::is(crate::loom::fault::Fault::PoolRemotePushStore) {
                return pool.remote.store(block, Release);
            }
            // Release: pairs with the owner's Acquire swap in `take` / `close`.
            match pool
                .remote
                .compare_exchange_weak(head, block, Release, Relaxed)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }

    /// Gives a block of this pool back to the heap.
    ///
    /// # Safety
    /// `block` belongs to `self`, is released and unshared, and `self` is alive (P3).
    unsafe fn free_block(&self, block: *mut Free) {
        // SAFETY: forwarded.
        unsafe { Pool::free_block_of(self, block) }
    }

    /// # Safety
    /// As `free_block`.
    unsafe fn free_block_of(this: *const Pool, block: *mut Free) {
        // SAFETY: the block came from `alloc(layout())` in `take` (or `alloc_orphan`).
        unsafe { dealloc(block.cast(), layout()) };
        // SAFETY: forwarded (P3).
        unsafe { Pool::drop_count(this, 1) };
    }

    /// Drops `n` counts of `live`; the last one frees the pool (P3).
    ///
    /// # Safety
    /// The caller owns `n` counts.
    unsafe fn drop_count(this: *const Pool, n: usize) {
        // SAFETY: the caller's counts keep it alive until this decrement.
        let live = unsafe { &(*this).live };
        // Release: our earlier uses of the pool happen before its free; Acquire (the fence
        // below) for the thread that frees it.
        if live.fetch_sub(n, Release) == n {
            fence(Acquire);
            // SAFETY: P3: `live` reached 0, nobody else can reach the pool; it came from
            // `Box::into_raw` in `Owner::get`.
            drop(unsafe { Box::from_raw(this as *mut Pool) });
        }
    }

    /// The owner thread exits: free both lists and close `remote` (P4).
    ///
    /// # Safety
    /// Called once, by the owner thread, after which it never uses the pool again.
    unsafe fn close(this: *const Pool) {
        // SAFETY: P3: the owner's count keeps it alive.
        let pool = unsafe { &*this };
        // SAFETY: P2.
        let (mut head, _) = pool
            .local
            .with_mut(|l| unsafe { std::mem::replace(&mut *l, (ptr::null_mut(), 0)) });
        let mut freed = 0;
        for _ in 0..2 {
            while let Some(block) = NonNull::new(head) {
                // SAFETY: a block in our lists is released and unshared (P1, P2).
                head = unsafe { (*block.as_ptr()).next };
                // SAFETY: as above; counted in `freed` (dropped below in one step).
                unsafe { dealloc(block.as_ptr().cast(), layout()) };
                freed += 1;
            }
            // Acquire: pairs with `push_remote`'s Release CAS; pushes after this see CLOSED.
            head = pool.remote.swap(closed(), Acquire);
            if head == closed() {
                break;
            }
        }
        // SAFETY: `freed` block counts plus the owner's own.
        unsafe { Pool::drop_count(this, freed + 1) };
    }
}

/// The thread-local handle on a thread's pool; closes it when the thread exits.
struct Owner(std::cell::Cell<*const Pool>);

impl Owner {
    fn get(&self) -> *const Pool {
        let p = self.0.get();
        if !p.is_null() {
            return p;
        }
        let p = Box::into_raw(Box::new(Pool::new())) as *const Pool;
        self.0.set(p);
        p
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let p = self.0.get();
        if !p.is_null() {
            // SAFETY: we are the owner thread, exiting: nothing of ours uses the pool after.
            unsafe { Pool::close(p) };
        }
    }
}

crate::loom::thread_local! {
    static POOL: Owner = Owner(std::cell::Cell::new(ptr::null()));
}

/// A counted reference to a pooled entry (the `Arc<Entry>` of the timer engine, P1).
pub(crate) struct EntryRef(NonNull<Entry>);

// SAFETY: `Entry` is `Send + Sync` (see `entry`); the count is atomic (P1).
unsafe impl Send for EntryRef {}
// SAFETY: as above.
unsafe impl Sync for EntryRef {}

impl EntryRef {
    /// Builds an entry in a block of this thread's pool: `make(pool, generation)` returns the
    /// entry, whose `refs` must be `refs`.
    pub(crate) fn new(make: impl FnOnce(*const Pool, u32) -> Entry) -> EntryRef {
        let (pool, block, gen) = match POOL.try_with(|o| {
            let pool = o.get();
            // SAFETY: `pool` is this thread's own pool (P2).
            let (block, gen) = unsafe { (*pool).take() };
            (pool, block, gen)
        }) {
            Ok(t) => t,
            // Arming from a thread-local destructor during thread exit: an orphan block,
            // given straight back to the heap at release.
            Err(_) => (ptr::null(), alloc_orphan(), 0),
        };
        let entry = block.cast::<Entry>();
        // SAFETY: the block is unshared, sized and aligned for an `Entry` (P1: not yet live).
        unsafe { entry.as_ptr().write(make(pool, gen)) };
        EntryRef(entry)
    }

    /// Gives up the count into a raw pointer (see `from_raw`).
    pub(crate) fn into_raw(this: EntryRef) -> *mut Entry {
        ManuallyDrop::new(this).0.as_ptr()
    }

    /// Takes back a count given up by `into_raw`.
    ///
    /// # Safety
    /// `p` came from `into_raw`, and its count is taken back once.
    pub(crate) unsafe fn from_raw(p: *mut Entry) -> EntryRef {
        // SAFETY: the caller's contract (`into_raw` never yields null).
        EntryRef(unsafe { NonNull::new_unchecked(p) })
    }

    pub(crate) fn as_ptr(this: &EntryRef) -> *const Entry {
        this.0.as_ptr()
    }

    /// seeded fault (loom only): `EntryCloneSkipsCount`, a second reference without a count.
    #[cfg(loom)]
    pub(crate) fn uncounted(this: &EntryRef) -> EntryRef {
        EntryRef(this.0)
    }

    pub(crate) fn ptr_eq(a: &EntryRef, b: &EntryRef) -> bool {
        a.0 == b.0
    }

    /// The number of counts (tests and loom models).
    #[cfg(any(test, loom))]
    pub(crate) fn count(this: &EntryRef) -> usize {
        this.refs.load(Acquire)
    }
}

fn alloc_orphan() -> NonNull<Free> {
    // SAFETY: `Entry` has a non-zero size.
    let p = unsafe { alloc(layout()) };
    NonNull::new(p.cast::<Free>()).unwrap_or_else(|| handle_alloc_error(layout()))
}

impl std::ops::Deref for EntryRef {
    type Target = Entry;
    #[inline]
    fn deref(&self) -> &Entry {
        // SAFETY: P1, we hold a count.
        unsafe { self.0.as_ref() }
    }
}

impl Clone for EntryRef {
    #[inline]
    fn clone(&self) -> EntryRef {
        // Relaxed: a count is made from an existing one (P1, as `Arc::clone`).
        self.refs.fetch_add(1, Relaxed);
        EntryRef(self.0)
    }
}

impl Drop for EntryRef {
    #[inline]
    fn drop(&mut self) {
        // Release: our uses of the entry happen before its release (P1).
        if self.refs.fetch_sub(1, Release) != 1 {
            return;
        }
        // Acquire: pairs with every other count's Release decrement.
        fence(Acquire);
        // SAFETY: P1, the count reached 0 here, once.
        unsafe { release(self.0) }
    }
}

/// The count of `entry` reached 0: drop what is left in it, then give the block back.
///
/// # Safety
/// P1: the caller's decrement brought `refs` to 0.
#[cold]
unsafe fn release(entry: NonNull<Entry>) {
    let e = entry.as_ptr();
    // SAFETY: P1: still initialized, and ours alone.
    let (pool, gen) = unsafe { ((*e).pool, (*e).gen) };
    // A leftover closure or waker is user code: its `Drop` may panic; contain it.
    // SAFETY: P1: initialized and ours; dropped once, then treated as raw memory.
    crate::util::panic::contain(|| unsafe { ptr::drop_in_place(e) });
    let block = e.cast::<Free>();
    if pool.is_null() {
        // SAFETY: an orphan block from `alloc_orphan`, ours alone.
        return unsafe { dealloc(block.cast(), layout()) };
    }
    // P2's owner test: is this thread the pool's owner?
    let mine = POOL.try_with(|o| ptr::eq(o.0.get(), pool)).unwrap_or(false);
    if mine {
        // SAFETY: P2 (we are the owner) and P1 (released, unshared).
        unsafe { (*pool).push_local(block, gen) }
    } else {
        // SAFETY: P1, P3 (the block's count keeps the pool alive).
        unsafe { Pool::push_remote(pool, block, gen) }
    }
}

// ----- closures stored inline (F1) -----

const INLINE: usize = 32;

#[repr(C, align(8))]
struct Storage(MaybeUninit<[u8; INLINE]>);

struct FnVt {
    /// Moves the closure out of the storage and calls it.
    call: unsafe fn(*mut Storage),
    /// Drops the closure in the storage.
    drop: unsafe fn(*mut Storage),
}

/// A `FnOnce() + Send` closure, in place when it fits in 32 bytes (F1), boxed otherwise.
pub(crate) struct InlineFn {
    vt: &'static FnVt,
    data: Storage,
}

// SAFETY: the stored closure is `Send` (`InlineFn::new`'s bound).
unsafe impl Send for InlineFn {}

trait Vt {
    const VT: FnVt;
}

struct Inline<F>(F);
struct Boxed<F>(F);

/// # Safety
/// F1: `s` holds an `F` in place, moved out here once.
unsafe fn call_inline<F: FnOnce()>(s: *mut Storage) {
    // SAFETY: F1 (the caller's contract).
    unsafe { s.cast::<F>().read()() }
}

/// # Safety
/// F1: `s` holds an `F` in place, dropped here once.
unsafe fn drop_inline<F>(s: *mut Storage) {
    // SAFETY: F1 (the caller's contract).
    unsafe { ptr::drop_in_place(s.cast::<F>()) }
}

/// # Safety
/// F1: `s` holds a `Box<F>`, moved out here once.
unsafe fn call_boxed<F: FnOnce()>(s: *mut Storage) {
    // SAFETY: F1 (the caller's contract).
    unsafe { s.cast::<Box<F>>().read()() }
}

/// # Safety
/// F1: `s` holds a `Box<F>`, dropped here once.
unsafe fn drop_boxed<F>(s: *mut Storage) {
    // SAFETY: F1 (the caller's contract).
    unsafe { ptr::drop_in_place(s.cast::<Box<F>>()) }
}

impl<F: FnOnce()> Vt for Inline<F> {
    const VT: FnVt = FnVt {
        call: call_inline::<F>,
        drop: drop_inline::<F>,
    };
}

impl<F: FnOnce()> Vt for Boxed<F> {
    const VT: FnVt = FnVt {
        call: call_boxed::<F>,
        drop: drop_boxed::<F>,
    };
}

impl InlineFn {
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> InlineFn {
        let mut data = Storage(MaybeUninit::uninit());
        let at = ptr::addr_of_mut!(data);
        let fits = std::mem::size_of::<F>() <= INLINE && std::mem::align_of::<F>() <= 8;
        let vt = if fits {
            // SAFETY: F1, it fits (size and alignment checked just above).
            unsafe { at.cast::<F>().write(f) };
            &<Inline<F> as Vt>::VT
        } else {
            // SAFETY: F1, a `Box` is one pointer.
            unsafe { at.cast::<Box<F>>().write(Box::new(f)) };
            &<Boxed<F> as Vt>::VT
        };
        InlineFn { vt, data }
    }

    /// Calls the closure (consuming it).
    pub(crate) fn call(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: F1, moved out once: `ManuallyDrop` keeps our `Drop` from running after.
        unsafe { (this.vt.call)(ptr::addr_of_mut!(this.data)) }
    }
}

impl Drop for InlineFn {
    fn drop(&mut self) {
        // SAFETY: F1, `call` did not run (it skips this `Drop`).
        unsafe { (self.vt.drop)(ptr::addr_of_mut!(self.data)) }
    }
}

impl std::fmt::Debug for EntryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Debug for InlineFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InlineFn")
    }
}

#[cfg(all(test, not(loom)))]
#[path = "pool_tests.rs"]
mod tests;
