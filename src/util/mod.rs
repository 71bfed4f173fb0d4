//! Small concurrency building blocks used by the runtime.

pub(crate) mod atomic_waker;
pub(crate) mod parker;
pub(crate) mod rand;
