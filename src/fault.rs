//! Seeded faults, to show that each loom model can fail.
//!
//! Under `cfg(loom)` a test can switch on one [`Fault`] for the current thread (loom runs a
//! whole model on the calling thread), and the real code takes the faulty path where it
//! checks [`is`]. In every other build `is` is a constant `false` and the faulty paths are
//! compiled out.

/// The faults that can be seeded. Each names the protocol step it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum Fault {}

#[cfg(loom)]
std::thread_local! {
    static ACTIVE: std::cell::Cell<Option<Fault>> = const { std::cell::Cell::new(None) };
}

/// Whether `fault` is seeded in this thread's model.
#[inline(always)]
#[allow(dead_code)]
pub(crate) fn is(fault: Fault) -> bool {
    #[cfg(loom)]
    return ACTIVE.with(|a| a.get() == Some(fault));
    #[cfg(not(loom))]
    {
        let _ = fault;
        false
    }
}

/// Seeds `fault` for models run on this thread until the guard drops.
#[cfg(loom)]
pub(crate) fn seed(fault: Option<Fault>) -> impl Drop {
    struct Reset(Option<Fault>);
    impl Drop for Reset {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    Reset(ACTIVE.with(|a| a.replace(fault)))
}
